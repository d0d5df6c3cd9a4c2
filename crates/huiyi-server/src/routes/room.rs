//! The room-era `/confopenapi/room/...` paths (endpoints 14–18 and 23 of API.md §7).

use super::{Write, book_or_edit, ctx, current, window};
use crate::app::AppState;
use crate::call::Call;
use crate::error::ApiError;
use crate::services::bookings_zone as zone_of;
use crate::services::{Target, occurrence_views};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use huiyi_domain::time::now_unix;
use huiyi_store::Window;
use huiyi_wire::answers::{self, RoomItem, RoomItemEra};
use huiyi_wire::requests::HostRef;

/// Default and largest page of `listByAdmin`.
const DEFAULT_PAGE: i64 = 10;
const MAX_PAGE: i64 = 200;

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
    let outcome = async {
        let t = call.tenant(&app).await?;
        let f = call.fields()?;
        let target = match (
            f.nonempty("conferenceId")?,
            f.i64("eventId")?.filter(|e| *e != 0),
        ) {
            (Some(c), _) => Target::Conference(c),
            (None, Some(e)) => Target::Event(e),
            (None, None) => return Err(ApiError::invalid("conferenceId or eventId is required")),
        };
        let occurrence = huiyi_wire::requests::occurrence(f)?;
        app.bookings
            .cancel(&t, target, &HostRef::parse(f)?, occurrence.as_deref())
            .await?;
        Ok(serde_json::Value::Null)
    };
    call.answer(outcome.await)
}

/// 17: full booking record(s) by `conferenceId` or host `pcode`.
async fn infos(State(app): State<AppState>, call: Call) -> Response {
    let outcome = async {
        let t = call.tenant(&app).await?;
        let f = call.fields()?;
        let who = HostRef::parse(f)?;
        if !who.is_empty() {
            app.bookings.user(&t, &who).await?;
        }
        let (b, host) = match (f.nonempty("conferenceId")?, f.nonempty("pcode")?) {
            (Some(c), _) => app.bookings.find(&t, &Target::Conference(c)).await?,
            (None, Some(p)) => app.bookings.find_by_pcode(&t, &p).await?,
            (None, None) => return Err(ApiError::invalid("conferenceId or pcode is required")),
        };
        let access = room_access(&app);
        let now = now_unix();
        let (b, sessions) = current(&app, &t.customer, b, now).await?;
        Ok(vec![answers::room_item(
            &b,
            &ctx(&app, &t.customer, &host, &sessions, now),
            &access,
            RoomItemEra::Older,
        )])
    };
    call.answer(outcome.await)
}

/// 18: a host's meetings between `startTime` and `endTime` (unix seconds).
async fn list(State(app): State<AppState>, call: Call) -> Response {
    let outcome = async {
        let t = call.tenant(&app).await?;
        let f = call.fields()?;
        let zone = zone_of(&t);
        let now = now_unix();
        let Window { from, to } = window(f, zone, "startTime", "endTime", now)?;
        let (host, mut list) = app
            .bookings
            .host_list(&t, &HostRef::parse(f)?, Window { from, to })
            .await?;
        // `inCycle` 1 includes recurring meetings; by default they are left out.
        if f.i64("inCycle")?.unwrap_or(0) != 1 {
            list.retain(|b| !b.is_series());
        }
        let list = occurrence_views(&list, from, to);
        let access = room_access(&app);
        let sessions = app.sessions.index(&list).await?;
        let c = ctx(&app, &t.customer, &host, &sessions, now);
        Ok(list
            .iter()
            .map(|b| answers::room_item(b, &c, &access, RoomItemEra::Older))
            .collect::<Vec<RoomItem>>())
    };
    call.answer(outcome.await)
}

/// 23: every meeting of the admin's customer, paged by `limit` and `eventIdFilter`.
async fn list_by_admin(State(app): State<AppState>, call: Call) -> Response {
    let outcome = async {
        let t = call.tenant(&app).await?;
        let f = call.fields()?;
        let zone = zone_of(&t);
        let now = now_unix();
        let Window { from, to } = window(f, zone, "startTime", "endTime", now)?;
        let limit = f.i64("limit")?.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::invalid(format!(
                "limit must be between 1 and {MAX_PAGE}; got {limit}"
            )));
        }
        let after = f.i64("eventIdFilter")?.filter(|e| *e > 0);
        let admin = HostRef {
            user_id: f.i64("adminUserId")?,
            email: None,
        };
        let list = app
            .bookings
            .customer_list(&t, &admin, Window { from, to }, after, limit)
            .await?;
        let access = room_access(&app);
        // A page holds whole bookings, every occurrence of a series on it, so paging by the
        // last eventId seen never splits a series.
        let sessions = app.sessions.index(list.iter().map(|(b, _)| b)).await?;
        let mut items = Vec::new();
        for (b, host) in &list {
            let c = ctx(&app, &t.customer, host, &sessions, now);
            for view in occurrence_views(std::slice::from_ref(b), from, to) {
                items.push(answers::room_item(&view, &c, &access, RoomItemEra::Newer));
            }
        }
        Ok(items)
    };
    call.answer(outcome.await)
}

/// The configured dial-in numbers in the room-era shape: the same list in both languages, and
/// none chosen by the customer. Without numbers every list is `null`, as example 23 shows.
fn room_access(app: &AppState) -> answers::RoomAccessNumbers {
    let numbers = &app.config.access_numbers;
    if numbers.is_empty() {
        return answers::RoomAccessNumbers::default();
    }
    let list: Vec<answers::RoomAccessNumber> = numbers
        .iter()
        .map(|n| answers::RoomAccessNumber {
            area: n.area.clone(),
            choose_by_self: 0,
            number: n.number.clone(),
        })
        .collect();
    answers::RoomAccessNumbers {
        choose_by_self: Some(Vec::new()),
        en_us: Some(list.clone()),
        zh_cn: Some(list),
    }
}
