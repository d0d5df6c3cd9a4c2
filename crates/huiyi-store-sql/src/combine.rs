//! Group commit for a single-writer database. Concurrent writes (bookings, batches of session
//! facts) queue their input; whichever caller takes the write gate stores everything queued in
//! one transaction, so one commit (and one fsync) serves many requests. The batch runs in a task of
//! its own, so a caller that goes away mid-way (a closed connection) cannot cut a transaction
//! short for the others.

use huiyi_store::{StoreError, StoreResult};
use std::future::Future;
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Most writes one commit carries; the rest wait for the next.
pub const MAX_BATCH: usize = 64;

/// What a combiner groups, named for the `huiyi_store_write_batch_size` histogram.
pub trait Batched {
    const KIND: &'static str;
}

impl Batched for huiyi_domain::NewBooking {
    const KIND: &'static str = "bookings";
}

impl Batched for huiyi_store::FactBatch {
    const KIND: &'static str = "facts";
}

type Waiter<I, O> = (I, oneshot::Sender<StoreResult<O>>);

pub struct Combiner<I, O> {
    pending: Mutex<Vec<Waiter<I, O>>>,
    gate: tokio::sync::Mutex<()>,
}

impl<I, O> Default for Combiner<I, O> {
    fn default() -> Self {
        Self {
            pending: Mutex::default(),
            gate: tokio::sync::Mutex::default(),
        }
    }
}

impl<I, O> std::fmt::Debug for Combiner<I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Combiner")
    }
}

impl<I: Batched + Send + 'static, O: Send + 'static> Combiner<I, O> {
    /// Stores `new` together with whatever else is queued. `store_batch` must answer one result
    /// per input, in order.
    pub async fn submit<F, Fut>(&self, new: I, store_batch: F) -> StoreResult<O>
    where
        F: Fn(Vec<I>) -> Fut,
        Fut: Future<Output = Vec<StoreResult<O>>> + Send + 'static,
    {
        let (tx, mut rx) = oneshot::channel();
        self.lock().push((new, tx));
        loop {
            let _gate = self.gate.lock().await;
            match rx.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(StoreError::Database("the batch writer stopped".into()));
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch: Vec<Waiter<I, O>> = {
                let mut pending = self.lock();
                let n = pending.len().min(MAX_BATCH);
                pending.drain(..n).collect()
            };
            if batch.is_empty() {
                continue;
            }
            // How many writes share one commit: the group commit's whole point, so it is seen.
            metrics::histogram!("huiyi_store_write_batch_size", "kind" => I::KIND)
                .record(batch.len() as f64);
            let (news, senders): (Vec<I>, Vec<_>) = batch.into_iter().unzip();
            let results = tokio::spawn(store_batch(news))
                .await
                .map_err(|e| StoreError::Database(format!("batch writer failed: {e}")));
            match results {
                Ok(results) => {
                    for (s, r) in senders.into_iter().zip(results) {
                        let _ = s.send(r);
                    }
                }
                Err(e) => {
                    for s in senders {
                        let _ = s.send(Err(StoreError::Database(e.to_string())));
                    }
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiter<I, O>>> {
        // A panic while holding this lock cannot leave the queue half-changed (push and drain
        // are single calls), so a poisoned lock is still sound to use.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Group commit of bookings.
pub type BookingCombiner = Combiner<huiyi_domain::NewBooking, huiyi_domain::Booking>;
/// Group commit of batches of session facts.
pub type FactCombiner = Combiner<huiyi_store::FactBatch, huiyi_store::FactOutcome>;
