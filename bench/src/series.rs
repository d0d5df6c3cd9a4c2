//! `series`: what recurring meetings cost a listing. Two fresh SQLite databases with the same
//! customer and hosts: `series` stores weekly series, `single` as many single meetings. In both
//! the listed host has the same meetings in the listed month (occurrences of its series in
//! one, single meetings at exactly those times in the other), so both listings answer the same
//! number of items and differ only in how they are stored.

use crate::cli::SeriesArgs;
use crate::load::{self, Plan, Scenario, Target};
use crate::preload::{self, Fixture, splitmix64, store_error, user_id};
use crate::report::{DatabaseFigures, SeriesReport, bench_line, list_ratios, scenario, table};
use crate::server::{HOST_USER_ID, Server, random_key, server_bin};
use crate::stats::round_to;
use anyhow::{Context, Result, anyhow};
use huiyi_domain::recurrence::{Rule, RuleError};
use huiyi_domain::time::{Zone, now_unix};
use huiyi_domain::{NewBooking, Series};
use huiyi_store::{BookingStore, Window};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const HOSTS: i64 = 50;
/// The listed host's series (fewer if fewer are stored): each runs through the whole listed
/// month, 4 or 5 occurrences of it.
const HOST_SERIES: u64 = 10;
/// Minutes, of every meeting.
const LENGTH: i64 = 60;
const DAY: i64 = 86_400;
/// A series runs for a year from its first start.
const SERIES_SPAN: i64 = 365 * DAY;
/// The other hosts' series start within two months either side of now.
const START_SPREAD: i64 = 60 * DAY;
const QUARTER: i64 = 15 * 60;
const SCENARIOS: [Scenario; 2] = [Scenario::Healthz, Scenario::List];
/// The claim measured: a listing with series stored costs at most this many times as much.
const CLAIM: f64 = 3.0;

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Series,
    Single,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Series => "series",
            Kind::Single => "single",
        }
    }
}

/// Where meetings go in time and to whom, in both databases.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub now: i64,
    pub zone: Zone,
    /// The listed month: the 30 days from tomorrow's local midnight, as in `scale`.
    pub window: Window,
    /// Series stored in the `series` database.
    pub series: u64,
}

impl Layout {
    pub fn new(now: i64, zone: Zone, series: u64) -> Self {
        Layout {
            now,
            zone,
            window: crate::scale::Layout::new(now, zone).window,
            series,
        }
    }

    /// How many of the series are the listed host's.
    pub fn host_series(&self) -> u64 {
        HOST_SERIES.min(self.series)
    }

    /// Host index (0 = the listed host) and first start of the `i`-th series. The first
    /// [`Self::host_series`] are the listed host's: they start on successive days and hours of
    /// the month before the window, so each runs through all of it. The others go round robin
    /// over the other hosts, starting at a pseudo-random quarter hour within two months either
    /// side of now.
    pub fn series_start(&self, i: u64) -> (i64, i64) {
        if i < self.host_series() {
            let k = i as i64;
            let start = self.window.from - 30 * DAY + (k % 28) * DAY + (9 + k % 9) * 3600;
            return (0, start);
        }
        let host = 1 + ((i - self.host_series()) % (HOSTS - 1) as u64) as i64;
        let offset = (splitmix64(i) % (2 * START_SPREAD) as u64) as i64;
        (host, on_quarter(self.now - START_SPREAD + offset))
    }

    /// Weekly on the start's weekday and time, for a year.
    pub fn rule(&self, start: i64) -> Result<Rule, RuleError> {
        Rule::from_cycle_role("weekly", 1, &[], &[], start + SERIES_SPAN, start, self.zone)
    }

    /// The `i`-th booking of the `series` database.
    pub fn series_booking(&self, fixture: &Fixture, i: u64) -> Result<NewBooking, RuleError> {
        let (host, start) = self.series_start(i);
        let mut b = fixture.booking(i, host, start, LENGTH);
        b.title = format!("Bench series {i}");
        b.series = Some(Series::new(self.rule(start)?, start));
        Ok(b)
    }

    /// Starts of the listed host's occurrences in the window, ascending: what its listing on
    /// the `series` database answers.
    pub fn listed_occurrences(&self) -> Result<Vec<i64>, RuleError> {
        let mut starts = Vec::new();
        for i in 0..self.host_series() {
            let (_, start) = self.series_start(i);
            starts.extend(self.rule(start)?.occurrences(
                start,
                LENGTH * 60,
                self.zone,
                self.window.from,
                self.window.to,
            ));
        }
        starts.sort_unstable();
        Ok(starts)
    }

    /// Single meetings in the `single` database: as many as there are series, or as many as
    /// the listed host needs if that is more.
    pub fn singles(&self, listed: &[i64]) -> u64 {
        self.series.max(listed.len() as u64)
    }

    /// Host index and start of the `i`-th single meeting. The first `listed.len()` are the
    /// listed host's, at exactly the starts of its occurrences in the `series` database; the
    /// others go round robin over the other hosts at a pseudo-random quarter hour in the time
    /// the series cover (two months before now to a year and two months after).
    pub fn single_start(&self, i: u64, listed: &[i64]) -> (i64, i64) {
        if let Some(&start) = listed.get(i as usize) {
            return (0, start);
        }
        let host = 1 + ((i - listed.len() as u64) % (HOSTS - 1) as u64) as i64;
        let span = 2 * START_SPREAD + SERIES_SPAN;
        let offset = (splitmix64(i) % span as u64) as i64;
        (host, on_quarter(self.now - START_SPREAD + offset))
    }

    pub fn single_booking(&self, fixture: &Fixture, i: u64, listed: &[i64]) -> NewBooking {
        let (host, start) = self.single_start(i, listed);
        fixture.booking(i, host, start, LENGTH)
    }
}

fn on_quarter(t: i64) -> i64 {
    t.div_euclid(QUARTER) * QUARTER
}

/// "holds", "fails" or "not measurable" for a p50 ratio against the claim.
pub fn verdict(p50_ratio: Option<f64>) -> &'static str {
    match p50_ratio {
        Some(r) if r <= CLAIM => "holds",
        Some(_) => "fails",
        None => "not measurable",
    }
}

pub async fn series(args: SeriesArgs) -> Result<()> {
    let bin = server_bin(args.server_bin.as_deref())?;
    let dir = tempfile::Builder::new()
        .prefix("huiyi-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let key = random_key();
    let layout = Layout::new(now_unix(), Zone::default(), args.series);
    let listed = layout
        .listed_occurrences()
        .map_err(|e| anyhow!("the bench's own rule is refused: {e}"))?;
    eprintln!(
        "huiyi-bench: the listed host {HOST_USER_ID} has {} series with {} occurrences from {} to {}",
        layout.host_series(),
        listed.len(),
        layout.zone.format(layout.window.from),
        layout.zone.format(layout.window.to),
    );

    let mut databases = Vec::new();
    for kind in [Kind::Series, Kind::Single] {
        let figures = one_database(&bin, dir.path(), &key, &args, &layout, &listed, kind).await?;
        let (what, items) = match kind {
            Kind::Series => ("weekly series", "occurrences"),
            Kind::Single => ("single meetings", "meetings"),
        };
        let total_num = figures
            .total_num
            .map_or_else(|| "failed".to_owned(), |n| n.to_string());
        println!(
            "{}: {} {what} ({} of the listed host), loaded in {:.1} s; the listed host's month \
             holds {} {items}, list answers totalNum {total_num}",
            figures.name,
            figures.bookings,
            figures.host_bookings,
            figures.load_seconds,
            figures.expected_items,
        );
        print!("{}", table(&figures.scenarios));
        println!();
        databases.push(figures);
    }
    if databases[0].total_num != databases[1].total_num {
        eprintln!(
            "huiyi-bench: warning: the two listings answer different counts ({:?} / {:?}); the \
             comparison is not like for like",
            databases[0].total_num, databases[1].total_num
        );
    }

    let (p50, rps) = list_ratios(&databases[0].scenarios, &databases[1].scenarios);
    let list = |d: &DatabaseFigures| scenario(&d.scenarios, "list").cloned();
    if let (Some(a), Some(b)) = (list(&databases[0]), list(&databases[1])) {
        let show = |r: Option<f64>| r.map_or_else(|| "-".to_owned(), |r| format!("×{r:.3}"));
        println!(
            "list p50: series {:.3} ms / single {:.3} ms = {} (claim: at most ×{CLAIM}: {})",
            a.p50_ms,
            b.p50_ms,
            show(p50),
            verdict(p50)
        );
        println!(
            "list req/s: series {:.1} / single {:.1} = {}",
            a.rps,
            b.rps,
            show(rps)
        );
    }
    let report = SeriesReport {
        mode: "series",
        backend: "sqlite",
        concurrency: args.concurrency,
        seconds: args.seconds,
        hosts: HOSTS,
        databases,
        series_vs_single_p50: p50,
        series_vs_single_rps: rps,
    };
    println!("{}", bench_line(&report));
    Ok(())
}

/// Preloads one database, starts a server on it, measures, stops it and removes the file.
async fn one_database(
    bin: &Path,
    dir: &Path,
    key: &str,
    args: &SeriesArgs,
    layout: &Layout,
    listed: &[i64],
    kind: Kind,
) -> Result<DatabaseFigures> {
    let name = kind.name();
    let (db, database) = preload::fresh_database(dir, &format!("{name}.db"))?;
    let (bookings, host_bookings) = match kind {
        Kind::Series => (layout.series, layout.host_series()),
        Kind::Single => (layout.singles(listed), listed.len() as u64),
    };
    eprintln!(
        "huiyi-bench: {name}: preloading {bookings} bookings into {}",
        db.display()
    );
    let started = Instant::now();
    {
        let (store, fixture) = preload::open(&database, key, HOSTS, layout.now).await?;
        preload::store_all(&store, bookings, |i| match kind {
            Kind::Series => layout
                .series_booking(&fixture, i)
                .map_err(|e| anyhow!("series {i}: the bench's own rule is refused: {e}")),
            Kind::Single => Ok(layout.single_booking(&fixture, i, listed)),
        })
        .await?;
        // Read back what the listing will find, the way the server expands it.
        let stored: usize = store
            .host_bookings(fixture.customer, user_id(0), layout.window)
            .await
            .map_err(store_error("cannot list the measured host"))?
            .iter()
            .map(|b| b.occurrences_in(layout.window.from, layout.window.to).len())
            .sum();
        if stored != listed.len() {
            eprintln!(
                "huiyi-bench: warning: {name}: the store holds {stored} meetings of the listed \
                 host in the window, expected {}",
                listed.len()
            );
        }
    }
    let load_seconds = round_to(started.elapsed().as_secs_f64(), 1);

    let server = Server::start(bin, &database, &dir.join(format!("server-{name}.log"))).await?;
    let target = Target {
        base: server.url.clone(),
        key: key.to_owned(),
        user_id: HOST_USER_ID,
    };
    let plan = Arc::new(Plan::for_window(
        target,
        Vec::new(),
        layout.window.from,
        layout.window.to,
        layout.now,
    ));
    let total_num = match load::probe_list(&plan).await {
        Ok(n) => {
            if n != listed.len() as u64 {
                eprintln!(
                    "huiyi-bench: warning: {name}: the server lists {n} meetings, expected {}",
                    listed.len()
                );
            }
            Some(n)
        }
        Err(e) => {
            eprintln!("huiyi-bench: warning: {name}: a list request failed: {e}");
            None
        }
    };
    let scenarios = load::measure_all(
        &plan,
        &SCENARIOS,
        args.concurrency as usize,
        args.seconds,
        &format!("{name}: "),
    )
    .await?;
    drop(server);
    preload::remove_database(&db);
    Ok(DatabaseFigures {
        name,
        bookings,
        host_bookings,
        expected_items: listed.len() as u64,
        total_num,
        load_seconds,
        scenarios,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-01-01 00:00:00 +08:00
    const NOW: i64 = 1_704_038_400;

    fn fixture() -> Fixture {
        Fixture {
            customer: 1,
            zone: Zone::default(),
            hosts: HOSTS,
            now: NOW,
        }
    }

    fn overlaps(w: Window, start: i64) -> bool {
        start < w.to && start + LENGTH * 60 > w.from
    }

    #[test]
    fn series_are_spread_over_the_hosts_around_now() {
        let l = Layout::new(NOW, Zone::default(), 1000);
        let mut per_host = vec![0u64; HOSTS as usize];
        for i in 0..1000 {
            let (host, start) = l.series_start(i);
            per_host[host as usize] += 1;
            assert!(
                (NOW - START_SPREAD..NOW + START_SPREAD).contains(&start),
                "series {i}"
            );
            assert_eq!(start % QUARTER, 0, "series {i}");
        }
        assert_eq!(per_host[0], HOST_SERIES);
        assert!(per_host[1..].iter().all(|&n| (20..=21).contains(&n)));
        assert_eq!(per_host.iter().sum::<u64>(), 1000);
    }

    #[test]
    fn the_listed_host_series_run_through_the_month() {
        let l = Layout::new(NOW, Zone::default(), 1000);
        for i in 0..l.host_series() {
            let (host, start) = l.series_start(i);
            assert_eq!(host, 0);
            assert!(start < l.window.from && start > NOW - START_SPREAD);
            let rule = l.rule(start).unwrap();
            assert!(rule.until > l.window.to);
            // Local working hours, so no occurrence straddles the window's midnights.
            let hour = (start + 8 * 3600).rem_euclid(DAY) / 3600;
            assert!((9..18).contains(&hour), "{hour}");
        }
    }

    #[test]
    fn the_listed_month_holds_forty_to_fifty_occurrences() {
        // On every weekday, and across a month boundary.
        for day in 0..40 {
            let l = Layout::new(NOW + day * DAY + 3 * 3600, Zone::default(), 1000);
            let listed = l.listed_occurrences().unwrap();
            assert!((40..=50).contains(&listed.len()), "{}", listed.len());
            assert!(listed.is_sorted());
            assert!(listed.iter().all(|&s| overlaps(l.window, s)));
            // Each series gives 4 or 5.
            for i in 0..l.host_series() {
                let (_, start) = l.series_start(i);
                let n = l
                    .rule(start)
                    .unwrap()
                    .all_occurrences(start, l.zone)
                    .into_iter()
                    .filter(|&o| overlaps(l.window, o))
                    .count();
                assert!((4..=5).contains(&n), "{n}");
            }
        }
    }

    #[test]
    fn every_series_is_a_valid_year_of_weeks() {
        let l = Layout::new(NOW, Zone::default(), 1000);
        let f = fixture();
        for i in 0..1000 {
            let b = l.series_booking(&f, i).unwrap();
            let series = b.series.as_ref().unwrap();
            assert_eq!(series.rule_from, b.start);
            assert_eq!(series.rule.all_occurrences(b.start, l.zone).len(), 53);
            assert_eq!(b.length_minutes, LENGTH);
        }
    }

    #[test]
    fn singles_mirror_the_listed_occurrences() {
        let l = Layout::new(NOW, Zone::default(), 1000);
        let listed = l.listed_occurrences().unwrap();
        let f = fixture();
        assert_eq!(l.singles(&listed), 1000);
        let mut host0_in_window = Vec::new();
        let mut per_host = vec![0u64; HOSTS as usize];
        for i in 0..l.singles(&listed) {
            let b = l.single_booking(&f, i, &listed);
            let host = b.host.get() - HOST_USER_ID;
            per_host[host as usize] += 1;
            assert!(b.series.is_none());
            if host == 0 && overlaps(l.window, b.start) {
                host0_in_window.push(b.start);
            }
            assert!(
                (NOW - START_SPREAD..NOW + START_SPREAD + SERIES_SPAN).contains(&b.start),
                "single {i}"
            );
        }
        assert_eq!(host0_in_window, listed);
        assert_eq!(per_host[0], listed.len() as u64);
        assert!(per_host[1..].iter().all(|&n| n > 0));
    }

    #[test]
    fn few_series_still_compare() {
        let l = Layout::new(NOW, Zone::default(), 3);
        assert_eq!(l.host_series(), 3);
        let listed = l.listed_occurrences().unwrap();
        assert!((12..=15).contains(&listed.len()));
        // More single meetings than series, so that the listed host has them all.
        assert_eq!(l.singles(&listed), listed.len() as u64);
        assert!((0..l.singles(&listed)).all(|i| l.single_start(i, &listed).0 == 0));
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(Some(1.2)), "holds");
        assert_eq!(verdict(Some(3.0)), "holds");
        assert_eq!(verdict(Some(3.001)), "fails");
        assert_eq!(verdict(None), "not measurable");
    }

    #[test]
    fn kinds_are_named_as_in_the_bench_line() {
        assert_eq!(
            [Kind::Series.name(), Kind::Single.name()],
            ["series", "single"]
        );
    }
}
