//! Races only PostgreSQL can have: several writers at once.

use huiyi_domain::PasswordType;
use huiyi_store::Store;
use huiyi_store::conformance::{ALICE, T0, new_booking, tenants};
use huiyi_store_postgres::PgStore;
use huiyi_store_postgres::testing;
use sqlx::{Connection, PgConnection};
use std::sync::Arc;
use std::time::Duration;

/// Another replica creates the host's pair while this one is creating it too: the loser must
/// roll back, retry, and adopt the winner's pair.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_race_for_a_hosts_first_pair_adopts_the_winners() {
    let Some(base) = testing::base_url_from_env() else {
        eprintln!("{} is not set; skipping", testing::ENV);
        return;
    };
    let (url, _guard) = testing::fresh_database(&base).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
    let (acme, _) = tenants(&store).await;

    let mut other = PgConnection::connect(&url).await.unwrap();
    let mut winner = other.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO passcodes (code, customer, owner_user, role) \
         VALUES ('11111111', $1, $2, 1), ('22222222', $1, $2, 2)",
    )
    .bind(acme.key)
    .bind(ALICE)
    .execute(&mut *winner)
    .await
    .unwrap();

    let loser = {
        let store = store.clone();
        let new = new_booking(&acme, ALICE, T0, 30, PasswordType::Fixed);
        tokio::spawn(async move { store.create_booking(&new).await })
    };
    // Wait until the loser is blocked on the winner's uncommitted pair.
    let mut watcher = PgConnection::connect(&url).await.unwrap();
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    winner.commit().await.unwrap();

    let booking = loser.await.unwrap().expect("the retry succeeds");
    assert_eq!(
        (booking.pcode1.as_str(), booking.pcode2.as_str()),
        ("11111111", "22222222")
    );
    assert_eq!(
        store
            .booking(acme.key, &booking.conference_id)
            .await
            .unwrap(),
        Some(booking)
    );
}
