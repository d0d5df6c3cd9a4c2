//! PostgreSQL backend of [`huiyi_store::Store`].
//!
//! Every replica runs the embedded migrations at start; sqlx's migrator holds an advisory lock
//! while it does, so replicas starting together apply each migration once. Concurrent bookings
//! are serialised by the unique constraints alone: a transaction that collides is rolled back
//! and retried whole, since PostgreSQL aborts a transaction at its first failed statement.

pub mod fanout;
pub mod testing;

use huiyi_store::StoreError;
use huiyi_store::sql::db_error;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const POOL_SIZE: u32 = 16;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (e.g. `postgres://huiyi@db.internal/huiyi`) and brings the schema up to
    /// date.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
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
        Ok(PgStore { pool })
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    /// PostgreSQL commits concurrent transactions in parallel (and groups their WAL flushes
    /// itself), so facts are not batched here.
    fn fact_combiner(&self) -> Option<&huiyi_store::sql::combine::FactCombiner> {
        None
    }

    /// A transaction recording facts holds its sessions' rows until it commits, so replicas
    /// take turns per meeting and live counts stay exact.
    fn lock_rows(&self) -> &'static str {
        " FOR UPDATE"
    }

    /// Likewise for bookings.
    fn combiner(&self) -> Option<&huiyi_store::sql::combine::BookingCombiner> {
        None
    }
}

huiyi_store::impl_sql_store!(PgStore, sqlx::Postgres, "postgres");
