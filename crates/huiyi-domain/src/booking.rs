//! Bookings: a meeting someone reserved, with its ids, passcodes, links, invitees and settings.

use crate::ids::{BillingCode, ConferenceId, EventId, LinkCode, Passcode, UserId};
use crate::series::Series;
use crate::status::{Meeting, Status};
use crate::tenant::CustomerKey;
use crate::time::Zone;
use serde::{Deserialize, Serialize};

/// Longest meeting we accept, in minutes (24 hours). Listings rely on it to bound index scans.
pub const MAX_LENGTH_MINUTES: i64 = 24 * 60;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// Most invitees on one booking.
pub const MAX_INVITEES: usize = 1000;

/// `password_type`: 0 = the host's personal fixed pair, 1 = a fresh pair per booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PasswordType {
    #[default]
    Fixed,
    Dynamic,
}

impl PasswordType {
    pub fn code(self) -> i64 {
        match self {
            PasswordType::Fixed => 0,
            PasswordType::Dynamic => 1,
        }
    }

    pub fn from_code(c: i64) -> Option<Self> {
        match c {
            0 => Some(PasswordType::Fixed),
            1 => Some(PasswordType::Dynamic),
            _ => None,
        }
    }
}

/// Someone invited to a booking. `user_id` is set when the invitee is a known user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Invitee {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    pub name: String,
    pub email: String,
    pub mobile: String,
}

/// A room chosen in a room-era booking (`composeRoomList`), checked against the registry when
/// booked: what the registry said of the room then is kept with the choice, so answers need no
/// second read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomChoice {
    pub room_id: i64,
    /// 0 unspecified, 1 the main venue, 2 a branch venue.
    pub is_main_room: i64,
    pub equip_ids: Vec<i64>,
    /// The room's name, city, location and floor, from the registry.
    pub name: String,
    pub city: String,
    pub location: String,
    pub floor: i64,
    /// The chosen equipment (`equip_ids`) with the registry's names.
    pub equipment: Vec<crate::rooms::Equipment>,
    /// [`crate::rooms::approval`]: pending until an admin decides, for rooms that need it.
    pub approval: i64,
}

impl Default for RoomChoice {
    fn default() -> Self {
        Self {
            room_id: 0,
            is_main_room: 0,
            equip_ids: Vec::new(),
            name: String::new(),
            city: String::new(),
            location: String::new(),
            floor: 0,
            equipment: Vec::new(),
            approval: crate::rooms::approval::APPROVED,
        }
    }
}

macro_rules! settings {
    ($( $(#[$m:meta])* $field:ident : $ty:ty ),* $(,)?) => {
        /// The meeting's settings. Every field is optional: a `Settings` is also the set of
        /// changes an edit brings, and `merge` keeps whatever the edit does not name.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
        #[serde(default)]
        pub struct Settings {
            $( $(#[$m])* #[serde(skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>, )*
        }

        impl Settings {
            pub fn merge(&mut self, changes: Settings) {
                $( if changes.$field.is_some() { self.$field = changes.$field; } )*
            }
        }
    };
}

settings! {
    show_info: bool,
    show_video: bool,
    allow_unmute: bool,
    is_only: bool,
    auto_record: bool,
    conf_level_mute: i64,
    estimate_size: i64,
    must_select_audio: bool,
    auto_video: i64,
    conf_level_video_standard: i64,
    live_open: bool,
    live_password: String,
    enable_cloud_mcu: bool,
    sv: i64,
    join_login: bool,
    use_waiting_room: bool,
    open_watchword: bool,
    event_watchword: String,
    join_conf_sel_tag: bool,
    join_conf_tags: String,
    hardware_video: bool,
    allow_invite: bool,
    record_callback_url: String,
    email_notify: bool,
    sms_notify: bool,
    inform_type: i64,
    /// `extraInfo` exactly as the client sent it.
    extra_info: serde_json::Value,
    rooms: Vec<RoomChoice>,
}

/// The parts of a booking that are free text or settings; stored as one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Details {
    pub summary: String,
    pub location: String,
    /// `from`: which client booked it (e.g. "uc").
    pub source: String,
    pub settings: Settings,
    /// Hardware boxes bound by `confBindBox`; each binding replaces the last.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub boxes: Vec<crate::rooms::BoundBox>,
}

/// A booking's short links; each code is unique and unpredictable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingLinks {
    pub host: LinkCode,
    pub attendee: LinkCode,
    pub wcall: LinkCode,
}

impl BookingLinks {
    /// The code of the link that opens the meeting on this side.
    pub fn code(&self, role: crate::joining::LinkRole) -> &LinkCode {
        match role {
            crate::joining::LinkRole::Host => &self.host,
            crate::joining::LinkRole::Attendee => &self.attendee,
            crate::joining::LinkRole::Wcall => &self.wcall,
        }
    }

    /// The short link `<public_url>/k/<code>` of this side: every link huiyi hands out is
    /// built here.
    pub fn url(&self, public_url: &str, role: crate::joining::LinkRole) -> String {
        format!("{}/k/{}", public_url.trim_end_matches('/'), self.code(role))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub event_id: EventId,
    pub conference_id: ConferenceId,
    pub customer: CustomerKey,
    pub host: UserId,
    pub title: String,
    /// Unix seconds.
    pub start: i64,
    pub length_minutes: i64,
    pub zone: Zone,
    pub password_type: PasswordType,
    pub pcode1: Passcode,
    pub pcode2: Passcode,
    pub billing_code: BillingCode,
    pub links: BookingLinks,
    pub invitees: Vec<Invitee>,
    pub details: Details,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    pub modified_at: i64,
    /// Bumped by every write; an update names the version it read (optimistic concurrency).
    pub version: i64,
    /// The rule and history of a recurring booking; `None` for a single meeting.
    pub series: Option<Series>,
    /// Set on a view of one occurrence (`as_occurrence`): the start the rule gave it. Never
    /// stored.
    pub occurrence_of: Option<i64>,
}

impl Booking {
    pub fn end(&self) -> i64 {
        self.start + self.length_minutes * 60
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Status from the clock alone, as if the meeting had never been held. Answers use
    /// [`Meeting::status`] with the meeting's sessions.
    pub fn status_at(&self, now_unix: i64) -> Status {
        Status::from_clock(self.is_cancelled(), self.end(), now_unix)
    }

    /// Which meeting of the booking its sessions belong to: for a view of one occurrence, the
    /// occurrence's original start; 0 for a single meeting.
    pub fn occurrence_key(&self) -> i64 {
        match (self.occurrence_of, &self.series) {
            (Some(ori), _) => ori,
            (None, Some(_)) => self.start,
            (None, None) => 0,
        }
    }

    /// This booking (or view of one occurrence) as status and the join window see it.
    pub fn meeting(&self, advance_hours: i64) -> Meeting {
        Meeting {
            cancelled: self.is_cancelled(),
            start: self.start,
            end: self.end(),
            advance_hours,
        }
    }

    /// `groupId` on the wire: derived from the event id, so it is stable and never stored.
    pub fn group_id(&self) -> i64 {
        80_000_000 + self.event_id
    }
}

/// Everything needed to store a new booking; the store allocates the ids, passcodes and links.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBooking {
    pub customer: CustomerKey,
    pub host: UserId,
    pub title: String,
    pub start: i64,
    pub length_minutes: i64,
    pub zone: Zone,
    pub password_type: PasswordType,
    pub invitees: Vec<Invitee>,
    pub details: Details,
    pub created_at: i64,
    pub series: Option<Series>,
    /// Invitation letters to enqueue with the booking (never stored on it).
    pub notices: Vec<crate::delivery::Notice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_what_the_edit_does_not_name() {
        let mut s = Settings {
            show_info: Some(true),
            event_watchword: Some("hi".into()),
            ..Default::default()
        };
        s.merge(Settings {
            show_info: Some(false),
            ..Default::default()
        });
        assert_eq!(s.show_info, Some(false));
        assert_eq!(s.event_watchword.as_deref(), Some("hi"));
    }

    #[test]
    fn settings_document_omits_unset_fields() {
        let s = Settings {
            auto_video: Some(2),
            ..Default::default()
        };
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"{"auto_video":2}"#);
    }
}
