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

mod frames;
mod pages;

pub use frames::*;
use pages::*;

use crate::cli::LiveArgs;
use crate::events::start_soon;
use crate::load::{self, Call, Plan, REQUEST_TIMEOUT, Scenario, Target, book_call, http_client};
use crate::report::{LiveReport, bench_line, scenario};
use crate::server;
use crate::stats::{Recorder, ratio, round_to};
use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use huiyi_domain::time::{Zone, now_unix};
use huiyi_wire::live::ClientMessage;
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
            .send(Message::text(ClientMessage::Leave.to_text()))
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
