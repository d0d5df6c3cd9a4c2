//! The live socket of a join page (`/live/<code>`, `/live/j/<conferenceId>`): what the page
//! sends and what the server answers, as JSON objects tagged by `type`. The server, the bench
//! and the tests all speak through these types; `docs/join-page.md` describes the exchange.

use huiyi_domain::Fact;
use huiyi_domain::session::{LiveChange, LiveState, Role};
use serde::{Deserialize, Serialize};

/// What a page sends. The first message must be `join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClientMessage {
    Join {
        #[serde(default)]
        name: String,
        /// The page's own id, kept in its storage: the same person on a reload.
        #[serde(default, rename = "clientId")]
        client_id: String,
        /// For `/live/j/<conferenceId>`: the passcode says host or attendee.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pcode: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        watchword: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tag: Option<String>,
    },
    /// "Still here", at the interval `joined` gives (`pingMs`).
    Ping,
    Hand {
        up: bool,
    },
    Answer {
        #[serde(rename = "rollCallId")]
        roll_call_id: String,
    },
    Leave,
    // The host's: lock, roll-call, admit, remove, end for all.
    Lock {
        locked: bool,
    },
    Rollcall,
    Admit {
        #[serde(rename = "participantId")]
        participant_id: String,
    },
    Remove {
        #[serde(rename = "participantId")]
        participant_id: String,
    },
    End,
}

impl ClientMessage {
    /// A `join` with a name and a client id only.
    pub fn join(name: &str, client_id: &str) -> Self {
        ClientMessage::Join {
            name: name.to_owned(),
            client_id: client_id.to_owned(),
            pcode: None,
            watchword: None,
            tag: None,
        }
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a client message serialises")
    }
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerMessage {
    /// The answer to `join`: in the meeting (with its state), or in the waiting room.
    Joined {
        you: You,
        waiting: bool,
        meeting: MeetingInfo,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        state: Option<LiveState>,
        /// How often to ping; a page silent for three of these counts as gone.
        #[serde(rename = "pingMs")]
        ping_ms: u64,
    },
    /// The host let a waiting attendee in.
    Admitted { state: LiveState },
    /// The page fell behind: the stored state replaces what it has.
    Resync { state: LiveState },
    /// Something happened. `changes` are what it changed in the page's state, computed by the
    /// session fold on the server; the page applies them as they are
    /// ([`LiveState::patch`]), and shows `fact` only as news.
    Fact {
        fact: Fact,
        #[serde(default)]
        changes: Vec<LiveChange>,
    },
    /// A message that could not be carried out; the connection stays.
    Error { msg: String },
    /// Not let in; the server closes next. `reason` is what the page localises.
    Refused {
        reason: String,
        code: i64,
        msg: String,
    },
    /// The host removed this page's participant; the server closes next.
    Removed,
    /// The meeting ended; the server closes next.
    Ended,
}

impl ServerMessage {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a server message serialises")
    }
}

/// Who the page is in the meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct You {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// The meeting a page is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingInfo {
    pub conference_id: String,
    pub title: String,
    /// The session's id; empty while nobody is in (a waiting room before the host).
    pub temp_conference_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_have_the_shapes_the_page_reads() {
        let join: ClientMessage = serde_json::from_value(
            json!({"type": "join", "name": "张三", "clientId": "c-1", "pcode": "123"}),
        )
        .unwrap();
        assert_eq!(
            join,
            ClientMessage::Join {
                name: "张三".into(),
                client_id: "c-1".into(),
                pcode: Some("123".into()),
                watchword: None,
                tag: None,
            }
        );
        assert_eq!(ClientMessage::Ping.to_text(), r#"{"type":"ping"}"#);
        assert_eq!(
            serde_json::to_value(ClientMessage::Answer {
                roll_call_id: "r".into()
            })
            .unwrap(),
            json!({"type": "answer", "rollCallId": "r"})
        );
        let hello = ServerMessage::Joined {
            you: You {
                id: "w-1".into(),
                name: "n".into(),
                role: Role::Host,
            },
            waiting: true,
            meeting: MeetingInfo {
                conference_id: "123456789".into(),
                title: "t".into(),
                temp_conference_id: String::new(),
            },
            state: None,
            ping_ms: 5000,
        };
        assert_eq!(
            serde_json::to_value(&hello).unwrap(),
            json!({"type": "joined", "you": {"id": "w-1", "name": "n", "role": "host"},
                "waiting": true, "meeting": {"conferenceId": "123456789", "title": "t",
                "tempConferenceId": ""}, "pingMs": 5000})
        );
        let back: ServerMessage = serde_json::from_str(&hello.to_text()).unwrap();
        assert_eq!(back, hello);
        assert_eq!(
            serde_json::to_value(ServerMessage::Refused {
                reason: "window".into(),
                code: 50713,
                msg: "closed".into()
            })
            .unwrap(),
            json!({"type": "refused", "reason": "window", "code": 50713, "msg": "closed"})
        );
        assert_eq!(ServerMessage::Ended.to_text(), r#"{"type":"ended"}"#);
        let hand = ServerMessage::Fact {
            fact: Fact::HandRaised {
                participant_id: "w-1".into(),
            },
            changes: vec![
                LiveChange::Present {
                    at: 0,
                    participant: huiyi_domain::session::LiveParticipant {
                        id: "w-1".into(),
                        name: "n".into(),
                        role: Role::Attendee,
                        client: huiyi_domain::session::ClientType::Web,
                        voice: huiyi_domain::session::Voice::Network,
                        hand: true,
                        tag: String::new(),
                    },
                },
                LiveChange::NotWaiting { id: "w-1".into() },
                LiveChange::RollCall { roll_call: None },
                LiveChange::Ended,
            ],
        };
        assert_eq!(
            serde_json::to_value(&hand).unwrap(),
            json!({"type": "fact", "fact": {"type": "hand.raised", "participantId": "w-1"},
                "changes": [
                    {"op": "present", "at": 0, "participant": {"id": "w-1", "name": "n",
                        "role": "attendee", "client": "web", "voice": "network", "hand": true}},
                    {"op": "notWaiting", "id": "w-1"},
                    {"op": "rollCall", "rollCall": null},
                    {"op": "ended"}]})
        );
        let back: ServerMessage = serde_json::from_str(&hand.to_text()).unwrap();
        assert_eq!(back, hand);
    }
}
