//! `reports`: how long `getReportData` takes for sessions of 10, 1,000 and 10,000 participants
//! (10 facts each), against `healthz` measured in the same run (SQLite).
//!
//! The sessions are stored through the store before the server starts (one booking each, their
//! facts in batches of 500 as a media server would send them), [`COLD`] sessions per size.
//! The first request for a session's report reads and folds its facts (`cold`: the median over
//! those sessions); the server keeps the report of an ended session while its facts are
//! unchanged, so the requests that follow, one at a time for `--seconds` per size, measure
//! answering a kept report (`warm`).

use crate::cli::ReportsArgs;
use crate::load::{self, Plan, Scenario, Target};
use crate::preload::{self, store_error};
use crate::report::{bench_line, table};
use crate::server::{self, Server};
use crate::stats::{Figures, ratio, set_ratios};
use anyhow::{Context, Result};
use huiyi_domain::Fact;
use huiyi_domain::session::{ClientType, EndReason, Participant, Role, Voice};
use huiyi_store::{BookingStore, FactBatch, NewFact, SessionStore};
use serde::Serialize;
use std::sync::Arc;

/// Participants per measured session.
const SIZES: [u64; 3] = [10, 1_000, 10_000];
/// Sessions per size whose first report is timed.
const COLD: usize = 5;
/// Facts per `record_facts` call.
const BATCH: usize = 500;

#[derive(Debug, Serialize)]
struct ReportsReport {
    mode: &'static str,
    backend: &'static str,
    seconds: u64,
    facts_per_participant: u64,
    scenarios: Vec<Figures>,
    /// The first report of a session (computed from its facts), median over its sessions, ms.
    cold_ms: Vec<(u64, f64)>,
    /// Cold at 10,000 participants over cold at 1,000: 10 or less is linear or better.
    cold_growth_1k_to_10k: Option<f64>,
    /// Warm p50 at 10,000 over warm p50 at 1,000.
    warm_growth_1k_to_10k: Option<f64>,
}

/// The ten facts of participant `p`, starting at `t`: join, to phone and back, a hand up and
/// down, two roll-call answers, a leave, a rejoin and a last leave.
fn person_facts(p: u64, t: i64) -> Vec<(i64, Fact)> {
    let id = format!("p{p}");
    let joined = Fact::ParticipantJoined {
        participant: Participant {
            id: id.clone(),
            name: format!("参会人 {p}"),
            email: format!("p{p}@bench.test"),
            role: if p == 0 { Role::Host } else { Role::Attendee },
            client: ClientType::Web,
            voice: Voice::Network,
            address: "10.0.0.1".into(),
            ..Participant::default()
        },
    };
    let left = Fact::ParticipantLeft {
        participant_id: id.clone(),
    };
    vec![
        (t, joined.clone()),
        (
            t + 1_000,
            Fact::VoiceSwitched {
                participant_id: id.clone(),
                voice: Voice::Phone,
                address: "+8613800000000".into(),
            },
        ),
        (
            t + 2_000,
            Fact::VoiceSwitched {
                participant_id: id.clone(),
                voice: Voice::Network,
                address: String::new(),
            },
        ),
        (
            t + 3_000,
            Fact::HandRaised {
                participant_id: id.clone(),
            },
        ),
        (
            t + 4_000,
            Fact::HandLowered {
                participant_id: id.clone(),
            },
        ),
        (
            t + 5_000,
            Fact::RollCallAnswered {
                roll_call_id: "r1".into(),
                participant_id: id.clone(),
                video: false,
            },
        ),
        (
            t + 6_000,
            Fact::RollCallAnswered {
                roll_call_id: "r2".into(),
                participant_id: id.clone(),
                video: false,
            },
        ),
        (t + 7_000, left.clone()),
        (t + 8_000, joined),
        (t + 9_000, left),
    ]
}

/// Books a meeting starting soon and stores a whole session of `people` participants; its
/// conferenceId.
async fn stored_session(
    store: &huiyi_store_sqlite::SqliteStore,
    fixture: &preload::Fixture,
    i: u64,
    people: u64,
    now: i64,
) -> Result<String> {
    let booking = store
        .create_booking(&fixture.booking(i, 0, now + 600, 60))
        .await
        .map_err(store_error("cannot book"))?;
    let meeting = booking.meeting(1);
    let base = (now - 3_600) * 1000;
    let mut facts: Vec<(i64, Fact)> = vec![
        (
            base,
            Fact::RollCallStarted {
                roll_call_id: "r1".into(),
                video: false,
            },
        ),
        (
            base,
            Fact::RollCallStarted {
                roll_call_id: "r2".into(),
                video: false,
            },
        ),
    ];
    for p in 0..people {
        facts.extend(person_facts(p, base + 1 + p as i64 * 100));
    }
    let end = facts.iter().map(|f| f.0).max().unwrap_or(base) + 1_000;
    facts.push((
        end,
        Fact::SessionEnded {
            reason: EndReason::Host,
        },
    ));
    for (n, chunk) in facts.chunks(BATCH).enumerate() {
        let batch = FactBatch {
            now_ms: now * 1000,
            facts: chunk
                .iter()
                .enumerate()
                .map(|(k, (at, fact))| NewFact {
                    event_uid: format!("bench-{i}-{n}-{k}"),
                    customer: booking.customer,
                    event_id: booking.event_id,
                    occurrence: 0,
                    meeting,
                    at_ms: *at,
                    fact: fact.clone(),
                })
                .collect(),
        };
        store
            .record_facts(batch)
            .await
            .map_err(store_error("cannot record facts"))?;
    }
    Ok(booking.conference_id.to_string())
}

pub async fn reports(args: ReportsArgs) -> Result<()> {
    let bin = server::server_bin(args.server_bin.as_deref())?;
    let dir = tempfile::Builder::new()
        .prefix("huiyi-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let (_db, database) = preload::fresh_database(dir.path(), "reports.db")?;
    let key = server::random_key();
    let now = huiyi_domain::time::now_unix();
    let (store, fixture) = preload::open(&database, &key, 1, now).await?;
    let mut meetings: Vec<(u64, Vec<String>)> = Vec::new();
    let mut i = 0;
    for people in SIZES {
        eprintln!("huiyi-bench: storing {COLD} sessions of {people} participants");
        let mut ids = Vec::new();
        for _ in 0..COLD {
            ids.push(stored_session(&store, &fixture, i, people, now).await?);
            i += 1;
        }
        meetings.push((people, ids));
    }
    drop(store);
    let server = Server::start(&bin, &database, &dir.path().join("server.log")).await?;
    let target = Target {
        base: server.url.clone(),
        key: key.clone(),
        user_id: preload::user_id(0).get(),
    };
    let plan = Arc::new(Plan::for_run(target.clone(), Vec::new(), now));
    let mut scenarios = Vec::new();
    eprintln!("huiyi-bench: healthz for {} s", args.seconds);
    let (rec, elapsed) = load::measure(&plan, Scenario::Healthz, 1, args.seconds).await?;
    scenarios.push(load::figures("healthz", &rec, elapsed));
    let client = load::http_client(4, std::time::Duration::from_secs(60))?;
    let report_call = |cid: &str| {
        load::Call::Post(
            "/conference/report/getReportData".into(),
            serde_json::json!({"appId": 6, "conferenceId": cid}),
        )
    };
    let mut cold_ms = Vec::new();
    for (people, ids) in &meetings {
        let mut times = Vec::new();
        for cid in ids {
            let started = std::time::Instant::now();
            let got: Option<serde_json::Value> = load::send(&client, &target, &report_call(cid))
                .await
                .map_err(anyhow::Error::msg)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            let total = got
                .as_ref()
                .and_then(|r| r["summary"]["totalCount"].as_u64());
            anyhow::ensure!(total == Some(*people), "the report counts {total:?} people");
        }
        times.sort_by(f64::total_cmp);
        cold_ms.push((*people, times[times.len() / 2]));
    }
    for (people, ids) in &meetings {
        let people = *people;
        let name = format!("report_{people}_warm");
        eprintln!("huiyi-bench: {name} for {} s", args.seconds);
        let call = report_call(&ids[0]);
        let (rec, elapsed) = load::drive(1, args.seconds, |_| {
            let (client, target, call) = (client.clone(), target.clone(), call.clone());
            move |_| {
                let (client, target, call) = (client.clone(), target.clone(), call.clone());
                async move {
                    let got: Option<serde_json::Value> =
                        load::send(&client, &target, &call).await?;
                    let total = got
                        .as_ref()
                        .and_then(|r| r["summary"]["totalCount"].as_u64());
                    if total == Some(people) {
                        Ok(())
                    } else {
                        Err(format!("the report counts {total:?} people, not {people}"))
                    }
                }
            }
        })
        .await?;
        scenarios.push(load::figures(&name, &rec, elapsed));
    }
    drop(server);
    set_ratios(&mut scenarios, Scenario::BASELINE.name());
    let p50 = |name: &str| scenarios.iter().find(|f| f.name == name).map(|f| f.p50_ms);
    let cold = |n: u64| cold_ms.iter().find(|(p, _)| *p == n).map(|(_, ms)| *ms);
    let report = ReportsReport {
        mode: "reports",
        backend: "sqlite",
        seconds: args.seconds,
        facts_per_participant: 10,
        cold_growth_1k_to_10k: cold(10_000).zip(cold(1_000)).and_then(|(a, b)| ratio(a, b)),
        warm_growth_1k_to_10k: p50("report_10000_warm")
            .zip(p50("report_1000_warm"))
            .and_then(|(a, b)| ratio(a, b)),
        cold_ms,
        scenarios,
    };
    println!(
        "huiyi-bench reports: sqlite, one request at a time, {} s per size",
        report.seconds
    );
    print!("{}", table(&report.scenarios));
    let shown = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.2}"));
    for (people, ms) in &report.cold_ms {
        println!("first report (computed from the facts), {people} participants: {ms:.1} ms");
    }
    println!(
        "at 10,000 participants / at 1,000: first report {}, kept report p50 {} (10 would be \
         linear)",
        shown(report.cold_growth_1k_to_10k),
        shown(report.warm_growth_1k_to_10k)
    );
    println!("{}", bench_line(&report));
    Ok(())
}
