//! `events`: media event ingestion and what live sessions cost getConfStatus. The bench starts
//! its own server with a fresh media secret, books meetings that are joinable now, and
//! measures in turn:
//!
//! - `healthz`, the baseline;
//! - `events`: each worker posts signed batches of 50 events (joins, hands raised and lowered,
//!   leaves; see [`crate::media`]) spread over `--meetings` meetings;
//! - `status_live_500` and `status_empty`: getConfStatus on a meeting whose session holds 500
//!   present participants, and on one that has never had a session.

use crate::cli::EventsArgs;
use crate::load::{self, Call, Plan, REQUEST_TIMEOUT, Scenario, Target, http_client};
use crate::media::{self, BATCH, PRIME_BATCHES, Sender, Stream};
use crate::report::{EventsReport, bench_line, scenario, table};
use crate::server::{self, random_key};
use crate::stats::{Figures, ratio, round_to, set_ratios};
use anyhow::{Context, Result, bail, ensure};
use huiyi_domain::time::{Zone, now_millis, now_unix};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// People put into the live meeting, in batches of [`BATCH`] joins.
pub const LIVE: i64 = 500;
/// getConfStatus's `confStatus`: created (no session yet), in progress (an open session).
const CREATED: i64 = 1;
const IN_PROGRESS: i64 = 2;
const STATUS_PATH: &str = "/conference/conference/getConfStatus";
/// The claims measured, for the summary lines (the BENCH line carries figures only).
const CLAIM_EVENTS_PER_SEC: f64 = 5_000.0;
const CLAIM_LIVE_VS_EMPTY: f64 = 2.0;

/// The start of every booked meeting: on the 5-minute mark 20 to 25 minutes from `now`, so that
/// it is joinable at once (the fixture's `advanceHours` is 1) and stays joinable (until 12 hours
/// after its end) however long the run takes.
pub fn start_soon(now: i64) -> i64 {
    (now + 20 * 60).div_euclid(300) * 300 + 300
}

/// The media answer's parts the measured loop counts.
#[derive(Deserialize)]
struct Tally {
    accepted: u64,
    duplicates: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    conf_status: i64,
    attendees: i64,
}

fn status_call(conference: &str) -> Call {
    Call::Post(STATUS_PATH.into(), json!({ "conferenceId": conference }))
}

pub async fn events(args: EventsArgs) -> Result<()> {
    let secret = random_key();
    let (owned, target) = server::start_own(
        args.server_bin.as_deref(),
        args.database.as_deref(),
        &[("HUIYI_MEDIA_SECRET", &secret)],
    )
    .await?;
    let workers = args.concurrency as usize;
    let now = now_unix();
    let start = start_soon(now);
    let count = args.meetings as usize + 2;
    eprintln!(
        "huiyi-bench: target {}, {workers} workers, {} s per scenario; booking {count} meetings at {}",
        target.base,
        args.seconds,
        Zone::default().format(start)
    );
    let ids = load::seed_at(&target, count, workers, move |_| start).await?;
    ensure!(
        ids.len() == count,
        "only {} of {count} meetings could be booked",
        ids.len()
    );
    let (live, empty) = (ids[0].clone(), ids[1].clone());
    let meetings: Arc<[String]> = ids[2..].into();
    let client = http_client(workers, REQUEST_TIMEOUT)?;
    let sender = Sender {
        client: client.clone(),
        base: target.base.clone(),
        secret: secret.into(),
    };
    let run: Arc<str> = media::run_tag().into();

    let live_attendees = fill_live(&sender, &run, &live).await?;
    check_status(&client, &target, &live, IN_PROGRESS, LIVE).await?;
    check_status(&client, &target, &empty, CREATED, 0).await?;
    eprintln!(
        "huiyi-bench: meeting {live} has {live_attendees} attendees (confStatus {IN_PROGRESS}), \
         meeting {empty} none (confStatus {CREATED})"
    );
    let mut streams: Vec<Stream> = (0..workers)
        .map(|w| Stream::new(Arc::clone(&run), w, Arc::clone(&meetings)))
        .collect();
    prime(&sender, &mut streams).await?;

    let plan = Arc::new(Plan::for_run(target.clone(), ids.clone(), now));
    let mut scenarios =
        load::measure_all(&plan, &[Scenario::Healthz], workers, args.seconds, "").await?;
    let ingestion = measure_events(&sender, streams, args.seconds).await?;
    scenarios.push(ingestion.figures);
    for (name, conference) in [("status_live_500", &live), ("status_empty", &empty)] {
        scenarios
            .push(measure_status(&client, &target, conference, name, workers, args.seconds).await?);
    }
    drop(owned);
    set_ratios(&mut scenarios, Scenario::BASELINE.name());

    let baseline = scenario(&scenarios, Scenario::BASELINE.name()).map_or(0.0, |f| f.rps);
    let (live_fig, empty_fig) = (
        scenario(&scenarios, "status_live_500").cloned(),
        scenario(&scenarios, "status_empty").cloned(),
    );
    let (p50, rps) = match (&live_fig, &empty_fig) {
        (Some(l), Some(e)) => (ratio(l.p50_ms, e.p50_ms), ratio(e.rps, l.rps)),
        _ => (None, None),
    };
    let report = EventsReport {
        mode: "events",
        backend: args.backend_label(),
        concurrency: args.concurrency,
        seconds: args.seconds,
        meetings: args.meetings,
        batch_events: BATCH,
        events_per_sec: ingestion.events_per_sec,
        events_per_sec_ratio: ratio(ingestion.events_per_sec, baseline),
        accepted: ingestion.accepted,
        duplicates: ingestion.duplicates,
        live_attendees,
        live_vs_empty_p50: p50,
        live_vs_empty_rps: rps,
        scenarios,
    };
    println!(
        "huiyi-bench events: backend {}, {} workers, {} s per scenario, {} meetings, batches of {BATCH}",
        report.backend, report.concurrency, report.seconds, report.meetings
    );
    print!("{}", table(&report.scenarios));
    if let Some(e) = scenario(&report.scenarios, "events") {
        println!(
            "events: {:.1} batches/s × {BATCH} = {:.1} events/s (claim: at least {CLAIM_EVENTS_PER_SEC:.0}); \
             per batch p50 {:.3} ms, p99 {:.3} ms; {} accepted, {} duplicates, {} failed batches",
            e.rps,
            report.events_per_sec,
            e.p50_ms,
            e.p99_ms,
            report.accepted,
            report.duplicates,
            e.errors
        );
    }
    if let (Some(l), Some(e)) = (&live_fig, &empty_fig) {
        let show = |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("×{r:.3}"));
        println!(
            "getConfStatus: p50 live ({live_attendees} attendees) {:.3} ms / empty {:.3} ms = {}; \
             req/s empty {:.1} / live {:.1} = {} (claim: within ×{CLAIM_LIVE_VS_EMPTY:.0})",
            l.p50_ms,
            e.p50_ms,
            show(p50),
            e.rps,
            l.rps,
            show(rps)
        );
    }
    if report.duplicates > 0 {
        eprintln!(
            "huiyi-bench: warning: the server ignored {} events as duplicates; the bench's ids \
             should all be new",
            report.duplicates
        );
    }
    println!("{}", bench_line(&report));
    Ok(())
}

/// Puts [`LIVE`] participants into `conference`, one batch of joins at a time, and answers the
/// attendee count the last answer gives its session; fails unless it is [`LIVE`].
async fn fill_live(sender: &Sender, run: &str, conference: &str) -> Result<i64> {
    let batches = LIVE as u64 / BATCH as u64;
    let mut attendees = None;
    for k in 0..batches {
        let answer: huiyi_wire::media::MediaAnswer = sender
            .post(media::live_joins(run, conference, k, now_millis()))
            .await
            .map_err(|e| anyhow::anyhow!("joining meeting {conference} (batch {k}): {e}"))?;
        ensure!(
            answer.accepted == BATCH as i64,
            "joining meeting {conference} (batch {k}): {} of {BATCH} events accepted, {} duplicates",
            answer.accepted,
            answer.duplicates
        );
        attendees = answer
            .sessions
            .iter()
            .find(|s| s.conference_id == conference)
            .map(|s| s.attendees);
    }
    match attendees {
        Some(n) if n == LIVE => Ok(n),
        Some(n) => bail!("after {LIVE} joins meeting {conference} has {n} attendees, not {LIVE}"),
        None => bail!("the answers to the joins name no session of meeting {conference}"),
    }
}

/// Fails unless getConfStatus answers `conf_status` and `attendees` for `conference`.
async fn check_status(
    client: &reqwest::Client,
    target: &Target,
    conference: &str,
    conf_status: i64,
    attendees: i64,
) -> Result<()> {
    let got = load::send::<Status>(client, target, &status_call(conference))
        .await
        .map_err(|e| anyhow::anyhow!("getConfStatus of meeting {conference}: {e}"))?
        .with_context(|| format!("getConfStatus of meeting {conference} has no result"))?;
    ensure!(
        (got.conf_status, got.attendees) == (conf_status, attendees),
        "getConfStatus of meeting {conference} answers confStatus {} with {} attendees; the \
         bench needs confStatus {conf_status} with {attendees} attendees before measuring",
        got.conf_status,
        got.attendees
    );
    Ok(())
}

/// Sends every worker's first [`PRIME_BATCHES`] batches (not measured), so that each measured
/// batch holds [`BATCH`] events about participants that have already joined.
async fn prime(sender: &Sender, streams: &mut [Stream]) -> Result<()> {
    eprintln!(
        "huiyi-bench: priming: {PRIME_BATCHES} batches per worker ({} workers)",
        streams.len()
    );
    for _ in 0..PRIME_BATCHES {
        for (w, stream) in streams.iter_mut().enumerate() {
            sender
                .post::<Tally>(stream.next_batch(now_millis()))
                .await
                .map_err(|e| anyhow::anyhow!("priming worker {w}: {e}"))?;
        }
    }
    Ok(())
}

struct Ingestion {
    figures: Figures,
    events_per_sec: f64,
    accepted: u64,
    duplicates: u64,
}

/// Each worker posts its stream's batches until `seconds` have passed.
async fn measure_events(sender: &Sender, streams: Vec<Stream>, seconds: u64) -> Result<Ingestion> {
    eprintln!("huiyi-bench: events for {seconds} s");
    let accepted = Arc::new(AtomicU64::new(0));
    let duplicates = Arc::new(AtomicU64::new(0));
    let workers = streams.len();
    let mut streams = streams.into_iter();
    let (rec, elapsed) = load::drive(workers, seconds, |_| {
        let mut stream = streams.next().expect("one stream per worker");
        let (sender, accepted, duplicates) = (
            sender.clone(),
            Arc::clone(&accepted),
            Arc::clone(&duplicates),
        );
        move |_| {
            let request = sender.request(stream.next_batch(now_millis()));
            let (accepted, duplicates) = (Arc::clone(&accepted), Arc::clone(&duplicates));
            async move {
                let tally = load::answer::<Tally>(request, true)
                    .await?
                    .ok_or_else(|| "the answer has no result".to_owned())?;
                accepted.fetch_add(tally.accepted, Ordering::Relaxed);
                duplicates.fetch_add(tally.duplicates, Ordering::Relaxed);
                Ok(())
            }
        }
    })
    .await?;
    let secs = elapsed.as_secs_f64();
    let events_per_sec = if secs > 0.0 {
        round_to(rec.successes() as f64 * BATCH as f64 / secs, 1)
    } else {
        0.0
    };
    Ok(Ingestion {
        figures: load::figures("events", &rec, elapsed),
        events_per_sec,
        accepted: accepted.load(Ordering::Relaxed),
        duplicates: duplicates.load(Ordering::Relaxed),
    })
}

/// getConfStatus of `conference`, by every worker, until `seconds` have passed.
async fn measure_status(
    client: &reqwest::Client,
    target: &Target,
    conference: &str,
    name: &str,
    workers: usize,
    seconds: u64,
) -> Result<Figures> {
    eprintln!("huiyi-bench: {name} for {seconds} s");
    let call = Arc::new(status_call(conference));
    let target = Arc::new(target.clone());
    let (rec, elapsed) = load::drive(workers, seconds, |_| {
        let (client, target, call) = (client.clone(), Arc::clone(&target), Arc::clone(&call));
        move |_| {
            let (client, target, call) = (client.clone(), Arc::clone(&target), Arc::clone(&call));
            async move {
                load::send::<serde::de::IgnoredAny>(&client, &target, &call)
                    .await
                    .map(drop)
            }
        }
    })
    .await?;
    Ok(load::figures(name, &rec, elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meetings_start_soon_enough_to_be_joinable_now() {
        for now in [1_704_038_400, 1_704_038_401, 1_704_038_699, 1_704_038_999] {
            let start = start_soon(now);
            assert_eq!(start % 300, 0);
            assert!(
                (now + 20 * 60..=now + 25 * 60).contains(&start),
                "{now}: {start}"
            );
            // The fixture's advanceHours is 1.
            assert!(start - 3600 < now);
        }
    }

    #[test]
    fn the_live_meeting_fills_in_whole_batches() {
        assert_eq!(LIVE % BATCH as i64, 0);
        assert_eq!(
            status_call("123456789"),
            Call::Post(STATUS_PATH.into(), json!({"conferenceId": "123456789"}))
        );
    }
}
