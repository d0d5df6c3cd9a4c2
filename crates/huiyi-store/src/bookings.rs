//! Bookings: single meetings and series, with the ids, passcodes and links allocated for them.

use crate::StoreResult;
use async_trait::async_trait;
use huiyi_domain::delivery::Notice;
use huiyi_domain::{Booking, ConferenceId, CustomerKey, EventId, NewBooking, UserId};

/// Who a passcode belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasscodeOwner {
    /// A dynamic passcode of one booking.
    Booking(EventId),
    /// A host's fixed personal passcode, shared by all their fixed-passcode bookings.
    Host(UserId),
}

/// A page of a customer's bookings, ordered by event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Unix seconds, inclusive: bookings that end after this.
    pub from: i64,
    /// Unix seconds, exclusive: bookings that start before this.
    pub to: i64,
}

#[async_trait]
pub trait BookingStore: Send + Sync + 'static {
    /// Stores a booking, allocating its conference id, event id, billing code, link codes and
    /// passcodes (the host's fixed pair, created on first use, or a fresh dynamic pair). Unique
    /// constraints guard every one of them; a collision is retried with new values.
    async fn create_booking(&self, new: &NewBooking) -> StoreResult<Booking>;
    /// Stores many bookings at once (bulk loads and benchmarks); same allocation rules.
    async fn create_bookings(&self, new: &[NewBooking]) -> StoreResult<u64>;
    async fn booking(
        &self,
        customer: CustomerKey,
        conference_id: &ConferenceId,
    ) -> StoreResult<Option<Booking>>;
    async fn booking_by_event(
        &self,
        customer: CustomerKey,
        event_id: EventId,
    ) -> StoreResult<Option<Booking>>;
    /// A booking of this customer by its billing code (`billingCode`).
    async fn booking_by_billing_code(
        &self,
        customer: CustomerKey,
        billing_code: &str,
    ) -> StoreResult<Option<Booking>>;
    /// A booking of any customer by conference id: the media side serves the whole deployment.
    async fn booking_anywhere(&self, conference_id: &ConferenceId) -> StoreResult<Option<Booking>>;
    async fn passcode_owner(
        &self,
        customer: CustomerKey,
        pcode: &str,
    ) -> StoreResult<Option<PasscodeOwner>>;
    /// Whom a passcode belongs to, in whichever customer holds it (passcodes are unique).
    async fn passcode_anywhere(
        &self,
        pcode: &str,
    ) -> StoreResult<Option<(CustomerKey, PasscodeOwner)>>;
    /// Writes the booking's mutable fields (title, times, zone, invitees, details) if its
    /// `version` is still the stored one, and returns it with the new version and `modified_at`.
    /// Ids, passcodes and links never change. `Conflict` if it changed meanwhile.
    async fn update_booking(&self, booking: &Booking, now: i64) -> StoreResult<Booking> {
        self.update_booking_telling(booking, now, &[]).await
    }
    /// As [`BookingStore::update_booking`], enqueueing the invitation letters `notices` in
    /// the same transaction.
    async fn update_booking_telling(
        &self,
        booking: &Booking,
        now: i64,
        notices: &[Notice],
    ) -> StoreResult<Booking>;
    /// Marks the booking cancelled if its `version` is still the stored one.
    async fn cancel_booking(&self, booking: &Booking, now: i64) -> StoreResult<Booking> {
        self.cancel_booking_telling(booking, now, &[]).await
    }
    /// As [`BookingStore::cancel_booking`], enqueueing `notices` in the same transaction.
    async fn cancel_booking_telling(
        &self,
        booking: &Booking,
        now: i64,
        notices: &[Notice],
    ) -> StoreResult<Booking>;
    /// A host's bookings (cancelled included) that overlap the window, ordered by start.
    async fn host_bookings(
        &self,
        customer: CustomerKey,
        host: UserId,
        window: Window,
    ) -> StoreResult<Vec<Booking>>;
    /// A customer's bookings (cancelled included) overlapping the window, ordered by event id,
    /// those after `after_event` only, at most `limit`.
    async fn customer_bookings(
        &self,
        customer: CustomerKey,
        window: Window,
        after_event: Option<EventId>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>>;
}
