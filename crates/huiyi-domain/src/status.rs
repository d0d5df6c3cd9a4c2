//! Meeting status codes as the vendor reports them (API.md §6).

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

    /// Status from the booking and the clock alone. Sessions (a later capability) refine
    /// this into 2, 18 and 4; until they exist a meeting is created until its end, then expired.
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

    #[test]
    fn clock_status() {
        assert_eq!(Status::from_clock(false, 100, 99), Status::Created);
        assert_eq!(Status::from_clock(false, 100, 100), Status::Expired);
        assert_eq!(Status::from_clock(true, 100, 10), Status::Cancelled);
        assert_eq!(Status::Locked.code(), 18);
    }
}
