//! What the two sqlx backends share: statement text, row shapes, the allocation of new ids, and
//! (through [`impl_sql_store!`](crate::impl_sql_store)) the body of `impl Store`. Only
//! connection setup, `BEGIN` and DDL differ between SQLite and PostgreSQL, so those stay in the
//! backend crates.

pub mod alloc;
pub mod batch;
pub mod combine;
pub mod queries;
pub mod rows;
pub mod sessions;
mod store_impl;
pub mod tokens;

use crate::StoreError;
use huiyi_domain::MAX_LENGTH_MINUTES;

/// Re-exported so the code [`impl_sql_store!`](crate::impl_sql_store) writes resolves no matter
/// how the backend names its dependencies.
#[doc(hidden)]
pub mod private {
    pub use async_trait::async_trait;
    pub use huiyi_domain;
    pub use sqlx;
    pub use tracing;
}

/// How often a transaction that allocates ids is retried after a unique-constraint collision.
pub const ATTEMPTS: usize = 8;

/// Seconds a meeting may last at most: a window query need not look further back than this.
pub const MAX_LENGTH_SECS: i64 = MAX_LENGTH_MINUTES * 60;

/// The message goes to logs only (see [`StoreError::Database`]).
pub fn db_error(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// The outcome of one attempt at a transaction that allocates ids.
pub enum TxError {
    /// A unique constraint fired: roll back and try again with new values.
    Collision,
    Store(StoreError),
}

impl From<sqlx::Error> for TxError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => TxError::Collision,
            // PostgreSQL: deadlock_detected, serialization_failure. Both ask for a retry.
            sqlx::Error::Database(d)
                if matches!(d.code().as_deref(), Some("40P01") | Some("40001")) =>
            {
                TxError::Collision
            }
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                TxError::Store(StoreError::Invalid(
                    "the booking names a customer or host user that does not exist".into(),
                ))
            }
            _ => TxError::Store(db_error(e)),
        }
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

/// Listings bound their index scans by the longest meeting, so no stored booking may be longer.
pub fn check_length(minutes: i64) -> Result<(), StoreError> {
    if (0..=MAX_LENGTH_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "length must be between 0 and {MAX_LENGTH_MINUTES} minutes, not {minutes}"
        )))
    }
}

pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// `users[3] (4307081): customerCode "X" does not exist`.
pub fn unknown_customer(entry: &str, code: &str) -> StoreError {
    StoreError::Invalid(format!("{entry}: customerCode {code:?} does not exist"))
}
