//! The store over one database: its pools, the group commits a single writer needs, and the
//! parts of [`Store`] that belong to no area.

use crate::backend::{self, Db};
use crate::combine::{BookingCombiner, FactCombiner};
use crate::support::db_error;
use async_trait::async_trait;
use huiyi_store::{Store, StoreResult};
use sqlx::Pool;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct SqlStore {
    /// Reads. On a single-writer backend a pool of its own, so reads never queue behind writes.
    pub(crate) reader: Pool<Db>,
    /// Single-statement writes; transactions come from `begin_write`.
    pub(crate) writer: Pool<Db>,
    /// Used when [`Writers::Single`](crate::capabilities::Writers::Single): concurrent bookings
    /// share one transaction, since the single writer commits serially anyway.
    pub(crate) bookings: Arc<BookingCombiner>,
    /// Likewise for batches of session facts, each in a savepoint of its own.
    pub(crate) facts: Arc<FactCombiner>,
}

impl SqlStore {
    pub(crate) fn new(reader: Pool<Db>, writer: Pool<Db>) -> Self {
        SqlStore {
            reader,
            writer,
            bookings: Arc::default(),
            facts: Arc::default(),
        }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        backend::NAME
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
