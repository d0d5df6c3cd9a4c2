//! The media event interface, `POST /media/v1/events` (`docs/media-events.md`): how a media
//! server proves who it is (HMAC-SHA256 over the timestamp and the body, with a shared secret),
//! and the batch of facts it sends. Unlike the vendor's API this interface is our own, so its
//! body is strict JSON: unknown keys are refused so that typos surface.

use crate::codes::{Code, WireError};
use hmac::{Hmac, Mac};
use huiyi_domain::session::Fact;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

/// The path media servers post to.
pub const EVENTS_PATH: &str = "/media/v1/events";
/// Header carrying the unix time (seconds, decimal) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "x-huiyi-timestamp";
/// Header carrying `sha256=<hex HMAC-SHA256(secret, timestamp ++ body)>`.
pub const SIGNATURE_HEADER: &str = "x-huiyi-signature";
/// How far the timestamp may be from the server clock, either way.
pub const MAX_SKEW_SECS: i64 = 300;
/// The most events one batch may carry.
pub const MAX_BATCH_EVENTS: usize = 500;
/// The longest `eventId`, participant id, viewer id or roll-call id, in characters.
pub const MAX_ID_CHARS: usize = 128;
pub use huiyi_domain::session::MAX_NAME_CHARS;

const SIGNATURE_PREFIX: &str = "sha256=";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac
}

/// The signature header's value for `body` sent at `timestamp` (decimal unix seconds):
/// `sha256=` followed by the lowercase hex of HMAC-SHA256(secret, timestamp ++ body).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("{SIGNATURE_PREFIX}{}", hex::encode(tag))
}

/// Checks a media request: the timestamp header must be decimal unix seconds at most
/// [`MAX_SKEW_SECS`] from `now_unix`, and the signature header must be the HMAC of that
/// timestamp followed by the body (`sha256=<hex>` or bare hex, either case), compared in
/// constant time. An empty secret verifies nothing: [`Code::MediaDisabled`].
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), WireError> {
    if secret.is_empty() {
        return Err(WireError::new(
            Code::MediaDisabled,
            "the server has no media secret configured, so it takes no media events; set media_secret (HUIYI_MEDIA_SECRET)",
        ));
    }
    let timestamp = timestamp.ok_or_else(|| {
        WireError::new(
            Code::MediaTimestampRejected,
            format!(
                "the {TIMESTAMP_HEADER} header is missing; send the current unix time in seconds, and sign it together with the body"
            ),
        )
    })?;
    let at = parse_unix_seconds(timestamp).ok_or_else(|| {
        WireError::new(
            Code::MediaTimestampRejected,
            format!(
                "the {TIMESTAMP_HEADER} header is not unix seconds; send the current unix time as a decimal integer, e.g. 1700000000"
            ),
        )
    })?;
    let off = now_unix.abs_diff(at);
    if off > MAX_SKEW_SECS.unsigned_abs() {
        return Err(WireError::new(
            Code::MediaTimestampRejected,
            format!(
                "the {TIMESTAMP_HEADER} header is {off} seconds off the server clock (which reads {now_unix}); at most {MAX_SKEW_SECS} are accepted: sign each request when it is sent, and keep the media server's clock in sync (NTP)"
            ),
        ));
    }
    let signature = signature.ok_or_else(|| {
        WireError::new(
            Code::MediaSignatureRejected,
            format!(
                "the {SIGNATURE_HEADER} header is missing; send sha256=<hex of HMAC-SHA256(media secret, timestamp header + body)>"
            ),
        )
    })?;
    let tag = decode_signature(signature).ok_or_else(|| {
        WireError::new(
            Code::MediaSignatureRejected,
            format!(
                "the {SIGNATURE_HEADER} header is not sha256= followed by 64 hex digits; send the hex HMAC-SHA256 of the timestamp header followed by the body"
            ),
        )
    })?;
    mac(secret, timestamp, body).verify_slice(&tag).map_err(|_| {
        WireError::new(
            Code::MediaSignatureRejected,
            format!(
                "the {SIGNATURE_HEADER} header does not match: sign the {TIMESTAMP_HEADER} value followed by the exact body bytes with HMAC-SHA256, using the media secret the server is configured with"
            ),
        )
    })
}

fn parse_unix_seconds(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn decode_signature(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let hex_part = match s.get(..SIGNATURE_PREFIX.len()) {
        Some(p) if p.eq_ignore_ascii_case(SIGNATURE_PREFIX) => &s[SIGNATURE_PREFIX.len()..],
        _ => s,
    };
    if hex_part.len() != 64 {
        return None;
    }
    hex::decode(hex_part).ok()
}

/// The HTTP status `/media/v1/events` answers a code with: stricter than the rest of the API,
/// so a media server can tell a refusal from a retryable failure without reading the body.
pub fn http_status(code: Code) -> u16 {
    match code {
        Code::MediaSignatureRejected | Code::MediaTimestampRejected => 401,
        Code::MediaDisabled => 503,
        Code::InvalidParameter | Code::MalformedBody => 400,
        Code::ConferenceNotFound => 404,
        Code::NotJoinable | Code::NoSession => 409,
        Code::BodyTooLarge => 413,
        // Worth retrying: the batch was not stored.
        Code::ConcurrentChange => 503,
        Code::Internal => 500,
        other => other.http_status(),
    }
}

/// How an event names its meeting.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MeetingRef {
    /// The booking's `conferenceId` (digits).
    Conference(String),
    /// A passcode (`pcode`) of the meeting, host's or attendees' (digits).
    Passcode(String),
}

/// One event of a batch: a fact about a meeting, with the producer's id for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaEvent {
    /// The producer's id for this event; a replayed id is ignored.
    pub event_id: String,
    /// When it happened, unix milliseconds (> 0); `None`: when it arrives.
    pub at_ms: Option<i64>,
    pub meeting: MeetingRef,
    /// For a recurring booking, the start (unix seconds) of the occurrence it is about.
    pub occurrence_start: Option<i64>,
    pub fact: Fact,
}

impl MediaEvent {
    /// The event as it travels: the common keys, then the fact's own.
    pub fn to_json(&self) -> Value {
        let Ok(Value::Object(fact)) = serde_json::to_value(&self.fact) else {
            unreachable!("a fact serialises to a JSON object");
        };
        let mut out = Map::new();
        out.insert("eventId".into(), self.event_id.clone().into());
        out.insert("type".into(), self.fact.kind().into());
        if let Some(at) = self.at_ms {
            out.insert("at".into(), at.into());
        }
        match &self.meeting {
            MeetingRef::Conference(id) => out.insert("conferenceId".into(), id.clone().into()),
            MeetingRef::Passcode(p) => out.insert("pcode".into(), p.clone().into()),
        };
        if let Some(start) = self.occurrence_start {
            out.insert("occurrenceStart".into(), start.into());
        }
        out.extend(fact.into_iter().filter(|(k, _)| k != "type"));
        Value::Object(out)
    }
}

/// The body for a batch of events: `{"events": [...]}`.
pub fn encode_batch(events: &[MediaEvent]) -> Vec<u8> {
    let events: Vec<Value> = events.iter().map(MediaEvent::to_json).collect();
    serde_json::to_vec(&serde_json::json!({ "events": events }))
        .expect("a JSON value always serialises")
}

/// What the server answers a batch with (the envelope's `result`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaAnswer {
    /// Events stored now.
    pub accepted: i64,
    /// Events whose `eventId` had been seen before (or earlier in the same batch): ignored.
    pub duplicates: i64,
    /// Every session the batch touched, as it stands after the batch.
    pub sessions: Vec<MediaSessionAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaSessionAnswer {
    pub conference_id: String,
    pub occurrence_start: Option<i64>,
    /// The session's id, as the room-era endpoints name a held meeting.
    pub temp_conference_id: String,
    /// The meeting's status code (as `getConference` reports it).
    pub status: i64,
    /// People in the session now.
    pub attendees: i64,
}

/// The event type names, in the order the documentation lists them.
pub const EVENT_TYPES: [&str; 16] = [
    "participant.joined",
    "participant.left",
    "participant.waiting",
    "participant.admitted",
    "participant.removed",
    "voice.switched",
    "hand.raised",
    "hand.lowered",
    "rollcall.started",
    "rollcall.answered",
    "room.locked",
    "room.unlocked",
    "viewer.joined",
    "viewer.left",
    "recording.produced",
    "session.ended",
];

/// What a field's value must be.
#[derive(Clone, Copy)]
enum Kind {
    /// A string of at most `max` characters (if given).
    Text(Option<usize>),
    /// An integer of at least the given value.
    Int(i64),
    Bool,
    /// One of the given strings.
    OneOf(&'static [&'static str]),
    Object(&'static [Field]),
}

#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    kind: Kind,
    /// Required fields must be present, and strings among them non-empty.
    required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

const ID: Kind = Kind::Text(Some(MAX_ID_CHARS));
const NAME: Kind = Kind::Text(Some(MAX_NAME_CHARS));
const TEXT: Kind = Kind::Text(None);
const VOICES: &[&str] = &["network", "phone"];

const PARTICIPANT: &[Field] = &[
    req("id", ID),
    opt("userId", Kind::Int(1)),
    opt("name", NAME),
    opt("email", TEXT),
    opt("mobile", TEXT),
    opt("role", Kind::OneOf(&["host", "attendee"])),
    opt("client", Kind::OneOf(&["pc", "phone", "web"])),
    opt("voice", Kind::OneOf(VOICES)),
    opt("address", TEXT),
    opt("tag", TEXT),
];

const VIEWER: &[Field] = &[
    req("id", ID),
    opt("name", NAME),
    opt("mobile", TEXT),
    opt("email", TEXT),
    opt("device", TEXT),
    opt("browser", TEXT),
    opt("ip", TEXT),
    opt("city", TEXT),
];

const RECORDING: &[Field] = &[
    req("location", TEXT),
    opt("sizeBytes", Kind::Int(0)),
    opt("durationSecs", Kind::Int(0)),
    opt("format", TEXT),
];

/// Each event type's own fields, as `Fact` serialises them.
const SCHEMAS: [(&str, &[Field]); 16] = [
    (
        "participant.joined",
        &[req("participant", Kind::Object(PARTICIPANT))],
    ),
    ("participant.left", &[req("participantId", ID)]),
    (
        "participant.waiting",
        &[req("participant", Kind::Object(PARTICIPANT))],
    ),
    ("participant.admitted", &[req("participantId", ID)]),
    ("participant.removed", &[req("participantId", ID)]),
    (
        "voice.switched",
        &[
            req("participantId", ID),
            req("voice", Kind::OneOf(VOICES)),
            opt("address", TEXT),
        ],
    ),
    ("hand.raised", &[req("participantId", ID)]),
    ("hand.lowered", &[req("participantId", ID)]),
    (
        "rollcall.started",
        &[req("rollCallId", ID), opt("video", Kind::Bool)],
    ),
    (
        "rollcall.answered",
        &[
            req("rollCallId", ID),
            req("participantId", ID),
            opt("video", Kind::Bool),
        ],
    ),
    ("room.locked", &[]),
    ("room.unlocked", &[]),
    ("viewer.joined", &[req("viewer", Kind::Object(VIEWER))]),
    ("viewer.left", &[req("viewerId", ID)]),
    (
        "recording.produced",
        &[req("recording", Kind::Object(RECORDING))],
    ),
    (
        "session.ended",
        &[opt("reason", Kind::OneOf(&["host", "grace"]))],
    ),
];

fn invalid(message: String) -> WireError {
    WireError::new(Code::InvalidParameter, message)
}

/// Reads a batch: `{"events": [event, ...]}` with 1 to [`MAX_BATCH_EVENTS`] events. A body
/// that is not a JSON object is [`Code::MalformedBody`]; anything else wrong is
/// [`Code::InvalidParameter`] with a message naming the place (`events[3].participant.id`).
/// The batch is all or nothing: one bad event refuses it whole.
pub fn parse_batch(body: &[u8]) -> Result<Vec<MediaEvent>, WireError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        WireError::new(
            Code::MalformedBody,
            format!("the body is not JSON ({e}); send {{\"events\": [...]}}"),
        )
    })?;
    let Value::Object(mut top) = value else {
        return Err(WireError::new(
            Code::MalformedBody,
            "the body is not a JSON object; send {\"events\": [...]}",
        ));
    };
    if let Some(key) = top.keys().find(|k| *k != "events") {
        return Err(invalid(format!(
            "the body has an unknown key \"{key}\"; it takes only \"events\""
        )));
    }
    let events = match top.remove("events") {
        None | Some(Value::Null) => return Err(invalid("events is required".into())),
        Some(Value::Array(events)) => events,
        Some(_) => {
            return Err(invalid("events must be an array of event objects".into()));
        }
    };
    if events.is_empty() {
        return Err(invalid(format!(
            "events is empty; send 1 to {MAX_BATCH_EVENTS} events"
        )));
    }
    if events.len() > MAX_BATCH_EVENTS {
        return Err(invalid(format!(
            "events holds {} events; send at most {MAX_BATCH_EVENTS} in one batch",
            events.len()
        )));
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| parse_event(&format!("events[{i}]"), e))
        .collect()
}

fn parse_event(place: &str, value: Value) -> Result<MediaEvent, WireError> {
    let Value::Object(mut map) = value else {
        return Err(invalid(format!("{place} must be an object")));
    };
    map.retain(|_, v| !v.is_null());

    let event_id = match map.remove("eventId") {
        None => return Err(invalid(format!("{place}.eventId is required"))),
        Some(Value::String(s)) => s,
        Some(_) => return Err(invalid(format!("{place}.eventId must be a string"))),
    };
    let chars = event_id.chars().count();
    if chars == 0 {
        return Err(invalid(format!("{place}.eventId must not be empty")));
    }
    if chars > MAX_ID_CHARS {
        return Err(invalid(format!(
            "{place}.eventId is {chars} characters long; at most {MAX_ID_CHARS} are allowed"
        )));
    }
    if event_id.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{place}.eventId holds a control character; use printable characters only"
        )));
    }

    let fields = match map.get("type") {
        None => return Err(invalid(format!("{place}.type is required"))),
        Some(Value::String(t)) => match SCHEMAS.iter().find(|(name, _)| name == t) {
            Some((_, fields)) => *fields,
            None => {
                return Err(invalid(format!(
                    "{place}.type \"{t}\" is not an event type; use one of {}",
                    EVENT_TYPES.join(", ")
                )));
            }
        },
        Some(_) => return Err(invalid(format!("{place}.type must be a string"))),
    };

    let meeting = match (map.remove("conferenceId"), map.remove("pcode")) {
        (Some(id), None) => MeetingRef::Conference(digits(&id, &format!("{place}.conferenceId"))?),
        (None, Some(p)) => MeetingRef::Passcode(digits(&p, &format!("{place}.pcode"))?),
        (Some(_), Some(_)) => {
            return Err(invalid(format!(
                "{place} names both conferenceId and pcode; send exactly one of them"
            )));
        }
        (None, None) => {
            return Err(invalid(format!(
                "{place} needs conferenceId or pcode to name its meeting"
            )));
        }
    };
    let at_ms = positive(
        map.remove("at"),
        &format!("{place}.at"),
        "unix milliseconds",
    )?;
    let occurrence_start = positive(
        map.remove("occurrenceStart"),
        &format!("{place}.occurrenceStart"),
        "unix seconds",
    )?;

    let mut own: Vec<&str> = vec!["type"];
    own.extend(fields.iter().map(|f| f.name));
    if let Some(key) = map.keys().find(|k| !own.contains(&k.as_str())) {
        let kind = map["type"].as_str().unwrap_or_default();
        let mut takes = vec![
            "eventId",
            "type",
            "at",
            "conferenceId or pcode",
            "occurrenceStart",
        ];
        takes.extend(fields.iter().map(|f| f.name));
        return Err(invalid(format!(
            "{place} has an unknown key \"{key}\"; a {kind} event takes {}",
            takes.join(", ")
        )));
    }
    check_fields(&mut map, fields, place)?;

    let fact: Fact = serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let path = e.path().to_string();
        if path == "." || path.is_empty() {
            invalid(format!("{place}: {}", e.inner()))
        } else {
            invalid(format!("{place}.{path}: {}", e.inner()))
        }
    })?;
    Ok(MediaEvent {
        event_id,
        at_ms,
        meeting,
        occurrence_start,
        fact,
    })
}

/// A meeting number: a string of digits, or a JSON number (a non-negative integer).
fn digits(value: &Value, place: &str) -> Result<String, WireError> {
    match value {
        Value::String(s)
            if !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(s.clone())
        }
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        _ => Err(invalid(format!(
            "{place} must be a string of digits, e.g. \"123456789\""
        ))),
    }
}

fn positive(value: Option<Value>, place: &str, unit: &str) -> Result<Option<i64>, WireError> {
    match value {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(invalid(format!(
                "{place} must be a positive integer ({unit})"
            ))),
        },
    }
}

/// Checks an object's fields against their schema: required ones present, values of the right
/// JSON type and within bounds. Keys holding null count as absent and have been removed, and
/// unknown keys refused, by the caller.
fn check_fields(
    map: &mut Map<String, Value>,
    fields: &[Field],
    place: &str,
) -> Result<(), WireError> {
    for field in fields {
        let at = format!("{place}.{}", field.name);
        match map.get_mut(field.name) {
            None if field.required => return Err(invalid(format!("{at} is required"))),
            None => {}
            Some(value) => check_value(value, field, &at)?,
        }
    }
    Ok(())
}

fn check_value(value: &mut Value, field: &Field, at: &str) -> Result<(), WireError> {
    match field.kind {
        Kind::Text(max) => {
            let Some(s) = value.as_str() else {
                return Err(invalid(format!("{at} must be a string")));
            };
            if field.required && s.is_empty() {
                return Err(invalid(format!("{at} must not be empty")));
            }
            let chars = s.chars().count();
            if let Some(max) = max
                && chars > max
            {
                return Err(invalid(format!(
                    "{at} is {chars} characters long; at most {max} are allowed"
                )));
            }
        }
        Kind::Int(min) => match value.as_i64() {
            Some(n) if n >= min => {}
            Some(_) if min == 0 => return Err(invalid(format!("{at} must not be negative"))),
            Some(_) => return Err(invalid(format!("{at} must be at least {min}"))),
            None => return Err(invalid(format!("{at} must be an integer"))),
        },
        Kind::Bool => {
            if !value.is_boolean() {
                return Err(invalid(format!("{at} must be true or false")));
            }
        }
        Kind::OneOf(names) => match value.as_str() {
            Some(s) if names.contains(&s) => {}
            Some(s) => {
                return Err(invalid(format!(
                    "{at} \"{s}\" is not one of {}",
                    names.join(", ")
                )));
            }
            None => {
                return Err(invalid(format!(
                    "{at} must be one of the strings {}",
                    names.join(", ")
                )));
            }
        },
        Kind::Object(fields) => {
            let Some(map) = value.as_object_mut() else {
                return Err(invalid(format!("{at} must be an object")));
            };
            map.retain(|_, v| !v.is_null());
            if let Some(key) = map
                .keys()
                .find(|k| !fields.iter().any(|f| f.name == k.as_str()))
            {
                let takes: Vec<&str> = fields.iter().map(|f| f.name).collect();
                return Err(invalid(format!(
                    "{at} has an unknown key \"{key}\"; it takes {}",
                    takes.join(", ")
                )));
            }
            check_fields(map, fields, at)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use huiyi_domain::session::{
        ClientType, EndReason, Participant, Recording, Role, Viewer, Voice,
    };

    const SECRET: &[u8] = b"secret";
    const NOW: i64 = 1_700_000_000;

    fn check(timestamp: Option<&str>, signature: Option<&str>, body: &[u8]) -> Result<(), Code> {
        verify(SECRET, timestamp, signature, body, NOW).map_err(|e| e.code)
    }

    #[test]
    fn a_known_vector() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"secret",b"1700000000{}",hashlib.sha256).hexdigest())'
        assert_eq!(
            sign(b"secret", "1700000000", b"{}"),
            "sha256=44ce8e0f7504556aeb153d9b759d97fc4cafca62b55071cd6609dcd5e1d77479"
        );
    }

    #[test]
    fn a_signed_request_verifies() {
        let body = br#"{"events":[]}"#;
        let sig = sign(SECRET, "1700000000", body);
        assert_eq!(check(Some("1700000000"), Some(&sig), body), Ok(()));
        // Bare hex, and upper case, are accepted too.
        let bare = sig.trim_start_matches("sha256=");
        assert_eq!(check(Some("1700000000"), Some(bare), body), Ok(()));
        let upper = sig.to_uppercase();
        assert_eq!(check(Some("1700000000"), Some(&upper), body), Ok(()));
        // Within the skew, either way.
        for ts in ["1699999700", "1700000300"] {
            let sig = sign(SECRET, ts, body);
            assert_eq!(check(Some(ts), Some(&sig), body), Ok(()), "{ts}");
        }
    }

    #[test]
    fn a_wrong_signature_is_rejected() {
        let body = br#"{"events":[]}"#;
        let ts = "1700000000";
        let wrong_secret = sign(b"other", ts, body);
        assert_eq!(
            check(Some(ts), Some(&wrong_secret), body),
            Err(Code::MediaSignatureRejected)
        );
        let sig = sign(SECRET, ts, body);
        assert_eq!(
            check(Some(ts), Some(&sig), br#"{"events":[1]}"#),
            Err(Code::MediaSignatureRejected),
            "tampered body"
        );
        // The timestamp is signed too: a replay under a fresh timestamp fails.
        assert_eq!(
            check(Some("1700000001"), Some(&sig), body),
            Err(Code::MediaSignatureRejected)
        );
        assert_eq!(
            check(Some(ts), None, body),
            Err(Code::MediaSignatureRejected)
        );
        for bad in [
            "",
            "sha256=",
            "sha256=abc",
            "md5=00",
            &format!("{}0", sig),
            "sha256=zz",
        ] {
            assert_eq!(
                check(Some(ts), Some(bad), body),
                Err(Code::MediaSignatureRejected),
                "{bad}"
            );
        }
        let e = verify(SECRET, Some(ts), Some(&wrong_secret), body, NOW).unwrap_err();
        assert!(
            !e.message.contains(&sig[7..]),
            "never echo the expected signature"
        );
    }

    #[test]
    fn a_bad_timestamp_is_rejected() {
        let body = b"{}";
        for ts in ["1699999699", "1700000301"] {
            let sig = sign(SECRET, ts, body);
            assert_eq!(
                check(Some(ts), Some(&sig), body),
                Err(Code::MediaTimestampRejected),
                "{ts}"
            );
        }
        let sig = sign(SECRET, "1700000000", body);
        assert_eq!(
            check(None, Some(&sig), body),
            Err(Code::MediaTimestampRejected)
        );
        assert_eq!(check(None, None, body), Err(Code::MediaTimestampRejected));
        for ts in [
            "",
            "abc",
            "1700000000.5",
            "-1700000000",
            "+1700000000",
            " 1700000000",
            "1700000000000000000000",
        ] {
            let sig = sign(SECRET, ts, body);
            assert_eq!(
                check(Some(ts), Some(&sig), body),
                Err(Code::MediaTimestampRejected),
                "{ts:?}"
            );
        }
    }

    #[test]
    fn an_empty_secret_verifies_nothing() {
        let sig = sign(b"", "1700000000", b"{}");
        let e = verify(b"", Some("1700000000"), Some(&sig), b"{}", NOW).unwrap_err();
        assert_eq!(e.code, Code::MediaDisabled);
    }

    #[test]
    fn media_http_statuses() {
        assert_eq!(http_status(Code::MediaSignatureRejected), 401);
        assert_eq!(http_status(Code::MediaTimestampRejected), 401);
        assert_eq!(http_status(Code::MediaDisabled), 503);
        assert_eq!(http_status(Code::InvalidParameter), 400);
        assert_eq!(http_status(Code::MalformedBody), 400);
        assert_eq!(http_status(Code::ConferenceNotFound), 404);
        assert_eq!(http_status(Code::NotJoinable), 409);
        assert_eq!(http_status(Code::NoSession), 409);
        assert_eq!(http_status(Code::BodyTooLarge), 413);
    }

    /// One sample of every fact, with every optional field set.
    fn samples() -> Vec<Fact> {
        vec![
            Fact::ParticipantJoined {
                participant: Participant {
                    id: "p1".into(),
                    user_id: Some(81299515),
                    name: "张三".into(),
                    email: "z@example.com".into(),
                    mobile: "13800000000".into(),
                    role: Role::Host,
                    client: ClientType::Pc,
                    voice: Voice::Network,
                    address: "10.0.0.5".into(),
                    tag: "sales".into(),
                },
            },
            Fact::ParticipantLeft {
                participant_id: "p1".into(),
            },
            Fact::ParticipantWaiting {
                participant: Participant {
                    id: "p2".into(),
                    user_id: Some(87679779),
                    name: "等候".into(),
                    email: "w@example.com".into(),
                    mobile: "13700000000".into(),
                    role: Role::Attendee,
                    client: ClientType::Web,
                    voice: Voice::Network,
                    address: "10.0.0.6".into(),
                    tag: "aa".into(),
                },
            },
            Fact::ParticipantAdmitted {
                participant_id: "p2".into(),
            },
            Fact::ParticipantRemoved {
                participant_id: "p2".into(),
            },
            Fact::VoiceSwitched {
                participant_id: "p1".into(),
                voice: Voice::Phone,
                address: "+8613800000000".into(),
            },
            Fact::HandRaised {
                participant_id: "p1".into(),
            },
            Fact::HandLowered {
                participant_id: "p1".into(),
            },
            Fact::RollCallStarted {
                roll_call_id: "rc1".into(),
                video: true,
            },
            Fact::RollCallAnswered {
                roll_call_id: "rc1".into(),
                participant_id: "p1".into(),
                video: true,
            },
            Fact::RoomLocked,
            Fact::RoomUnlocked,
            Fact::ViewerJoined {
                viewer: Viewer {
                    id: "v1".into(),
                    name: "李四".into(),
                    mobile: "13900000000".into(),
                    email: "l@example.com".into(),
                    device: "iPhone".into(),
                    browser: "Safari".into(),
                    ip: "10.0.0.9".into(),
                    city: "Beijing".into(),
                },
            },
            Fact::ViewerLeft {
                viewer_id: "v1".into(),
            },
            Fact::RecordingProduced {
                recording: Recording {
                    location: "https://media.example/r/1.mp4".into(),
                    size_bytes: 1_048_576,
                    duration_secs: 3600,
                    format: "mp4".into(),
                },
            },
            Fact::SessionEnded {
                reason: EndReason::Host,
            },
        ]
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    fn names(fields: &[Field]) -> Vec<String> {
        let mut k: Vec<String> = fields.iter().map(|f| f.name.to_owned()).collect();
        k.sort();
        k
    }

    /// The schemas here list exactly the keys `Fact` serialises, nested objects included.
    #[test]
    fn the_schemas_match_the_facts() {
        let samples = samples();
        assert_eq!(samples.len(), SCHEMAS.len());
        for (fact, (name, fields)) in samples.iter().zip(SCHEMAS) {
            assert_eq!(fact.kind(), name);
            let mut v = serde_json::to_value(fact).unwrap();
            v.as_object_mut().unwrap().remove("type");
            assert_eq!(keys(&v), names(fields), "{name}");
            for f in fields {
                if let Kind::Object(inner) = f.kind {
                    assert_eq!(keys(&v[f.name]), names(inner), "{name}.{}", f.name);
                }
            }
        }
        let listed: Vec<&str> = SCHEMAS.iter().map(|(n, _)| *n).collect();
        assert_eq!(listed, EVENT_TYPES);
        for key in ["eventId", "at", "conferenceId", "pcode", "occurrenceStart"] {
            assert!(SCHEMAS.iter().all(|(_, f)| f.iter().all(|f| f.name != key)));
        }
    }

    #[test]
    fn every_event_type_parses_and_round_trips() {
        let events: Vec<MediaEvent> = samples()
            .into_iter()
            .enumerate()
            .map(|(i, fact)| MediaEvent {
                event_id: format!("e{i}"),
                at_ms: (i % 2 == 0).then_some(1_700_000_000_000 + i as i64),
                meeting: if i % 3 == 0 {
                    MeetingRef::Passcode("12345678".into())
                } else {
                    MeetingRef::Conference("123456789".into())
                },
                occurrence_start: (i % 4 == 0).then_some(1_700_000_000),
                fact,
            })
            .collect();
        let body = encode_batch(&events);
        assert_eq!(parse_batch(&body).unwrap(), events);
    }

    fn one(event: &str) -> Result<MediaEvent, WireError> {
        parse_batch(format!(r#"{{"events": [{event}]}}"#).as_bytes()).map(|mut v| v.remove(0))
    }

    #[test]
    fn the_documented_examples_parse() {
        let e = one(
            r#"{"eventId": "a-1", "type": "participant.joined", "at": 1700000000123, "conferenceId": "123456789",
                "participant": {"id":"p1","name":"张三","role":"host","client":"pc","voice":"network","address":"10.0.0.5","userId":81299515}}"#,
        )
        .unwrap();
        assert_eq!(e.event_id, "a-1");
        assert_eq!(e.at_ms, Some(1_700_000_000_123));
        assert_eq!(e.meeting, MeetingRef::Conference("123456789".into()));
        let Fact::ParticipantJoined { participant } = &e.fact else {
            panic!("{e:?}")
        };
        assert_eq!(participant.user_id, Some(81299515));
        assert_eq!(participant.role, Role::Host);
        assert_eq!(participant.email, "");

        // Numbers name meetings too; defaults fill what is left out; null is "not given".
        let e =
            one(r#"{"eventId": "a-2", "type": "session.ended", "pcode": 12345678, "at": null}"#)
                .unwrap();
        assert_eq!(e.meeting, MeetingRef::Passcode("12345678".into()));
        assert_eq!(e.at_ms, None);
        assert_eq!(
            e.fact,
            Fact::SessionEnded {
                reason: EndReason::Host
            }
        );
        let e = one(r#"{"eventId": "a-3", "type": "rollcall.started", "conferenceId": 123456789, "rollCallId": "rc"}"#)
            .unwrap();
        assert_eq!(e.meeting, MeetingRef::Conference("123456789".into()));
        assert_eq!(
            e.fact,
            Fact::RollCallStarted {
                roll_call_id: "rc".into(),
                video: false
            }
        );
        let e = one(r#"{"eventId": "a-4", "type": "room.locked", "conferenceId": "1", "occurrenceStart": 1700000000}"#)
            .unwrap();
        assert_eq!(e.occurrence_start, Some(1_700_000_000));
        assert_eq!(e.fact, Fact::RoomLocked);
    }

    fn refused(body: &str) -> (Code, String) {
        let e = parse_batch(body.as_bytes()).unwrap_err();
        (e.code, e.message)
    }

    fn refused_event(event: &str) -> String {
        let e = one(event).unwrap_err();
        assert_eq!(e.code, Code::InvalidParameter, "{}", e.message);
        e.message
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_malformed() {
        for body in ["", "not json", "[1]", "\"events\"", "{\"events\": [}"] {
            assert_eq!(refused(body).0, Code::MalformedBody, "{body}");
        }
        assert_eq!(
            parse_batch(b"\xff\xfe").unwrap_err().code,
            Code::MalformedBody
        );
    }

    #[test]
    fn the_batch_must_hold_1_to_500_events() {
        let cases = [
            ("{}", "events is required"),
            (r#"{"events": null}"#, "events is required"),
            (r#"{"events": {}}"#, "events must be an array"),
            (r#"{"events": []}"#, "events is empty"),
            (r#"{"events": [], "extra": 1}"#, "unknown key \"extra\""),
            (r#"{"events": [1]}"#, "events[0] must be an object"),
        ];
        for (body, want) in cases {
            let (code, msg) = refused(body);
            assert_eq!(code, Code::InvalidParameter, "{body}");
            assert!(msg.contains(want), "{body}: {msg}");
        }
        let event = r#"{"eventId":"x","type":"room.locked","conferenceId":"1"}"#;
        let full = format!(
            r#"{{"events": [{}]}}"#,
            vec![event; MAX_BATCH_EVENTS].join(",")
        );
        assert_eq!(
            parse_batch(full.as_bytes()).unwrap().len(),
            MAX_BATCH_EVENTS
        );
        let over = format!(
            r#"{{"events": [{}]}}"#,
            vec![event; MAX_BATCH_EVENTS + 1].join(",")
        );
        let (code, msg) = refused(&over);
        assert_eq!(code, Code::InvalidParameter);
        assert!(msg.contains("at most 500"), "{msg}");
    }

    #[test]
    fn the_common_keys_are_checked() {
        let long = "x".repeat(129);
        let cases: Vec<(String, &str)> = vec![
            (
                r#"{"type":"room.locked","conferenceId":"1"}"#.into(),
                "events[0].eventId is required",
            ),
            (
                r#"{"eventId":"","type":"room.locked","conferenceId":"1"}"#.into(),
                "events[0].eventId must not be empty",
            ),
            (
                r#"{"eventId":7,"type":"room.locked","conferenceId":"1"}"#.into(),
                "events[0].eventId must be a string",
            ),
            (
                format!(r#"{{"eventId":"{long}","type":"room.locked","conferenceId":"1"}}"#),
                "events[0].eventId is 129 characters long",
            ),
            (
                r#"{"eventId":"a\nb","type":"room.locked","conferenceId":"1"}"#.into(),
                "events[0].eventId holds a control character",
            ),
            (
                r#"{"eventId":"x","conferenceId":"1"}"#.into(),
                "events[0].type is required",
            ),
            (
                r#"{"eventId":"x","type":5,"conferenceId":"1"}"#.into(),
                "events[0].type must be a string",
            ),
            (
                r#"{"eventId":"x","type":"room.lock"}"#.into(),
                "events[0].type \"room.lock\" is not an event type; use one of participant.joined, participant.left,",
            ),
            (
                r#"{"eventId":"x","type":"room.locked"}"#.into(),
                "events[0] needs conferenceId or pcode",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","conferenceId":"1","pcode":"2"}"#.into(),
                "events[0] names both conferenceId and pcode",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","conferenceId":"12a"}"#.into(),
                "events[0].conferenceId must be a string of digits",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","conferenceId":""}"#.into(),
                "events[0].conferenceId must be a string of digits",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","conferenceId":-1}"#.into(),
                "events[0].conferenceId must be a string of digits",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","pcode":1.5}"#.into(),
                "events[0].pcode must be a string of digits",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","pcode":"1","at":0}"#.into(),
                "events[0].at must be a positive integer (unix milliseconds)",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","pcode":"1","at":-5}"#.into(),
                "events[0].at must be a positive integer",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","pcode":"1","at":"1700000000000"}"#.into(),
                "events[0].at must be a positive integer",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","pcode":"1","at":1.5}"#.into(),
                "events[0].at must be a positive integer",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","pcode":"1","occurrenceStart":0}"#.into(),
                "events[0].occurrenceStart must be a positive integer (unix seconds)",
            ),
            (
                r#"{"eventId":"x","type":"room.locked","pcode":"1","participantId":"p"}"#.into(),
                "events[0] has an unknown key \"participantId\"; a room.locked event takes eventId, type, at, conferenceId or pcode, occurrenceStart",
            ),
            (
                r#"{"eventId":"x","type":"hand.raised","pcode":"1","participantID":"p"}"#.into(),
                "events[0] has an unknown key \"participantID\"",
            ),
        ];
        for (event, want) in cases {
            let msg = refused_event(&event);
            assert!(msg.contains(want), "{event}: {msg}");
        }
        // The second event's place is named.
        let (_, msg) = refused(
            r#"{"events": [{"eventId":"x","type":"room.locked","pcode":"1"}, {"eventId":"y","type":"nope","pcode":"1"}]}"#,
        );
        assert!(msg.starts_with("events[1].type"), "{msg}");
    }

    #[test]
    fn the_fields_of_each_type_are_checked() {
        let head = r#""eventId":"x","conferenceId":"123456789""#;
        let long_id = "p".repeat(129);
        let long_name = "名".repeat(MAX_NAME_CHARS + 1);
        let cases: Vec<(String, &str)> = vec![
            (
                r#""type":"participant.joined""#.into(),
                "events[0].participant is required",
            ),
            (
                r#""type":"participant.joined","participant":"p1""#.into(),
                "events[0].participant must be an object",
            ),
            (
                r#""type":"participant.joined","participant":{"name":"a"}"#.into(),
                "events[0].participant.id is required",
            ),
            (
                r#""type":"participant.joined","participant":{"id":""}"#.into(),
                "events[0].participant.id must not be empty",
            ),
            (
                r#""type":"participant.joined","participant":{"id":5}"#.into(),
                "events[0].participant.id must be a string",
            ),
            (
                format!(r#""type":"participant.joined","participant":{{"id":"{long_id}"}}"#),
                "events[0].participant.id is 129 characters long; at most 128",
            ),
            (
                format!(
                    r#""type":"participant.joined","participant":{{"id":"p","name":"{long_name}"}}"#
                ),
                "events[0].participant.name is 129 characters long; at most 128",
            ),
            (
                r#""type":"participant.joined","participant":{"id":"p","role":"boss"}"#.into(),
                "events[0].participant.role \"boss\" is not one of host, attendee",
            ),
            (
                r#""type":"participant.joined","participant":{"id":"p","client":1}"#.into(),
                "events[0].participant.client must be one of the strings pc, phone, web",
            ),
            (
                r#""type":"participant.joined","participant":{"id":"p","userId":"81299515"}"#
                    .into(),
                "events[0].participant.userId must be an integer",
            ),
            (
                r#""type":"participant.joined","participant":{"id":"p","userId":0}"#.into(),
                "events[0].participant.userId must be at least 1",
            ),
            (
                r#""type":"participant.joined","participant":{"id":"p","nmae":"a"}"#.into(),
                "events[0].participant has an unknown key \"nmae\"; it takes id, userId, name,",
            ),
            (
                r#""type":"participant.left""#.into(),
                "events[0].participantId is required",
            ),
            (
                r#""type":"participant.left","participantId":"""#.into(),
                "events[0].participantId must not be empty",
            ),
            (
                r#""type":"voice.switched","participantId":"p""#.into(),
                "events[0].voice is required",
            ),
            (
                r#""type":"voice.switched","participantId":"p","voice":"pstn""#.into(),
                "events[0].voice \"pstn\" is not one of network, phone",
            ),
            (
                r#""type":"hand.raised","participantId":"""#.into(),
                "events[0].participantId must not be empty",
            ),
            (
                r#""type":"hand.lowered""#.into(),
                "events[0].participantId is required",
            ),
            (
                r#""type":"rollcall.started","rollCallId":"""#.into(),
                "events[0].rollCallId must not be empty",
            ),
            (
                r#""type":"rollcall.started","rollCallId":"r","video":"yes""#.into(),
                "events[0].video must be true or false",
            ),
            (
                r#""type":"rollcall.answered","rollCallId":"r""#.into(),
                "events[0].participantId is required",
            ),
            (
                r#""type":"rollcall.answered","participantId":"p""#.into(),
                "events[0].rollCallId is required",
            ),
            (
                r#""type":"viewer.joined","viewer":{}"#.into(),
                "events[0].viewer.id is required",
            ),
            (
                format!(r#""type":"viewer.joined","viewer":{{"id":"v","name":"{long_name}"}}"#),
                "events[0].viewer.name is 129 characters long",
            ),
            (
                r#""type":"viewer.joined","viewer":{"id":"v","os":"x"}"#.into(),
                "events[0].viewer has an unknown key \"os\"",
            ),
            (
                r#""type":"viewer.left","viewerId":"""#.into(),
                "events[0].viewerId must not be empty",
            ),
            (
                r#""type":"viewer.left""#.into(),
                "events[0].viewerId is required",
            ),
            (
                r#""type":"recording.produced""#.into(),
                "events[0].recording is required",
            ),
            (
                r#""type":"recording.produced","recording":{"sizeBytes":1}"#.into(),
                "events[0].recording.location is required",
            ),
            (
                r#""type":"recording.produced","recording":{"location":"a","sizeBytes":-1}"#.into(),
                "events[0].recording.sizeBytes must not be negative",
            ),
            (
                r#""type":"recording.produced","recording":{"location":"a","durationSecs":-1}"#
                    .into(),
                "events[0].recording.durationSecs must not be negative",
            ),
            (
                r#""type":"recording.produced","recording":{"location":"a","durationSecs":1.5}"#
                    .into(),
                "events[0].recording.durationSecs must be an integer",
            ),
            (
                r#""type":"session.ended","reason":"timeout""#.into(),
                "events[0].reason \"timeout\" is not one of host, grace",
            ),
        ];
        for (rest, want) in cases {
            let event = format!("{{{head},{rest}}}");
            let msg = refused_event(&event);
            assert!(msg.contains(want), "{event}: {msg}");
        }
    }

    #[test]
    fn answers_use_camel_case() {
        let a = MediaAnswer {
            accepted: 2,
            duplicates: 1,
            sessions: vec![MediaSessionAnswer {
                conference_id: "123456789".into(),
                occurrence_start: None,
                temp_conference_id: "1234567890".into(),
                status: 2,
                attendees: 2,
            }],
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"accepted": 2, "duplicates": 1, "sessions": [{
                "conferenceId": "123456789", "occurrenceStart": null,
                "tempConferenceId": "1234567890", "status": 2, "attendees": 2}]})
        );
        assert_eq!(serde_json::from_value::<MediaAnswer>(v).unwrap(), a);
    }
}
