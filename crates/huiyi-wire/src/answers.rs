//! Answer shapes, one per endpoint, built from domain values. Key names, key order and JSON
//! types follow the reference's response examples exactly (`tests/golden_answers.rs`), even
//! where the examples disagree with each other (`length` is a number in 01, a string in 04).
//!
//! The structs also deserialize, so the client SDK parses answers with the same types; keys the
//! vendor's older answers omit carry `#[serde(default)]`.
//!
//! Fields the vendor answers that mean nothing here (approval workflow, Exchange sync, MCU
//! modes …) keep the example's JSON type with a zero value: `0`, `""`, `null` or `[]`, exactly
//! as the example shows. A few constants instead describe what every huiyi meeting is and keep
//! the vendor's only observed value (room items: `isGnet` 1, `allowExternal` 1,
//! `confNodeType` 1, `joinUrlType` 1, `appSource` "meeting", `calType` "E").

mod after;
mod joining;
mod room;
mod rooms;
mod v1;

pub use after::{
    HeldCtx, HeldLinks, ReplayByIdAnswer, ReplayItem, ReportAnswer, ReportAnswered, ReportAttendee,
    ReportHand, ReportInvitee, ReportRollCall, ReportSummary, ReportViewer, RollCallCount,
    UNGROUPED, replay_by_id, replay_item, report,
};
pub use joining::{JoinNoSecretAnswer, LaunchClientAnswer, join_no_secret, launch_client};
pub use room::{
    CalExtraInfo, RoomAccessNumber, RoomAccessNumbers, RoomAttendee, RoomItem, RoomItemEra,
    RoomReservAnswer, encode_title, room_item, room_reserv,
};
pub use rooms::{
    BindBoxAnswer, DEVICE_EQUIPMENT, DEVICE_ROOM, InvalidBox, PhoneAccessItem, RoomDevice,
    box_addresses, phone_access_item, room_devices,
};
pub use v1::{
    AccessNumber, BaseInfoAnswer, BaseInfoInvitee, ConfStatusAnswer, ConferenceListAnswer,
    ListedAttendee, ListedConference, ReservV1Answer, base_info, conf_status, conference_list,
    reserv_v1,
};

use huiyi_domain::{Booking, Customer, Invitee, LinkRole, SessionIndex, SessionState, User};

/// What every answer builder needs besides the booking.
#[derive(Debug, Clone, Copy)]
pub struct AnswerCtx<'a> {
    /// Unix seconds now (for `currentTime` and the status).
    pub now: i64,
    /// The public base URL, without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub public_url: &'a str,
    pub customer: &'a Customer,
    /// The booking's host. In `conference_list`, the user whose list it is.
    pub host: &'a User,
    /// The latest session of each meeting answered about (status, live counts).
    pub sessions: &'a SessionIndex,
}

impl AnswerCtx<'_> {
    fn link(&self, b: &Booking, role: LinkRole) -> String {
        b.links.url(self.public_url, role)
    }

    /// The host as people see them: the name, or the email when the account has no name.
    fn host_name(&self) -> String {
        self.host.display_name()
    }

    fn host_link(&self, b: &Booking) -> String {
        self.link(b, LinkRole::Host)
    }

    fn attendee_link(&self, b: &Booking) -> String {
        self.link(b, LinkRole::Attendee)
    }

    /// The attendee link that opens the browser (WebRTC) client directly.
    fn webrtc_link(&self, b: &Booking) -> String {
        format!("{}?priority=web", self.attendee_link(b))
    }

    fn wcall_link(&self, b: &Booking) -> String {
        self.link(b, LinkRole::Wcall)
    }

    /// The status part of the context.
    pub fn status(&self) -> StatusCtx<'_> {
        StatusCtx {
            now: self.now,
            customer: self.customer,
            sessions: self.sessions,
        }
    }

    fn status_code(&self, b: &Booking) -> i64 {
        self.status().status_code(b)
    }

    fn advance_hours(&self) -> String {
        self.status().advance_hours()
    }
}

/// What a status answer needs: no host, no links. getConfStatus, which room panels poll, is
/// answered from this alone.
#[derive(Debug, Clone, Copy)]
pub struct StatusCtx<'a> {
    pub now: i64,
    pub customer: &'a Customer,
    pub sessions: &'a SessionIndex,
}

impl StatusCtx<'_> {
    fn session(&self, b: &Booking) -> Option<&SessionState> {
        self.sessions.latest(b)
    }

    /// API.md §6, from the booking and its latest session.
    fn status_code(&self, b: &Booking) -> i64 {
        b.meeting(self.customer.advance_hours)
            .status(self.session(b), self.now)
            .code()
    }

    /// People in the meeting's session now; 0 when none is open.
    fn attendees(&self, b: &Booking) -> i64 {
        self.session(b)
            .filter(|s| s.is_open())
            .map_or(0, |s| s.attendees)
    }

    fn may_join(&self, b: &Booking) -> bool {
        b.meeting(self.customer.advance_hours)
            .may_join(self.session(b), self.now)
    }

    fn advance_hours(&self) -> String {
        self.customer.advance_hours.to_string()
    }
}

/// `title` of booking answers is the subject of the invitation mail, not the meeting's title
/// (that is `conferenceTitle`/`dTitle`); example 01 shows `邀请您参加eyh1的会议`.
pub fn invitation_title(host_name: &str) -> String {
    format!("邀请您参加{host_name}的会议")
}

/// An invitee's name as listings show it: the name, else the email (example 05 shows invitees
/// booked by email with their email as name), else the mobile.
fn invitee_name(i: &Invitee) -> String {
    if !i.name.trim().is_empty() {
        i.name.clone()
    } else if !i.email.is_empty() {
        i.email.clone()
    } else {
        i.mobile.clone()
    }
}

/// A yes/no setting as the vendor's 0/1 flags; unset means no.
fn flag(v: Option<bool>) -> i64 {
    i64::from(v.unwrap_or(false))
}

/// `recurrenceInfo` of a series (the vendor's examples show only single meetings, where it is
/// `null`): the rule in the room-era request's own terms, the v1 end date, and the RFC 5545 RRULE
/// kept for calendar invitations.
pub fn recurrence_info(b: &Booking) -> Option<serde_json::Value> {
    let series = b.series.as_ref()?;
    let rule = &series.rule;
    let days: Vec<String> = rule
        .by_day
        .iter()
        .map(|d| {
            d.to_string()
                .chars()
                .take(2)
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .collect();
    let month_days: Vec<String> = rule.by_month_day.iter().map(i8::to_string).collect();
    Some(serde_json::json!({
        "frequency": rule.frequency.name(),
        "interval": rule.interval,
        "byday": days.join(","),
        "bymonthday": month_days.join(","),
        "repeatEndDate": rule.until,
        "periodEndDate": b.zone.date(rule.until),
        "timezone": b.zone.name(),
        "rrule": rule.to_rrule_string(),
    }))
}
