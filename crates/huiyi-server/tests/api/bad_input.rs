//! Bad input is answered with a documented code and a message naming what to fix; never a
//! crash, a 500, or half-written state.

use crate::common::*;
use proptest::prelude::*;
use serde_json::{Value, json};

const BOOK: &str = "/conference/conference/reservConference2";

async fn refused(app: &TestApp, path: &str, body: Value, code: i64, mentions: &str) {
    let v = app.post(path, KEY_A, &body).await;
    assert_eq!(v["status"], code, "{path} {body}: {v}");
    let msg = v["msg"].as_str().unwrap();
    assert!(
        msg.contains(mentions),
        "{path}: message {msg:?} should mention {mentions:?}"
    );
    assert!(v["result"].is_null());
}

#[tokio::test]
async fn malformed_bodies_get_50104() {
    let app = spawn_app().await;
    for (ct, body) in [
        ("application/json", &b"{\"userId\": "[..]),
        ("application/json", b"[1, 2, 3]"),
        ("application/json", b"\xff\xfe\xfd"),
        ("application/x-www-form-urlencoded", b"a=\xff\xfe"),
        ("text/plain", b"hello there"),
    ] {
        let (http, v) = app.post_raw(BOOK, Some(KEY_A), ct, body.to_vec()).await;
        assert_eq!(http, 200);
        assert_eq!(v["status"], 50104, "{ct} {body:?}: {v}");
        assert!(!v["msg"].as_str().unwrap().is_empty());
    }
    // Form noise that decodes to nothing useful is read as no fields: the answer names what is
    // missing rather than guessing.
    let (_, v) = app
        .post_raw(
            BOOK,
            Some(KEY_A),
            "application/x-www-form-urlencoded",
            b"%%%=&&=%zz".to_vec(),
        )
        .await;
    assert_eq!(v["status"], 50103, "{v}");
    assert!(v["msg"].as_str().unwrap().contains("userId"), "{v}");
}

#[tokio::test]
async fn form_bodies_are_accepted() {
    let app = spawn_app().await;
    let form = format!(
        "appId=6&userId={HOST_A}&title=%E5%91%A8%E4%BC%9A&length=45&starttime={}&password_type=1",
        local_in_hours(30).replace(' ', "+")
    );
    let (_, v) = app
        .post_raw(
            BOOK,
            Some(KEY_A),
            "application/x-www-form-urlencoded",
            form.into_bytes(),
        )
        .await;
    assert_eq!(v["status"], 0, "{v}");
    assert_eq!(v["result"]["conferenceTitle"], "周会");
    assert_eq!(v["result"]["length"], 45);
}

#[tokio::test]
async fn wrong_types_missing_fields_and_out_of_range_values() {
    let app = spawn_app().await;
    let start = local_in_hours(30);
    for (path, body, code, mentions) in [
        (
            BOOK,
            json!({"userId": HOST_A, "length": "sixty", "starttime": start}),
            50103,
            "length",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": [60], "starttime": start}),
            50103,
            "length",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "starttime": start}),
            50103,
            "length",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 0, "starttime": start}),
            50103,
            "length",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": -30, "starttime": start}),
            50103,
            "length",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 100000, "starttime": start}),
            50103,
            "length",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60}),
            50103,
            "starttime",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60, "starttime": "next tuesday"}),
            50103,
            "starttime",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60, "starttime": "2001-01-01 10:00:00"}),
            50103,
            "past",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60, "starttime": start, "title": "x".repeat(300)}),
            50103,
            "title",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60, "starttime": start, "password_type": 7}),
            50103,
            "password_type",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60, "starttime": start, "timezone": "Mars/Olympus"}),
            50103,
            "timezone",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60, "starttime": start, "email_notify": "perhaps"}),
            50103,
            "email_notify",
        ),
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60, "starttime": start, "inviteeList": [{"name": "x"}]}),
            50103,
            "inviteeList[0]",
        ),
    ] {
        refused(&app, path, body, code, mentions).await;
    }
    refused(&app, BOOK, json!({"userId": HOST_A, "length": 60, "starttime": start, "inviteeList": [{"userId": 424242}]}), 50103, "424242").await;
    for (path, body, code, mentions) in [
        (
            BOOK,
            json!({"userId": HOST_A, "length": 60, "starttime": start, "openWatchword": 1}),
            50103,
            "eventWatchword",
        ),
        (
            BOOK,
            json!({"length": 60, "starttime": start}),
            50103,
            "userId",
        ),
        (
            BOOK,
            json!({"userId": 31337, "length": 60, "starttime": start}),
            51104,
            "31337",
        ),
        (
            "/conference/conference/getConfStatus",
            json!({"conferenceId": "123456789"}),
            50709,
            "123456789",
        ),
        (
            "/conference/conference/getConfStatus",
            json!({"conferenceId": "12x"}),
            50709,
            "12x",
        ),
        (
            "/conference/conference/getConfStatus",
            json!({}),
            50103,
            "conferenceId",
        ),
        (
            "/confopenapi/room/conference/listByAdmin",
            json!({"adminUserId": ADMIN_A, "limit": 0}),
            50103,
            "limit",
        ),
    ] {
        refused(&app, path, body, code, mentions).await;
    }
    // Nothing was written by any of that.
    let list = app.host_list(HOST_A).await;
    assert_eq!(list["result"]["totalNum"], 0, "{list}");
}

#[tokio::test]
async fn cancelled_and_ended_meetings_refuse_changes() {
    let app = spawn_app().await;
    let b = app.book(KEY_A, HOST_A, 24).await;
    let id = b["conferenceId"].as_str().unwrap();
    app.cancel(id).await;
    refused(
        &app,
        "/confopenapi/room/cancelReservConference",
        json!({"conferenceId": id}),
        50710,
        id,
    )
    .await;
    refused(
        &app,
        "/conference/conference/updateReservConference",
        json!({"conferenceId": id, "title": "again"}),
        50710,
        id,
    )
    .await;

    // A one-minute meeting that started four minutes ago (inside the booking grace) is over.
    let over = app
        .expect(
            BOOK,
            KEY_A,
            &json!({"userId": HOST_A, "length": 1, "starttime": local_in_minutes(-4)}),
            0,
        )
        .await;
    let over_id = over["result"]["conferenceId"].as_str().unwrap().to_owned();
    let status = app.conf_status(&over_id).await;
    assert_eq!(status["result"]["confStatus"], 5, "{status}");
    refused(
        &app,
        "/conference/conference/updateReservConference",
        json!({"conferenceId": over_id, "length": 90}),
        50711,
        &over_id,
    )
    .await;
    refused(
        &app,
        "/confopenapi/room/cancelReservConference",
        json!({"conferenceId": over_id}),
        50711,
        &over_id,
    )
    .await;
}

#[tokio::test]
async fn unknown_paths_and_methods_keep_the_envelope() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(format!("{}/conference/nothing/here", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], 50404);
    let r = app
        .client
        .get(format!(
            "{}/conference/conference/reservConference2",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], 50405);
    let big = vec![b'a'; 2 * 1024 * 1024];
    let (http, v) = app
        .post_raw(BOOK, Some(KEY_A), "application/json", big)
        .await;
    assert_eq!(http, 413);
    assert_eq!(v["status"], 50413);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(-1i64)].prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("2030-01-01 10:00:00")),
        Just(json!("")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FIELDS: [&str; 24] = [
    "startTime",
    "endTime",
    "startDate",
    "endDate",
    "cycleRole",
    "repeatEndDate",
    "periodEndDate",
    "singleStartTime",
    "userId",
    "title",
    "length",
    "starttime",
    "password_type",
    "inviteeList",
    "participantsLists",
    "seting",
    "conferenceId",
    "eventId",
    "cycle",
    "extend",
    "timezone",
    "email_notify",
    "composeRoomList",
    "limit",
];

const PATHS: [&str; 10] = [
    "/confopenapi/room/conference/listByAdmin",
    "/conference/conference/reservConference2",
    "/conference/conference/updateReservConference",
    "/conference/business/getConferenceList",
    "/conference/conference/getConfStatus",
    "/confopenapi/room/reservConference",
    "/confopenapi/room/updateReservConference",
    "/confopenapi/room/cancelReservConference",
    "/confopenapi/room/conference/infos",
    "/confopenapi/room/conference/list",
];

/// Random bodies built from the real field names with values of every type: every answer is
/// HTTP 200 with an envelope whose status is a documented code, never 50500.
#[test]
fn property_no_request_body_causes_a_500() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(spawn_app());
    let documented: Vec<i64> = huiyi_wire::Code::ALL.iter().map(|c| c.number()).collect();
    let cases = if backend() == "postgres" { 96 } else { 160 };
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        ..ProptestConfig::default()
    });
    let strategy = (
        0..PATHS.len(),
        prop::collection::vec((prop::sample::select(FIELDS.to_vec()), arb_json()), 0..8),
        any::<bool>(),
    );
    runner
        .run(&strategy, |(p, fields, as_form)| {
            let mut body = serde_json::Map::new();
            body.insert("userId".into(), json!(HOST_A));
            for (k, v) in fields {
                body.insert(k.to_owned(), v);
            }
            let (bytes, ct) = if as_form {
                let pairs: Vec<(String, String)> = body
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect();
                (
                    serde_urlencoded::to_string(pairs).unwrap().into_bytes(),
                    "application/x-www-form-urlencoded",
                )
            } else {
                (
                    Value::Object(body).to_string().into_bytes(),
                    "application/json",
                )
            };
            let (http, v) = rt.block_on(app.post_raw(PATHS[p], Some(KEY_A), ct, bytes));
            prop_assert_eq!(http, 200);
            let status = v["status"].as_i64().unwrap();
            prop_assert!(
                status == 0 || documented.contains(&status),
                "undocumented status {}",
                status
            );
            prop_assert_ne!(status, 50500, "internal error: {}", v);
            Ok(())
        })
        .unwrap();
    drop(app);
}

const EVENT_KEYS: [&str; 16] = [
    "eventId",
    "type",
    "at",
    "conferenceId",
    "pcode",
    "occurrenceStart",
    "participant",
    "participantId",
    "voice",
    "rollCallId",
    "video",
    "viewer",
    "viewerId",
    "recording",
    "reason",
    "address",
];

/// Every event type the interface knows, and one it does not.
fn event_types() -> Vec<&'static str> {
    huiyi_wire::media::event_types().chain(["bogus"]).collect()
}

/// Correctly signed random batches, built from the real keys with values of every type: every
/// answer is a documented code, never 50500 nor another HTTP 5xx.
#[test]
fn property_no_media_batch_causes_a_500() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(spawn_app());
    let cid = rt.block_on(app.book(KEY_A, HOST_A, 1))["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let documented: Vec<i64> = huiyi_wire::Code::ALL.iter().map(|c| c.number()).collect();
    let cases = if backend() == "postgres" { 64 } else { 128 };
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        ..ProptestConfig::default()
    });
    let event = (
        prop::sample::select(event_types()),
        any::<bool>(),
        prop::collection::vec(
            (prop::sample::select(EVENT_KEYS.to_vec()), arb_json()),
            0..5,
        ),
    );
    let strategy = prop::collection::vec(event, 0..4);
    let n = std::sync::atomic::AtomicU64::new(0);
    runner
        .run(&strategy, |events| {
            let list: Vec<Value> = events
                .into_iter()
                .map(|(kind, real_meeting, fields)| {
                    let id = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let mut e = json!({"eventId": format!("prop-{id}"), "type": kind});
                    if real_meeting {
                        e["conferenceId"] = json!(cid);
                    }
                    for (k, v) in fields {
                        e[k] = v;
                    }
                    e
                })
                .collect();
            let (http, v) = rt.block_on(app.media(&json!({ "events": list })));
            let status = v["status"].as_i64().unwrap();
            prop_assert!(
                status == 0 || documented.contains(&status),
                "undocumented status {}",
                status
            );
            prop_assert_ne!(status, 50500, "internal error: {}", v);
            prop_assert!(http < 500, "HTTP {} for {}", http, v);
            Ok(())
        })
        .unwrap();
    drop(app);
}
