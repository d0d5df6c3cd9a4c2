//! One module per API area. Each handler names its path, reads the request, calls one service
//! and shapes the answer.

pub mod health;
pub mod room;
pub mod v1;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use huiyi_domain::time::{Zone, parse_time};
use huiyi_domain::{Customer, User};
use huiyi_store::Window;
use huiyi_wire::answers::AnswerCtx;
use huiyi_wire::lenient::Fields;

/// Builds the context every answer builder takes.
pub fn ctx<'a>(
    app: &'a AppState,
    customer: &'a Customer,
    host: &'a User,
    now: i64,
) -> AnswerCtx<'a> {
    AnswerCtx {
        now,
        public_url: &app.config.public_url,
        customer,
        host,
    }
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

/// The listing window a request names by `from_key` and `to_key` (local times or unix seconds),
/// defaulting to now → about three months (92 days) later, the vendor's default horizon.
pub fn window(f: &Fields, zone: Zone, from_key: &str, to_key: &str, now: i64) -> ApiResult<Window> {
    let from = time_field(f, from_key, zone)?.unwrap_or(now);
    let to = time_field(f, to_key, zone)?.unwrap_or(from.saturating_add(92 * 86_400));
    Ok(Window { from, to })
}
