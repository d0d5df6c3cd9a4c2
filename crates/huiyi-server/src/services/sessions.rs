//! Sessions: recording what happens in meetings (media events and the join page), and
//! reading the latest session of the meetings an answer speaks of.

use super::bookings::Bookings;
use super::live::LiveHub;
use super::meetings::Meetings;
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use huiyi_domain::session::{SessionFold, Tally};
use huiyi_domain::{
    Booking, ConferenceId, Customer, CustomerKey, EventId, Fact, Meeting, SessionState,
};
use huiyi_store::{FactBatch, NewFact, PasscodeOwner, Store};
use huiyi_wire::Code;
use huiyi_wire::media::{MediaAnswer, MediaEvent, MediaSessionAnswer, MeetingRef};
use std::collections::HashMap;
use std::sync::Arc;

/// A fact may be stamped at most this far ahead of the server clock (ms).
const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;

#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn Store>,
    bookings: Bookings,
    meetings: Meetings,
    hub: LiveHub,
    clock: Clock,
}

/// The booking an event names, resolved.
struct Resolved {
    booking: Booking,
    customer: Customer,
}

/// The meeting (booking or occurrence) an event is about.
#[derive(Clone, Copy)]
struct Target {
    customer: CustomerKey,
    event_id: EventId,
    occurrence: i64,
    meeting: Meeting,
}

/// One meeting of a batch: what the answer reports about it.
struct Touched {
    conference_id: String,
    series: bool,
    meeting: Meeting,
}

impl Sessions {
    pub fn new(
        store: Arc<dyn Store>,
        bookings: Bookings,
        meetings: Meetings,
        hub: LiveHub,
        clock: Clock,
    ) -> Self {
        Self {
            store,
            bookings,
            meetings,
            hub,
            clock,
        }
    }

    pub fn hub(&self) -> &LiveHub {
        &self.hub
    }

    /// Stores facts and, once durable, tells live pages.
    #[tracing::instrument(level = "debug", skip_all, fields(facts = batch.facts.len()))]
    async fn record(&self, batch: FactBatch) -> ApiResult<huiyi_store::FactOutcome> {
        let outcome = self.store.record_facts(batch).await?;
        self.hub.publish(&outcome.recorded).await;
        Ok(outcome)
    }

    /// Records what happened on a browser page, through the same path as media events.
    pub async fn record_page(
        &self,
        view: &Booking,
        advance_hours: i64,
        facts: Vec<Fact>,
    ) -> ApiResult<huiyi_store::FactOutcome> {
        let now_ms = self.clock.now_ms();
        let meeting = view.meeting(advance_hours);
        let facts = facts
            .into_iter()
            .enumerate()
            .map(|(i, fact)| NewFact {
                event_uid: format!("page-{}", uuid::Uuid::new_v4().simple()),
                customer: view.customer,
                event_id: view.event_id,
                occurrence: view.occurrence_key(),
                meeting,
                // Strictly ordered within one call: an admit's join follows its admission.
                at_ms: now_ms + i as i64,
                fact,
            })
            .collect();
        self.record(FactBatch { now_ms, facts }).await
    }

    /// Records one fact the server itself learnt (a recording it put together), under an id
    /// that makes repeating it harmless.
    pub async fn record_one(
        &self,
        view: &Booking,
        occurrence: i64,
        event_uid: String,
        at_ms: i64,
        fact: Fact,
    ) -> ApiResult<huiyi_store::FactOutcome> {
        let now_ms = self.clock.now_ms();
        let fact = NewFact {
            event_uid,
            customer: view.customer,
            event_id: view.event_id,
            occurrence,
            // Not asked: a recording goes into the latest session, and never opens one.
            meeting: view.meeting(0),
            at_ms,
            fact,
        };
        self.record(FactBatch {
            now_ms,
            facts: vec![fact],
        })
        .await
    }

    /// The meeting's latest session and its facts folded: what a live page shows of it, and
    /// the fold that keeps the page current as more facts come.
    pub async fn live_state(
        &self,
        view: &Booking,
    ) -> ApiResult<(Option<SessionState>, SessionFold)> {
        let index = self.meetings.index([view]).await?;
        let Some(session) = index.latest(view).cloned() else {
            return Ok((None, SessionFold::new(Tally::opened(self.clock.now_ms()))));
        };
        let facts = self.store.session_facts(session.id).await?;
        let fold =
            SessionFold::from_facts(session.opened_ms, facts.iter().map(|f| (f.at_ms, &f.fact)));
        Ok((Some(session), fold))
    }

    /// Records a batch of media events, all or nothing.
    #[tracing::instrument(level = "debug", skip_all, fields(events = events.len()))]
    pub async fn ingest(&self, events: Vec<MediaEvent>, now_ms: i64) -> ApiResult<MediaAnswer> {
        let now = now_ms.div_euclid(1000);
        // A batch names few meetings many times: each is resolved (booking, customer,
        // occurrence) once.
        let mut resolved: HashMap<String, Resolved> = HashMap::new();
        let mut targets: HashMap<(String, Option<i64>), Target> = HashMap::new();
        let mut touched: HashMap<(EventId, i64), Touched> = HashMap::new();
        let mut facts = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            let place = format!("events[{i}]");
            let at_ms = e.at_ms.unwrap_or(now_ms);
            if at_ms > now_ms + MAX_FUTURE_MS {
                return Err(ApiError::invalid(format!(
                    "{place}.at is more than 5 minutes ahead of the server clock; send when it \
                     happened, in unix milliseconds"
                )));
            }
            let key = match &e.meeting {
                MeetingRef::Conference(c) => format!("c{c}"),
                MeetingRef::Passcode(p) => format!("p{p}"),
            };
            let target_key = (key, e.occurrence_start);
            let target = match targets.get(&target_key) {
                Some(t) => *t,
                None => {
                    if !resolved.contains_key(&target_key.0) {
                        let r = self.resolve(&e.meeting, &place).await?;
                        resolved.insert(target_key.0.clone(), r);
                    }
                    let r = &resolved[&target_key.0];
                    let view = self.meeting_of(r, e.occurrence_start, &place, now).await?;
                    let t = Target {
                        customer: view.customer,
                        event_id: view.event_id,
                        occurrence: view.occurrence_key(),
                        meeting: view.meeting(r.customer.advance_hours),
                    };
                    touched
                        .entry((t.event_id, t.occurrence))
                        .or_insert_with(|| Touched {
                            conference_id: view.conference_id.as_str().to_owned(),
                            series: view.is_series(),
                            meeting: t.meeting,
                        });
                    targets.insert(target_key, t);
                    t
                }
            };
            facts.push(NewFact {
                event_uid: e.event_id,
                customer: target.customer,
                event_id: target.event_id,
                occurrence: target.occurrence,
                meeting: target.meeting,
                at_ms,
                fact: e.fact,
            });
        }
        let outcome = self.record(FactBatch { now_ms, facts }).await?;
        let sessions = outcome
            .sessions
            .iter()
            .filter_map(|s| {
                let t = touched.get(&(s.event_id, s.occurrence))?;
                Some(MediaSessionAnswer {
                    conference_id: t.conference_id.clone(),
                    occurrence_start: t.series.then_some(s.occurrence),
                    temp_conference_id: s.temp_conference_id.as_str().to_owned(),
                    status: t.meeting.status(Some(s), now).code(),
                    attendees: s.attendees,
                })
            })
            .collect();
        tracing::debug!(
            accepted = outcome.accepted,
            duplicates = outcome.duplicates,
            "media events recorded"
        );
        Ok(MediaAnswer {
            accepted: outcome.accepted as i64,
            duplicates: outcome.duplicates as i64,
            sessions,
        })
    }

    async fn resolve(&self, meeting: &MeetingRef, place: &str) -> ApiResult<Resolved> {
        let missing = |what: &str| {
            ApiError::new(
                Code::ConferenceNotFound,
                format!("{place}: {what} does not exist; check the conferenceId or pcode"),
            )
        };
        let booking = match meeting {
            MeetingRef::Conference(c) => {
                let cid =
                    ConferenceId::parse(c).map_err(|_| missing(&format!("conference {c}")))?;
                self.store
                    .booking_anywhere(&cid)
                    .await?
                    .ok_or_else(|| missing(&format!("conference {c}")))?
            }
            MeetingRef::Passcode(p) => {
                let what = format!("a meeting with pcode {p}");
                let (customer, owner) = self
                    .store
                    .passcode_anywhere(p)
                    .await?
                    .ok_or_else(|| missing(&what))?;
                let customer = self.customer(customer, place).await?;
                let now = self.clock.now();
                match owner {
                    PasscodeOwner::Booking(e) => self
                        .store
                        .booking_by_event(customer.key, e)
                        .await?
                        .ok_or_else(|| missing(&what))?,
                    // A host's fixed pair opens the host's current or next meeting.
                    PasscodeOwner::Host(_) => {
                        let (found, _) = self
                            .bookings
                            .find_by_pcode(&customer, p, now)
                            .await
                            .map_err(|_| missing(&what))?;
                        let view = found.view;
                        self.store
                            .booking_by_event(customer.key, view.event_id)
                            .await?
                            .ok_or_else(|| missing(&what))?
                    }
                }
            }
        };
        let customer = self.customer(booking.customer, place).await?;
        Ok(Resolved { booking, customer })
    }

    async fn customer(&self, key: CustomerKey, place: &str) -> ApiResult<Customer> {
        self.meetings
            .customer(key)
            .await
            .map_err(|e| ApiError::new(e.code, format!("{place}: {}", e.message)))
    }

    /// The booking or occurrence an event is about: a series names its occurrence by
    /// `occurrenceStart`, or means the one whose session is open, or else the current or next.
    async fn meeting_of(
        &self,
        r: &Resolved,
        occurrence_start: Option<i64>,
        place: &str,
        now: i64,
    ) -> ApiResult<Booking> {
        let b = &r.booking;
        if !b.is_series() {
            return Ok(b.clone());
        }
        match occurrence_start {
            Some(start) => b
                .occurrences()
                .into_iter()
                .find(|o| o.ori_start == start || o.start == start)
                .map(|o| b.as_occurrence(&o))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "{place}.occurrenceStart {start} names no occurrence of conference {}; \
                         give an occurrence's start in unix seconds",
                        b.conference_id
                    ))
                }),
            None => Ok(self
                .meetings
                .of(b.clone(), r.customer.advance_hours, now)
                .await?
                .view),
        }
    }
}
