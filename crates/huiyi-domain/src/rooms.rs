//! The registry of a customer's meeting rooms, their equipment, hardware boxes and dial-in
//! numbers, as an operator imports them.

use crate::CustomerKey;
use serde::{Deserialize, Serialize};

/// A meeting room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    pub room_id: i64,
    pub customer: CustomerKey,
    pub name: String,
    pub city: String,
    pub location: String,
    pub floor: i64,
    pub capacity: i64,
    /// Bookings of the room wait for an admin's approval.
    pub needs_approval: bool,
    pub equipment: Vec<Equipment>,
}

/// Equipment of a room (a projector, a screen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Equipment {
    pub equip_id: i64,
    pub name: String,
}

/// A hardware meeting box (a room system), reached at `address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingBox {
    pub box_id: String,
    pub customer: CustomerKey,
    pub name: String,
    pub room_id: Option<i64>,
    pub address: String,
}

/// A dial-in number: shared by every customer (`customer` `None`) or one customer's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DialInNumber {
    pub access_id: String,
    pub number: String,
    /// The vendor's number type (`accessNoType`), e.g. "1".
    pub kind: String,
    pub platform: String,
    pub customer: Option<CustomerKey>,
    /// How the number is shown, e.g. `+86(10)5885-8950`.
    pub display: String,
}
