//! The room panel: opened only with the room's panel key, it shows today's bookings of the room
//! and follows a meeting going live through the state it polls.

use crate::common::process::{failed, huiyi, succeeded};
use crate::common::*;
use serde_json::{Value, json};

const ROOM_BOOK: &str = "/confopenapi/room/reservConference";

fn panel_key_command(db: &str, room: i64) -> std::process::Output {
    huiyi()
        .args([
            "admin",
            "room",
            "panel-key",
            "--room",
            &room.to_string(),
            "--database",
            db,
        ])
        .output()
        .unwrap()
}

/// A new panel key for the room, as the command prints it.
fn panel_key(db: &str, room: i64) -> String {
    succeeded(&panel_key_command(db, room)).trim().to_owned()
}

async fn state(app: &TestApp, room: i64, key: &str, lang: &str) -> (u16, Value) {
    let r = app
        .client
        .get(format!("{}/rooms/{room}/panel/state", app.url))
        .query(&[("key", key), ("lang", lang)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn the_panel_shows_a_meeting_going_live() {
    let app = spawn_app().await;
    let key = panel_key(&app.database_url, ROOM_A);
    // Free now, booked in a few minutes (today, unless that is already tomorrow here).
    let zone = huiyi_domain::time::Zone::parse("Asia/Shanghai").unwrap();
    let start = (huiyi_domain::time::now_unix() / 60 + 2) * 60;
    let today = zone.day_bounds(huiyi_domain::time::now_unix());
    let body = json!({"userId": HOST_A, "title": "周会 Weekly", "starttime": zone.format(start),
                      "length": 30, "composeRoomList": [{"roomId": ROOM_A, "isMainRoom": 1}]});
    let booked = app.expect(ROOM_BOOK, KEY_A, &body, 0).await;
    let id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, s) = state(&app, ROOM_A, &key, "en").await;
    assert_eq!(status, 200, "{s}");
    if start < today.1 {
        assert_eq!(s["busy"], false, "{s}");
        assert_eq!(s["headline"], "Free");
        assert_eq!(s["until"], format!("Free until {}", zone.clock(start)));
        assert_eq!(s["next"]["conferenceId"], id.as_str());
        assert_eq!(s["today"][0]["statusText"], "Scheduled");
    }

    // The meeting goes live: two people join.
    let at = now_ms();
    app.events(vec![
        participant_event("p1", "participant.joined", &id, "host", at),
        participant_event("p2", "participant.joined", &id, "guest", at + 1),
    ])
    .await;
    let (_, s) = state(&app, ROOM_A, &key, "zh").await;
    assert_eq!(s["busy"], true, "{s}");
    assert_eq!(s["headline"], "使用中");
    assert_eq!(s["current"]["conferenceId"], id.as_str());
    assert_eq!(s["current"]["status"], 2);
    assert_eq!(s["current"]["statusText"], "进行中");
    assert_eq!(s["current"]["attendees"], 2);
    assert_eq!(s["current"]["host"], "eyh1");
    assert_eq!(s["current"]["title"], "周会 Weekly");

    // The page itself, in both languages.
    let page = app
        .client
        .get(format!("{}/rooms/{ROOM_A}/panel?key={key}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("杏花村2") && html.contains("今日预订"),
        "{html}"
    );
    let html = app
        .client
        .get(format!(
            "{}/rooms/{ROOM_A}/panel?key={key}&lang=en",
            app.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Today") && html.contains("Floor 14"),
        "{html}"
    );
}

#[tokio::test]
async fn a_panel_opens_only_with_its_own_key() {
    let app = spawn_app().await;
    let key = panel_key(&app.database_url, ROOM_A);
    let other = panel_key(&app.database_url, ROOM_A2);
    let get = |room: i64, key: String| {
        let app = &app;
        async move {
            app.client
                .get(format!("{}/rooms/{room}/panel", app.url))
                .query(&[("key", key)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(get(ROOM_A, key.clone()).await, 200);
    assert_eq!(get(ROOM_A, other.clone()).await, 404, "another room's key");
    assert_eq!(get(ROOM_A, String::new()).await, 404);
    assert_eq!(get(ROOM_A, format!("{key}x")).await, 404);
    assert_eq!(get(424242, key.clone()).await, 404, "no such room");
    assert_eq!(get(10935, key.clone()).await, 404, "a room without a key");
    assert_eq!(state(&app, ROOM_A, &other, "en").await.0, 404);
    // A new key replaces the old one.
    let renewed = panel_key(&app.database_url, ROOM_A);
    assert_ne!(renewed, key);
    assert_eq!(get(ROOM_A, key).await, 404);
    assert_eq!(get(ROOM_A, renewed).await, 200);
    // An unknown room is refused by the command.
    failed(&panel_key_command(&app.database_url, 424242));
}
