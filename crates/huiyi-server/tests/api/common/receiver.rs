//! A real HTTP receiver for webhooks on 127.0.0.1: it records every request and answers with
//! the status a test sets (after an optional delay).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// When the request arrived (before any delay of the answer).
    pub at: Instant,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// `data.conferenceId` of the body.
    pub fn conference_id(&self) -> String {
        let v = self.json();
        v["data"]["conferenceId"]
            .as_str()
            .expect("data.conferenceId")
            .to_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Checks the signature with the Standard Webhooks reference library (not our code).
    pub fn verify(&self, secret: &str) -> Result<(), String> {
        let wh = standardwebhooks::Webhook::new(secret).map_err(|e| format!("{e:?}"))?;
        let mut h = http::HeaderMap::new();
        for (k, v) in &self.headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        wh.verify(&self.body, &h).map_err(|e| format!("{e:?}"))
    }
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    retry_after: Arc<Mutex<Option<String>>>,
}

pub struct Receiver {
    pub port: u16,
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn record(
    State(s): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap) {
    let arrived = Instant::now();
    let delay = s.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    s.got.lock().unwrap().push(Received {
        at: arrived,
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let mut answer = HeaderMap::new();
    if let Some(v) = s.retry_after.lock().unwrap().as_deref() {
        answer.insert("retry-after", v.parse().unwrap());
    }
    (
        StatusCode::from_u16(s.status.load(Ordering::Relaxed)).unwrap(),
        answer,
    )
}

impl Receiver {
    /// Listens on a free port of 127.0.0.1, answering 204.
    pub async fn start() -> Receiver {
        Self::start_on(0).await
    }

    /// Listens on `port` (0: a free one).
    pub async fn start_on(port: u16) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the receiver");
        let port = listener.local_addr().unwrap().port();
        let shared = Shared::default();
        shared.status.store(204, Ordering::Relaxed);
        let app = Router::new()
            .route("/{*path}", post(record))
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Receiver {
            port,
            shared,
            stop: Some(tx),
        }
    }

    /// The URL of `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::Relaxed);
    }

    /// The `Retry-After` of the answers from now on.
    pub fn retry_after(&self, value: Option<&str>) {
        *self.shared.retry_after.lock().unwrap() = value.map(str::to_owned);
    }

    pub fn delay(&self, ms: u64) {
        self.shared.delay_ms.store(ms, Ordering::Relaxed);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived (at most `within`); all of them.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let since = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                since.elapsed() < within,
                "{} of {n} requests arrived within {within:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops listening (requests then find the port closed).
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}
