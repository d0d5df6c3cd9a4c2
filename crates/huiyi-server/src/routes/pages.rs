//! The browser pages: what a short link `/k/<code>` opens (a landing page, the join page, or
//! the dial-in page), the join page for someone with only the meeting number (`/j/<id>`),
//! error pages, and their static files. zh-CN unless the visitor chose English (`?lang=en`,
//! remembered in a cookie).

mod after;
mod panel;
mod text;

use crate::app::AppState;
use crate::services::{LinkError, LinkUse};
use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use huiyi_domain::joining::LinkRole;
use huiyi_domain::{Booking, ConferenceId};
use rust_embed::RustEmbed;
use std::convert::Infallible;
use text::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/k/{code}", get(short_link))
        .route("/j/{conference_id}", get(by_number))
        .route("/static/{*path}", get(asset))
        .route("/replay/{temp}", get(after::replay))
        .route("/files/{temp}/{name}", get(after::file))
        .route("/reports/{temp}", get(after::report))
        .route("/rooms/{room_id}/panel", get(panel::page))
        .route("/rooms/{room_id}/panel/state", get(panel::state))
}

/// The query of a page, in order, so links built from it keep every parameter.
type Params = Vec<(String, String)>;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

const LANG_COOKIE: &str = "huiyi_lang";

/// What every page's frame needs.
struct Chrome {
    tr: Lang,
    css: String,
    js: String,
    /// The same page in the other language; empty where the script switches it in place.
    lang_href: String,
}

struct MeetingView {
    title: String,
    when: String,
    conference_id: String,
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    page: Chrome,
    meeting: MeetingView,
    host: bool,
    join_href: String,
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    page: Chrome,
    meeting: MeetingView,
    /// `host` or `attendee` when the link says; empty when the passcode will.
    role: &'static str,
    role_key: &'static str,
    name: String,
    ask_pcode: bool,
    ask_watchword: bool,
    tags: Vec<String>,
    waiting_room: bool,
    join_login: bool,
    config_json: String,
}

#[derive(Template)]
#[template(path = "dialin.html")]
struct DialIn {
    page: Chrome,
    meeting: MeetingView,
    numbers: Vec<huiyi_wire::answers::RoomAccessNumber>,
    passcode: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Chrome,
    status: u16,
    heading: &'static str,
    detail: &'static str,
}

/// Why a page cannot be shown.
#[derive(Debug, Clone, Copy)]
enum Problem {
    UnknownLink,
    Expired,
    UsedUp,
    Cancelled,
    NoMeeting,
    /// No such room, or not this key: a panel that cannot be opened.
    NoRoom,
    /// A recording that was deleted.
    Deleted,
    Server,
}

impl Problem {
    fn status(self) -> StatusCode {
        match self {
            Problem::UnknownLink | Problem::NoMeeting | Problem::NoRoom => StatusCode::NOT_FOUND,
            Problem::Expired | Problem::UsedUp | Problem::Cancelled | Problem::Deleted => {
                StatusCode::GONE
            }
            Problem::Server => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn texts(self) -> (&'static str, &'static str) {
        match self {
            Problem::UnknownLink => ("error.unknown.title", "error.unknown.detail"),
            Problem::Expired => ("error.expired.title", "error.expired.detail"),
            Problem::UsedUp => ("error.usedUp.title", "error.usedUp.detail"),
            Problem::Cancelled => ("error.cancelled.title", "error.cancelled.detail"),
            Problem::NoMeeting => ("error.noMeeting.title", "error.noMeeting.detail"),
            Problem::NoRoom => ("error.noRoom.title", "error.noRoom.detail"),
            Problem::Deleted => ("error.deleted.title", "error.deleted.detail"),
            Problem::Server => ("error.server.title", "error.server.detail"),
        }
    }
}

impl From<LinkError> for Problem {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Unknown => Problem::UnknownLink,
            LinkError::Expired => Problem::Expired,
            LinkError::UsedUp => Problem::UsedUp,
            LinkError::Cancelled => Problem::Cancelled,
            LinkError::Unavailable => Problem::Server,
        }
    }
}

/// The visitor's request, as the pages need it.
struct Visit {
    tr: Lang,
    /// Set when `?lang=` chose now: remembered in a cookie.
    chosen: Option<Lang>,
    path: String,
    params: Params,
}

/// A page visit is read from the request itself: a query that does not parse counts as none.
impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let query: Result<Query<Params>, QueryRejection> =
            Query::from_request_parts(parts, state).await;
        let params = query.map(|Query(q)| q).unwrap_or_default();
        let chosen = param(&params, "lang").and_then(Lang::parse);
        let tr = chosen
            .or_else(|| cookie_lang(&parts.headers))
            .unwrap_or(Lang::Zh);
        Ok(Visit {
            tr,
            chosen,
            path: parts.uri.path().to_owned(),
            params,
        })
    }
}

impl Visit {
    fn param(&self, key: &str) -> Option<&str> {
        param(&self.params, key)
    }

    /// This page's address with `key` set to `value` (replacing it), every other parameter kept.
    fn with(&self, key: &str, value: &str) -> String {
        let mut q: Params = self
            .params
            .iter()
            .filter(|(k, _)| k != key)
            .cloned()
            .collect();
        q.push((key.to_owned(), value.to_owned()));
        format!("{}?{}", self.path, encode(&q))
    }

    fn chrome(&self, switch_in_place: bool) -> Chrome {
        Chrome {
            tr: self.tr,
            css: asset_url("style.css"),
            js: asset_url("live.js"),
            lang_href: if switch_in_place {
                String::new()
            } else {
                self.with("lang", self.tr.other().param())
            },
        }
    }

    fn page(&self, status: StatusCode, rendered: askama::Result<String>) -> Response {
        let body = match rendered {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "a page did not render");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page could not be shown",
                )
                    .into_response();
            }
        };
        let mut res = (status, body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // Pages carry tokens in their address and depend on the moment: never cache, never
        // pass the address on to another site.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; base-uri 'none'; form-action 'self'",
            ),
        );
        if let Some(lang) = self.chosen {
            let cookie = format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                lang.param()
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                h.insert(header::SET_COOKIE, v);
            }
        }
        res
    }

    fn problem(&self, problem: Problem) -> Response {
        let (heading, detail) = problem.texts();
        let status = problem.status();
        let page = ErrorPage {
            page: self.chrome(false),
            status: status.as_u16(),
            heading,
            detail,
        };
        self.page(status, page.render())
    }
}

fn param<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn encode(params: &Params) -> String {
    serde_urlencoded::to_string(params).unwrap_or_default()
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| Lang::parse(v))
}

/// `GET /k/{code}`: the dial-in page for a dial-in link; otherwise a landing page, or with
/// `priority=web` the join page.
async fn short_link(
    State(app): State<AppState>,
    Path(code): Path<String>,
    visit: Visit,
) -> Response {
    let token = visit.param("token").filter(|t| !t.is_empty());
    let wuid = visit
        .param("wuid")
        .and_then(|w| w.trim().parse::<i64>().ok());
    let now = app.clock.now();
    // Looking spends nothing; only opening the join page spends a use of a secure link.
    let peeked = match app
        .joining
        .open_link(&code, token, wuid, now, LinkUse::Peek)
        .await
    {
        Ok(opened) => opened,
        Err(e) => return visit.problem(e.into()),
    };
    let web = visit
        .param("priority")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("web"));
    match peeked.role {
        LinkRole::Wcall => {
            let numbers = match app.rooms.room_access(peeked.booking.customer).await {
                Ok(n) if visit.tr == Lang::En => n.en_us,
                Ok(n) => n.zh_cn,
                Err(e) => {
                    tracing::error!(code = e.code.number(), "dial-in numbers failed");
                    return visit.problem(Problem::Server);
                }
            };
            let page = DialIn {
                page: visit.chrome(false),
                meeting: meeting_view(&peeked.booking),
                numbers,
                passcode: peeked.booking.pcode2.as_str().to_owned(),
            };
            visit.page(StatusCode::OK, page.render())
        }
        _ if !web => {
            let page = Landing {
                page: visit.chrome(false),
                meeting: meeting_view(&peeked.booking),
                host: peeked.role == LinkRole::Host,
                join_href: visit.with("priority", "web"),
            };
            visit.page(StatusCode::OK, page.render())
        }
        _ => {
            let opened = match app
                .joining
                .open_link(&code, token, wuid, now, LinkUse::Take)
                .await
            {
                Ok(opened) => opened,
                Err(e) => return visit.problem(e.into()),
            };
            let host = opened.role == LinkRole::Host;
            let mut live = format!("/live/{code}");
            // The load spent the token's use: the socket shows a pass of its own instead.
            let mut pass: Params = Vec::new();
            match app.joining.page_pass(&opened, token.is_some(), now).await {
                Ok(Some(t)) => pass.push(("token".into(), t)),
                Ok(None) => {}
                Err(e) => return visit.problem(e.into()),
            }
            if !pass.is_empty() {
                live = format!("{live}?{}", encode(&pass));
            }
            let typed = opened
                .name
                .clone()
                .or_else(|| visit.param("name").map(str::to_owned))
                .unwrap_or_default();
            let known = opened
                .user
                .as_ref()
                .map(huiyi_domain::User::display_name)
                .unwrap_or_default();
            let page = join_page(
                &visit,
                &opened.booking,
                Some(host),
                opened.user.is_some(),
                typed,
                &known,
                &live,
            );
            visit.page(StatusCode::OK, page.render())
        }
    }
}

/// `GET /j/{conferenceId}`: the join page for someone with only the meeting number; the
/// passcode they type decides host or attendee.
async fn by_number(
    State(app): State<AppState>,
    Path(conference_id): Path<String>,
    visit: Visit,
) -> Response {
    let booking = match meeting_by_number(&app, &conference_id).await {
        Ok(b) => b,
        Err(p) => return visit.problem(p),
    };
    let live = format!("/live/by-id/{}", booking.conference_id);
    let typed = visit.param("name").unwrap_or_default().to_owned();
    let page = join_page(&visit, &booking, None, false, typed, "", &live);
    visit.page(StatusCode::OK, page.render())
}

/// A meeting by its number, as it stands now (for a series: the occurrence joining is about).
async fn meeting_by_number(app: &AppState, conference_id: &str) -> Result<Booking, Problem> {
    let server = |e: crate::error::ApiError| {
        tracing::error!(code = e.code.number(), msg = %e.message, "a meeting could not be read for its page");
        Problem::Server
    };
    let cid = ConferenceId::parse(conference_id).map_err(|_| Problem::NoMeeting)?;
    let (meeting, _) = app
        .meetings
        .anywhere(&cid, app.clock.now())
        .await
        .map_err(server)?
        .ok_or(Problem::NoMeeting)?;
    if meeting.cancelled {
        return Err(Problem::Cancelled);
    }
    Ok(meeting.view)
}

/// The join page. `host`: what the link says (`None`: the passcode will say). `typed`: a name
/// the link carries; `known`: the user's own name, the last resort after the remembered one.
fn join_page(
    visit: &Visit,
    booking: &Booking,
    host: Option<bool>,
    known_user: bool,
    typed: String,
    known: &str,
    live: &str,
) -> JoinPage {
    let s = &booking.details.settings;
    let attendee = host != Some(true);
    let tags = if attendee && s.join_conf_sel_tag == Some(true) {
        s.join_conf_tags
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        Vec::new()
    };
    let (role, role_key) = match host {
        Some(true) => ("host", "join.as.host"),
        Some(false) => ("attendee", "join.as.attendee"),
        None => ("", ""),
    };
    let config = serde_json::json!({
        "lang": visit.tr.param(),
        "wsPath": live,
        "name": known,
        "texts": text::table(),
    });
    JoinPage {
        page: visit.chrome(true),
        meeting: meeting_view(booking),
        role,
        role_key,
        name: typed,
        ask_pcode: host.is_none(),
        ask_watchword: attendee && s.open_watchword == Some(true),
        tags,
        waiting_room: attendee && s.use_waiting_room == Some(true),
        join_login: attendee && s.join_login == Some(true) && !known_user,
        config_json: script_json(&config),
    }
}

/// JSON that is safe inside `<script type="application/json">`: no `<`, `>` or `&` that could
/// close the element.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn meeting_view(b: &Booking) -> MeetingView {
    let (start, end) = (b.zone.format(b.start), b.zone.format(b.end()));
    let end_shown = if start.get(..10) == end.get(..10) {
        end.get(11..16).unwrap_or(&end)
    } else {
        end.get(..16).unwrap_or(&end)
    };
    MeetingView {
        title: b.title.clone(),
        when: format!(
            "{} – {} ({})",
            start.get(..16).unwrap_or(&start),
            end_shown,
            b.zone.label(b.start)
        ),
        conference_id: b.conference_id.as_str().to_owned(),
    }
}

/// `/static/<name>?v=<hash>`: the hash changes with the content, so the file may be cached
/// for a year.
fn asset_url(name: &str) -> String {
    match Assets::get(name) {
        Some(f) => format!("/static/{name}?v={}", short_hash(&f.metadata.sha256_hash())),
        None => format!("/static/{name}"),
    }
}

fn short_hash(sha: &[u8; 32]) -> String {
    sha[..6].iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(serde::Deserialize)]
struct AssetQuery {
    v: Option<String>,
}

async fn asset(
    Path(path): Path<String>,
    query: Result<Query<AssetQuery>, QueryRejection>,
) -> Response {
    let Some(file) = Assets::get(&path) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let kind = match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    };
    let hash = short_hash(&file.metadata.sha256_hash());
    let current = query
        .ok()
        .and_then(|Query(q)| q.v)
        .is_some_and(|v| v == hash);
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        // An address without the current hash may be an old page's: keep it briefly only.
        "public, max-age=300"
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        file.data.into_owned(),
    )
        .into_response()
}
