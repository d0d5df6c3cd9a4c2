//! PostgreSQL backend of [`huiyi_store::Store`].
//!
//! Every replica runs the embedded migrations at start; sqlx's migrator holds an advisory lock
//! while it does, so replicas starting together apply each migration once. Concurrent bookings
//! are serialised by the unique constraints alone: a transaction that collides is rolled back
//! and retried whole, since PostgreSQL aborts a transaction at its first failed statement.

#[cfg(feature = "testing")]
pub mod databases;
pub mod fanout;

use crate::capabilities::{Capabilities, Claim, RowLock, Writers};
use crate::store::SqlStore;
use crate::support::db_error;
use huiyi_store::StoreError;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

pub type Db = sqlx::Postgres;

pub const NAME: &str = "postgres";

/// PostgreSQL commits concurrent transactions in parallel (and groups their WAL flushes
/// itself), so writes are not combined here. A transaction recording facts holds its sessions'
/// rows until it commits, so replicas take turns per meeting and live counts stay exact; the
/// idle-session worker skips rows so held, and replicas running it split the work.
pub const CAPABILITIES: Capabilities = Capabilities {
    writers: Writers::Concurrent,
    row_lock: RowLock::ForUpdate,
    claim: Claim::SkipLocked,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const POOL_SIZE: u32 = 16;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

impl SqlStore {
    /// Connects to `url` (e.g. `postgres://huiyi@db.internal/huiyi`) and brings the schema up to
    /// date.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(db_error)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(format!("migrating the PostgreSQL schema: {e}")))?;
        Ok(SqlStore::new(pool.clone(), pool))
    }

    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        self.writer.begin().await
    }
}
