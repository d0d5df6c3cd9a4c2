//! Sessions: the actual runs of a booking (or of one occurrence of a series), and the facts
//! recorded about what happened in them.
//!
//! A session opens when the first fact about people in the meeting arrives inside the join
//! window, and closes when the host ends it or when everyone has left and the grace period has
//! passed. Facts arrive from producers (a media server, the browser join page) possibly out of
//! order, so the live state kept per participant is last-writer-wins by the time each fact
//! *happened*: a `left` that arrives before its `joined` is kept and pairs up when the `joined`
//! comes.
//!
//! Every rule about what a fact does to a session lives in [`fold`]; what a live page shows of
//! it is read from the same fold ([`live`]).

pub mod fold;
pub mod live;
#[cfg(test)]
mod tests_fold;

pub use fold::{Applied, Need, ParticipantRecord, SessionFold, Tally};
pub use live::{LiveChange, LiveParticipant, LiveRollCall, LiveState};

use crate::{Booking, TempConferenceId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How long after its booked end an ended meeting may still be (re)opened (API.md §6).
pub const REOPEN_HOURS: i64 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Host,
    #[default]
    Attendee,
}

/// What the participant joined with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    Pc,
    Phone,
    #[default]
    Web,
}

/// How the participant's voice travels: over the network (VoIP) or over a phone line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Voice {
    #[default]
    Network,
    Phone,
}

/// The longest participant or viewer name, in characters, wherever a name comes in: a media
/// event, a join link's `name`, the join page. One limit, so a name accepted in one place is
/// accepted in all.
pub const MAX_NAME_CHARS: usize = 128;

/// Someone in the meeting, as the producer identifies them. `id` is the producer's key for the
/// person within the meeting; every later fact about them names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Participant {
    pub id: String,
    /// The vendor userId when the person is a known user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub mobile: String,
    pub role: Role,
    pub client: ClientType,
    pub voice: Voice,
    /// The IP address (network voice) or the phone number (phone voice) they joined from.
    pub address: String,
    /// The join tag the attendee picked (`joinConfTags`), if any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tag: String,
}

/// A viewer of the live stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Viewer {
    pub id: String,
    pub name: String,
    pub mobile: String,
    pub email: String,
    pub device: String,
    pub browser: String,
    pub ip: String,
    pub city: String,
}

/// A recording file the media side produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Recording {
    /// Where the file is: a URL or a path the media side serves.
    pub location: String,
    pub size_bytes: i64,
    pub duration_secs: i64,
    /// e.g. "mp4".
    pub format: String,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EndReason {
    /// The host (or the media side on the host's behalf) ended it for everyone.
    #[default]
    Host,
    /// Everyone had left and the grace period passed.
    Grace,
}

/// One thing that happened in a session. The tag is the event `type` of the media event
/// interface (`docs/media-events.md`), and the stored form of a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum Fact {
    #[serde(rename = "participant.joined")]
    ParticipantJoined { participant: Participant },
    #[serde(rename = "participant.left")]
    ParticipantLeft { participant_id: String },
    /// An attendee waits in the waiting room (`useWaitingRoom`) for the host to admit them.
    #[serde(rename = "participant.waiting")]
    ParticipantWaiting { participant: Participant },
    /// The host admitted a waiting attendee; their `participant.joined` follows.
    #[serde(rename = "participant.admitted")]
    ParticipantAdmitted { participant_id: String },
    /// The host removed someone: they leave and may not come back through the same page.
    #[serde(rename = "participant.removed")]
    ParticipantRemoved { participant_id: String },
    #[serde(rename = "voice.switched")]
    VoiceSwitched {
        participant_id: String,
        voice: Voice,
        /// The phone number when switching to phone.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        address: String,
    },
    #[serde(rename = "hand.raised")]
    HandRaised { participant_id: String },
    #[serde(rename = "hand.lowered")]
    HandLowered { participant_id: String },
    #[serde(rename = "rollcall.started")]
    RollCallStarted {
        roll_call_id: String,
        #[serde(default)]
        video: bool,
    },
    #[serde(rename = "rollcall.answered")]
    RollCallAnswered {
        roll_call_id: String,
        participant_id: String,
        #[serde(default)]
        video: bool,
    },
    #[serde(rename = "room.locked")]
    RoomLocked,
    #[serde(rename = "room.unlocked")]
    RoomUnlocked,
    #[serde(rename = "viewer.joined")]
    ViewerJoined { viewer: Viewer },
    #[serde(rename = "viewer.left")]
    ViewerLeft { viewer_id: String },
    #[serde(rename = "recording.produced")]
    RecordingProduced { recording: Recording },
    #[serde(rename = "session.ended")]
    SessionEnded {
        #[serde(default)]
        reason: EndReason,
    },
}

/// Where a fact goes when it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Into the session that is open now.
    Open,
    /// Into the latest session, which has closed: the fact happened before it closed, or is
    /// about its aftermath (a recording, a viewer, a repeated end).
    Latest,
    /// It needs a session and none is open: open a new one (if joining is allowed now).
    New,
    /// It needs a session that never existed: nothing to attach it to.
    Nowhere,
}

impl Fact {
    /// The event type name, e.g. `participant.joined`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::ParticipantJoined { .. } => "participant.joined",
            Fact::ParticipantLeft { .. } => "participant.left",
            Fact::ParticipantWaiting { .. } => "participant.waiting",
            Fact::ParticipantAdmitted { .. } => "participant.admitted",
            Fact::ParticipantRemoved { .. } => "participant.removed",
            Fact::VoiceSwitched { .. } => "voice.switched",
            Fact::HandRaised { .. } => "hand.raised",
            Fact::HandLowered { .. } => "hand.lowered",
            Fact::RollCallStarted { .. } => "rollcall.started",
            Fact::RollCallAnswered { .. } => "rollcall.answered",
            Fact::RoomLocked => "room.locked",
            Fact::RoomUnlocked => "room.unlocked",
            Fact::ViewerJoined { .. } => "viewer.joined",
            Fact::ViewerLeft { .. } => "viewer.left",
            Fact::RecordingProduced { .. } => "recording.produced",
            Fact::SessionEnded { .. } => "session.ended",
        }
    }

    /// The participant the fact is about, if it is about one.
    pub fn participant_id(&self) -> Option<&str> {
        match self {
            Fact::ParticipantJoined { participant } | Fact::ParticipantWaiting { participant } => {
                Some(&participant.id)
            }
            Fact::ParticipantLeft { participant_id }
            | Fact::ParticipantAdmitted { participant_id }
            | Fact::ParticipantRemoved { participant_id }
            | Fact::VoiceSwitched { participant_id, .. }
            | Fact::HandRaised { participant_id }
            | Fact::HandLowered { participant_id }
            | Fact::RollCallAnswered { participant_id, .. } => Some(participant_id),
            _ => None,
        }
    }

    /// Facts about people in the meeting, which only happen while it runs: they open a new
    /// session when none is open. The rest (recordings, live viewers, the end) describe a
    /// session that exists.
    fn happens_inside(&self) -> bool {
        !matches!(
            self,
            Fact::ViewerJoined { .. }
                | Fact::ViewerLeft { .. }
                | Fact::RecordingProduced { .. }
                | Fact::SessionEnded { .. }
        )
    }

    /// Where this fact, which happened at `at_ms`, belongs given the latest session of its
    /// meeting (if any).
    pub fn placement(&self, latest: Option<&SessionState>, at_ms: i64) -> Placement {
        let inside = self.happens_inside();
        // Someone leaving never starts a meeting that has been held: a leave after the close
        // (a tab closing as the host ends it) belongs to the session it left.
        let leaving = matches!(
            self,
            Fact::ParticipantLeft { .. } | Fact::ParticipantRemoved { .. }
        );
        match latest {
            Some(s) if s.is_open() => Placement::Open,
            Some(s) if !inside || leaving || s.closed_ms.is_some_and(|c| at_ms <= c) => {
                Placement::Latest
            }
            _ if inside => Placement::New,
            _ => Placement::Nowhere,
        }
    }
}

/// A session as status and listings need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    pub id: i64,
    pub temp_conference_id: TempConferenceId,
    /// The booking's event id.
    pub event_id: i64,
    /// The occurrence's original start (unix seconds) for a series; 0 for a single meeting.
    pub occurrence: i64,
    pub opened_ms: i64,
    /// When it ended: the host's end, or the last leave before the grace period ran out.
    pub closed_ms: Option<i64>,
    pub locked: bool,
    /// People in the session now; 0 once closed.
    pub attendees: i64,
}

impl SessionState {
    pub fn is_open(&self) -> bool {
        self.closed_ms.is_none()
    }
}

/// The latest session of each meeting (booking, or occurrence of a series), for answers that
/// show status and live counts.
#[derive(Debug, Clone, Default)]
pub struct SessionIndex(HashMap<(i64, i64), SessionState>);

impl SessionIndex {
    /// Keeps the newest session of each meeting.
    pub fn new(states: impl IntoIterator<Item = SessionState>) -> Self {
        let mut map: HashMap<(i64, i64), SessionState> = HashMap::new();
        for s in states {
            match map.get(&(s.event_id, s.occurrence)) {
                Some(old) if old.id > s.id => {}
                _ => {
                    map.insert((s.event_id, s.occurrence), s);
                }
            }
        }
        SessionIndex(map)
    }

    /// The latest session of the meeting a booking (or view of one occurrence) stands for.
    pub fn latest(&self, b: &Booking) -> Option<&SessionState> {
        self.0.get(&(b.event_id, b.occurrence_key()))
    }

    /// The open session of any occurrence of this booking.
    pub fn open_of(&self, event_id: i64) -> Option<&SessionState> {
        self.0
            .values()
            .find(|s| s.event_id == event_id && s.is_open())
    }
}

/// Last-writer-wins presence of one participant: the latest join and the latest leave, by the
/// time each happened. Present when the latest join is after the latest leave; a join and a
/// leave at the same millisecond count as gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Presence {
    pub joined_ms: Option<i64>,
    pub left_ms: Option<i64>,
}

impl Presence {
    pub fn present(&self) -> bool {
        match (self.joined_ms, self.left_ms) {
            (Some(j), Some(l)) => j > l,
            (Some(_), None) => true,
            _ => false,
        }
    }

    pub fn join(&mut self, at_ms: i64) {
        self.joined_ms = Some(self.joined_ms.map_or(at_ms, |j| j.max(at_ms)));
    }

    pub fn leave(&mut self, at_ms: i64) {
        self.left_ms = Some(self.left_ms.map_or(at_ms, |l| l.max(at_ms)));
    }
}

/// A switch (lock, hand, voice) that is last-writer-wins by the time it happened: `set` applies
/// only if it happened at or after the last applied change.
pub fn newer(last_change_ms: Option<i64>, at_ms: i64) -> bool {
    last_change_ms.is_none_or(|l| at_ms >= l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(closed_ms: Option<i64>) -> SessionState {
        SessionState {
            id: 1,
            temp_conference_id: TempConferenceId::generate(),
            event_id: 1,
            occurrence: 0,
            opened_ms: 1_000,
            closed_ms,
            locked: false,
            attendees: 0,
        }
    }

    #[test]
    fn a_left_before_its_joined_pairs_up() {
        let mut p = Presence::default();
        p.leave(2_000);
        assert!(!p.present());
        p.join(1_000);
        assert!(!p.present(), "the join happened before the leave");
        p.join(3_000);
        assert!(p.present(), "a later rejoin");
        p.leave(2_500);
        assert!(p.present(), "a stale leave changes nothing");
    }

    #[test]
    fn placement_follows_the_latest_session() {
        let joined = Fact::ParticipantJoined {
            participant: Participant::default(),
        };
        let recording = Fact::RecordingProduced {
            recording: Recording::default(),
        };
        assert_eq!(joined.placement(None, 5), Placement::New);
        assert_eq!(recording.placement(None, 5), Placement::Nowhere);
        assert_eq!(joined.placement(Some(&session(None)), 5), Placement::Open);
        let closed = session(Some(10_000));
        assert_eq!(joined.placement(Some(&closed), 9_000), Placement::Latest);
        assert_eq!(joined.placement(Some(&closed), 11_000), Placement::New);
        let left = Fact::ParticipantLeft {
            participant_id: "p".into(),
        };
        assert_eq!(left.placement(Some(&closed), 11_000), Placement::Latest);
        assert_eq!(
            left.placement(None, 11_000),
            Placement::New,
            "kept, to pair later"
        );
        assert_eq!(
            recording.placement(Some(&closed), 99_000),
            Placement::Latest
        );
    }

    #[test]
    fn facts_keep_their_wire_names() {
        let f: Fact = serde_json::from_str(
            r#"{"type":"voice.switched","participantId":"p1","voice":"phone"}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            Fact::VoiceSwitched {
                participant_id: "p1".into(),
                voice: Voice::Phone,
                address: String::new()
            }
        );
        assert_eq!(f.kind(), "voice.switched");
        let back = serde_json::to_value(&f).unwrap();
        assert_eq!(back["type"], "voice.switched");
        assert_eq!(back["participantId"], "p1");
    }
}
