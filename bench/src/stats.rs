//! What one scenario measured, and the figures computed from it.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::time::Duration;

/// Latencies are recorded in microseconds, from 1 µs to a minute, to 3 significant digits.
const MAX_MICROS: u64 = 60_000_000;

/// One worker's (or, merged, one scenario's) record.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Latency of each successful request.
    latencies: Histogram<u64>,
    /// Every request that got an answer or failed, errors included.
    pub requests: u64,
    pub errors: u64,
    /// The first error seen, to tell the operator what went wrong.
    pub first_error: Option<String>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            latencies: Histogram::new_with_bounds(1, MAX_MICROS, 3)
                .expect("valid histogram bounds"),
            requests: 0,
            errors: 0,
            first_error: None,
        }
    }
}

impl Recorder {
    pub fn ok(&mut self, latency: Duration) {
        self.requests += 1;
        let micros = u64::try_from(latency.as_micros()).unwrap_or(MAX_MICROS);
        self.latencies
            .saturating_record(micros.clamp(1, MAX_MICROS));
    }

    pub fn error(&mut self, what: impl FnOnce() -> String) {
        self.requests += 1;
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(what());
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        self.latencies
            .add(&other.latencies)
            .expect("histograms share their bounds");
        self.requests += other.requests;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    pub fn successes(&self) -> u64 {
        self.requests - self.errors
    }

    /// The latency at quantile `q` (0..=1) of successful requests, in milliseconds; 0 if none.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.value_at_quantile(q) as f64 / 1000.0
    }

    /// The largest latency of successful requests, in milliseconds; 0 if none.
    pub fn max_ms(&self) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.max() as f64 / 1000.0
    }
}

/// The figures of one scenario, as printed in the table and in the BENCH line. Field order is
/// the BENCH line's key order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub name: String,
    /// Successful requests per second.
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// `rps` divided by the baseline's `rps` in the same run; null without a baseline.
    pub ratio: Option<f64>,
    pub errors: u64,
    pub requests: u64,
}

impl Figures {
    pub fn new(name: &str, rec: &Recorder, elapsed: Duration) -> Self {
        let secs = elapsed.as_secs_f64();
        let rps = if secs > 0.0 {
            rec.successes() as f64 / secs
        } else {
            0.0
        };
        Self {
            name: name.to_owned(),
            rps: round_to(rps, 1),
            p50_ms: round_to(rec.quantile_ms(0.50), 3),
            p99_ms: round_to(rec.quantile_ms(0.99), 3),
            ratio: None,
            errors: rec.errors,
            requests: rec.requests,
        }
    }
}

/// Sets every scenario's `ratio` against the one named `baseline`.
pub fn set_ratios(figures: &mut [Figures], baseline: &str) {
    let base = figures.iter().find(|f| f.name == baseline).map(|f| f.rps);
    for f in figures.iter_mut() {
        f.ratio = base.and_then(|b| ratio(f.rps, b));
    }
}

/// The median of `of` over the turns of one scenario: the figures named `name`, or
/// `name N` for its turn N.
pub fn median_over_turns(figures: &[Figures], name: &str, of: fn(&Figures) -> f64) -> Option<f64> {
    let mut runs: Vec<f64> = figures
        .iter()
        .filter(|f| f.name.split(' ').next() == Some(name))
        .map(of)
        .collect();
    runs.sort_by(f64::total_cmp);
    runs.get(runs.len() / 2).copied()
}

/// `value / base` to 3 decimals, or `None` when there is nothing to divide by.
pub fn ratio(value: f64, base: f64) -> Option<f64> {
    (base > 0.0 && value.is_finite() && base.is_finite()).then(|| round_to(value / base, 3))
}

pub fn round_to(v: f64, decimals: i32) -> f64 {
    let m = 10f64.powi(decimals);
    (v * m).round() / m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        let mut r = Recorder::default();
        for i in 1..=100 {
            r.ok(ms(i));
        }
        assert!(
            (r.quantile_ms(0.5) - 50.0).abs() < 0.1,
            "{}",
            r.quantile_ms(0.5)
        );
        assert!(
            (r.quantile_ms(0.99) - 99.0).abs() < 0.1,
            "{}",
            r.quantile_ms(0.99)
        );
        assert!((r.max_ms() - 100.0).abs() < 0.1, "{}", r.max_ms());
        assert_eq!(Recorder::default().max_ms(), 0.0);
    }

    #[test]
    fn errors_count_as_requests_but_not_latency() {
        let mut r = Recorder::default();
        r.ok(ms(2));
        r.error(|| "status 50709".into());
        r.error(|| "second".into());
        assert_eq!((r.requests, r.errors, r.successes()), (3, 2, 1));
        assert_eq!(r.first_error.as_deref(), Some("status 50709"));
        let f = Figures::new("edit", &r, Duration::from_secs(1));
        assert_eq!((f.rps, f.errors, f.requests), (1.0, 2, 3));
        assert!((f.p99_ms - 2.0).abs() < 0.01);
    }

    #[test]
    fn merged_workers_add_up() {
        let mut a = Recorder::default();
        let mut b = Recorder::default();
        for _ in 0..90 {
            a.ok(ms(1));
        }
        for _ in 0..10 {
            b.ok(ms(100));
        }
        b.error(|| "x".into());
        a.merge(b);
        assert_eq!((a.requests, a.errors), (101, 1));
        assert!((a.quantile_ms(0.5) - 1.0).abs() < 0.01);
        assert!((a.quantile_ms(0.99) - 100.0).abs() < 0.1);
        let f = Figures::new("list", &a, Duration::from_secs(4));
        assert_eq!(f.rps, 25.0);
    }

    #[test]
    fn nothing_measured_is_zero_not_nan() {
        let f = Figures::new("book", &Recorder::default(), Duration::from_secs(10));
        assert_eq!((f.rps, f.p50_ms, f.p99_ms), (0.0, 0.0, 0.0));
        let f = Figures::new("book", &Recorder::default(), Duration::ZERO);
        assert_eq!(f.rps, 0.0);
    }

    #[test]
    fn ratios_against_the_baseline() {
        let fig = |name: &str, rps: f64| Figures {
            name: name.into(),
            rps,
            p50_ms: 0.0,
            p99_ms: 0.0,
            ratio: None,
            errors: 0,
            requests: 0,
        };
        let mut f = vec![
            fig("healthz", 3000.0),
            fig("book", 1000.0),
            fig("list", 2000.0),
        ];
        set_ratios(&mut f, "healthz");
        let r: Vec<_> = f.iter().map(|f| f.ratio).collect();
        assert_eq!(r, vec![Some(1.0), Some(0.333), Some(0.667)]);

        let mut f = vec![fig("healthz", 0.0), fig("book", 10.0)];
        set_ratios(&mut f, "healthz");
        assert_eq!(f[1].ratio, None);
        let mut f = vec![fig("book", 10.0)];
        set_ratios(&mut f, "healthz");
        assert_eq!(f[0].ratio, None);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_to(1.23456, 3), 1.235);
        assert_eq!(round_to(12345.67, 1), 12345.7);
        assert_eq!(ratio(1.0, 3.0), Some(0.333));
        assert_eq!(ratio(1.0, 0.0), None);
    }
}
