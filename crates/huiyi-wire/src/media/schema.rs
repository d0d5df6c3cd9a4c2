//! Each event type's own fields, as `Fact` serialises them: the one list of event types.

use super::{MAX_ID_CHARS, MAX_NAME_CHARS};

/// The event type names, in the order the documentation lists them (taken from the schemas,
/// so there is one list).
pub fn event_types() -> impl Iterator<Item = &'static str> {
    SCHEMAS.iter().map(|(name, _)| *name)
}

/// What a field's value must be.
#[derive(Clone, Copy)]
pub(super) enum Kind {
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
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    /// Required fields must be present, and strings among them non-empty.
    pub(super) required: bool,
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
pub(super) const SCHEMAS: [(&str, &[Field]); 16] = [
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use huiyi_domain::session::{
        ClientType, EndReason, Fact, Participant, Recording, Role, Viewer, Voice,
    };
    use serde_json::Value;

    pub(in crate::media) fn samples() -> Vec<Fact> {
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
        let listed: Vec<&str> = event_types().collect();
        assert_eq!(listed.len(), 16);
        for key in ["eventId", "at", "conferenceId", "pcode", "occurrenceStart"] {
            assert!(SCHEMAS.iter().all(|(_, f)| f.iter().all(|f| f.name != key)));
        }
    }
}
