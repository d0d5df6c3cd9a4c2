//! Prometheus metrics: one recorder per process, rendered at `/metrics`.

use crate::call::VendorCode;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder on first use (tests start many servers in one process).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed by an embedding program; then ours
            // simply renders nothing, which is better than refusing to start.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts requests and their latency by route template (never by raw path, which holds ids),
/// HTTP status and the envelope's vendor code (`code`, "0" for success, "-" for answers that
/// are not envelopes: pages, sockets, metrics).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    let code = response
        .extensions()
        .get::<VendorCode>()
        .map_or_else(|| "-".to_owned(), |c| c.0.to_string());
    let labels = [
        ("route", route),
        ("http_status", response.status().as_u16().to_string()),
        ("code", code),
    ];
    metrics::counter!("huiyi_http_requests_total", &labels).increment(1);
    metrics::histogram!("huiyi_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Live pages connected to this replica now.
pub fn live_socket_opened() {
    metrics::gauge!("huiyi_live_sockets").increment(1.0);
}

pub fn live_socket_closed() {
    metrics::gauge!("huiyi_live_sockets").decrement(1.0);
}

/// A live event that could not be sent to other replicas (the fan-out): their pages miss it
/// until they next resynchronise.
pub fn fanout_failed(backend: &'static str) {
    metrics::counter!("huiyi_live_fanout_failures_total", "backend" => backend).increment(1);
}
