//! Application state, the router, and `serve` with an injected listener (tests bind
//! `127.0.0.1:0`, pass the listener in and wait on `/readyz`).

use crate::call::{RequestId, envelope_response, new_request_id, refusal};
use crate::clock::Clock;
use crate::config::Config;
use crate::routes;
use crate::services::{After, Bookings, Credentials, Joining, LiveHub, Meetings, Rooms, Sessions};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use huiyi_store::Store;
use huiyi_wire::Code;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tracing::Instrument;

/// Everything a request may need. Cloned for every request (axum hands each handler its own),
/// so it is one `Arc`: a clone is one reference count, not one per service and cache.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub struct AppParts {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub credentials: Credentials,
    pub meetings: Meetings,
    pub bookings: Bookings,
    pub sessions: Sessions,
    pub joining: Joining,
    pub after: After,
    pub rooms: Rooms,
}

impl AppState {
    /// State for one process: live pages are told of what this process records (and of what
    /// media servers send it).
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        Self::with_hub(store, config, LiveHub::local())
    }

    /// State whose live pages hear of every replica's facts when the database is PostgreSQL
    /// (`LISTEN`/`NOTIFY`); a SQLite database has one server, so its hub is local.
    pub async fn for_database(store: Arc<dyn Store>, config: Config) -> anyhow::Result<Self> {
        let hub = if store.backend() == "postgres" {
            LiveHub::postgres(&config.database_url)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen for live events: {e}"))?
        } else {
            LiveHub::local()
        };
        Ok(Self::with_hub(store, config, hub))
    }

    pub fn with_hub(store: Arc<dyn Store>, config: Config, hub: LiveHub) -> Self {
        Self::with_clock(store, config, hub, Clock::system())
    }

    /// State on a clock of the caller's: tests set the time instead of waiting for it.
    pub fn with_clock(store: Arc<dyn Store>, config: Config, hub: LiveHub, clock: Clock) -> Self {
        let config = Arc::new(config);
        let meetings = Meetings::new(store.clone());
        hub.on_change({
            let meetings = meetings.clone();
            move |event_id| meetings.forget(event_id)
        });
        let bookings = Bookings::new(
            store.clone(),
            meetings.clone(),
            clock.clone(),
            config.smtp_url.is_some(),
            config.sms_webhook_url.is_some(),
        );
        let sessions = Sessions::new(
            store.clone(),
            bookings.clone(),
            meetings.clone(),
            hub,
            clock.clone(),
        );
        // A directory that cannot be made leaves recordings unwritable, and says so on each
        // use; the rest of the server runs.
        let files = crate::adapters::files::Files::from_config(&config).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the recording store is not usable");
            crate::adapters::files::Files::unusable(&e.to_string())
        });
        let after = After::new(
            store.clone(),
            files,
            sessions.clone(),
            config.clone(),
            clock.clone(),
        );
        let rooms = Rooms::new(
            store.clone(),
            meetings.clone(),
            clock.clone(),
            config.access_numbers.0.clone(),
        );
        Self(Arc::new(AppParts {
            after,
            rooms,
            joining: Joining::new(
                store.clone(),
                bookings.clone(),
                meetings.clone(),
                &config.public_url,
            ),
            sessions,
            bookings,
            meetings,
            credentials: Credentials::default(),
            clock,
            store,
            config,
        }))
    }
}

pub fn router(state: AppState) -> Router {
    // Installed before the first request so no measurement falls into the no-op recorder.
    crate::metrics::handle();
    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(routes::health::routes())
        .merge(routes::v1::routes())
        .merge(routes::after::routes())
        .merge(routes::room::routes())
        .merge(routes::rooms::routes())
        .merge(routes::launch::routes())
        .merge(routes::media::routes())
        .merge(routes::live::routes())
        .merge(routes::pages::routes())
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(middleware::from_fn(with_request_id))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// Gives every request an id, in its span and (through `Call`) in the envelope.
async fn with_request_id(mut req: Request, next: Next) -> Response {
    let id = new_request_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    next.run(req).instrument(span).await
}

async fn unknown_path(req: Request) -> Response {
    let msg = format!(
        "there is no endpoint at {}; check the path against the API reference",
        req.uri().path()
    );
    refusal(&req, Code::UnknownPath, msg)
}

async fn method_not_allowed(req: Request) -> Response {
    let msg = format!(
        "{} is not accepted at {}; most endpoints take POST",
        req.method(),
        req.uri().path()
    );
    refusal(&req, Code::MethodNotAllowed, msg)
}

/// A panic is a bug; the client still gets the envelope, never a dropped connection.
fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    envelope_response(
        huiyi_wire::Family::V1,
        Code::Internal.number(),
        serde_json::Value::Null,
        "the server failed; report the time of the request".to_owned(),
        &new_request_id(),
        Instant::now(),
    )
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let deliveries =
        crate::workers::Deliveries::new(state.clone()).map_err(std::io::Error::other)?;
    let delivering = tokio::spawn(deliveries.run(stopped.clone()));
    let uploads = tokio::spawn(crate::workers::Uploads::new(state.clone()).run(stopped.clone()));
    let worker = tokio::spawn(crate::workers::IdleSessions::new(state.clone()).run(stopped));
    // Peer addresses go into session facts (the IP a participant joined from).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop.send(true);
    let _ = worker.await;
    let _ = uploads.await;
    let _ = delivering.await;
    served
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
