//! Media events as the `events` mode sends them (docs/media-events.md): realistic batches of
//! joins, hands and leaves, signed with the shared secret the way a media server signs them.

use crate::load;
use crate::preload::splitmix64;
use huiyi_wire::media::{EVENTS_PATH, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use serde_json::{Value, json};
use std::sync::Arc;

/// Events in every measured batch.
pub const BATCH: usize = 50;
/// A steady batch holds four stages of a worker's participants, a cohort each: `JOINS` new
/// ones join, the first `HANDS` of the cohort before raise their hands, those of the cohort
/// before that lower them, and the cohort before that leaves: 15 + 10 + 10 + 15 = 50.
const JOINS: u64 = 15;
const HANDS: u64 = 10;
const STAGES: [(u64, &str, u64); 4] = [
    (0, "participant.joined", JOINS),
    (1, "hand.raised", HANDS),
    (2, "hand.lowered", HANDS),
    (3, "participant.left", JOINS),
];
/// Batches a worker sends before its pipeline is full (15, 25 and 35 events); from then on
/// every batch holds [`BATCH`] events. They are sent before measuring and not counted.
pub const PRIME_BATCHES: u64 = 3;

/// A tag for this run's event ids, so that a database used again (PostgreSQL) never sees an id
/// twice: 8 hex digits from the OS-seeded hasher keys.
pub fn run_tag() -> String {
    use std::hash::{BuildHasher, RandomState};
    format!("{:08x}", RandomState::new().hash_one(0u8) as u32)
}

/// Which of `meetings` meetings participant `n` of `worker` goes to: pseudo-random, so that each
/// batch spreads over many meetings and every meeting gets participants of many workers.
pub fn meeting_of(worker: usize, n: u64, meetings: usize) -> usize {
    (splitmix64(((worker as u64) << 40) ^ n) % meetings as u64) as usize
}

fn joined(event_id: String, at: i64, conference: &str, participant: &str, n: u64) -> Value {
    json!({
        "eventId": event_id,
        "type": "participant.joined",
        "at": at,
        "conferenceId": conference,
        "participant": {
            "id": participant,
            "name": format!("Attendee {n}"),
            "role": "attendee",
            "client": "web",
            "voice": "network",
            "address": "127.0.0.1",
        },
    })
}

fn about(event_id: String, kind: &str, at: i64, conference: &str, participant: &str) -> Value {
    json!({
        "eventId": event_id,
        "type": kind,
        "at": at,
        "conferenceId": conference,
        "participantId": participant,
    })
}

/// The events of batch `b` of `worker`, all at `at` (unix ms). Participant `n` of a worker is
/// `w<worker>-p<n>`, in cohort `n / 15`; batch `b` joins cohort `b`, raises hands in `b-1`,
/// lowers them in `b-2` and lets `b-3` leave, so each participant's events come one batch
/// apart, in order. Event ids are `<run>-b<worker>-<b>-<i>`: unique within the run.
pub fn batch(run: &str, worker: usize, meetings: &[String], b: u64, at: i64) -> Vec<Value> {
    let mut events = Vec::with_capacity(BATCH);
    for (lag, kind, count) in STAGES {
        let Some(cohort) = b.checked_sub(lag) else {
            continue;
        };
        for j in 0..count {
            let n = cohort * JOINS + j;
            let conference = meetings[meeting_of(worker, n, meetings.len())].as_str();
            let event_id = format!("{run}-b{worker}-{b}-{}", events.len());
            let participant = format!("w{worker}-p{n}");
            events.push(match kind {
                "participant.joined" => joined(event_id, at, conference, &participant, n),
                _ => about(event_id, kind, at, conference, &participant),
            });
        }
    }
    events
}

/// Batch `k` of the joins that fill the live meeting: participants `live-p<50k>`…`live-p<50k+49>`.
pub fn live_joins(run: &str, conference: &str, k: u64, at: i64) -> Vec<Value> {
    (0..BATCH as u64)
        .map(|j| {
            let n = k * BATCH as u64 + j;
            joined(
                format!("{run}-live-{k}-{j}"),
                at,
                conference,
                &format!("live-p{n}"),
                n,
            )
        })
        .collect()
}

/// One worker's events, batch after batch.
#[derive(Debug)]
pub struct Stream {
    run: Arc<str>,
    worker: usize,
    meetings: Arc<[String]>,
    next: u64,
    last_at: i64,
}

impl Stream {
    pub fn new(run: Arc<str>, worker: usize, meetings: Arc<[String]>) -> Self {
        Stream {
            run,
            worker,
            meetings,
            next: 0,
            last_at: 0,
        }
    }

    /// The next batch, at `now_ms` or, should the clock not have moved since the previous
    /// batch, 1 ms after it: each participant's events are strictly increasing in `at`.
    pub fn next_batch(&mut self, now_ms: i64) -> Vec<Value> {
        let at = now_ms.max(self.last_at + 1);
        self.last_at = at;
        self.next += 1;
        batch(&self.run, self.worker, &self.meetings, self.next - 1, at)
    }
}

/// Where media events go, and the secret they are signed with.
#[derive(Debug, Clone)]
pub struct Sender {
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub secret: Arc<str>,
}

impl Sender {
    /// `POST /media/v1/events` with `{"events": events}`, signed now: `x-huiyi-timestamp` the
    /// current unix seconds, `x-huiyi-signature` the HMAC of it followed by the exact body.
    pub fn request(&self, events: Vec<Value>) -> reqwest::RequestBuilder {
        let body = serde_json::to_vec(&json!({ "events": events })).expect("JSON serialises");
        let timestamp = huiyi_domain::time::now_unix().to_string();
        let signature = sign(self.secret.as_bytes(), &timestamp, &body);
        self.client
            .post(format!("{}{EVENTS_PATH}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
    }

    /// Sends a batch; the envelope's `result` read as `R` (an error if there is none).
    pub async fn post<R: serde::de::DeserializeOwned>(
        &self,
        events: Vec<Value>,
    ) -> Result<R, String> {
        load::answer::<R>(self.request(events), true)
            .await?
            .ok_or_else(|| "the answer has no result".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn meetings(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{:09}", 100_000_000 + i)).collect()
    }

    #[test]
    fn the_pipeline_fills_then_every_batch_holds_fifty() {
        let m = meetings(200);
        let sizes: Vec<usize> = (0..6).map(|b| batch("r", 0, &m, b, 1).len()).collect();
        assert_eq!(sizes, [15, 25, 35, 50, 50, 50]);
        assert_eq!(PRIME_BATCHES, 3);
        let kinds = |b| {
            let mut k: HashMap<String, usize> = HashMap::new();
            for e in batch("r", 0, &m, b, 1) {
                *k.entry(e["type"].as_str().unwrap().to_owned()).or_default() += 1;
            }
            k
        };
        let steady = kinds(7);
        assert_eq!(steady["participant.joined"], 15);
        assert_eq!(steady["hand.raised"], 10);
        assert_eq!(steady["hand.lowered"], 10);
        assert_eq!(steady["participant.left"], 15);
    }

    #[test]
    fn event_ids_are_unique_and_participants_follow_their_life() {
        let m = meetings(200);
        let mut ids = HashSet::new();
        // participant → (meeting, the types seen in order, their times)
        let mut life: HashMap<String, (String, Vec<String>, Vec<i64>)> = HashMap::new();
        for worker in 0..4 {
            let mut s = Stream::new("r".into(), worker, m.clone().into());
            for _ in 0..20 {
                // A frozen clock: times must still increase.
                for e in s.next_batch(1_700_000_000_000) {
                    assert!(ids.insert(e["eventId"].as_str().unwrap().to_owned()));
                    let who = e["participantId"]
                        .as_str()
                        .or_else(|| e["participant"]["id"].as_str())
                        .unwrap()
                        .to_owned();
                    let entry = life
                        .entry(who)
                        .or_insert_with(|| (e["conferenceId"].to_string(), vec![], vec![]));
                    assert_eq!(entry.0, e["conferenceId"].to_string(), "same meeting");
                    entry.1.push(e["type"].as_str().unwrap().to_owned());
                    entry.2.push(e["at"].as_i64().unwrap());
                }
            }
        }
        assert_eq!(ids.len(), 4 * (15 + 25 + 35 + 17 * 50));
        let full = [
            "participant.joined",
            "hand.raised",
            "hand.lowered",
            "participant.left",
        ];
        let quiet = ["participant.joined", "participant.left"];
        let mut finished = 0;
        for (who, (_, kinds, ats)) in &life {
            assert!(
                ats.is_sorted() && ats.windows(2).all(|w| w[0] < w[1]),
                "{who}"
            );
            assert_eq!(kinds[0], "participant.joined", "{who}");
            if kinds.len() == 4 || (kinds.len() == 2 && kinds[1] == "participant.left") {
                assert!(kinds == &full || kinds == &quiet, "{who}: {kinds:?}");
                finished += 1;
            }
        }
        // Cohorts 0..=16 of each worker have left by batch 19.
        assert_eq!(finished, 4 * 17 * 15);
    }

    #[test]
    fn events_spread_over_the_meetings() {
        let m = meetings(200);
        let mut used = HashSet::new();
        for worker in 0..32 {
            for b in 0..20 {
                for e in batch("r", worker, &m, b, 1) {
                    used.insert(e["conferenceId"].as_str().unwrap().to_owned());
                }
            }
        }
        assert_eq!(used.len(), 200);
        let one: HashSet<_> = batch("r", 0, &m, 9, 1)
            .iter()
            .map(|e| e["conferenceId"].to_string())
            .collect();
        assert!(one.len() > 30, "{}", one.len());
    }

    #[test]
    fn events_have_the_documented_shapes() {
        let m = meetings(1);
        let b = batch("r1", 3, &m, 3, 1_700_000_000_123);
        assert_eq!(
            b[0],
            json!({"eventId": "r1-b3-3-0", "type": "participant.joined", "at": 1_700_000_000_123_i64,
                   "conferenceId": "100000000",
                   "participant": {"id": "w3-p45", "name": "Attendee 45", "role": "attendee",
                                   "client": "web", "voice": "network", "address": "127.0.0.1"}})
        );
        assert_eq!(
            b[49],
            json!({"eventId": "r1-b3-3-49", "type": "participant.left", "at": 1_700_000_000_123_i64,
                   "conferenceId": "100000000", "participantId": "w3-p14"})
        );
        // The server's own parser takes the batch.
        let body = serde_json::to_vec(&json!({ "events": b })).unwrap();
        assert_eq!(huiyi_wire::media::parse_batch(&body).unwrap().len(), 50);
    }

    #[test]
    fn live_joins_are_fifty_distinct_people() {
        let all: Vec<Value> = (0..10).flat_map(|k| live_joins("r", "123", k, 5)).collect();
        let people: HashSet<_> = all
            .iter()
            .map(|e| e["participant"]["id"].to_string())
            .collect();
        let ids: HashSet<_> = all.iter().map(|e| e["eventId"].to_string()).collect();
        assert_eq!((all.len(), people.len(), ids.len()), (500, 500, 500));
        let body = serde_json::to_vec(&json!({ "events": live_joins("r", "123", 0, 5) })).unwrap();
        assert_eq!(huiyi_wire::media::parse_batch(&body).unwrap().len(), 50);
    }

    #[test]
    fn requests_are_signed_over_the_exact_body() {
        let sender = Sender {
            client: reqwest::Client::new(),
            base: "http://127.0.0.1:1".into(),
            secret: "s3cret".into(),
        };
        let req = sender
            .request(live_joins("r", "123", 0, 5))
            .build()
            .unwrap();
        assert_eq!(req.url().as_str(), "http://127.0.0.1:1/media/v1/events");
        let header = |name: &str| req.headers()[name].to_str().unwrap().to_owned();
        let body = req.body().unwrap().as_bytes().unwrap();
        let ts = header(TIMESTAMP_HEADER);
        huiyi_wire::media::verify(
            b"s3cret",
            Some(&ts),
            Some(&header(SIGNATURE_HEADER)),
            body,
            ts.parse().unwrap(),
        )
        .unwrap();
        assert_eq!(header("content-type"), "application/json");
    }

    #[test]
    fn run_tags_differ() {
        assert_eq!(run_tag().len(), 8);
        assert_ne!(run_tag(), run_tag());
    }
}
