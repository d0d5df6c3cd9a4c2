//! The shared conformance suite, each test on a fresh database file.

use huiyi_store::Store;
use huiyi_store_sqlite::SqliteStore;
use std::sync::Arc;

async fn fresh() -> Option<(Arc<dyn Store>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temp dir");
    // A subdirectory that does not exist yet: connect must create it.
    let url = format!("sqlite://{}/data/huiyi.db", dir.path().display());
    let store = SqliteStore::connect(&url).await.expect("open SQLite store");
    Some((Arc::new(store), dir))
}

huiyi_store::conformance_tests!(fresh);

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/huiyi.db", dir.path().display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store
        .import(&huiyi_store::conformance::fixture())
        .await
        .unwrap();
    drop(store);
    let again = SqliteStore::connect(&url).await.unwrap();
    assert_eq!(again.customer_count().await.unwrap(), 2);
}

#[tokio::test]
async fn in_memory_database_works() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
    huiyi_store::conformance::created_booking_reads_back(store).await;
}
