//! Sessions: the actual runs of a meeting, kept from the facts the media side and the live pages
//! report.

use crate::StoreResult;
use async_trait::async_trait;
use huiyi_domain::{Booking, ConferenceId, CustomerKey, EventId, Fact, Meeting, SessionState};

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Records a batch of facts, all or nothing: replays (by `event_uid`) are skipped, sessions
    /// are opened and closed as the facts say, and live counts are kept in the same transaction.
    async fn record_facts(&self, batch: FactBatch) -> StoreResult<FactOutcome>;
    /// The latest session of every meeting (booking, or occurrence of a series) of these
    /// bookings that has had one.
    async fn latest_sessions(&self, event_ids: &[EventId]) -> StoreResult<Vec<SessionState>>;
    /// A booking of this customer with the latest session of each of its meetings that has had
    /// one (as [`Self::latest_sessions`] answers), ordered by occurrence, read together so that
    /// a status polled often costs one round trip.
    async fn booking_with_sessions(
        &self,
        customer: CustomerKey,
        conference_id: &ConferenceId,
    ) -> StoreResult<Option<(Booking, Vec<SessionState>)>>;
    /// A session's facts in the order they happened.
    async fn session_facts(&self, session_id: i64) -> StoreResult<Vec<StoredFact>>;
    /// Closes open sessions that have been empty since `empty_before_ms` or earlier, recording a
    /// `session.ended` (grace) fact for each. Safe to run on several replicas at once: each
    /// session is closed by exactly one of them.
    async fn close_idle_sessions(
        &self,
        empty_before_ms: i64,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionState>>;
}

/// Facts to record together. `now_ms` is the server's clock when the batch arrived: it decides
/// whether a new session may be opened and stamps every fact as recorded.
#[derive(Debug, Clone)]
pub struct FactBatch {
    pub now_ms: i64,
    pub facts: Vec<NewFact>,
}

/// One fact, with the meeting it is about already resolved.
#[derive(Debug, Clone)]
pub struct NewFact {
    /// The producer's eventId; a fact whose id is already stored is a replay and is skipped.
    pub event_uid: String,
    pub customer: CustomerKey,
    pub event_id: EventId,
    /// The occurrence's original start for a series; 0 for a single meeting.
    pub occurrence: i64,
    /// The booking or occurrence, for the join window of a new session.
    pub meeting: Meeting,
    /// When it happened (unix ms).
    pub at_ms: i64,
    pub fact: Fact,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactOutcome {
    /// Facts stored.
    pub accepted: u64,
    /// Facts skipped as replays (stored before, or repeated within the batch).
    pub duplicates: u64,
    /// The sessions the batch touched, as they are after it, in the order first touched.
    pub sessions: Vec<SessionState>,
    /// What was stored (replays left out), each with its session's id, in the order applied:
    /// what live pages are told about.
    pub recorded: Vec<RecordedFact>,
}

/// A fact the batch stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFact {
    pub session_id: i64,
    pub event_id: EventId,
    pub occurrence: i64,
    pub at_ms: i64,
    pub fact: Fact,
}

/// A fact as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFact {
    pub id: i64,
    pub session_id: i64,
    pub event_uid: Option<String>,
    pub at_ms: i64,
    pub recorded_ms: i64,
    pub fact: Fact,
}
