//! Edits change only the fields they name; invitees come from both invitee dialects.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn an_edit_changes_only_what_it_names() {
    let app = spawn_app().await;
    let booked = app.expect("/confopenapi/room/reservConference", KEY_A, &json!({ "userId": HOST_A, "title": "Plan", "length": 45, "starttime": local_in_hours(26), "summary": "agenda", "useWaitingRoom": 1, "joinConfSelTag": 1, "joinConfTags": "aa,bb", "participantsLists": format!("{INVITEE_A},guest@outside.example"), "password_type": 1, }), 0).await;
    let id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app.infos(&id).await;
    let b = &before["result"][0];
    let people: Vec<_> = b["attendList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["user"].clone(), a["userType"].clone()))
        .collect();
    assert!(
        people.contains(&(json!(INVITEE_A.to_string()), json!(1))),
        "{people:?}"
    );
    assert!(people.contains(&(json!(""), json!(2))), "{people:?}");

    app.expect(
        "/confopenapi/room/updateReservConference",
        KEY_A,
        &json!({"conferenceId": id, "title": "Plan v2"}),
        0,
    )
    .await;
    let after = app.infos(&id).await;
    let a = &after["result"][0];
    assert_eq!(a["title"], "Plan%20v2");
    for key in [
        "startTime",
        "endTime",
        "length",
        "summary",
        "useWaitingRoom",
        "joinConfSelTag",
        "joinConfTags",
        "attendList",
        "pcode1",
        "pcode2",
        "billingCode",
        "hostJoinUrl",
        "attendeeJoinUrl",
        "eventId",
    ] {
        assert_eq!(
            a[key], b[key],
            "{key} changed although the edit did not name it"
        );
    }
    assert!(a["modifyTime"].as_i64() >= b["modifyTime"].as_i64());

    // Naming the invitees replaces them; naming a setting changes it alone.
    app.expect(
        "/conference/conference/updateReservConference",
        KEY_A,
        &json!({"conferenceId": id, "inviteeList": [], "seting": "{\"useWaitingRoom\": \"0\"}"}),
        0,
    )
    .await;
    let last = app.infos(&id).await;
    let l = &last["result"][0];
    assert_eq!(l["useWaitingRoom"], 0);
    assert_eq!(l["joinConfSelTag"], 1);
    assert_eq!(
        l["attendList"].as_array().unwrap().len(),
        1,
        "only the host remains: {l}"
    );
    assert_eq!(l["title"], "Plan%20v2");
}

#[tokio::test]
async fn only_the_host_or_an_admin_may_change_a_meeting() {
    let app = spawn_app().await;
    let b = app.book(KEY_A, HOST_A, 30).await;
    let id = b["conferenceId"].as_str().unwrap();
    app.expect(
        "/conference/conference/updateReservConference",
        KEY_A,
        &json!({"conferenceId": id, "userId": HOST_A2, "title": "x"}),
        50103,
    )
    .await;
    let admin = app
        .expect(
            "/conference/conference/updateReservConference",
            KEY_A,
            &json!({"conferenceId": id, "userId": ADMIN_A, "title": "by admin"}),
            0,
        )
        .await;
    assert_eq!(admin["result"]["conferenceTitle"], "by admin");
    assert_eq!(admin["result"]["userId"], HOST_A, "the host stays the host");
}
