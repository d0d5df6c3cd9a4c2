//! Webhooks and the recording callback, against a real HTTP receiver on 127.0.0.1: signatures
//! checked with the Standard Webhooks reference library, a receiver that is down and comes
//! back, 410, private targets, tenancy, and the delivery log.

use crate::common::receiver::{Received, Receiver};
use crate::common::*;
use huiyi_domain::delivery::{Backoff, EventFilter, new_signing_secret};
use huiyi_store::{MessageState, NewEndpoint, Target};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// A server that delivers at once and retries every 100 ms, to the loopback receiver.
pub async fn spawn_delivering() -> TestApp {
    spawn_app_with(|c| {
        c.webhook_allow_private = true;
        c.delivery_backoff = Backoff::parse(&["100ms"; 40].join(",")).unwrap();
        c.delivery_tick_ms = 20;
    })
    .await
}

/// Registers an endpoint of `customer_code` for `url`; its id and secret.
pub async fn add_endpoint(
    app: &TestApp,
    customer_code: &str,
    url: &str,
    events: &str,
) -> (i64, String) {
    let c = app
        .store
        .customer_by_code(customer_code)
        .await
        .unwrap()
        .unwrap();
    let secret = new_signing_secret();
    let e = app
        .store
        .add_endpoint(NewEndpoint {
            customer: c.key,
            url: url.to_owned(),
            events: EventFilter::parse_list(events).unwrap(),
            secret: secret.clone(),
            created_at: now_ms(),
        })
        .await
        .unwrap();
    (e.id, secret)
}

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_booking_sends_meeting_booked_signed_per_standard_webhooks() {
    let app = spawn_delivering().await;
    let rx = Receiver::start().await;
    let (_, secret) = add_endpoint(&app, "A100", &rx.url("/hooks"), "").await;
    let cid = app.book_id(KEY_A, HOST_A, 24).await;
    let got = rx.wait_for(1, WAIT).await;
    let r = &got[0];
    assert_eq!(r.path, "/hooks");
    r.verify(&secret)
        .expect("the reference library accepts the signature");
    assert!(
        r.header("webhook-id").starts_with("msg_"),
        "{:?}",
        r.headers
    );
    assert_eq!(r.header("content-type"), "application/json");
    let body = r.json();
    assert_eq!(body["type"], "meeting.booked");
    assert_eq!(body["data"]["conferenceId"], cid);
    assert_eq!(body["data"]["customerCode"], "A100");
    assert!(body["data"]["eventId"].is_i64(), "{body}");
    assert_eq!(body["data"]["title"], "t");
    assert_eq!(body["data"]["hostUserId"], HOST_A);
    let ts = chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap());
    assert!(ts.is_ok(), "{body}");
    // A wrong secret, or a changed body, fails verification.
    assert!(r.verify(&new_signing_secret()).is_err());
    let mut tampered = r.clone();
    tampered.body = r
        .body
        .iter()
        .map(|b| if *b == b't' { b'T' } else { *b })
        .collect();
    assert!(tampered.verify(&secret).is_err());

    // Editing and cancelling follow. Messages sent in one round travel at once, so their
    // arrival order is not promised; each type comes once.
    app.expect(
        "/conference/conference/updateReservConference",
        KEY_A,
        &json!({"conferenceId": cid, "title": "moved"}),
        0,
    )
    .await;
    app.cancel(&cid).await;
    let got = rx.wait_for(3, WAIT).await;
    let mut kinds: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["meeting.booked", "meeting.cancelled", "meeting.updated"]
    );
    let updated = got
        .iter()
        .map(Received::json)
        .find(|v| v["type"] == "meeting.updated")
        .unwrap();
    assert_eq!(updated["data"]["title"], "moved");
    for r in &got {
        r.verify(&secret).unwrap();
    }
    // Delivered once each: nothing more comes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 3);
}

#[tokio::test]
async fn twenty_bookings_made_while_the_receiver_is_down_all_arrive_once() {
    let app = spawn_delivering().await;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/down");
    let (id, secret) = add_endpoint(&app, "A100", &url, "meeting.booked").await;
    let mut ids = Vec::new();
    for h in 0..20 {
        ids.push(app.book_id(KEY_A, HOST_A, 24 + h).await);
    }
    // They are tried, and fail, while nobody listens.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let c = app.store.customer_by_code("A100").await.unwrap().unwrap();
    let log = app.store.messages(c.key, Some(id), 100).await.unwrap();
    assert_eq!(log.len(), 20);
    assert!(
        log.iter()
            .all(|m| m.state == MessageState::Pending && m.target == Target::Endpoint(id))
    );
    assert!(
        log.iter()
            .all(|m| !m.attempts.is_empty() && m.attempts[0].status.is_none()),
        "each was tried and got no answer"
    );
    let rx = Receiver::start_on(port).await;
    let got = rx.wait_for(20, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_all = rx.received();
    assert_eq!(got_all.len(), 20, "each arrives once");
    let mut seen: Vec<String> = got
        .iter()
        .map(|r| {
            r.verify(&secret).unwrap();
            r.json()["data"]["conferenceId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    seen.sort();
    ids.sort();
    assert_eq!(seen, ids);
    let log = app.store.messages(c.key, Some(id), 100).await.unwrap();
    assert!(log.iter().all(|m| m.state == MessageState::Delivered));
    assert!(
        log.iter()
            .all(|m| m.attempts.last().unwrap().status == Some(204))
    );
}

#[tokio::test]
async fn a_410_disables_the_endpoint() {
    let app = spawn_delivering().await;
    let rx = Receiver::start().await;
    rx.answer_with(410);
    let (id, _) = add_endpoint(&app, "A100", &rx.url("/gone"), "").await;
    app.book(KEY_A, HOST_A, 24).await;
    rx.wait_for(1, WAIT).await;
    let c = app.store.customer_by_code("A100").await.unwrap().unwrap();
    let since = std::time::Instant::now();
    while app.store.endpoints(c.key).await.unwrap()[0]
        .disabled_at
        .is_none()
    {
        assert!(since.elapsed() < WAIT, "the endpoint was not disabled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = app.store.messages(c.key, Some(id), 10).await.unwrap();
    assert_eq!(log[0].state, MessageState::Failed);
    assert_eq!(log[0].attempts[0].status, Some(410));
    // Nothing more is sent to it: not the next booking, not a retry.
    rx.answer_with(204);
    app.book(KEY_A, HOST_A, 25).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.received().len(), 1);
    assert_eq!(
        app.store.messages(c.key, Some(id), 10).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn retries_follow_the_schedule_and_end_as_failed_and_logged() {
    let app = spawn_app_with(|c| {
        c.webhook_allow_private = true;
        c.delivery_backoff = Backoff::parse("100ms,100ms").unwrap();
        c.delivery_tick_ms = 20;
    })
    .await;
    let rx = Receiver::start().await;
    rx.answer_with(503);
    let (id, _) = add_endpoint(&app, "A100", &rx.url("/flaky"), "").await;
    app.book(KEY_A, HOST_A, 24).await;
    // One attempt and the two retries of the schedule, then no more.
    rx.wait_for(3, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = rx.received();
    assert_eq!(got.len(), 3);
    let ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "the same webhook-id on every retry"
    );
    let c = app.store.customer_by_code("A100").await.unwrap().unwrap();
    let log = app.store.messages(c.key, Some(id), 10).await.unwrap();
    assert_eq!(log[0].state, MessageState::Failed, "kept and marked failed");
    assert_eq!(log[0].attempts.len(), 3);
    for a in &log[0].attempts {
        assert_eq!(a.status, Some(503));
        assert!(a.error.as_deref().unwrap().contains("503"), "{a:?}");
        assert!(a.latency_ms >= 0);
    }
    // Asked again, it goes out again, with a fresh schedule.
    rx.answer_with(200);
    app.store
        .redeliver(c.key, &log[0].msg_id, now_ms())
        .await
        .unwrap();
    rx.wait_for(4, WAIT).await;
    assert_eq!(rx.received()[3].header("webhook-id"), ids[0]);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let app = spawn_delivering().await;
    let rx = Receiver::start().await;
    rx.answer_with(429);
    rx.retry_after(Some("1"));
    add_endpoint(&app, "A100", &rx.url("/slow-down"), "").await;
    app.book(KEY_A, HOST_A, 24).await;
    rx.wait_for(1, WAIT).await;
    // The schedule says 100 ms; the receiver asked for a second.
    rx.retry_after(None);
    rx.answer_with(204);
    let got = rx.wait_for(2, WAIT).await;
    let waited = got[1].at.duration_since(got[0].at);
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}"
    );
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let app = spawn_app_with(|c| {
        c.delivery_backoff = Backoff::parse("100ms,100ms,100ms").unwrap();
        c.delivery_tick_ms = 20;
    })
    .await;
    let rx = Receiver::start().await;
    let (by_ip, _) = add_endpoint(&app, "A100", &rx.url("/ip"), "").await;
    let by_name_url = format!("http://localhost:{}/name", rx.port);
    let (by_name, _) = add_endpoint(&app, "A100", &by_name_url, "").await;
    let (metadata, _) = add_endpoint(&app, "A100", "http://169.254.169.254/latest", "").await;
    app.book(KEY_A, HOST_A, 24).await;
    let c = app.store.customer_by_code("A100").await.unwrap().unwrap();
    let since = std::time::Instant::now();
    for id in [by_ip, by_name, metadata] {
        loop {
            let log = app.store.messages(c.key, Some(id), 10).await.unwrap();
            if log[0].state == MessageState::Failed {
                let error = log[0].attempts[0].error.clone().unwrap();
                assert!(error.contains("private"), "{id}: {error}");
                assert_eq!(log[0].attempts.len(), 1, "a refusal is not retried");
                break;
            }
            assert!(
                since.elapsed() < WAIT,
                "endpoint {id} was not refused: {log:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert!(
        rx.received().is_empty(),
        "nothing reached the loopback receiver"
    );
}

#[tokio::test]
async fn one_customer_never_receives_anothers_events() {
    let app = spawn_delivering().await;
    let (rx_a, rx_b) = (Receiver::start().await, Receiver::start().await);
    add_endpoint(&app, "A100", &rx_a.url("/a"), "").await;
    add_endpoint(&app, "B200", &rx_b.url("/b"), "").await;
    let a = app.book_id(KEY_A, HOST_A, 24).await;
    let b = app.book_id(KEY_B, HOST_B, 24).await;
    let got_a = rx_a.wait_for(1, WAIT).await;
    let got_b = rx_b.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx_a.received().len(), 1);
    assert_eq!(rx_b.received().len(), 1);
    assert_eq!(got_a[0].json()["data"]["conferenceId"], a);
    assert_eq!(got_b[0].json()["data"]["conferenceId"], b);
    assert_eq!(got_b[0].json()["data"]["customerCode"], "B200");
    // The delivery log of one customer holds none of the other's messages.
    let c = app.store.customer_by_code("B200").await.unwrap().unwrap();
    let log = app.store.messages(c.key, None, 100).await.unwrap();
    assert_eq!(log.len(), 1);
    assert!(log[0].url.ends_with("/b"));
}

#[tokio::test]
async fn endpoints_get_only_the_types_they_asked_for() {
    let app = spawn_delivering().await;
    let rx = Receiver::start().await;
    add_endpoint(
        &app,
        "A100",
        &rx.url("/sessions"),
        "session.started,session.ended",
    )
    .await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    app.events(vec![
        participant_event("j1", "participant.joined", &cid, "host", t),
        json!({"eventId": "end1", "type": "session.ended", "conferenceId": cid, "at": t + 10}),
    ])
    .await;
    rx.wait_for(2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = by_type(&rx.received());
    let kinds: Vec<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(
        kinds,
        ["session.ended", "session.started"],
        "no meeting.booked, no joins, each once"
    );
    let temp = got["session.started"]["data"]["tempConferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!temp.is_empty());
    assert_eq!(got["session.ended"]["data"]["tempConferenceId"], temp);
    assert!(got["session.ended"]["data"]["endedAt"].is_string());
}

/// The bodies by type (messages of one round travel at once, in no promised order); a type
/// that came twice fails.
fn by_type(got: &[Received]) -> std::collections::BTreeMap<String, Value> {
    let mut out = std::collections::BTreeMap::new();
    for r in got {
        let v = r.json();
        let kind = v["type"].as_str().unwrap().to_owned();
        assert!(out.insert(kind.clone(), v).is_none(), "{kind} came twice");
    }
    out
}

#[tokio::test]
async fn participants_joining_and_leaving_are_told_with_the_participant() {
    let app = spawn_delivering().await;
    let rx = Receiver::start().await;
    add_endpoint(
        &app,
        "A100",
        &rx.url("/people"),
        "participant.joined,participant.left",
    )
    .await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    app.events(vec![
        participant_event("p1", "participant.joined", &cid, "host", t),
        json!({"eventId": "p2", "type": "participant.left", "conferenceId": cid, "at": t + 5,
               "participantId": "host"}),
    ])
    .await;
    let got = by_type(&rx.wait_for(2, WAIT).await);
    let (joined, left) = (&got["participant.joined"], &got["participant.left"]);
    assert_eq!(joined["type"], "participant.joined");
    assert_eq!(joined["data"]["participant"]["id"], "host");
    assert!(
        joined["data"]["participant"]["name"].is_string(),
        "{joined}"
    );
    assert!(
        joined["data"]["participant"].get("address").is_none(),
        "no IP address"
    );
    assert!(joined["data"]["tempConferenceId"].is_string());
    assert_eq!(left["type"], "participant.left");
    assert_eq!(
        left["data"]["participant"]["name"],
        joined["data"]["participant"]["name"]
    );
}

#[tokio::test]
async fn record_callback_url_receives_the_recording_ready_post_signed() {
    let app = spawn_delivering().await;
    let rx = Receiver::start().await;
    let body = json!({"userId": HOST_A, "title": "recorded", "length": 60,
        "starttime": local_in_hours(1), "recordCallbackUrl": rx.url("/recorded")});
    let env = app
        .expect("/conference/conference/reservConference2", KEY_A, &body, 0)
        .await;
    let cid = env["result"]["conferenceId"].as_str().unwrap().to_owned();
    let t = now_ms() - 120_000;
    app.events(vec![
        participant_event("r1", "participant.joined", &cid, "host", t),
        json!({"eventId": "r2", "type": "session.ended", "conferenceId": cid, "at": t + 60_000}),
        json!({"eventId": "r3", "type": "recording.produced", "conferenceId": cid, "at": t + 90_000,
               "recording": {"location": "https://media.example/rec/1.mp4", "sizeBytes": 1000,
                             "durationSecs": 60, "format": "mp4"}}),
    ])
    .await;
    let got = rx.wait_for(1, WAIT).await;
    let c = app.store.customer_by_code("A100").await.unwrap().unwrap();
    let secret = app
        .store
        .callback_secret(c.key, "whsec_unused", false, 0)
        .await
        .unwrap();
    assert!(secret.starts_with("whsec_") && secret != "whsec_unused");
    got[0]
        .verify(&secret)
        .expect("signed with the customer's callback secret");
    let v = got[0].json();
    assert_eq!(v["type"], "recording.ready");
    let d = &v["data"];
    assert_eq!(d["conferenceId"], cid);
    assert_eq!(d["title"], "recorded");
    assert!(
        d["tempConferenceId"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        d["startedAt"].is_string() && d["endedAt"].is_string(),
        "{v}"
    );
    // huiyi's own links, made when the message went out: the file leads to where the media
    // side keeps it, the report downloads.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let file = no_redirects
        .get(d["downloadUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 302, "{v}");
    assert_eq!(
        file.headers()["location"],
        "https://media.example/rec/1.mp4"
    );
    assert!(
        d["replayUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/replay/", app.url))
    );
    let report = app
        .client
        .get(d["reportUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 200);
    assert!(
        report.bytes().await.unwrap().starts_with(b"PK"),
        "an XLSX (zip) file"
    );
    assert_eq!(d["recording"]["durationSecs"], 60);
    let log = app.store.messages(c.key, None, 10).await.unwrap();
    let callbacks: Vec<_> = log
        .iter()
        .filter(|m| m.target == Target::Callback)
        .collect();
    assert_eq!(callbacks.len(), 1);
    assert_eq!(callbacks[0].url, rx.url("/recorded"));
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one() {
    let app = spawn_delivering().await;
    let rx = Receiver::start().await;
    let (id, old) = add_endpoint(&app, "A100", &rx.url("/rot"), "").await;
    let c = app.store.customer_by_code("A100").await.unwrap().unwrap();
    let new = new_signing_secret();
    app.store
        .rotate_endpoint_secret(c.key, id, &new, now_ms() + 3_600_000)
        .await
        .unwrap();
    app.book(KEY_A, HOST_A, 24).await;
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(got[0].header("webhook-signature").split(' ').count(), 2);
    got[0].verify(&new).expect("the new secret verifies");
    got[0].verify(&old).expect("the old secret still verifies");
    // Once the overlap is over, only the new one signs.
    app.store
        .rotate_endpoint_secret(c.key, id, &new_signing_secret(), now_ms() - 1)
        .await
        .unwrap();
    app.book(KEY_A, HOST_A, 25).await;
    let got = rx.wait_for(2, WAIT).await;
    assert_eq!(got[1].header("webhook-signature").split(' ').count(), 1);
    assert!(got[1].verify(&new).is_err());
}

/// Every message arrives once even with several workers at once: here two servers on one
/// database, each with its delivery worker (`delivery_cli` does it with processes).
#[tokio::test]
async fn two_replicas_deliver_each_message_once() {
    let app = spawn_delivering().await;
    let other = app
        .replica_with(|c| {
            c.webhook_allow_private = true;
            c.delivery_tick_ms = 20;
        })
        .await;
    let rx = Receiver::start().await;
    add_endpoint(&app, "A100", &rx.url("/both"), "meeting.booked").await;
    for h in 0..200 {
        let app = if h % 2 == 0 { &app } else { &other };
        app.book(KEY_A, HOST_A, 24 + h).await;
    }
    let got = rx.wait_for(200, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for r in rx.received() {
        *per_id.entry(r.header("webhook-id").to_owned()).or_default() += 1;
    }
    assert_eq!(per_id.len(), 200, "none missing");
    assert!(per_id.values().all(|n| *n == 1), "no duplicates");
    assert_eq!(got.len(), 200);
    drop(other);
}

#[tokio::test]
async fn the_end_of_a_session_sends_report_ready_with_a_working_link() {
    let app = spawn_delivering().await;
    let rx = Receiver::start().await;
    let (_, secret) = add_endpoint(&app, "A100", &rx.url("/reports"), "report.ready").await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms() - 120_000;
    app.events(vec![
        participant_event("q1", "participant.joined", &cid, "host", t),
        json!({"eventId": "q2", "type": "session.ended", "conferenceId": cid, "at": t + 60_000}),
    ])
    .await;
    let got = rx.wait_for(1, WAIT).await;
    got[0]
        .verify(&secret)
        .expect("signed with the endpoint's secret");
    let v = got[0].json();
    assert_eq!(
        v["type"], "report.ready",
        "only what the endpoint asked for"
    );
    assert_eq!(v["data"]["conferenceId"], cid);
    assert!(v["data"]["endedAt"].is_string());
    let url = v["data"]["reportUrl"].as_str().unwrap();
    let csv = app
        .client
        .get(format!("{url}&format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 2, "the header and the host: {text}");
}
