//! Error mapping and small rules every area shares.

use huiyi_domain::MAX_LENGTH_MINUTES;
use huiyi_store::StoreError;

/// How often a transaction is retried after a unique-constraint collision or a deadlock.
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

/// The outcome of one attempt at a transaction that may collide with another.
pub enum TxError {
    /// A unique constraint fired, or the database asks for a retry: roll back and try again
    /// (with new values, where the transaction draws them).
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

impl TxError {
    /// Outside a retry loop, a collision is a conflict like any other.
    pub fn into_store(self) -> StoreError {
        match self {
            TxError::Store(e) => e,
            TxError::Collision => StoreError::Conflict,
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

/// Flags are stored as 0/1 integers, so one row type decodes on both backends.
pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

pub fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(format!("cannot serialise: {e}")))
}

/// A stored row that does not make a valid domain value: a `Database` error, never a panic.
pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored row is not valid: {what}"))
}
