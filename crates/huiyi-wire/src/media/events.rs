//! The batch of facts a media server sends: `{"events": [...]}`, read strictly.

use super::schema::{Field, Kind, SCHEMAS, event_types};
use super::{MAX_BATCH_EVENTS, MAX_ID_CHARS};
use crate::codes::{Code, WireError};
use huiyi_domain::session::Fact;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
                    event_types().collect::<Vec<_>>().join(", ")
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
#[path = "events_tests.rs"]
mod tests;
