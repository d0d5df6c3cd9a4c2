//! One API call: its request id and clock, its fields (body, query and path merged, parsed
//! leniently), and the credential it presents. `Call::answer` wraps any outcome in the envelope.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use huiyi_domain::Credential;
use huiyi_domain::secrets::KeyHash;
use huiyi_wire::lenient::Fields;
use huiyi_wire::{Code, Envelope, Family, body};
use serde::Serialize;
use std::time::Instant;

pub struct Call {
    pub request_id: String,
    pub started: Instant,
    pub family: Family,
    fields: Result<Fields, ApiError>,
    header_key: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for Call {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let started = Instant::now();
        let request_id = request_id_of(&req);
        let family = family_of(req.uri().path());
        let query = body::parse_query(req.uri().query());
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let header_key = header_key(req.headers());
        let fields = match Bytes::from_request(req, state).await {
            Ok(bytes) => body::parse_body(content_type.as_deref(), &bytes)
                .map(|mut f| {
                    for (k, v) in query.entries() {
                        f.fill(k, v.clone());
                    }
                    f
                })
                .map_err(ApiError::from),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    Code::BodyTooLarge,
                    "the request body is too large; send at most 1 MiB",
                ))
            }
            Err(_) => Err(ApiError::new(
                Code::MalformedBody,
                "the request body could not be read",
            )),
        };
        Ok(Self {
            request_id,
            started,
            family,
            fields,
            header_key,
        })
    }
}

/// The id the request-id middleware gave this request (a fresh one outside it).
pub fn request_id_of(req: &Request) -> String {
    request_id_in(req.extensions())
}

pub fn request_id_in(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(new_request_id)
}

/// Set by the request-id middleware so logs and the envelope agree.
#[derive(Clone)]
pub struct RequestId(pub String);

pub fn new_request_id() -> String {
    format!("huiyi-{}", uuid::Uuid::new_v4().simple())
}

pub fn family_of(path: &str) -> Family {
    if path.starts_with("/confopenapi/") {
        Family::Room
    } else {
        Family::V1
    }
}

fn header_key(headers: &HeaderMap) -> Option<String> {
    let token = headers.get("token").and_then(|v| v.to_str().ok());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    token
        .or(bearer)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl Call {
    /// The fields, or the reason the body could not be read.
    pub fn fields(&self) -> ApiResult<&Fields> {
        self.fields.as_ref().map_err(Clone::clone)
    }

    /// Adds path segments as fields, unless the body already names them.
    pub fn fill(&mut self, key: &str, value: &str) {
        if let Ok(f) = &mut self.fields {
            f.fill(key, serde_json::Value::String(value.to_owned()));
        }
    }

    /// Resolves the presented credential: header `token`, `Authorization: Bearer`, or body/query
    /// `token` / `appKey`.
    pub async fn tenant(&self, app: &AppState) -> ApiResult<Credential> {
        let fields = self.fields()?;
        let presented = match &self.header_key {
            Some(k) => Some(k.clone()),
            None => match fields.nonempty("token")? {
                Some(t) => Some(t),
                None => fields.nonempty("appKey")?,
            },
        };
        let Some(key) = presented else {
            return Err(ApiError::new(
                Code::AuthFailed,
                "no credential was presented; send your API key in the token header",
            ));
        };
        app.credentials
            .resolve(&app.store, &KeyHash::of(&key))
            .await
    }

    /// Wraps the outcome in the envelope. Every answer is HTTP 200 with the envelope, except
    /// transport failures, which keep their HTTP status and still carry the envelope.
    /// Answers the call: checks its credential, then runs `work` with the credential and the
    /// request's fields, and shapes what it returns as the envelope.
    pub async fn serve<T: Serialize>(
        &self,
        app: &AppState,
        work: impl AsyncFnOnce(Credential, &Fields) -> ApiResult<T>,
    ) -> Response {
        let outcome = match (self.tenant(app).await, self.fields()) {
            (Ok(t), Ok(fields)) => work(t, fields).await,
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        self.answer(outcome)
    }

    pub fn answer<T: Serialize>(&self, outcome: ApiResult<T>) -> Response {
        let (code, result, msg) = outcome_parts(outcome);
        envelope_response(
            self.family,
            code.map_or(0, Code::number),
            result,
            msg,
            &self.request_id,
            self.started,
        )
    }
}

/// An outcome as the envelope carries it: the refusing code (`None` on success), the result
/// and the message. A refusal is logged with its code, never with its cause's secrets.
pub fn outcome_parts<T: Serialize>(
    outcome: ApiResult<T>,
) -> (Option<Code>, serde_json::Value, String) {
    let serialised = outcome.and_then(|v| {
        serde_json::to_value(v).map_err(|e| {
            tracing::error!(error = %e, "answer did not serialise");
            ApiError::new(Code::Internal, "the server could not build the answer")
        })
    });
    match serialised {
        Ok(v) => (None, v, String::new()),
        Err(e) => {
            tracing::info!(code = e.code.number(), msg = %e.message, "request refused");
            (Some(e.code), serde_json::Value::Null, e.message)
        }
    }
}

/// An envelope that refuses a request outright (no such path, a method not taken).
pub fn refusal(req: &Request, code: Code, msg: String) -> Response {
    let path = req.uri().path();
    envelope_response(
        family_of(path),
        code.number(),
        serde_json::Value::Null,
        msg,
        &request_id_of(req),
        Instant::now(),
    )
}

pub fn envelope_response(
    family: Family,
    status: i64,
    result: serde_json::Value,
    msg: String,
    request_id: &str,
    started: Instant,
) -> Response {
    let http = Code::ALL
        .iter()
        .find(|c| c.number() == status)
        .map(|c| c.http_status())
        .unwrap_or(200);
    let env = Envelope::new(
        family,
        status,
        result,
        msg,
        request_id.to_owned(),
        huiyi_domain::time::now_millis(),
        started.elapsed(),
    );
    let mut response = (
        StatusCode::from_u16(http).unwrap_or(StatusCode::OK),
        axum::Json(env),
    )
        .into_response();
    response.extensions_mut().insert(VendorCode(status));
    response
}

/// The envelope's `status` of an answer, for metrics: almost every answer is HTTP 200, so
/// only this tells an error from a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorCode(pub i64);
