//! Rooms, boxes and dial-in: the rooms a booking names checked against the registry, boxes
//! bound to a meeting (13), dial-in numbers for a caller (11) and for answers, room approval,
//! and what a room panel shows.

use super::bookings::Bookings;
use super::meetings::Meetings;
use crate::clock::Clock;
use crate::config::AccessNumberConfig;
use crate::error::{ApiError, ApiResult};
use huiyi_domain::phone_region::{self, Region};
use huiyi_domain::rooms::{BoundBox, DialInNumber, approval};
use huiyi_domain::{Booking, ConferenceId, Customer, CustomerKey, RoomChoice};
use huiyi_store::{Store, StoreError};
use huiyi_wire::Code;
use huiyi_wire::answers::{
    AccessNumber, BindBoxAnswer, InvalidBox, PhoneAccessItem, RoomAccessNumber, RoomAccessNumbers,
    phone_access_item,
};
use huiyi_wire::requests::{BindBoxRequest, PhoneAccessRequest};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The most rooms one booking may name.
pub const MAX_ROOMS: usize = 20;
/// How many times a write that raced another is tried.
const WRITE_RETRIES: usize = 3;

impl Bookings {
    /// Checks `composeRoomList` against the customer's registry and fills each choice with what
    /// the registry says of its room and equipment. Another customer's room or equipment is
    /// refused exactly like one that does not exist.
    pub(super) async fn check_rooms(
        &self,
        c: &Customer,
        rooms: &mut Option<Vec<RoomChoice>>,
    ) -> ApiResult<()> {
        let Some(list) = rooms.as_mut() else {
            return Ok(());
        };
        if list.len() > MAX_ROOMS {
            return Err(ApiError::invalid(format!(
                "composeRoomList holds {} rooms; a meeting may book at most {MAX_ROOMS}",
                list.len()
            )));
        }
        let mut seen = HashSet::new();
        for (i, r) in list.iter().enumerate() {
            if !seen.insert(r.room_id) {
                return Err(ApiError::invalid(format!(
                    "composeRoomList[{i}].roomId {} is named twice; name each room once",
                    r.room_id
                )));
            }
            if !(0..=2).contains(&r.is_main_room) {
                return Err(ApiError::invalid(format!(
                    "composeRoomList[{i}].isMainRoom must be 0, 1 (main venue) or 2 (branch \
                     venue); got {}",
                    r.is_main_room
                )));
            }
        }
        if list.iter().filter(|r| r.is_main_room == 1).count() > 1 {
            return Err(ApiError::invalid(
                "composeRoomList names more than one main venue (isMainRoom 1); a meeting has \
                 at most one",
            ));
        }
        let ids: Vec<i64> = list.iter().map(|r| r.room_id).collect();
        let found: HashMap<i64, huiyi_domain::rooms::Room> = self
            .store
            .rooms_by_id(c.key, &ids)
            .await?
            .into_iter()
            .map(|r| (r.room_id, r))
            .collect();
        for (i, choice) in list.iter_mut().enumerate() {
            let room = found.get(&choice.room_id).ok_or_else(|| {
                ApiError::invalid(format!(
                    "composeRoomList[{i}].roomId {} is not a room of this customer",
                    choice.room_id
                ))
            })?;
            let mut equipment = Vec::with_capacity(choice.equip_ids.len());
            for id in &choice.equip_ids {
                let e = room
                    .equipment
                    .iter()
                    .find(|e| e.equip_id == *id)
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "composeRoomList[{i}].equipIdList: equipment {id} is not equipment of \
                         room {}",
                            room.room_id
                        ))
                    })?;
                if !equipment.contains(e) {
                    equipment.push(e.clone());
                }
            }
            choice.name = room.name.clone();
            choice.city = room.city.clone();
            choice.location = room.location.clone();
            choice.floor = room.floor;
            choice.equipment = equipment;
            choice.approval = if room.needs_approval {
                approval::PENDING
            } else {
                approval::APPROVED
            };
        }
        Ok(())
    }
}

/// An edit that names its rooms again keeps the admin's decision on each room it already had.
pub(super) fn keep_approvals(before: Option<&[RoomChoice]>, after: &mut Option<Vec<RoomChoice>>) {
    let (Some(before), Some(after)) = (before, after.as_mut()) else {
        return;
    };
    for r in after.iter_mut() {
        if let Some(old) = before.iter().find(|o| o.room_id == r.room_id) {
            r.approval = old.approval;
        }
    }
}

#[derive(Clone)]
pub struct Rooms {
    store: Arc<dyn Store>,
    meetings: Meetings,
    clock: Clock,
    /// `[[access_numbers]]` of the configuration: shared by every customer.
    configured: Arc<Vec<AccessNumberConfig>>,
}

/// A dial-in number with the region its number is in.
struct Placed {
    number: DialInNumber,
    region: Option<&'static Region>,
    exclusive: bool,
    /// The area the configuration names, for a number of no region (a 400 number).
    area: Option<String>,
}

impl Rooms {
    pub fn new(
        store: Arc<dyn Store>,
        meetings: Meetings,
        clock: Clock,
        configured: Vec<AccessNumberConfig>,
    ) -> Self {
        Self {
            store,
            meetings,
            clock,
            configured: Arc::new(configured),
        }
    }

    /// The numbers a customer may use: its own (exclusive) first, then the registry's shared
    /// ones, then the configured ones.
    async fn numbers(&self, customer: CustomerKey) -> ApiResult<Vec<Placed>> {
        let mut out: Vec<Placed> = self
            .store
            .dial_in_numbers(customer)
            .await?
            .into_iter()
            .map(|n| Placed {
                region: phone_region::region_of(&n.number),
                exclusive: n.customer.is_some(),
                number: n,
                area: None,
            })
            .collect();
        for (i, n) in self.configured.iter().enumerate() {
            let digits = national(&n.number);
            out.push(Placed {
                region: phone_region::region_of(&n.number),
                exclusive: false,
                area: Some(n.area.clone()).filter(|a| !a.trim().is_empty()),
                number: DialInNumber {
                    access_id: format!("config-{}", i + 1),
                    number: digits,
                    kind: "1".to_owned(),
                    platform: String::new(),
                    customer: None,
                    display: n.number.clone(),
                },
            });
        }
        Ok(out)
    }

    /// 11: the dial-in numbers for a caller. The customer's numbers in the caller's city, else
    /// in the caller's province; else, with `strategy` 1, the Beijing numbers, and otherwise
    /// none. With `acFlag` 1 the customer's own numbers take part and come first; with 0 only
    /// shared numbers are answered.
    pub async fn phone_access(
        &self,
        c: &Customer,
        req: &PhoneAccessRequest,
    ) -> ApiResult<Vec<PhoneAccessItem>> {
        let mut customer = c.key;
        if let Some(code) = &req.billing_code {
            customer = self.booking_customer(c, code).await?;
        }
        let mut numbers = self.numbers(customer).await?;
        numbers.retain(|n| req.exclusive || !n.exclusive);
        // Exclusive numbers first (a stable sort keeps the registry's order within each kind).
        numbers.sort_by_key(|n| !n.exclusive);
        let caller = phone_region::region_of(&req.phone);
        let pick = |same: &dyn Fn(&Region) -> bool| -> Vec<PhoneAccessItem> {
            numbers
                .iter()
                .filter(|n| n.region.is_some_and(same))
                .map(|n| phone_access_item(&n.number))
                .collect()
        };
        if let Some(region) = caller {
            let city = pick(&|r| r.same_city(region));
            if !city.is_empty() {
                return Ok(city);
            }
            let province = pick(&|r| r.same_province(region));
            if !province.is_empty() {
                return Ok(province);
            }
        }
        if req.beijing_fallback {
            return Ok(pick(&|r| r.is_beijing()));
        }
        Ok(Vec::new())
    }

    /// The customer of the booking with this billing code: only this customer's own bookings
    /// are found, and another's looks like none.
    async fn booking_customer(&self, c: &Customer, code: &str) -> ApiResult<CustomerKey> {
        match self
            .store
            .booking_by_billing_code(c.key, code.trim())
            .await?
        {
            Some(b) => Ok(b.customer),
            None => Err(ApiError::new(
                Code::ConferenceNotFound,
                format!("no meeting has billingCode {:?}", code.trim()),
            )),
        }
    }

    /// `accessNumbers` of room items (17, 18, 23): the customer's numbers, in both languages,
    /// with the area each number is in ("ALL" / "全国" for numbers of no area, such as 400
    /// numbers). Every list is an array, never null.
    pub async fn room_access(&self, customer: CustomerKey) -> ApiResult<RoomAccessNumbers> {
        let numbers = self.numbers(customer).await?;
        let item = |n: &Placed, zh: bool| RoomAccessNumber {
            area: match (n.region, zh, n.area.as_deref()) {
                (Some(r), true, _) => r.area_zh().to_owned(),
                (Some(r), false, _) => r.area_en().to_owned(),
                (None, true, Some(a)) if !a.eq_ignore_ascii_case("ALL") => a.to_owned(),
                (None, true, _) => "全国".to_owned(),
                (None, false, Some(a)) => a.to_owned(),
                (None, false, None) => "ALL".to_owned(),
            },
            choose_by_self: 0,
            // The number as the operator wants it shown, else as dialled.
            number: Some(&n.number.display)
                .filter(|d| !d.trim().is_empty())
                .unwrap_or(&n.number.number)
                .clone(),
        };
        Ok(RoomAccessNumbers {
            choose_by_self: Vec::new(),
            en_us: numbers.iter().map(|n| item(n, false)).collect(),
            zh_cn: numbers.iter().map(|n| item(n, true)).collect(),
        })
    }

    /// `accessNum` of base info (5) and the dial-in page: the customer's numbers, areas in
    /// English as example 5 shows them.
    pub async fn access_numbers(&self, customer: CustomerKey) -> ApiResult<Vec<AccessNumber>> {
        Ok(self
            .room_access(customer)
            .await?
            .en_us
            .into_iter()
            .map(|n| AccessNumber {
                area: n.area,
                number: n.number,
            })
            .collect())
    }

    /// 13: binds the valid boxes of the request to the meeting, replacing earlier bindings; an
    /// empty list unbinds all. `Err` carries 51208's answer when no box is valid (nothing
    /// changes then).
    pub async fn bind_boxes(
        &self,
        c: &Customer,
        req: &BindBoxRequest,
    ) -> ApiResult<Result<BindBoxAnswer, BindBoxAnswer>> {
        let target = huiyi_wire::requests::Target::Conference(req.conference_id.clone());
        let ids: Vec<String> = req.boxes.iter().map(|b| b.box_id.clone()).collect();
        let known: HashMap<String, huiyi_domain::rooms::MeetingBox> = self
            .store
            .boxes_by_id(c.key, &ids)
            .await?
            .into_iter()
            .map(|b| (b.box_id.clone(), b))
            .collect();
        let mut answer = BindBoxAnswer {
            invalid: Vec::new(),
            success: Vec::new(),
        };
        let mut bound = Vec::new();
        for info in &req.boxes {
            match known.get(&info.box_id) {
                Some(b) => {
                    bound.push(BoundBox {
                        box_id: b.box_id.clone(),
                        conference_room_id: info.conference_room_id,
                        conference_room_phone: info.conference_room_phone.clone(),
                        name: b.name.clone(),
                        address: b.address.clone(),
                    });
                    answer.success.push(info.clone());
                }
                // Another customer's box reads exactly as one that does not exist.
                None => answer.invalid.push(InvalidBox {
                    info: info.clone(),
                    err_msg: format!("not found box info by boxId:{}", info.box_id),
                }),
            }
        }
        for _ in 0..WRITE_RETRIES {
            let mut b = self.meetings.booking(c.key, &target).await?;
            if self.store.user(c.key, b.host).await?.is_none() {
                return Err(ApiError::host_not_found(b.host));
            }
            if !req.boxes.is_empty() && bound.is_empty() {
                return Ok(Err(answer));
            }
            b.details.boxes = bound.clone();
            match self.store.update_booking(&b, self.clock.now()).await {
                Ok(saved) => {
                    self.meetings.forget(saved.event_id);
                    tracing::info!(
                        event_id = saved.event_id,
                        boxes = bound.len(),
                        "boxes bound"
                    );
                    return Ok(Ok(answer));
                }
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => return Err(ApiError::conference_not_found(target)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// An admin's decision on a room that needs approval: approved rooms stay held, a refused
    /// room is let go (its holds are removed, so others may book it).
    pub async fn decide(
        &self,
        customer: CustomerKey,
        conference_id: &str,
        room_id: i64,
        approve: bool,
    ) -> ApiResult<Booking> {
        let cid = ConferenceId::parse(conference_id)
            .map_err(|_| ApiError::conference_not_found(conference_id))?;
        for _ in 0..WRITE_RETRIES {
            let mut b = self
                .store
                .booking(customer, &cid)
                .await?
                .ok_or_else(|| ApiError::conference_not_found(conference_id))?;
            let choice = b
                .details
                .settings
                .rooms
                .iter_mut()
                .flatten()
                .find(|r| r.room_id == room_id)
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "conference {conference_id} does not book room {room_id}"
                    ))
                })?;
            choice.approval = if approve {
                approval::APPROVED
            } else {
                approval::REJECTED
            };
            match self.store.update_booking(&b, self.clock.now()).await {
                Ok(saved) => {
                    self.meetings.forget(saved.event_id);
                    return Ok(saved);
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }
}

/// A configured number as dialled at home: `+86(10)5808-4299` → `01058084299`, `+86 138…` →
/// `138…`; a number without a country code keeps its digits (`400-810-5211` → `4008105211`).
fn national(number: &str) -> String {
    let t = number.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let rest = if t.starts_with('+') {
        digits.strip_prefix("86")
    } else {
        digits.strip_prefix("0086")
    };
    match rest {
        Some(r) if r.len() == 11 && r.starts_with('1') => r.to_owned(),
        Some(r) => format!("0{r}"),
        None => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::national;

    #[test]
    fn configured_numbers_read_as_dialled_at_home() {
        assert_eq!(national("+86(10)5808-4299"), "01058084299");
        assert_eq!(national("0086 21 3599 4558"), "02135994558");
        assert_eq!(national("+86 138 0013 8000"), "13800138000");
        assert_eq!(national("400-810-5211"), "4008105211");
        assert_eq!(national("010-5885-8950"), "01058858950");
    }
}
