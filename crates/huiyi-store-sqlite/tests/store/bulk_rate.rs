//! How fast `create_bookings` preloads a large database. Ignored by default; run with
//!
//! ```text
//! HUIYI_BULK_COUNT=1000000 cargo test -p huiyi-store-sqlite --release --test store \
//!     bulk_rate -- --ignored --nocapture
//! ```
//!
//! `HUIYI_BULK_CALL` sets the bookings per call (default 100 000): random ids spread each
//! commit over every index page, so larger calls (the store commits up to 20 000 at a time)
//! load markedly faster.

use huiyi_domain::PasswordType;
use huiyi_store::Store;
use huiyi_store::conformance::{IMPORTED_AT, T0, hosts_of, new_booking, tenants};
use huiyi_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: minutes for a million bookings"]
async fn bulk_load_rate() {
    let total: usize = std::env::var("HUIYI_BULK_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bulk.db", dir.path().display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    let (acme, _) = tenants(&store).await;
    let hosts: Vec<i64> = (0..1000).map(|i| 10_000 + i).collect();
    store
        .import(&hosts_of("ACME", &hosts), IMPORTED_AT)
        .await
        .unwrap();

    // Bookings per create_bookings call; the store commits at most 20 000 at a time.
    let call: usize = std::env::var("HUIYI_BULK_CALL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let step = 100_000.min(total);
    let started = Instant::now();
    let mut done = 0;
    while done < total {
        let news: Vec<_> = (done..(done + step).min(total))
            .map(|i| {
                let pt = if i % 4 == 0 {
                    PasswordType::Fixed
                } else {
                    PasswordType::Dynamic
                };
                new_booking(
                    &acme,
                    hosts[i % hosts.len()],
                    T0 + (i as i64 % 100_000) * 600,
                    60,
                    pt,
                )
            })
            .collect();
        let lap = Instant::now();
        for part in news.chunks(call) {
            done += store.create_bookings(part).await.unwrap() as usize;
        }
        eprintln!(
            "{done:>9} stored; last {} at {:.0}/s; overall {:.0}/s",
            news.len(),
            news.len() as f64 / lap.elapsed().as_secs_f64(),
            done as f64 / started.elapsed().as_secs_f64()
        );
    }
}
