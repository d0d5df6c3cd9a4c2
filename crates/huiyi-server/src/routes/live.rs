//! The live WebSocket of the browser join page (protocol in `docs/join-page.md`).

use crate::app::AppState;
use crate::services::live_socket::{self, Entry};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use std::collections::HashMap;
use std::net::SocketAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/live/by-id/{conference_id}", get(by_conference))
        .route("/live/{code}", get(by_link))
}

/// Through a short link `/k/<code>`: the link says host or attendee.
async fn by_link(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ws: WebSocketUpgrade,
) -> Response {
    let entry = Entry::Link {
        code,
        token: query.get("token").cloned(),
        wuid: query.get("wuid").and_then(|w| w.parse().ok()),
    };
    upgrade(app, entry, peer, ws)
}

/// Through the meeting number: the passcode in the join message says host or attendee.
async fn by_conference(
    State(app): State<AppState>,
    Path(conference_id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ws: WebSocketUpgrade,
) -> Response {
    upgrade(app, Entry::Conference(conference_id), peer, ws)
}

/// `serve` provides the peer address (it serves with `into_make_service_with_connect_info`).
fn upgrade(app: AppState, entry: Entry, peer: SocketAddr, ws: WebSocketUpgrade) -> Response {
    let address = peer.ip().to_string();
    ws.max_message_size(16 * 1024)
        .on_upgrade(move |socket| live_socket::run(app, entry, address, socket))
}
