//! Bookings in SQL: reading, listing, editing and cancelling them, and (in [`write`]) storing
//! new ones with the ids allocated for them.

mod alloc;
mod batch;
mod rows;
mod write;

use crate::areas::delivery::enqueue;
use crate::backend::{CAPABILITIES, Db};
use crate::capabilities::Writers;
use crate::store::SqlStore;
use crate::support::{MAX_LENGTH_SECS, TxError, check_length, db_error, json};
use async_trait::async_trait;
use huiyi_domain::delivery::{EventType, Notice};
use huiyi_domain::{Booking, ConferenceId, CustomerKey, EventId, NewBooking, UserId};
use huiyi_store::{BookingStore, PasscodeOwner, StoreError, StoreResult, Window};
pub use rows::BookingRow;
use rows::PasscodeOwnerRow;

/// The columns of [`BookingRow`], for the other areas' statements that read bookings too.
macro_rules! booking_columns {
    () => {
        "event_id, conference_id, billing_code, customer, host_user_id, title, start_at, end_at, \
         length_minutes, timezone, password_type, pcode1, pcode2, host_link, attendee_link, \
         wcall_link, invitees, details, cancelled_at, created_at, modified_at, version, series"
    };
}
pub(crate) use booking_columns;

/// Bookings per transaction in a bulk load: large enough that the fsync of each commit is
/// amortised, small enough that a retried collision repeats little work.
const BOOKINGS_PER_TRANSACTION: usize = 20_000;

const BOOKING_BY_CONFERENCE: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE conference_id = $1 AND customer = $2"
);
const BOOKING_BY_EVENT: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE event_id = $1 AND customer = $2"
);
const BOOKING_BY_BILLING_CODE: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE billing_code = $1 AND customer = $2"
);

// A listing unites two kinds of booking. Single meetings are found by a range scan on their
// start, which the longest meeting bounds (`$3`/`$2` below: the window's start less that length).
// A series may have begun months before the window, so series are found through their own
// partial indexes by where their last occurrence ends. The branches are disjoint (`series IS
// NULL` / `IS NOT NULL`), so UNION ALL lists each booking once and paging by event id is exact.
// The unary `+` keeps a column out of index selection. Without `ANALYZE` statistics SQLite would
// otherwise serve the series branch from the index on start or on event id, which spares it a
// sort but reads every booking the host or customer ever had; PostgreSQL plans it well either way.

/// `$3` is the window's start less the longest meeting; `$4` and `$5` are its end and start.
const HOST_BOOKINGS: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE customer = $1 AND host_user_id = $2 AND series IS NULL \
     AND start_at >= $3 AND start_at < $4 AND end_at > $5 \
     UNION ALL SELECT ",
    booking_columns!(),
    " FROM bookings WHERE customer = $1 AND host_user_id = $2 AND series IS NOT NULL \
     AND span_end > $5 AND +span_start < $4 \
     ORDER BY start_at, event_id"
);
/// `$2` is the window's start less the longest meeting; `$3` and `$4` are its end and start.
const CUSTOMER_BOOKINGS: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE customer = $1 AND series IS NULL \
     AND start_at >= $2 AND start_at < $3 AND end_at > $4 AND event_id > $5 \
     UNION ALL SELECT ",
    booking_columns!(),
    " FROM bookings WHERE customer = $1 AND series IS NOT NULL \
     AND span_end > $4 AND +span_start < $3 AND +event_id > $5 \
     ORDER BY event_id LIMIT $6"
);

/// The media side serves every customer: these two look across them (both keys are unique).
const BOOKING_ANYWHERE: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE conference_id = $1"
);
const PASSCODE_ANYWHERE: &str =
    "SELECT customer, owner_event, owner_user FROM passcodes WHERE code = $1";

const PASSCODE_OWNER: &str =
    "SELECT owner_event, owner_user FROM passcodes WHERE code = $1 AND customer = $2";

/// An edit may turn a single meeting into a series or change its rule, so both are written.
const UPDATE_BOOKING: &str = concat!(
    "UPDATE bookings SET title = $1, start_at = $2, end_at = $3, length_minutes = $4, \
     timezone = $5, invitees = $6, details = $7, series = $8, span_end = $9, span_start = $10, \
     modified_at = $11, version = version + 1 \
     WHERE event_id = $12 AND customer = $13 AND version = $14 RETURNING ",
    booking_columns!()
);
/// Keeps the first cancellation time if a cancelled booking is cancelled again.
const CANCEL_BOOKING: &str = concat!(
    "UPDATE bookings SET cancelled_at = COALESCE(cancelled_at, $1), modified_at = $1, \
     version = version + 1 \
     WHERE event_id = $2 AND customer = $3 AND version = $4 RETURNING ",
    booking_columns!()
);

/// After an update matched no row: tell a missing booking from a changed one.
async fn why_unchanged(store: &SqlStore, b: &Booking) -> StoreError {
    match store.booking_by_event(b.customer, b.event_id).await {
        Ok(None) => StoreError::NotFound,
        Ok(Some(_)) => StoreError::Conflict,
        Err(e) => e,
    }
}

/// An update or cancel whose last parameters are the booking's event id, customer and the
/// version it was read at (optimistic concurrency).
type GuardedWrite<'q> = sqlx::query::QueryAs<'q, Db, BookingRow, <Db as sqlx::Database>::Arguments>;

impl SqlStore {
    /// Runs `q` guarded by `b`'s version and enqueues `kind` for the change, in one
    /// transaction: the changed booking, or why nothing changed.
    async fn write_guarded(
        &self,
        q: GuardedWrite<'_>,
        b: &Booking,
        kind: EventType,
        notices: &[Notice],
    ) -> StoreResult<Booking> {
        let mut tx = self.begin_write().await.map_err(db_error)?;
        let row = q
            .bind(b.event_id)
            .bind(b.customer)
            .bind(b.version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let Some(row) = row else {
            tx.rollback().await.map_err(db_error)?;
            return Err(why_unchanged(self, b).await);
        };
        let changed = Booking::try_from(row)?;
        crate::areas::rooms::keep_holds(&mut tx, &changed, false)
            .await
            .map_err(TxError::into_store)?;
        enqueue::bookings_changed(&mut tx, kind, std::slice::from_ref(&changed))
            .await
            .map_err(TxError::into_store)?;
        enqueue::notices(&mut tx, &changed, notices)
            .await
            .map_err(TxError::into_store)?;
        tx.commit().await.map_err(db_error)?;
        Ok(changed)
    }
}

#[async_trait]
impl BookingStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, fields(customer = new.customer, host = new.host.get()))]
    async fn create_booking(&self, new: &NewBooking) -> StoreResult<Booking> {
        check_length(new.length_minutes)?;
        match CAPABILITIES.writers {
            Writers::Single => {
                let store = self.clone();
                self.bookings
                    .submit(new.clone(), move |news| {
                        let store = store.clone();
                        async move { write::store_together(&store, news).await }
                    })
                    .await
            }
            Writers::Concurrent => write::store_one(self, new).await,
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(count = new.len()))]
    async fn create_bookings(&self, new: &[NewBooking]) -> StoreResult<u64> {
        for n in new {
            check_length(n.length_minutes)?;
        }
        let mut stored = 0;
        for chunk in new.chunks(BOOKINGS_PER_TRANSACTION) {
            write::write_batch(self, chunk).await?;
            stored += chunk.len() as u64;
        }
        Ok(stored)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn booking(
        &self,
        customer: CustomerKey,
        conference_id: &ConferenceId,
    ) -> StoreResult<Option<Booking>> {
        let row: Option<BookingRow> = sqlx::query_as(BOOKING_BY_CONFERENCE)
            .bind(conference_id.as_str())
            .bind(customer)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(Booking::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn booking_by_event(
        &self,
        customer: CustomerKey,
        event_id: EventId,
    ) -> StoreResult<Option<Booking>> {
        let row: Option<BookingRow> = sqlx::query_as(BOOKING_BY_EVENT)
            .bind(event_id)
            .bind(customer)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(Booking::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn booking_by_billing_code(
        &self,
        customer: CustomerKey,
        billing_code: &str,
    ) -> StoreResult<Option<Booking>> {
        let row: Option<BookingRow> = sqlx::query_as(BOOKING_BY_BILLING_CODE)
            .bind(billing_code)
            .bind(customer)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(Booking::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn booking_anywhere(&self, conference_id: &ConferenceId) -> StoreResult<Option<Booking>> {
        let row: Option<BookingRow> = sqlx::query_as(BOOKING_ANYWHERE)
            .bind(conference_id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(Booking::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip(self, pcode))]
    async fn passcode_owner(
        &self,
        customer: CustomerKey,
        pcode: &str,
    ) -> StoreResult<Option<PasscodeOwner>> {
        let row: Option<PasscodeOwnerRow> = sqlx::query_as(PASSCODE_OWNER)
            .bind(pcode)
            .bind(customer)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(PasscodeOwner::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn passcode_anywhere(
        &self,
        pcode: &str,
    ) -> StoreResult<Option<(CustomerKey, PasscodeOwner)>> {
        let found: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(PASSCODE_ANYWHERE)
            .bind(pcode)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        match found {
            None => Ok(None),
            Some((customer, owner_event, owner_user)) => {
                let owner = PasscodeOwner::try_from(PasscodeOwnerRow {
                    owner_event,
                    owner_user,
                })?;
                Ok(Some((customer, owner)))
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(customer = b.customer, event_id = b.event_id))]
    async fn update_booking_telling(
        &self,
        b: &Booking,
        now: i64,
        notices: &[Notice],
    ) -> StoreResult<Booking> {
        check_length(b.length_minutes)?;
        if b.occurrence_of.is_some() {
            // Its start, length and title are one occurrence's: writing them would move the
            // whole series.
            return Err(StoreError::Invalid(
                "a view of one occurrence cannot be stored; edit the series".into(),
            ));
        }
        let series = b.series.as_ref().map(json).transpose()?;
        let (span_start, span_end) = b.span();
        let q = sqlx::query_as(UPDATE_BOOKING)
            .bind(b.title.as_str())
            .bind(b.start)
            .bind(b.end())
            .bind(b.length_minutes)
            .bind(b.zone.name())
            .bind(json(&b.invitees)?)
            .bind(json(&b.details)?)
            .bind(series)
            .bind(span_end)
            .bind(span_start)
            .bind(now);
        self.write_guarded(q, b, EventType::MeetingUpdated, notices)
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(customer = b.customer, event_id = b.event_id))]
    async fn cancel_booking_telling(
        &self,
        b: &Booking,
        now: i64,
        notices: &[Notice],
    ) -> StoreResult<Booking> {
        let q = sqlx::query_as(CANCEL_BOOKING).bind(now);
        self.write_guarded(q, b, EventType::MeetingCancelled, notices)
            .await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn host_bookings(
        &self,
        customer: CustomerKey,
        host: UserId,
        window: Window,
    ) -> StoreResult<Vec<Booking>> {
        let rows: Vec<BookingRow> = sqlx::query_as(HOST_BOOKINGS)
            .bind(customer)
            .bind(host.get())
            .bind(window.from.saturating_sub(MAX_LENGTH_SECS))
            .bind(window.to)
            .bind(window.from)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows::bookings(rows)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn customer_bookings(
        &self,
        customer: CustomerKey,
        window: Window,
        after_event: Option<EventId>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>> {
        let rows: Vec<BookingRow> = sqlx::query_as(CUSTOMER_BOOKINGS)
            .bind(customer)
            .bind(window.from.saturating_sub(MAX_LENGTH_SECS))
            .bind(window.to)
            .bind(window.from)
            // Event ids start at 1, so 0 means "from the first".
            .bind(after_event.unwrap_or(0))
            .bind(limit.max(0))
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows::bookings(rows)
    }
}
