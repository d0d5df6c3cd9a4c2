//! The room-era `/confopenapi/room/...` paths (endpoints 14–18 and 23 of API.md §7).

use super::{Write, book_or_edit, ctx};
use crate::app::AppState;
use crate::call::Call;
use crate::services::Notify;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use huiyi_wire::answers::{self, RoomItem, RoomItemEra};
use huiyi_wire::requests::{AdminListRequest, HostListRequest, InfosRequest, RoomCancelRequest};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/confopenapi/room/reservConference",
            post(reserv_conference),
        )
        .route(
            "/confopenapi/room/updateReservConference",
            post(update_reserv_conference),
        )
        .route(
            "/confopenapi/room/cancelReservConference",
            post(cancel_reserv_conference),
        )
        .route("/confopenapi/room/conference/infos", post(infos))
        .route("/confopenapi/room/conference/list", post(list))
        .route(
            "/confopenapi/room/conference/listByAdmin",
            post(list_by_admin),
        )
}

/// 14: book a meeting (room-era); answers with `eventId`.
async fn reserv_conference(State(app): State<AppState>, call: Call) -> Response {
    book_or_edit(&app, &call, Write::Book, answers::room_reserv).await
}

/// 15: edit by `eventId` or `conferenceId`.
async fn update_reserv_conference(State(app): State<AppState>, call: Call) -> Response {
    book_or_edit(&app, &call, Write::Edit, answers::room_reserv).await
}

/// 16: cancel by `eventId` or `conferenceId`.
async fn cancel_reserv_conference(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = RoomCancelRequest::parse(fields)?;
        app.bookings
            .cancel(
                &t.customer,
                &req.target,
                &req.actor,
                req.occurrence.as_deref(),
                Notify {
                    email: req.email_notify,
                    sms: req.sms_notify,
                    english: None,
                },
            )
            .await?;
        Ok(serde_json::Value::Null)
    })
    .await
}

/// 17: full booking record(s) by `conferenceId` or host `pcode`.
async fn infos(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = InfosRequest::parse(fields)?;
        let now = app.clock.now();
        let (m, host) = app.bookings.infos(&t.customer, &req, now).await?;
        Ok(vec![answers::room_item(
            &m.view,
            &ctx(&app, &t.customer, &host, &m.sessions, now),
            &app.rooms.room_access(t.customer.key).await?,
            RoomItemEra::Older,
        )])
    })
    .await
}

/// 18: a host's meetings between `startTime` and `endTime` (unix seconds).
async fn list(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = HostListRequest::parse_room(fields)?;
        let now = app.clock.now();
        let l = app.bookings.host_list(&t.customer, &req, now).await?;
        let access = app.rooms.room_access(t.customer.key).await?;
        let c = ctx(&app, &t.customer, &l.host, &l.sessions, now);
        Ok(l.meetings
            .iter()
            .map(|b| answers::room_item(b, &c, &access, RoomItemEra::Older))
            .collect::<Vec<RoomItem>>())
    })
    .await
}

/// 23: every meeting of the admin's customer, paged by `limit` and `eventIdFilter`. A page
/// holds whole bookings, every occurrence of a series on it, so paging by the last eventId
/// seen never splits a series.
async fn list_by_admin(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = AdminListRequest::parse(fields)?;
        let now = app.clock.now();
        let l = app.bookings.customer_list(&t, &req, now).await?;
        let access = app.rooms.room_access(t.customer.key).await?;
        Ok(l.meetings
            .iter()
            .map(|(b, host)| {
                let c = ctx(&app, &t.customer, host, &l.sessions, now);
                answers::room_item(b, &c, &access, RoomItemEra::Newer)
            })
            .collect::<Vec<RoomItem>>())
    })
    .await
}
