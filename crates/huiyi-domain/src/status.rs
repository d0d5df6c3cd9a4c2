//! Meeting status codes as the vendor reports them (API.md §6), derived from the booking, the
//! clock and the meeting's latest session; never stored.

use crate::session::{REOPEN_HOURS, SessionState};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Cancelled,
    Created,
    InProgress,
    Locked,
    Ended,
    Expired,
}

/// What status and `mayJoin` are derived from: one booking or occurrence.
#[derive(Debug, Clone, Copy)]
pub struct Meeting {
    pub cancelled: bool,
    pub start: i64,
    pub end: i64,
    /// Joining opens this many hours before the start.
    pub advance_hours: i64,
}

impl Meeting {
    /// When joining opens: `advance_hours` before the start.
    pub fn opens(&self) -> i64 {
        self.start - self.advance_hours.max(0) * 3600
    }

    /// The last moment a session may be opened: [`REOPEN_HOURS`] after the booked end.
    pub fn closes(&self) -> i64 {
        self.end + REOPEN_HOURS * 3600
    }

    /// Whether a new session may be opened at `now` (unix seconds).
    pub fn may_open(&self, now: i64) -> bool {
        !self.cancelled && (self.opens()..=self.closes()).contains(&now)
    }

    /// The status at `now`, given the meeting's latest session.
    pub fn status(&self, latest: Option<&SessionState>, now: i64) -> Status {
        match latest {
            _ if self.cancelled => Status::Cancelled,
            Some(s) if s.is_open() && s.locked => Status::Locked,
            Some(s) if s.is_open() => Status::InProgress,
            Some(_) => Status::Ended,
            None => Status::from_clock(false, self.end, now),
        }
    }

    /// `mayJoin`: a live session admits people unless it is locked; otherwise a new session may
    /// be opened inside the join window.
    pub fn may_join(&self, latest: Option<&SessionState>, now: i64) -> bool {
        match latest {
            _ if self.cancelled => false,
            Some(s) if s.is_open() => !s.locked,
            _ => self.may_open(now),
        }
    }
}

impl Status {
    pub fn code(self) -> i64 {
        match self {
            Status::Cancelled => 0,
            Status::Created => 1,
            Status::InProgress => 2,
            Status::Locked => 18,
            Status::Ended => 4,
            Status::Expired => 5,
        }
    }

    /// Status from the booking and the clock alone, for a meeting that has had no session:
    /// created until its end, then expired.
    pub fn from_clock(cancelled: bool, end_unix: i64, now_unix: i64) -> Self {
        if cancelled {
            Status::Cancelled
        } else if now_unix < end_unix {
            Status::Created
        } else {
            Status::Expired
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TempConferenceId;

    fn session(closed_ms: Option<i64>, locked: bool) -> SessionState {
        SessionState {
            id: 1,
            temp_conference_id: TempConferenceId::generate(),
            event_id: 1,
            occurrence: 0,
            opened_ms: 0,
            closed_ms,
            locked,
            attendees: 1,
        }
    }

    const M: Meeting = Meeting {
        cancelled: false,
        start: 10_000,
        end: 13_600,
        advance_hours: 1,
    };

    #[test]
    fn clock_status() {
        assert_eq!(Status::from_clock(false, 100, 99), Status::Created);
        assert_eq!(Status::from_clock(false, 100, 100), Status::Expired);
        assert_eq!(Status::from_clock(true, 100, 10), Status::Cancelled);
        assert_eq!(Status::Locked.code(), 18);
    }

    #[test]
    fn sessions_refine_the_clock() {
        assert_eq!(M.status(None, 9_000), Status::Created);
        assert_eq!(M.status(None, 13_600), Status::Expired);
        let open = session(None, false);
        assert_eq!(M.status(Some(&open), 9_000), Status::InProgress);
        assert_eq!(
            M.status(Some(&open), 99_999),
            Status::InProgress,
            "runs over"
        );
        assert_eq!(M.status(Some(&session(None, true)), 9_000), Status::Locked);
        assert_eq!(
            M.status(Some(&session(Some(1), false)), 9_000),
            Status::Ended
        );
        let cancelled = Meeting {
            cancelled: true,
            ..M
        };
        assert_eq!(cancelled.status(Some(&open), 9_000), Status::Cancelled);
    }

    #[test]
    fn joining_follows_the_window_and_the_lock() {
        assert!(!M.may_join(None, M.opens() - 1));
        assert!(M.may_join(None, M.opens()));
        assert!(M.may_join(None, M.closes()));
        assert!(!M.may_join(None, M.closes() + 1));
        assert!(M.may_join(Some(&session(None, false)), M.closes() + 99));
        assert!(!M.may_join(Some(&session(None, true)), 10_500));
        assert!(M.may_join(Some(&session(Some(1), false)), 10_500), "reopen");
    }
}
