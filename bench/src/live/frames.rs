//! What a page says and hears on the live socket (the server's own message types), and the
//! small facts about the machine the bench needs (open files, resident memory).

use crate::stats::round_to;
use anyhow::{Result, bail};
use huiyi_domain::Fact;
use huiyi_wire::live::{ClientMessage, ServerMessage};

/// A participant change the listeners time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Joined,
    Left,
}

/// What a page makes of one text frame from the server.
#[derive(Debug, PartialEq)]
pub enum Heard {
    /// `joined`: admitted, or put in the waiting room.
    Joined { waiting: bool },
    /// A `participant.joined` or `participant.left` fact, with the participant's id.
    Fact { change: Change, id: String },
    /// Any other fact.
    OtherFact,
    /// `resync`: the page fell behind and gets the whole state instead of the facts it missed.
    Resync,
    /// `refused`, `ended` or `removed`: the server closes next. Says which, and why.
    Gone(String),
    /// `error`: a message was not allowed; the socket stays.
    Error(String),
    /// Anything else, or a frame that is not JSON.
    Other,
}

/// Reads one text frame of the server, as the server's own message type.
pub fn hear(text: &str) -> Heard {
    let Ok(message) = serde_json::from_str::<ServerMessage>(text) else {
        return Heard::Other;
    };
    match message {
        ServerMessage::Joined { waiting, .. } => Heard::Joined { waiting },
        ServerMessage::Fact {
            fact: Fact::ParticipantJoined { participant },
            ..
        } => Heard::Fact {
            change: Change::Joined,
            id: participant.id,
        },
        ServerMessage::Fact {
            fact: Fact::ParticipantLeft { participant_id },
            ..
        } => Heard::Fact {
            change: Change::Left,
            id: participant_id,
        },
        ServerMessage::Fact { .. } => Heard::OtherFact,
        ServerMessage::Resync { .. } => Heard::Resync,
        ServerMessage::Refused { reason, msg, .. } => {
            Heard::Gone(format!("refused ({reason}: {msg})"))
        }
        ServerMessage::Ended => Heard::Gone("ended".into()),
        ServerMessage::Removed => Heard::Gone("removed".into()),
        ServerMessage::Error { msg } => Heard::Error(msg),
        ServerMessage::Admitted { .. } => Heard::Other,
    }
}

/// The code of a join link `<public>/k/<code>` (query and fragment ignored).
pub fn link_code(join_url: &str) -> Option<&str> {
    let path = join_url.split(['?', '#']).next()?;
    let (_, code) = path.rsplit_once("/k/")?;
    let ok = !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(code)
}

/// `ws://host:port/live/<code>` for the server at `base` (`http://host:port`, loopback).
pub fn live_url(base: &str, code: &str) -> Option<String> {
    let host = base.strip_prefix("http://")?.trim_end_matches('/');
    Some(format!("ws://{host}/live/{code}"))
}

/// A page's `clientId`: `bench-<run>-<who>`; the server makes its participant id `w-<clientId>`.
pub fn client_id(run: &str, who: &str) -> String {
    format!("bench-{run}-{who}")
}

/// The `join` message of a page called `name`.
pub fn join_message(name: &str, client_id: &str) -> String {
    ClientMessage::join(name, client_id).to_text()
}

/// `VmRSS` of a `/proc/<pid>/status` text, in KiB.
pub fn vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut words = line["VmRSS:".len()..].split_whitespace();
    let kib = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kib)
}

/// The resident memory of process `pid` in MiB (one decimal), if `/proc` tells.
pub(super) fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    vm_rss_kib(&status).map(|kib| round_to(kib as f64 / 1024.0, 1))
}

/// Open files one process needs for `participants` sockets, with room for the HTTP pool of
/// `workers`, the database and the rest.
pub fn files_needed(participants: u32, workers: u32) -> u64 {
    u64::from(participants) + u64::from(workers) + 256
}

/// Raises this process's soft limit of open files to `needed` if it is lower (the server we
/// start inherits it). Fails when the hard limit does not allow it. (Linux, where `rlim_t` is
/// `u64`; elsewhere the limit is left as it is.)
#[cfg(target_os = "linux")]
pub(super) fn ensure_open_files(needed: u64) -> Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) writes into the struct we own and pass by pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        bail!(
            "cannot read the open-file limit: {}",
            std::io::Error::last_os_error()
        );
    }
    let current = limit.rlim_cur;
    if current == libc::RLIM_INFINITY || current >= needed {
        return Ok(());
    }
    let hard = limit.rlim_max;
    if hard != libc::RLIM_INFINITY && hard < needed {
        bail!(
            "the bench needs {needed} open files but the hard limit is {hard}; raise it \
             (`ulimit -Hn`, as root) or ask for fewer --participants"
        );
    }
    let raised = libc::rlimit {
        rlim_cur: needed,
        rlim_max: hard,
    };
    // SAFETY: setrlimit(2) reads the struct we own and pass by pointer.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        bail!(
            "cannot raise the open-file limit from {current} to {needed}: {}; run `ulimit -n {needed}` first",
            std::io::Error::last_os_error()
        );
    }
    eprintln!("huiyi-bench: raised the open-file limit from {current} to {needed}");
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn ensure_open_files(_needed: u64) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{FANOUT_WITHIN, PING_EVERY};
    use serde_json::{Value, json};
    use std::time::Duration;

    #[test]
    fn hears_the_frames_that_matter() {
        let joined = r#"{"type":"joined","you":{"id":"w-bench-1","name":"p1","role":"attendee"},"waiting":false,
            "meeting":{"conferenceId":"123456789","title":"t","tempConferenceId":"9"},
            "state":{"locked":false,"ended":false,"participants":[{"id":"w-x","name":"x","role":"attendee","client":"web","voice":"network","hand":false}],"waiting":[],"rollCall":null,"removed":[]},"pingMs":5000}"#;
        assert_eq!(hear(joined), Heard::Joined { waiting: false });
        assert_eq!(
            hear(
                r#"{"type":"joined","you":{"id":"w-1","name":"p","role":"attendee"},"waiting":true,"meeting":{"conferenceId":"1","title":"t","tempConferenceId":""},"pingMs":5000}"#
            ),
            Heard::Joined { waiting: true }
        );
        assert_eq!(
            hear(
                r#"{"type":"fact","fact":{"type":"participant.joined","participant":{"id":"w-bench-ab12cd34-probe-3","name":"probe3","role":"attendee"}}}"#
            ),
            Heard::Fact {
                change: Change::Joined,
                id: "w-bench-ab12cd34-probe-3".into()
            }
        );
        assert_eq!(
            hear(
                r#"{"type":"fact","fact":{"type":"participant.left","participantId":"w-bench-ab12cd34-probe-3"}}"#
            ),
            Heard::Fact {
                change: Change::Left,
                id: "w-bench-ab12cd34-probe-3".into()
            }
        );
        assert_eq!(
            hear(r#"{"type":"fact","fact":{"type":"hand.raised","participantId":"w-x"}}"#),
            Heard::OtherFact
        );
        assert_eq!(
            hear(
                r#"{"type":"fact","fact":{"type":"participant.waiting","participant":{"id":"w-x"}}}"#
            ),
            Heard::OtherFact
        );
        assert_eq!(
            hear(
                r#"{"type":"resync","state":{"locked":false,"ended":false,"participants":[],"waiting":[],"rollCall":null}}"#
            ),
            Heard::Resync
        );
        assert_eq!(
            hear(r#"{"type":"refused","reason":"window","code":50713,"msg":"joining is closed"}"#),
            Heard::Gone("refused (window: joining is closed)".into())
        );
        assert_eq!(hear(r#"{"type":"ended"}"#), Heard::Gone("ended".into()));
        assert_eq!(hear(r#"{"type":"removed"}"#), Heard::Gone("removed".into()));
        assert_eq!(
            hear(r#"{"type":"error","msg":"only the host may do that"}"#),
            Heard::Error("only the host may do that".into())
        );
        assert_eq!(hear(r#"{"type":"pong"}"#), Heard::Other);
        assert_eq!(hear("not json"), Heard::Other);
        assert_eq!(hear(r#"{"no":"type"}"#), Heard::Other);
        // A joined without its meeting is not the server's message.
        assert_eq!(
            hear(r#"{"type":"joined","you":{},"waiting":true,"meeting":{}}"#),
            Heard::Other
        );
    }

    #[test]
    fn links_become_websocket_urls() {
        assert_eq!(
            link_code("http://127.0.0.1:8080/k/Ab3-x_9"),
            Some("Ab3-x_9")
        );
        assert_eq!(
            link_code("http://127.0.0.1:8080/k/Ab3?priority=web"),
            Some("Ab3")
        );
        assert_eq!(link_code("https://meet.example/base/k/zz#x"), Some("zz"));
        assert_eq!(link_code("http://127.0.0.1:8080/k/"), None);
        assert_eq!(link_code("http://127.0.0.1:8080/j/abc"), None);
        assert_eq!(link_code("http://127.0.0.1:8080/k/a/b"), None);
        assert_eq!(
            live_url("http://127.0.0.1:8080", "Ab3").as_deref(),
            Some("ws://127.0.0.1:8080/live/Ab3")
        );
        assert_eq!(
            live_url("http://[::1]:9/", "c").as_deref(),
            Some("ws://[::1]:9/live/c")
        );
        assert_eq!(live_url("https://127.0.0.1", "c"), None);
    }

    #[test]
    fn client_ids_are_what_the_server_keeps() {
        // The server keeps [A-Za-z0-9-], at least 8 of them, else it makes up an id.
        for who in ["0", "499", "probe-19"] {
            let id = client_id("ab12cd34", who);
            assert!(id.len() >= 8 && id.len() <= 64, "{id}");
            assert!(
                id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{id}"
            );
        }
        // Listener ids never look like a probe's.
        let prefix = format!("w-{}", client_id("ab12cd34", "probe-"));
        assert!(format!("w-{}", client_id("ab12cd34", "probe-7")).starts_with(&prefix));
        assert!(!format!("w-{}", client_id("ab12cd34", "7")).starts_with(&prefix));
        let join: Value = serde_json::from_str(&join_message("p7", "bench-ab12cd34-7")).unwrap();
        assert_eq!(
            join,
            json!({"type": "join", "name": "p7", "clientId": "bench-ab12cd34-7"})
        );
    }

    #[test]
    fn reads_vm_rss() {
        let status =
            "Name:\thuiyi\nVmPeak:\t  300000 kB\nVmRSS:\t   51234 kB\nRssAnon:\t 40000 kB\n";
        assert_eq!(vm_rss_kib(status), Some(51_234));
        assert_eq!(vm_rss_kib("Name:\tx\n"), None);
        assert_eq!(vm_rss_kib("VmRSS:\tlots kB\n"), None);
        assert_eq!(vm_rss_kib("VmRSS:\t12 MB\n"), None);
        // This process has a resident set.
        assert!(rss_mib(std::process::id()).is_some_and(|m| m > 0.0));
    }

    #[test]
    fn enough_files_for_every_socket() {
        assert_eq!(files_needed(500, 32), 788);
        assert!(files_needed(20_000, 4096) > 20_000);
        // The test process usually has far more; raising to what it has is a no-op.
        ensure_open_files(64).unwrap();
    }

    #[test]
    fn pings_come_well_inside_the_heartbeat() {
        // The server drops a page after 15 s of silence.
        assert!(PING_EVERY * 2 < Duration::from_secs(15));
        assert!(FANOUT_WITHIN <= Duration::from_secs(5));
    }
}
