//! The media event interface (`docs/media-events.md`): signed batches of session facts from a
//! media server or the browser join page.

use crate::app::AppState;
use crate::call::{envelope_response, outcome_parts, request_id_in};
use crate::error::{ApiError, ApiResult};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use huiyi_wire::media;
use huiyi_wire::{Code, Family};
use std::time::Instant;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(media::EVENTS_PATH, post(events))
        .route(media::RECORDINGS_PATH, post(recordings))
}

/// What a signed media request carries besides its body.
struct Signed {
    request_id: String,
    timestamp: Option<String>,
    signature: Option<String>,
    /// The path and query as sent (an upload signs them too).
    target: String,
}

impl Signed {
    fn of(parts: &axum::http::request::Parts) -> Self {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Signed {
            request_id: request_id_in(&parts.extensions),
            timestamp: header(media::TIMESTAMP_HEADER),
            signature: header(media::SIGNATURE_HEADER),
            target: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        }
    }

    /// Checks the signature over `message` with the media secret; `takes` says what this
    /// server would take, for the refusal when it has no secret.
    fn verify(&self, app: &AppState, message: &[u8], takes: &str) -> ApiResult<()> {
        let Some(secret) = app.config.media_secret_bytes() else {
            return Err(ApiError::new(
                Code::MediaDisabled,
                format!(
                    "this server takes no {takes}: start it with --media-secret or HUIYI_MEDIA_SECRET"
                ),
            ));
        };
        media::verify(
            secret,
            self.timestamp.as_deref(),
            self.signature.as_deref(),
            message,
            app.clock.now_ms().div_euclid(1000),
        )?;
        Ok(())
    }
}

/// `POST /media/v1/recordings`: one chunk of a resumable upload (`docs/recordings.md`), signed
/// over the timestamp, the request target and the body.
async fn recordings(State(app): State<AppState>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let signed = Signed::of(&parts);
    let body = axum::body::to_bytes(body, app.config.max_chunk_bytes).await;
    let outcome = async {
        let body = body.map_err(|_| {
            ApiError::new(
                Code::BodyTooLarge,
                format!(
                    "the chunk could not be read: it is larger than max_chunk_bytes ({} bytes), \
                     or the upload broke off; send smaller chunks",
                    app.config.max_chunk_bytes
                ),
            )
        })?;
        let message = media::upload_message(&signed.target, &body);
        signed.verify(&app, &message, "recordings")?;
        let query = media::UploadQuery::parse(parts.uri.query())?;
        app.after.upload(&query, body).await
    };
    answer(outcome.await, &signed.request_id, started)
}

/// `POST /media/v1/events`: verify the signature over the exact bytes, then parse and record.
async fn events(State(app): State<AppState>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let signed = Signed::of(&parts);
    let body = axum::body::to_bytes(body, app.config.max_body_bytes).await;
    let outcome = async {
        let body = body.map_err(|_| {
            ApiError::new(
                Code::BodyTooLarge,
                "the batch could not be read: it is larger than max_body_bytes (1 MiB by \
                 default), or the upload broke off",
            )
        })?;
        signed.verify(&app, &body, "media events")?;
        let events = media::parse_batch(&body)?;
        app.sessions.ingest(events, app.clock.now_ms()).await
    };
    answer(outcome.await, &signed.request_id, started)
}

/// The envelope with the stricter HTTP status of the media interface (`media::http_status`).
fn answer<T: serde::Serialize>(
    outcome: ApiResult<T>,
    request_id: &str,
    started: Instant,
) -> Response {
    let (code, result, msg) = outcome_parts(outcome);
    let number = code.map_or(0, Code::number);
    let mut response = envelope_response(Family::V1Bare, number, result, msg, request_id, started);
    *response.status_mut() = code
        .and_then(|c| StatusCode::from_u16(media::http_status(c)).ok())
        .unwrap_or(StatusCode::OK);
    response
}
