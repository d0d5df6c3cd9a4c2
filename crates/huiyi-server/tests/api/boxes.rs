//! `confBindBox` (13): the reference's three answers and its unbind request replayed, bindings
//! replaced by each call, and bound boxes in the booking's answers.

use crate::common::shape::assert_same_shape;
use crate::common::*;
use serde_json::{Value, json};

const BIND: &str = "/conference/conference/confBindBox";

/// The request of example 13 (its three boxes are customer A's here), for this conference.
fn bind_request(conference_id: &str) -> Value {
    let mut req = example("13-confBindBox.request.json");
    req["conferenceId"] = json!(conference_id);
    req
}

fn box_ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| b["boxId"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_reference_s_answers_replay_and_bindings_show_in_the_booking() {
    let app = spawn_app().await;
    let id = app.book_id(KEY_A, HOST_A, 5).await;
    // All valid (example 13's normal answer, keys and types).
    let env = app.expect(BIND, KEY_A, &bind_request(&id), 0).await;
    assert_same_shape("13-confBindBox.response.json", &env);
    assert_eq!(
        env["result"],
        example("13-confBindBox.response.json")["result"]
    );
    let item = app.infos(&id).await["result"][0].clone();
    assert_eq!(item["allowBox"], 1);
    // The bound boxes' addresses in the booking answers (h323Ip), e.g. after an edit.
    let edited = app
        .expect(
            "/conference/conference/updateReservConference",
            KEY_A,
            &json!({"conferenceId": id, "userId": HOST_A, "title": "with boxes"}),
            0,
        )
        .await;
    assert_eq!(
        edited["result"]["h323Ip"],
        json!(["sip:1856@box.example", "sip:1429@box.example", "10.1.2.3"])
    );

    // And in the launch string, the hardware list a desktop client calls the boxes from.
    let pcode = app.infos(&id).await["result"][0]["pcode2"]
        .as_str()
        .unwrap()
        .to_owned();
    let launch = app
        .expect(
            "/conference/launch/launchString",
            KEY_A,
            &json!({"appId": 6, "pcode": pcode, "name": "Guest"}),
            0,
        )
        .await;
    let parsed =
        huiyi_wire::launch::LaunchString::parse(launch["result"].as_str().unwrap()).unwrap();
    assert_eq!(
        parsed.get("h323Ip"),
        Some("sip:1856@box.example|sip:1429@box.example|10.1.2.3")
    );

    // Some invalid: an unknown box, and customer B's box, which reads the same.
    let mut req = bind_request(&id);
    req["boxInfoList"][0]["boxId"] = json!("GN3399BOX0001859");
    req["boxInfoList"].as_array_mut().unwrap().push(
        json!({"boxId": "GN3399BOX0009999", "conferenceRoomId": 0, "conferenceRoomPhone": ""}),
    );
    let env = app.expect(BIND, KEY_A, &req, 0).await;
    assert_same_shape("13-confBindBox.response-some-invalid.json", &env);
    assert_eq!(
        box_ids(&env["result"]["successBoxIdList"]),
        vec!["GN3399BOX0001429", "GN3399BOX0001875"]
    );
    let invalid = &env["result"]["invalidBoxIdList"];
    assert_eq!(
        box_ids(invalid),
        vec!["GN3399BOX0001859", "GN3399BOX0009999"]
    );
    assert_eq!(
        invalid[0]["errMsg"],
        "not found box info by boxId:GN3399BOX0001859"
    );
    assert_eq!(
        invalid[1]["errMsg"],
        "not found box info by boxId:GN3399BOX0009999"
    );
    // The call replaced the earlier bindings.
    let edited = app
        .expect(
            "/conference/conference/updateReservConference",
            KEY_A,
            &json!({"conferenceId": id, "userId": HOST_A, "title": "fewer boxes"}),
            0,
        )
        .await;
    assert_eq!(
        edited["result"]["h323Ip"],
        json!(["sip:1429@box.example", "10.1.2.3"])
    );

    // None valid: 51208 with the lists, and the bindings stay as they were.
    let mut req = bind_request(&id);
    for (i, b) in ["GN0", "GN3399BOX0009999", "GN2"].iter().enumerate() {
        req["boxInfoList"][i]["boxId"] = json!(b);
    }
    let env = app.expect(BIND, KEY_A, &req, 51208).await;
    let expected = example("13-confBindBox.response-all-invalid.json");
    let mismatches = huiyi_wire::shape::compare(&expected["result"], &env["result"]);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(env["msg"], expected["msg"]);
    for k in expected.as_object().unwrap().keys() {
        assert!(env.get(k).is_some(), "the envelope lacks {k}");
    }
    assert_eq!(env["result"]["successBoxIdList"], json!([]));
    assert_eq!(app.infos(&id).await["result"][0]["allowBox"], 1);

    // Unbind: the reference's empty list.
    let mut req = example("13-confBindBox.request-unbind.json");
    req["conferenceId"] = json!(id);
    let env = app.expect(BIND, KEY_A, &req, 0).await;
    assert_eq!(
        env["result"],
        json!({"invalidBoxIdList": [], "successBoxIdList": []})
    );
    assert_eq!(app.infos(&id).await["result"][0]["allowBox"], 0);
    let edited = app
        .expect(
            "/conference/conference/updateReservConference",
            KEY_A,
            &json!({"conferenceId": id, "userId": HOST_A, "title": "no boxes"}),
            0,
        )
        .await;
    assert_eq!(edited["result"]["h323Ip"], json!([]));
    let launch = app
        .expect(
            "/conference/launch/launchString",
            KEY_A,
            &json!({"appId": 6, "pcode": pcode, "name": "Guest"}),
            0,
        )
        .await;
    let parsed =
        huiyi_wire::launch::LaunchString::parse(launch["result"].as_str().unwrap()).unwrap();
    assert_eq!(parsed.get("h323Ip"), None, "no boxes, no list");
}

#[tokio::test]
async fn bad_bind_requests_get_the_documented_codes() {
    let app = spawn_app().await;
    let id = app.book_id(KEY_A, HOST_A, 5).await;
    // More than 20 boxes.
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"boxId": format!("GN{i}"), "conferenceRoomId": 0, "conferenceRoomPhone": ""}))
        .collect();
    let env = app
        .expect(
            BIND,
            KEY_A,
            &json!({"conferenceId": id, "boxInfoList": many}),
            50103,
        )
        .await;
    assert!(env["msg"].as_str().unwrap().contains("at most 20"), "{env}");
    // Missing fields, and a box named twice.
    app.expect(BIND, KEY_A, &json!({"boxInfoList": []}), 50103)
        .await;
    app.expect(BIND, KEY_A, &json!({"conferenceId": id}), 50103)
        .await;
    let twice = json!({"conferenceId": id, "boxInfoList": [{"boxId": "GN3399BOX0001856"}, {"boxId": "GN3399BOX0001856"}]});
    app.expect(BIND, KEY_A, &twice, 50103).await;
    // A conference that does not exist, and another customer's, look the same.
    app.expect(BIND, KEY_A, &bind_request("999999999"), 50709)
        .await;
    let theirs = app.book_id(KEY_B, HOST_B, 5).await;
    let env = app.expect(BIND, KEY_A, &bind_request(&theirs), 50709).await;
    assert_eq!(env["result"], Value::Null);
    // B cannot bind A's boxes to its own meeting.
    let env = app.expect(BIND, KEY_B, &bind_request(&theirs), 51208).await;
    assert_eq!(box_ids(&env["result"]["invalidBoxIdList"]).len(), 3);
    // No credential.
    let r = app
        .client
        .post(format!("{}{BIND}", app.url))
        .json(&bind_request(&id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], 50001);
}
