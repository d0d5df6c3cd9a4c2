//! The older `/conference/...` paths (endpoints 1–6 of API.md §7).

use super::{Write, book_or_edit, ctx, current, window};
use crate::app::AppState;
use crate::call::Call;
use crate::error::{ApiError, ApiResult};
use crate::services::bookings_zone as zone_of;
use crate::services::{Target, occurrence_views};
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::{get, post};
use huiyi_domain::time::now_unix;
use huiyi_store::Window;
use huiyi_wire::answers::{self, AccessNumber};
use huiyi_wire::requests::HostRef;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/conference/conference/reservConference2",
            post(reserv_conference2),
        )
        .route(
            "/conference/conference/updateReservConference",
            post(update_reserv_conference),
        )
        .route(
            "/conference/conference/cancelReservConference/{*segments}",
            get(cancel_reserv_conference),
        )
        .route(
            "/conference/business/getConferenceList",
            post(get_conference_list),
        )
        .route(
            "/conference/conference/getConferenceBaseInfoById/{*segments}",
            post(get_conference_base_info),
        )
        .route(
            "/conference/conference/getConfStatus",
            post(get_conf_status),
        )
}

/// 1: book a meeting.
async fn reserv_conference2(State(app): State<AppState>, call: Call) -> Response {
    book_or_edit(&app, &call, Write::Book, answers::reserv_v1).await
}

/// 2: edit a meeting by `conferenceId`.
async fn update_reserv_conference(State(app): State<AppState>, call: Call) -> Response {
    book_or_edit(&app, &call, Write::Edit, answers::reserv_v1).await
}

/// 3: `GET …/cancelReservConference/:appId/:conferenceId/:language/:userIdEmail[/:callbackUrl/:email_notify/:sms_notify]`.
/// Segments may be empty, so the raw path is split here rather than by the router.
async fn cancel_reserv_conference(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    mut call: Call,
) -> Response {
    let segments = path_segments(uri.path(), "/cancelReservConference/");
    for (i, key) in [
        "appId",
        "conferenceId",
        "language",
        "userIdEmail",
        "callbackUrl",
        "email_notify",
        "sms_notify",
    ]
    .iter()
    .enumerate()
    {
        if let Some(v) = segments.get(i).filter(|v| !v.is_empty()) {
            call.fill(key, v);
        }
    }
    let outcome = async {
        let t = call.tenant(&app).await?;
        let f = call.fields()?;
        let conference = f
            .nonempty("conferenceId")?
            .ok_or_else(|| ApiError::invalid("conferenceId is required in the path: /cancelReservConference/6/<conferenceId>/<language>/<userIdEmail>"))?;
        let actor = match f.nonempty("userIdEmail")? {
            Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => HostRef {
                user_id: v.parse().ok(),
                email: None,
            },
            Some(v) => HostRef {
                user_id: None,
                email: Some(v),
            },
            None => HostRef::default(),
        };
        app.bookings
            .cancel(&t, Target::Conference(conference), &actor, None)
            .await?;
        ApiResult::Ok(serde_json::Value::Null)
    };
    call.answer(outcome.await)
}

/// 4: a host's meetings between `startDate` and `endDate`, grouped by local date.
async fn get_conference_list(State(app): State<AppState>, mut call: Call) -> Response {
    call.family = huiyi_wire::Family::V1Bare;
    let outcome = async {
        let t = call.tenant(&app).await?;
        let f = call.fields()?;
        let zone = zone_of(&t);
        let now = now_unix();
        let Window { from, to } = window(f, zone, "startDate", "endDate", now)?;
        let (host, list) = app
            .bookings
            .host_list(&t, &HostRef::parse(f)?, Window { from, to })
            .await?;
        let mut list = occurrence_views(&list, from, to);
        list.retain(|b| !b.is_cancelled());
        let sessions = app.sessions.index(&list).await?;
        Ok(answers::conference_list(
            &list,
            &ctx(&app, &t.customer, &host, &sessions, now),
        ))
    };
    call.answer(outcome.await)
}

/// 5: `POST …/getConferenceBaseInfoById/:appId/:conferenceId`.
async fn get_conference_base_info(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    mut call: Call,
) -> Response {
    let segments = path_segments(uri.path(), "/getConferenceBaseInfoById/");
    if let Some(c) = segments.get(1).filter(|c| !c.is_empty()) {
        call.fill("conferenceId", c);
    }
    let outcome = async {
        let t = call.tenant(&app).await?;
        let id = call.fields()?.nonempty("conferenceId")?.ok_or_else(|| {
            ApiError::invalid(
                "conferenceId is required in the path: /getConferenceBaseInfoById/6/<conferenceId>",
            )
        })?;
        let (b, host) = app.bookings.find(&t, &Target::Conference(id)).await?;
        let numbers: Vec<AccessNumber> = app
            .config
            .access_numbers
            .iter()
            .map(|n| AccessNumber {
                area: n.area.clone(),
                number: n.number.clone(),
            })
            .collect();
        let now = now_unix();
        let (b, sessions) = current(&app, &t.customer, b, now).await?;
        Ok(answers::base_info(
            &b,
            &ctx(&app, &t.customer, &host, &sessions, now),
            &numbers,
        ))
    };
    call.answer(outcome.await)
}

/// 6: status, live attendee count and whether joining is open.
async fn get_conf_status(State(app): State<AppState>, call: Call) -> Response {
    let outcome = async {
        let t = call.tenant(&app).await?;
        let id = call
            .fields()?
            .nonempty("conferenceId")?
            .ok_or_else(|| ApiError::invalid("conferenceId is required"))?;
        let (b, host) = app.bookings.find(&t, &Target::Conference(id)).await?;
        let now = now_unix();
        let (b, sessions) = current(&app, &t.customer, b, now).await?;
        Ok(answers::conf_status(
            &b,
            &ctx(&app, &t.customer, &host, &sessions, now),
        ))
    };
    call.answer(outcome.await)
}

/// The percent-decoded segments after `marker` in a raw path; empty segments are kept.
fn path_segments(path: &str, marker: &str) -> Vec<String> {
    let Some(pos) = path.find(marker) else {
        return Vec::new();
    };
    path[pos + marker.len()..]
        .split('/')
        .map(huiyi_wire::lenient::decode_once)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_keep_empty_ones_and_decode() {
        assert_eq!(
            path_segments(
                "/conference/conference/cancelReservConference/6/239130656//eyh1%40test1.com",
                "/cancelReservConference/"
            ),
            vec!["6", "239130656", "", "eyh1@test1.com"]
        );
    }
}
