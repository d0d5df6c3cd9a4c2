//! One module per API area. Each handler names its path, reads the request, calls one service
//! and shapes the answer.

pub mod health;
pub mod launch;
pub mod live;
pub mod media;
pub mod pages;
pub mod room;
pub mod v1;

use crate::app::AppState;
use crate::call::Call;
use crate::error::{ApiError, ApiResult};
use axum::response::Response;
use huiyi_domain::time::now_unix;
use huiyi_domain::time::{Zone, parse_time};
use huiyi_domain::{Booking, Customer, SessionIndex, User};
use huiyi_store::Window;
use huiyi_wire::answers::AnswerCtx;
use huiyi_wire::lenient::Fields;
use huiyi_wire::requests::BookingRequest;

/// Builds the context every answer builder takes.
pub fn ctx<'a>(
    app: &'a AppState,
    customer: &'a Customer,
    host: &'a User,
    sessions: &'a SessionIndex,
    now: i64,
) -> AnswerCtx<'a> {
    AnswerCtx {
        now,
        public_url: &app.config.public_url,
        customer,
        host,
        sessions,
    }
}

/// A booking found by a request, as the meeting answers speak of (a series: the occurrence
/// whose session is open, else the current or next), with its sessions.
pub async fn current(
    app: &AppState,
    customer: &Customer,
    view: Booking,
    now: i64,
) -> ApiResult<(Booking, SessionIndex)> {
    app.sessions
        .answerable(view, customer.advance_hours, now)
        .await
}

/// A time field of a listing request, read in the customer's zone.
fn time_field(f: &Fields, key: &str, zone: Zone) -> ApiResult<Option<i64>> {
    match f.raw(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .map(|v| Some(huiyi_domain::time::unix_from_number(v)))
            .ok_or_else(|| ApiError::invalid(format!("{key} must be unix seconds or a time"))),
        Some(_) => match f.nonempty(key)? {
            None => Ok(None),
            Some(text) => parse_time(&text, zone)
                .map(Some)
                .map_err(|e| ApiError::invalid(format!("{key}: {e}"))),
        },
    }
}

/// Which booking write a request asks for.
pub enum Write {
    Book,
    Edit,
}

/// Books or edits as the request says, and answers in the endpoint's own shape: the booking
/// endpoints of both families differ only in that.
pub async fn book_or_edit<A: serde::Serialize>(
    app: &AppState,
    call: &Call,
    write: Write,
    shape: fn(&Booking, &AnswerCtx) -> A,
) -> Response {
    let outcome = async {
        let t = call.tenant(app).await?;
        let request = BookingRequest::parse(call.fields()?)?;
        let (b, host) = match write {
            Write::Book => app.bookings.book(&t, request).await?,
            Write::Edit => app.bookings.edit(&t, request).await?,
        };
        let now = now_unix();
        let (b, sessions) = current(app, &t.customer, b, now).await?;
        Ok(shape(&b, &ctx(app, &t.customer, &host, &sessions, now)))
    };
    call.answer(outcome.await)
}

/// The listing window a request names by `from_key` and `to_key` (local times or unix seconds),
/// defaulting to now → about three months (92 days) later, the vendor's default horizon.
pub fn window(f: &Fields, zone: Zone, from_key: &str, to_key: &str, now: i64) -> ApiResult<Window> {
    let from = time_field(f, from_key, zone)?.unwrap_or(now);
    let to = time_field(f, to_key, zone)?.unwrap_or(from.saturating_add(92 * 86_400));
    Ok(Window { from, to })
}
