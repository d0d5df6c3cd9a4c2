//! Live meetings: the hub that tells every connected page what was recorded, across replicas,
//! and the rules for letting someone into a meeting from the browser.
//!
//! Every fact stored through [`super::Sessions`] — from a media server or from a page — is
//! published here once it is durable. Each replica delivers it to its own sockets; on
//! PostgreSQL it also goes out over `NOTIFY`, and every other replica delivers it to theirs.
//!
//! The hub carries facts only: each page's socket folds them with the session fold
//! (`huiyi_domain::session::SessionFold`) and sends the page the changes it computed.

use huiyi_domain::Fact;
use huiyi_store::RecordedFact;
use huiyi_store_postgres::fanout::{MAX_PAYLOAD, PgFanout};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

const CHANNEL: &str = "huiyi_live";
/// Facts a slow page may fall behind by before it must resynchronise.
const BACKLOG: usize = 1024;

/// A meeting: booking event id and occurrence key.
pub type MeetingKey = (i64, i64);

/// One published fact.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveFact {
    pub session_id: i64,
    pub at_ms: i64,
    pub fact: Fact,
}

#[derive(Serialize, Deserialize)]
struct Notice {
    /// The replica that recorded it (it has delivered it already).
    r: String,
    e: i64,
    o: i64,
    f: Vec<LiveFact>,
}

#[derive(Clone)]
pub struct LiveHub {
    inner: Arc<Inner>,
}

/// Told the event id of every meeting a fact arrives for, from this replica or another.
type OnChange = Arc<dyn Fn(i64) + Send + Sync>;

struct Inner {
    replica: String,
    meetings: Mutex<HashMap<MeetingKey, broadcast::Sender<Arc<LiveFact>>>>,
    fanout: Option<PgFanout>,
    on_change: std::sync::OnceLock<OnChange>,
}

impl LiveHub {
    /// A hub for one process only (SQLite: one server per database).
    pub fn local() -> Self {
        Self::with(None)
    }

    fn with(fanout: Option<PgFanout>) -> Self {
        LiveHub {
            inner: Arc::new(Inner {
                replica: uuid::Uuid::new_v4().simple().to_string(),
                meetings: Mutex::default(),
                fanout,
                on_change: std::sync::OnceLock::new(),
            }),
        }
    }

    /// A hub shared with the other replicas on this PostgreSQL database.
    pub async fn postgres(url: &str) -> Result<Self, huiyi_store::StoreError> {
        let fanout = PgFanout::connect(url).await?;
        let mut notices = fanout.listen(CHANNEL).await?;
        let hub = Self::with(Some(fanout));
        let me = hub.clone();
        tokio::spawn(async move {
            while let Some(payload) = notices.recv().await {
                match serde_json::from_str::<Notice>(&payload) {
                    Ok(n) if n.r != me.inner.replica => me.deliver((n.e, n.o), n.f),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "unreadable live notice ignored"),
                }
            }
        });
        Ok(hub)
    }

    /// Calls `f` with the event id of each meeting a fact is delivered for (set once: the hot
    /// meeting state drops its entry).
    pub fn on_change(&self, f: impl Fn(i64) + Send + Sync + 'static) {
        let _ = self.inner.on_change.set(Arc::new(f));
    }

    /// Facts about this meeting from now on.
    pub fn subscribe(&self, key: MeetingKey) -> broadcast::Receiver<Arc<LiveFact>> {
        let mut meetings = self.lock();
        meetings.retain(|_, tx| tx.receiver_count() > 0);
        meetings
            .entry(key)
            .or_insert_with(|| broadcast::channel(BACKLOG).0)
            .subscribe()
    }

    /// Publishes what a batch stored, here and to the other replicas.
    pub async fn publish(&self, recorded: &[RecordedFact]) {
        let mut by_meeting: HashMap<MeetingKey, Vec<LiveFact>> = HashMap::new();
        for r in recorded {
            by_meeting
                .entry((r.event_id, r.occurrence))
                .or_default()
                .push(LiveFact {
                    session_id: r.session_id,
                    at_ms: r.at_ms,
                    fact: r.fact.clone(),
                });
        }
        for (key, facts) in by_meeting {
            if let Some(fanout) = &self.inner.fanout {
                for chunk in notices(&self.inner.replica, key, &facts) {
                    if let Err(e) = fanout.notify(CHANNEL, &chunk).await {
                        crate::metrics::fanout_failed("postgres");
                        tracing::warn!(error = %e, "live notice not sent to other replicas");
                    }
                }
            }
            self.deliver(key, facts);
        }
    }

    fn deliver(&self, key: MeetingKey, facts: Vec<LiveFact>) {
        if let Some(changed) = self.inner.on_change.get() {
            changed(key.0);
        }
        let tx = self.lock().get(&key).cloned();
        if let Some(tx) = tx {
            for f in facts {
                // No receiver left is fine: nobody is watching.
                let _ = tx.send(Arc::new(f));
            }
        }
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<MeetingKey, broadcast::Sender<Arc<LiveFact>>>> {
        // Single inserts and removals cannot leave the map half-changed.
        self.inner
            .meetings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}

/// Notices of at most [`MAX_PAYLOAD`] bytes carrying these facts.
fn notices(replica: &str, key: MeetingKey, facts: &[LiveFact]) -> Vec<String> {
    let encode = |f: &[LiveFact]| {
        serde_json::to_string(&Notice {
            r: replica.to_owned(),
            e: key.0,
            o: key.1,
            f: f.to_vec(),
        })
        .unwrap_or_default()
    };
    let whole = encode(facts);
    if whole.len() <= MAX_PAYLOAD || facts.len() == 1 {
        return if whole.len() <= MAX_PAYLOAD {
            vec![whole]
        } else {
            crate::metrics::fanout_failed("postgres");
            tracing::warn!("a live fact too large to send to other replicas was dropped");
            Vec::new()
        };
    }
    let (a, b) = facts.split_at(facts.len() / 2);
    let mut out = notices(replica, key, a);
    out.extend(notices(replica, key, b));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use huiyi_domain::session::Participant;

    fn joined(id: &str, name_len: usize) -> LiveFact {
        LiveFact {
            session_id: 1,
            at_ms: 5,
            fact: Fact::ParticipantJoined {
                participant: Participant {
                    id: id.into(),
                    name: "名".repeat(name_len),
                    ..Default::default()
                },
            },
        }
    }

    #[test]
    fn large_batches_are_split_into_notices_that_fit() {
        let facts: Vec<LiveFact> = (0..50).map(|i| joined(&format!("p{i}"), 200)).collect();
        let out = notices("r", (1, 0), &facts);
        assert!(out.len() > 1);
        let mut back = 0;
        for n in &out {
            assert!(n.len() <= MAX_PAYLOAD);
            back += serde_json::from_str::<Notice>(n).unwrap().f.len();
        }
        assert_eq!(back, 50, "nothing lost in the split");
    }

    #[tokio::test]
    async fn subscribers_of_a_meeting_get_its_facts_only() {
        let hub = LiveHub::local();
        let mut a = hub.subscribe((1, 0));
        let mut b = hub.subscribe((2, 0));
        let rec = |e| RecordedFact {
            session_id: 9,
            event_id: e,
            occurrence: 0,
            at_ms: 1,
            fact: Fact::RoomLocked,
        };
        hub.publish(&[rec(1)]).await;
        assert_eq!(a.recv().await.unwrap().fact, Fact::RoomLocked);
        assert!(b.try_recv().is_err());
    }
}
