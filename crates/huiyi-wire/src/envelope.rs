//! The envelope every answer travels in. Both API families carry the keys API.md §1 requires;
//! each also carries the extra keys its own examples show.

use serde::Serialize;
use serde_json::Value;

/// Which family of paths answered: their examples show different envelope keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/conference/...`: adds `callSeq`.
    V1,
    /// `getConferenceList`, whose example carries no `callSeq`: only the keys API.md §1 requires.
    V1Bare,
    /// `/confopenapi/...`: adds the room-era flags (`product_type`, `iscycle`, ...).
    Room,
}

#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    pub status: i64,
    pub result: Value,
    pub msg: String,
    pub request_id: String,
    pub reqid: String,
    pub timestamp: i64,
    #[serde(rename = "callSeq", skip_serializing_if = "Option::is_none")]
    pub call_seq: Option<String>,
    pub content_type: &'static str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomFlags>,
    pub request_duration: String,
}

/// The room-era envelope's fixed flags, present in every room-era example.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RoomFlags {
    pub product_type: &'static str,
    pub device_type: &'static str,
    pub iscycle: &'static str,
    pub isgnet: &'static str,
    pub mem_count: &'static str,
    pub verify: &'static str,
    pub video_conference_mode: &'static str,
    pub live_flag: &'static str,
    pub conferenceid: &'static str,
    pub record: i64,
    pub share_media: i64,
    pub hardware_video: i64,
    #[serde(rename = "accessNumber")]
    pub access_number: &'static str,
    pub client_ip: &'static str,
}

impl Envelope {
    pub fn new(
        family: Family,
        status: i64,
        result: Value,
        msg: String,
        request_id: String,
        timestamp_ms: i64,
        duration: std::time::Duration,
    ) -> Self {
        Self {
            status,
            result,
            msg,
            reqid: request_id.clone(),
            request_id,
            timestamp: timestamp_ms,
            call_seq: (family == Family::V1).then(String::new),
            content_type: "application/json",
            room: (family == Family::Room).then(RoomFlags::default),
            request_duration: go_duration(duration),
        }
    }
}

/// A duration as Go prints it (`1.5ms`, `626.841849ms`, `1.544086893s`), which the vendor's
/// `request_duration` uses.
pub fn go_duration(d: std::time::Duration) -> String {
    let nanos = d.as_nanos();
    let (value, unit) = if nanos < 1_000 {
        return format!("{nanos}ns");
    } else if nanos < 1_000_000 {
        (nanos as f64 / 1e3, "µs")
    } else if nanos < 1_000_000_000 {
        (nanos as f64 / 1e6, "ms")
    } else {
        (nanos as f64 / 1e9, "s")
    };
    let mut s = format!("{value:.9}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    format!("{s}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(Duration::from_micros(1500)), "1.5ms");
        assert_eq!(
            go_duration(Duration::from_nanos(626_841_849)),
            "626.841849ms"
        );
        assert_eq!(
            go_duration(Duration::from_nanos(1_544_086_893)),
            "1.544086893s"
        );
        assert_eq!(go_duration(Duration::from_nanos(800)), "800ns");
        assert_eq!(go_duration(Duration::from_micros(12)), "12µs");
    }

    #[test]
    fn families_carry_their_keys() {
        let v1 = serde_json::to_value(Envelope::new(
            Family::V1,
            0,
            Value::Null,
            String::new(),
            "r".into(),
            1,
            Duration::ZERO,
        ))
        .unwrap();
        assert!(v1.get("callSeq").is_some() && v1.get("product_type").is_none());
        let room = serde_json::to_value(Envelope::new(
            Family::Room,
            0,
            Value::Null,
            String::new(),
            "r".into(),
            1,
            Duration::ZERO,
        ))
        .unwrap();
        assert!(room.get("callSeq").is_none() && room["record"] == 0 && room["reqid"] == "r");
    }
}
