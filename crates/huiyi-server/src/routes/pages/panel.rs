//! The room panel (beyond the vendor): a tablet beside a meeting room's door shows the room's
//! bookings for today, what is on now, what is next and until when the room is free. The page
//! polls its state, so a meeting going live and its attendee count show without a reload.
//!
//! `/rooms/<roomId>/panel?key=<panel key>`; the key is made by `huiyi admin room panel-key`
//! and stored only as its hash. A wrong key and an unknown room look the same (404).

use super::text::Lang;
use super::{Chrome, Problem, Visit, asset_url};
use crate::app::AppState;
use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use huiyi_domain::rooms::Room;
use huiyi_domain::secrets::KeyHash;
use huiyi_domain::{Booking, Customer};
use serde::Serialize;

/// How often the page asks for its state, in seconds, unless `?refresh=` says otherwise.
const REFRESH_SECS: u64 = 5;

#[derive(Template)]
#[template(path = "panel.html")]
struct PanelPage {
    page: Chrome,
    room: Room,
    /// City, location, floor and seats, in the page's language.
    place: String,
    state_url: String,
    refresh_ms: u64,
    /// The first state, as the poll returns it: the script renders both alike.
    initial: String,
}

/// One booking of the room today.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct PanelMeeting {
    conference_id: String,
    title: String,
    host: String,
    /// `09:00–10:00`, in the customer's zone.
    time: String,
    start: i64,
    end: i64,
    /// API.md §6.
    status: i64,
    status_text: String,
    attendees: i64,
}

/// What the page shows, in the visitor's language.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PanelState {
    now: String,
    busy: bool,
    headline: String,
    /// "Free until 15:00", "Free for the rest of the day", "In use until 11:00".
    until: String,
    current: Option<PanelMeeting>,
    next: Option<PanelMeeting>,
    today: Vec<PanelMeeting>,
}

/// The room, if the key opens its panel.
async fn open(app: &AppState, visit: &Visit, room_id: i64) -> Result<(Room, Customer), Problem> {
    let key = visit.param("key").unwrap_or("").trim();
    let found = app.store.panel_room(room_id).await.map_err(|e| {
        tracing::error!(error = %e, "a room panel could not be read");
        Problem::Server
    })?;
    let Some((room, Some(stored))) = found else {
        return Err(Problem::NoRoom);
    };
    if key.is_empty() || !KeyHash::of(key).matches(&KeyHash::from_stored(stored)) {
        return Err(Problem::NoRoom);
    }
    let customer = app.meetings.customer(room.customer).await.map_err(|e| {
        tracing::error!(error = %e.message, "a room's customer could not be read");
        Problem::Server
    })?;
    Ok((room, customer))
}

pub async fn page(State(app): State<AppState>, Path(room_id): Path<i64>, visit: Visit) -> Response {
    let (room, customer) = match open(&app, &visit, room_id).await {
        Ok(found) => found,
        Err(p) => return visit.problem(p),
    };
    let state = match state_of(&app, &room, &customer, visit.tr).await {
        Ok(s) => s,
        Err(p) => return visit.problem(p),
    };
    let refresh = visit
        .param("refresh")
        .and_then(|r| r.trim().parse::<u64>().ok())
        .unwrap_or(REFRESH_SECS)
        .clamp(1, 300);
    let mut page = visit.chrome(false);
    page.js = asset_url("panel.js");
    let place = [
        room.city.clone(),
        room.location.clone(),
        visit
            .tr
            .t("panel.floor")
            .replace("{floor}", &room.floor.to_string()),
        visit
            .tr
            .t("panel.capacity")
            .replace("{n}", &room.capacity.to_string()),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    let p = PanelPage {
        page,
        place,
        state_url: format!(
            "/rooms/{room_id}/panel/state?{}",
            super::encode(&vec![
                (
                    "key".to_owned(),
                    visit.param("key").unwrap_or("").to_owned()
                ),
                ("lang".to_owned(), visit.tr.param().to_owned()),
            ])
        ),
        room,
        refresh_ms: refresh * 1000,
        // `<` escaped so the JSON cannot close the script element it sits in.
        initial: serde_json::to_string(&state)
            .unwrap_or_default()
            .replace('<', "\\u003c"),
    };
    visit.page(StatusCode::OK, p.render())
}

/// The state the page polls.
pub async fn state(
    State(app): State<AppState>,
    Path(room_id): Path<i64>,
    visit: Visit,
) -> Response {
    let state = match open(&app, &visit, room_id).await {
        Ok((room, customer)) => state_of(&app, &room, &customer, visit.tr).await,
        Err(p) => Err(p),
    };
    let mut res = match state {
        Ok(s) => Json(s).into_response(),
        Err(p) => (
            p.status(),
            Json(serde_json::json!({"error": p.status().as_u16()})),
        )
            .into_response(),
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn state_of(
    app: &AppState,
    room: &Room,
    customer: &Customer,
    tr: Lang,
) -> Result<PanelState, Problem> {
    let now = app.clock.now();
    let zone = customer.zone;
    let (day_start, day_end) = zone.day_bounds(now);
    let held = app
        .store
        .room_holds(room.room_id, day_start, day_end)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a room's bookings could not be read");
            Problem::Server
        })?;
    let views: Vec<Booking> = held
        .iter()
        .map(|h| match h.booking.is_series() {
            true => h
                .booking
                .occurrence(h.hold.occurrence)
                .map_or_else(|| h.booking.clone(), |o| h.booking.as_occurrence(&o)),
            false => h.booking.clone(),
        })
        .collect();
    let sessions = app.meetings.index(views.iter()).await.map_err(|e| {
        tracing::error!(error = %e.message, "sessions could not be read");
        Problem::Server
    })?;
    let mut hosts = std::collections::HashMap::new();
    let mut today = Vec::with_capacity(views.len());
    for b in &views {
        let host = match hosts.get(&b.host) {
            Some(name) => String::clone(name),
            None => {
                let name = app
                    .store
                    .user(b.customer, b.host)
                    .await
                    .ok()
                    .flatten()
                    .map(|u| u.display_name())
                    .unwrap_or_default();
                hosts.insert(b.host, name.clone());
                name
            }
        };
        let latest = sessions.latest(b);
        let status = b.meeting(customer.advance_hours).status(latest, now).code();
        today.push(PanelMeeting {
            conference_id: b.conference_id.to_string(),
            title: b.title.clone(),
            host,
            time: format!("{}–{}", zone.clock(b.start), zone.clock(b.end())),
            start: b.start,
            end: b.end(),
            status,
            status_text: tr.t(&format!("panel.status.{status}")).to_owned(),
            attendees: latest.filter(|s| s.is_open()).map_or(0, |s| s.attendees),
        });
    }
    // A meeting whose session is live holds the room even past its booked end.
    let live = |m: &PanelMeeting| m.status == 2 || m.status == 18;
    let current_at = today
        .iter()
        .position(|m| live(m) || (m.start <= now && now < m.end && m.status == 1));
    let next_at = today
        .iter()
        .enumerate()
        .position(|(i, m)| m.start > now && m.status == 1 && Some(i) != current_at);
    let busy = current_at.is_some();
    let until = match (current_at, next_at) {
        (Some(i), _) => tr
            .t("panel.busyUntil")
            .replace("{time}", &zone.clock(today[i].end)),
        (None, Some(j)) => tr
            .t("panel.freeUntil")
            .replace("{time}", &zone.clock(today[j].start)),
        (None, None) => tr.t("panel.freeAllDay").to_owned(),
    };
    Ok(PanelState {
        now: zone.clock(now),
        busy,
        headline: tr
            .t(if busy { "panel.busy" } else { "panel.free" })
            .to_owned(),
        until,
        current: current_at.map(|i| today[i].clone()),
        next: next_at.map(|i| today[i].clone()),
        today,
    })
}
