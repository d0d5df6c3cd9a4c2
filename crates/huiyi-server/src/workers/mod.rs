//! Background work every replica runs. Each worker is one step ([`IdleSessions::run_once`],
//! [`Deliveries::run_once`]) that a loop calls on every tick and tests call directly with the
//! time they choose.

mod delivery;
mod letters;

pub use delivery::{CLAIM_BATCH, Deliveries, Round};

use crate::app::AppState;
use huiyi_domain::Fact;
use huiyi_domain::session::EndReason;
use huiyi_store::{RecordedFact, StoreError};
use std::time::Duration;
use tokio::sync::watch;

/// Closes sessions that everyone left more than the grace period ago. Every replica runs it;
/// the store makes each close happen once (on PostgreSQL, rows are claimed with
/// `FOR UPDATE SKIP LOCKED`).
#[derive(Clone)]
pub struct IdleSessions {
    app: AppState,
}

impl IdleSessions {
    pub fn new(app: AppState) -> Self {
        Self { app }
    }

    fn grace_ms(&self) -> i64 {
        i64::try_from(self.app.config.session_grace_secs.saturating_mul(1000))
            .unwrap_or(i64::MAX / 2)
    }

    /// How often the loop runs the step: as configured, else four times per grace period, at
    /// least every 5 s and at most every 100 ms.
    pub fn tick(&self) -> Duration {
        match self.app.config.worker_tick_ms {
            Some(ms) => Duration::from_millis(ms),
            None => Duration::from_millis(
                u64::try_from((self.grace_ms() / 4).clamp(100, 5000)).unwrap_or(5000),
            ),
        }
    }

    /// Closes every session due at `now_ms` and tells the pages still connected (someone
    /// waiting to be admitted). Returns how many it closed.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn run_once(&self, now_ms: i64) -> Result<usize, StoreError> {
        let closed = self
            .app
            .store
            .close_idle_sessions(now_ms.saturating_sub(self.grace_ms()), now_ms)
            .await?;
        let ended: Vec<RecordedFact> = closed
            .iter()
            .map(|s| RecordedFact {
                session_id: s.id,
                event_id: s.event_id,
                occurrence: s.occurrence,
                at_ms: s.closed_ms.unwrap_or(now_ms),
                fact: Fact::SessionEnded {
                    reason: EndReason::Grace,
                },
            })
            .collect();
        self.app.sessions.hub().publish(&ended).await;
        for s in &closed {
            metrics::counter!("huiyi_sessions_closed_by_grace_total").increment(1);
            tracing::info!(
                event_id = s.event_id,
                temp_conference_id = %s.temp_conference_id,
                "session closed: everyone left and the grace period passed"
            );
        }
        Ok(closed.len())
    }

    /// Runs the step on every tick until `stop` changes.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let tick = self.tick();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = tokio::time::sleep(tick) => {}
            }
            if let Err(e) = self.run_once(self.app.clock.now_ms()).await {
                tracing::warn!(error = %e, "closing idle sessions failed; retrying next round");
            }
        }
    }
}

/// Finishes recording uploads whose every byte arrived but which were not put together (the
/// server stopped in between), and gives up on uploads that went quiet for longer than
/// `upload_idle`: so an upload is never stuck. Every replica runs it; finishing twice is
/// harmless (the recording's fact is recorded once).
#[derive(Clone)]
pub struct Uploads {
    app: AppState,
}

/// How often the upload worker runs.
pub const UPLOADS_TICK: Duration = Duration::from_secs(10);

impl Uploads {
    pub fn new(app: AppState) -> Self {
        Self { app }
    }

    /// One round: (finished, failed).
    pub async fn run_once(&self) -> crate::error::ApiResult<(usize, usize)> {
        self.app.after.sweep_uploads().await
    }

    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = tokio::time::sleep(UPLOADS_TICK) => {}
            }
            if let Err(e) = self.run_once().await {
                tracing::warn!(error = %e.message, "sweeping recording uploads failed; retrying next round");
            }
        }
    }
}
