//! What the links of the recording and report answers open: the replay page, the recording
//! file (with `Range`, so players seek), and the report as XLSX or CSV. Every link is signed
//! with an expiry (`services::after`); a recording that was deleted answers 410 with a page.

use super::{Chrome, Problem, Visit};
use crate::adapters::files::KEPT;
use crate::app::AppState;
use crate::services::after::download_name;
use crate::services::{Held, LinkKind, LinkRefusal, report_files};
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "replay.html")]
struct ReplayPage {
    page: Chrome,
    title: String,
    started: String,
    ended: String,
    video_src: String,
    download_href: String,
    report_href: String,
    file_name: String,
}

impl From<LinkRefusal> for Problem {
    fn from(r: LinkRefusal) -> Self {
        match r {
            LinkRefusal::Forged => Problem::UnknownLink,
            LinkRefusal::Expired => Problem::Expired,
            LinkRefusal::Gone => Problem::Deleted,
        }
    }
}

/// The held session a signed link names, or the page that says why not.
async fn open(app: &AppState, visit: &Visit, kind: LinkKind, temp: &str) -> Result<Held, Response> {
    let checked = app
        .after
        .check(kind, temp, visit.param("e"), visit.param("s"))
        .await;
    match checked {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return Err(visit.problem(refusal.into())),
        Err(e) => {
            tracing::error!(error = %e.message, "a link could not be checked");
            return Err(visit.problem(Problem::Server));
        }
    }
    match app.after.held(temp).await {
        Ok(Some(h)) => Ok(h),
        Ok(None) => Err(visit.problem(Problem::UnknownLink)),
        Err(e) => {
            tracing::error!(error = %e.message, "a session could not be read");
            Err(visit.problem(Problem::Server))
        }
    }
}

/// `GET /replay/{tempConferenceId}?e=…&s=…`: the recording in an HTML5 player.
pub async fn replay(
    State(app): State<AppState>,
    Path(temp): Path<String>,
    visit: Visit,
) -> Response {
    let h = match open(&app, &visit, LinkKind::Replay, &temp).await {
        Ok(h) => h,
        Err(page) => return page,
    };
    let Some(recording) = h.recording() else {
        return visit.problem(Problem::Deleted);
    };
    let links = match app.after.links(&h).await {
        Ok(l) => l,
        Err(_) => return visit.problem(Problem::Server),
    };
    let zone = h.view.zone;
    let s = &h.held.session;
    let page = ReplayPage {
        page: visit.chrome(false),
        title: h.view.title.clone(),
        started: zone.format(s.opened_ms.div_euclid(1000)),
        ended: s
            .closed_ms
            .map_or_else(String::new, |c| zone.format(c.div_euclid(1000))),
        video_src: links.download.clone(),
        download_href: format!("{}&dl=1", links.download),
        report_href: links.report,
        file_name: download_name(&h.view, s.opened_ms, &recording.format),
    };
    let mut res = visit.page(StatusCode::OK, page.render());
    // The player loads the file from this server, or (a recording the media side keeps) from
    // where it lives.
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             media-src 'self' https: http:; connect-src 'self'; base-uri 'none'; \
             form-action 'self'",
        ),
    );
    res
}

/// `GET /files/{tempConferenceId}/{name}?e=…&s=…[&dl=1]`: the recording file, ranged on ask.
pub async fn file(
    State(app): State<AppState>,
    Path((temp, _name)): Path<(String, String)>,
    headers: HeaderMap,
    visit: Visit,
) -> Response {
    let h = match open(&app, &visit, LinkKind::File, &temp).await {
        Ok(h) => h,
        Err(page) => return page,
    };
    let Some(recording) = h.recording() else {
        return visit.problem(Problem::Deleted);
    };
    let Some(key) = recording.location.strip_prefix(KEPT) else {
        // Kept by the media side: send the player there.
        let to = recording.location.trim();
        if (to.starts_with("https://") || to.starts_with("http://"))
            && let Ok(v) = HeaderValue::from_str(to)
        {
            return (StatusCode::FOUND, [(header::LOCATION, v)]).into_response();
        }
        return visit.problem(Problem::Deleted);
    };
    let files = app.after.files();
    let size = match files.size(key).await {
        Ok(Some(size)) => size,
        Ok(None) => return visit.problem(Problem::Deleted),
        Err(e) => {
            tracing::error!(error = %e, "a recording file could not be read");
            return visit.problem(Problem::Server);
        }
    };
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(raw) => {
            match http_range_header::parse_range_header(raw).and_then(|r| r.validate(size)) {
                // One range is served as asked; several are served whole (a 200 is allowed).
                Ok(ranges) if ranges.len() == 1 => {
                    let r = &ranges[0];
                    Some(*r.start()..*r.end() + 1)
                }
                Ok(_) => None,
                Err(_) => {
                    return (
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        [(header::CONTENT_RANGE, format!("bytes */{size}"))],
                    )
                        .into_response();
                }
            }
        }
    };
    let fetched = match files.fetch(key, size, range.clone()).await {
        Ok(Some(f)) => f,
        Ok(None) => return visit.problem(Problem::Deleted),
        Err(e) => {
            tracing::error!(error = %e, "a recording file could not be read");
            return visit.problem(Problem::Server);
        }
    };
    let name = download_name(&h.view, h.held.session.opened_ms, &recording.format);
    let disposition = if visit.param("dl").is_some() {
        "attachment"
    } else {
        "inline"
    };
    let encoded = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
    let mut res = Response::new(Body::from_stream(fetched.body));
    let (start, end) = (fetched.range.start, fetched.range.end);
    *res.status_mut() = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let h = res.headers_mut();
    let mime = if recording.format == "webm" {
        "video/webm"
    } else {
        "video/mp4"
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    if range.is_some()
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{disposition}; filename=\"recording.{}\"; filename*=UTF-8''{encoded}",
        recording.format
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// `GET /reports/{tempConferenceId}?e=…&s=…[&format=csv]`: the report as XLSX, or its
/// attendees as CSV.
pub async fn report(
    State(app): State<AppState>,
    Path(temp): Path<String>,
    visit: Visit,
) -> Response {
    let h = match open(&app, &visit, LinkKind::Report, &temp).await {
        Ok(h) => h,
        Err(page) => return page,
    };
    let cached = match app.after.report_answer(&h).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e.message, "a report could not be computed");
            return visit.problem(Problem::Server);
        }
    };
    let report = &cached.answer;
    let csv = visit
        .param("format")
        .is_some_and(|f| f.eq_ignore_ascii_case("csv"));
    let stem = download_name(&h.view, h.held.session.opened_ms, "");
    let stem = stem.trim_end_matches('.');
    let (bytes, mime, ext) = if csv {
        (
            report_files::csv(report).map_err(|e| e.to_string()),
            "text/csv; charset=utf-8",
            "csv",
        )
    } else {
        (
            report_files::xlsx(report).map_err(|e| e.to_string()),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "a report file could not be written");
            return visit.problem(Problem::Server);
        }
    };
    let name = format!("{stem}_report.{ext}");
    let encoded = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"report.{ext}\"; filename*=UTF-8''{encoded}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}
