//! The shared conformance suite, and what the schema's migrations must do on PostgreSQL.

use huiyi_store::Store;
use huiyi_store::conformance::Fixture;
use huiyi_store_postgres::PgStore;
use huiyi_store_postgres::testing::{self, Inspector};
use std::sync::Arc;

async fn fresh() -> Option<Fixture> {
    let Some(base) = testing::base_url_from_env() else {
        eprintln!(
            "{} is not set; skipping the PostgreSQL conformance test",
            testing::ENV
        );
        return None;
    };
    let (url, guard) = testing::fresh_database(&base)
        .await
        .expect("create a test database");
    let store = PgStore::connect(&url)
        .await
        .expect("connect to the test database");
    let rows = Inspector::connect(&url).await.expect("inspect the store");
    Some(Fixture {
        store: Arc::new(store),
        rows: Arc::new(rows),
        guard: Box::new(guard),
    })
}

huiyi_store::conformance_tests!(fresh);

#[tokio::test]
async fn replicas_starting_together_migrate_once() {
    let Some(base) = testing::base_url_from_env() else {
        return;
    };
    let (url, _guard) = testing::fresh_database(&base).await.unwrap();
    let starts = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { PgStore::connect(&url).await })
    });
    for s in starts {
        s.await.unwrap().expect("every replica starts");
    }
}

#[tokio::test]
async fn bookings_stored_before_series_are_kept() {
    let Some(base) = testing::base_url_from_env() else {
        return;
    };
    let (url, _guard) = testing::fresh_database(&base).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::migrate!("./migrations")
        .run_to(1, &pool)
        .await
        .unwrap();
    for statement in huiyi_store::conformance::SCHEMA_1_ROWS {
        sqlx::query(*statement).execute(&pool).await.unwrap();
    }

    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
    let stale: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bookings WHERE span_end <> end_at OR series IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stale, 0, "span_end backfilled from end_at");
    pool.close().await;
    huiyi_store::conformance::schema_1_booking_survives_the_series_migration(store).await;
}
