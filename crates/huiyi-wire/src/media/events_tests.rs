//! The batch parser against every event type, the documented examples, and each way a batch
//! can be wrong.

use super::*;
use crate::media::MAX_NAME_CHARS;
use crate::media::schema::tests::samples;
use huiyi_domain::session::{EndReason, Role};

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
    let e = one(r#"{"eventId": "a-2", "type": "session.ended", "pcode": 12345678, "at": null}"#)
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
            r#""type":"participant.joined","participant":{"id":"p","userId":"81299515"}"#.into(),
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
            r#""type":"recording.produced","recording":{"location":"a","durationSecs":-1}"#.into(),
            "events[0].recording.durationSecs must not be negative",
        ),
        (
            r#""type":"recording.produced","recording":{"location":"a","durationSecs":1.5}"#.into(),
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
