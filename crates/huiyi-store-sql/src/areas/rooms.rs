//! Rooms in use, in SQL: the holds a booking's write keeps in step with the booking (inside its
//! transaction), the registry lookups a booking checks its rooms and boxes against, and the keys
//! of room panels.
//!
//! No double booking: a new hold is inserted only if no other booking's hold of the room
//! overlaps it, and a refusal names the other meeting. On SQLite the single writer makes that
//! check final. On PostgreSQL an exclusion constraint (migration 0008) refuses whatever a race
//! let through; that error is a retry, and the retried check then finds the other booking.

use super::Conn;
use super::bookings::{BookingRow, booking_columns};
use crate::store::SqlStore;
use crate::support::{TxError, db_error};
use async_trait::async_trait;
use huiyi_domain::rooms::{self, MeetingBox, Room, RoomHold};
use huiyi_domain::{Booking, CustomerKey};
use huiyi_store::{HeldBy, RoomStore, StoreError, StoreResult};
use sqlx::QueryBuilder;

const DELETE_HOLDS: &str = "DELETE FROM room_holds WHERE event_id = $1";
/// The other holds of a room that may overlap `[$2, $3)`: the range scan on the start is
/// bounded by the longest meeting, so the index serves it.
const OVERLAPPING: &str = "SELECT h.start_at, h.end_at, b.conference_id FROM room_holds h \
     JOIN bookings b ON b.event_id = h.event_id \
     WHERE h.room_id = $1 AND h.start_at < $3 AND h.start_at >= $4 AND h.end_at > $2 \
     AND h.event_id <> $5 ORDER BY h.start_at LIMIT 1";
/// A hold, inserted only when no other booking's hold of the room overlaps it.
const INSERT_IF_FREE: &str = "INSERT INTO room_holds (room_id, event_id, occurrence, start_at, \
     end_at) SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM room_holds \
     WHERE room_id = $1 AND start_at < $5 AND start_at >= $6 AND end_at > $4 AND event_id <> $2)";

const ROOM_HOLDS: &str = "SELECT event_id, occurrence, start_at, end_at FROM room_holds \
     WHERE room_id = $1 AND start_at < $3 AND start_at >= $4 AND end_at > $2 \
     ORDER BY start_at, event_id";
const BOOKINGS_AMONG: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE event_id IN ("
);
const SET_PANEL_KEY: &str = "UPDATE rooms SET panel_key_hash = $1 WHERE room_id = $2";
const PANEL_ROOM: &str = "SELECT customer, panel_key_hash FROM rooms WHERE room_id = $1";

/// Makes the room holds of `b` what its rooms and meetings now need: called by every write of
/// a booking, in its transaction. A hold that overlaps another booking's refuses the write.
///
/// Each hold is one statement that inserts it only if the room is free then; only when it is
/// not does a second read find the other booking, to name it.
pub async fn keep_holds(conn: &mut Conn, b: &Booking, fresh: bool) -> Result<(), TxError> {
    if !fresh {
        sqlx::query(DELETE_HOLDS)
            .bind(b.event_id)
            .execute(&mut *conn)
            .await?;
    }
    for h in rooms::holds(b) {
        let inserted = sqlx::query(INSERT_IF_FREE)
            .bind(h.room_id)
            .bind(b.event_id)
            .bind(h.occurrence)
            .bind(h.start)
            .bind(h.end)
            .bind(h.start - crate::support::MAX_LENGTH_SECS)
            .execute(&mut *conn)
            .await
            .map_err(|e| match &e {
                // PostgreSQL's exclusion constraint: a booking committed since the check.
                // Retrying finds it in the check and names it.
                sqlx::Error::Database(d) if d.code().as_deref() == Some("23P01") => {
                    TxError::Collision
                }
                _ => TxError::from(e),
            })?;
        if inserted.rows_affected() == 0 {
            return Err(taken(conn, b, &h).await);
        }
    }
    Ok(())
}

/// Why a hold was not inserted: the other booking's hold of the room.
async fn taken(conn: &mut Conn, b: &Booking, h: &RoomHold) -> TxError {
    let found: Result<Option<(i64, i64, String)>, sqlx::Error> = sqlx::query_as(OVERLAPPING)
        .bind(h.room_id)
        .bind(h.start)
        .bind(h.end)
        .bind(h.start - crate::support::MAX_LENGTH_SECS)
        .bind(b.event_id)
        .fetch_optional(&mut *conn)
        .await;
    match found {
        Ok(Some((start, end, conference_id))) => TxError::Store(StoreError::RoomTaken {
            room_id: h.room_id,
            conference_id,
            start,
            end,
        }),
        // Not inserted, yet nothing overlaps: the other hold went away meanwhile; try again.
        Ok(None) => TxError::Collision,
        Err(e) => TxError::from(e),
    }
}

#[async_trait]
impl RoomStore for SqlStore {
    #[tracing::instrument(level = "debug", skip(self))]
    async fn rooms_by_id(&self, customer: CustomerKey, ids: &[i64]) -> StoreResult<Vec<Room>> {
        self.registry_rooms_among(customer, ids).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn boxes_by_id(
        &self,
        customer: CustomerKey,
        ids: &[String],
    ) -> StoreResult<Vec<MeetingBox>> {
        self.registry_boxes_among(customer, ids).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn room_holds(&self, room_id: i64, from: i64, to: i64) -> StoreResult<Vec<HeldBy>> {
        let holds: Vec<(i64, i64, i64, i64)> = sqlx::query_as(ROOM_HOLDS)
            .bind(room_id)
            .bind(from)
            .bind(to)
            .bind(from - crate::support::MAX_LENGTH_SECS)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        if holds.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::new(BOOKINGS_AMONG);
        let mut list = qb.separated(", ");
        for (event_id, ..) in &holds {
            list.push_bind(*event_id);
        }
        list.push_unseparated(")");
        let rows: Vec<BookingRow> = qb
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        let mut bookings = std::collections::HashMap::new();
        for row in rows {
            let b = Booking::try_from(row)?;
            bookings.insert(b.event_id, b);
        }
        Ok(holds
            .into_iter()
            .filter_map(|(event_id, occurrence, start, end)| {
                Some(HeldBy {
                    hold: RoomHold {
                        room_id,
                        occurrence,
                        start,
                        end,
                    },
                    booking: bookings.get(&event_id)?.clone(),
                })
            })
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(room_id))]
    async fn set_panel_key(&self, room_id: i64, key_hash: &str) -> StoreResult<()> {
        let done = sqlx::query(SET_PANEL_KEY)
            .bind(key_hash)
            .bind(room_id)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn panel_room(&self, room_id: i64) -> StoreResult<Option<(Room, Option<String>)>> {
        let row: Option<(i64, Option<String>)> = sqlx::query_as(PANEL_ROOM)
            .bind(room_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        let Some((customer, key)) = row else {
            return Ok(None);
        };
        let room = self.registry_rooms_among(customer, &[room_id]).await?.pop();
        Ok(room.map(|r| (r, key)))
    }
}
