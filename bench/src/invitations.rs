//! `invitations`: what telling 500 invitees by email costs a booking (the letters are enqueued
//! in its transaction), and how fast one server's delivery worker sends letters to a local SMTP
//! server (SQLite).
//!
//! 1. With the delivery worker paused (so nothing is sent meanwhile), `book_500` (500 invitees,
//!    `email_notify` false) and `book_500_notify` (the same with `email_notify` true: 501
//!    letters queued per booking) are measured in turns.
//! 2. On a fresh database, with an SMTP server of Python's `aiosmtpd` on loopback that notes
//!    when each letter arrives, `--mail-bookings` such bookings are made and the rate is the
//!    letters over the time from the first arrival to the last.

use crate::cli::InvitationsArgs;
use crate::load::{self, Call, Plan, Scenario, Target};
use crate::report::{bench_line, table};
use crate::server::{self, Server};
use crate::stats::{Figures, median_over_turns, ratio, set_ratios};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Invitees per booking.
const INVITEES: usize = 500;

#[derive(Debug, Serialize)]
struct InvitationsReport {
    mode: &'static str,
    backend: &'static str,
    concurrency: u32,
    seconds: u64,
    invitees: usize,
    scenarios: Vec<Figures>,
    /// Median `book_500_notify` p99 over median `book_500` p99 (the issue's bound: 2).
    book_p99_notify_vs_none: Option<f64>,
    /// Letters delivered per second to the local SMTP server (the issue's bound: 200).
    letters_per_second: f64,
    letters: usize,
}

/// A SMTP server that prints the arrival time of every letter, one line each.
const SINK: &str = r#"
import sys, time, threading
from aiosmtpd.controller import Controller
class Count:
    async def handle_DATA(self, server, session, envelope):
        print(time.monotonic(), flush=True)
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
threading.Event().wait()
"#;

fn booking(k: u64, notify: bool, now: i64) -> Call {
    let start = now + 2 * 86_400 + (k as i64 % 2_000) * 900;
    let invitees: Vec<serde_json::Value> = (0..INVITEES)
        .map(|i| json!({"name": format!("Guest {i}"), "email": format!("g{i}@bench.test"), "mobile": ""}))
        .collect();
    Call::Post(
        "/conference/conference/reservConference2".into(),
        json!({"userId": server::HOST_USER_ID, "title": format!("bench invite {k}"), "length": 30,
               "starttime": huiyi_domain::time::Zone::default().format(start),
               "email_notify": notify, "inviteeList": invitees}),
    )
}

async fn started(
    bin: &std::path::Path,
    dir: &std::path::Path,
    name: &str,
    key: &str,
    env: &[(&str, &str)],
) -> Result<(Server, Arc<Plan>)> {
    let database = server::sqlite_url(&dir.join(format!("{name}.db")));
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_vec(&server::fixture(key))?)?;
    server::admin_import(bin, &file, &database)?;
    let s = Server::start_with_env(bin, &database, &dir.join(format!("{name}.log")), env).await?;
    let target = Target {
        base: s.url.clone(),
        key: key.to_owned(),
        user_id: server::HOST_USER_ID,
    };
    let plan = Arc::new(Plan::for_run(
        target,
        Vec::new(),
        huiyi_domain::time::now_unix(),
    ));
    Ok((s, plan))
}

pub async fn invitations(args: InvitationsArgs) -> Result<()> {
    let bin = server::server_bin(args.server_bin.as_deref())?;
    let dir = tempfile::Builder::new()
        .prefix("huiyi-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let key = server::random_key();
    let port = server::free_port()?;
    let mut sink = tokio::process::Command::new(&args.python)
        .args(["-c", SINK, &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {} with aiosmtpd", args.python))?;
    let mut arrivals = BufReader::new(sink.stdout.take().context("the sink's output")?).lines();
    let smtp = format!("smtp://127.0.0.1:{port}");

    // 1. Booking with and without letters, the worker paused.
    let paused = [
        ("HUIYI_SMTP_URL", smtp.as_str()),
        ("HUIYI_DELIVERY_TICK_MS", "3600000"),
    ];
    let (s, plan) = started(&bin, dir.path(), "book", &key, &paused).await?;
    let mut scenarios = Vec::new();
    let workers = args.concurrency as usize;
    let (rec, elapsed) = load::measure(&plan, Scenario::Healthz, workers, args.seconds).await?;
    scenarios.push(load::figures("healthz", &rec, elapsed));
    for round in 1..=args.rounds {
        for notify in [false, true] {
            let name = if notify {
                "book_500_notify"
            } else {
                "book_500"
            };
            let now = plan.now;
            let make = move |k| booking(k, notify, now);
            let name = format!("{name} {round}");
            scenarios.push(load::drive_calls(&plan, &name, workers, args.seconds, 0, make).await?);
        }
    }
    drop(s);

    // 2. Delivery to the local SMTP server.
    let live = [
        ("HUIYI_SMTP_URL", smtp.as_str()),
        ("HUIYI_DELIVERY_TICK_MS", "50"),
    ];
    let (s, plan) = started(&bin, dir.path(), "deliver", &key, &live).await?;
    let client = load::http_client(1, Duration::from_secs(60))?;
    for k in 0..args.mail_bookings {
        load::send::<serde::de::IgnoredAny>(&client, &plan.target, &booking(k, true, plan.now))
            .await
            .map_err(|e| anyhow::anyhow!("booking failed: {e}"))?;
    }
    let expected = args.mail_bookings as usize * (INVITEES + 1);
    let mut times: Vec<f64> = Vec::with_capacity(expected);
    let deadline = Instant::now() + Duration::from_secs(600);
    while times.len() < expected {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, arrivals.next_line()).await {
            Ok(Ok(Some(line))) => times.push(line.trim().parse().unwrap_or_default()),
            _ => bail!(
                "only {} of {expected} letters arrived; the server log:\n{}",
                times.len(),
                s.log_tail()
            ),
        }
    }
    drop(s);
    let span =
        times.last().copied().unwrap_or_default() - times.first().copied().unwrap_or_default();
    let letters_per_second = if span > 0.0 {
        (expected - 1) as f64 / span
    } else {
        0.0
    };
    set_ratios(&mut scenarios, Scenario::BASELINE.name());
    let report = InvitationsReport {
        mode: "invitations",
        backend: "sqlite",
        concurrency: args.concurrency,
        seconds: args.seconds,
        invitees: INVITEES,
        book_p99_notify_vs_none: median_over_turns(&scenarios, "book_500_notify", |f| f.p99_ms)
            .zip(median_over_turns(&scenarios, "book_500", |f| f.p99_ms))
            .and_then(|(n, w)| ratio(n, w)),
        letters_per_second: (letters_per_second * 10.0).round() / 10.0,
        letters: expected,
        scenarios,
    };
    println!(
        "huiyi-bench invitations: sqlite, {} workers, {} s per scenario, {INVITEES} invitees",
        report.concurrency, report.seconds
    );
    print!("{}", table(&report.scenarios));
    let shown = report
        .book_p99_notify_vs_none
        .map_or("-".to_owned(), |r| format!("{r:.3}"));
    println!(
        "book p99 with email_notify / without: {shown}; delivery: {:.0} letters/s ({} letters)",
        report.letters_per_second, report.letters
    );
    println!("{}", bench_line(&report));
    Ok(())
}
