//! Delivers the outbox: claims due messages with a lease, sends them (many at once), and
//! settles each: delivered, retried on the schedule (or when `Retry-After` asks), failed when
//! the schedule is used up, or its endpoint disabled on `410 Gone`. Every attempt is logged.
//!
//! Every replica runs it. A claimed message is no other replica's until its lease runs out, so
//! on the happy path each message is sent once; a process killed mid-send leaves its messages
//! to be claimed again when their leases expire (those in flight may then arrive twice, with
//! the same `webhook-id`).

use super::letters::Letters;
use crate::adapters::webhook::{Verdict, WebhookSender};
use crate::app::AppState;
use huiyi_store::{ClaimedMessage, Settle, Settled, StoreError, Target};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

/// Messages claimed per round.
pub const CLAIM_BATCH: i64 = 256;
/// Requests in flight at once per replica.
const IN_FLIGHT: usize = 64;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    /// Messages made from batches of notices this round (sent in the next).
    pub expanded: usize,
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
}

#[derive(Clone)]
pub struct Deliveries {
    app: AppState,
    sender: WebhookSender,
    letters: Letters,
}

impl Deliveries {
    pub fn new(app: AppState) -> anyhow::Result<Self> {
        let c = &app.config;
        let sender = WebhookSender::new(
            c.webhook_allow_private,
            Duration::from_millis(c.webhook_timeout_ms),
        )?;
        let letters = Letters::new(app.clone())?;
        Ok(Self {
            app,
            sender,
            letters,
        })
    }

    /// How long a claim holds its messages: longer than any attempt can take.
    pub fn lease_ms(&self) -> i64 {
        let timeout = i64::try_from(self.app.config.webhook_timeout_ms).unwrap_or(i64::MAX / 4);
        timeout.saturating_mul(2).saturating_add(5_000)
    }

    /// Claims what is due at `now_ms`, sends it, and settles it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn run_once(&self, now_ms: i64) -> Result<Round, StoreError> {
        let claimed = self
            .app
            .store
            .claim_messages(now_ms, self.lease_ms(), CLAIM_BATCH)
            .await?;
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        if claimed.is_empty() {
            return Ok(round);
        }
        let gate = Arc::new(Semaphore::new(IN_FLIGHT));
        let mut sends = tokio::task::JoinSet::new();
        for mut m in claimed {
            if m.target == Target::Notices {
                // A change's notices become one message per recipient, due now; the batch
                // is done in the same transaction.
                round.expanded += self
                    .app
                    .store
                    .expand_notices(m.id, &m.claim, now_ms)
                    .await?;
                round.delivered += 1;
                continue;
            }
            if m.kind == "recording.ready" || m.kind == "report.ready" {
                // Links carry an expiry: made now, however late the message goes out.
                if let Some(body) = self.app.after.fill_links(&m.body).await {
                    m.body = body;
                }
            }
            let (sender, letters) = (self.sender.clone(), self.letters.clone());
            let (gate, clock) = (gate.clone(), self.app.clock.clone());
            sends.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let sent = match m.target {
                    Target::Mail | Target::Sms => letters.send(&m, clock.now_ms()).await,
                    Target::Endpoint(_) | Target::Callback | Target::Notices => {
                        sender.send(&m, clock.now_ms()).await
                    }
                };
                (m, sent)
            });
        }
        let mut settled = Vec::with_capacity(round.claimed);
        while let Some(done) = sends.join_next().await {
            let Ok((m, sent)) = done else {
                // A send that panicked keeps its lease; the message is claimed again later.
                tracing::error!("a webhook send failed unexpectedly");
                continue;
            };
            let settle = self.settle(&m, sent.verdict, sent.attempt.at_ms);
            match settle {
                Settle::Delivered => round.delivered += 1,
                Settle::Retry { .. } => round.retried += 1,
                Settle::Failed | Settle::Gone => round.failed += 1,
            }
            metrics::counter!("huiyi_webhook_attempts_total", "outcome" => outcome(settle))
                .increment(1);
            if sent.attempt.error.is_some() {
                tracing::info!(
                    msg_id = %m.msg_id,
                    kind = %m.kind,
                    status = sent.attempt.status,
                    error = sent.attempt.error.as_deref().unwrap_or_default(),
                    "webhook attempt failed"
                );
            }
            settled.push(Settled {
                id: m.id,
                claim: m.claim,
                attempt: sent.attempt,
                settle,
            });
        }
        self.app.store.settle_messages(&settled).await?;
        Ok(round)
    }

    /// What follows from an attempt at `m` made at `at_ms`.
    fn settle(&self, m: &ClaimedMessage, verdict: Verdict, at_ms: i64) -> Settle {
        let made = m.attempts + 1;
        match verdict {
            Verdict::Delivered => Settle::Delivered,
            Verdict::Gone => Settle::Gone,
            Verdict::Failed => Settle::Failed,
            Verdict::Retry { after } => {
                let schedule = &self.app.config.delivery_backoff;
                match schedule.next_delay_ms(made, rand::random::<f64>()) {
                    None => Settle::Failed,
                    Some(delay) => {
                        let delay = after
                            .map(|a| i64::try_from(a.as_millis()).unwrap_or(delay))
                            .unwrap_or(delay);
                        Settle::Retry {
                            at_ms: at_ms.saturating_add(delay),
                        }
                    }
                }
            }
        }
    }

    /// Runs rounds until `stop` changes: one tick after the start, then at once again after a
    /// full round, else on every tick.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let tick = Duration::from_millis(self.app.config.delivery_tick_ms);
        let mut pause = tick;
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = tokio::time::sleep(pause) => {}
            }
            pause = match self.run_once(self.app.clock.now_ms()).await {
                Ok(r) if r.claimed as i64 == CLAIM_BATCH || r.expanded > 0 => Duration::ZERO,
                Ok(_) => tick,
                Err(e) => {
                    tracing::warn!(error = %e, "delivering webhooks failed; retrying next round");
                    tick
                }
            };
        }
    }
}

fn outcome(s: Settle) -> &'static str {
    match s {
        Settle::Delivered => "delivered",
        Settle::Retry { .. } => "retry",
        Settle::Failed => "failed",
        Settle::Gone => "gone",
    }
}
