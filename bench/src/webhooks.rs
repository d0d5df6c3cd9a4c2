//! `webhooks`: what enqueueing costs a booking, and how fast the delivery worker empties the
//! outbox to a local receiver (SQLite by default).
//!
//! 1. A fresh database with the bench customer and one endpoint (`huiyi admin webhook add`)
//!    pointing at a receiver of the bench's own on 127.0.0.1, and `--messages` bookings stored
//!    through the store before the server starts: each enqueued one `meeting.booked`.
//! 2. The server starts and delivers them; the rate is the messages over the time from the
//!    first arrival to the last.
//! 3. With the endpoint removed, `healthz` and `book` are measured; with one endpoint again,
//!    `book_webhook` (the same bookings, each enqueueing a message the worker delivers
//!    meanwhile).

use crate::cli::WebhooksArgs;
use crate::load::{self, Plan, Scenario, Target};
use crate::preload;
use crate::report::{bench_line, table};
use crate::server::{self, Server};
use crate::stats::{Figures, median_over_turns, ratio, set_ratios};
use anyhow::{Context, Result, bail};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Serialize)]
struct WebhooksReport {
    mode: &'static str,
    backend: &'static str,
    concurrency: u32,
    seconds: u64,
    messages: u64,
    /// Messages delivered per second by one server's worker.
    delivered_per_second: f64,
    scenarios: Vec<Figures>,
    /// The median `book_webhook` p99 divided by the median `book` p99: what enqueueing costs.
    book_p99_with_vs_without: Option<f64>,
    /// `book_webhook_delivering` p99 divided by the median `book` p99: enqueueing and delivering at once,
    /// on the same two cores as the load and the receiver.
    book_p99_delivering_vs_without: Option<f64>,
}

/// Arrival times of every request the receiver got.
#[derive(Clone, Default)]
struct Arrivals(Arc<Mutex<Vec<Instant>>>);

impl Arrivals {
    fn count(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn span(&self) -> Option<Duration> {
        let got = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Some(got.iter().max()?.duration_since(*got.iter().min()?))
    }
}

/// A receiver on a free loopback port that answers 204 to every POST.
async fn receiver() -> Result<(String, Arrivals)> {
    let arrivals = Arrivals::default();
    let recorded = arrivals.clone();
    let app = Router::new().route(
        "/{*path}",
        post(move || {
            let recorded = recorded.clone();
            async move {
                recorded
                    .0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Instant::now());
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot bind the receiver")?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, arrivals))
}

/// `huiyi admin webhook ARGS --database DB`; its stdout.
fn admin_webhook(bin: &Path, database: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .args(["admin", "webhook"])
        .args(args)
        .args(["--database", database])
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "huiyi admin webhook {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Registers the receiver for the bench customer; the endpoint id.
fn add_endpoint(bin: &Path, database: &str, url: &str) -> Result<String> {
    let out = admin_webhook(
        bin,
        database,
        &["add", "--customer", server::CUSTOMER_CODE, "--url", url],
    )?;
    out.lines()
        .find_map(|l| l.strip_prefix("endpoint "))
        .map(|id| id.trim().to_owned())
        .context("`webhook add` printed no endpoint id")
}

/// Waits until `n` requests have arrived in all (at most 10 minutes).
async fn wait_for(arrivals: &Arrivals, n: usize, server: &Server) -> Result<()> {
    let started = Instant::now();
    while arrivals.count() < n {
        if started.elapsed() > Duration::from_secs(600) {
            bail!(
                "only {} of {n} messages arrived in 10 minutes; the server log:\n{}",
                arrivals.count(),
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn plan_for(server: &Server, key: &str, now: i64) -> Arc<Plan> {
    let target = Target {
        base: server.url.clone(),
        key: key.to_owned(),
        user_id: preload::user_id(0).get(),
    };
    Arc::new(Plan::for_run(target, Vec::new(), now))
}

async fn measure(
    plan: &Arc<Plan>,
    scenario: Scenario,
    name: &str,
    args: &WebhooksArgs,
) -> Result<Figures> {
    eprintln!("huiyi-bench: {name} for {} s", args.seconds);
    let workers = args.concurrency as usize;
    let (rec, elapsed) = load::measure(plan, scenario, workers, args.seconds).await?;
    Ok(load::figures(name, &rec, elapsed))
}

pub async fn webhooks(args: WebhooksArgs) -> Result<()> {
    let bin = server::server_bin(args.server_bin.as_deref())?;
    let dir = tempfile::Builder::new()
        .prefix("huiyi-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let (_db, database) = preload::fresh_database(dir.path(), "webhooks.db")?;
    let key = server::random_key();
    let now = huiyi_domain::time::now_unix();
    let (store, fixture) = preload::open(&database, &key, 1, now).await?;
    let (url, arrivals) = receiver().await?;
    let endpoint = add_endpoint(&bin, &database, &url)?;
    eprintln!(
        "huiyi-bench: storing {} bookings (one message each)",
        args.messages
    );
    preload::store_all(&store, args.messages, |i| {
        Ok(fixture.booking(i, 0, now + 86_400 + i as i64 * 60, 30))
    })
    .await?;
    drop(store);

    // The default delivery tick: what a deployment runs with.
    let env = [("HUIYI_WEBHOOK_ALLOW_PRIVATE", "true")];
    let server =
        Server::start_with_env(&bin, &database, &dir.path().join("server.log"), &env).await?;
    let expected = usize::try_from(args.messages)?;
    wait_for(&arrivals, expected, &server).await?;
    let span = arrivals.span().unwrap_or_default().as_secs_f64();
    let delivered_per_second = if span > 0.0 {
        (expected.saturating_sub(1)) as f64 / span
    } else {
        0.0
    };
    eprintln!("huiyi-bench: {expected} messages delivered in {span:.2} s");

    drop(server);

    // Booking with no endpoint and with one, in turns (`--rounds` of each, every one on a
    // server started afresh), on servers whose worker waits an hour between rounds: what
    // enqueueing costs, with nothing delivered meanwhile.
    let paused = [
        ("HUIYI_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("HUIYI_DELIVERY_TICK_MS", "3600000"),
    ];
    let log = dir.path().join("server-book.log");
    let mut scenarios = Vec::new();
    let mut queued = 0usize;
    let mut endpoint = Some(endpoint);
    for round in 1..=args.rounds {
        for with in [false, true] {
            match (&endpoint, with) {
                (Some(id), false) => {
                    let remove = ["remove", "--customer", server::CUSTOMER_CODE, id.as_str()];
                    admin_webhook(&bin, &database, &remove)?;
                    endpoint = None;
                }
                (None, true) => endpoint = Some(add_endpoint(&bin, &database, &url)?),
                _ => {}
            }
            let server = Server::start_with_env(&bin, &database, &log, &paused).await?;
            let plan = plan_for(&server, &key, now);
            if round == 1 && !with {
                scenarios.push(measure(&plan, Scenario::Healthz, "healthz", &args).await?);
            }
            let name = if with { "book_webhook" } else { "book" };
            let f = measure(&plan, Scenario::Book, &format!("{name} {round}"), &args).await?;
            if with {
                // Removing the endpoint for the next turn fails what it still had pending: only
                // the last turn's messages remain to be delivered.
                queued = usize::try_from(f.requests - f.errors).unwrap_or(0);
            }
            scenarios.push(f);
        }
    }
    // Then booking while the worker delivers, once what the paused rounds queued is out.
    let before = arrivals.count();
    let server = Server::start_with_env(&bin, &database, &log, &env).await?;
    wait_for(&arrivals, before + queued, &server).await?;
    let plan = plan_for(&server, &key, now);
    let before = arrivals.count();
    let delivering = measure(&plan, Scenario::Book, "book_webhook_delivering", &args).await?;
    let booked = usize::try_from(delivering.requests - delivering.errors).unwrap_or(0);
    scenarios.push(delivering);
    wait_for(&arrivals, before + booked, &server).await?;
    drop(server);
    set_ratios(&mut scenarios, Scenario::BASELINE.name());
    let report = WebhooksReport {
        mode: "webhooks",
        backend: "sqlite",
        concurrency: args.concurrency,
        seconds: args.seconds,
        messages: args.messages,
        delivered_per_second,
        book_p99_with_vs_without: median_over_turns(&scenarios, "book_webhook", |f| f.p99_ms)
            .zip(median_over_turns(&scenarios, "book", |f| f.p99_ms))
            .and_then(|(w, n)| ratio(w, n)),
        book_p99_delivering_vs_without: median_over_turns(
            &scenarios,
            "book_webhook_delivering",
            |f| f.p99_ms,
        )
        .zip(median_over_turns(&scenarios, "book", |f| f.p99_ms))
        .and_then(|(w, n)| ratio(w, n)),
        scenarios,
    };
    println!(
        "huiyi-bench webhooks: sqlite, {} workers, {} s per scenario",
        report.concurrency, report.seconds
    );
    print!("{}", table(&report.scenarios));
    let shown = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.3}"));
    println!(
        "delivery: {:.0} messages/s ({} messages); book p99 with one endpoint / without: {} \
         (enqueueing), {} (enqueueing and delivering)",
        report.delivered_per_second,
        report.messages,
        shown(report.book_p99_with_vs_without),
        shown(report.book_p99_delivering_vs_without),
    );
    println!("{}", bench_line(&report));
    Ok(())
}
