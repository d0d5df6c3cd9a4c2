//! `huiyi-bench`: load benchmark of the huiyi server. `run` measures each scenario against one
//! server; `scale` measures how listing latency grows with the number of stored bookings;
//! `series` what stored recurring meetings cost a listing; `events` media event ingestion and
//! getConfStatus on a live meeting; `live` 500 WebSocket participants in one meeting and how
//! fast a join or leave reaches all of them; `webhooks` the outbox's delivery rate and what
//! enqueueing costs a booking; `rooms` what a booking's rooms cost it and getPhoneAccessNum.
//! All traffic goes to loopback. See bench/README.md.

mod cli;
mod events;
mod invitations;
mod live;
mod load;
mod media;
mod preload;
mod report;
mod reports;
mod rooms;
mod scale;
mod series;
mod server;
mod stats;
mod webhooks;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, Command, RunArgs};
use load::{Plan, Scenario, Target};
use report::{RunReport, bench_line, table};
use std::process::ExitCode;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let work = async {
        match cli.command {
            Command::Run(args) => run(args).await,
            Command::Scale(args) => scale::scale(args).await,
            Command::Series(args) => series::series(args).await,
            Command::Events(args) => events::events(args).await,
            Command::Live(args) => live::live(args).await,
            Command::Webhooks(args) => webhooks::webhooks(args).await,
            Command::Reports(args) => reports::reports(args).await,
            Command::Rooms(args) => rooms::rooms(args).await,
            Command::Invitations(args) => invitations::invitations(args).await,
        }
    };
    // On Ctrl-C or SIGTERM the work is dropped, and with it any server we started.
    let outcome = tokio::select! {
        r = work => r,
        signal = stop_signal() => Err(anyhow::anyhow!("interrupted by {signal}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("huiyi-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return "Ctrl-C";
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "Ctrl-C",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

async fn run(args: RunArgs) -> Result<()> {
    let (owned, target) = match &args.url {
        Some(url) => {
            let target = Target {
                base: url.clone(),
                key: args.key.clone().context("--url needs --key")?,
                user_id: args.user_id.context("--url needs --user-id")?,
            };
            (None, target)
        }
        None => {
            let (owned, target) =
                server::start_own(args.server_bin.as_deref(), args.database.as_deref(), &[])
                    .await?;
            (Some(owned), target)
        }
    };
    let workers = args.concurrency as usize;
    eprintln!(
        "huiyi-bench: target {}, {workers} workers, {} s per scenario; seeding {} bookings",
        target.base,
        args.seconds,
        args.seed_count()
    );
    let now = huiyi_domain::time::now_unix();
    let ids = load::seed(&target, args.seed_count(), workers, now).await?;
    let plan = Arc::new(Plan::for_run(target, ids, now));
    match load::probe_list(&plan).await {
        Ok(n) => eprintln!("huiyi-bench: list answers {n} bookings per request"),
        Err(e) => eprintln!("huiyi-bench: warning: a list request failed: {e}"),
    }

    let scenarios = load::measure_all(&plan, &Scenario::RUN, workers, args.seconds, "").await?;
    drop(owned);

    let report = RunReport {
        mode: "run",
        backend: args.backend_label(),
        concurrency: args.concurrency,
        seconds: args.seconds,
        scenarios,
    };
    println!(
        "huiyi-bench run: backend {}, {} workers, {} s per scenario",
        report.backend, report.concurrency, report.seconds
    );
    print!("{}", table(&report.scenarios));
    println!("{}", bench_line(&report));
    Ok(())
}
