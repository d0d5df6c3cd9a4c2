//! `rooms`: what a booking's rooms cost it (the registry lookup, the check that no other
//! booking holds the room then, and the holds written in its transaction), measured against
//! the same booking without rooms on the same server, and `getPhoneAccessNum` against `healthz`
//! (SQLite).
//!
//! The registry holds [`ROOMS`] rooms and one shared dial-in number in each of ten cities.
//! Every booking with a room takes a room and an hour no other request takes, so none is
//! refused: what is measured is the cost of the check, not of a conflict. The two booking
//! scenarios run in turns (`--rounds` of each); the ratio compares their medians.

use crate::cli::RoomsArgs;
use crate::load::{self, Call, Plan, Scenario, Target};
use crate::report::{bench_line, table};
use crate::server::{self, Server};
use crate::stats::{Figures, median_over_turns, ratio, set_ratios};
use anyhow::{Context, Result};
use huiyi_domain::time::Zone;
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

/// Rooms in the registry.
const ROOMS: u64 = 2_000;
/// Dial-in numbers, one per city, and callers of those cities and of others.
const NUMBERS: [&str; 10] = [
    "01058858950",
    "02135994558",
    "02083331234",
    "075583331234",
    "02886661234",
    "02785551234",
    "02988881234",
    "057187771234",
    "02584441234",
    "02223331234",
];
const CALLERS: [&str; 8] = [
    "010-59937429",
    "13812345678",
    "+86 755 2666 1234",
    "0769-22221234",
    "0991-4561234",
    "(021) 6888 1234",
    "15900001234",
    "+1 650 253 0000",
];

#[derive(Debug, Serialize)]
struct RoomsReport {
    mode: &'static str,
    backend: &'static str,
    concurrency: u32,
    seconds: u64,
    rooms: u64,
    scenarios: Vec<Figures>,
    /// The median `book_rooms` p99 over the median `book` p99 (the bound: 1.5).
    book_p99_rooms_vs_none: Option<f64>,
    /// The median `book_rooms` throughput over the median `book` throughput.
    book_rps_rooms_vs_none: Option<f64>,
}

fn registry(key: &str) -> serde_json::Value {
    let mut data = server::fixture(key);
    let rooms: Vec<serde_json::Value> = (1..=ROOMS)
        .map(|r| {
            json!({"roomId": r, "customerCode": server::CUSTOMER_CODE, "name": format!("Room {r}"),
                   "city": "西安", "location": "锦业路", "floor": r % 30, "capacity": 10,
                   "needsApproval": false, "equipment": [{"equipId": 100_000 + r, "name": "投影仪"}]})
        })
        .collect();
    let numbers: Vec<serde_json::Value> = NUMBERS
        .iter()
        .enumerate()
        .map(|(i, n)| json!({"accessId": format!("{}", 7000 + i), "number": n, "type": "1", "platform": "summit2", "customerCode": null, "display": n}))
        .collect();
    data["rooms"] = json!(rooms);
    data["accessNumbers"] = json!(numbers);
    data
}

/// The booking of request `k` (unique over the run): room `k mod ROOMS`, at an hour no other
/// request of that room has.
fn book_room_call(plan: &Plan, k: u64, with_room: bool) -> Call {
    let zone = Zone::default();
    let start = plan.now + 2 * 86_400 + (k / ROOMS) as i64 * 3600;
    let Call::Post(path, mut body) = load::book_call(
        plan.target.user_id,
        &format!("bench room {k}"),
        &zone.format(start),
    ) else {
        unreachable!("book_call posts")
    };
    if with_room {
        let room = k % ROOMS + 1;
        body["composeRoomList"] =
            json!([{"roomId": room, "isMainRoom": 1, "equipIdList": [100_000 + room]}]);
    }
    Call::Post(path, body)
}

pub async fn rooms(args: RoomsArgs) -> Result<()> {
    let bin = server::server_bin(args.server_bin.as_deref())?;
    let dir = tempfile::Builder::new()
        .prefix("huiyi-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let database = server::sqlite_url(&dir.path().join("rooms.db"));
    let key = server::random_key();
    let file = dir.path().join("registry.json");
    std::fs::write(&file, serde_json::to_vec(&registry(&key))?)?;
    server::admin_import(&bin, &file, &database)?;
    let server = Server::start(&bin, &database, &dir.path().join("server.log")).await?;
    let now = huiyi_domain::time::now_unix();
    let target = Target {
        base: server.url.clone(),
        key: key.clone(),
        user_id: server::HOST_USER_ID,
    };
    let plan = Arc::new(Plan::for_run(target, Vec::new(), now));
    let workers = args.concurrency as usize;
    let mut scenarios = Vec::new();
    let (rec, elapsed) = load::measure(&plan, Scenario::Healthz, workers, args.seconds).await?;
    scenarios.push(load::figures("healthz", &rec, elapsed));
    // Each turn's k starts past any the turns before could reach.
    let mut offset = 0;
    for round in 1..=args.rounds {
        for with in [false, true] {
            let name = format!("{} {round}", if with { "book_rooms" } else { "book" });
            let p = Arc::clone(&plan);
            let make = move |k| book_room_call(&p, k, with);
            let f = load::drive_calls(&plan, &name, workers, args.seconds, offset, make).await?;
            offset += f.requests + workers as u64;
            scenarios.push(f);
        }
    }
    scenarios.push(
        load::drive_calls(&plan, "phone_access", workers, args.seconds, 0, |k| {
            let caller = CALLERS[(k % CALLERS.len() as u64) as usize];
            Call::Post(
                "/conference/conference/getPhoneAccessNum".into(),
                json!({"phone": caller, "strategy": "1", "acFlag": "1", "billingCode": ""}),
            )
        })
        .await?,
    );
    drop(server);
    set_ratios(&mut scenarios, Scenario::BASELINE.name());
    let report = RoomsReport {
        mode: "rooms",
        backend: "sqlite",
        concurrency: args.concurrency,
        seconds: args.seconds,
        rooms: ROOMS,
        book_p99_rooms_vs_none: median_over_turns(&scenarios, "book_rooms", |f| f.p99_ms)
            .zip(median_over_turns(&scenarios, "book", |f| f.p99_ms))
            .and_then(|(r, n)| ratio(r, n)),
        book_rps_rooms_vs_none: median_over_turns(&scenarios, "book_rooms", |f| f.rps)
            .zip(median_over_turns(&scenarios, "book", |f| f.rps))
            .and_then(|(r, n)| ratio(r, n)),
        scenarios,
    };
    println!(
        "huiyi-bench rooms: sqlite, {} workers, {} s per scenario, {} rooms",
        report.concurrency, report.seconds, report.rooms
    );
    print!("{}", table(&report.scenarios));
    let shown = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.3}"));
    println!(
        "book with a room / without: p99 {}, throughput {}",
        shown(report.book_p99_rooms_vs_none),
        shown(report.book_rps_rooms_vs_none)
    );
    println!("{}", bench_line(&report));
    Ok(())
}
