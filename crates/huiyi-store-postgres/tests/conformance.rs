//! The shared conformance suite, each test in a database of its own on the server named by
//! `HUIYI_TEST_POSTGRES_URL`; without it the tests say so and pass.

use huiyi_store::Store;
use huiyi_store_postgres::PgStore;
use huiyi_store_postgres::testing::{self, TestDatabase};
use std::sync::Arc;

async fn fresh() -> Option<(Arc<dyn Store>, TestDatabase)> {
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
    Some((Arc::new(store), guard))
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
