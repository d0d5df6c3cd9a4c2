//! Joining: the short links of a booking, and join tokens with a limited number of uses.

use crate::StoreResult;
use async_trait::async_trait;
use huiyi_domain::{Booking, JoinToken, JoinTokenKind, LinkRole, NewJoinToken};

#[async_trait]
pub trait JoinTokenStore: Send + Sync + 'static {
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
