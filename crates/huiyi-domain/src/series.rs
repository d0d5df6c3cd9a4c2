//! Recurring bookings: a rule plus the history and the one-off changes of its occurrences.
//!
//! A series is one booking (one conferenceId, eventId and pair of passcodes) whose occurrences
//! are computed from its rule when needed, never stored one by one. What cannot be computed is
//! kept beside the rule: occurrences changed or cancelled one at a time (`exceptions`, keyed by
//! the start the rule gave them) and, after an edit of the whole series, the occurrences that had
//! already begun (`history`), which keep the times they were held at.

use crate::booking::Booking;
use crate::recurrence::Rule;
use crate::session::SessionIndex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A change to one occurrence, named by the start the rule gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Exception {
    pub cancelled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// An occurrence as it was held, frozen when the series was edited after it began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldOccurrence {
    pub ori_start: i64,
    pub start: i64,
    pub length_minutes: i64,
    pub title: String,
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub rule: Rule,
    /// The rule yields only occurrences starting at or after this instant; earlier ones are in
    /// `history`. The booking's own start until the series is first edited as a whole.
    pub rule_from: i64,
    #[serde(default)]
    pub history: Vec<HeldOccurrence>,
    #[serde(default)]
    pub exceptions: BTreeMap<i64, Exception>,
}

/// One meeting of a booking: the booking itself when single, or one occurrence of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The start the rule gave it (the booking's start for a single meeting): its name.
    pub ori_start: i64,
    pub start: i64,
    pub length_minutes: i64,
    pub title: String,
    pub cancelled: bool,
}

impl Occurrence {
    pub fn end(&self) -> i64 {
        self.start + self.length_minutes * 60
    }

    pub fn overlaps(&self, from: i64, to: i64) -> bool {
        self.start < to && self.end() > from
    }
}

impl Series {
    pub fn new(rule: Rule, start: i64) -> Self {
        Self {
            rule,
            rule_from: start,
            history: Vec::new(),
            exceptions: BTreeMap::new(),
        }
    }
}

impl Booking {
    pub fn is_series(&self) -> bool {
        self.series.is_some()
    }

    /// Every occurrence, in start order (a single meeting has one).
    pub fn occurrences(&self) -> Vec<Occurrence> {
        let Some(series) = &self.series else {
            return vec![self.single_occurrence()];
        };
        let mut out: Vec<Occurrence> = series
            .history
            .iter()
            .map(|h| Occurrence {
                ori_start: h.ori_start,
                start: h.start,
                length_minutes: h.length_minutes,
                title: h.title.clone(),
                cancelled: h.cancelled,
            })
            .collect();
        for ori in series.rule.all_occurrences(self.start, self.zone) {
            if ori < series.rule_from {
                continue;
            }
            let ex = series.exceptions.get(&ori);
            out.push(Occurrence {
                ori_start: ori,
                start: ex.and_then(|e| e.start).unwrap_or(ori),
                length_minutes: ex
                    .and_then(|e| e.length_minutes)
                    .unwrap_or(self.length_minutes),
                title: ex
                    .and_then(|e| e.title.clone())
                    .unwrap_or_else(|| self.title.clone()),
                cancelled: ex.is_some_and(|e| e.cancelled),
            });
        }
        out.sort_by_key(|o| (o.start, o.ori_start));
        out
    }

    /// The occurrences that overlap `[from, to)`, cancelled ones included.
    pub fn occurrences_in(&self, from: i64, to: i64) -> Vec<Occurrence> {
        if self.series.is_none() {
            let one = self.single_occurrence();
            return if one.overlaps(from, to) {
                vec![one]
            } else {
                Vec::new()
            };
        }
        self.occurrences()
            .into_iter()
            .filter(|o| o.overlaps(from, to))
            .collect()
    }

    /// The occurrence named by its original start.
    pub fn occurrence(&self, ori_start: i64) -> Option<Occurrence> {
        self.occurrences()
            .into_iter()
            .find(|o| o.ori_start == ori_start)
    }

    /// The occurrence a status or a join at `now` is about: the one whose join window
    /// `[start - advance, end)` holds `now` (the latest such), else the next to start, else the
    /// last one (the series is over). Cancelled occurrences are skipped unless all are.
    pub fn current_or_next(&self, now: i64, advance_secs: i64) -> Occurrence {
        let all = self.occurrences();
        let live: Vec<&Occurrence> = all
            .iter()
            .filter(|o| !self.occurrence_cancelled(o))
            .collect();
        let pool: Vec<&Occurrence> = if live.is_empty() {
            all.iter().collect()
        } else {
            live
        };
        let open = pool
            .iter()
            .rfind(|o| o.start - advance_secs.max(0) <= now && now < o.end());
        let next = pool.iter().find(|o| o.start > now);
        open.or(next)
            .or(pool.last())
            .map(|o| (*o).clone())
            .unwrap_or_else(|| self.single_occurrence())
    }

    /// The meeting this booking stands for at `now`: the one rule every answer, page, socket and
    /// worker applies. A series is the occurrence whose session is open, if one is (a session
    /// may run past its booked end), else its current or next occurrence; a single meeting is
    /// itself.
    pub fn now_view(self, sessions: &SessionIndex, advance_hours: i64, now: i64) -> Booking {
        if !self.is_series() {
            return self;
        }
        if let Some(o) = self.open_occurrence(sessions) {
            return self.as_occurrence(&o);
        }
        let o = self.current_or_next(now, advance_hours.saturating_mul(3600));
        self.as_occurrence(&o)
    }

    /// A view chosen some other way (a host passcode picks the host's next meeting) moves to
    /// the occurrence whose session is open, when that is another one.
    pub fn following(self, sessions: &SessionIndex) -> Booking {
        if !self.is_series() {
            return self;
        }
        match self.open_occurrence(sessions) {
            Some(o) if o.ori_start != self.occurrence_key() => self.as_occurrence(&o),
            _ => self,
        }
    }

    fn open_occurrence(&self, sessions: &SessionIndex) -> Option<Occurrence> {
        let open = sessions.open_of(self.event_id)?;
        self.occurrence(open.occurrence)
    }

    /// An occurrence is cancelled on its own, or by the cancelling of the series before it
    /// began (cancelling a series cancels what is still to come; the past keeps its history).
    pub fn occurrence_cancelled(&self, o: &Occurrence) -> bool {
        o.cancelled
            || self
                .cancelled_at
                .is_some_and(|at| self.series.is_none() || o.start >= at)
    }

    /// Where listings look for this booking: from the start of its earliest occurrence (one
    /// held before a later move of the series, or moved earlier on its own, may begin before
    /// the booking's own start) to the end of its last. One expansion serves both ends.
    pub fn span(&self) -> (i64, i64) {
        if self.series.is_none() {
            return (self.start, self.end());
        }
        self.occurrences()
            .iter()
            .fold((self.start, self.end()), |(lo, hi), o| {
                (lo.min(o.start), hi.max(o.end()))
            })
    }

    pub fn span_end(&self) -> i64 {
        self.span().1
    }

    /// The booking as seen through one occurrence: its start, length and title. Answer
    /// builders then need no notion of series.
    pub fn as_occurrence(&self, o: &Occurrence) -> Booking {
        let mut b = self.clone();
        b.start = o.start;
        b.length_minutes = o.length_minutes;
        b.title = o.title.clone();
        b.cancelled_at = if self.occurrence_cancelled(o) {
            Some(self.cancelled_at.unwrap_or(o.start))
        } else {
            None
        };
        b.occurrence_of = Some(o.ori_start);
        b
    }

    fn single_occurrence(&self) -> Occurrence {
        Occurrence {
            ori_start: self.start,
            start: self.start,
            length_minutes: self.length_minutes,
            title: self.title.clone(),
            cancelled: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::{BookingLinks, Details, PasswordType};
    use crate::ids::{BillingCode, ConferenceId, LinkCode, Passcode, UserId};
    use crate::session::SessionState;
    use crate::status::Status;
    use crate::time::Zone;

    const DAY: i64 = 86_400;
    const T0: i64 = 1_924_934_400; // a Monday, 2031-01-06 00:00 UTC

    fn weekly(weeks: i64) -> Booking {
        let zone = Zone::parse("UTC").unwrap();
        let rule =
            Rule::from_cycle_role("weekly", 1, &[], &[], T0 + weeks * 7 * DAY, T0, zone).unwrap();
        Booking {
            event_id: 1,
            conference_id: ConferenceId::generate(),
            customer: 1,
            host: UserId::new(1).unwrap(),
            title: "w".into(),
            start: T0,
            length_minutes: 60,
            zone,
            password_type: PasswordType::Dynamic,
            pcode1: Passcode::generate(),
            pcode2: Passcode::generate(),
            billing_code: BillingCode::generate(),
            links: BookingLinks {
                host: LinkCode::generate(),
                attendee: LinkCode::generate(),
                wcall: LinkCode::generate(),
            },
            invitees: Vec::new(),
            details: Details::default(),
            cancelled_at: None,
            created_at: 0,
            modified_at: 0,
            version: 1,
            series: Some(Series::new(rule, T0)),
            occurrence_of: None,
        }
    }

    #[test]
    fn occurrences_exceptions_and_span() {
        let mut b = weekly(3);
        assert_eq!(b.occurrences().len(), 4);
        assert_eq!(b.span_end(), T0 + 21 * DAY + 3600);
        let s = b.series.as_mut().unwrap();
        s.exceptions.insert(
            T0 + 7 * DAY,
            Exception {
                cancelled: true,
                ..Default::default()
            },
        );
        s.exceptions.insert(
            T0,
            Exception {
                start: Some(T0 - DAY),
                title: Some("moved".into()),
                ..Default::default()
            },
        );
        let all = b.occurrences();
        assert_eq!(all[0].start, T0 - DAY);
        assert_eq!(all[0].title, "moved");
        assert_eq!(b.span().0, T0 - DAY);
        assert!(b.occurrence_cancelled(&all[1]));
        assert_eq!(b.occurrences_in(T0 + 7 * DAY, T0 + 8 * DAY).len(), 1);
        let view = b.as_occurrence(&all[1]);
        assert_eq!(view.status_at(T0), Status::Cancelled);
        assert_eq!(view.occurrence_of, Some(T0 + 7 * DAY));
    }

    #[test]
    fn current_or_next_skips_cancelled_and_ends_at_the_last() {
        let mut b = weekly(2);
        b.series.as_mut().unwrap().exceptions.insert(
            T0 + 7 * DAY,
            Exception {
                cancelled: true,
                ..Default::default()
            },
        );
        // During the first occurrence: that one.
        assert_eq!(b.current_or_next(T0 + 60, 3600).start, T0);
        // After it, the cancelled second is skipped for the third.
        assert_eq!(b.current_or_next(T0 + 2 * DAY, 3600).start, T0 + 14 * DAY);
        // Inside the join window (one hour before): already that occurrence.
        assert_eq!(
            b.current_or_next(T0 + 14 * DAY - 1800, 3600).start,
            T0 + 14 * DAY
        );
        // Over: the last one, whose status is expired.
        let last = b.current_or_next(T0 + 30 * DAY, 3600);
        assert_eq!(last.start, T0 + 14 * DAY);
        assert_eq!(
            b.as_occurrence(&last).status_at(T0 + 30 * DAY),
            Status::Expired
        );
        // A series cancelled after its first occurrence keeps that one's history.
        b.cancelled_at = Some(T0 + DAY);
        assert!(!b.occurrence_cancelled(&b.occurrences()[0]));
        assert!(b.occurrence_cancelled(&b.occurrences()[1]));
    }

    #[test]
    fn now_view_follows_an_open_session_past_its_occurrence() {
        let b = weekly(3);
        let session = |occurrence: i64, closed_ms: Option<i64>| SessionState {
            id: 1,
            temp_conference_id: crate::TempConferenceId::generate(),
            event_id: b.event_id,
            occurrence,
            opened_ms: occurrence * 1000,
            closed_ms,
            locked: false,
            attendees: 1,
        };
        let none = SessionIndex::default();
        // Without sessions: the current or next occurrence.
        let view = b.clone().now_view(&none, 1, T0 + 2 * DAY);
        assert_eq!(view.occurrence_of, Some(T0 + 7 * DAY));
        // The first occurrence's session still runs two days on: that occurrence.
        let open = SessionIndex::new([session(T0, None)]);
        let view = b.clone().now_view(&open, 1, T0 + 2 * DAY);
        assert_eq!(view.occurrence_of, Some(T0));
        assert_eq!(view.start, T0);
        // Closed, it no longer holds the view.
        let closed = SessionIndex::new([session(T0, Some(T0 * 1000 + 60_000))]);
        let view = b.clone().now_view(&closed, 1, T0 + 2 * DAY);
        assert_eq!(view.occurrence_of, Some(T0 + 7 * DAY));
        // A single meeting is itself, whatever the sessions.
        let mut single = b.clone();
        single.series = None;
        assert_eq!(single.clone().now_view(&open, 1, T0 + 2 * DAY), single);
    }
}
