//! The storage contract. `huiyi-store-sqlite` and `huiyi-store-postgres` implement [`Store`];
//! [`conformance`] holds the suite that both must pass.

pub mod conformance;
pub mod import;
mod sessions;
pub mod sql;

use async_trait::async_trait;
use huiyi_domain::{
    Booking, ConferenceId, Credential, Customer, CustomerKey, EventId, JoinToken, JoinTokenKind,
    LinkRole, NewBooking, NewJoinToken, SessionState, User, UserId,
};
pub use import::{ImportCredential, ImportCustomer, ImportData, ImportSummary, ImportUser};
pub use sessions::{FactBatch, FactOutcome, NewFact, ParticipantState, RecordedFact, StoredFact};

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
    /// The database failed. The message is for logs, never for clients.
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Who a passcode belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasscodeOwner {
    /// A dynamic passcode of one booking.
    Booking(EventId),
    /// A host's fixed personal passcode, shared by all their fixed-passcode bookings.
    Host(UserId),
}

/// A page of a customer's bookings, ordered by event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Unix seconds, inclusive: bookings that end after this.
    pub from: i64,
    /// Unix seconds, exclusive: bookings that start before this.
    pub to: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and metrics: "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// Cheap round trip proving the database answers.
    async fn ping(&self) -> StoreResult<()>;

    // ---- tenants -------------------------------------------------------------------------

    /// Upserts customers, users and credentials in one transaction: all or nothing.
    async fn import(&self, data: &ImportData) -> StoreResult<ImportSummary>;
    async fn customer_count(&self) -> StoreResult<i64>;
    async fn customer_by_code(&self, code: &str) -> StoreResult<Option<huiyi_domain::Customer>>;
    /// Stores the hash of a new key for the customer with this code.
    async fn add_credential(
        &self,
        customer_code: &str,
        key_hash: &str,
        admin: bool,
    ) -> StoreResult<()>;
    /// The credential whose key hashes to `key_hash` (hex SHA-256), with its customer.
    async fn credential(&self, key_hash: &str) -> StoreResult<Option<Credential>>;
    /// A user of this customer by userId; users of other customers are not found.
    async fn user(&self, customer: CustomerKey, user_id: UserId) -> StoreResult<Option<User>>;
    /// A user of this customer by email (case-insensitive).
    async fn user_by_email(&self, customer: CustomerKey, email: &str) -> StoreResult<Option<User>>;

    // ---- bookings ------------------------------------------------------------------------

    /// Stores a booking, allocating its conference id, event id, billing code, link codes and
    /// passcodes (the host's fixed pair, created on first use, or a fresh dynamic pair). Unique
    /// constraints guard every one of them; a collision is retried with new values.
    async fn create_booking(&self, new: &NewBooking) -> StoreResult<Booking>;
    /// Stores many bookings at once (bulk loads and benchmarks); same allocation rules.
    async fn create_bookings(&self, new: &[NewBooking]) -> StoreResult<u64>;
    async fn booking(
        &self,
        customer: CustomerKey,
        conference_id: &ConferenceId,
    ) -> StoreResult<Option<Booking>>;
    async fn booking_by_event(
        &self,
        customer: CustomerKey,
        event_id: EventId,
    ) -> StoreResult<Option<Booking>>;
    async fn passcode_owner(
        &self,
        customer: CustomerKey,
        pcode: &str,
    ) -> StoreResult<Option<PasscodeOwner>>;
    /// Writes the booking's mutable fields (title, times, zone, invitees, details) if its
    /// `version` is still the stored one, and returns it with the new version and `modified_at`.
    /// Ids, passcodes and links never change. `Conflict` if it changed meanwhile.
    async fn update_booking(&self, booking: &Booking, now: i64) -> StoreResult<Booking>;
    /// Marks the booking cancelled if its `version` is still the stored one.
    async fn cancel_booking(&self, booking: &Booking, now: i64) -> StoreResult<Booking>;
    /// A host's bookings (cancelled included) that overlap the window, ordered by start.
    async fn host_bookings(
        &self,
        customer: CustomerKey,
        host: UserId,
        window: Window,
    ) -> StoreResult<Vec<Booking>>;
    /// A customer's bookings (cancelled included) overlapping the window, ordered by event id,
    /// those after `after_event` only, at most `limit`.
    async fn customer_bookings(
        &self,
        customer: CustomerKey,
        window: Window,
        after_event: Option<EventId>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>>;

    // ---- sessions ------------------------------------------------------------------------

    /// A booking of any customer by conference id: the media side serves the whole deployment.
    async fn booking_anywhere(&self, conference_id: &ConferenceId) -> StoreResult<Option<Booking>>;
    /// Whom a passcode belongs to, in whichever customer holds it (passcodes are unique).
    async fn passcode_anywhere(
        &self,
        pcode: &str,
    ) -> StoreResult<Option<(CustomerKey, PasscodeOwner)>>;
    async fn customer_by_key(&self, key: CustomerKey) -> StoreResult<Option<Customer>>;
    /// Records a batch of facts, all or nothing: replays (by `event_uid`) are skipped, sessions
    /// are opened and closed as the facts say, and live counts are kept in the same transaction.
    async fn record_facts(&self, batch: FactBatch) -> StoreResult<FactOutcome>;
    /// The latest session of every meeting (booking, or occurrence of a series) of these
    /// bookings that has had one.
    async fn latest_sessions(&self, event_ids: &[EventId]) -> StoreResult<Vec<SessionState>>;
    /// Every session of a booking, oldest first.
    async fn sessions_of(&self, event_id: EventId) -> StoreResult<Vec<SessionState>>;
    /// A session's facts in the order they happened.
    async fn session_facts(&self, session_id: i64) -> StoreResult<Vec<StoredFact>>;
    /// A session's participants with their live state.
    async fn session_participants(&self, session_id: i64) -> StoreResult<Vec<ParticipantState>>;
    /// Closes open sessions that have been empty since `empty_before_ms` or earlier, recording a
    /// `session.ended` (grace) fact for each. Safe to run on several replicas at once: each
    /// session is closed by exactly one of them.
    async fn close_idle_sessions(
        &self,
        empty_before_ms: i64,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionState>>;

    // ---- joining -------------------------------------------------------------------------

    /// The booking a short link `/k/<code>` names, in whichever customer holds it (link codes
    /// are unique), and which side of it the link opens.
    async fn link_target(&self, code: &str) -> StoreResult<Option<(Booking, LinkRole)>>;
    /// Stores a join token (its hash only). `Invalid` when it names a booking or user that does
    /// not exist, or a user of another customer.
    async fn create_join_token(&self, token: &NewJoinToken) -> StoreResult<()>;
    /// Takes one use of a token of this kind that has a use left and has not expired at `now`,
    /// and returns it with the uses left after this one; `None` otherwise. One atomic statement:
    /// concurrent callers on any number of replicas never take more uses than were granted.
    async fn consume_join_token(
        &self,
        token_hash: &str,
        kind: JoinTokenKind,
        now: i64,
    ) -> StoreResult<Option<JoinToken>>;
    /// The token, if it is of this kind, has a use left and has not expired at `now`; takes
    /// nothing.
    async fn peek_join_token(
        &self,
        token_hash: &str,
        kind: JoinTokenKind,
        now: i64,
    ) -> StoreResult<Option<JoinToken>>;
    /// The token whatever its state (expired, used up): to tell the holder why it is refused.
    async fn join_token(&self, token_hash: &str) -> StoreResult<Option<JoinToken>>;
}
