//! A plain WebSocket client for the join page's live socket.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The link code of a join URL `<public>/k/<code>`.
pub fn code_of(url: &Value) -> String {
    url.as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

pub struct Page {
    pub ws: Socket,
    /// What the server said first (`joined` or `refused`).
    pub hello: Value,
}

pub async fn open(app_url: &str, code: &str, join: Value) -> Page {
    open_path(app_url, &format!("/live/{code}"), join).await
}

/// Connects to `path` (e.g. `/live/<code>?token=…`) and sends the join message.
pub async fn open_path(app_url: &str, path: &str, join: Value) -> Page {
    let url = format!("{}{path}", app_url.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    ws.send(Message::text(join.to_string())).await.unwrap();
    let hello = next(&mut ws).await;
    Page { ws, hello }
}

/// A `join` as the page sends it (the wire crate's own message).
pub fn join(name: &str, client: &str) -> Value {
    let m = huiyi_wire::live::ClientMessage::join(name, &format!("{client}-0000000000"));
    serde_json::to_value(m).unwrap()
}

/// The next JSON message (pings are not sent by the server).
pub async fn next(ws: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("socket open")
            .expect("no socket error");
        if let Message::Text(t) = m {
            // Every frame is one of the wire crate's server messages, exactly.
            let typed: huiyi_wire::live::ServerMessage = serde_json::from_str(t.as_str())
                .unwrap_or_else(|e| panic!("not a ServerMessage ({e}): {t}"));
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            assert_eq!(serde_json::to_value(&typed).unwrap(), v, "round trip");
            return v;
        }
        if let Message::Close(_) = m {
            return json!({"type": "closed"});
        }
    }
}

/// Reads messages until one satisfies `want`.
pub async fn until(ws: &mut Socket, want: impl Fn(&Value) -> bool) -> Value {
    loop {
        let m = next(ws).await;
        if want(&m) {
            return m;
        }
        assert_ne!(m["type"], "closed", "closed before the expected message");
    }
}

pub fn fact_of(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["type"] == "fact" && m["fact"]["type"] == kind
}

pub async fn send(ws: &mut Socket, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The `wsPath` a join page hands its script.
pub fn ws_path(html: &str) -> String {
    let start = html.find("\"wsPath\":\"").expect("a wsPath in the page") + 10;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("\\u0026", "&")
}
