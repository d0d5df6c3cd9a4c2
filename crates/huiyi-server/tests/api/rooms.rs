//! Rooms in bookings: `composeRoomList` checked against the registry, `houseList`/`equipList` in
//! the answers, no room ever booked twice at once (single meetings, every occurrence of a
//! series, edits, cancels, concurrent requests across replicas), and approval.

use crate::common::process::{failed, huiyi, succeeded};
use crate::common::*;
use huiyi_domain::time::Zone;
use serde_json::{Value, json};

const ROOM_BOOK: &str = "/confopenapi/room/reservConference";
const ROOM_EDIT: &str = "/confopenapi/room/updateReservConference";
const ROOM_CANCEL: &str = "/confopenapi/room/cancelReservConference";
const INFOS: &str = "/confopenapi/room/conference/infos";
const ROOM_LIST: &str = "/confopenapi/room/conference/list";
const ADMIN_LIST: &str = "/confopenapi/room/conference/listByAdmin";
const V1_BOOK: &str = "/conference/conference/reservConference2";

/// The keys the reference lists for `houseList和equipList结构`, in its order.
const DEVICE_KEYS: [&str; 11] = [
    "DeviceId",
    "DeviceType",
    "DeviceName",
    "City",
    "Location",
    "Floor",
    "IsMainRoom",
    "ParentDeviceId",
    "ParentDeviceType",
    "ApplyUserId",
    "ApprovalStatus",
];

fn shanghai() -> Zone {
    Zone::parse("Asia/Shanghai").unwrap()
}

/// Unix seconds of a whole hour `hours` from now.
fn hour_from_now(hours: i64) -> i64 {
    (huiyi_domain::time::now_unix() / 3600 + hours) * 3600
}

fn booking(start: i64, minutes: i64, rooms: Value) -> Value {
    json!({"userId": HOST_A, "title": "Room test", "starttime": shanghai().format(start),
           "length": minutes, "composeRoomList": rooms})
}

fn id_of(env: &Value) -> String {
    env["result"]["conferenceId"].as_str().unwrap().to_owned()
}

async fn infos(app: &TestApp, conference_id: &str) -> Value {
    let env = app
        .expect(INFOS, KEY_A, &json!({"conferenceId": conference_id}), 0)
        .await;
    env["result"][0].clone()
}

#[tokio::test]
async fn rooms_and_equipment_show_in_every_room_answer() {
    let app = spawn_app().await;
    let start = hour_from_now(48);
    let rooms = json!([
        {"roomId": ROOM_A, "isMainRoom": 1, "equipIdList": [6152]},
        {"roomId": ROOM_A2, "isMainRoom": 2, "equipIdList": ["6146", 6148]}
    ]);
    let id = id_of(
        &app.expect(ROOM_BOOK, KEY_A, &booking(start, 60, rooms), 0)
            .await,
    );
    let item = infos(&app, &id).await;
    let houses = item["houseList"].as_array().unwrap();
    let equips = item["equipList"].as_array().unwrap();
    for d in houses.iter().chain(equips) {
        let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, DEVICE_KEYS, "{d}");
    }
    assert_eq!(
        houses[0],
        json!({"DeviceId": ROOM_A, "DeviceType": 2, "DeviceName": "杏花村2", "City": "西安",
               "Location": "锦业路", "Floor": 14, "IsMainRoom": 1, "ParentDeviceId": 0,
               "ParentDeviceType": 0, "ApplyUserId": HOST_A, "ApprovalStatus": 2})
    );
    assert_eq!(houses[1]["DeviceId"], ROOM_A2);
    assert_eq!(houses[1]["IsMainRoom"], 2);
    assert_eq!(houses[1]["City"], "北京");
    let equip: Vec<(i64, i64, &str)> = equips
        .iter()
        .map(|e| {
            assert_eq!(e["DeviceType"], 3);
            assert_eq!(e["ParentDeviceType"], 2);
            (
                e["DeviceId"].as_i64().unwrap(),
                e["ParentDeviceId"].as_i64().unwrap(),
                e["DeviceName"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        equip,
        vec![
            (6152, ROOM_A, "盒子"),
            (6146, ROOM_A2, "投影仪"),
            (6148, ROOM_A2, "麦克风")
        ]
    );
    // The same in list (18) and listByAdmin (23).
    let listed = app
        .expect(
            ROOM_LIST,
            KEY_A,
            &json!({"userId": HOST_A, "startTime": start - 60, "endTime": start + 7200}),
            0,
        )
        .await;
    assert_eq!(listed["result"][0]["houseList"], item["houseList"]);
    assert_eq!(listed["result"][0]["equipList"], item["equipList"]);
    let admin = app
        .expect(
            ADMIN_LIST,
            ADMIN_KEY_A,
            &json!({"adminUserId": ADMIN_A, "startTime": start - 60, "endTime": start + 7200}),
            0,
        )
        .await;
    assert_eq!(admin["result"][0]["houseList"], item["houseList"]);
    // An edit naming fewer rooms lets the others go.
    app.expect(
        ROOM_EDIT,
        KEY_A,
        &json!({"conferenceId": id, "userId": HOST_A, "composeRoomList": [{"roomId": ROOM_A2, "isMainRoom": 1}]}),
        0,
    )
    .await;
    let item = infos(&app, &id).await;
    assert_eq!(item["houseList"].as_array().unwrap().len(), 1);
    assert_eq!(item["equipList"], json!([]));
    app.expect(
        ROOM_BOOK,
        KEY_A,
        &booking(start, 60, json!([{"roomId": ROOM_A}])),
        0,
    )
    .await;
}

#[tokio::test]
async fn registry_ids_that_are_not_the_customer_s_are_refused() {
    let app = spawn_app().await;
    let start = hour_from_now(30);
    let cases = [
        // Customer B's room: exactly like a room that does not exist.
        (
            json!([{"roomId": ROOM_B}]),
            "roomId 20001 is not a room of this customer",
        ),
        (
            json!([{"roomId": 424242}]),
            "roomId 424242 is not a room of this customer",
        ),
        (
            json!([{"roomId": ROOM_A, "equipIdList": [999]}]),
            "equipment 999 is not equipment of room 6518",
        ),
        // Equipment of another room of the same customer.
        (
            json!([{"roomId": ROOM_A, "equipIdList": [6146]}]),
            "equipment 6146 is not equipment of room 6518",
        ),
        // B's equipment in A's room.
        (
            json!([{"roomId": ROOM_A, "equipIdList": [30001]}]),
            "equipment 30001",
        ),
        (
            json!([{"roomId": ROOM_A, "isMainRoom": 1}, {"roomId": ROOM_A2, "isMainRoom": 1}]),
            "more than one main venue",
        ),
        (
            json!([{"roomId": ROOM_A, "isMainRoom": 3}]),
            "isMainRoom must be 0, 1",
        ),
        (
            json!([{"roomId": ROOM_A}, {"roomId": ROOM_A}]),
            "named twice",
        ),
    ];
    for (rooms, says) in cases {
        let env = app
            .expect(ROOM_BOOK, KEY_A, &booking(start, 30, rooms.clone()), 50103)
            .await;
        let msg = env["msg"].as_str().unwrap();
        assert!(msg.contains(says), "{rooms}: {msg}");
    }
    // Nothing of any of them was stored.
    let listed = app
        .expect(
            ROOM_LIST,
            KEY_A,
            &json!({"userId": HOST_A, "startTime": start - 60, "endTime": start + 7200}),
            0,
        )
        .await;
    assert_eq!(listed["result"], json!([]));
    // B books its own room; A's key cannot see that booking's room as its own.
    let b = json!({"userId": HOST_B, "title": "B", "starttime": shanghai().format(start), "length": 30,
                   "composeRoomList": [{"roomId": ROOM_B, "equipIdList": [30001]}]});
    app.expect(ROOM_BOOK, KEY_B, &b, 0).await;
    app.expect(
        ROOM_BOOK,
        KEY_A,
        &booking(start, 30, json!([{"roomId": ROOM_B}])),
        50103,
    )
    .await;
}

#[tokio::test]
async fn a_room_is_never_booked_twice_at_once() {
    let app = spawn_app().await;
    let t = hour_from_now(72);
    let room = json!([{"roomId": ROOM_A}]);
    let first = id_of(
        &app.expect(ROOM_BOOK, KEY_A, &booking(t, 60, room.clone()), 0)
            .await,
    );
    // Overlapping, from either side, and enclosing: refused, naming the room and the meeting.
    for (start, minutes) in [
        (t + 30 * 60, 60),
        (t - 30 * 60, 45),
        (t - 3600, 180),
        (t + 600, 10),
    ] {
        let env = app
            .expect(
                ROOM_BOOK,
                KEY_A,
                &booking(start, minutes, room.clone()),
                50715,
            )
            .await;
        let msg = env["msg"].as_str().unwrap();
        assert!(
            msg.contains(&format!("room {ROOM_A}")) && msg.contains(&first),
            "{msg}"
        );
        assert_eq!(env["result"], Value::Null);
    }
    // Back to back is no overlap; another room at the same time is free; v1 bookings carry
    // rooms too (the `seting` of example 01 may name them).
    let after = id_of(
        &app.expect(ROOM_BOOK, KEY_A, &booking(t + 3600, 30, room.clone()), 0)
            .await,
    );
    app.expect(ROOM_BOOK, KEY_A, &booking(t - 1800, 30, room.clone()), 0)
        .await;
    app.expect(
        ROOM_BOOK,
        KEY_A,
        &booking(t, 60, json!([{"roomId": ROOM_A2}])),
        0,
    )
    .await;
    let v1 = json!({"userId": HOST_A, "title": "v1", "starttime": shanghai().format(t + 900), "length": 30, "composeRoomList": room});
    app.expect(V1_BOOK, KEY_A, &v1, 50715).await;
    // An edit that moves a booking onto another refuses and changes nothing.
    let env = app
        .expect(ROOM_EDIT, KEY_A, &json!({"conferenceId": after, "userId": HOST_A, "starttime": shanghai().format(t + 1800)}), 50715)
        .await;
    assert!(env["msg"].as_str().unwrap().contains(&first));
    assert_eq!(infos(&app, &after).await["startTime"], t + 3600);
    // Cancelling frees the room.
    app.expect(
        ROOM_CANCEL,
        KEY_A,
        &json!({"conferenceId": first, "userId": HOST_A}),
        0,
    )
    .await;
    app.expect(
        ROOM_EDIT,
        KEY_A,
        &json!({"conferenceId": after, "userId": HOST_A, "starttime": shanghai().format(t + 1800)}),
        0,
    )
    .await;
    app.expect(ROOM_BOOK, KEY_A, &booking(t, 30, room.clone()), 0)
        .await;
}

#[tokio::test]
async fn a_series_conflicts_in_any_occurrence_and_a_cancel_frees_it() {
    let app = spawn_app().await;
    // A Monday 10:00 local, at least a week ahead.
    let mut first = hour_from_now(24 * 8);
    let zone = shanghai();
    let date = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .with_timezone(&zone.tz())
            .date_naive()
    };
    use chrono::Datelike;
    while date(first).weekday() != chrono::Weekday::Mon {
        first += 86_400;
    }
    let first = zone
        .instant(date(first).and_hms_opt(10, 0, 0).unwrap())
        .unwrap();
    let fifth = first + 4 * 7 * 86_400;
    let room = json!([{"roomId": ROOM_A}]);
    let single = id_of(
        &app.expect(
            ROOM_BOOK,
            KEY_A,
            &booking(fifth + 1800, 60, room.clone()),
            0,
        )
        .await,
    );
    let mut series = booking(first, 60, room.clone());
    series["cycle"] = json!(1);
    series["repeatEndDate"] = json!(first + 9 * 7 * 86_400);
    series["cycleRole"] = json!({"frequency": "weekly", "interval": 1, "byday": "MO"});
    let env = app.expect(ROOM_BOOK, KEY_A, &series, 50715).await;
    assert!(env["msg"].as_str().unwrap().contains(&single), "{env}");
    app.expect(
        ROOM_CANCEL,
        KEY_A,
        &json!({"conferenceId": single, "userId": HOST_A}),
        0,
    )
    .await;
    let booked = id_of(&app.expect(ROOM_BOOK, KEY_A, &series, 0).await);
    // Every occurrence holds the room: the 7th too.
    let seventh = first + 6 * 7 * 86_400;
    let env = app
        .expect(ROOM_BOOK, KEY_A, &booking(seventh, 30, room.clone()), 50715)
        .await;
    assert!(env["msg"].as_str().unwrap().contains(&booked));
    // Cancelling that one occurrence frees it, and only it.
    app.expect(
        ROOM_CANCEL,
        KEY_A,
        &json!({"conferenceId": booked, "userId": HOST_A, "singleStartTime": seventh}),
        0,
    )
    .await;
    app.expect(ROOM_BOOK, KEY_A, &booking(seventh, 30, room.clone()), 0)
        .await;
    app.expect(
        ROOM_BOOK,
        KEY_A,
        &booking(first + 7 * 7 * 86_400, 30, room.clone()),
        50715,
    )
    .await;
    // Moving one occurrence onto a booked time is refused too.
    let eighth = first + 7 * 7 * 86_400;
    let env = app
        .expect(ROOM_EDIT, KEY_A, &json!({"conferenceId": booked, "userId": HOST_A, "singleStartTime": eighth, "starttime": zone.format(seventh)}), 50715)
        .await;
    assert!(
        env["msg"]
            .as_str()
            .unwrap()
            .contains(&format!("room {ROOM_A}"))
    );
}

/// 50 requests for one room at one time, half through each of two servers on one database:
/// exactly one is booked, and nothing of the others is stored.
#[tokio::test]
async fn fifty_concurrent_bookings_of_one_room_give_exactly_one() {
    let app = spawn_app_replicated().await;
    let other = app.replica().await;
    let t = hour_from_now(100);
    let mut calls = Vec::new();
    for i in 0..50 {
        let server = if i % 2 == 0 { &app } else { &other };
        let client = server.client.clone();
        let url = format!("{}{ROOM_BOOK}", server.url);
        let body = booking(
            t + (i % 5) * 60,
            60,
            json!([{"roomId": ROOM_A, "isMainRoom": 1}]),
        );
        calls.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .header("token", KEY_A)
                .json(&body)
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }));
    }
    let mut ok = Vec::new();
    let mut refused = 0;
    for c in calls {
        let env = c.await.unwrap();
        match env["status"].as_i64().unwrap() {
            0 => ok.push(id_of(&env)),
            50715 => refused += 1,
            other => panic!("unexpected status {other}: {env}"),
        }
    }
    assert_eq!((ok.len(), refused), (1, 49));
    let listed = app
        .expect(
            ROOM_LIST,
            KEY_A,
            &json!({"userId": HOST_A, "startTime": t - 3600, "endTime": t + 7200}),
            0,
        )
        .await;
    let ids: Vec<&str> = listed["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["conferenceId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![ok[0].as_str()]);
    let holds = app
        .store
        .room_holds(ROOM_A, t - 3600, t + 7200)
        .await
        .unwrap();
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].booking.conference_id.as_str(), ok[0]);
}

/// `huiyi admin room VERB --conference ID --room ROOM --database DB`.
fn decide(verb: &str, conference: &str, room: i64, db: &str) -> std::process::Output {
    huiyi()
        .args(["admin", "room", verb, "--conference", conference])
        .args(["--room", &room.to_string(), "--database", db])
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_room_that_needs_approval_waits_for_an_admin() {
    let app = spawn_app().await;
    let t = hour_from_now(50);
    let rooms = json!([{"roomId": ROOM_APPROVAL, "isMainRoom": 1}, {"roomId": ROOM_A}]);
    let booked = app
        .expect(ROOM_BOOK, KEY_A, &booking(t, 60, rooms), 0)
        .await;
    let id = id_of(&booked);
    let event_id = booked["result"]["eventId"].as_i64().unwrap();
    // The command writes the database behind the server's back; the server's answers may lag
    // by its hot-state bound (under a second), so each read below starts fresh.
    let fresh = async |app: &TestApp| {
        app.state.meetings.forget(event_id);
        infos(app, &id).await
    };
    let approvals = |item: &Value| -> Vec<(i64, i64)> {
        item["houseList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["DeviceId"].as_i64().unwrap(),
                    h["ApprovalStatus"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        approvals(&infos(&app, &id).await),
        vec![(ROOM_APPROVAL, 0), (ROOM_A, 2)]
    );
    // A pending room is held: nobody else gets it meanwhile.
    app.expect(
        ROOM_BOOK,
        KEY_A,
        &booking(t, 60, json!([{"roomId": ROOM_APPROVAL}])),
        50715,
    )
    .await;
    succeeded(&decide("approve", &id, ROOM_APPROVAL, &app.database_url));
    assert_eq!(
        approvals(&fresh(&app).await),
        vec![(ROOM_APPROVAL, 2), (ROOM_A, 2)]
    );
    // An edit naming the rooms again keeps the decision.
    app.expect(ROOM_EDIT, KEY_A, &json!({"conferenceId": id, "userId": HOST_A, "title": "renamed", "composeRoomList": [{"roomId": ROOM_APPROVAL, "isMainRoom": 1}]}), 0)
        .await;
    assert_eq!(approvals(&infos(&app, &id).await), vec![(ROOM_APPROVAL, 2)]);
    // Refused: the room is let go.
    succeeded(&decide("reject", &id, ROOM_APPROVAL, &app.database_url));
    assert_eq!(approvals(&fresh(&app).await), vec![(ROOM_APPROVAL, 1)]);
    app.expect(
        ROOM_BOOK,
        KEY_A,
        &booking(t, 60, json!([{"roomId": ROOM_APPROVAL}])),
        0,
    )
    .await;
    // A room the booking does not name, an unknown room, another customer's meeting.
    let db = &app.database_url;
    let err = failed(&decide("approve", &id, ROOM_A2, db));
    assert!(err.contains("does not book room 6515"), "{err}");
    assert!(failed(&decide("approve", &id, 55555, db)).contains("no room 55555"));
    // B's room names B's customer, in which A's meeting does not exist.
    let err = failed(&decide("approve", &id, ROOM_B, db));
    assert!(err.contains(id.as_str()), "{err}");
}
