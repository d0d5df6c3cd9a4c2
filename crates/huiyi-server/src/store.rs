//! Chooses the storage backend from the database URL.

use huiyi_store::{Store, StoreError};
use std::sync::Arc;

/// Opens (creating if needed) and migrates the database named by `url`: `sqlite:…` or
/// `postgres://…` / `postgresql://…`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(huiyi_store_postgres::PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(
            huiyi_store_sqlite::SqliteStore::connect(url).await?,
        ))
    } else {
        Err(StoreError::Invalid(format!(
            "database URL must start with sqlite: or postgres://; got {:?}",
            url.split(':').next().unwrap_or_default()
        )))
    }
}
