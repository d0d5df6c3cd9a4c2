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

/// `ApprovalStatus` of a room in a booking, as the reference numbers it.
pub mod approval {
    /// Waiting for an admin (rooms that need approval start here).
    pub const PENDING: i64 = 0;
    /// Refused: the booking keeps the room listed, but the room is not held for it.
    pub const REJECTED: i64 = 1;
    /// Approved, or a room that needs no approval.
    pub const APPROVED: i64 = 2;
}

/// A room held by a booking for one of its meetings: `[start, end)` in unix seconds. A room
/// never has two overlapping holds; the store refuses the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomHold {
    pub room_id: i64,
    /// The occurrence's original start (the booking's start for a single meeting).
    pub occurrence: i64,
    pub start: i64,
    pub end: i64,
}

impl RoomHold {
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        self.start < end && self.end > start
    }
}

/// Every hold a booking needs: each room it names (unless refused) for each of its meetings
/// that is not cancelled. A cancelled booking or occurrence holds nothing, so it frees the room.
pub fn holds(b: &crate::Booking) -> Vec<RoomHold> {
    let rooms: Vec<i64> = b
        .details
        .settings
        .rooms
        .iter()
        .flatten()
        .filter(|r| r.approval != approval::REJECTED)
        .map(|r| r.room_id)
        .collect();
    if rooms.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for o in b.occurrences() {
        if b.occurrence_cancelled(&o) || o.length_minutes == 0 {
            continue;
        }
        for &room_id in &rooms {
            out.push(RoomHold {
                room_id,
                occurrence: o.ori_start,
                start: o.start,
                end: o.end(),
            });
        }
    }
    out
}

/// A hardware box bound to a booking by `confBindBox` (13), with what the registry knew of it
/// when it was bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct BoundBox {
    pub box_id: String,
    /// As the request gave it (0 when the box is in no room).
    pub conference_room_id: i64,
    pub conference_room_phone: String,
    pub name: String,
    /// Where the box is reached (SIP or H.323 address).
    pub address: String,
}
