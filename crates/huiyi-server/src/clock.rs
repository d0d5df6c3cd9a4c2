//! The server's one clock. Everything that asks what time it is asks this, so tests can set
//! the time instead of waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    System,
    /// Unix milliseconds, moved by hand.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// A clock standing at `now_ms` until [`Clock::set`] or [`Clock::advance`] moves it.
    pub fn manual(now_ms: i64) -> Self {
        Self(Source::Manual(Arc::new(AtomicI64::new(now_ms))))
    }

    /// Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Source::System => huiyi_domain::time::now_millis(),
            Source::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// Unix seconds.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves a manual clock to `now_ms`; a system clock cannot be moved.
    pub fn set(&self, now_ms: i64) {
        match &self.0 {
            Source::System => panic!("the system clock cannot be set; use Clock::manual"),
            Source::Manual(ms) => ms.store(now_ms, Ordering::SeqCst),
        }
    }

    pub fn advance(&self, by_ms: i64) {
        self.set(self.now_ms() + by_ms);
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Source::System => f.write_str("Clock::system"),
            Source::Manual(ms) => write!(f, "Clock::manual({})", ms.load(Ordering::SeqCst)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let c = Clock::manual(1_700_000_000_500);
        let seen = c.clone();
        assert_eq!(c.now(), 1_700_000_000);
        c.advance(600);
        assert_eq!(seen.now_ms(), 1_700_000_001_100, "clones share the time");
        assert_eq!(seen.now(), 1_700_000_001);
        let system = Clock::system().now();
        assert!((system - huiyi_domain::time::now_unix()).abs() <= 1);
    }
}
