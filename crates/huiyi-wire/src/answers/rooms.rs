//! Answers about rooms, boxes and dial-in: `getPhoneAccessNum` (11), `confBindBox` (13), and the
//! `houseList` / `equipList` entries of room items (17, 18, 23).

use crate::requests::BoxInfo;
use huiyi_domain::Booking;
use huiyi_domain::rooms::DialInNumber;
use serde::{Deserialize, Serialize};

/// One number of `getPhoneAccessNum`'s `result` (example 11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneAccessItem {
    #[serde(rename = "accessId")]
    pub access_id: String,
    #[serde(rename = "accessno")]
    pub accessno: String,
    #[serde(rename = "accessNoType")]
    pub access_no_type: String,
    pub platform: String,
}

pub fn phone_access_item(n: &DialInNumber) -> PhoneAccessItem {
    PhoneAccessItem {
        access_id: n.access_id.clone(),
        accessno: n.number.clone(),
        access_no_type: n.kind.clone(),
        platform: n.platform.clone(),
    }
}

/// A box of `invalidBoxIdList`: the request's entry and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidBox {
    #[serde(flatten)]
    pub info: BoxInfo,
    #[serde(rename = "errMsg")]
    pub err_msg: String,
}

/// `result` of `confBindBox` (example 13), for success and for 51208 alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindBoxAnswer {
    #[serde(rename = "invalidBoxIdList")]
    pub invalid: Vec<InvalidBox>,
    #[serde(rename = "successBoxIdList")]
    pub success: Vec<BoxInfo>,
}

/// A room or a piece of equipment in a room item's `houseList` / `equipList`, with the keys
/// the reference's `houseList和equipList结构` lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoomDevice {
    pub device_id: i64,
    /// 2 a room, 3 equipment of a room.
    pub device_type: i64,
    pub device_name: String,
    pub city: String,
    pub location: String,
    pub floor: i64,
    /// 0 unspecified, 1 main venue, 2 branch venue.
    pub is_main_room: i64,
    /// The room, for equipment; 0 for a room.
    pub parent_device_id: i64,
    pub parent_device_type: i64,
    /// Who booked the room: the booking's host.
    pub apply_user_id: i64,
    /// 0 pending, 1 refused, 2 approved (3, room cancelled, is never answered here: a
    /// cancelled booking is status 0 as a whole).
    pub approval_status: i64,
}

pub const DEVICE_ROOM: i64 = 2;
pub const DEVICE_EQUIPMENT: i64 = 3;

/// The booking's rooms (`houseList`) and their chosen equipment (`equipList`).
pub fn room_devices(b: &Booking) -> (Vec<RoomDevice>, Vec<RoomDevice>) {
    let mut houses = Vec::new();
    let mut equips = Vec::new();
    for r in b.details.settings.rooms.iter().flatten() {
        let room = RoomDevice {
            device_id: r.room_id,
            device_type: DEVICE_ROOM,
            device_name: r.name.clone(),
            city: r.city.clone(),
            location: r.location.clone(),
            floor: r.floor,
            is_main_room: r.is_main_room,
            parent_device_id: 0,
            parent_device_type: 0,
            apply_user_id: b.host.get(),
            approval_status: r.approval,
        };
        for e in &r.equipment {
            equips.push(RoomDevice {
                device_id: e.equip_id,
                device_type: DEVICE_EQUIPMENT,
                device_name: e.name.clone(),
                parent_device_id: r.room_id,
                parent_device_type: DEVICE_ROOM,
                ..room.clone()
            });
        }
        houses.push(room);
    }
    (houses, equips)
}

/// `h323Ip` of the booking answers: where the bound boxes are reached.
pub fn box_addresses(b: &Booking) -> Vec<String> {
    b.details
        .boxes
        .iter()
        .map(|x| x.address.clone())
        .filter(|a| !a.is_empty())
        .collect()
}
