//! Customer B's key cannot see, change or list customer A's meetings or users, and what it
//! gets back is exactly what a missing meeting or user gets.

use crate::common::*;
use serde_json::{Value, json};

/// Builds a request body naming a conference.
type BodyFor = Box<dyn Fn(&str) -> Value>;

/// The answer without the parts that differ on every request.
fn stable(mut v: Value) -> Value {
    for k in [
        "request_id",
        "reqid",
        "timestamp",
        "request_duration",
        "msg",
    ] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

/// `msg` with the id replaced, so "conference X does not exist" compares across ids.
fn msg_shape(v: &Value, id: &str) -> String {
    v["msg"].as_str().unwrap().replace(id, "<id>")
}

#[tokio::test]
async fn another_customers_meeting_looks_missing() {
    let app = spawn_app().await;
    let booked = app.book(KEY_A, HOST_A, 24).await;
    let id = booked["conferenceId"].as_str().unwrap().to_owned();
    let info = app.infos(&id).await;
    let event = info["result"][0]["eventId"].clone();
    assert!(event.is_i64(), "{info}");
    let missing = "999999999";

    let probes: Vec<(&str, BodyFor)> = vec![
        (
            "/conference/conference/getConfStatus",
            Box::new(|c| json!({"conferenceId": c})),
        ),
        (
            "/conference/conference/updateReservConference",
            Box::new(|c| json!({"conferenceId": c, "title": "mine now"})),
        ),
        (
            "/confopenapi/room/conference/infos",
            Box::new(|c| json!({"conferenceId": c})),
        ),
        (
            "/confopenapi/room/cancelReservConference",
            Box::new(|c| json!({"conferenceId": c})),
        ),
    ];
    for (path, body) in &probes {
        let theirs = app.post(path, KEY_B, &body(&id)).await;
        let nothing = app.post(path, KEY_B, &body(missing)).await;
        assert_eq!(theirs["status"], 50709, "{path}: {theirs}");
        assert_eq!(stable(theirs.clone()), stable(nothing.clone()), "{path}");
        assert_eq!(
            msg_shape(&theirs, &id),
            msg_shape(&nothing, missing),
            "{path}"
        );
    }
    for (path, body) in [
        (
            format!("/conference/conference/getConferenceBaseInfoById/6/{id}"),
            json!({}),
        ),
        (
            "/confopenapi/room/updateReservConference".to_owned(),
            json!({"eventId": event, "length": 5}),
        ),
    ] {
        app.expect(&path, KEY_B, &body, 50709).await;
    }
    let theirs = app
        .get(
            &format!("/conference/conference/cancelReservConference/6/{id}//"),
            KEY_B,
        )
        .await;
    assert_eq!(theirs["status"], 50709);

    // A's meeting is untouched by all of that.
    let mine = app.conf_status(&id).await;
    assert_eq!(mine["result"]["confStatus"], 1, "{mine}");
    let info = app.infos(&id).await;
    assert_eq!(info["result"][0]["title"], "t");
}

#[tokio::test]
async fn another_customers_user_looks_missing() {
    let app = spawn_app().await;
    app.book(KEY_A, HOST_A, 24).await;
    for (path, body) in [
        (
            "/conference/business/getConferenceList",
            json!({"userId": HOST_A}),
        ),
        (
            "/confopenapi/room/conference/list",
            json!({"userId": HOST_A}),
        ),
        (
            RESERV2,
            json!({"userId": HOST_A, "length": 30, "starttime": local_in_hours(5)}),
        ),
    ] {
        let theirs = app.post(path, KEY_B, &body).await;
        let mut nobody_body = body.clone();
        nobody_body["userId"] = json!(55555555);
        let nobody = app.post(path, KEY_B, &nobody_body).await;
        assert_eq!(theirs["status"], 51104, "{path}: {theirs}");
        assert_eq!(stable(theirs.clone()), stable(nobody.clone()), "{path}");
        assert_eq!(
            msg_shape(&theirs, &HOST_A.to_string()),
            msg_shape(&nobody, "55555555")
        );
    }
    // By email too; and B's admin listing never shows A's meetings (B has no admin key:
    // refused outright).
    for (path, body, want) in [
        (
            "/conference/business/getConferenceList",
            json!({"emailAccount": HOST_A_EMAIL}),
            51104,
        ),
        (LIST_BY_ADMIN, json!({"adminUserId": HOST_B}), 51101),
    ] {
        app.expect(path, KEY_B, &body, want).await;
    }
}

const LIST_BY_ADMIN: &str = "/confopenapi/room/conference/listByAdmin";
const RESERV2: &str = "/conference/conference/reservConference2";

#[tokio::test]
async fn keys_are_checked() {
    let app = spawn_app().await;
    let body = json!({"userId": HOST_A, "length": 30, "starttime": local_in_hours(5)});
    let json_bytes = |v: &Value| v.to_string().into_bytes();
    let (_, none) = app
        .post_raw(RESERV2, None, "application/json", json_bytes(&body))
        .await;
    assert_eq!(none["status"], 50001);
    app.expect(RESERV2, "not-a-key-at-all-000000", &body, 50001)
        .await;
    // A key refused once works as soon as it is imported: refusals are never cached.
    let mut late = fixtures();
    late.customers.clear();
    late.users.clear();
    late.credentials = vec![huiyi_store::ImportCredential {
        customer_code: "A100".into(),
        key: "not-a-key-at-all-000000".into(),
        admin: false,
    }];
    app.store
        .import(&late, huiyi_domain::time::now_unix())
        .await
        .unwrap();
    app.expect(RESERV2, "not-a-key-at-all-000000", &body, 0)
        .await;
    // Every accepted way of presenting a key works.
    let mut with_app_key = body.clone();
    with_app_key["appKey"] = json!(KEY_A);
    let (_, ok) = app
        .post_raw(RESERV2, None, "application/json", json_bytes(&with_app_key))
        .await;
    assert_eq!(ok["status"], 0, "{ok}");
    let r = app
        .client
        .post(format!("{}{RESERV2}", app.url))
        .header("authorization", format!("Bearer {KEY_A}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], 0);
    // An app key cannot use the admin listing; an admin key with a non-admin user cannot either.
    for (key, admin) in [(KEY_A, ADMIN_A), (ADMIN_KEY_A, HOST_A)] {
        let body = json!({"adminUserId": admin});
        app.expect(LIST_BY_ADMIN, key, &body, 51101).await;
    }
}

/// listByAdmin judges the credential and the admin before the window: a non-admin learns
/// nothing about windows, and an admin may ask for every booking ever (0 to 2100) and is
/// served page by page.
#[tokio::test]
async fn list_by_admin_checks_the_admin_before_the_window_and_serves_any_window() {
    let app = spawn_app().await;
    app.book(KEY_A, HOST_A, 24).await;
    app.book(KEY_A, HOST_A2, 48).await;
    let everything =
        json!({"adminUserId": ADMIN_A, "startTime": 0, "endTime": 4_102_444_800i64, "limit": 1});
    for (key, body) in [
        (KEY_A, everything.clone()),
        (
            ADMIN_KEY_A,
            json!({"adminUserId": HOST_A, "startTime": 0, "endTime": 4_102_444_800i64}),
        ),
        // A backwards window: still the admin check first.
        (
            KEY_A,
            json!({"adminUserId": ADMIN_A, "startTime": 100, "endTime": 10}),
        ),
    ] {
        app.expect(LIST_BY_ADMIN, key, &body, 51101).await;
    }
    let backwards = app
        .expect(
            LIST_BY_ADMIN,
            ADMIN_KEY_A,
            &json!({"adminUserId": ADMIN_A, "startTime": 100, "endTime": 10}),
            50103,
        )
        .await;
    assert!(
        backwards["msg"]
            .as_str()
            .unwrap()
            .contains("after its start")
    );
    let mut seen = Vec::new();
    let mut query = everything.clone();
    for _ in 0..3 {
        let page = app.expect(LIST_BY_ADMIN, ADMIN_KEY_A, &query, 0).await;
        let items = page["result"].as_array().unwrap();
        assert!(items.len() <= 1, "a page of limit 1: {page}");
        let Some(item) = items.first() else { break };
        seen.push(item["eventId"].as_i64().unwrap());
        query["eventIdFilter"] = item["eventId"].clone();
    }
    assert_eq!(seen.len(), 2, "both bookings, one per page: {seen:?}");
    assert!(seen[0] < seen[1], "in eventId order: {seen:?}");
}
