//! The join page's live WebSocket, driven by a plain WebSocket client: presence, roll-call,
//! closing a tab, the end; the waiting room, the watchword, the lock; presence across replicas.

use crate::common::socket::{self, *};
use crate::common::*;
use serde_json::json;
use std::time::Duration;

async fn wait_for_attendees(app: &TestApp, cid: &str, n: i64, within: Duration) {
    let start = std::time::Instant::now();
    loop {
        let (_, count, _) = app.status(cid).await;
        if count == n {
            return;
        }
        assert!(
            start.elapsed() < within,
            "attendees stayed {count}, wanted {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn three_people_meet_answer_a_roll_call_and_are_ended() {
    let app = spawn_app().await;
    let b = app.book(KEY_A, HOST_A, 1).await;
    let cid = b["conferenceId"].as_str().unwrap().to_owned();
    let (host_code, guest_code) = (
        code_of(&b["hostConferenceUrl"]),
        code_of(&b["attendeeJoinUrl"]),
    );
    let mut host = open(&app.url, &host_code, join("主持人", "host")).await;
    assert_eq!(host.hello["type"], "joined", "{}", host.hello);
    assert_eq!(host.hello["you"]["role"], "host");
    let mut a1 = open(&app.url, &guest_code, join("Alice", "alice")).await;
    let mut a2 = open(&app.url, &guest_code, join("Bob/秘:书", "bob")).await;
    assert_eq!(a2.hello["you"]["role"], "attendee");
    let names: Vec<&str> = a2.hello["state"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["主持人", "Alice", "Bob/秘:书"],
        "the last to come sees all three"
    );
    // The earlier pages hear of the later joins.
    until(&mut host.ws, |m| {
        m["type"] == "fact" && m["fact"]["participant"]["name"] == "Bob/秘:书"
    })
    .await;
    until(&mut a1.ws, |m| {
        m["type"] == "fact" && m["fact"]["participant"]["name"] == "Bob/秘:书"
    })
    .await;
    assert_eq!(app.status(&cid).await, (2, 3, 1));

    send(&mut host.ws, json!({"type": "rollcall"})).await;
    let started = until(&mut a1.ws, fact_of("rollcall.started")).await;
    let rc = started["fact"]["rollCallId"].as_str().unwrap().to_owned();
    until(&mut a2.ws, fact_of("rollcall.started")).await;
    send(&mut a1.ws, json!({"type": "answer", "rollCallId": rc})).await;
    send(&mut a2.ws, json!({"type": "answer", "rollCallId": rc})).await;
    let mut answered = Vec::new();
    while answered.len() < 2 {
        let m = until(&mut host.ws, fact_of("rollcall.answered")).await;
        answered.push(m["fact"]["participantId"].as_str().unwrap().to_owned());
    }
    answered.sort();
    assert_eq!(answered, vec!["w-alice-0000000000", "w-bob-0000000000"]);

    // Closing a tab closes its socket: the count drops at once, well inside the heartbeat.
    drop(a2);
    wait_for_attendees(&app, &cid, 2, Duration::from_secs(5)).await;
    until(&mut host.ws, fact_of("participant.left")).await;

    send(&mut host.ws, json!({"type": "end"})).await;
    until(&mut a1.ws, |m| m["type"] == "ended").await;
    until(&mut host.ws, |m| m["type"] == "ended").await;
    assert_eq!(app.status(&cid).await.0, 4);
}

#[tokio::test]
async fn the_waiting_room_holds_attendees_until_the_host_admits_them() {
    let app = spawn_app().await;
    let env = app.expect("/confopenapi/room/reservConference", KEY_A, &json!({"userId": HOST_A, "title": "wait", "length": 60, "starttime": local_in_hours(1), "useWaitingRoom": 1}), 0).await;
    let b = &env["result"];
    let cid = b["conferenceId"].as_str().unwrap().to_owned();
    let base = app.base_info(&cid).await;
    let (host_code, guest_code) = (
        code_of(&base["result"]["hostJoinUrl"]),
        code_of(&base["result"]["attendeeJoinUrl"]),
    );
    let mut host = open(&app.url, &host_code, join("Host", "host")).await;
    let mut guest = open(&app.url, &guest_code, join("Guest", "guest")).await;
    assert_eq!(guest.hello["waiting"], true, "{}", guest.hello);
    assert!(
        guest.hello.get("state").is_none(),
        "a waiting page sees nothing of the room"
    );
    let waiting = until(&mut host.ws, fact_of("participant.waiting")).await;
    assert_eq!(app.status(&cid).await.1, 1, "waiting is not attending");
    let who = waiting["fact"]["participant"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Only the host admits.
    send(
        &mut guest.ws,
        json!({"type": "admit", "participantId": who}),
    )
    .await;
    assert_eq!(next(&mut guest.ws).await["type"], "error");
    send(&mut host.ws, json!({"type": "admit", "participantId": who})).await;
    let admitted = until(&mut guest.ws, |m| m["type"] == "admitted").await;
    assert_eq!(
        admitted["state"]["participants"].as_array().unwrap().len(),
        2
    );
    assert_eq!(app.status(&cid).await.1, 2);
    // Removed: gone, and not let back in from the same page.
    send(
        &mut host.ws,
        json!({"type": "remove", "participantId": who}),
    )
    .await;
    until(&mut guest.ws, |m| m["type"] == "removed").await;
    wait_for_attendees(&app, &cid, 1, Duration::from_secs(5)).await;
    let again = open(&app.url, &guest_code, join("Guest", "guest")).await;
    assert_eq!(
        (&again.hello["type"], &again.hello["reason"]),
        (&json!("refused"), &json!("removed"))
    );
}

#[tokio::test]
async fn watchword_lock_and_join_window_are_enforced() {
    let app = spawn_app().await;
    let env = app.expect("/confopenapi/room/reservConference", KEY_A, &json!({"userId": HOST_A, "title": "ww", "length": 60, "starttime": local_in_hours(1), "openWatchword": 1, "eventWatchword": "芝麻开门"}), 0).await;
    let cid = env["result"]["conferenceId"].as_str().unwrap().to_owned();
    let base = app.base_info(&cid).await;
    let host_code = code_of(&base["result"]["hostJoinUrl"]);
    let guest_code = code_of(&base["result"]["attendeeJoinUrl"]);
    let wrong = open(&app.url, &guest_code, join("G", "g1")).await;
    assert_eq!(
        (
            &wrong.hello["type"],
            &wrong.hello["reason"],
            &wrong.hello["code"]
        ),
        (&json!("refused"), &json!("watchword"), &json!(50713))
    );
    let mut with_word = join("G", "g1");
    with_word["watchword"] = json!(" 芝麻开门 ");
    let ok = open(&app.url, &guest_code, with_word.clone()).await;
    assert_eq!(ok.hello["type"], "joined", "{}", ok.hello);
    let mut host = open(&app.url, &host_code, join("H", "h1")).await;
    send(&mut host.ws, json!({"type": "lock", "locked": true})).await;
    until(&mut host.ws, fact_of("room.locked")).await;
    assert_eq!(app.status(&cid).await.0, 18);
    with_word["clientId"] = json!("g2-0000000000");
    let locked_out = open(&app.url, &guest_code, with_word).await;
    assert_eq!(locked_out.hello["reason"], "locked", "{}", locked_out.hello);

    // Outside the join window: a meeting that starts in 5 hours (advanceHours is 2).
    let later = app.book(KEY_A, HOST_A, 5).await;
    let early = open(
        &app.url,
        &code_of(&later["attendeeJoinUrl"]),
        join("E", "e1"),
    )
    .await;
    assert_eq!(early.hello["reason"], "window", "{}", early.hello);
    assert_eq!(
        app.status(later["conferenceId"].as_str().unwrap()).await.1,
        0
    );
}

#[tokio::test]
async fn a_silent_page_is_counted_gone_after_the_heartbeat() {
    let app = spawn_app_with(|c| c.heartbeat_ms = 600).await;
    let b = app.book(KEY_A, HOST_A, 1).await;
    let cid = b["conferenceId"].as_str().unwrap().to_owned();
    let page = open(
        &app.url,
        &code_of(&b["attendeeJoinUrl"]),
        join("S", "silent"),
    )
    .await;
    assert_eq!(page.hello["type"], "joined");
    assert_eq!(
        page.hello["pingMs"], 200,
        "the page pings three times per heartbeat"
    );
    assert_eq!(app.status(&cid).await.1, 1);
    // No ping for the heartbeat (600 ms here): gone, though the socket is still open.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.status(&cid).await.1,
        1,
        "still there within the heartbeat"
    );
    wait_for_attendees(&app, &cid, 0, Duration::from_secs(4)).await;
    drop(page);
}

/// Two replicas on one PostgreSQL database: pages connected to different servers see each
/// other (LISTEN/NOTIFY). SQLite runs one server per database, so this is PostgreSQL's alone.
#[tokio::test]
async fn presence_reaches_pages_on_another_replica() {
    if backend() != "postgres" {
        return;
    }
    let a = spawn_app_replicated().await;
    let b = a.replica().await;
    let booked = a.book(KEY_A, HOST_A, 1).await;
    let mut host = open(
        &a.url,
        &code_of(&booked["hostConferenceUrl"]),
        join("H", "host"),
    )
    .await;
    let mut guest = open(
        &b.url,
        &code_of(&booked["attendeeJoinUrl"]),
        join("G", "guest"),
    )
    .await;
    assert_eq!(
        guest.hello["state"]["participants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    until(&mut host.ws, |m| {
        m["type"] == "fact" && m["fact"]["participant"]["name"] == "G"
    })
    .await;
    send(&mut guest.ws, json!({"type": "hand", "up": true})).await;
    until(&mut host.ws, fact_of("hand.raised")).await;
    send(&mut host.ws, json!({"type": "end"})).await;
    until(&mut guest.ws, |m| m["type"] == "ended").await;
}

/// Someone waiting for a host who has not come yet keeps the session open past the grace
/// period; the host then finds them waiting. When the host ends the meeting, the waiting page
/// is told, and the meeting stays ended.
#[tokio::test]
async fn the_waiting_room_outlasts_the_grace_period_until_the_host_comes() {
    let app = spawn_app_stepped(1).await;
    let env = app
        .post(
            "/confopenapi/room/reservConference",
            KEY_A,
            &json!({"userId": HOST_A, "title": "wait", "length": 60, "starttime": local_in_hours(1), "useWaitingRoom": 1}),
        )
        .await;
    let cid = env["result"]["conferenceId"].as_str().unwrap().to_owned();
    let base = app.base_info(&cid).await;
    let mut guest = open(
        &app.url,
        &code_of(&base["result"]["attendeeJoinUrl"]),
        join("Early", "early"),
    )
    .await;
    assert_eq!(guest.hello["waiting"], true);
    // The worker looks long after the grace period: the one waiting keeps it open.
    assert_eq!(app.close_idle_at(now_ms() + 3_600_000).await, 0);
    let held = app.sessions_for(&cid).await;
    assert_eq!(held.len(), 1);
    assert!(held[0].is_open(), "still open for the one waiting");
    let mut host = open(
        &app.url,
        &code_of(&base["result"]["hostJoinUrl"]),
        join("Host", "host"),
    )
    .await;
    let waiting = host.hello["state"]["waiting"].as_array().unwrap().clone();
    assert_eq!(waiting.len(), 1, "{}", host.hello);
    assert_eq!(waiting[0]["name"], "Early");
    send(&mut host.ws, json!({"type": "end"})).await;
    until(&mut guest.ws, |m| m["type"] == "ended").await;
    // The waiting page's leave is recorded as it goes; wait for it, then see it changed
    // nothing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.status(&cid).await.0, 4, "nobody reopened it");
    assert_eq!(app.sessions_for(&cid).await.len(), 1);
}

/// Books a room-era meeting with these settings; returns (conferenceId, host code, attendee
/// code, pcode2).
async fn room_meeting(
    app: &TestApp,
    settings: serde_json::Value,
) -> (String, String, String, String) {
    let mut body = json!({"userId": HOST_A, "title": "settings", "length": 60, "starttime": local_in_hours(1)});
    for (k, v) in settings.as_object().unwrap() {
        body[k] = v.clone();
    }
    let env = app
        .expect("/confopenapi/room/reservConference", KEY_A, &body, 0)
        .await;
    let cid = env["result"]["conferenceId"].as_str().unwrap().to_owned();
    let base = app.base_info(&cid).await;
    let r = &base["result"];
    (
        cid,
        code_of(&r["hostJoinUrl"]),
        code_of(&r["attendeeJoinUrl"]),
        r["pcode2"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn join_tags_are_picked_from_the_list_and_kept_on_the_participant() {
    let app = spawn_app().await;
    let (cid, _, guest_code, _) = room_meeting(
        &app,
        json!({"joinConfSelTag": 1, "joinConfTags": "销售,研发"}),
    )
    .await;
    let none = open(&app.url, &guest_code, join("T", "tag-none")).await;
    assert_eq!(none.hello["reason"], "tag", "{}", none.hello);
    let mut other = join("T", "tag-other");
    other["tag"] = json!("财务");
    assert_eq!(
        open(&app.url, &guest_code, other).await.hello["reason"],
        "tag"
    );
    let mut ok = join("T", "tag-ok");
    ok["tag"] = json!("研发");
    let page = open(&app.url, &guest_code, ok).await;
    assert_eq!(page.hello["type"], "joined", "{}", page.hello);
    assert_eq!(page.hello["state"]["participants"][0]["tag"], "研发");
    let session = &app.sessions_for(&cid).await[0];
    let people = session_participants(&app.database_url, session.id).await;
    assert_eq!(
        people[0].participant.tag, "研发",
        "stored on the participant"
    );
}

#[tokio::test]
async fn join_login_admits_only_known_users_through_their_token_link() {
    let app = spawn_app().await;
    let (cid, _, guest_code, pcode2) = room_meeting(&app, json!({"joinLogin": 1})).await;
    let plain = open(&app.url, &guest_code, join("Anyone", "anon-0001")).await;
    assert_eq!(plain.hello["reason"], "login", "{}", plain.hello);
    // By the meeting number and passcode: still nobody known.
    let by_id = socket::open_path(
        &app.url,
        &format!("/live/by-id/{cid}"),
        json!({"type": "join", "name": "Anyone", "clientId": "anon-0002", "pcode": pcode2}),
    )
    .await;
    assert_eq!(by_id.hello["reason"], "login");
    let env = app
        .post(
            "/confopenapi/conference/launch/joinConferenceNoSecret",
            KEY_A,
            &json!({"pcode": pcode2, "userId": INVITEE_A}),
        )
        .await;
    let link = env["result"]["joinLink"].as_str().unwrap().to_owned();
    let html = app
        .client
        .get(format!("{link}&priority=web"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = socket::ws_path(&html);
    let known = socket::open_path(&app.url, &path, join("", "known-0001")).await;
    assert_eq!(known.hello["type"], "joined", "{}", known.hello);
    assert_eq!(known.hello["you"]["name"], "分流测试1");
    assert_eq!(app.status(&cid).await.1, 1);
}
