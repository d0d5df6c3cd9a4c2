//! Reads no service needs, for tests that must look at stored rows: how many sessions a meeting
//! has had, who was in one. Each backend implements [`Inspect`] with plain SQL in its `testing`
//! feature, so none of this is part of the [`Store`](crate::Store) a server holds.

use crate::StoreResult;
use async_trait::async_trait;
use huiyi_domain::session::{Participant, Voice};
use huiyi_domain::{EventId, Presence, SessionState};

#[async_trait]
pub trait Inspect: Send + Sync {
    /// Every session of a booking, oldest first.
    async fn sessions_of(&self, event_id: EventId) -> StoreResult<Vec<SessionState>>;
    /// A session's participants with their live state, in the order they joined.
    async fn session_participants(&self, session_id: i64) -> StoreResult<Vec<ParticipantState>>;
}

/// One participant of a session with their live state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantState {
    /// As they last joined (only the id is known until a `joined` arrives).
    pub participant: Participant,
    pub presence: Presence,
    pub voice: Voice,
    pub hand_up: bool,
}
