//! Hot meeting state: what getConfStatus (polled by every room panel) needs of a meeting, kept
//! in memory for a moment so a poll costs no database round trip.
//!
//! The bound, on every replica: an answer is at most [`HOT_TTL`] plus one database read behind
//! the database (under 1 s). Within that, changes reach the cache sooner:
//! - a fact recorded by any replica (joins, leaves, locks, ends, grace closes) drops the
//!   meeting's entry when the live hub delivers it, here at once and on the other replicas as
//!   soon as the PostgreSQL fan-out arrives;
//! - an edit or cancel drops it on the replica that made it, at once; other replicas see it
//!   when the entry expires.
//!
//! A read that raced a change never stores what it read: every drop moves an epoch, and a read
//! keeps its result only if the epoch did not move while it was reading.

use huiyi_domain::{Booking, CustomerKey, EventId, SessionState};
use mini_moka::sync::Cache;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long an entry is trusted without a change having dropped it.
pub const HOT_TTL: Duration = Duration::from_millis(800);
/// Meetings kept at once; the least used go first.
const CAPACITY: u64 = 10_000;

/// A booking as stored with the latest session of each of its meetings.
#[derive(Debug)]
pub struct HotMeeting {
    pub booking: Booking,
    pub sessions: Vec<SessionState>,
}

pub struct HotState {
    /// conferenceId → (customer, eventId): never changes once a booking exists.
    ids: Cache<String, (CustomerKey, EventId)>,
    meetings: Cache<EventId, Arc<HotMeeting>>,
    epoch: Arc<AtomicU64>,
}

impl Default for HotState {
    fn default() -> Self {
        Self {
            ids: Cache::builder().max_capacity(CAPACITY).build(),
            meetings: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(HOT_TTL)
                .build(),
            epoch: Arc::default(),
        }
    }
}

/// What the cache knows of a conference id.
pub enum Hit {
    /// Held, fresh.
    Meeting(Arc<HotMeeting>),
    /// Another customer's meeting: to this one it does not exist.
    OtherCustomer,
    Miss,
}

impl HotState {
    pub fn get(&self, customer: CustomerKey, conference_id: &str) -> Hit {
        let Some((owner, event_id)) = self.ids.get(&conference_id.to_owned()) else {
            return Hit::Miss;
        };
        if owner != customer {
            return Hit::OtherCustomer;
        }
        match self.meetings.get(&event_id) {
            Some(m) => Hit::Meeting(m),
            None => Hit::Miss,
        }
    }

    /// Taken before a read; [`HotState::keep`] stores the read only if nothing changed since.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn keep(&self, read_at_epoch: u64, meeting: HotMeeting) -> Arc<HotMeeting> {
        let b = &meeting.booking;
        self.ids.insert(
            b.conference_id.as_str().to_owned(),
            (b.customer, b.event_id),
        );
        let event_id = b.event_id;
        let meeting = Arc::new(meeting);
        if self.epoch() == read_at_epoch {
            self.meetings.insert(event_id, meeting.clone());
        }
        meeting
    }

    /// The meeting changed: the next read goes to the database.
    pub fn forget(&self, event_id: EventId) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.meetings.invalidate(&event_id);
    }
}
