//! Every request example of the booking endpoints is replayed as written (only its ids pointed
//! at fixtures and its dates moved into the future), and every answer is compared with the
//! matching response example: same keys, same JSON types, nested too.

use crate::common::shape::*;
use crate::common::*;
use serde_json::{Value, json};

/// Tomorrow (or later) at the example's own wall-clock time.
fn future(original: &str, days: i64) -> String {
    let time = original.split([' ', 'T']).nth(1).unwrap_or("10:00:00");
    let zone = huiyi_domain::time::Zone::parse("Asia/Shanghai").unwrap();
    let sep = if original.contains('T') { "T" } else { " " };
    format!(
        "{}{sep}{time}",
        zone.date(huiyi_domain::time::now_unix() + days * 86_400)
    )
}

#[tokio::test]
async fn v1_examples_replay_with_the_reference_shapes() {
    let app = spawn_app().await;

    // 1: book, exactly as written but for the host id and the date.
    let mut req = example("01-reservConference2.request.json");
    req["starttime"] = json!(future(req["starttime"].as_str().unwrap(), 2));
    let booked = app
        .post("/conference/conference/reservConference2", KEY_A, &req)
        .await;
    assert_same_shape("01-reservConference2.response.json", &booked);
    let r = &booked["result"];
    assert_eq!(r["conferenceTitle"], "测试%");
    assert_eq!(r["length"], 120);
    assert_eq!(r["userId"], HOST_A);
    assert_eq!(r["startTime"], req["starttime"]);
    let conference_id = r["conferenceId"].as_str().unwrap().to_owned();
    assert!(
        r["attendeeJoinUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/k/", app.url))
    );

    // 2: edit: the example names another host and a conference of its own.
    let mut edit = example("02-updateReservConference.request.json");
    edit["conferenceId"] = json!(conference_id);
    edit["userId"] = json!(HOST_A.to_string());
    edit["hostUserId"] = json!(format!("{HOST_A} "));
    edit["starttime"] = json!(future(edit["starttime"].as_str().unwrap(), 3));
    let edited = app
        .post(
            "/conference/conference/updateReservConference",
            KEY_A,
            &edit,
        )
        .await;
    assert_same_shape("02-updateReservConference.response.json", &edited);
    let e = &edited["result"];
    assert_eq!(e["conferenceTitle"], "线下OpenAPi测试会议");
    assert_eq!(e["length"], 60);
    assert_eq!(e["conferenceId"], json!(conference_id), "ids stay");
    assert_eq!(e["pcode1"], r["pcode1"], "passcodes stay");
    assert_eq!(e["pcode2"], r["pcode2"], "passcodes stay");

    // 4: the host's list covers the edited meeting.
    let list = app.host_list(HOST_A).await;
    // `list` is keyed by local date: each of our dates is compared with the example's date.
    let mut expected = example("04-getConferenceList.response.json");
    let day = expected["result"]["list"]["2020-07-07"].clone();
    let ours: serde_json::Map<String, Value> = list["result"]["list"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (k.clone(), day.clone()))
        .collect();
    assert_eq!(ours.len(), 1);
    expected["result"]["list"] = Value::Object(ours);
    assert_shape_against("04-getConferenceList.response.json", expected, &list);
    assert_eq!(list["result"]["totalNum"], 1);

    // 5: base info by path.
    let info = app.base_info(&conference_id).await;
    assert_same_shape("05-getConferenceBaseInfoById.response.json", &info);
    assert_eq!(info["result"]["total_invitee"], "1");
    assert_eq!(
        info["result"]["invitee"][0]["email"],
        "bing.shao@quanshi.com"
    );

    // 6: status from the clock: created, joinable only from two hours before.
    let status = app
        .post(
            "/conference/conference/getConfStatus",
            KEY_A,
            &json!({"appId": 6, "userId": HOST_A, "conferenceId": conference_id}),
        )
        .await;
    assert_same_shape("06-getConfStatus.response.json", &status);
    assert_eq!(status["result"]["confStatus"], 1);
    assert_eq!(status["result"]["advanceHours"], "2");

    // 3: cancel by GET with the host's URL-encoded email, as in the reference.
    let cancelled = app
        .get(
            &format!("/conference/conference/cancelReservConference/6/{conference_id}/Zh-cn/eyh1%40test1.com"),
            KEY_A,
        )
        .await;
    assert_same_shape("03-cancelReservConference.response.json", &cancelled);
    let after = app.conf_status(&conference_id).await;
    assert_eq!(after["result"]["confStatus"], 0);
}

#[tokio::test]
async fn room_examples_replay_with_the_reference_shapes() {
    let app = spawn_app().await;

    // 14: book; the example's host is ours by id only.
    let mut req = example("14-room-reservConference.request.json");
    req["userId"] = json!(HOST_A);
    req["starttime"] = json!(future(req["starttime"].as_str().unwrap(), 2));
    let booked = app
        .post("/confopenapi/room/reservConference", KEY_A, &req)
        .await;
    assert_same_shape("14-room-reservConference.response.json", &booked);
    let event_id = booked["result"]["eventId"].as_i64().unwrap();
    let conference_id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(booked["result"]["length"], 30);

    // 15: edit by eventId and conferenceId.
    let mut edit = example("15-room-updateReservConference.request.json");
    edit["eventId"] = json!(event_id);
    edit["conferenceId"] = json!(conference_id);
    edit["userId"] = json!(HOST_A);
    edit["starttime"] = json!(future(edit["starttime"].as_str().unwrap(), 2));
    let edited = app
        .post("/confopenapi/room/updateReservConference", KEY_A, &edit)
        .await;
    assert_same_shape("15-room-updateReservConference.response.json", &edited);
    assert_eq!(edited["result"]["length"], 40);
    assert_eq!(edited["result"]["conferenceTitle"], "王迪的会议测q1q2q3q4");

    // 17: infos by conferenceId, and by the host passcode.
    let mut q = example("17-room-conference-infos.request.json");
    q["conferenceId"] = json!(conference_id);
    q["userId"] = json!(HOST_A);
    let infos = app
        .post("/confopenapi/room/conference/infos", KEY_A, &q)
        .await;
    assert_same_shape("17-room-conference-infos.response.json", &infos);
    let item = &infos["result"][0];
    assert_eq!(item["eventId"], event_id);
    assert_eq!(
        item["title"],
        "%E7%8E%8B%E8%BF%AA%E7%9A%84%E4%BC%9A%E8%AE%AE%E6%B5%8Bq1q2q3q4"
    );
    let by_pcode = app
        .post(
            "/confopenapi/room/conference/infos",
            KEY_A,
            &json!({"pcode": item["pcode1"], "userId": HOST_A}),
        )
        .await;
    assert_eq!(by_pcode["result"][0]["eventId"], event_id, "{by_pcode}");

    // 18: the host's list over a window covering the meeting.
    let now = huiyi_domain::time::now_unix();
    let mut l = example("18-room-conference-list.request.json");
    l["userId"] = json!(HOST_A);
    l["startTime"] = json!(now);
    l["endTime"] = json!(now + 7 * 86_400);
    let list = app
        .post("/confopenapi/room/conference/list", KEY_A, &l)
        .await;
    assert_same_shape("18-room-conference-list.response.json", &list);
    assert_eq!(list["result"].as_array().unwrap().len(), 1);

    // 23: the admin's view, with an admin key.
    let mut a = example("23-room-conference-listByAdmin.request.json");
    a["adminUserId"] = json!(ADMIN_A);
    a["startTime"] = json!(now);
    a["endTime"] = json!(now + 7 * 86_400);
    let admin = app
        .post("/confopenapi/room/conference/listByAdmin", ADMIN_KEY_A, &a)
        .await;
    // Example 23's customer had no dial-in numbers, so its accessNumbers lists are null; ours has
    // numbers configured, and example 18 (the same item shape) shows them as lists.
    let mut expected = example("23-room-conference-listByAdmin.response.json");
    for item in expected["result"].as_array_mut().unwrap() {
        item["accessNumbers"] =
            example("18-room-conference-list.response.json")["result"][0]["accessNumbers"].clone();
    }
    assert_shape_against(
        "23-room-conference-listByAdmin.response.json",
        expected,
        &admin,
    );
    assert_eq!(admin["result"][0]["eventId"], event_id);

    // 16: cancel.
    let mut c = example("16-room-cancelReservConference.request.json");
    c["userId"] = json!(HOST_A);
    c["conferenceId"] = json!(conference_id);
    let cancelled = app
        .post("/confopenapi/room/cancelReservConference", KEY_A, &c)
        .await;
    assert_same_shape("16-room-cancelReservConference.response.json", &cancelled);
    let after = app
        .post("/confopenapi/room/conference/infos", KEY_A, &q)
        .await;
    assert_eq!(
        after["result"][0]["status"], 0,
        "room-era endpoints report cancelled bookings as 0"
    );
}

/// Without dial-in numbers configured, every answer that carries `accessNumbers` still has
/// arrays there (empty), never `null`: clients written against 17 and 18 iterate them.
#[tokio::test]
async fn access_number_lists_are_arrays_even_when_none_are_configured() {
    let app = spawn_app_with(|c| c.access_numbers.clear()).await;
    let booked = app.book(KEY_A, HOST_A, 24).await;
    let conference_id = booked["conferenceId"].as_str().unwrap();
    let infos = app.infos(conference_id).await;
    let admin = app
        .post(
            "/confopenapi/room/conference/listByAdmin",
            ADMIN_KEY_A,
            &json!({"adminUserId": ADMIN_A}),
        )
        .await;
    let list = app
        .post(
            "/confopenapi/room/conference/list",
            KEY_A,
            &json!({"userId": HOST_A}),
        )
        .await;
    for (what, v) in [("infos", &infos), ("listByAdmin", &admin), ("list", &list)] {
        assert_eq!(v["status"], 0, "{what}: {v}");
        let item = &v["result"][0];
        assert_eq!(
            item["accessNumbers"],
            json!({"ChooseBySelf": [], "En-us": [], "Zh-cn": []}),
            "{what}: {item}"
        );
    }
    let base = app.base_info(conference_id).await;
    assert_eq!(base["result"]["accessNum"], json!([]), "{base}");
}
