//! The older `/conference/...` paths (endpoints 1–6 of API.md §7).

use super::{Write, book_or_edit, ctx};
use crate::app::AppState;
use crate::call::Call;
use crate::services::{Notify, Target};
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::routing::{get, post};
use huiyi_wire::answers::{self, StatusCtx};
use huiyi_wire::requests::{BaseInfoRequest, ConfStatusRequest, HostListRequest, V1CancelRequest};

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

/// 3: cancel, named by path segments (`V1CancelRequest`).
async fn cancel_reserv_conference(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    call: Call,
) -> Response {
    call.serve(&app, async |t, fields| {
        let req = V1CancelRequest::parse(fields, uri.path())?;
        let target = Target::Conference(req.conference_id);
        // `En-us` (any English) picks English letters; anything else, zh-CN.
        let english = req
            .language
            .as_deref()
            .is_some_and(|l| l.trim().to_ascii_lowercase().starts_with("en"));
        let notify = Notify {
            email: req.email_notify,
            sms: req.sms_notify,
            english: req.language.is_some().then_some(english),
        };
        app.bookings
            .cancel(&t.customer, &target, &req.actor, None, notify)
            .await?;
        Ok(serde_json::Value::Null)
    })
    .await
}

/// 4: a host's meetings between `startDate` and `endDate`, grouped by local date.
async fn get_conference_list(State(app): State<AppState>, mut call: Call) -> Response {
    call.family = huiyi_wire::Family::V1Bare;
    call.serve(&app, async |t, fields| {
        let req = HostListRequest::parse_v1(fields)?;
        let now = app.clock.now();
        let l = app.bookings.host_list(&t.customer, &req, now).await?;
        Ok(answers::conference_list(
            &l.meetings,
            &ctx(&app, &t.customer, &l.host, &l.sessions, now),
        ))
    })
    .await
}

/// 5: `POST …/getConferenceBaseInfoById/:appId/:conferenceId`.
async fn get_conference_base_info(
    State(app): State<AppState>,
    OriginalUri(uri): OriginalUri,
    call: Call,
) -> Response {
    call.serve(&app, async |t, fields| {
        let req = BaseInfoRequest::parse(fields, uri.path())?;
        let now = app.clock.now();
        let target = Target::Conference(req.conference_id);
        let (m, host) = app.bookings.read(&t.customer, &target, now).await?;
        let numbers = app.rooms.access_numbers(t.customer.key).await?;
        Ok(answers::base_info(
            &m.view,
            &ctx(&app, &t.customer, &host, &m.sessions, now),
            &numbers,
        ))
    })
    .await
}

/// 6: status, live attendee count and whether joining is open. Room panels poll this: it reads
/// the meeting and its sessions, and nothing else.
async fn get_conf_status(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = ConfStatusRequest::parse(fields)?;
        let now = app.clock.now();
        let target = Target::Conference(req.conference_id);
        let m = app.meetings.find(&t.customer, &target, now).await?;
        Ok(answers::conf_status(
            &m.view,
            &StatusCtx {
                now,
                customer: &t.customer,
                sessions: &m.sessions,
            },
        ))
    })
    .await
}
