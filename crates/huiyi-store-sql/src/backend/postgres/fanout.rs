//! Fan-out between replicas over PostgreSQL `LISTEN`/`NOTIFY`: what one replica records about a
//! live meeting reaches the people connected to every other replica.

use crate::support::db_error;
use huiyi_store::StoreError;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use std::time::Duration;
use tokio::sync::mpsc;

/// The most a NOTIFY payload may carry (PostgreSQL refuses 8000 bytes and more).
pub const MAX_PAYLOAD: usize = 7_900;

#[derive(Clone, Debug)]
pub struct PgFanout {
    pool: PgPool,
    url: String,
}

impl PgFanout {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(db_error)?;
        Ok(Self {
            pool,
            url: url.to_owned(),
        })
    }

    /// Sends `payload` (at most [`MAX_PAYLOAD`] bytes) to every listener of `channel`.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Payloads sent to `channel` from now on. The listener reconnects by itself after a lost
    /// connection (notifications sent meanwhile are lost; pages resynchronise on reconnect).
    pub async fn listen(&self, channel: &str) -> Result<mpsc::Receiver<String>, StoreError> {
        let mut listener = PgListener::connect(&self.url).await.map_err(db_error)?;
        listener.listen(channel).await.map_err(db_error)?;
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        if tx.send(n.payload().to_owned()).await.is_err() {
                            break;
                        }
                    }
                    Ok(None) => tracing::warn!("live fan-out connection lost; reconnecting"),
                    Err(e) => {
                        tracing::warn!(error = %e, "live fan-out listener failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(rx)
    }
}
