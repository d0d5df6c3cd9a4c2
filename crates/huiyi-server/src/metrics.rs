//! Prometheus metrics: one recorder per process, rendered at `/metrics`.

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

/// Counts requests and their latency by route template (never by raw path, which holds ids).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    let labels = [
        ("route", route),
        ("http_status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("huiyi_http_requests_total", &labels).increment(1);
    metrics::histogram!("huiyi_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
