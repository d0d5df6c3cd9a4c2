//! The media event interface, `POST /media/v1/events` (`docs/media-events.md`): how a media
//! server proves who it is ([`signing`]: HMAC-SHA256 over the timestamp and the body, with a
//! shared secret), and the batch of facts it sends ([`events`], checked against [`schema`]).
//! Unlike the vendor's API this interface is our own, so its body is strict JSON: unknown keys
//! are refused so that typos surface.

mod events;
mod schema;
mod signing;
mod upload;

pub use events::{
    MediaAnswer, MediaEvent, MediaSessionAnswer, MeetingRef, encode_batch, parse_batch,
};
pub use schema::event_types;
pub use signing::{MAX_SKEW_SECS, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify};
pub use upload::{
    FORMATS, MAX_UPLOAD_ID_CHARS, RECORDINGS_PATH, UploadAnswer, UploadQuery, upload_message,
};

use crate::codes::Code;

/// The path media servers post to.
pub const EVENTS_PATH: &str = "/media/v1/events";
/// The most events one batch may carry.
pub const MAX_BATCH_EVENTS: usize = 500;
/// The longest `eventId`, participant id, viewer id or roll-call id, in characters.
pub const MAX_ID_CHARS: usize = 128;
pub use huiyi_domain::session::MAX_NAME_CHARS;

/// The HTTP status `/media/v1/events` answers a code with: stricter than the rest of the API,
/// so a media server can tell a refusal from a retryable failure without reading the body.
pub fn http_status(code: Code) -> u16 {
    match code {
        Code::MediaSignatureRejected | Code::MediaTimestampRejected => 401,
        Code::MediaDisabled => 503,
        Code::InvalidParameter | Code::MalformedBody => 400,
        Code::ConferenceNotFound => 404,
        Code::NotJoinable | Code::NoSession | Code::UploadOffset => 409,
        Code::BodyTooLarge => 413,
        // Worth retrying: the batch was not stored.
        Code::ConcurrentChange => 503,
        Code::Internal => 500,
        other => other.http_status(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_http_statuses() {
        assert_eq!(http_status(Code::MediaSignatureRejected), 401);
        assert_eq!(http_status(Code::MediaTimestampRejected), 401);
        assert_eq!(http_status(Code::MediaDisabled), 503);
        assert_eq!(http_status(Code::InvalidParameter), 400);
        assert_eq!(http_status(Code::MalformedBody), 400);
        assert_eq!(http_status(Code::ConferenceNotFound), 404);
        assert_eq!(http_status(Code::NotJoinable), 409);
        assert_eq!(http_status(Code::NoSession), 409);
        assert_eq!(http_status(Code::BodyTooLarge), 413);
    }
}
