//! `live`: one meeting held by many pages over the live WebSocket (docs/join-page.md), and how
//! fast a join or a leave reaches every one of them. The bench starts its own server, books a
//! meeting that is joinable now, measures the `healthz` baseline, then:
//!
//! 1. connects `--participants` listeners to `/live/<code>` of the attendee link, a bounded
//!    number at a time, each sending `join` and timing it until `joined`; every listener then
//!    pings every 5 s, as the page does;
//! 2. `--rounds` times, a probe page joins and then leaves; each listener stamps the matching
//!    `participant.joined` / `participant.left` fact when it arrives, and the latency is taken
//!    from the probe's send;
//! 3. holds everyone for `--hold-seconds` (longer than the server's 15 s heartbeat), checks that
//!    nobody was dropped, and closes every socket.
//!
//! getConfStatus says how many attendees the server counts at each step, and `/proc` how much
//! memory the server holds.

use crate::cli::LiveArgs;
use crate::events::start_soon;
use crate::load::{self, Call, Plan, REQUEST_TIMEOUT, Scenario, Target, book_call, http_client};
use crate::report::{LiveReport, bench_line, scenario};
use crate::server;
use crate::stats::{Recorder, ratio, round_to};
use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use huiyi_domain::time::{Zone, now_unix};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::{self, Message};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The page's heartbeat; the server drops a page it hears nothing from for 15 s.
pub const PING_EVERY: Duration = Duration::from_secs(5);
/// Connect, upgrade and `join` → `joined`, for one page (the server allows 10 s for `join`).
const JOINED_WITHIN: Duration = Duration::from_secs(10);
/// How long a round waits for every listener to hear of the probe's join, or leave.
const FANOUT_WITHIN: Duration = Duration::from_secs(5);
/// Closing one socket: our close frame, then the server's.
const CLOSE_WITHIN: Duration = Duration::from_secs(5);
/// How long the server may take to count everyone out after the sockets closed.
const EMPTY_WITHIN: Duration = Duration::from_secs(10);
/// A pause between rounds, so that one round's stragglers never land in the next.
const BETWEEN_ROUNDS: Duration = Duration::from_millis(100);
/// The claim: a join or leave reaches everyone within 1 s at p99.
const CLAIM_FANOUT_MS: f64 = 1000.0;
const STATUS_PATH: &str = "/conference/conference/getConfStatus";

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

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    waiting: bool,
    fact: Option<FactFrame>,
    reason: Option<String>,
    msg: Option<Value>,
}

#[derive(Deserialize)]
struct FactFrame {
    #[serde(rename = "type")]
    kind: String,
    participant: Option<Who>,
    #[serde(rename = "participantId")]
    participant_id: Option<String>,
}

#[derive(Deserialize)]
struct Who {
    id: String,
}

/// Reads one text frame of the server (only the parts the bench needs).
pub fn hear(text: &str) -> Heard {
    let Ok(frame) = serde_json::from_str::<Frame>(text) else {
        return Heard::Other;
    };
    let msg = || match &frame.msg {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    match frame.kind.as_str() {
        "joined" => Heard::Joined {
            waiting: frame.waiting,
        },
        "fact" => match frame.fact {
            Some(FactFrame {
                kind,
                participant: Some(Who { id }),
                ..
            }) if kind == "participant.joined" => Heard::Fact {
                change: Change::Joined,
                id,
            },
            Some(FactFrame {
                kind,
                participant_id: Some(id),
                ..
            }) if kind == "participant.left" => Heard::Fact {
                change: Change::Left,
                id,
            },
            _ => Heard::OtherFact,
        },
        "resync" => Heard::Resync,
        "refused" => Heard::Gone(format!(
            "refused ({}: {})",
            frame.reason.as_deref().unwrap_or("?"),
            msg()
        )),
        "ended" | "removed" => Heard::Gone(frame.kind.clone()),
        "error" => Heard::Error(msg()),
        _ => Heard::Other,
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
    json!({"type": "join", "name": name, "clientId": client_id}).to_string()
}

/// `VmRSS` of a `/proc/<pid>/status` text, in KiB.
pub fn vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut words = line["VmRSS:".len()..].split_whitespace();
    let kib = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kib)
}

/// The resident memory of process `pid` in MiB (one decimal), if `/proc` tells.
fn rss_mib(pid: u32) -> Option<f64> {
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
fn ensure_open_files(needed: u64) -> Result<()> {
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
fn ensure_open_files(_needed: u64) -> Result<()> {
    Ok(())
}

/// Errors counted across tasks, with the first one kept to show.
#[derive(Default)]
struct Errors {
    count: AtomicU64,
    first: Mutex<Option<String>>,
}

impl Errors {
    fn add(&self, what: impl FnOnce() -> String) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(what());
        }
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn first(&self) -> Option<String> {
        self.first.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A listener heard of a change of a probe.
struct Receipt {
    listener: usize,
    change: Change,
    id: String,
    at: Instant,
}

/// What the listeners share with the bench.
struct Shared {
    receipts: mpsc::UnboundedSender<Receipt>,
    /// `w-bench-<run>-probe-`: the facts the listeners pass on.
    probe_prefix: String,
    errors: Errors,
    resyncs: AtomicU64,
    /// Listeners whose socket is open (admitted and not yet closed or dropped).
    open: AtomicU64,
}

/// Connects to `url` (Nagle off, so small frames go out at once).
async fn connect(url: &str) -> Result<Socket, String> {
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    Ok(ws)
}

/// Reads frames until `joined` (admitted); anything that ends the page first is an error.
async fn await_joined(ws: &mut Socket) -> Result<(), String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => match hear(t.as_str()) {
                Heard::Joined { waiting: false } => return Ok(()),
                Heard::Joined { waiting: true } => {
                    return Err("put in the waiting room, not admitted".into());
                }
                Heard::Gone(what) => return Err(format!("the server said {what}")),
                _ => {}
            },
            Some(Ok(Message::Close(c))) => return Err(format!("closed before joined ({c:?})")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("before joined: {e}")),
            None => return Err("the socket ended before joined".into()),
        }
    }
}

/// Connects, sends `join` and waits for `joined`.
async fn enter(url: &str, join: String) -> Result<Socket, String> {
    let mut ws = connect(url).await?;
    ws.send(Message::text(join))
        .await
        .map_err(|e| format!("join not sent: {e}"))?;
    await_joined(&mut ws).await?;
    Ok(ws)
}

/// Sends our close frame and reads until the server's; an error other than the socket being
/// closed already, or a server that does not close within [`CLOSE_WITHIN`], is answered.
async fn close(ws: &mut Socket) -> Result<(), String> {
    let closing = async {
        match ws.close(None).await {
            Ok(())
            | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {}
            Err(e) => return Err(format!("close: {e}")),
        }
        // Facts may still come before the server's close frame; an error after our close frame
        // (e.g. a reset) still means closed.
        while let Some(Ok(_)) = ws.next().await {}
        Ok(())
    };
    tokio::time::timeout(CLOSE_WITHIN, closing)
        .await
        .unwrap_or_else(|_| Err(format!("not closed within {} s", CLOSE_WITHIN.as_secs())))
}

/// One listener: enters (holding a permit of `gate` meanwhile) and reports how long that took
/// on `entered`; then pings, passes on the probes' facts, and closes when `stop` changes.
async fn listener(
    i: usize,
    url: Arc<str>,
    run: Arc<str>,
    gate: Arc<Semaphore>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    entered: mpsc::UnboundedSender<Result<Duration, String>>,
) {
    let join = join_message(&format!("p{i}"), &client_id(&run, &i.to_string()));
    let mut ws = {
        let Ok(_permit) = gate.acquire().await else {
            return;
        };
        let started = Instant::now();
        let outcome = match tokio::time::timeout(JOINED_WITHIN, enter(&url, join)).await {
            Ok(Ok(ws)) => Ok((ws, started.elapsed())),
            Ok(Err(e)) => Err(format!("listener {i}: {e}")),
            Err(_) => Err(format!(
                "listener {i}: not joined within {} s",
                JOINED_WITHIN.as_secs()
            )),
        };
        match outcome {
            Ok((ws, took)) => {
                shared.open.fetch_add(1, Ordering::Relaxed);
                let _ = entered.send(Ok(took));
                ws
            }
            Err(e) => {
                let _ = entered.send(Err(e));
                return;
            }
        }
    };
    drop(entered);
    let dropped = |what: String| {
        shared.open.fetch_sub(1, Ordering::Relaxed);
        shared.errors.add(|| format!("listener {i}: {what}"));
    };
    let ping_text = json!({"type": "ping"}).to_string();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = ping.tick() => {
                if let Err(e) = ws.send(Message::text(ping_text.clone())).await {
                    return dropped(format!("ping not sent: {e}"));
                }
            }
            frame = ws.next() => {
                let at = Instant::now();
                let text = match frame {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(c))) => {
                        return dropped(format!("closed by the server ({c:?})"));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return dropped(format!("socket failed: {e}")),
                    None => return dropped("the socket ended".into()),
                };
                match hear(text.as_str()) {
                    Heard::Fact { change, id } if id.starts_with(&shared.probe_prefix) => {
                        let _ = shared.receipts.send(Receipt { listener: i, change, id, at });
                    }
                    Heard::Resync => {
                        shared.resyncs.fetch_add(1, Ordering::Relaxed);
                    }
                    Heard::Gone(what) => return dropped(format!("the server said {what}")),
                    Heard::Error(msg) => shared.errors.add(|| format!("listener {i}: error: {msg}")),
                    _ => {}
                }
            }
        }
    }
    shared.open.fetch_sub(1, Ordering::Relaxed);
    if let Err(e) = close(&mut ws).await {
        shared.errors.add(|| format!("listener {i}: {e}"));
    }
}

/// Waits until each of `listeners` has passed on `change` of participant `id` (once each), or
/// [`FANOUT_WITHIN`] after `sent`; records each latency from `sent`. Answers how many missed it.
async fn collect(
    receipts: &mut mpsc::UnboundedReceiver<Receipt>,
    change: Change,
    id: &str,
    sent: Instant,
    listeners: usize,
    expected: u64,
    rec: &mut Recorder,
) -> u64 {
    let deadline = tokio::time::Instant::from_std(sent + FANOUT_WITHIN);
    let mut seen = vec![false; listeners];
    let mut got = 0u64;
    while got < expected {
        match tokio::time::timeout_at(deadline, receipts.recv()).await {
            Ok(Some(r)) => {
                if r.change == change && r.id == id && !seen[r.listener] {
                    seen[r.listener] = true;
                    got += 1;
                    rec.ok(r.at.saturating_duration_since(sent));
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    expected - got
}

/// The fan-out rounds: where the probe goes, and who listens.
struct Rounds<'a> {
    url: &'a str,
    run: &'a str,
    /// Listener numbers are below this.
    listeners: usize,
    /// Listeners that got in, each of which should hear every change.
    expected: u64,
}

impl Rounds<'_> {
    /// Round `n`: a probe page joins, then leaves; answers the (listener, change) pairs that
    /// missed their fact. Each latency goes into `rec`, each failure of the probe into
    /// `errors`.
    async fn round(
        &self,
        n: u32,
        receipts: &mut mpsc::UnboundedReceiver<Receipt>,
        rec: &mut Recorder,
        errors: &Errors,
    ) -> u64 {
        let (url, run, listeners, expected) = (self.url, self.run, self.listeners, self.expected);
        let client = client_id(run, &format!("probe-{n}"));
        let id = format!("w-{client}");
        let mut probe = match connect(url).await {
            Ok(ws) => ws,
            Err(e) => {
                errors.add(|| format!("probe {n}: {e}"));
                return 2 * expected;
            }
        };
        // Whatever a late listener passed on after the previous round's deadline.
        while receipts.try_recv().is_ok() {}

        let sent = Instant::now();
        if let Err(e) = probe
            .send(Message::text(join_message(&format!("probe{n}"), &client)))
            .await
        {
            errors.add(|| format!("probe {n}: join not sent: {e}"));
            return 2 * expected;
        }
        let (missed_joined, hello) = tokio::join!(
            collect(
                receipts,
                Change::Joined,
                &id,
                sent,
                listeners,
                expected,
                rec
            ),
            tokio::time::timeout(JOINED_WITHIN, await_joined(&mut probe)),
        );
        match hello {
            Ok(Ok(())) => {}
            Ok(Err(e)) => errors.add(|| format!("probe {n}: {e}")),
            Err(_) => {
                errors.add(|| format!("probe {n}: no joined within {} s", JOINED_WITHIN.as_secs()))
            }
        }

        let sent = Instant::now();
        if let Err(e) = probe
            .send(Message::text(json!({"type": "leave"}).to_string()))
            .await
        {
            errors.add(|| format!("probe {n}: leave not sent: {e}"));
            return missed_joined + expected;
        }
        // The server records the leave and closes; read the probe to its end meanwhile.
        let drain = async { while let Some(Ok(_)) = probe.next().await {} };
        let (missed_left, drained) = tokio::join!(
            collect(receipts, Change::Left, &id, sent, listeners, expected, rec),
            tokio::time::timeout(CLOSE_WITHIN, drain),
        );
        if drained.is_err() {
            errors.add(|| {
                format!(
                    "probe {n}: not closed by the server within {} s of leave",
                    CLOSE_WITHIN.as_secs()
                )
            });
        }
        missed_joined + missed_left
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Booked {
    conference_id: Value,
    attendee_join_url: String,
}

#[derive(Deserialize)]
struct Status {
    attendees: i64,
}

/// getConfStatus's `attendees` of `conference`.
async fn attendees(
    client: &reqwest::Client,
    target: &Target,
    conference: &str,
) -> Result<i64, String> {
    let call = Call::Post(STATUS_PATH.into(), json!({ "conferenceId": conference }));
    load::send::<Status>(client, target, &call)
        .await?
        .map(|s| s.attendees)
        .ok_or_else(|| "getConfStatus has no result".to_owned())
}

/// [`attendees`], with a failure told on stderr and answered as `None`.
async fn count(
    client: &reqwest::Client,
    target: &Target,
    conference: &str,
    when: &str,
) -> Option<i64> {
    match attendees(client, target, conference).await {
        Ok(n) => Some(n),
        Err(e) => {
            eprintln!("huiyi-bench: warning: getConfStatus {when} failed: {e}");
            None
        }
    }
}

pub async fn live(args: LiveArgs) -> Result<()> {
    let n = args.participants;
    ensure_open_files(files_needed(n, args.concurrency))?;
    let (owned, target) =
        server::start_own(args.server_bin.as_deref(), args.database.as_deref(), &[]).await?;
    let pid = owned.pid();
    let client = http_client(4, REQUEST_TIMEOUT)?;
    let now = now_unix();
    let start = start_soon(now);
    let call = book_call(target.user_id, "bench live", &Zone::default().format(start));
    let booked = load::send::<Booked>(&client, &target, &call)
        .await
        .map_err(|e| anyhow::anyhow!("booking the meeting: {e}"))?
        .context("the booking answer has no result")?;
    let conference = match &booked.conference_id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let code = link_code(&booked.attendee_join_url).with_context(|| {
        format!(
            "attendeeJoinUrl {:?} is not a short link <public>/k/<code>",
            booked.attendee_join_url
        )
    })?;
    let url: Arc<str> = live_url(&target.base, code)
        .with_context(|| format!("cannot make a ws:// URL of {}", target.base))?
        .into();
    eprintln!(
        "huiyi-bench: target {}, meeting {conference} at {}, pages to {url}",
        target.base,
        Zone::default().format(start)
    );

    // 1. The baseline.
    let plan = Arc::new(Plan::for_run(target.clone(), vec![conference.clone()], now));
    let workers = args.concurrency as usize;
    let baseline =
        load::measure_all(&plan, &[Scenario::Healthz], workers, args.seconds, "").await?;
    let healthz_rps = scenario(&baseline, Scenario::BASELINE.name()).map_or(0.0, |f| f.rps);

    // 2. Fill the meeting.
    let rss_before = rss_mib(pid);
    let run: Arc<str> = crate::media::run_tag().into();
    let (receipts_tx, mut receipts) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        receipts: receipts_tx,
        probe_prefix: format!("w-{}", client_id(&run, "probe-")),
        errors: Errors::default(),
        resyncs: AtomicU64::new(0),
        open: AtomicU64::new(0),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let gate = Arc::new(Semaphore::new(args.connect_concurrency as usize));
    eprintln!(
        "huiyi-bench: connecting {n} pages, {} at a time",
        args.connect_concurrency
    );
    let started = Instant::now();
    let mut pages = JoinSet::new();
    for i in 0..n as usize {
        pages.spawn(listener(
            i,
            Arc::clone(&url),
            Arc::clone(&run),
            Arc::clone(&gate),
            Arc::clone(&shared),
            stop_rx.clone(),
            entered_tx.clone(),
        ));
    }
    drop(entered_tx);
    let mut connects = Recorder::default();
    let mut last = started;
    while let Some(outcome) = entered.recv().await {
        match outcome {
            Ok(took) => {
                connects.ok(took);
                last = Instant::now();
            }
            Err(e) => connects.error(|| e),
        }
    }
    let connect_total = last.saturating_duration_since(started);
    let connected = connects.successes();
    if let Some(e) = &connects.first_error {
        eprintln!(
            "huiyi-bench: {} of {n} pages did not get in; first: {e}",
            connects.errors
        );
    }
    let attendees_after_connect = count(&client, &target, &conference, "after connecting").await;
    let rss_after = rss_mib(pid);
    eprintln!(
        "huiyi-bench: {connected} of {n} joined in {:.1} s; getConfStatus attendees {}",
        connect_total.as_secs_f64(),
        show(attendees_after_connect)
    );

    // 3. Fan-out.
    eprintln!(
        "huiyi-bench: {} rounds of a probe joining and leaving",
        args.rounds
    );
    let mut fanout = Recorder::default();
    let mut missed = 0;
    let probe_errors = Errors::default();
    let rounds = Rounds {
        url: &url,
        run: &run,
        listeners: n as usize,
        expected: connected,
    };
    for r in 0..args.rounds {
        let lost = rounds
            .round(r, &mut receipts, &mut fanout, &probe_errors)
            .await;
        if lost > 0 {
            eprintln!("huiyi-bench: round {r}: {lost} facts missed");
        }
        missed += lost;
        tokio::time::sleep(BETWEEN_ROUNDS).await;
    }

    // 4. Hold.
    eprintln!(
        "huiyi-bench: holding {connected} pages for {} s",
        args.hold_seconds
    );
    tokio::time::sleep(Duration::from_secs(args.hold_seconds)).await;
    let open_after_hold = shared.open.load(Ordering::Relaxed);
    let attendees_after_hold = count(&client, &target, &conference, "after the hold").await;
    let rss_after_hold = rss_mib(pid);

    // 5. Close.
    eprintln!("huiyi-bench: closing {open_after_hold} pages");
    let _ = stop_tx.send(true);
    while let Some(done) = pages.join_next().await {
        done.context("a page task panicked")?;
    }
    let mut attendees_after_close = None;
    let asked = Instant::now();
    loop {
        attendees_after_close = count(&client, &target, &conference, "after closing")
            .await
            .or(attendees_after_close);
        if attendees_after_close == Some(0) || asked.elapsed() > EMPTY_WITHIN {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(owned);

    for (what, errors) in [("pages", &shared.errors), ("probes", &probe_errors)] {
        if let Some(e) = errors.first() {
            eprintln!("huiyi-bench: {what}: {} errors; first: {e}", errors.count());
        }
    }
    let p99 = round_to(fanout.quantile_ms(0.99), 3);
    let report = LiveReport {
        mode: "live",
        backend: args.backend_label(),
        participants: n,
        connected,
        rounds: args.rounds,
        hold_seconds: args.hold_seconds,
        healthz_rps,
        connect_p50_ms: round_to(connects.quantile_ms(0.50), 3),
        connect_p99_ms: round_to(connects.quantile_ms(0.99), 3),
        connect_total_s: round_to(connect_total.as_secs_f64(), 3),
        attendees_after_connect,
        fanout_p50_ms: round_to(fanout.quantile_ms(0.50), 3),
        fanout_p99_ms: p99,
        fanout_max_ms: round_to(fanout.max_ms(), 3),
        fanout_samples: fanout.successes(),
        missed,
        resyncs: shared.resyncs.load(Ordering::Relaxed),
        attendees_after_hold,
        open_after_hold,
        rss_before_mib: rss_before,
        rss_after_mib: rss_after,
        rss_after_hold_mib: rss_after_hold,
        attendees_after_close,
        errors: connects.errors + shared.errors.count() + probe_errors.count(),
        fanout_p99_vs_1s: (fanout.successes() > 0)
            .then(|| ratio(p99, CLAIM_FANOUT_MS))
            .flatten(),
    };
    print!("{}", summary(&report, workers, args.seconds));
    println!("{}", bench_line(&report));
    Ok(())
}

fn show<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// The report for people, one line per step, ending in a newline.
fn summary(r: &LiveReport, workers: usize, seconds: u64) -> String {
    let mib = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1} MiB"));
    let mut out = format!(
        "huiyi-bench live: backend {}, {} participants, {} rounds, hold {} s\n",
        r.backend, r.participants, r.rounds, r.hold_seconds
    );
    out.push_str(&format!(
        "healthz    {:.1} req/s (the baseline: {workers} workers, {seconds} s, before any page)\n",
        r.healthz_rps
    ));
    out.push_str(&format!(
        "connect    {} of {} joined in {:.3} s; connect to joined p50 {:.3} ms, p99 {:.3} ms; attendees {}\n",
        r.connected,
        r.participants,
        r.connect_total_s,
        r.connect_p50_ms,
        r.connect_p99_ms,
        show(r.attendees_after_connect)
    ));
    out.push_str(&format!(
        "fan-out    {} latencies: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {} missed, {} resyncs; \
         p99 / 1 s = {} (claim: at most 1)\n",
        r.fanout_samples,
        r.fanout_p50_ms,
        r.fanout_p99_ms,
        r.fanout_max_ms,
        r.missed,
        r.resyncs,
        show(r.fanout_p99_vs_1s)
    ));
    out.push_str(&format!(
        "hold       after {} s: attendees {}, {} sockets open; after closing all: attendees {}\n",
        r.hold_seconds,
        show(r.attendees_after_hold),
        r.open_after_hold,
        show(r.attendees_after_close)
    ));
    out.push_str(&format!(
        "server RSS before {}, after connecting {}, after the hold {}\n",
        mib(r.rss_before_mib),
        mib(r.rss_after_mib),
        mib(r.rss_after_hold_mib)
    ));
    out.push_str(&format!("errors     {}\n", r.errors));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hears_the_frames_that_matter() {
        let joined = r#"{"type":"joined","you":{"id":"w-bench-1","name":"p1","role":"attendee"},"waiting":false,
            "meeting":{"conferenceId":"123456789","title":"t","tempConferenceId":"9"},
            "state":{"locked":false,"ended":false,"participants":[{"id":"w-x","name":"x"}],"waiting":[],"rollCall":null,"removed":[]}}"#;
        assert_eq!(hear(joined), Heard::Joined { waiting: false });
        assert_eq!(
            hear(r#"{"type":"joined","you":{},"waiting":true,"meeting":{}}"#),
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
            hear(r#"{"type":"resync","state":{"participants":[]}}"#),
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
