//! Every status code the server answers with. `docs/errors.md` lists the same table; a test
//! keeps the two in step.

/// A stable error code. The numbers from the reference keep their meaning; the rest are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// Missing or wrong credentials.
    AuthFailed,
    /// A parameter is missing, of the wrong type or out of range.
    InvalidParameter,
    /// The body is not JSON or a form.
    MalformedBody,
    /// No such conference (or one of another customer).
    ConferenceNotFound,
    /// The meeting is cancelled: it cannot be edited or cancelled again.
    ConferenceCancelled,
    /// The meeting has ended or expired: it cannot be edited or cancelled.
    ConferenceOver,
    /// The booking was changed by someone else at the same moment; retry.
    ConcurrentChange,
    /// Joining is closed: outside the join window, cancelled, or the meeting is locked.
    NotJoinable,
    /// The event needs a session of the meeting and the meeting has never had one.
    NoSession,
    /// A room the booking names is already booked at an overlapping time.
    RoomTaken,
    /// Admin verification failed.
    AdminCheckFailed,
    /// No such host account (or one of another customer).
    HostNotFound,
    /// Every box of a `confBindBox` request failed validation.
    NoValidBox,
    /// No such path.
    UnknownPath,
    /// The path exists but not with this method.
    MethodNotAllowed,
    /// The body is larger than the server accepts.
    BodyTooLarge,
    /// The server failed; the request id leads to the cause in the logs.
    Internal,
    /// A media request's signature is missing or does not match.
    MediaSignatureRejected,
    /// A media request's timestamp is missing, unreadable, or too far off the server clock.
    MediaTimestampRejected,
    /// No media secret is configured, so the server takes no media events.
    MediaDisabled,
    /// A recording upload chunk starts elsewhere than where the upload has got to.
    UploadOffset,
}

impl Code {
    pub const ALL: [Code; 21] = [
        Code::AuthFailed,
        Code::InvalidParameter,
        Code::MalformedBody,
        Code::ConferenceNotFound,
        Code::ConferenceCancelled,
        Code::ConferenceOver,
        Code::ConcurrentChange,
        Code::NotJoinable,
        Code::NoSession,
        Code::RoomTaken,
        Code::AdminCheckFailed,
        Code::HostNotFound,
        Code::NoValidBox,
        Code::UnknownPath,
        Code::MethodNotAllowed,
        Code::BodyTooLarge,
        Code::Internal,
        Code::MediaSignatureRejected,
        Code::MediaTimestampRejected,
        Code::MediaDisabled,
        Code::UploadOffset,
    ];

    pub fn number(self) -> i64 {
        match self {
            Code::AuthFailed => 50001,
            Code::InvalidParameter => 50103,
            Code::MalformedBody => 50104,
            Code::ConferenceNotFound => 50709,
            Code::ConferenceCancelled => 50710,
            Code::ConferenceOver => 50711,
            Code::ConcurrentChange => 50712,
            Code::NotJoinable => 50713,
            Code::NoSession => 50714,
            Code::RoomTaken => 50715,
            Code::AdminCheckFailed => 51101,
            Code::HostNotFound => 51104,
            Code::NoValidBox => 51208,
            Code::UnknownPath => 50404,
            Code::MethodNotAllowed => 50405,
            Code::BodyTooLarge => 50413,
            Code::Internal => 50500,
            Code::MediaSignatureRejected => 52001,
            Code::MediaTimestampRejected => 52002,
            Code::MediaDisabled => 52003,
            Code::UploadOffset => 52004,
        }
    }

    /// The HTTP status: 200 for every answer of the API, except transport failures and the
    /// media interface's refusals of the request itself. `/media/v1/events` maps more codes to
    /// HTTP statuses: see `media::http_status`.
    pub fn http_status(self) -> u16 {
        match self {
            Code::MediaSignatureRejected | Code::MediaTimestampRejected => 401,
            Code::MediaDisabled => 503,
            Code::UploadOffset => 409,
            Code::UnknownPath => 404,
            Code::MethodNotAllowed => 405,
            Code::BodyTooLarge => 413,
            _ => 200,
        }
    }
}

/// An error as the client sees it: a code and an English message that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?} ({}): {message}", code.number())]
pub struct WireError {
    pub code: Code,
    pub message: String,
}

impl WireError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidParameter, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/errors.md lists every code, with its HTTP status, and no code that does not exist.
    #[test]
    fn the_error_table_matches_the_codes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
        let doc = std::fs::read_to_string(path).unwrap();
        let rows: Vec<(i64, u16)> = doc
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                Some((cells.get(1)?.parse().ok()?, cells.get(2)?.parse().ok()?))
            })
            .collect();
        for c in Code::ALL {
            assert!(
                rows.contains(&(c.number(), c.http_status())),
                "{c:?} missing from errors.md"
            );
        }
        assert_eq!(
            rows.len(),
            Code::ALL.len(),
            "errors.md lists a code the server does not have"
        );
        let mut numbers: Vec<i64> = Code::ALL.iter().map(|c| c.number()).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), Code::ALL.len(), "two codes share a number");
    }
}
