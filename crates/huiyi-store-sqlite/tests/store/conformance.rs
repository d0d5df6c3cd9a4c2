//! The shared conformance suite, each test on a fresh database file.

use huiyi_store::conformance::{Fixture, IMPORTED_AT};
use huiyi_store::{Store, TenantStore};
use huiyi_store_sqlite::SqliteStore;
use huiyi_store_sqlite::testing::Inspector;
use std::sync::Arc;

async fn fresh() -> Option<Fixture> {
    let dir = tempfile::tempdir().expect("temp dir");
    // A subdirectory that does not exist yet: connect must create it.
    let url = format!("sqlite://{}/data/huiyi.db", dir.path().display());
    let store = SqliteStore::connect(&url).await.expect("open SQLite store");
    let rows = Inspector::connect(&url).await.expect("inspect the store");
    Some(Fixture {
        store: Arc::new(store),
        rows: Arc::new(rows),
        guard: Box::new(dir),
    })
}

huiyi_store::conformance_tests!(fresh);

#[tokio::test]
async fn reopening_keeps_data_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/huiyi.db", dir.path().display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store
        .import(&huiyi_store::conformance::fixture(), IMPORTED_AT)
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

#[tokio::test]
async fn bookings_stored_before_series_are_kept() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    use std::str::FromStr;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/huiyi.db", dir.path().display());
    let options = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate!("./migrations")
        .run_to(1, &pool)
        .await
        .unwrap();
    for statement in huiyi_store::conformance::SCHEMA_1_ROWS {
        sqlx::query(*statement).execute(&pool).await.unwrap();
    }

    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    let (series, stale): (Option<String>, i64) = sqlx::query_as(
        "SELECT series, COUNT(*) FROM bookings WHERE span_end <> end_at OR series IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (series, stale),
        (None, 0),
        "span_end backfilled from end_at"
    );
    pool.close().await;
    huiyi_store::conformance::schema_1_booking_survives_the_series_migration(store).await;
}
