//! SQLite backend of [`huiyi_store::Store`].
//!
//! SQLite allows one writer at a time. Writes therefore go through a pool of exactly one
//! connection whose transactions start with `BEGIN IMMEDIATE`, so a transaction takes the write
//! lock up front instead of failing with `SQLITE_BUSY` when it tries to upgrade a read lock.
//! Reads use their own pool and, in WAL mode, never wait behind the writer.

use crate::capabilities::{Capabilities, Claim, RowLock, Writers};
use crate::store::SqlStore;
use crate::support::db_error;
use huiyi_store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub type Db = sqlx::Sqlite;

pub const NAME: &str = "sqlite";

/// With one writer, a transaction never needs to lock the rows it reads, nor a worker to skip
/// rows another holds; and since commits happen in series, concurrent writes share one.
pub const CAPABILITIES: Capabilities = Capabilities {
    writers: Writers::Single,
    row_lock: RowLock::None,
    claim: Claim::Whole,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections reading at once; more than the cores buys little since SQLite reads are CPU-bound.
const READERS: u32 = 8;
/// How long a statement waits for another process's lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The writer's page cache: negative means KiB, so 64 MiB.
const WRITER_CACHE: &str = "-65536";

impl SqlStore {
    /// Opens (creating if missing) the database at `url`, e.g. `sqlite://./data/huiyi.db` or
    /// `sqlite:///var/lib/huiyi/huiyi.db`, and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Database(format!("bad SQLite url {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: in WAL mode NORMAL may lose the last commits on power loss; an
            // acknowledged booking must survive it.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // Statement journals of multi-row inserts and sorts stay off the disk.
            .pragma("temp_store", "memory")
            // A bulk load grows the WAL to hundreds of MiB; give the space back after the
            // checkpoint that follows it.
            .pragma("journal_size_limit", "67108864");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            create_parent_dir(options.get_filename())?;
        }

        // Ids are random, so inserts touch index pages all over the file: a page cache larger
        // than SQLite's 2 MiB default keeps bulk loads from rereading them.
        let write_options = options.clone().pragma("cache_size", WRITER_CACHE);
        let mut writer = SqlitePoolOptions::new().max_connections(1);
        if in_memory {
            // The database lives only as long as a connection to it.
            writer = writer
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        // sqlx takes no lock for SQLite migrations, so two processes starting on a new file
        // would both create the tables. An exclusive lock on a file beside the database makes
        // them take turns; the second finds the schema current. The turn is taken before the
        // first connection: switching a new file to WAL needs an exclusive lock that SQLite's
        // busy timeout does not wait for, so a process connecting while another creates the
        // file would be refused ("database is locked").
        let _turn = if in_memory {
            None
        } else {
            Some(migration_lock(options.get_filename()).await?)
        };
        let writer = writer.connect_with(write_options).await.map_err(db_error)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Database(format!("migrating the SQLite schema: {e}")))?;

        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READERS)
                .connect_with(options)
                .await
                .map_err(db_error)?
        };
        Ok(SqlStore::new(reader, writer))
    }

    /// A transaction that holds the write lock from its start.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }
}

/// Holds an exclusive lock on `<database>.migrate-lock` until dropped.
async fn migration_lock(database: &std::path::Path) -> Result<std::fs::File, StoreError> {
    let mut path = database.as_os_str().to_owned();
    path.push(".migrate-lock");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| StoreError::Database(format!("migration lock task failed: {e}")))?
    .map_err(|e| StoreError::Database(format!("cannot lock the database for migration: {e}")))
}

fn create_parent_dir(file: &std::path::Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Database(format!("cannot create directory {}: {e}", dir.display()))
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_connection_is_durable_and_patient() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/dir/huiyi.db", dir.path().display());
        let store = SqlStore::connect(&url).await.unwrap();
        assert!(dir.path().join("nested/dir/huiyi.db").exists());
        for pool in [&store.reader, &store.writer] {
            let int = async |sql| {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(pool)
                    .await
                    .unwrap()
            };
            let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(journal, "wal");
            assert_eq!(int("PRAGMA synchronous").await, 2, "FULL");
            assert_eq!(int("PRAGMA foreign_keys").await, 1);
            assert_eq!(int("PRAGMA busy_timeout").await, 10_000);
        }
    }
}
