//! 200 concurrent bookings all get distinct ids, billing codes, passcodes and links.

use crate::common::*;
use serde_json::json;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_bookings_never_collide() {
    let app = std::sync::Arc::new(spawn_app().await);
    let start = local_in_hours(48);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let app = app.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({
                "userId": if i % 2 == 0 { HOST_A } else { HOST_A2 },
                "title": format!("meeting {i}"),
                "length": 30,
                "starttime": start,
                "password_type": 1,
            });
            let path = if i % 3 == 0 {
                "/confopenapi/room/reservConference"
            } else {
                "/conference/conference/reservConference2"
            };
            app.post(path, KEY_A, &body).await
        }));
    }
    let mut seen: [HashSet<String>; 6] = Default::default();
    for t in tasks {
        let v = t.await.unwrap();
        assert_eq!(v["status"], 0, "{v}");
        let r = &v["result"];
        for (set, key) in seen.iter_mut().zip([
            "conferenceId",
            "billingCode",
            "pcode1",
            "pcode2",
            "attendeeJoinUrl",
            "hostConferenceUrl",
        ]) {
            let value = r[key].as_str().unwrap().to_owned();
            assert!(
                set.insert(value.clone()),
                "{key} {value} was handed out twice"
            );
        }
    }
    let pcodes: HashSet<_> = seen[2].union(&seen[3]).collect();
    assert_eq!(
        pcodes.len(),
        400,
        "host and attendee passcodes never repeat"
    );
    // Event ids are distinct too (the admin view lists every booking exactly once).
    let now = huiyi_domain::time::now_unix();
    let mut events = HashSet::new();
    let mut after = 0;
    loop {
        let page = app
            .post(
                "/confopenapi/room/conference/listByAdmin",
                ADMIN_KEY_A,
                &json!({"adminUserId": ADMIN_A, "startTime": now, "endTime": now + 7 * 86_400, "limit": 50, "eventIdFilter": after}),
            )
            .await;
        let items = page["result"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        for it in &items {
            let e = it["eventId"].as_i64().unwrap();
            assert!(events.insert(e), "eventId {e} listed twice");
            assert!(e > after, "pages are ordered by eventId");
            after = e;
        }
    }
    assert_eq!(events.len(), 200);
}

#[tokio::test]
async fn fixed_passcodes_are_the_hosts_own_pair() {
    let app = spawn_app().await;
    let a = app.book(KEY_A, HOST_A, 10).await;
    let b = app.book(KEY_A, HOST_A, 20).await;
    let other = app.book(KEY_A, HOST_A2, 20).await;
    assert_eq!(a["pcode1"], b["pcode1"]);
    assert_eq!(a["pcode2"], b["pcode2"]);
    assert_ne!(a["pcode1"], a["pcode2"]);
    assert_ne!(a["pcode1"], other["pcode1"]);
    assert_ne!(a["conferenceId"], b["conferenceId"]);
}
