//! "This meeting now": the one place every route, page, socket and worker asks which booking,
//! which occurrence and which session a request is about.

use super::hot::{Hit, HotMeeting, HotState};
use crate::error::{ApiError, ApiResult};
use huiyi_domain::{Booking, ConferenceId, Customer, CustomerKey, EventId, SessionIndex};
use huiyi_store::Store;
use huiyi_wire::requests::Target;
use std::sync::Arc;

/// A meeting as it stands: the booking seen through the occurrence meant now (a single meeting
/// as itself), and the latest session of each of its meetings.
#[derive(Debug, Clone)]
pub struct MeetingNow {
    pub view: Booking,
    pub sessions: SessionIndex,
    /// The booking itself is cancelled (a series: everything from then on), whichever
    /// occurrence the view shows.
    pub cancelled: bool,
}

impl MeetingNow {
    /// A stored booking with its sessions, seen as the meeting meant at `now`.
    fn at(raw: Booking, sessions: SessionIndex, advance_hours: i64, now: i64) -> Self {
        let cancelled = raw.is_cancelled();
        let view = raw.now_view(&sessions, advance_hours, now);
        Self {
            view,
            sessions,
            cancelled,
        }
    }
}

#[derive(Clone)]
pub struct Meetings {
    store: Arc<dyn Store>,
    hot: Arc<HotState>,
}

impl Meetings {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            hot: Arc::default(),
        }
    }

    /// The meeting changed (a fact was recorded, it was edited or cancelled): answers read it
    /// afresh. See `hot.rs` for the bound on other replicas.
    pub fn forget(&self, event_id: EventId) {
        self.hot.forget(event_id);
    }

    /// The latest session of every meeting of these bookings.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn index<'b>(
        &self,
        bookings: impl IntoIterator<Item = &'b Booking>,
    ) -> ApiResult<SessionIndex> {
        let mut ids: Vec<EventId> = bookings.into_iter().map(|b| b.event_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(SessionIndex::default());
        }
        Ok(SessionIndex::new(self.store.latest_sessions(&ids).await?))
    }

    /// A booking in hand (stored, or as a write returned it) as it stands now.
    pub async fn of(&self, raw: Booking, advance_hours: i64, now: i64) -> ApiResult<MeetingNow> {
        let sessions = self.index([&raw]).await?;
        Ok(MeetingNow::at(raw, sessions, advance_hours, now))
    }

    /// A view chosen by other means (a host passcode's next meeting) with its sessions; it
    /// moves to the occurrence whose session is open, when that is another one.
    pub async fn of_view(&self, view: Booking) -> ApiResult<MeetingNow> {
        let sessions = self.index([&view]).await?;
        let cancelled = view.is_cancelled();
        let view = view.following(&sessions);
        Ok(MeetingNow {
            view,
            sessions,
            cancelled,
        })
    }

    /// This customer's booking as stored: `50709` when there is none, or it is another
    /// customer's (which looks exactly the same).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn booking(&self, customer: CustomerKey, target: &Target) -> ApiResult<Booking> {
        let found = match target {
            Target::Conference(id) => match ConferenceId::parse(id) {
                Ok(cid) => self.store.booking(customer, &cid).await?,
                Err(_) => None,
            },
            Target::Event(e) => self.store.booking_by_event(customer, *e).await?,
        };
        found.ok_or_else(|| ApiError::conference_not_found(target))
    }

    /// This customer's meeting named by `target`, now. By conference id (what room panels poll
    /// getConfStatus with) the booking and its sessions come in one round trip.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find(
        &self,
        customer: &Customer,
        target: &Target,
        now: i64,
    ) -> ApiResult<MeetingNow> {
        let Target::Conference(id) = target else {
            let raw = self.booking(customer.key, target).await?;
            return self.of(raw, customer.advance_hours, now).await;
        };
        let missing = || ApiError::conference_not_found(target);
        let hot = match self.hot.get(customer.key, id) {
            Hit::Meeting(m) => m,
            Hit::OtherCustomer => return Err(missing()),
            Hit::Miss => {
                let cid = ConferenceId::parse(id).map_err(|_| missing())?;
                let epoch = self.hot.epoch();
                let (booking, sessions) = self
                    .store
                    .booking_with_sessions(customer.key, &cid)
                    .await?
                    .ok_or_else(missing)?;
                self.hot.keep(epoch, HotMeeting { booking, sessions })
            }
        };
        let sessions = SessionIndex::new(hot.sessions.iter().cloned());
        Ok(MeetingNow::at(
            hot.booking.clone(),
            sessions,
            customer.advance_hours,
            now,
        ))
    }

    /// Any customer's meeting by its number, with its customer: pages and the media side serve
    /// the whole deployment. `None` when there is no such meeting.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn anywhere(
        &self,
        conference_id: &ConferenceId,
        now: i64,
    ) -> ApiResult<Option<(MeetingNow, Customer)>> {
        let Some(raw) = self.store.booking_anywhere(conference_id).await? else {
            return Ok(None);
        };
        let customer = self.customer(raw.customer).await?;
        let meeting = self.of(raw, customer.advance_hours, now).await?;
        Ok(Some((meeting, customer)))
    }

    /// A booking's customer; its absence is a broken database, not a client's mistake.
    pub async fn customer(&self, key: CustomerKey) -> ApiResult<Customer> {
        self.store.customer_by_key(key).await?.ok_or_else(|| {
            tracing::error!(customer = key, "a booking's customer is missing");
            ApiError::new(
                huiyi_wire::Code::Internal,
                "the meeting's customer is missing",
            )
        })
    }
}
