//! Rooms in use: which bookings hold a room when, the registry entries a booking names, and
//! the keys of room panels.

use crate::StoreResult;
use async_trait::async_trait;
use huiyi_domain::rooms::{MeetingBox, Room, RoomHold};
use huiyi_domain::{Booking, CustomerKey};

/// A hold with the booking it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldBy {
    pub hold: RoomHold,
    pub booking: Booking,
}

#[async_trait]
pub trait RoomStore: Send + Sync + 'static {
    /// The rooms of this customer among `ids` (with their equipment); others are left out.
    async fn rooms_by_id(&self, customer: CustomerKey, ids: &[i64]) -> StoreResult<Vec<Room>>;
    /// The boxes of this customer among `ids`; others are left out.
    async fn boxes_by_id(
        &self,
        customer: CustomerKey,
        ids: &[String],
    ) -> StoreResult<Vec<MeetingBox>>;
    /// The holds of a room that overlap `[from, to)`, by start, with their bookings.
    async fn room_holds(&self, room_id: i64, from: i64, to: i64) -> StoreResult<Vec<HeldBy>>;
    /// Replaces the hash of the room's panel key. `NotFound` if there is no such room.
    async fn set_panel_key(&self, room_id: i64, key_hash: &str) -> StoreResult<()>;
    /// The room (with its customer) and the hash of its panel key, if one was made.
    async fn panel_room(&self, room_id: i64) -> StoreResult<Option<(Room, Option<String>)>>;
}
