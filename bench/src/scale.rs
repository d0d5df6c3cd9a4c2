//! `scale`: how latency grows with the number of stored bookings. Bookings are preloaded
//! straight through the store (HTTP would take hours for a million), then a server is started
//! on that database and measured.

use crate::cli::ScaleArgs;
use crate::load::{self, Plan, Scenario, Target, local_midnight};
use crate::preload::{self, store_error, user_id};
use crate::report::{ScaleReport, SizeFigures, bench_line, list_p50_growth, table};
use crate::server::{HOST_USER_ID, Server, random_key, server_bin};
use crate::stats::round_to;
use anyhow::{Context, Result};
use huiyi_domain::time::{Zone, now_unix, parse_time};
use huiyi_store::{BookingStore, Window};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const HOSTS: i64 = 200;
const DAY: i64 = 86_400;
/// Start times spread over two years around now.
const SPAN_BEFORE: i64 = 365 * DAY;
const SPAN: i64 = 730 * DAY;
/// The listed window: 30 days from tomorrow's local midnight.
const WINDOW: i64 = 30 * DAY;
/// What the listed host has in the listed window, whatever the size.
const LISTED: u64 = 40;
/// Conference ids sampled for base_info.
const SAMPLE: usize = 500;
const SCENARIOS: [Scenario; 3] = [Scenario::Healthz, Scenario::List, Scenario::BaseInfo];

/// Where bookings go in time.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub span_from: i64,
    pub window: Window,
}

impl Layout {
    pub fn new(now: i64, zone: Zone) -> Self {
        let from =
            parse_time(&local_midnight(zone, now + DAY), zone).expect("local midnight parses");
        Layout {
            span_from: now - SPAN_BEFORE,
            window: Window {
                from,
                to: from + WINDOW,
            },
        }
    }

    /// Host index (0 = the listed host), start and length of the `i`-th of `size` bookings.
    /// The last 40 belong to the listed host, inside the window; every other booking goes round
    /// robin over the hosts at a pseudo-random time in the span, and the listed host's share
    /// is kept out of the window so that it lists exactly 40.
    pub fn booking(&self, i: u64, size: u64) -> (i64, i64, i64) {
        let listed = LISTED.min(size);
        if i >= size - listed {
            let k = (i - (size - listed)) as i64;
            // 17 hours apart from noon of the first day: 40 of them end well inside 30 days.
            return (0, self.window.from + 12 * 3600 + k * 17 * 3600, 60);
        }
        let host = (i % HOSTS as u64) as i64;
        let length = [30, 45, 60, 90, 120][(i / HOSTS as u64 % 5) as usize];
        let mut start = self.span_from + (preload::splitmix64(i) % SPAN as u64) as i64 / 900 * 900;
        if host == 0 && start < self.window.to && start + length * 60 > self.window.from {
            start -= WINDOW + 5 * DAY;
        }
        (host, start, length)
    }
}

struct Preloaded {
    /// Conference ids spread over hosts and time, for base_info.
    sample: Vec<String>,
    /// What the listed host has in the window, read back from the store.
    listed: usize,
}

async fn preload(
    database: &str,
    size: u64,
    key: &str,
    layout: Layout,
    now: i64,
) -> Result<Preloaded> {
    let (store, fixture) = preload::open(database, key, HOSTS, now).await?;
    let customer = fixture.customer;
    preload::store_all(&store, size, |i| {
        let (host, start, length) = layout.booking(i, size);
        Ok(fixture.booking(i, host, start, length))
    })
    .await?;

    let everything = Window {
        from: layout.span_from - 40 * DAY,
        to: layout.span_from + SPAN + DAY,
    };
    let mut sample = Vec::new();
    for host in (0..HOSTS).step_by(20) {
        let bookings = store
            .host_bookings(customer, user_id(host), everything)
            .await
            .map_err(store_error("cannot read bookings back"))?;
        sample.extend(bookings.into_iter().map(|b| b.conference_id.to_string()));
        if sample.len() >= 4 * SAMPLE {
            break;
        }
    }
    anyhow::ensure!(
        !sample.is_empty(),
        "no booking could be read back from the store"
    );
    let step = sample.len().div_ceil(SAMPLE);
    let sample: Vec<String> = sample.into_iter().step_by(step).collect();
    let listed = store
        .host_bookings(customer, user_id(0), layout.window)
        .await
        .map_err(store_error("cannot list the measured host"))?
        .len();
    Ok(Preloaded { sample, listed })
}

pub async fn scale(args: ScaleArgs) -> Result<()> {
    let bin = server_bin(args.server_bin.as_deref())?;
    let dir = tempfile::Builder::new()
        .prefix("huiyi-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let key = random_key();
    let workers = args.concurrency as usize;
    let mut sizes = Vec::new();
    for &size in &args.sizes {
        let figures = one_size(&bin, dir.path(), &key, size, &args).await?;
        println!(
            "size {size}: loaded in {:.1} s; the listed host has {} bookings in the month",
            figures.load_seconds, figures.listed_bookings
        );
        print!("{}", table(&figures.scenarios));
        println!();
        sizes.push(figures);
    }
    let report = ScaleReport {
        mode: "scale",
        backend: "sqlite",
        concurrency: args.concurrency,
        seconds: args.seconds,
        list_p50_growth: list_p50_growth(&sizes),
        sizes,
    };
    match report.list_p50_growth {
        Some(g) => println!(
            "list p50 grows ×{g:.3} from the smallest to the largest size ({workers} workers)"
        ),
        None => println!("list p50 growth: not measurable"),
    }
    println!("{}", bench_line(&report));
    Ok(())
}

async fn one_size(
    bin: &Path,
    dir: &Path,
    key: &str,
    size: u64,
    args: &ScaleArgs,
) -> Result<SizeFigures> {
    let (db, database) = preload::fresh_database(dir, &format!("scale-{size}.db"))?;
    let now = now_unix();
    let zone = Zone::default();
    let layout = Layout::new(now, zone);

    eprintln!(
        "huiyi-bench: preloading {size} bookings into {}",
        db.display()
    );
    let started = Instant::now();
    let preloaded = preload(&database, size, key, layout, now).await?;
    let load_seconds = round_to(started.elapsed().as_secs_f64(), 1);
    if preloaded.listed as u64 != LISTED.min(size) {
        eprintln!(
            "huiyi-bench: warning: the listed host has {} bookings in the window, expected {}",
            preloaded.listed,
            LISTED.min(size)
        );
    }

    let server = Server::start(bin, &database, &dir.join(format!("server-{size}.log"))).await?;
    let target = Target {
        base: server.url.clone(),
        key: key.to_owned(),
        user_id: HOST_USER_ID,
    };
    let plan = Arc::new(Plan::for_window(
        target,
        preloaded.sample,
        layout.window.from,
        layout.window.to,
        now,
    ));
    match load::probe_list(&plan).await {
        Ok(n) if n == preloaded.listed as u64 => {}
        Ok(n) => eprintln!(
            "huiyi-bench: warning: the server lists {n} bookings, the store {}",
            preloaded.listed
        ),
        Err(e) => eprintln!("huiyi-bench: warning: a list request failed: {e}"),
    }
    let workers = args.concurrency as usize;
    let scenarios = load::measure_all(
        &plan,
        &SCENARIOS,
        workers,
        args.seconds,
        &format!("size {size}: "),
    )
    .await?;
    drop(server);
    preload::remove_database(&db);
    Ok(SizeFigures {
        size,
        load_seconds,
        listed_bookings: preloaded.listed,
        scenarios,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-01-01 00:00:00 +08:00
    const NOW: i64 = 1_704_038_400;

    fn overlaps(w: Window, start: i64, length: i64) -> bool {
        start < w.to && start + length * 60 > w.from
    }

    #[test]
    fn the_window_is_the_month_from_tomorrow() {
        let l = Layout::new(NOW + 3600, Zone::default());
        assert_eq!(Zone::default().format(l.window.from), "2024-01-02 00:00:00");
        assert_eq!(l.window.to - l.window.from, 30 * DAY);
    }

    #[test]
    fn the_listed_host_has_forty_in_the_window_at_every_size() {
        let l = Layout::new(NOW, Zone::default());
        for size in [100, 10_000, 50_000] {
            let mut listed = 0;
            let mut per_host = vec![0u64; HOSTS as usize];
            for i in 0..size {
                let (host, start, length) = l.booking(i, size);
                per_host[host as usize] += 1;
                assert!((l.span_from - 40 * DAY..l.span_from + SPAN).contains(&start));
                assert!(length <= 24 * 60);
                if host == 0 && overlaps(l.window, start, length) {
                    listed += 1;
                }
            }
            assert_eq!(listed, 40, "size {size}");
            if size >= 10_000 {
                assert!(
                    per_host.iter().all(|&n| n > 0),
                    "every host has bookings at size {size}"
                );
            }
        }
    }

    #[test]
    fn other_hosts_fill_the_window_too() {
        let l = Layout::new(NOW, Zone::default());
        let size = 100_000;
        let others = (0..size)
            .map(|i| l.booking(i, size))
            .filter(|&(h, s, len)| h != 0 && overlaps(l.window, s, len))
            .count() as f64;
        // About 30/730 of them.
        let expected = size as f64 * 30.0 / 730.0;
        assert!(
            (others - expected).abs() < expected * 0.1,
            "{others} vs {expected}"
        );
    }

    #[test]
    fn the_import_is_valid() {
        let data = preload::import_data(&random_key(), HOSTS);
        data.validate().unwrap();
        assert_eq!(data.users.len(), HOSTS as usize);
        assert_eq!(data.users[0].user_id, HOST_USER_ID);
    }
}
