//! Delivery: what huiyi tells the outside world (webhook events for integrators, the
//! recording-ready callback of a booking), when a message that could not be delivered is tried
//! again, and which network addresses a message may go to.
//!
//! Nothing here sends anything. The store enqueues [`Event`]s in the transaction of the change
//! that causes them; a worker in the server delivers them.

use crate::session::{ClientType, Participant, Recording, Role};
use crate::{Booking, SessionState};
use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The event types an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "meeting.booked")]
    MeetingBooked,
    #[serde(rename = "meeting.updated")]
    MeetingUpdated,
    #[serde(rename = "meeting.cancelled")]
    MeetingCancelled,
    #[serde(rename = "session.started")]
    SessionStarted,
    #[serde(rename = "session.ended")]
    SessionEnded,
    #[serde(rename = "participant.joined")]
    ParticipantJoined,
    #[serde(rename = "participant.left")]
    ParticipantLeft,
    #[serde(rename = "recording.ready")]
    RecordingReady,
    #[serde(rename = "report.ready")]
    ReportReady,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::MeetingBooked,
        EventType::MeetingUpdated,
        EventType::MeetingCancelled,
        EventType::SessionStarted,
        EventType::SessionEnded,
        EventType::ParticipantJoined,
        EventType::ParticipantLeft,
        EventType::RecordingReady,
        EventType::ReportReady,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MeetingBooked => "meeting.booked",
            EventType::MeetingUpdated => "meeting.updated",
            EventType::MeetingCancelled => "meeting.cancelled",
            EventType::SessionStarted => "session.started",
            EventType::SessionEnded => "session.ended",
            EventType::ParticipantJoined => "participant.joined",
            EventType::ParticipantLeft => "participant.left",
            EventType::RecordingReady => "recording.ready",
            EventType::ReportReady => "report.ready",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which events an endpoint wants: every type, or the listed ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EventFilter {
    #[default]
    All,
    Only(Vec<EventType>),
}

impl EventFilter {
    /// `a,b,c` as the command line takes it; empty means every type. Names an unknown type in
    /// the error.
    pub fn parse_list(list: &str) -> Result<EventFilter, String> {
        let mut types = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let t = EventType::parse(name).ok_or_else(|| {
                let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                format!(
                    "unknown event type {name:?}; the types are {}",
                    known.join(", ")
                )
            })?;
            if !types.contains(&t) {
                types.push(t);
            }
        }
        Ok(if types.is_empty() {
            EventFilter::All
        } else {
            types.sort();
            EventFilter::Only(types)
        })
    }

    pub fn wants(&self, t: EventType) -> bool {
        match self {
            EventFilter::All => true,
            EventFilter::Only(types) => types.contains(&t),
        }
    }

    /// The stored form: `*` for every type, else the names joined by commas.
    pub fn to_stored(&self) -> String {
        match self {
            EventFilter::All => "*".into(),
            EventFilter::Only(types) => types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    pub fn from_stored(s: &str) -> Result<EventFilter, String> {
        if s == "*" {
            Ok(EventFilter::All)
        } else {
            EventFilter::parse_list(s)
        }
    }
}

/// Which meeting an event is about, as integrators know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRef {
    pub customer_code: String,
    pub conference_id: String,
    pub event_id: i64,
}

/// One event, ready to be enqueued: its type, when it happened and its `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventType,
    /// When it happened (unix ms): the body's `timestamp`.
    pub at_ms: i64,
    pub data: Value,
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-12-01T08:00:00.000Z`.
pub fn rfc3339_ms(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn meeting_data(m: &MeetingRef) -> serde_json::Map<String, Value> {
    let mut data = serde_json::Map::new();
    data.insert("customerCode".into(), json!(m.customer_code));
    data.insert("conferenceId".into(), json!(m.conference_id));
    data.insert("eventId".into(), json!(m.event_id));
    data
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Host => "host",
        Role::Attendee => "attendee",
    }
}

fn client_name(c: ClientType) -> &'static str {
    match c {
        ClientType::Pc => "pc",
        ClientType::Phone => "phone",
        ClientType::Web => "web",
    }
}

/// What an event says of a participant: who they are, not where they joined from (no address
/// or phone number).
fn participant_data(id: &str, info: Option<&Participant>) -> Value {
    let mut p = serde_json::Map::new();
    p.insert("id".into(), json!(id));
    if let Some(info) = info {
        if let Some(u) = info.user_id {
            p.insert("userId".into(), json!(u));
        }
        p.insert("name".into(), json!(info.name));
        p.insert("role".into(), json!(role_name(info.role)));
        p.insert("client".into(), json!(client_name(info.client)));
    }
    Value::Object(p)
}

fn session_data(m: &MeetingRef, s: &SessionState) -> serde_json::Map<String, Value> {
    let mut data = meeting_data(m);
    data.insert(
        "tempConferenceId".into(),
        json!(s.temp_conference_id.as_str()),
    );
    data.insert("occurrenceStart".into(), json!(s.occurrence));
    data.insert("startedAt".into(), json!(rfc3339_ms(s.opened_ms)));
    data
}

/// What the events about a session that has ended say of it: the session, the title and when
/// it ended (`null` if it has not).
fn ended_data(m: &MeetingRef, title: &str, s: &SessionState) -> serde_json::Map<String, Value> {
    let mut data = session_data(m, s);
    data.insert("title".into(), json!(title));
    data.insert(
        "endedAt".into(),
        s.closed_ms.map_or(Value::Null, |e| json!(rfc3339_ms(e))),
    );
    data
}

impl Event {
    /// `meeting.booked`, `meeting.updated` or `meeting.cancelled` of a booking (or of one
    /// occurrence of a series, when `b` is a view of it).
    pub fn meeting(kind: EventType, m: &MeetingRef, b: &Booking, at_ms: i64) -> Event {
        let mut data = meeting_data(m);
        data.insert("title".into(), json!(b.title));
        data.insert("hostUserId".into(), json!(b.host.get()));
        data.insert("startTime".into(), json!(rfc3339_ms(b.start * 1000)));
        data.insert("endTime".into(), json!(rfc3339_ms(b.end() * 1000)));
        data.insert("timezone".into(), json!(b.zone.name()));
        data.insert("recurring".into(), json!(b.series.is_some()));
        if let Some(ori) = b.occurrence_of {
            data.insert("occurrenceStart".into(), json!(ori));
        }
        Event {
            kind,
            at_ms,
            data: Value::Object(data),
        }
    }

    /// `session.started`, or `session.ended` (with its end) of a session.
    pub fn session(kind: EventType, m: &MeetingRef, s: &SessionState, at_ms: i64) -> Event {
        let mut data = session_data(m, s);
        if let Some(end) = s.closed_ms {
            data.insert("endedAt".into(), json!(rfc3339_ms(end)));
        }
        Event {
            kind,
            at_ms,
            data: Value::Object(data),
        }
    }

    /// `participant.joined` or `participant.left`.
    pub fn participant(
        kind: EventType,
        m: &MeetingRef,
        s: &SessionState,
        id: &str,
        info: Option<&Participant>,
        at_ms: i64,
    ) -> Event {
        let mut data = session_data(m, s);
        data.insert("participant".into(), participant_data(id, info));
        Event {
            kind,
            at_ms,
            data: Value::Object(data),
        }
    }

    /// `recording.ready`: also the body of the booking's recording callback
    /// (`recordCallbackUrl`). `links` are the replay, download and report addresses.
    pub fn recording_ready(
        m: &MeetingRef,
        title: &str,
        s: &SessionState,
        recording: &Recording,
        links: &RecordingLinks,
        at_ms: i64,
    ) -> Event {
        let mut data = ended_data(m, title, s);
        data.insert("replayUrl".into(), json!(links.replay));
        data.insert("downloadUrl".into(), json!(links.download));
        data.insert("reportUrl".into(), json!(links.report));
        data.insert(
            "recording".into(),
            json!({
                "format": recording.format,
                "sizeBytes": recording.size_bytes,
                "durationSecs": recording.duration_secs,
            }),
        );
        Event {
            kind: EventType::RecordingReady,
            at_ms,
            data: Value::Object(data),
        }
    }

    /// `report.ready`: the session has ended, so its report can be fetched. `report_url` is
    /// filled in when the message is sent (links carry an expiry).
    pub fn report_ready(
        m: &MeetingRef,
        title: &str,
        s: &SessionState,
        report_url: &str,
        at_ms: i64,
    ) -> Event {
        let mut data = ended_data(m, title, s);
        data.insert("reportUrl".into(), json!(report_url));
        Event {
            kind: EventType::ReportReady,
            at_ms,
            data: Value::Object(data),
        }
    }

    /// The request body: `{"type": …, "timestamp": RFC 3339, "data": {…}}`.
    pub fn body(&self) -> String {
        json!({
            "type": self.kind.as_str(),
            "timestamp": rfc3339_ms(self.at_ms),
            "data": self.data,
        })
        .to_string()
    }
}

/// Where a recording can be watched, fetched and reported on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordingLinks {
    pub replay: String,
    pub download: String,
    pub report: String,
}

/// A message id (`webhook-id`): `msg_` and 32 hex digits from the CSPRNG. The same on every
/// attempt, so a receiver can drop repeats.
pub fn new_message_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("msg_{}", hex::encode(bytes))
}

/// A signing secret: `whsec_` and the base64 of 24 bytes from the CSPRNG (Standard Webhooks).
pub fn new_signing_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", BASE64_STANDARD.encode(bytes))
}

/// When a message that failed is tried again: one delay per retry, after the attempt before
/// it. A message that has used every delay is marked failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    delays_ms: Vec<i64>,
}

/// The default schedule: 10 s, 1 min, 5 min, 30 min, 1 h, 2 h, 4 h, 8 h, 10 h. Ten attempts in
/// all; the last comes about 25.6 hours after the first (more with jitter).
pub const DEFAULT_BACKOFF: &str = "10s,1m,5m,30m,1h,2h,4h,8h,10h";

/// Jitter adds up to this share of a delay (never subtracts, so the schedule's total is a
/// lower bound).
pub const JITTER: f64 = 0.25;

impl Backoff {
    /// Comma-separated durations such as `1s,2s,5s` (units ms, s, m, h, d, as `humantime`
    /// reads them).
    pub fn parse(list: &str) -> Result<Backoff, String> {
        let mut delays_ms = Vec::new();
        for part in list.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(format!(
                    "{list:?}: an empty entry; write durations separated by commas, e.g. 1s,2s,5s"
                ));
            }
            delays_ms.push(parse_duration_ms(part)?);
        }
        Ok(Backoff { delays_ms })
    }

    pub fn default_schedule() -> Backoff {
        Backoff::parse(DEFAULT_BACKOFF).expect("the default schedule parses")
    }

    pub fn delays_ms(&self) -> &[i64] {
        &self.delays_ms
    }

    /// The delay before the next attempt after `attempts` attempts have failed, stretched by
    /// `jitter` (0.0 to 1.0, drawn by the caller) times [`JITTER`]; `None` when the schedule
    /// is used up.
    pub fn next_delay_ms(&self, attempts: i64, jitter: f64) -> Option<i64> {
        let i = usize::try_from(attempts.checked_sub(1)?).ok()?;
        let base = *self.delays_ms.get(i)?;
        let stretch = (base as f64 * JITTER * jitter.clamp(0.0, 1.0)) as i64;
        Some(base.saturating_add(stretch))
    }

    /// The least time from the first attempt to the last.
    pub fn total_ms(&self) -> i64 {
        self.delays_ms.iter().sum()
    }
}

/// One duration as `humantime` reads it (`500ms`, `1s`, `5m`, `1h`, `1d`, `1h 30m`).
fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("{s:?}: {e}; write a number and a unit, e.g. 1s,2s,5s"))?;
    i64::try_from(d.as_millis()).map_err(|_| format!("{s:?}: too long"))
}

/// Whether a message may go to `ip`: only to public unicast addresses. Loopback, private,
/// shared (CGNAT), link-local (which holds the cloud metadata address 169.254.169.254),
/// unique-local, multicast, documentation, benchmarking and reserved ranges are refused, as
/// are IPv4 addresses written as IPv6.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, shared address space (CGNAT).
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24, IETF protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15, benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4, reserved.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7, unique local (holds fd00:ec2::254, a cloud metadata address).
        || (s[0] & 0xfe00) == 0xfc00
        // fe80::/10, link-local.
        || (s[0] & 0xffc0) == 0xfe80
        // 2001:db8::/32, documentation.
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // ::/96 (IPv4-compatible, deprecated) and 64:ff9b::/96 (NAT64, reaches IPv4 inside).
        || (s[0..6] == [0, 0, 0, 0, 0, 0])
        || (s[0] == 0x64 && s[1] == 0xff9b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_and_filters_parse() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json, t.as_str());
        }
        assert_eq!(EventFilter::parse_list("").unwrap(), EventFilter::All);
        let f = EventFilter::parse_list("session.ended, meeting.booked,meeting.booked").unwrap();
        assert_eq!(
            f,
            EventFilter::Only(vec![EventType::MeetingBooked, EventType::SessionEnded])
        );
        assert!(f.wants(EventType::SessionEnded) && !f.wants(EventType::ParticipantLeft));
        assert_eq!(EventFilter::from_stored(&f.to_stored()).unwrap(), f);
        assert_eq!(EventFilter::from_stored("*").unwrap(), EventFilter::All);
        let err = EventFilter::parse_list("meeting.booked,meeting.moved").unwrap_err();
        assert!(
            err.contains("meeting.moved") && err.contains("report.ready"),
            "{err}"
        );
    }

    #[test]
    fn the_default_schedule_lasts_more_than_a_day_and_ends() {
        let b = Backoff::default_schedule();
        assert!(b.total_ms() >= 24 * 3_600_000, "{}", b.total_ms());
        assert_eq!(b.next_delay_ms(1, 0.0), Some(10_000));
        assert_eq!(b.next_delay_ms(1, 1.0), Some(12_500));
        assert_eq!(b.next_delay_ms(9, 0.0), Some(36_000_000));
        assert_eq!(b.next_delay_ms(10, 0.5), None, "ten attempts, then failed");
        assert_eq!(b.next_delay_ms(0, 0.5), None);
        // Jitter only stretches.
        for j in [0.0, 0.3, 0.99, 1.0, 7.0, -1.0] {
            let d = b.next_delay_ms(3, j).unwrap();
            assert!((300_000..=375_000).contains(&d), "{j}: {d}");
        }
    }

    #[test]
    fn schedules_parse_with_units_and_refuse_nonsense() {
        let b = Backoff::parse("1s, 2s,500ms,5m,1h,1d").unwrap();
        assert_eq!(
            b.delays_ms(),
            [1_000, 2_000, 500, 300_000, 3_600_000, 86_400_000]
        );
        for bad in ["", "1s,,2s", "5", "five", "5q", "1s,2"] {
            let e = Backoff::parse(bad).unwrap_err();
            assert!(e.contains("e.g."), "{bad}: {e}");
        }
    }

    #[test]
    fn only_public_addresses_are_allowed() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "fc00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
            "ff02::1",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(!is_public_address(ip), "{private} must be refused");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "203.0.114.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(is_public_address(ip), "{public} is public");
        }
    }

    #[test]
    fn ids_and_secrets_are_random_and_well_formed() {
        let (a, b) = (new_message_id(), new_message_id());
        assert_ne!(a, b);
        assert!(a.starts_with("msg_") && a.len() == 36, "{a}");
        let s = new_signing_secret();
        assert!(s.starts_with("whsec_") && s.len() == 6 + 32, "{s}");
        assert_ne!(s, new_signing_secret());
        let key = BASE64_STANDARD.decode(&s["whsec_".len()..]).unwrap();
        assert_eq!(key.len(), 24);
    }

    #[test]
    fn the_body_has_type_timestamp_and_data() {
        let e = Event {
            kind: EventType::SessionEnded,
            at_ms: 1_764_576_000_123,
            data: json!({"conferenceId": "1"}),
        };
        let v: Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(v["type"], "session.ended");
        assert_eq!(v["timestamp"], "2025-12-01T08:00:00.123Z");
        assert_eq!(v["data"]["conferenceId"], "1");
    }
}

/// The scheme of an outbox message that is an email: its `url` is `mailto:<address>`.
pub const MAIL_SCHEME: &str = "mailto:";
/// The scheme of an outbox message that is a text message: its `url` is `sms:<+86…>`.
pub const SMS_SCHEME: &str = "sms:";
/// The outbox kinds of invitation letters and texts.
pub const INVITE_REQUEST: &str = "invite.request";
pub const INVITE_CANCEL: &str = "invite.cancel";
pub const INVITE_SMS: &str = "invite.sms";
/// The scheme of an outbox message that holds the notices of one change, to be expanded into
/// one message per recipient by the delivery worker: `notices:<eventId>`.
pub const NOTICES_SCHEME: &str = "notices:";
pub const INVITE_BATCH: &str = "invite.batch";
/// The `server_keys` name of the secret texts to the SMS gateway are signed with.
pub const SMS_SECRET_NAME: &str = "sms";

/// What an invitation letter tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "camelCase")]
pub enum NoticeChange {
    /// The booking as it now is (booked, or edited as a whole).
    Request,
    /// The whole booking is cancelled.
    Cancel,
    /// One occurrence of a series was changed, named by its original start.
    #[serde(rename_all = "camelCase")]
    RequestOccurrence { ori_start: i64 },
    /// One occurrence of a series was cancelled.
    #[serde(rename_all = "camelCase")]
    CancelOccurrence { ori_start: i64 },
}

impl NoticeChange {
    pub fn is_cancel(self) -> bool {
        matches!(
            self,
            NoticeChange::Cancel | NoticeChange::CancelOccurrence { .. }
        )
    }
}

/// An invitation letter (or text) owed to one person for one change of a booking: the service decides
/// who, the store enqueues it in the change's own transaction, the delivery worker writes and
/// sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub to_name: String,
    /// An email address, or for a text a mobile number in E.164 (`+8613800138000`).
    pub to: String,
    /// A text through the SMS gateway instead of a letter.
    #[serde(default)]
    pub sms: bool,
    /// `true`: English; else zh-CN.
    pub english: bool,
    #[serde(flatten)]
    pub change: NoticeChange,
}

/// The outbox body of a notice about `b`: the notice, the booking and the SEQUENCE its
/// calendar carries (the booking's version after the change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeBody {
    pub event_id: i64,
    pub sequence: i64,
    #[serde(flatten)]
    pub notice: Notice,
}

/// The notices of one change of a booking, as one outbox row written in the change's own
/// transaction (however many invitees it has); the delivery worker expands it into one
/// [`NoticeBody`] per recipient, atomically with marking it done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeBatch {
    pub event_id: i64,
    pub sequence: i64,
    pub notices: Vec<Notice>,
}
