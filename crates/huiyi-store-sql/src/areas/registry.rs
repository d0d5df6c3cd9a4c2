//! The registry in SQL: rooms with their equipment, hardware boxes and dial-in numbers,
//! imported within the tenants' import transaction and listed per customer.

use super::Conn;
use super::tenants::customer_named;
use crate::backend::Db;
use crate::store::SqlStore;
use crate::support::{db_error, flag};
use huiyi_domain::CustomerKey;
use huiyi_domain::rooms::{DialInNumber, Equipment, MeetingBox, Room};
use huiyi_store::{ImportData, StoreError, StoreResult};
use sqlx::QueryBuilder;
use std::collections::HashMap;

/// A room is its customer's for good: another customer's import cannot take it over.
const UPSERT_ROOM: &str = "INSERT INTO rooms (room_id, customer, name, city, location, floor, \
     capacity, needs_approval) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (room_id) DO UPDATE SET name = excluded.name, city = excluded.city, \
     location = excluded.location, floor = excluded.floor, capacity = excluded.capacity, \
     needs_approval = excluded.needs_approval WHERE rooms.customer = excluded.customer \
     RETURNING room_id";
/// Equipment may move between rooms of one customer, never to another customer's.
const UPSERT_EQUIPMENT: &str = "INSERT INTO room_equipment (equip_id, room_id, name) \
     VALUES ($1, $2, $3) ON CONFLICT (equip_id) DO UPDATE SET room_id = excluded.room_id, \
     name = excluded.name WHERE (SELECT customer FROM rooms r WHERE r.room_id = \
     room_equipment.room_id) = (SELECT customer FROM rooms r WHERE r.room_id = \
     excluded.room_id) RETURNING equip_id";
const ROOM_CUSTOMER: &str = "SELECT customer FROM rooms WHERE room_id = $1";
const UPSERT_BOX: &str = "INSERT INTO meeting_boxes (box_id, customer, name, room_id, address) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (box_id) DO UPDATE SET name = excluded.name, \
     room_id = excluded.room_id, address = excluded.address \
     WHERE meeting_boxes.customer = excluded.customer RETURNING box_id";
const UPSERT_NUMBER: &str = "INSERT INTO dial_in_numbers (access_id, number, kind, platform, \
     customer, display) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (access_id) DO UPDATE SET \
     number = excluded.number, kind = excluded.kind, platform = excluded.platform, \
     customer = excluded.customer, display = excluded.display";

/// The lookups below end in `customer = ` and have the bind, an optional id list and the order
/// appended.
const ROOMS: &str = "SELECT r.room_id, r.customer, r.name, r.city, r.location, r.floor, \
     r.capacity, r.needs_approval, e.equip_id, e.name AS equip_name FROM rooms r \
     LEFT JOIN room_equipment e ON e.room_id = r.room_id WHERE r.customer = ";
const BOXES: &str = "SELECT box_id, customer, name, room_id, address FROM meeting_boxes \
     WHERE customer = ";
const NUMBERS: &str = "SELECT access_id, number, kind, platform, customer, display \
     FROM dial_in_numbers WHERE customer = $1 OR customer IS NULL \
     ORDER BY CASE WHEN customer IS NULL THEN 1 ELSE 0 END, access_id";

/// Upserts the registry sections of an import inside its transaction.
pub async fn import_registry(
    conn: &mut Conn,
    data: &ImportData,
    known: &mut HashMap<String, i64>,
) -> StoreResult<()> {
    for (i, r) in data.rooms.iter().enumerate() {
        let entry = format!("rooms[{i}] ({})", r.room_id);
        let customer = customer_named(conn, known, &r.customer_code, &entry).await?;
        let stored: Option<i64> = sqlx::query_scalar(UPSERT_ROOM)
            .bind(r.room_id)
            .bind(customer)
            .bind(&r.name)
            .bind(&r.city)
            .bind(&r.location)
            .bind(r.floor)
            .bind(r.capacity)
            .bind(flag(r.needs_approval))
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
        if stored.is_none() {
            return Err(StoreError::Invalid(format!(
                "{entry}: roomId already belongs to another customer"
            )));
        }
        for (j, e) in r.equipment.iter().enumerate() {
            let stored: Option<i64> = sqlx::query_scalar(UPSERT_EQUIPMENT)
                .bind(e.equip_id)
                .bind(r.room_id)
                .bind(&e.name)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error)?;
            if stored.is_none() {
                return Err(StoreError::Invalid(format!(
                    "{entry}.equipment[{j}] ({}): equipId already belongs to another \
                     customer's room",
                    e.equip_id
                )));
            }
        }
    }
    for (i, b) in data.boxes.iter().enumerate() {
        let entry = format!("boxes[{i}] ({})", b.box_id);
        let customer = customer_named(conn, known, &b.customer_code, &entry).await?;
        if let Some(room) = b.room_id {
            let owner: Option<i64> = sqlx::query_scalar(ROOM_CUSTOMER)
                .bind(room)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error)?;
            if owner != Some(customer) {
                return Err(StoreError::Invalid(format!(
                    "{entry}: roomId {room} is not a room of {}",
                    b.customer_code
                )));
            }
        }
        let stored: Option<String> = sqlx::query_scalar(UPSERT_BOX)
            .bind(&b.box_id)
            .bind(customer)
            .bind(&b.name)
            .bind(b.room_id)
            .bind(&b.address)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
        if stored.is_none() {
            return Err(StoreError::Invalid(format!(
                "{entry}: boxId already belongs to another customer"
            )));
        }
    }
    for (i, n) in data.access_numbers.iter().enumerate() {
        let entry = format!("accessNumbers[{i}] ({})", n.access_id);
        let customer = match n.customer_code.as_deref() {
            None => None,
            Some(code) => Some(customer_named(conn, known, code, &entry).await?),
        };
        sqlx::query(UPSERT_NUMBER)
            .bind(&n.access_id)
            .bind(n.number.trim())
            .bind(&n.kind)
            .bind(&n.platform)
            .bind(customer)
            .bind(&n.display)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// A room with one piece of its equipment (none: NULLs).
#[derive(sqlx::FromRow)]
struct RoomEquipmentRow {
    room_id: i64,
    customer: i64,
    name: String,
    city: String,
    location: String,
    floor: i64,
    capacity: i64,
    needs_approval: i64,
    equip_id: Option<i64>,
    equip_name: Option<String>,
}
type BoxRow = (String, i64, String, Option<i64>, String);

/// `head` then, when `among` names ids, ` AND column IN (...)`, then `tail`.
fn among<T: for<'t> sqlx::Encode<'t, Db> + sqlx::Type<Db> + Clone>(
    head: &str,
    customer: CustomerKey,
    column: &str,
    ids: Option<&[T]>,
    tail: &str,
) -> QueryBuilder<Db> {
    let mut qb = QueryBuilder::new(head);
    qb.push_bind(customer);
    if let Some(ids) = ids {
        qb.push(format_args!(" AND {column} IN ("));
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(id.clone());
        }
        list.push_unseparated(")");
    }
    qb.push(tail);
    qb
}

impl SqlStore {
    pub(crate) async fn registry_rooms(&self, customer: CustomerKey) -> StoreResult<Vec<Room>> {
        self.rooms_where(customer, None).await
    }

    pub(crate) async fn registry_rooms_among(
        &self,
        customer: CustomerKey,
        ids: &[i64],
    ) -> StoreResult<Vec<Room>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.rooms_where(customer, Some(ids)).await
    }

    /// The rooms with their equipment, in one query (booking a room reads this).
    async fn rooms_where(
        &self,
        customer: CustomerKey,
        ids: Option<&[i64]>,
    ) -> StoreResult<Vec<Room>> {
        let rows: Vec<RoomEquipmentRow> = among(
            ROOMS,
            customer,
            "r.room_id",
            ids,
            " ORDER BY r.room_id, e.equip_id",
        )
        .build_query_as()
        .fetch_all(&self.reader)
        .await
        .map_err(db_error)?;
        let mut rooms: Vec<Room> = Vec::new();
        for r in rows {
            if rooms.last().is_none_or(|last| last.room_id != r.room_id) {
                rooms.push(Room {
                    room_id: r.room_id,
                    customer: r.customer,
                    name: r.name,
                    city: r.city,
                    location: r.location,
                    floor: r.floor,
                    capacity: r.capacity,
                    needs_approval: r.needs_approval != 0,
                    equipment: Vec::new(),
                });
            }
            if let (Some(equip_id), Some(name), Some(room)) =
                (r.equip_id, r.equip_name, rooms.last_mut())
            {
                room.equipment.push(Equipment { equip_id, name });
            }
        }
        Ok(rooms)
    }

    pub(crate) async fn registry_boxes(
        &self,
        customer: CustomerKey,
    ) -> StoreResult<Vec<MeetingBox>> {
        self.boxes_where(customer, None).await
    }

    pub(crate) async fn registry_boxes_among(
        &self,
        customer: CustomerKey,
        ids: &[String],
    ) -> StoreResult<Vec<MeetingBox>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.boxes_where(customer, Some(ids)).await
    }

    async fn boxes_where(
        &self,
        customer: CustomerKey,
        ids: Option<&[String]>,
    ) -> StoreResult<Vec<MeetingBox>> {
        let rows: Vec<BoxRow> = among(BOXES, customer, "box_id", ids, " ORDER BY box_id")
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(box_id, customer, name, room_id, address)| MeetingBox {
                box_id,
                customer,
                name,
                room_id,
                address,
            })
            .collect())
    }

    pub(crate) async fn registry_numbers(
        &self,
        customer: CustomerKey,
    ) -> StoreResult<Vec<DialInNumber>> {
        let rows: Vec<(String, String, String, String, Option<i64>, String)> =
            sqlx::query_as(NUMBERS)
                .bind(customer)
                .fetch_all(&self.reader)
                .await
                .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(
                |(access_id, number, kind, platform, customer, display)| DialInNumber {
                    access_id,
                    number,
                    kind,
                    platform,
                    customer,
                    display,
                },
            )
            .collect())
    }
}
