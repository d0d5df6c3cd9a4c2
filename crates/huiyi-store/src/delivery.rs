//! The delivery area: integrators' webhook endpoints, each customer's callback secret, and the
//! outbox of messages with the log of every attempt.
//!
//! Messages are enqueued by the other areas' writes, in the same transaction as the change that
//! causes them (see `huiyi_domain::delivery`); this trait is how the delivery worker claims and
//! settles them, and how operators look at them.

use crate::StoreResult;
use async_trait::async_trait;
use huiyi_domain::CustomerKey;
use huiyi_domain::delivery::EventFilter;

/// An endpoint to register. `Debug` leaves the secret out.
#[derive(Clone)]
pub struct NewEndpoint {
    pub customer: CustomerKey,
    pub url: String,
    pub events: EventFilter,
    /// `whsec_…`: shown once, kept because every request is signed with it.
    pub secret: String,
    pub created_at: i64,
}

impl std::fmt::Debug for NewEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewEndpoint")
            .field("customer", &self.customer)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A registered endpoint, as listings show it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: i64,
    pub customer: CustomerKey,
    pub url: String,
    pub events: EventFilter,
    pub created_at: i64,
    /// Set when a delivery got `410 Gone`: nothing more is sent to it.
    pub disabled_at: Option<i64>,
}

/// The secrets a message is signed with now: the current one, and during a rotation the one
/// before it (both signatures are sent until it expires).
#[derive(Clone, PartialEq, Eq)]
pub struct Signing {
    pub current: String,
    pub previous: Option<String>,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signing(<secrets>)")
    }
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A registered endpoint of the customer.
    Endpoint(i64),
    /// A booking's `recordCallbackUrl`, signed with the customer's callback secret.
    Callback,
    /// An invitation letter to `mailto:<address>`, sent through SMTP (not signed).
    Mail,
    /// An invitation text to `sms:<mobile>`, posted to the SMS gateway, signed with the
    /// deployment's SMS secret.
    Sms,
    /// The notices of one change, to be expanded into one message per recipient
    /// ([`DeliveryStore::expand_notices`]).
    Notices,
}

/// A message a worker has claimed: it holds the lease until `lease_until` (unix ms), and only
/// its `claim` token can settle it.
#[derive(Debug, Clone)]
pub struct ClaimedMessage {
    pub id: i64,
    /// `webhook-id`: the same on every attempt.
    pub msg_id: String,
    pub customer: CustomerKey,
    pub target: Target,
    pub url: String,
    pub kind: String,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub claim: String,
    pub signing: Signing,
}

/// One try at delivering a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it was made (unix ms).
    pub at_ms: i64,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// What went wrong, shortened to an excerpt; `None` on success.
    pub error: Option<String>,
}

/// What becomes of a message after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    Delivered,
    /// Try again at this time (unix ms).
    Retry {
        at_ms: i64,
    },
    /// The schedule is used up, or the message cannot be delivered at all: kept, marked failed.
    Failed,
    /// The endpoint answered `410 Gone`: the endpoint is disabled, and this message and every
    /// other pending one for it are marked failed.
    Gone,
}

/// A claimed message's attempt and what follows from it.
#[derive(Debug, Clone)]
pub struct Settled {
    pub id: i64,
    pub claim: String,
    pub attempt: Attempt,
    pub settle: Settle,
}

/// A message's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    Pending,
    Delivered,
    Failed,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Delivered => "delivered",
            MessageState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MessageState> {
        [
            MessageState::Pending,
            MessageState::Delivered,
            MessageState::Failed,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A message as the delivery log shows it, with its attempts (oldest first).
#[derive(Debug, Clone)]
pub struct MessageLog {
    pub msg_id: String,
    pub target: Target,
    pub url: String,
    pub kind: String,
    pub state: MessageState,
    pub created_ms: i64,
    /// When the next attempt is due, while pending.
    pub next_ms: i64,
    pub attempts: Vec<Attempt>,
}

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    async fn add_endpoint(&self, new: NewEndpoint) -> StoreResult<Endpoint>;

    /// The customer's endpoints that are not removed, oldest first.
    async fn endpoints(&self, customer: CustomerKey) -> StoreResult<Vec<Endpoint>>;

    /// Removes an endpoint (its messages stay in the log; pending ones are marked failed).
    /// `NotFound` for an id that is not the customer's.
    async fn remove_endpoint(&self, customer: CustomerKey, id: i64, now_ms: i64)
    -> StoreResult<()>;

    /// Replaces an endpoint's secret; the old one still signs until `keep_old_until_ms`.
    async fn rotate_endpoint_secret(
        &self,
        customer: CustomerKey,
        id: i64,
        secret: &str,
        keep_old_until_ms: i64,
    ) -> StoreResult<()>;

    /// Replaces the claimed batch of notices `id` by one pending message per recipient, due at
    /// `now_ms`, and marks the batch delivered, in one transaction (so a process that dies
    /// midway leaves the batch to be expanded again, never half). How many messages it made;
    /// 0 when the claim no longer holds it.
    async fn expand_notices(&self, id: i64, claim: &str, now_ms: i64) -> StoreResult<usize>;
    /// The secret texts to the SMS gateway are signed with (`whsec_…`), created as `fresh`
    /// when there is none.
    async fn sms_secret(&self, fresh: &str) -> StoreResult<String>;
    /// The customer's callback secret, created as `fresh` when it has none. With `rotate`, the
    /// secret becomes `fresh` and the old one still signs until `keep_old_until_ms`.
    async fn callback_secret(
        &self,
        customer: CustomerKey,
        fresh: &str,
        rotate: bool,
        keep_old_until_ms: i64,
    ) -> StoreResult<String>;

    /// Takes up to `limit` due messages for `lease_ms`: no other claim returns them until the
    /// lease runs out. On PostgreSQL rows another replica is claiming are skipped, not waited
    /// for.
    async fn claim_messages(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedMessage>>;

    /// Records the attempts and settles the messages, in one transaction. A message whose
    /// claim has since passed to another worker is left as that worker has it (its attempt is
    /// still logged).
    async fn settle_messages(&self, settled: &[Settled]) -> StoreResult<()>;

    /// The customer's latest messages (newest first), optionally for one endpoint.
    async fn messages(
        &self,
        customer: CustomerKey,
        endpoint: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<MessageLog>>;

    /// Makes a message of the customer due again now, with a fresh schedule. `NotFound` for a
    /// message id that is not the customer's.
    async fn redeliver(&self, customer: CustomerKey, msg_id: &str, now_ms: i64) -> StoreResult<()>;
}
