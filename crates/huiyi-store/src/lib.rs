//! The storage contract of huiyi: one trait per area of the data (tenants, bookings, sessions,
//! join tokens, delivery, recordings), [`Store`] over all of them, what they take and give, and [`StoreError`].
//! `huiyi-store-sqlite` and `huiyi-store-postgres` implement it; the `conformance` feature holds
//! the suite both must pass.
//!
//! A service names the area it needs (`Arc<dyn BookingStore>`), so what it may touch is visible
//! in its type; an `Arc<dyn Store>` coerces to any of them.

mod bookings;
#[cfg(feature = "conformance")]
pub mod conformance;
mod delivery;
pub mod import;
mod join_tokens;
mod recordings;
mod rooms;
mod sessions;
mod tenants;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;
pub use bookings::{BookingStore, PasscodeOwner, Window};
pub use delivery::{
    Attempt, ClaimedMessage, DeliveryStore, Endpoint, MessageLog, MessageState, NewEndpoint,
    Settle, Settled, Signing, Target,
};
pub use import::{
    ImportAccessNumber, ImportBox, ImportCredential, ImportCustomer, ImportData, ImportEquipment,
    ImportRoom, ImportSummary, ImportUser,
};
pub use join_tokens::JoinTokenStore;
pub use recordings::{HeldSession, NewUpload, RecordingFile, RecordingStore, Upload, UploadState};
pub use rooms::{HeldBy, RoomStore};
pub use sessions::{FactBatch, FactOutcome, NewFact, RecordedFact, SessionStore, StoredFact};
pub use tenants::TenantStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to change does not exist (or belongs to another customer).
    #[error("not found")]
    NotFound,
    /// The row changed since it was read; read it again and retry.
    #[error("the record was changed concurrently")]
    Conflict,
    /// Input that refers to something that is not there, e.g. an import entry naming an unknown
    /// customer. The message names the offending entry and is safe to show.
    #[error("{0}")]
    Invalid(String),
    /// Could not allocate unique ids after several tries (should never happen in practice).
    #[error("could not allocate unique identifiers")]
    Exhausted,
    /// A fact needs a new session and the meeting may not be joined now (outside its join
    /// window, or cancelled). Nothing of the batch is stored.
    #[error("{0}")]
    NotJoinable(String),
    /// A fact needs a session of a meeting that never had one. Nothing of the batch is stored.
    #[error("{0}")]
    NoSession(String),
    /// A room the booking names is held by another booking at an overlapping time. Nothing of
    /// the write is stored.
    #[error("room {room_id} is already booked from {start} to {end} by meeting {conference_id}")]
    RoomTaken {
        room_id: i64,
        conference_id: String,
        /// The other booking's hold, unix seconds.
        start: i64,
        end: i64,
    },
    /// The database failed. The message is for logs, never for clients.
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Every area over one database: what the server opens at start.
#[async_trait]
pub trait Store:
    TenantStore
    + BookingStore
    + SessionStore
    + JoinTokenStore
    + DeliveryStore
    + RecordingStore
    + RoomStore
{
    /// Which backend this is, for logs and metrics: "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// Cheap round trip proving the database answers.
    async fn ping(&self) -> StoreResult<()>;
}
