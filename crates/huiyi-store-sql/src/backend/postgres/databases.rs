//! Throw-away databases for tests: each test gets `CREATE DATABASE test_<uuid>` on the server
//! named by [`ENV`], dropped again when the returned guard goes out of scope.

use crate::support::db_error;
use huiyi_store::StoreError;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};

/// The variable naming a server for tests, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const ENV: &str = "HUIYI_TEST_POSTGRES_URL";

/// The server for tests, if the environment names one (CI does; a laptop may not).
pub fn base_url_from_env() -> Option<String> {
    std::env::var(ENV).ok().filter(|v| !v.trim().is_empty())
}

/// Drops its database when dropped, even when the test panicked.
#[derive(Debug)]
pub struct TestDatabase {
    base_url: String,
    name: String,
}

impl TestDatabase {
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Creates an empty database on the server at `base_url`; returns its url and the guard that
/// drops it.
pub async fn fresh_database(base_url: &str) -> Result<(String, TestDatabase), StoreError> {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(base_url).await.map_err(db_error)?;
    // The name is ours (hex digits), so building the statement from it is safe.
    conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .map_err(db_error)?;
    conn.close().await.map_err(db_error)?;
    let url = with_database(base_url, &name);
    Ok((
        url,
        TestDatabase {
            base_url: base_url.to_owned(),
            name,
        },
    ))
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let base_url = self.base_url.clone();
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // `drop` cannot await, and may run inside a runtime that must not be blocked on: a
        // thread of its own with a small runtime does the work.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&base_url).await?;
                conn.execute(AssertSqlSafe(statement)).await?;
                conn.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// `base_url` with its database replaced by `name`, keeping any query parameters.
fn with_database(base_url: &str, name: &str) -> String {
    let (address, query) = match base_url.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (base_url, None),
    };
    let authority_start = address.find("://").map_or(0, |i| i + 3);
    let server = match address[authority_start..].find('/') {
        Some(slash) => &address[..authority_start + slash],
        None => address,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "test_1"),
            "postgres://postgres@127.0.0.1:5432/test_1"
        );
        assert_eq!(with_database("postgres://h", "t"), "postgres://h/t");
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "t"),
            "postgres://h/t?sslmode=disable"
        );
    }
}
