//! Output: an aligned table for people and one `BENCH {json}` line for tooling.

use crate::stats::{Figures, ratio};
use serde::Serialize;

/// What `huiyi-bench run` reports.
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub mode: &'static str,
    pub backend: String,
    pub concurrency: u32,
    pub seconds: u64,
    pub scenarios: Vec<Figures>,
}

/// What `huiyi-bench scale` reports.
#[derive(Debug, Serialize)]
pub struct ScaleReport {
    pub mode: &'static str,
    pub backend: &'static str,
    pub concurrency: u32,
    pub seconds: u64,
    pub sizes: Vec<SizeFigures>,
    /// `list` p50 at the largest size divided by `list` p50 at the smallest.
    pub list_p50_growth: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct SizeFigures {
    /// Bookings stored.
    pub size: u64,
    /// Seconds the preload took.
    pub load_seconds: f64,
    /// Bookings the listed host has in the listed window (about 40 by design).
    pub listed_bookings: usize,
    pub scenarios: Vec<Figures>,
}

/// What `huiyi-bench series` reports.
#[derive(Debug, Serialize)]
pub struct SeriesReport {
    pub mode: &'static str,
    pub backend: &'static str,
    pub concurrency: u32,
    pub seconds: u64,
    /// Hosts of the customer, in both databases.
    pub hosts: i64,
    /// `series` (weekly series stored) first, then `single` (single meetings stored).
    pub databases: Vec<DatabaseFigures>,
    /// `list` p50 on `series` divided by `list` p50 on `single`.
    pub series_vs_single_p50: Option<f64>,
    /// `list` req/s on `series` divided by `list` req/s on `single`.
    pub series_vs_single_rps: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct DatabaseFigures {
    /// `series` or `single`.
    pub name: &'static str,
    /// Bookings stored for the customer: weekly series, or single meetings.
    pub bookings: u64,
    /// Of those, the listed host's.
    pub host_bookings: u64,
    /// Meetings the listed host has in the listed month, as the preload laid them out.
    pub expected_items: u64,
    /// `result.totalNum` of one listing by the server; null if that request failed.
    pub total_num: Option<u64>,
    /// Seconds the preload took.
    pub load_seconds: f64,
    pub scenarios: Vec<Figures>,
}

/// What `huiyi-bench events` reports.
#[derive(Debug, Serialize)]
pub struct EventsReport {
    pub mode: &'static str,
    pub backend: String,
    pub concurrency: u32,
    pub seconds: u64,
    /// Meetings the ingestion load is spread over.
    pub meetings: u32,
    /// Events per measured batch.
    pub batch_events: usize,
    /// `healthz` (the baseline), `events` (one request is one batch: `rps` is batches/s,
    /// latencies are per batch), `status_live_500`, `status_empty`.
    pub scenarios: Vec<Figures>,
    /// `events`' successful batches/s × `batch_events`.
    pub events_per_sec: f64,
    /// `events_per_sec` divided by `healthz`'s req/s.
    pub events_per_sec_ratio: Option<f64>,
    /// Events the server stored during `events`, and ignored as already seen (0 unless the
    /// bench repeats an id).
    pub accepted: u64,
    pub duplicates: u64,
    /// `attendees` of the live meeting's session after its 500 joins, as the last batch's
    /// answer and getConfStatus both said.
    pub live_attendees: i64,
    /// `status_live_500`'s p50 divided by `status_empty`'s.
    pub live_vs_empty_p50: Option<f64>,
    /// `status_empty`'s req/s divided by `status_live_500`'s.
    pub live_vs_empty_rps: Option<f64>,
}

/// What `huiyi-bench live` reports. Field order is the BENCH line's key order.
#[derive(Debug, Serialize)]
pub struct LiveReport {
    pub mode: &'static str,
    pub backend: String,
    /// Listeners asked for (`--participants`).
    pub participants: u32,
    /// Of those, how many connected and were admitted.
    pub connected: u64,
    pub rounds: u32,
    pub hold_seconds: u64,
    /// `GET /healthz` req/s in the same run, before any page connected.
    pub healthz_rps: f64,
    /// Connect + upgrade + `join` → `joined`, per listener.
    pub connect_p50_ms: f64,
    pub connect_p99_ms: f64,
    /// From the first connect to the last `joined`.
    pub connect_total_s: f64,
    /// getConfStatus `attendees` once every listener was in (null if the request failed).
    pub attendees_after_connect: Option<i64>,
    /// From the probe's `join` / `leave` send to a listener receiving the matching fact, over
    /// every listener, both changes and every round.
    pub fanout_p50_ms: f64,
    pub fanout_p99_ms: f64,
    pub fanout_max_ms: f64,
    /// Latencies collected (listeners × rounds × 2 when none is missed).
    pub fanout_samples: u64,
    /// (listener, change) pairs whose fact did not arrive within 5 s.
    pub missed: u64,
    /// `resync` messages the listeners got (a page that fell behind), at any time.
    pub resyncs: u64,
    /// getConfStatus `attendees` after `--hold-seconds` of pinging (null if the request failed).
    pub attendees_after_hold: Option<i64>,
    /// Listeners whose socket was still open after the hold.
    pub open_after_hold: u64,
    /// The server's VmRSS before the first listener connected, once all had, and after the
    /// hold, in MiB (null when it could not be read).
    pub rss_before_mib: Option<f64>,
    pub rss_after_mib: Option<f64>,
    pub rss_after_hold_mib: Option<f64>,
    /// getConfStatus `attendees` once every socket was closed (null if the request failed).
    pub attendees_after_close: Option<i64>,
    /// Failed connects, listeners dropped or refused, probe failures, failed closes.
    pub errors: u64,
    /// `fanout_p99_ms` / 1000: the claim holds at 1 or below.
    pub fanout_p99_vs_1s: Option<f64>,
}

/// The figures of the scenario called `name`.
pub fn scenario<'a>(figures: &'a [Figures], name: &str) -> Option<&'a Figures> {
    figures.iter().find(|f| f.name == name)
}

/// `list`'s p50 and req/s on the first set of figures, each divided by the same on the second.
pub fn list_ratios(num: &[Figures], den: &[Figures]) -> (Option<f64>, Option<f64>) {
    match (scenario(num, "list"), scenario(den, "list")) {
        (Some(n), Some(d)) => (ratio(n.p50_ms, d.p50_ms), ratio(n.rps, d.rps)),
        _ => (None, None),
    }
}

/// The tooling line: `BENCH ` and the report as compact JSON, always on one line.
pub fn bench_line<T: Serialize>(report: &T) -> String {
    let json = serde_json::to_string(report).expect("reports serialize");
    format!("BENCH {json}")
}

pub fn list_p50_growth(sizes: &[SizeFigures]) -> Option<f64> {
    let list_p50 = |s: &SizeFigures| scenario(&s.scenarios, "list").map(|f| f.p50_ms);
    let smallest = sizes.iter().min_by_key(|s| s.size)?;
    let largest = sizes.iter().max_by_key(|s| s.size)?;
    ratio(list_p50(largest)?, list_p50(smallest)?)
}

/// Scenarios as an aligned table, one row each, ending in a newline.
pub fn table(figures: &[Figures]) -> String {
    let name_width = figures
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0)
        .max("scenario".len());
    let mut out = format!(
        "{:<name_width$}  {:>10}  {:>7}  {:>10}  {:>9}  {:>9}  {:>6}\n",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms", "ratio"
    );
    for f in figures {
        let ratio = f
            .ratio
            .map_or_else(|| "-".to_owned(), |r| format!("{r:.3}"));
        out.push_str(&format!(
            "{:<name_width$}  {:>10}  {:>7}  {:>10.1}  {:>9.3}  {:>9.3}  {:>6}\n",
            f.name, f.requests, f.errors, f.rps, f.p50_ms, f.p99_ms, ratio
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(name: &str, rps: f64, p50: f64, ratio: Option<f64>) -> Figures {
        Figures {
            name: name.into(),
            rps,
            p50_ms: p50,
            p99_ms: p50 * 3.0,
            ratio,
            errors: 0,
            requests: (rps * 10.0) as u64,
        }
    }

    #[test]
    fn run_line_is_one_line_with_the_agreed_keys() {
        let r = RunReport {
            mode: "run",
            backend: "sqlite".into(),
            concurrency: 32,
            seconds: 10,
            scenarios: vec![
                fig("healthz", 5000.0, 0.5, Some(1.0)),
                fig("book", 800.5, 12.25, Some(0.16)),
            ],
        };
        let line = bench_line(&r);
        assert_eq!(
            line,
            r#"BENCH {"mode":"run","backend":"sqlite","concurrency":32,"seconds":10,"scenarios":[{"name":"healthz","rps":5000.0,"p50_ms":0.5,"p99_ms":1.5,"ratio":1.0,"errors":0,"requests":50000},{"name":"book","rps":800.5,"p50_ms":12.25,"p99_ms":36.75,"ratio":0.16,"errors":0,"requests":8005}]}"#
        );
        assert!(!line.contains('\n'));
        let v: serde_json::Value =
            serde_json::from_str(line.strip_prefix("BENCH ").unwrap()).unwrap();
        assert_eq!(v["scenarios"][1]["name"], "book");
    }

    #[test]
    fn missing_ratio_is_null() {
        let line = bench_line(&fig("list", 0.0, 0.0, None));
        assert!(line.contains(r#""ratio":null"#), "{line}");
    }

    #[test]
    fn names_with_newlines_stay_on_one_line() {
        let line = bench_line(&fig("a\nb", 1.0, 1.0, None));
        assert_eq!(line.lines().count(), 1);
    }

    #[test]
    fn scale_line_and_growth() {
        let size = |n: u64, p50: f64| SizeFigures {
            size: n,
            load_seconds: 1.5,
            listed_bookings: 40,
            scenarios: vec![
                fig("healthz", 1000.0, 0.2, Some(1.0)),
                fig("list", 500.0, p50, Some(0.5)),
            ],
        };
        // Order on the command line does not matter: largest over smallest by size.
        let sizes = vec![size(100_000, 2.0), size(1_000_000, 3.0), size(10_000, 1.5)];
        assert_eq!(list_p50_growth(&sizes), Some(2.0));
        let r = ScaleReport {
            mode: "scale",
            backend: "sqlite",
            concurrency: 32,
            seconds: 5,
            list_p50_growth: list_p50_growth(&sizes),
            sizes,
        };
        let line = bench_line(&r);
        assert!(line.starts_with(r#"BENCH {"mode":"scale","backend":"sqlite","concurrency":32,"seconds":5,"sizes":[{"size":100000,"load_seconds":1.5,"listed_bookings":40,"scenarios":[{"name":"healthz""#), "{line}");
        assert!(line.ends_with(r#""list_p50_growth":2.0}"#), "{line}");
        assert_eq!(list_p50_growth(&[]), None);
        assert_eq!(list_p50_growth(&[size(10, 0.0)]), None);
    }

    #[test]
    fn series_line_and_ratios() {
        let db = |name, p50, rps| DatabaseFigures {
            name,
            bookings: 1000,
            host_bookings: if name == "series" { 10 } else { 43 },
            expected_items: 43,
            total_num: Some(43),
            load_seconds: 0.5,
            scenarios: vec![
                fig("healthz", 1000.0, 0.2, Some(1.0)),
                fig("list", rps, p50, Some(0.5)),
            ],
        };
        let (a, b) = (db("series", 6.0, 400.0), db("single", 4.0, 500.0));
        let (p50, rps) = list_ratios(&a.scenarios, &b.scenarios);
        assert_eq!((p50, rps), (Some(1.5), Some(0.8)));
        assert_eq!(list_ratios(&a.scenarios[..1], &b.scenarios), (None, None));
        let zero = db("single", 0.0, 0.0);
        assert_eq!(list_ratios(&a.scenarios, &zero.scenarios), (None, None));

        let r = SeriesReport {
            mode: "series",
            backend: "sqlite",
            concurrency: 32,
            seconds: 5,
            hosts: 50,
            databases: vec![a, b],
            series_vs_single_p50: p50,
            series_vs_single_rps: rps,
        };
        let line = bench_line(&r);
        assert!(line.starts_with(r#"BENCH {"mode":"series","backend":"sqlite","concurrency":32,"seconds":5,"hosts":50,"databases":[{"name":"series","bookings":1000,"host_bookings":10,"expected_items":43,"total_num":43,"load_seconds":0.5,"scenarios":[{"name":"healthz""#), "{line}");
        assert!(
            line.contains(r#"{"name":"single","bookings":1000,"host_bookings":43,"#),
            "{line}"
        );
        assert!(
            line.ends_with(r#""series_vs_single_p50":1.5,"series_vs_single_rps":0.8}"#),
            "{line}"
        );
        assert_eq!(line.lines().count(), 1);
    }

    #[test]
    fn events_line() {
        let r = EventsReport {
            mode: "events",
            backend: "sqlite".into(),
            concurrency: 32,
            seconds: 5,
            meetings: 200,
            batch_events: 50,
            scenarios: vec![
                fig("healthz", 40000.0, 0.5, Some(1.0)),
                fig("events", 150.0, 20.0, Some(0.004)),
            ],
            events_per_sec: 7500.0,
            events_per_sec_ratio: Some(0.188),
            accepted: 37500,
            duplicates: 0,
            live_attendees: 500,
            live_vs_empty_p50: Some(1.2),
            live_vs_empty_rps: None,
        };
        let line = bench_line(&r);
        assert!(line.starts_with(r#"BENCH {"mode":"events","backend":"sqlite","concurrency":32,"seconds":5,"meetings":200,"batch_events":50,"scenarios":[{"name":"healthz""#), "{line}");
        assert!(line.ends_with(r#""events_per_sec":7500.0,"events_per_sec_ratio":0.188,"accepted":37500,"duplicates":0,"live_attendees":500,"live_vs_empty_p50":1.2,"live_vs_empty_rps":null}"#), "{line}");
        assert_eq!(line.lines().count(), 1);
    }

    #[test]
    fn live_line() {
        let r = LiveReport {
            mode: "live",
            backend: "sqlite".into(),
            participants: 500,
            connected: 500,
            rounds: 20,
            hold_seconds: 20,
            healthz_rps: 40000.5,
            connect_p50_ms: 12.5,
            connect_p99_ms: 80.25,
            connect_total_s: 3.2,
            attendees_after_connect: Some(500),
            fanout_p50_ms: 20.0,
            fanout_p99_ms: 45.5,
            fanout_max_ms: 60.0,
            fanout_samples: 20000,
            missed: 0,
            resyncs: 0,
            attendees_after_hold: Some(500),
            open_after_hold: 500,
            rss_before_mib: Some(20.5),
            rss_after_mib: Some(60.0),
            rss_after_hold_mib: None,
            attendees_after_close: Some(0),
            errors: 0,
            fanout_p99_vs_1s: Some(0.046),
        };
        let line = bench_line(&r);
        assert!(line.starts_with(r#"BENCH {"mode":"live","backend":"sqlite","participants":500,"connected":500,"rounds":20,"hold_seconds":20,"healthz_rps":40000.5,"connect_p50_ms":12.5,"#), "{line}");
        assert!(line.contains(r#""fanout_p50_ms":20.0,"fanout_p99_ms":45.5,"fanout_max_ms":60.0,"fanout_samples":20000,"missed":0,"#), "{line}");
        assert!(line.ends_with(r#""rss_after_hold_mib":null,"attendees_after_close":0,"errors":0,"fanout_p99_vs_1s":0.046}"#), "{line}");
        assert_eq!(line.lines().count(), 1);
    }

    #[test]
    fn table_is_aligned() {
        let t = table(&[
            fig("healthz", 12345.6, 0.812, Some(1.0)),
            fig("base_info", 99.0, 123.456, None),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{t}");
        assert!(lines[0].starts_with("scenario "));
        assert!(lines[1].contains("12345.6") && lines[1].ends_with("1.000"));
        assert!(lines[2].starts_with("base_info") && lines[2].ends_with('-'));
    }
}
