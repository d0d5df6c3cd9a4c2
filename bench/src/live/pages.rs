//! One page on the live socket: connecting, joining, listening for the probe's changes, and
//! closing.

use super::*;

/// Errors counted across tasks, with the first one kept to show.
#[derive(Default)]
pub(super) struct Errors {
    pub(super) count: AtomicU64,
    pub(super) first: Mutex<Option<String>>,
}

impl Errors {
    pub(super) fn add(&self, what: impl FnOnce() -> String) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(what());
        }
    }

    pub(super) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub(super) fn first(&self) -> Option<String> {
        self.first.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A listener heard of a change of a probe.
pub(super) struct Receipt {
    pub(super) listener: usize,
    pub(super) change: Change,
    pub(super) id: String,
    pub(super) at: Instant,
}

/// What the listeners share with the bench.
pub(super) struct Shared {
    pub(super) receipts: mpsc::UnboundedSender<Receipt>,
    /// `w-bench-<run>-probe-`: the facts the listeners pass on.
    pub(super) probe_prefix: String,
    pub(super) errors: Errors,
    pub(super) resyncs: AtomicU64,
    /// Listeners whose socket is open (admitted and not yet closed or dropped).
    pub(super) open: AtomicU64,
}

/// Connects to `url` (Nagle off, so small frames go out at once).
pub(super) async fn connect(url: &str) -> Result<Socket, String> {
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    Ok(ws)
}

/// Reads frames until `joined` (admitted); anything that ends the page first is an error.
pub(super) async fn await_joined(ws: &mut Socket) -> Result<(), String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => match hear(t.as_str()) {
                Heard::Joined { waiting: false } => return Ok(()),
                Heard::Joined { waiting: true } => {
                    return Err("put in the waiting room, not admitted".into());
                }
                Heard::Gone(what) => return Err(format!("the server said {what}")),
                _ => {}
            },
            Some(Ok(Message::Close(c))) => return Err(format!("closed before joined ({c:?})")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("before joined: {e}")),
            None => return Err("the socket ended before joined".into()),
        }
    }
}

/// Connects, sends `join` and waits for `joined`.
pub(super) async fn enter(url: &str, join: String) -> Result<Socket, String> {
    let mut ws = connect(url).await?;
    ws.send(Message::text(join))
        .await
        .map_err(|e| format!("join not sent: {e}"))?;
    await_joined(&mut ws).await?;
    Ok(ws)
}

/// Sends our close frame and reads until the server's; an error other than the socket being
/// closed already, or a server that does not close within [`CLOSE_WITHIN`], is answered.
pub(super) async fn close(ws: &mut Socket) -> Result<(), String> {
    let closing = async {
        match ws.close(None).await {
            Ok(())
            | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {}
            Err(e) => return Err(format!("close: {e}")),
        }
        // Facts may still come before the server's close frame; an error after our close frame
        // (e.g. a reset) still means closed.
        while let Some(Ok(_)) = ws.next().await {}
        Ok(())
    };
    tokio::time::timeout(CLOSE_WITHIN, closing)
        .await
        .unwrap_or_else(|_| Err(format!("not closed within {} s", CLOSE_WITHIN.as_secs())))
}

/// One listener: enters (holding a permit of `gate` meanwhile) and reports how long that took
/// on `entered`; then pings, passes on the probes' facts, and closes when `stop` changes.
pub(super) async fn listener(
    i: usize,
    url: Arc<str>,
    run: Arc<str>,
    gate: Arc<Semaphore>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    entered: mpsc::UnboundedSender<Result<Duration, String>>,
) {
    let join = join_message(&format!("p{i}"), &client_id(&run, &i.to_string()));
    let mut ws = {
        let Ok(_permit) = gate.acquire().await else {
            return;
        };
        let started = Instant::now();
        let outcome = match tokio::time::timeout(JOINED_WITHIN, enter(&url, join)).await {
            Ok(Ok(ws)) => Ok((ws, started.elapsed())),
            Ok(Err(e)) => Err(format!("listener {i}: {e}")),
            Err(_) => Err(format!(
                "listener {i}: not joined within {} s",
                JOINED_WITHIN.as_secs()
            )),
        };
        match outcome {
            Ok((ws, took)) => {
                shared.open.fetch_add(1, Ordering::Relaxed);
                let _ = entered.send(Ok(took));
                ws
            }
            Err(e) => {
                let _ = entered.send(Err(e));
                return;
            }
        }
    };
    drop(entered);
    let dropped = |what: String| {
        shared.open.fetch_sub(1, Ordering::Relaxed);
        shared.errors.add(|| format!("listener {i}: {what}"));
    };
    let ping_text = ClientMessage::Ping.to_text();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = ping.tick() => {
                if let Err(e) = ws.send(Message::text(ping_text.clone())).await {
                    return dropped(format!("ping not sent: {e}"));
                }
            }
            frame = ws.next() => {
                let at = Instant::now();
                let text = match frame {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(c))) => {
                        return dropped(format!("closed by the server ({c:?})"));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return dropped(format!("socket failed: {e}")),
                    None => return dropped("the socket ended".into()),
                };
                match hear(text.as_str()) {
                    Heard::Fact { change, id } if id.starts_with(&shared.probe_prefix) => {
                        let _ = shared.receipts.send(Receipt { listener: i, change, id, at });
                    }
                    Heard::Resync => {
                        shared.resyncs.fetch_add(1, Ordering::Relaxed);
                    }
                    Heard::Gone(what) => return dropped(format!("the server said {what}")),
                    Heard::Error(msg) => shared.errors.add(|| format!("listener {i}: error: {msg}")),
                    _ => {}
                }
            }
        }
    }
    shared.open.fetch_sub(1, Ordering::Relaxed);
    if let Err(e) = close(&mut ws).await {
        shared.errors.add(|| format!("listener {i}: {e}"));
    }
}

/// Waits until each of `listeners` has passed on `change` of participant `id` (once each), or
/// [`FANOUT_WITHIN`] after `sent`; records each latency from `sent`. Answers how many missed it.
pub(super) async fn collect(
    receipts: &mut mpsc::UnboundedReceiver<Receipt>,
    change: Change,
    id: &str,
    sent: Instant,
    listeners: usize,
    expected: u64,
    rec: &mut Recorder,
) -> u64 {
    let deadline = tokio::time::Instant::from_std(sent + FANOUT_WITHIN);
    let mut seen = vec![false; listeners];
    let mut got = 0u64;
    while got < expected {
        match tokio::time::timeout_at(deadline, receipts.recv()).await {
            Ok(Some(r)) => {
                if r.change == change && r.id == id && !seen[r.listener] {
                    seen[r.listener] = true;
                    got += 1;
                    rec.ok(r.at.saturating_duration_since(sent));
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    expected - got
}
