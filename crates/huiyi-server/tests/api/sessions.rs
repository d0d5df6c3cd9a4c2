//! Sessions through the media event interface: status lifecycle, expiry, reopening,
//! idempotency, signatures, ordering, all-or-nothing batches and the grace-period close. Every
//! test runs on SQLite, and on PostgreSQL when `HUIYI_TEST_POSTGRES_URL` is set.

use crate::common::*;
use huiyi_domain::Fact;
use huiyi_domain::session::EndReason;
use serde_json::{Value, json};
use std::time::Duration;

async fn fact_count(app: &TestApp, conference_id: &str) -> usize {
    let mut n = 0;
    for s in app.sessions_for(conference_id).await {
        n += app.store.session_facts(s.id).await.unwrap().len();
    }
    n
}

/// What each listing says of the conference's status.
async fn listed_statuses(app: &TestApp, conference_id: &str) -> Vec<i64> {
    let base = app.base_info(conference_id).await;
    let infos = app.infos(conference_id).await;
    let now = huiyi_domain::time::now_unix();
    let window =
        json!({"userId": HOST_A, "startTime": now - 86_400, "endTime": now + 86_400, "inCycle": 1});
    let list = app
        .post("/confopenapi/room/conference/list", KEY_A, &window)
        .await;
    let by_admin = app
        .post(
            "/confopenapi/room/conference/listByAdmin",
            ADMIN_KEY_A,
            &json!({"adminUserId": ADMIN_A, "startTime": now - 86_400, "endTime": now + 86_400, "limit": 100}),
        )
        .await;
    let find = |items: &Value| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["conferenceId"] == conference_id)
            .unwrap_or_else(|| panic!("{conference_id} not listed: {items}"))["status"]
            .as_i64()
            .unwrap()
    };
    vec![
        base["result"]["status"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap(),
        find(&infos["result"]),
        find(&list["result"]),
        find(&by_admin["result"]),
    ]
}

#[tokio::test]
async fn lifecycle_from_created_to_ended() {
    let app = spawn_app().await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    assert_eq!(app.status(&cid).await, (1, 0, 1), "created, joinable early");
    let t = now_ms();
    let r = app
        .events(vec![participant_event(
            "lc-1",
            "participant.joined",
            &cid,
            "host",
            t,
        )])
        .await;
    assert_eq!(r["sessions"][0]["status"], 2, "{r}");
    assert_eq!(
        r["sessions"][0]["tempConferenceId"].as_str().unwrap().len(),
        10
    );
    assert_eq!(app.status(&cid).await, (2, 1, 1));
    app.events(vec![
        participant_event("lc-2", "participant.joined", &cid, "a1", t + 1),
        participant_event("lc-3", "participant.joined", &cid, "a2", t + 2),
    ])
    .await;
    assert_eq!(app.status(&cid).await, (2, 3, 1), "3 attendees");
    assert_eq!(listed_statuses(&app, &cid).await, vec![2; 4]);
    app.events(vec![room_event("lc-4", "room.locked", &cid, t + 3)])
        .await;
    assert_eq!(app.status(&cid).await, (18, 3, 0), "locked admits no one");
    assert_eq!(listed_statuses(&app, &cid).await, vec![18; 4]);
    app.events(vec![room_event("lc-5", "room.unlocked", &cid, t + 4)])
        .await;
    assert_eq!(app.status(&cid).await, (2, 3, 1));
    app.events(vec![room_event("lc-6", "session.ended", &cid, t + 5)])
        .await;
    assert_eq!(app.status(&cid).await, (4, 0, 1), "ended; may be reopened");
    assert_eq!(listed_statuses(&app, &cid).await, vec![4; 4]);
    let held = app.sessions_for(&cid).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].closed_ms, Some(t + 5));
    let people = session_participants(&app.database_url, held[0].id).await;
    assert_eq!(people.len(), 3);
    assert!(
        people.iter().all(|p| !p.presence.present()),
        "the end empties the room"
    );
}

#[tokio::test]
async fn a_meeting_whose_end_passes_unheld_expires() {
    let app = spawn_app().await;
    let (cid, _) = app.stored_booking(-2 * 3600, 60).await;
    assert_eq!(
        app.status(&cid).await,
        (5, 0, 1),
        "expired, still reopenable"
    );
    assert_eq!(listed_statuses(&app, &cid).await, vec![5; 4]);
    let (old, _) = app.stored_booking(-14 * 3600, 60).await;
    assert_eq!(app.status(&old).await, (5, 0, 0), "past the 12-hour window");
}

#[tokio::test]
async fn reopening_within_twelve_hours_opens_a_second_session() {
    let app = spawn_app().await;
    let (cid, _) = app.stored_booking(-2 * 3600, 60).await;
    let t = now_ms();
    let first = app
        .events(vec![
            participant_event("ro-1", "participant.joined", &cid, "host", t),
            room_event("ro-2", "session.ended", &cid, t + 10),
        ])
        .await;
    assert_eq!(app.status(&cid).await, (4, 0, 1));
    let second = app
        .events(vec![participant_event(
            "ro-3",
            "participant.joined",
            &cid,
            "host",
            t + 20,
        )])
        .await;
    assert_eq!(app.status(&cid).await, (2, 1, 1), "reopened");
    let (a, b) = (
        &first["sessions"][0]["tempConferenceId"],
        &second["sessions"][0]["tempConferenceId"],
    );
    assert_ne!(a, b, "a new session has a new tempConferenceId");
    let held = app.sessions_for(&cid).await;
    assert_eq!(held.len(), 2);
    assert_eq!(held[0].closed_ms, Some(t + 10));
    assert!(held[1].is_open());

    // Ended 13 hours ago: joining is refused, and nothing is stored.
    let (late, _) = app.stored_booking(-14 * 3600, 60).await;
    let (http, env) = app
        .media(&json!({"events": [participant_event("ro-4", "participant.joined", &late, "host", now_ms())]}))
        .await;
    assert_eq!((http, env["status"].as_i64()), (409, Some(50713)), "{env}");
    assert!(env["msg"].as_str().unwrap().contains("joining is closed"));
    assert!(app.sessions_for(&late).await.is_empty());
    assert_eq!(app.status(&late).await, (5, 0, 0));
}

#[tokio::test]
async fn replaying_a_batch_changes_nothing() {
    let app = spawn_app().await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    let batch: Vec<Value> = vec![
        participant_event("rp-1", "participant.joined", &cid, "host", t),
        participant_event("rp-2", "participant.joined", &cid, "guest", t + 1),
        participant_event("rp-3", "hand.raised", &cid, "guest", t + 2),
        participant_event("rp-4", "participant.left", &cid, "guest", t + 3),
    ];
    let first = app.events(batch.clone()).await;
    assert_eq!(
        (first["accepted"].as_i64(), first["duplicates"].as_i64()),
        (Some(4), Some(0))
    );
    let before = (app.status(&cid).await, fact_count(&app, &cid).await);
    assert_eq!(before, ((2, 1, 1), 4));
    let again = app.events(batch).await;
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(4))
    );
    assert_eq!(
        (app.status(&cid).await, fact_count(&app, &cid).await),
        before
    );
    // A repeat inside one batch counts once.
    let twice = app
        .events(vec![
            participant_event("rp-5", "participant.joined", &cid, "late", t + 4),
            participant_event("rp-5", "participant.joined", &cid, "late", t + 4),
        ])
        .await;
    assert_eq!(
        (twice["accepted"].as_i64(), twice["duplicates"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(app.status(&cid).await.1, 2);
}

#[tokio::test]
async fn bad_signatures_stale_timestamps_and_tampered_bodies_are_refused() {
    let app = spawn_app().await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let body = serde_json::to_vec(&json!({"events": [participant_event("sg-1", "participant.joined", &cid, "host", now_ms())]})).unwrap();
    let now = huiyi_domain::time::now_unix();
    let sign = |secret: &str, ts: i64, bytes: &[u8]| {
        huiyi_wire::media::sign(secret.as_bytes(), &ts.to_string(), bytes)
    };
    // Wrong secret.
    let (http, env) = app
        .media_raw(
            &now.to_string(),
            &sign("not-the-secret", now, &body),
            body.clone(),
        )
        .await;
    assert_eq!((http, env["status"].as_i64()), (401, Some(52001)), "{env}");
    // Correctly signed, but 301 s old (and 301 s ahead).
    for ts in [now - 301, now + 301] {
        let (http, env) = app
            .media_raw(
                &ts.to_string(),
                &sign(MEDIA_SECRET, ts, &body),
                body.clone(),
            )
            .await;
        assert_eq!((http, env["status"].as_i64()), (401, Some(52002)), "{env}");
    }
    // Signed for one body, sent with another.
    let mut tampered = body.clone();
    let at = tampered.iter().position(|&b| b == b'h').unwrap();
    tampered[at] = b'x';
    let (http, env) = app
        .media_raw(&now.to_string(), &sign(MEDIA_SECRET, now, &body), tampered)
        .await;
    assert_eq!((http, env["status"].as_i64()), (401, Some(52001)), "{env}");
    // No signature at all.
    let (http, _) = app.media_raw(&now.to_string(), "", body.clone()).await;
    assert_eq!(http, 401);
    assert!(app.sessions_for(&cid).await.is_empty(), "nothing stored");
    assert_eq!(app.status(&cid).await, (1, 0, 1));
    // The same request, signed right, is taken.
    let (http, _) = app
        .media_raw(&now.to_string(), &sign(MEDIA_SECRET, now, &body), body)
        .await;
    assert_eq!(http, 200);
    assert_eq!(app.status(&cid).await, (2, 1, 1));
}

#[tokio::test]
async fn without_a_media_secret_no_events_are_taken() {
    let app = spawn_app_with(|c| c.media_secret = None).await;
    let (http, env) = app.media(&json!({"events": []})).await;
    assert_eq!((http, env["status"].as_i64()), (503, Some(52003)), "{env}");
}

#[tokio::test]
async fn a_left_before_its_joined_is_kept_and_paired() {
    let app = spawn_app().await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    app.events(vec![participant_event(
        "oo-0",
        "participant.joined",
        &cid,
        "host",
        t,
    )])
    .await;
    // The guest's leave arrives first, then the join that happened before it.
    app.events(vec![participant_event(
        "oo-1",
        "participant.left",
        &cid,
        "guest",
        t + 20,
    )])
    .await;
    assert_eq!(app.status(&cid).await.1, 1);
    app.events(vec![participant_event(
        "oo-2",
        "participant.joined",
        &cid,
        "guest",
        t + 10,
    )])
    .await;
    assert_eq!(app.status(&cid).await.1, 1, "joined then left: gone");
    let s = &app.sessions_for(&cid).await[0];
    let facts = app.store.session_facts(s.id).await.unwrap();
    let kinds: Vec<(&str, i64)> = facts.iter().map(|f| (f.fact.kind(), f.at_ms)).collect();
    assert_eq!(
        kinds,
        vec![
            ("participant.joined", t),
            ("participant.joined", t + 10),
            ("participant.left", t + 20)
        ],
        "kept, in the order they happened"
    );
    // Both in one batch, out of order: same result.
    app.events(vec![
        participant_event("oo-3", "participant.left", &cid, "g2", t + 40),
        participant_event("oo-4", "participant.joined", &cid, "g2", t + 30),
        participant_event("oo-5", "participant.joined", &cid, "g3", t + 35),
    ])
    .await;
    assert_eq!(app.status(&cid).await.1, 2, "host and g3");
}

#[tokio::test]
async fn a_batch_is_all_or_nothing() {
    let app = spawn_app().await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    let (http, env) = app
        .media(&json!({"events": [
            participant_event("an-1", "participant.joined", &cid, "host", t),
            participant_event("an-2", "participant.joined", "999999999", "x", t),
        ]}))
        .await;
    assert_eq!((http, env["status"].as_i64()), (404, Some(50709)), "{env}");
    assert!(env["msg"].as_str().unwrap().contains("events[1]"), "{env}");
    // A recording for a meeting never held.
    let (http, env) = app
        .media(&json!({"events": [
            participant_event("an-3", "participant.joined", &cid, "host", t),
            {"eventId": "an-4", "type": "recording.produced", "conferenceId": app.book(KEY_A, HOST_A, 2).await["conferenceId"], "at": t,
             "recording": {"location": "/r/1.mp4", "sizeBytes": 1, "durationSecs": 1, "format": "mp4"}},
        ]}))
        .await;
    assert_eq!((http, env["status"].as_i64()), (409, Some(50714)), "{env}");
    // Malformed.
    let (http, env) = app
        .media(&json!({"events": [{"eventId": "an-5", "type": "participant.joined", "conferenceId": cid}]}))
        .await;
    assert_eq!((http, env["status"].as_i64()), (400, Some(50103)), "{env}");
    assert!(
        app.sessions_for(&cid).await.is_empty(),
        "nothing of any batch stored"
    );
    assert_eq!(app.status(&cid).await, (1, 0, 1));
}

/// The worker's loop runs by itself: a session everyone left closes after the grace period
/// without anyone asking.
#[tokio::test]
async fn the_session_worker_runs_on_its_tick() {
    let app = spawn_app_with(|c| {
        c.session_grace_secs = 1;
        c.worker_tick_ms = Some(50);
    })
    .await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    app.events(vec![
        participant_event("tk-1", "participant.joined", &cid, "host", t),
        participant_event("tk-2", "participant.left", &cid, "host", t + 5),
    ])
    .await;
    let mut waited = 0;
    while app.status(&cid).await.0 != 4 {
        assert!(waited < 100, "never closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(app.sessions_for(&cid).await[0].closed_ms, Some(t + 5));
}

#[tokio::test]
async fn everyone_leaving_closes_the_session_once_after_the_grace_period() {
    let app = spawn_app_stepped(60).await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    app.events(vec![
        participant_event("gr-1", "participant.joined", &cid, "host", t),
        participant_event("gr-2", "participant.left", &cid, "host", t + 5),
    ])
    .await;
    // Within the grace period: in progress, and the worker leaves it.
    assert_eq!(app.close_idle_at(t + 5 + 59_999).await, 0);
    assert_eq!(
        app.status(&cid).await.0,
        2,
        "in progress during the grace period"
    );
    // Once it has passed: closed, once, however often (and on however many replicas) the
    // step runs.
    let (a, b) = tokio::join!(
        app.close_idle_at(t + 5 + 60_000),
        app.close_idle_at(t + 5 + 60_000)
    );
    assert_eq!(a + b, 1, "closed exactly once");
    assert_eq!(app.close_idle_at(t + 5 + 120_000).await, 0);
    assert_eq!(app.status(&cid).await.0, 4);
    let held = app.sessions_for(&cid).await;
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0].closed_ms,
        Some(t + 5),
        "it ended when the last person left"
    );
    let ends: Vec<_> = app
        .store
        .session_facts(held[0].id)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| matches!(f.fact, Fact::SessionEnded { .. }))
        .collect();
    assert_eq!(ends.len(), 1);
    assert_eq!(
        ends[0].fact,
        Fact::SessionEnded {
            reason: EndReason::Grace
        }
    );
    // Someone who comes back within the grace period keeps the session open, however long
    // after that the worker looks.
    let t = now_ms();
    app.events(vec![
        participant_event("gr-3", "participant.joined", &cid, "host", t),
        participant_event("gr-4", "participant.left", &cid, "host", t + 1),
    ])
    .await;
    app.events(vec![participant_event(
        "gr-5",
        "participant.joined",
        &cid,
        "host",
        t + 2,
    )])
    .await;
    assert_eq!(app.close_idle_at(t + 3_600_000).await, 0);
    assert_eq!(app.status(&cid).await, (2, 1, 1));
    assert_eq!(app.sessions_for(&cid).await.len(), 2);
}

#[tokio::test]
async fn a_session_belongs_to_one_occurrence_of_a_series() {
    let app = spawn_app().await;
    let env = app.expect("/confopenapi/room/reservConference", KEY_A, &json!({"userId": HOST_A, "title": "daily", "length": 60, "starttime": local_in_hours(1), "cycle": 1, "cycleRole": {"frequency": "daily", "interval": 1}, "repeatEndDate": huiyi_domain::time::now_unix() + 5 * 86_400}), 0).await;
    let cid = env["result"]["conferenceId"].as_str().unwrap().to_owned();
    let b = app
        .store
        .booking_anywhere(&huiyi_domain::ConferenceId::parse(&cid).unwrap())
        .await
        .unwrap()
        .unwrap();
    let first = b.start;
    let mut joined = participant_event("se-1", "participant.joined", &cid, "host", now_ms());
    joined["occurrenceStart"] = json!(first);
    let r = app.events(vec![joined]).await;
    assert_eq!(r["sessions"][0]["occurrenceStart"], first);
    assert_eq!(app.status(&cid).await, (2, 1, 1));
    let held = app.sessions_for(&cid).await;
    assert_eq!(held[0].occurrence, first);
    // The next day's occurrence is not open for joining yet.
    let mut next = participant_event("se-2", "participant.joined", &cid, "host", now_ms());
    next["occurrenceStart"] = json!(first + 86_400);
    let (http, env) = app.media(&json!({ "events": [next] })).await;
    assert_eq!((http, env["status"].as_i64()), (409, Some(50713)), "{env}");
    let mut wrong = participant_event("se-3", "participant.joined", &cid, "host", now_ms());
    wrong["occurrenceStart"] = json!(first + 1);
    let (http, env) = app.media(&json!({ "events": [wrong] })).await;
    assert_eq!((http, env["status"].as_i64()), (400, Some(50103)), "{env}");
}

#[tokio::test]
async fn events_may_name_the_meeting_by_passcode() {
    let app = spawn_app().await;
    let booked = app
        .post(
            "/conference/conference/reservConference2",
            KEY_A,
            &json!({"userId": HOST_A, "length": 60, "starttime": local_in_hours(1), "password_type": 1}),
        )
        .await;
    let r = &booked["result"];
    let cid = r["conferenceId"].as_str().unwrap();
    let pcode = r["pcode2"].as_str().unwrap();
    app.events(vec![json!({"eventId": "pc-1", "type": "participant.joined", "pcode": pcode, "at": now_ms(),
        "participant": {"id": "p", "name": "by pcode", "role": "attendee", "client": "phone", "voice": "phone", "address": "+861012345678"}})])
        .await;
    assert_eq!(app.status(cid).await, (2, 1, 1));
}

#[tokio::test]
async fn a_meeting_its_host_has_ended_can_no_longer_be_edited_or_cancelled() {
    let app = spawn_app().await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    app.events(vec![participant_event(
        "ed-1",
        "participant.joined",
        &cid,
        "host",
        t,
    )])
    .await;
    let edit = json!({"conferenceId": cid, "userId": HOST_A, "title": "renamed while live"});
    app.expect(
        "/conference/conference/updateReservConference",
        KEY_A,
        &edit,
        0,
    )
    .await;
    app.events(vec![room_event("ed-2", "session.ended", &cid, t + 1)])
        .await;
    app.expect(
        "/conference/conference/updateReservConference",
        KEY_A,
        &edit,
        50711,
    )
    .await;
    app.expect(
        "/confopenapi/room/cancelReservConference",
        KEY_A,
        &json!({"conferenceId": cid, "userId": HOST_A}),
        50711,
    )
    .await;
    assert_eq!(app.status(&cid).await.0, 4);
}

#[tokio::test]
async fn a_leave_after_the_end_does_not_reopen_the_meeting() {
    let app = spawn_app().await;
    let cid = app.book_id(KEY_A, HOST_A, 1).await;
    let t = now_ms();
    app.events(vec![
        participant_event("la-1", "participant.joined", &cid, "host", t),
        participant_event("la-2", "participant.joined", &cid, "guest", t + 1),
        room_event("la-3", "session.ended", &cid, t + 2),
    ])
    .await;
    // The guest's tab closes just after the host ended it.
    app.events(vec![participant_event(
        "la-4",
        "participant.left",
        &cid,
        "guest",
        t + 3,
    )])
    .await;
    assert_eq!(app.status(&cid).await, (4, 0, 1));
    assert_eq!(app.sessions_for(&cid).await.len(), 1);
}

/// getConfStatus answers from the hot meeting state: exact at once on the replica that made a
/// change, and on another replica within the documented bound (`HOT_TTL` plus one read, under
/// 1 s). On PostgreSQL the fan-out usually brings facts sooner; on SQLite (a second server on
/// the same file) only the bound holds.
#[tokio::test]
async fn status_follows_changes_at_once_here_and_within_the_bound_elsewhere() {
    assert!(huiyi_server::services::HOT_TTL < Duration::from_secs(1));
    let a = spawn_app_replicated().await;
    let b = a.replica().await;
    let cid = a.book_id(KEY_A, HOST_A, 1).await;
    // Both replicas hold the meeting, nobody in it.
    assert_eq!(a.status(&cid).await, (1, 0, 1));
    assert_eq!(b.status(&cid).await, (1, 0, 1));

    let until_on_b = |want: (i64, i64, i64)| {
        let b = &b;
        let cid = cid.clone();
        async move {
            let since = std::time::Instant::now();
            loop {
                let seen = b.status(&cid).await;
                if seen == want {
                    return since.elapsed();
                }
                assert!(
                    since.elapsed() < Duration::from_secs(1),
                    "the other replica still says {seen:?}, not {want:?}, after 1 s"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    a.events(vec![participant_event(
        "hot-1",
        "participant.joined",
        &cid,
        "host",
        now_ms(),
    )])
    .await;
    assert_eq!(
        a.status(&cid).await,
        (2, 1, 1),
        "exact at once where it was recorded"
    );
    until_on_b((2, 1, 1)).await;

    a.expect(
        "/confopenapi/room/cancelReservConference",
        KEY_A,
        &json!({"userId": HOST_A, "conferenceId": cid}),
        0,
    )
    .await;
    assert_eq!(
        a.status(&cid).await.0,
        0,
        "a cancel is seen at once where it was made"
    );
    until_on_b((0, 1, 0)).await;
    // Another customer's key finds nothing, cached or not.
    b.expect(
        "/conference/conference/getConfStatus",
        KEY_B,
        &json!({ "conferenceId": cid }),
        50709,
    )
    .await;
}
