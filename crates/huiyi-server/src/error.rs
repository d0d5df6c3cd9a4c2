//! The server's error: a wire code and an English message that says what to fix. Causes go to
//! the log (with the request id), never to the client.

use huiyi_store::StoreError;
use huiyi_wire::{Code, WireError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// Built as the wire's error is: a service refusal and a request that did not parse carry
    /// the same code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        WireError::new(code, message).into()
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        WireError::invalid(message).into()
    }

    pub fn conference_not_found(id: impl std::fmt::Display) -> Self {
        Self::new(
            Code::ConferenceNotFound,
            format!("conference {id} does not exist; check the conferenceId"),
        )
    }

    pub fn host_not_found(who: impl std::fmt::Display) -> Self {
        Self::new(
            Code::HostNotFound,
            format!("no user account {who} was found; check userId or email"),
        )
    }
}

impl From<WireError> for ApiError {
    fn from(e: WireError) -> Self {
        Self {
            code: e.code,
            message: e.message,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => Self::invalid(m),
            StoreError::Conflict => Self::new(
                Code::ConcurrentChange,
                "the meeting was changed by another request at the same moment; send the request again",
            ),
            StoreError::NotJoinable(m) => Self::new(Code::NotJoinable, m),
            StoreError::NoSession(m) => Self::new(Code::NoSession, m),
            StoreError::RoomTaken {
                room_id,
                conference_id,
                start,
                end,
            } => Self::new(
                Code::RoomTaken,
                format!(
                    "room {room_id} is already booked by meeting {conference_id} from {} to {} (UTC); choose another room or time",
                    utc(start),
                    utc(end)
                ),
            ),
            StoreError::NotFound => {
                Self::new(Code::ConferenceNotFound, "the conference does not exist")
            }
            StoreError::Exhausted | StoreError::Database(_) => {
                tracing::error!(error = %e, "storage failed");
                Self::new(
                    Code::Internal,
                    "the server could not complete the request; try again, and report the request_id if it persists",
                )
            }
        }
    }
}

/// `2030-01-07 02:00:00` for unix seconds, in UTC: a refusal does not know the reader's zone.
fn utc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| secs.to_string())
}
