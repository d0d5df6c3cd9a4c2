//! Test harness: a server per test on its own database (a temp SQLite file, or a fresh
//! PostgreSQL database when `HUIYI_TEST_POSTGRES_URL` is set), bound to `127.0.0.1:0`.
#![allow(dead_code)]

pub mod process;
pub mod receiver;
pub mod shape;
pub mod socket;

use huiyi_domain::SessionState;
use huiyi_server::config::AccessNumberConfig;
use huiyi_server::{AppState, Config};
use huiyi_store::testing::{Inspect, ParticipantState};
use huiyi_store::{ImportData, Store};
use serde_json::{Value, json};
use std::sync::Arc;

pub const KEY_A: &str = "test-key-customer-a-0123456789abcdef";
pub const ADMIN_KEY_A: &str = "test-admin-key-customer-a-0123456789";
pub const KEY_B: &str = "test-key-customer-b-0123456789abcdef";
pub const HOST_A: i64 = 81299515;
pub const HOST_A2: i64 = 4307081;
pub const ADMIN_A: i64 = 12345824;
pub const INVITEE_A: i64 = 87679779;
pub const HOST_B: i64 = 88415897;
pub const HOST_A_EMAIL: &str = "eyh1@test1.com";
/// Rooms of customer A (A also has room 10935, the examples' own).
pub const ROOM_A: i64 = 6518;
pub const ROOM_A2: i64 = 6515;
/// A room of A whose bookings wait for an admin's approval.
pub const ROOM_APPROVAL: i64 = 7001;
/// Customer B's room.
pub const ROOM_B: i64 = 20001;

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    /// The server's state: tests call its workers' steps directly.
    pub state: AppState,
    pub database_url: String,
    /// Where this server keeps recording files (replicas share it, as they would a bucket).
    pub recordings_dir: std::path::PathBuf,
    recordings: Arc<tempfile::TempDir>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _db: Option<DbGuard>,
}

pub enum DbGuard {
    Sqlite(tempfile::TempDir),
    Postgres(huiyi_store_postgres::testing::TestDatabase),
}

pub fn backend() -> &'static str {
    if std::env::var("HUIYI_TEST_POSTGRES_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// A fresh, migrated database for one test.
pub async fn fresh_database() -> (String, DbGuard) {
    match std::env::var("HUIYI_TEST_POSTGRES_URL") {
        Ok(base) => {
            let (url, db) = huiyi_store_postgres::testing::fresh_database(&base)
                .await
                .expect("create a PostgreSQL test database");
            (url, DbGuard::Postgres(db))
        }
        Err(_) => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/huiyi.db", dir.path().display());
            (url, DbGuard::Sqlite(dir))
        }
    }
}

/// A fresh database (as [`fresh_database`]) with the [`fixtures`] imported, and a store on it.
pub async fn seeded_database() -> (String, DbGuard, Arc<dyn Store>) {
    let (url, guard) = fresh_database().await;
    let store = huiyi_server::store::open(&url).await.expect("open store");
    store
        .import(&fixtures(), huiyi_domain::time::now_unix())
        .await
        .expect("import fixtures");
    (url, guard, store)
}

/// POSTs `body` with `key` to `path` on the server at `url`; the envelope, whatever its status.
pub async fn post_to(
    client: &reqwest::Client,
    url: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> Value {
    let r = client
        .post(format!("{url}{path}"))
        .header("token", key)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{url}{path}");
    r.json().await.expect("every answer is a JSON envelope")
}

/// Posts a batch to the media event interface of the server at `url` with the given timestamp
/// and signature headers: the HTTP status and the envelope.
pub async fn post_media(
    client: &reqwest::Client,
    url: &str,
    ts: &str,
    sig: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let r = client
        .post(format!("{url}/media/v1/events"))
        .header("content-type", "application/json")
        .header("x-huiyi-timestamp", ts)
        .header("x-huiyi-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.expect("a JSON envelope"))
}

/// Reads of the database's rows that no service makes, for assertions.
async fn inspector(database_url: &str) -> Box<dyn Inspect> {
    if database_url.starts_with("sqlite:") {
        let rows = huiyi_store_sqlite::testing::Inspector::connect(database_url).await;
        Box::new(rows.expect("inspect the SQLite database"))
    } else {
        let rows = huiyi_store_postgres::testing::Inspector::connect(database_url).await;
        Box::new(rows.expect("inspect the PostgreSQL database"))
    }
}

/// Every session of a booking, oldest first.
pub async fn sessions_of(database_url: &str, event_id: i64) -> Vec<SessionState> {
    let rows = inspector(database_url).await;
    rows.sessions_of(event_id).await.expect("read the sessions")
}

/// A session's participants with their live state.
pub async fn session_participants(database_url: &str, session_id: i64) -> Vec<ParticipantState> {
    let rows = inspector(database_url).await;
    let people = rows.session_participants(session_id).await;
    people.expect("read the participants")
}

/// The media secret every test server is started with.
pub const MEDIA_SECRET: &str = "test-media-secret-0123456789";

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A test server whose configuration `adjust` may change first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (database_url, guard) = fresh_database().await;
    serve_on(database_url, Some(guard), adjust, false, None).await
}

/// A test server whose live pages share the database's fan-out (PostgreSQL `LISTEN`/`NOTIFY`),
/// as `huiyi serve` does; [`TestApp::replica`] starts another on the same database.
/// An app whose workers never run on their own (tests step them with
/// [`TestApp::close_idle_at`]), with the given session grace period.
pub async fn spawn_app_stepped(grace_secs: u64) -> TestApp {
    spawn_app_with(|c| {
        c.session_grace_secs = grace_secs;
        c.worker_tick_ms = Some(NEVER_MS);
    })
    .await
}

pub async fn spawn_app_replicated() -> TestApp {
    let (database_url, guard) = fresh_database().await;
    serve_on(database_url, Some(guard), |_| {}, true, None).await
}

/// A worker tick no test waits for: the test runs the worker's step itself.
pub const NEVER_MS: u64 = 24 * 3600 * 1000;

impl TestApp {
    /// Runs the session worker's step as if the clock read `now_ms`; how many it closed.
    pub async fn close_idle_at(&self, now_ms: i64) -> usize {
        huiyi_server::workers::IdleSessions::new(self.state.clone())
            .run_once(now_ms)
            .await
            .expect("the session worker's step")
    }

    /// Another server on this one's database, with the shared fan-out.
    pub async fn replica(&self) -> TestApp {
        self.replica_with(|_| {}).await
    }

    /// As [`TestApp::replica`], with settings of its own.
    pub async fn replica_with(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        serve_on(
            self.database_url.clone(),
            None,
            adjust,
            true,
            Some(self.recordings.clone()),
        )
        .await
    }
}

async fn serve_on(
    database_url: String,
    guard: Option<DbGuard>,
    adjust: impl FnOnce(&mut Config),
    replicated: bool,
    recordings: Option<Arc<tempfile::TempDir>>,
) -> TestApp {
    let recordings =
        recordings.unwrap_or_else(|| Arc::new(tempfile::tempdir().expect("a recordings dir")));
    let store = huiyi_server::store::open(&database_url)
        .await
        .expect("open store");
    let now = huiyi_domain::time::now_unix();
    store
        .import(&fixtures(), now)
        .await
        .expect("import fixtures");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("http://{addr}");
    let mut config = Config::for_public_url(&url);
    config.database_url = database_url.clone();
    config.access_numbers.0 = vec![
        AccessNumberConfig {
            area: "ALL".into(),
            number: "400-810-5211".into(),
        },
        AccessNumberConfig {
            area: "Beijing".into(),
            number: "+86(10)5808-4299".into(),
        },
    ];
    config.media_secret = Some(MEDIA_SECRET.to_owned().into());
    config.recordings_dir = recordings.path().to_owned();
    adjust(&mut config);
    let recordings_dir = config.recordings_dir.clone();
    let state = if replicated {
        AppState::for_database(store.clone(), config)
            .await
            .expect("live fan-out")
    } else {
        AppState::new(store.clone(), config)
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = state.clone();
    tokio::spawn(async move {
        huiyi_server::serve(listener, served, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let client = reqwest::Client::new();
    wait_ready(&client, &url).await;
    TestApp {
        url,
        client,
        store,
        state,
        database_url,
        recordings_dir,
        recordings,
        shutdown: Some(tx),
        _db: guard,
    }
}

pub async fn wait_ready(client: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{url}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("server at {url} never became ready");
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Two customers: A (hosts, an admin, an invitee, an app key and an admin key) and B.
pub fn fixtures() -> ImportData {
    serde_json::from_value(json!({
        "customers": [
            {"customerCode": "A100", "name": "Customer A", "timezone": "Asia/Shanghai", "advanceHours": 2},
            {"customerCode": "B200", "name": "Customer B", "timezone": "Europe/Berlin", "advanceHours": 1}
        ],
        "users": [
            {"userId": HOST_A, "customerCode": "A100", "email": HOST_A_EMAIL, "name": "eyh1", "mobile": "13800000000", "admin": false},
            {"userId": HOST_A2, "customerCode": "A100", "email": "cx084@qs.com", "name": "邵兵", "mobile": "", "admin": false},
            {"userId": ADMIN_A, "customerCode": "A100", "email": "admin@test1.com", "name": "Admin A", "mobile": "", "admin": true},
            {"userId": INVITEE_A, "customerCode": "A100", "email": "fenliu@test1.com", "name": "分流测试1", "mobile": "", "admin": false},
            {"userId": HOST_B, "customerCode": "B200", "email": "host@b.example", "name": "php0827_001", "mobile": "", "admin": false}
        ],
        "credentials": [
            {"customerCode": "A100", "key": KEY_A, "admin": false},
            {"customerCode": "A100", "key": ADMIN_KEY_A, "admin": true},
            {"customerCode": "B200", "key": KEY_B, "admin": false}
        ],
        // Room 10935 and its equipment are the ones examples 14 and 15 book (replayed as
        // customer A's); the boxes are example 13's.
        "rooms": [
            {"roomId": 10935, "customerCode": "A100", "name": "杏花村", "city": "西安", "location": "锦业路",
             "floor": 14, "capacity": 12, "needsApproval": false,
             "equipment": [{"equipId": 58933, "name": "投影仪"}, {"equipId": 58934123, "name": "白板"}]},
            {"roomId": ROOM_A, "customerCode": "A100", "name": "杏花村2", "city": "西安", "location": "锦业路",
             "floor": 14, "capacity": 8, "needsApproval": false,
             "equipment": [{"equipId": 6152, "name": "盒子"}]},
            {"roomId": ROOM_A2, "customerCode": "A100", "name": "大会议室", "city": "北京", "location": "朝阳区",
             "floor": 3, "capacity": 40, "needsApproval": false,
             "equipment": [{"equipId": 6146, "name": "投影仪"}, {"equipId": 6148, "name": "麦克风"}]},
            {"roomId": ROOM_APPROVAL, "customerCode": "A100", "name": "董事会议室", "city": "北京", "location": "朝阳区",
             "floor": 20, "capacity": 16, "needsApproval": true, "equipment": []},
            {"roomId": ROOM_B, "customerCode": "B200", "name": "Raum 1", "city": "Berlin", "location": "Mitte",
             "floor": 2, "capacity": 6, "needsApproval": false, "equipment": [{"equipId": 30001, "name": "Beamer"}]}
        ],
        "boxes": [
            {"boxId": "GN3399BOX0001856", "customerCode": "A100", "name": "盒子1856", "roomId": ROOM_A, "address": "sip:1856@box.example"},
            {"boxId": "GN3399BOX0001429", "customerCode": "A100", "name": "盒子1429", "roomId": ROOM_A, "address": "sip:1429@box.example"},
            {"boxId": "GN3399BOX0001875", "customerCode": "A100", "name": "盒子1875", "roomId": null, "address": "10.1.2.3"},
            {"boxId": "GN3399BOX0009999", "customerCode": "B200", "name": "B的盒子", "roomId": ROOM_B, "address": "sip:9999@b.example"}
        ]
    }))
    .unwrap()
}

impl TestApp {
    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Value {
        let r = self
            .client
            .post(format!("{}{path}", self.url))
            .header("token", key)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// Posts as [`TestApp::post`] does and asserts the envelope's `status` is `want`; the
    /// failure message shows the whole answer. Returns the answer.
    pub async fn expect(&self, path: &str, key: &str, body: &Value, want: i64) -> Value {
        let env = self.post(path, key, body).await;
        assert_eq!(env["status"], want, "{path}: {env}");
        env
    }

    pub async fn post_raw(
        &self,
        path: &str,
        key: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body);
        if let Some(k) = key {
            req = req.header("token", k);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (
            status,
            r.json().await.expect("every answer is a JSON envelope"),
        )
    }

    pub async fn get(&self, path: &str, key: &str) -> Value {
        let r = self
            .client
            .get(format!("{}{path}", self.url))
            .header("token", key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// Customer A's `getConfStatus` envelope for `conference_id`.
    pub async fn conf_status(&self, conference_id: &str) -> Value {
        let body = json!({"conferenceId": conference_id});
        self.post("/conference/conference/getConfStatus", KEY_A, &body)
            .await
    }

    /// Customer A's `getConferenceList` envelope for `host`.
    pub async fn host_list(&self, host: i64) -> Value {
        let body = json!({"userId": host});
        self.post("/conference/business/getConferenceList", KEY_A, &body)
            .await
    }

    /// Cancels customer A's `conference_id` (room-era cancel), asserting it succeeds.
    pub async fn cancel(&self, conference_id: &str) -> Value {
        let body = json!({"conferenceId": conference_id});
        self.expect("/confopenapi/room/cancelReservConference", KEY_A, &body, 0)
            .await
    }

    /// Customer A's `infos` envelope for `conference_id`.
    pub async fn infos(&self, conference_id: &str) -> Value {
        let body = json!({"conferenceId": conference_id});
        self.post("/confopenapi/room/conference/infos", KEY_A, &body)
            .await
    }

    /// Every session of the meeting `conference_id` (any customer's), oldest first.
    pub async fn sessions_for(&self, conference_id: &str) -> Vec<SessionState> {
        let id = huiyi_domain::ConferenceId::parse(conference_id).expect("a conferenceId");
        let b = self.store.booking_anywhere(&id).await.unwrap();
        sessions_of(&self.database_url, b.expect("a booked meeting").event_id).await
    }

    /// Customer A's `getConferenceBaseInfoById` envelope for `conference_id` (its links).
    pub async fn base_info(&self, conference_id: &str) -> Value {
        let path = format!("/conference/conference/getConferenceBaseInfoById/6/{conference_id}");
        self.post(&path, KEY_A, &json!({})).await
    }

    /// Books a meeting for `host` starting `hours_ahead` from now; returns the result.
    /// Books as [`TestApp::book`] does and gives the new meeting's conferenceId.
    pub async fn book_id(&self, key: &str, host: i64, hours_ahead: i64) -> String {
        let booked = self.book(key, host, hours_ahead).await;
        booked["conferenceId"].as_str().unwrap().to_owned()
    }

    pub async fn book(&self, key: &str, host: i64, hours_ahead: i64) -> Value {
        let body = json!({"userId": host, "title": "t", "length": 60, "starttime": local_in_hours(hours_ahead)});
        let env = self
            .expect("/conference/conference/reservConference2", key, &body, 0)
            .await;
        env["result"].clone()
    }
}

impl TestApp {
    /// Signs `body` with [`MEDIA_SECRET`] and posts it to the media event interface.
    pub async fn media(&self, body: &Value) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).unwrap();
        let ts = huiyi_domain::time::now_unix().to_string();
        let sig = huiyi_wire::media::sign(MEDIA_SECRET.as_bytes(), &ts, &bytes);
        self.media_raw(&ts, &sig, bytes).await
    }

    /// Posts to the media event interface with the given timestamp and signature headers.
    pub async fn media_raw(&self, ts: &str, sig: &str, body: Vec<u8>) -> (u16, Value) {
        post_media(&self.client, &self.url, ts, sig, body).await
    }

    /// Posts events and asserts they were taken; returns the answer's `result`.
    pub async fn events(&self, events: Vec<Value>) -> Value {
        let (http, env) = self.media(&json!({ "events": events })).await;
        assert_eq!((http, &env["status"]), (200, &json!(0)), "{env}");
        env["result"].clone()
    }

    /// `getConfStatus` of a conference: (confStatus, attendees, mayJoin).
    pub async fn status(&self, conference_id: &str) -> (i64, i64, i64) {
        let env = self
            .post(
                "/conference/conference/getConfStatus",
                KEY_A,
                &json!({ "conferenceId": conference_id }),
            )
            .await;
        assert_eq!(env["status"], 0, "{env}");
        let r = &env["result"];
        (
            r["confStatus"].as_i64().unwrap(),
            r["attendees"].as_i64().unwrap(),
            r["mayJoin"].as_i64().unwrap(),
        )
    }

    /// Stores a meeting of customer A's host directly (the API refuses past starts): it starts
    /// `start_offset` seconds from now and lasts `minutes`. Returns (conferenceId, eventId).
    pub async fn stored_booking(&self, start_offset: i64, minutes: i64) -> (String, i64) {
        let customer = self.store.customer_by_code("A100").await.unwrap().unwrap();
        let now = huiyi_domain::time::now_unix();
        let new = huiyi_domain::NewBooking {
            customer: customer.key,
            host: huiyi_domain::UserId::new(HOST_A).unwrap(),
            title: "stored".into(),
            start: now + start_offset,
            length_minutes: minutes,
            zone: huiyi_domain::time::Zone::parse("Asia/Shanghai").unwrap(),
            password_type: huiyi_domain::PasswordType::Dynamic,
            invitees: Vec::new(),
            details: huiyi_domain::Details::default(),
            created_at: now,
            series: None,
            notices: Vec::new(),
        };
        let b = self.store.create_booking(&new).await.unwrap();
        (b.conference_id.as_str().to_owned(), b.event_id)
    }
}

/// A participant event of a media batch, happening `at_ms`.
pub fn participant_event(uid: &str, kind: &str, conference: &str, who: &str, at_ms: i64) -> Value {
    let mut e = json!({"eventId": uid, "type": kind, "conferenceId": conference, "at": at_ms});
    if kind == "participant.joined" {
        e["participant"] = json!({"id": who, "name": who, "role": if who == "host" { "host" } else { "attendee" }, "client": "web", "voice": "network", "address": "127.0.0.1"});
    } else {
        e["participantId"] = json!(who);
    }
    e
}

/// An event about the room or the session (no participant), happening `at_ms`.
pub fn room_event(uid: &str, kind: &str, conference: &str, at_ms: i64) -> Value {
    json!({"eventId": uid, "type": kind, "conferenceId": conference, "at": at_ms})
}

pub fn now_ms() -> i64 {
    huiyi_domain::time::now_millis()
}

/// A local (Asia/Shanghai) time `hours` from now, as `YYYY-MM-DD HH:MM:SS`.
pub fn local_in_hours(hours: i64) -> String {
    let zone = huiyi_domain::time::Zone::parse("Asia/Shanghai").unwrap();
    // Round to the minute like a person would type it.
    let t = (huiyi_domain::time::now_unix() + hours * 3600) / 60 * 60;
    zone.format(t)
}

/// A local (Asia/Shanghai) time `minutes` from now, to the second.
pub fn local_in_minutes(minutes: i64) -> String {
    let zone = huiyi_domain::time::Zone::parse("Asia/Shanghai").unwrap();
    zone.format(huiyi_domain::time::now_unix() + minutes * 60)
}

pub fn example(name: &str) -> Value {
    let path = format!(
        "{}/../../../shared/spec/examples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}
