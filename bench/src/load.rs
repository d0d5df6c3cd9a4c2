//! Generating load: the scenarios, their requests, and workers that loop until a deadline.

use crate::stats::{Figures, Recorder, set_ratios};
use anyhow::{Context, Result, bail};
use huiyi_domain::time::Zone;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

/// A request that takes longer than this counts as an error; it also bounds how long a
/// scenario can overrun its deadline.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const DAY: i64 = 86_400;
/// Seeded bookings start between 1 and 361 days from now; the listed month is days 30–60, so
/// a host with 300 seeded bookings lists about 25.
const SEED_FROM: i64 = DAY;
const SEED_SPAN: i64 = 360 * DAY;
const LIST_FROM: i64 = 30 * DAY;
const LIST_TO: i64 = 60 * DAY;
/// `book` creates meetings from 400 days out, after every listed window, so that what it adds
/// does not inflate the `list` scenario that follows.
const BOOK_FROM: i64 = 400 * DAY;
const BOOK_SLOTS: u64 = 365 * 96;
const SLOT: i64 = 15 * 60;

/// Where the load goes and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    pub key: String,
    pub user_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Healthz,
    Book,
    Edit,
    List,
    BaseInfo,
    Status,
}

impl Scenario {
    /// What `run` measures, in order; the first is the baseline.
    pub const RUN: [Scenario; 6] = [
        Scenario::Healthz,
        Scenario::Book,
        Scenario::Edit,
        Scenario::List,
        Scenario::BaseInfo,
        Scenario::Status,
    ];
    pub const BASELINE: Scenario = Scenario::Healthz;

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthz => "healthz",
            Scenario::Book => "book",
            Scenario::Edit => "edit",
            Scenario::List => "list",
            Scenario::BaseInfo => "base_info",
            Scenario::Status => "status",
        }
    }
}

/// One request to make.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Get(&'static str),
    Post(String, Value),
}

/// Everything the workers share: target, existing bookings, the listed window.
#[derive(Debug)]
pub struct Plan {
    pub target: Target,
    pub zone: Zone,
    /// Conference ids that exist, for edit, base_info and status.
    pub ids: Vec<String>,
    pub list_from: String,
    pub list_to: String,
    pub now: i64,
}

impl Plan {
    /// A plan for `run`: lists the month 30–60 days from `now`.
    pub fn for_run(target: Target, ids: Vec<String>, now: i64) -> Self {
        let zone = Zone::default();
        Self {
            list_from: local_midnight(zone, now + LIST_FROM),
            list_to: local_midnight(zone, now + LIST_TO),
            target,
            zone,
            ids,
            now,
        }
    }

    /// A plan that lists `[from, to)` (unix seconds, written as local times of the default
    /// zone) and reads `ids`.
    pub fn for_window(target: Target, ids: Vec<String>, from: i64, to: i64, now: i64) -> Self {
        let zone = Zone::default();
        Self {
            list_from: zone.format(from),
            list_to: zone.format(to),
            target,
            zone,
            ids,
            now,
        }
    }

    /// The `iteration`-th request of `worker` (of `workers`) in `scenario`.
    pub fn call(&self, scenario: Scenario, worker: usize, workers: usize, iteration: u64) -> Call {
        let user = self.target.user_id;
        let id = || self.ids[own_index(worker, workers, iteration, self.ids.len())].as_str();
        match scenario {
            Scenario::Healthz => Call::Get("/healthz"),
            Scenario::Book => {
                let slot = (iteration * workers as u64 + worker as u64) % BOOK_SLOTS;
                let start = self.now + BOOK_FROM + slot as i64 * SLOT;
                book_call(
                    user,
                    &format!("bench book {worker}-{iteration}"),
                    &self.zone.format(start),
                )
            }
            Scenario::Edit => Call::Post(
                "/conference/conference/updateReservConference".into(),
                json!({
                    "conferenceId": id(),
                    "userId": user,
                    "title": format!("bench edit {worker}-{iteration}"),
                    // Alternate so that every edit really changes the booking.
                    "length": if iteration.is_multiple_of(2) { 60 } else { 90 },
                }),
            ),
            Scenario::List => Call::Post(
                "/conference/business/getConferenceList".into(),
                json!({"userId": user, "startDate": self.list_from, "endDate": self.list_to}),
            ),
            Scenario::BaseInfo => Call::Post(
                format!(
                    "/conference/conference/getConferenceBaseInfoById/6/{}",
                    id()
                ),
                json!({}),
            ),
            Scenario::Status => Call::Post(
                "/conference/conference/getConfStatus".into(),
                json!({"conferenceId": id(), "userId": user}),
            ),
        }
    }
}

/// `YYYY-MM-DD 00:00:00` of the local day holding `unix`.
pub fn local_midnight(zone: Zone, unix: i64) -> String {
    format!("{} 00:00:00", zone.date(unix))
}

/// A booking request shaped like the reference's example 01, without notifications.
pub fn book_call(user_id: i64, title: &str, starttime: &str) -> Call {
    Call::Post(
        "/conference/conference/reservConference2".into(),
        json!({
            "cycle": 0,
            "appId": 6,
            "email_notify": false,
            "sms_notify": false,
            "length": 60,
            "starttime": starttime,
            "from": "uc",
            "title": title,
            "userId": user_id,
            "password_type": "0",
            "inviteeList": [{"name": "Guest", "email": "guest@bench.test", "mobile": "", "cId": 0, "groupName": "", "groupId": ""}],
            "inviteeGroupList": [],
        }),
    )
}

/// Which of `n` bookings a worker touches next. While there are at least as many bookings as
/// workers, each worker cycles through its own share (indices ≡ worker mod workers), so two
/// workers never edit the same booking at once.
pub fn own_index(worker: usize, workers: usize, iteration: u64, n: usize) -> usize {
    assert!(n > 0 && workers > 0);
    if n < workers {
        return worker % n;
    }
    let share = (n - worker).div_ceil(workers) as u64;
    worker + (iteration % share) as usize * workers
}

/// The start of the `i`-th of `count` seeded bookings, on a 5-minute mark.
pub fn seed_start(now: i64, i: usize, count: usize) -> i64 {
    let offset = SEED_FROM + SEED_SPAN * i as i64 / count.max(1) as i64;
    (now + offset) / 300 * 300
}

/// A keep-alive client that never uses a proxy or follows a redirect: traffic stays on
/// loopback. One per set of workers.
pub fn http_client(pool: usize, timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool)
        .tcp_nodelay(true)
        .timeout(timeout)
        .build()
        .context("cannot build the HTTP client")
}

#[derive(Deserialize)]
struct Envelope<R> {
    status: Value,
    #[serde(default)]
    msg: Value,
    result: Option<R>,
}

/// Sends one call. Success is HTTP 200 and, for API calls, an envelope with `status` 0; the
/// answer is the envelope's `result` read as `R`.
pub async fn send<R: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    target: &Target,
    call: &Call,
) -> Result<Option<R>, String> {
    let (request, envelope) = match call {
        Call::Get(path) => (client.get(format!("{}{path}", target.base)), false),
        Call::Post(path, body) => (
            client
                .post(format!("{}{path}", target.base))
                .header("token", &target.key)
                .json(body),
            true,
        ),
    };
    answer(request, envelope).await
}

/// Sends a built request. Success is HTTP 200 and, when `envelope`, an answer that is the JSON
/// envelope with `status` 0; the answer is then the envelope's `result` read as `R` (`None`
/// without an envelope or a `result`).
pub async fn answer<R: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    envelope: bool,
) -> Result<Option<R>, String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let http = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    if http != reqwest::StatusCode::OK {
        return Err(format!(
            "HTTP {http}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    if !envelope {
        return Ok(None);
    }
    let envelope: Envelope<R> = serde_json::from_slice(&body)
        .map_err(|e| format!("answer is not the JSON envelope: {e}"))?;
    if envelope.status.as_i64() != Some(0) {
        return Err(format!("status {} ({})", envelope.status, envelope.msg));
    }
    Ok(envelope.result)
}

/// Runs `scenario` with `workers` concurrent loops until `seconds` have passed; answers the
/// merged record and the time from start until the last worker finished.
pub async fn measure(
    plan: &Arc<Plan>,
    scenario: Scenario,
    workers: usize,
    seconds: u64,
) -> Result<(Recorder, Duration)> {
    let client = http_client(workers, REQUEST_TIMEOUT)?;
    drive(workers, seconds, |worker| {
        let (plan, client) = (Arc::clone(plan), client.clone());
        move |iteration| {
            let call = plan.call(scenario, worker, workers, iteration);
            let (plan, client) = (Arc::clone(&plan), client.clone());
            async move {
                send::<serde::de::IgnoredAny>(&client, &plan.target, &call)
                    .await
                    .map(drop)
            }
        }
    })
    .await
}

/// Runs `workers` concurrent loops until `seconds` have passed; answers the merged record and
/// the time from start until the last worker finished. `worker(w)` makes worker `w`'s step:
/// called with the iteration number (0, 1, …), it prepares one request and answers the future
/// that sends it, which the loop times (preparing is not timed) and records. Workers stop at a
/// shared deadline; a request still in flight then is finished and counted.
pub async fn drive<S, F>(
    workers: usize,
    seconds: u64,
    mut worker: impl FnMut(usize) -> S,
) -> Result<(Recorder, Duration)>
where
    S: FnMut(u64) -> F + Send + 'static,
    F: Future<Output = Result<(), String>> + Send,
{
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut set = JoinSet::new();
    for w in 0..workers {
        let mut step = worker(w);
        set.spawn(async move {
            let mut rec = Recorder::default();
            let mut iteration = 0u64;
            while Instant::now() < deadline {
                let request = step(iteration);
                let sent = Instant::now();
                match request.await {
                    Ok(()) => rec.ok(sent.elapsed()),
                    Err(e) => rec.error(|| e),
                }
                iteration += 1;
            }
            rec
        });
    }
    let mut total = Recorder::default();
    while let Some(done) = set.join_next().await {
        total.merge(done.context("a worker panicked")?);
    }
    Ok((total, started.elapsed()))
}

/// Runs `workers` loops for `seconds`, request `k` (unique across workers: iteration ×
/// workers + worker, plus `offset`) being `make(k)`; the scenario's figures, named `name`.
pub async fn drive_calls(
    plan: &Arc<Plan>,
    name: &str,
    workers: usize,
    seconds: u64,
    offset: u64,
    make: impl Fn(u64) -> Call + Clone + Send + 'static,
) -> Result<Figures> {
    eprintln!("huiyi-bench: {name} for {seconds} s");
    let client = http_client(workers, Duration::from_secs(60))?;
    let (rec, elapsed) = drive(workers, seconds, |worker| {
        let (plan, client, make) = (Arc::clone(plan), client.clone(), make.clone());
        move |iteration| {
            let call = make(offset + iteration * workers as u64 + worker as u64);
            let (plan, client) = (Arc::clone(&plan), client.clone());
            async move {
                send::<serde::de::IgnoredAny>(&client, &plan.target, &call)
                    .await
                    .map(drop)
            }
        }
    })
    .await?;
    Ok(figures(name, &rec, elapsed))
}

/// The figures of one measured scenario; its error count and first error go to stderr.
pub fn figures(name: &str, rec: &Recorder, elapsed: Duration) -> Figures {
    if let Some(e) = &rec.first_error {
        eprintln!("huiyi-bench: {name}: {} errors; first: {e}", rec.errors);
    }
    Figures::new(name, rec, elapsed)
}

/// Measures `scenarios` in turn, as [`measure`] does, and answers their figures with ratios set
/// against the baseline (when it is among them). Progress and each scenario's first error go to
/// stderr, the progress lines prefixed with `label`.
pub async fn measure_all(
    plan: &Arc<Plan>,
    scenarios: &[Scenario],
    workers: usize,
    seconds: u64,
    label: &str,
) -> Result<Vec<Figures>> {
    let mut figures = Vec::with_capacity(scenarios.len());
    for &scenario in scenarios {
        eprintln!("huiyi-bench: {label}{} for {seconds} s", scenario.name());
        let (rec, elapsed) = measure(plan, scenario, workers, seconds).await?;
        figures.push(self::figures(scenario.name(), &rec, elapsed));
    }
    set_ratios(&mut figures, Scenario::BASELINE.name());
    Ok(figures)
}

#[derive(Deserialize)]
struct Listed {
    #[serde(rename = "totalNum")]
    total: Value,
}

/// How many bookings one `list` request answers (`result.totalNum`), to show that the scenario
/// lists real bookings rather than an empty month.
pub async fn probe_list(plan: &Plan) -> Result<u64, String> {
    let client = http_client(1, REQUEST_TIMEOUT).map_err(|e| e.to_string())?;
    let call = plan.call(Scenario::List, 0, 1, 0);
    let listed = send::<Listed>(&client, &plan.target, &call).await?;
    let total = listed.map(|l| l.total).unwrap_or_default();
    total
        .as_u64()
        .or_else(|| total.as_str().and_then(|s| s.trim().parse().ok()))
        .ok_or_else(|| format!("result.totalNum is {total}, not a count"))
}

#[derive(Deserialize)]
struct Booked {
    #[serde(rename = "conferenceId")]
    conference_id: Value,
}

/// Books `count` meetings for the target's host with `workers` concurrent loops and answers
/// their conference ids in booking order. Fails only if none could be booked.
pub async fn seed(target: &Target, count: usize, workers: usize, now: i64) -> Result<Vec<String>> {
    seed_at(target, count, workers, move |i| seed_start(now, i, count)).await
}

/// As [`seed`], the `i`-th meeting starting at `start(i)` (unix seconds).
pub async fn seed_at(
    target: &Target,
    count: usize,
    workers: usize,
    start: impl Fn(usize) -> i64 + Copy + Send + 'static,
) -> Result<Vec<String>> {
    let client = http_client(workers, REQUEST_TIMEOUT)?;
    let zone = Zone::default();
    let next = Arc::new(AtomicUsize::new(0));
    let booked = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let failures = Arc::new(Mutex::new(Recorder::default()));
    let mut set = JoinSet::new();
    for _ in 0..workers.min(count) {
        let (client, target, next) = (client.clone(), target.clone(), Arc::clone(&next));
        let (booked, failures) = (Arc::clone(&booked), Arc::clone(&failures));
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let call = book_call(
                    target.user_id,
                    &format!("bench seed {i}"),
                    &zone.format(start(i)),
                );
                match send::<Booked>(&client, &target, &call).await {
                    Ok(Some(Booked {
                        conference_id: Value::String(id),
                    })) => booked.lock().await.push((i, id)),
                    Ok(Some(Booked {
                        conference_id: Value::Number(id),
                    })) => booked.lock().await.push((i, id.to_string())),
                    Ok(_) => failures
                        .lock()
                        .await
                        .error(|| "the answer has no result.conferenceId".into()),
                    Err(e) => failures.lock().await.error(|| e),
                }
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.context("a seeding worker panicked")?;
    }
    let mut booked = std::mem::take(&mut *booked.lock().await);
    booked.sort_unstable();
    let failures = failures.lock().await;
    if booked.is_empty() {
        bail!(
            "could not book any meeting: {}",
            failures.first_error.as_deref().unwrap_or("no answer")
        );
    }
    if failures.errors > 0 {
        eprintln!(
            "huiyi-bench: {} of {count} seed bookings failed; first error: {}",
            failures.errors,
            failures.first_error.as_deref().unwrap_or("?")
        );
    }
    Ok(booked.into_iter().map(|(_, id)| id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn plan(ids: usize) -> Plan {
        let target = Target {
            base: "http://127.0.0.1:1".into(),
            key: "k".into(),
            user_id: 9_100_001,
        };
        // 2024-01-01 00:00:00 +08:00
        Plan::for_run(
            target,
            (0..ids)
                .map(|i| format!("{:09}", 100_000_000 + i))
                .collect(),
            1_704_038_400,
        )
    }

    #[test]
    fn workers_own_disjoint_bookings() {
        for (workers, n) in [(32, 300), (32, 32), (3, 10), (1, 5)] {
            let mut seen_by: Vec<HashSet<usize>> = vec![HashSet::new(); workers];
            for (w, seen) in seen_by.iter_mut().enumerate() {
                for it in 0..1000 {
                    let i = own_index(w, workers, it, n);
                    assert!(i < n);
                    seen.insert(i);
                }
            }
            let all: HashSet<usize> = seen_by.iter().flatten().copied().collect();
            assert_eq!(
                all.len(),
                n,
                "every booking is used ({workers} workers, {n} bookings)"
            );
            assert_eq!(
                seen_by.iter().map(HashSet::len).sum::<usize>(),
                n,
                "no booking is shared"
            );
        }
        // Fewer bookings than workers: shared, but still in range.
        assert_eq!(own_index(7, 8, 3, 5), 2);
    }

    #[test]
    fn seeds_spread_over_the_year_ahead() {
        let now = 1_704_038_400;
        let starts: Vec<i64> = (0..300).map(|i| seed_start(now, i, 300)).collect();
        assert!(starts.iter().all(|s| s % 300 == 0 && *s > now + DAY - 300));
        assert!(*starts.last().unwrap() < now + 361 * DAY);
        let listed = starts
            .iter()
            .filter(|s| (now + LIST_FROM..now + LIST_TO).contains(*s))
            .count();
        assert!((20..=30).contains(&listed), "{listed}");
    }

    #[test]
    fn requests_follow_the_documented_shapes() {
        let p = plan(300);
        assert_eq!(p.call(Scenario::Healthz, 0, 32, 0), Call::Get("/healthz"));

        let Call::Post(path, body) = p.call(Scenario::Book, 1, 32, 2) else {
            panic!()
        };
        assert_eq!(path, "/conference/conference/reservConference2");
        assert_eq!(body["userId"], 9_100_001);
        // 400 days after 2024-01-01 00:00 local, plus slot 65 × 15 min.
        assert_eq!(body["starttime"], "2025-02-04 16:15:00");

        let Call::Post(path, body) = p.call(Scenario::Edit, 3, 32, 1) else {
            panic!()
        };
        assert_eq!(path, "/conference/conference/updateReservConference");
        assert_eq!(body["conferenceId"], "100000035");
        assert_eq!(body["length"], 90);

        let Call::Post(path, body) = p.call(Scenario::List, 0, 32, 0) else {
            panic!()
        };
        assert_eq!(path, "/conference/business/getConferenceList");
        assert_eq!(body["startDate"], "2024-01-31 00:00:00");
        assert_eq!(body["endDate"], "2024-03-01 00:00:00");

        let Call::Post(path, _) = p.call(Scenario::BaseInfo, 2, 32, 0) else {
            panic!()
        };
        assert_eq!(
            path,
            "/conference/conference/getConferenceBaseInfoById/6/100000002"
        );

        let Call::Post(path, body) = p.call(Scenario::Status, 2, 32, 0) else {
            panic!()
        };
        assert_eq!(path, "/conference/conference/getConfStatus");
        assert_eq!(
            body,
            json!({"conferenceId": "100000002", "userId": 9_100_001})
        );
    }

    #[test]
    fn scenario_names_are_the_interface_names() {
        let names: Vec<_> = Scenario::RUN.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            ["healthz", "book", "edit", "list", "base_info", "status"]
        );
        assert_eq!(Scenario::RUN[0], Scenario::BASELINE);
    }
}
