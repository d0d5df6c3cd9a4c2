//! `huiyi media …`: post signed batches to a server's media event interface
//! (`docs/media-events.md`), either a file as written or a simulated session.
//!
//! Output: on success a line `accepted N, duplicates M`, then one line per session the batch
//! touched (`conference 123456789 session 1234567890: status 2, attendees 2`, with
//! `, occurrence <unix seconds>` appended for one occurrence of a series). A refused batch prints
//! `error <status>: <msg>` to stderr and exits 1; usage errors exit 2.

use clap::{Args, Subcommand};
use huiyi_domain::session::{ClientType, EndReason, Fact, Participant, Role, Voice};
use huiyi_wire::media::{
    self, EVENTS_PATH, MediaAnswer, MediaEvent, MeetingRef, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const SECRET_ENV: &str = "HUIYI_MEDIA_SECRET";

#[derive(Subcommand)]
pub enum MediaCommand {
    /// Post a simulated session to a booked meeting (plain http only).
    ///
    /// One signed batch per step: the host and a guest join, the guest switches to phone voice,
    /// raises a hand, answers the host's roll-call, lowers the hand, and the host ends the
    /// session (unless --keep-open). Stops at the first refused step (exit 1).
    Simulate(SimulateArgs),
    /// Post a file of events as one signed batch (plain http only).
    ///
    /// FILE holds {"events": [...]} (docs/media-events.md); its bytes are posted exactly as
    /// written, signed with the current time. Exit 1 when the server refuses the batch.
    Send(SendArgs),
    /// Upload a recording file for a meeting's latest session (plain http only).
    ///
    /// Sent in signed chunks to POST /media/v1/recordings (docs/recordings.md); a broken chunk
    /// is retried from where the server got to, and running the command again after it was
    /// cut off resumes the same upload. Exit 1 when the server refuses it.
    Upload(crate::media_upload::UploadArgs),
}

/// Where to post, and the secret to sign with.
#[derive(Args)]
pub struct Target {
    /// Base URL of the huiyi server, e.g. http://127.0.0.1:8080. Plain http:// only: this
    /// client speaks no TLS (reach a TLS-only server through a local proxy).
    #[arg(long, value_name = "URL", value_parser = parse_server)]
    pub server: String,
    /// The media secret the server is configured with (its media_secret). Prefer the
    /// environment variable: a flag shows in the process list.
    #[arg(long, env = SECRET_ENV, hide_env_values = true, value_name = "SECRET", value_parser = parse_secret)]
    pub media_secret: Option<SecretString>,
}

#[derive(Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub target: Target,
    /// The booked meeting's conferenceId (digits).
    #[arg(long, value_name = "ID", value_parser = parse_digits)]
    pub conference: String,
    /// Leave the session open: send no session.ended at the end.
    #[arg(long)]
    pub keep_open: bool,
}

#[derive(Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub target: Target,
    /// A JSON file holding {"events": [...]}; its bytes are posted unchanged.
    #[arg(value_name = "FILE.json")]
    pub file: PathBuf,
}

fn parse_server(s: &str) -> Result<String, String> {
    let s = s.trim();
    let scheme = s.get(..s.find("://").map_or(0, |i| i + 3)).unwrap_or("");
    if scheme.eq_ignore_ascii_case("https://") {
        return Err(
            "this client speaks plain http only; give an http:// URL (reach a TLS-only server through a local proxy)"
                .into(),
        );
    }
    if !scheme.eq_ignore_ascii_case("http://") || s.len() == scheme.len() {
        return Err("give the server's base URL, e.g. http://127.0.0.1:8080".into());
    }
    Ok(s.to_owned())
}

/// A clap value parser for secrets, so they are never held as a plain `String`.
pub fn parse_secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

pub(crate) fn parse_digits(s: &str) -> Result<String, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("a conferenceId is digits only, e.g. 123456789".into())
    }
}

/// The events endpoint under a server's base URL.
pub fn events_url(server: &str) -> String {
    format!("{}{EVENTS_PATH}", server.trim_end_matches('/'))
}

/// Runs a `huiyi media` command: 0 when every batch was accepted, 1 on a refusal or a transport
/// failure, 2 on a usage error.
pub async fn run(command: MediaCommand) -> ExitCode {
    let target = match &command {
        MediaCommand::Simulate(a) => &a.target,
        MediaCommand::Send(a) => &a.target,
        MediaCommand::Upload(a) => &a.target,
    };
    let Some(secret) = target
        .media_secret
        .clone()
        .filter(|s| !s.expose_secret().is_empty())
    else {
        eprintln!(
            "error: no media secret: pass --media-secret SECRET or set {SECRET_ENV} to the media_secret the server is configured with"
        );
        return ExitCode::from(2);
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot start the HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let events = |server: &str| Poster {
        client: client.clone(),
        url: events_url(server),
        secret: secret.clone(),
    };
    match command {
        MediaCommand::Send(args) => send(&events(&args.target.server), &args.file).await,
        MediaCommand::Simulate(args) => {
            let poster = events(&args.target.server);
            simulate(&poster, &args.conference, args.keep_open).await
        }
        MediaCommand::Upload(args) => {
            crate::media_upload::run(args, secret.clone(), client.clone()).await
        }
    }
}

async fn send(poster: &Poster, file: &std::path::Path) -> ExitCode {
    let body = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    };
    match poster.post(body).await {
        Outcome::Accepted(answer) => {
            for line in answer_lines(&answer) {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Outcome::Refused { status, msg } => {
            eprintln!("error {status}: {msg}");
            ExitCode::FAILURE
        }
        Outcome::Unreachable(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn simulate(poster: &Poster, conference: &str, keep_open: bool) -> ExitCode {
    let run = random_hex(12);
    let facts = simulated_session(&format!("rc-{}", random_hex(8)), keep_open);
    let mut clock = Clock::default();
    for (i, fact) in facts.into_iter().enumerate() {
        let step = i + 1;
        let kind = fact.kind();
        let at = clock.next(huiyi_domain::time::now_millis());
        let event = simulated_event(&run, step, conference, at, fact);
        match poster.post(media::encode_batch(&[event])).await {
            Outcome::Accepted(answer) => {
                let mut lines = answer_lines(&answer).into_iter();
                if let Some(first) = lines.next() {
                    println!("step {step} {kind}: {first}");
                }
                for line in lines {
                    println!("{line}");
                }
            }
            Outcome::Refused { status, msg } => {
                println!("step {step} {kind}: refused");
                eprintln!("error {status}: {msg}");
                return ExitCode::FAILURE;
            }
            Outcome::Unreachable(msg) => {
                println!("step {step} {kind}: no answer");
                eprintln!("error: {msg}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// The simulated session, in order: host joins, guest joins, guest switches to phone, raises a
/// hand, the host starts a roll-call, the guest answers it, lowers the hand, and (unless
/// `keep_open`) the host ends the session.
pub fn simulated_session(roll_call_id: &str, keep_open: bool) -> Vec<Fact> {
    let guest = || "guest".to_owned();
    let mut facts = vec![
        Fact::ParticipantJoined {
            participant: Participant {
                id: "host".into(),
                name: "主持人".into(),
                role: Role::Host,
                client: ClientType::Pc,
                voice: Voice::Network,
                address: "127.0.0.1".into(),
                ..Default::default()
            },
        },
        Fact::ParticipantJoined {
            participant: Participant {
                id: guest(),
                name: "参会人".into(),
                role: Role::Attendee,
                client: ClientType::Web,
                voice: Voice::Network,
                address: "127.0.0.1".into(),
                ..Default::default()
            },
        },
        Fact::VoiceSwitched {
            participant_id: guest(),
            voice: Voice::Phone,
            address: "+8613800000000".into(),
        },
        Fact::HandRaised {
            participant_id: guest(),
        },
        Fact::RollCallStarted {
            roll_call_id: roll_call_id.to_owned(),
            video: false,
        },
        Fact::RollCallAnswered {
            roll_call_id: roll_call_id.to_owned(),
            participant_id: guest(),
            video: false,
        },
        Fact::HandLowered {
            participant_id: guest(),
        },
    ];
    if !keep_open {
        facts.push(Fact::SessionEnded {
            reason: EndReason::Host,
        });
    }
    facts
}

/// Step `step` (from 1) of simulation run `run` as an event: id `sim-<run>-<step>`, naming the
/// meeting by conferenceId.
pub fn simulated_event(
    run: &str,
    step: usize,
    conference: &str,
    at_ms: i64,
    fact: Fact,
) -> MediaEvent {
    MediaEvent {
        event_id: format!("sim-{run}-{step}"),
        at_ms: Some(at_ms),
        meeting: MeetingRef::Conference(conference.to_owned()),
        occurrence_start: None,
        fact,
    }
}

/// Hands out the current time in milliseconds, strictly increasing from one call to the next.
#[derive(Debug, Default)]
pub struct Clock {
    last: Option<i64>,
}

impl Clock {
    pub fn next(&mut self, now_ms: i64) -> i64 {
        let at = self.last.map_or(now_ms, |l| now_ms.max(l + 1));
        self.last = Some(at);
        at
    }
}

fn random_hex(len: usize) -> String {
    let mut s = uuid::Uuid::new_v4().simple().to_string();
    s.truncate(len.min(12));
    s
}

/// The lines printed for an accepted batch.
pub fn answer_lines(answer: &MediaAnswer) -> Vec<String> {
    let mut lines = vec![format!(
        "accepted {}, duplicates {}",
        answer.accepted, answer.duplicates
    )];
    for s in &answer.sessions {
        let mut line = format!(
            "conference {} session {}: status {}, attendees {}",
            s.conference_id, s.temp_conference_id, s.status, s.attendees
        );
        if let Some(start) = s.occurrence_start {
            line.push_str(&format!(", occurrence {start}"));
        }
        lines.push(line);
    }
    lines
}

/// What became of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Accepted(MediaAnswer),
    /// `status` is the envelope's code, or the HTTP status when the answer carried no
    /// envelope (or the request never got one).
    Refused {
        status: String,
        msg: String,
    },
    /// No answer: the server could not be reached, or its answer not read.
    Unreachable(String),
}

/// Reads an answer: the envelope `{"status", "msg", "result", ...}` with HTTP status `http`.
pub fn interpret(http: u16, body: &[u8]) -> Outcome {
    let envelope: Option<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(body).ok();
    let status = envelope
        .as_ref()
        .and_then(|e| e.get("status"))
        .and_then(serde_json::Value::as_i64);
    let Some((envelope, status)) = envelope.zip(status) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        let msg = if text.is_empty() {
            "the answer carried no body".to_owned()
        } else {
            text.chars().take(300).collect()
        };
        return Outcome::Refused {
            status: http.to_string(),
            msg,
        };
    };
    let msg = envelope
        .get("msg")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_owned();
    if status != 0 {
        return Outcome::Refused {
            status: status.to_string(),
            msg,
        };
    }
    if !(200..300).contains(&http) {
        return Outcome::Refused {
            status: http.to_string(),
            msg,
        };
    }
    match envelope
        .get("result")
        .cloned()
        .map(serde_json::from_value::<MediaAnswer>)
    {
        Some(Ok(answer)) => Outcome::Accepted(answer),
        Some(Err(e)) => Outcome::Refused {
            status: "0".into(),
            msg: format!("the answer's result is not a media answer: {e}"),
        },
        None => Outcome::Refused {
            status: "0".into(),
            msg: "the answer carried no result".into(),
        },
    }
}

struct Poster {
    client: reqwest::Client,
    url: String,
    secret: SecretString,
}

impl Poster {
    /// Signs `body` with the current time and posts it.
    async fn post(&self, body: Vec<u8>) -> Outcome {
        let timestamp = huiyi_domain::time::now_unix().to_string();
        let signature = media::sign(self.secret.expose_secret().as_bytes(), &timestamp, &body);
        let sent = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Unreachable(format!(
                    "cannot post to {}: {}",
                    self.url,
                    error_chain(&e)
                ));
            }
        };
        let http = response.status().as_u16();
        match response.bytes().await {
            Ok(bytes) => interpret(http, &bytes),
            Err(e) => Outcome::Unreachable(format!(
                "the answer (HTTP {http}) could not be read: {}",
                error_chain(&e)
            )),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use huiyi_wire::media::{MediaSessionAnswer, parse_batch};

    #[test]
    fn urls_join_without_double_slashes() {
        assert_eq!(
            events_url("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/media/v1/events"
        );
        assert_eq!(
            events_url("http://127.0.0.1:8080//"),
            "http://127.0.0.1:8080/media/v1/events"
        );
        assert_eq!(
            events_url("http://h/huiyi/"),
            "http://h/huiyi/media/v1/events"
        );
    }

    #[test]
    fn only_plain_http_servers_are_taken() {
        assert_eq!(parse_server("http://h:1/").unwrap(), "http://h:1/");
        assert!(parse_server("HTTP://h").is_ok());
        assert!(
            parse_server("https://h")
                .unwrap_err()
                .contains("plain http")
        );
        assert!(parse_server("h:8080").is_err());
        assert!(parse_server("http://").is_err());
        assert!(parse_digits("123456789").is_ok());
        assert!(parse_digits("12a").is_err());
        assert!(parse_digits("").is_err());
    }

    #[test]
    fn the_clock_strictly_increases() {
        let mut c = Clock::default();
        assert_eq!(c.next(1_000), 1_000);
        assert_eq!(c.next(1_000), 1_001);
        assert_eq!(c.next(900), 1_002);
        assert_eq!(c.next(5_000), 5_000);
    }

    #[test]
    fn the_simulated_session_is_in_order_and_parses() {
        let kinds: Vec<&str> = simulated_session("rc-1", false)
            .iter()
            .map(Fact::kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "participant.joined",
                "participant.joined",
                "voice.switched",
                "hand.raised",
                "rollcall.started",
                "rollcall.answered",
                "hand.lowered",
                "session.ended"
            ]
        );
        let open = simulated_session("rc-1", true);
        assert_eq!(open.len(), 7);
        assert!(open.iter().all(|f| f.kind() != "session.ended"));

        let mut clock = Clock::default();
        let mut ids = std::collections::HashSet::new();
        let mut last_at = 0;
        for (i, fact) in simulated_session("rc-1", false).into_iter().enumerate() {
            let at = clock.next(1_700_000_000_000);
            let event = simulated_event("abc", i + 1, "123456789", at, fact);
            let parsed = parse_batch(&media::encode_batch(std::slice::from_ref(&event))).unwrap();
            assert_eq!(parsed, vec![event.clone()]);
            assert!(ids.insert(event.event_id.clone()), "unique eventIds");
            assert!(event.event_id.starts_with("sim-abc-"));
            assert!(at > last_at, "at strictly increases");
            last_at = at;
            assert_eq!(event.meeting, MeetingRef::Conference("123456789".into()));
        }
        let facts = simulated_session("rc-x", false);
        let Fact::ParticipantJoined { participant: host } = &facts[0] else {
            panic!()
        };
        assert_eq!(
            (host.id.as_str(), host.name.as_str(), host.role, host.client),
            ("host", "主持人", Role::Host, ClientType::Pc)
        );
        let Fact::ParticipantJoined { participant: guest } = &facts[1] else {
            panic!()
        };
        assert_eq!(
            (
                guest.id.as_str(),
                guest.name.as_str(),
                guest.role,
                guest.client
            ),
            ("guest", "参会人", Role::Attendee, ClientType::Web)
        );
        assert_eq!(
            facts[2],
            Fact::VoiceSwitched {
                participant_id: "guest".into(),
                voice: Voice::Phone,
                address: "+8613800000000".into()
            }
        );
        assert_eq!(
            facts[7],
            Fact::SessionEnded {
                reason: EndReason::Host
            }
        );
        assert_eq!(random_hex(12).len(), 12);
        assert!(random_hex(8).bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn answers_are_read_from_the_envelope() {
        let ok = br#"{"status":0,"msg":"success","result":{"accepted":1,"duplicates":0,"sessions":[
            {"conferenceId":"123456789","occurrenceStart":null,"tempConferenceId":"1234567890","status":2,"attendees":2},
            {"conferenceId":"987654321","occurrenceStart":1700000000,"tempConferenceId":"55","status":5,"attendees":0}]},"request_id":"r"}"#;
        let Outcome::Accepted(answer) = interpret(200, ok) else {
            panic!()
        };
        assert_eq!(
            answer_lines(&answer),
            [
                "accepted 1, duplicates 0",
                "conference 123456789 session 1234567890: status 2, attendees 2",
                "conference 987654321 session 55: status 5, attendees 0, occurrence 1700000000",
            ]
        );
        assert_eq!(
            answer,
            MediaAnswer {
                accepted: 1,
                duplicates: 0,
                sessions: vec![
                    MediaSessionAnswer {
                        conference_id: "123456789".into(),
                        occurrence_start: None,
                        temp_conference_id: "1234567890".into(),
                        status: 2,
                        attendees: 2
                    },
                    MediaSessionAnswer {
                        conference_id: "987654321".into(),
                        occurrence_start: Some(1_700_000_000),
                        temp_conference_id: "55".into(),
                        status: 5,
                        attendees: 0
                    }
                ]
            }
        );
        let refused = br#"{"status":52001,"msg":"the signature does not match","result":null,"request_id":"r"}"#;
        assert_eq!(
            interpret(401, refused),
            Outcome::Refused {
                status: "52001".into(),
                msg: "the signature does not match".into()
            }
        );
        assert_eq!(
            interpret(200, br#"{"status":50713,"msg":"closed","result":null}"#),
            Outcome::Refused {
                status: "50713".into(),
                msg: "closed".into()
            }
        );
        assert_eq!(
            interpret(502, b"Bad Gateway"),
            Outcome::Refused {
                status: "502".into(),
                msg: "Bad Gateway".into()
            }
        );
        assert!(matches!(
            interpret(200, br#"{"status":0,"msg":"success","result":null}"#),
            Outcome::Refused { .. }
        ));
    }
}
