//! Customers, their users, the API keys (credentials) that act for them, and the registry of
//! their rooms, boxes and dial-in numbers.

use crate::{ImportData, ImportSummary, StoreResult};
use async_trait::async_trait;
use huiyi_domain::rooms::{DialInNumber, MeetingBox, Room};
use huiyi_domain::{Credential, Customer, CustomerKey, User, UserId};

#[async_trait]
pub trait TenantStore: Send + Sync + 'static {
    /// Upserts customers, users, credentials, rooms (with their equipment), boxes and dial-in
    /// numbers in one transaction: all or nothing. `now` stamps the credentials it creates.
    async fn import(&self, data: &ImportData, now: i64) -> StoreResult<ImportSummary>;
    async fn customer_count(&self) -> StoreResult<i64>;
    async fn customer_by_code(&self, code: &str) -> StoreResult<Option<Customer>>;
    async fn customer_by_key(&self, key: CustomerKey) -> StoreResult<Option<Customer>>;
    /// Stores the hash of a new key for the customer with this code, created at `now`.
    async fn add_credential(
        &self,
        customer_code: &str,
        key_hash: &str,
        admin: bool,
        now: i64,
    ) -> StoreResult<()>;
    /// The credential whose key hashes to `key_hash` (hex SHA-256), with its customer.
    async fn credential(&self, key_hash: &str) -> StoreResult<Option<Credential>>;
    /// A user of this customer by userId; users of other customers are not found.
    async fn user(&self, customer: CustomerKey, user_id: UserId) -> StoreResult<Option<User>>;
    /// A user of this customer by email (case-insensitive).
    async fn user_by_email(&self, customer: CustomerKey, email: &str) -> StoreResult<Option<User>>;
    /// The customer's rooms with their equipment, by roomId.
    async fn rooms(&self, customer: CustomerKey) -> StoreResult<Vec<Room>>;
    /// The customer's hardware boxes, by boxId.
    async fn boxes(&self, customer: CustomerKey) -> StoreResult<Vec<MeetingBox>>;
    /// The dial-in numbers the customer may use: its own, then those shared by all, by accessId.
    async fn dial_in_numbers(&self, customer: CustomerKey) -> StoreResult<Vec<DialInNumber>>;
}
