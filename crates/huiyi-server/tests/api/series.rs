//! Recurring meetings through the API: both dialects, listings per occurrence, one occurrence
//! versus the whole series, local time across DST, bad rules, and stable admin paging.

use crate::common::*;
use huiyi_domain::time::Zone;
use serde_json::{Value, json};
use std::collections::HashSet;

const V1_BOOK: &str = "/conference/conference/reservConference2";
const ROOM_BOOK: &str = "/confopenapi/room/reservConference";
const ROOM_LIST: &str = "/confopenapi/room/conference/list";

fn shanghai() -> Zone {
    Zone::parse("Asia/Shanghai").unwrap()
}

/// A local date `days` from today, `YYYY-MM-DD`.
fn day(days: i64) -> String {
    shanghai().date(huiyi_domain::time::now_unix() + days * 86_400)
}

fn unix(local: &str, zone: Zone) -> i64 {
    huiyi_domain::time::parse_time(local, zone).unwrap()
}

async fn room_list(app: &TestApp, from: i64, to: i64, in_cycle: i64) -> Vec<Value> {
    let v = app
        .expect(
            ROOM_LIST,
            KEY_A,
            &json!({"userId": HOST_A, "startTime": from, "endTime": to, "inCycle": in_cycle}),
            0,
        )
        .await;
    v["result"].as_array().unwrap().clone()
}

#[tokio::test]
async fn v1_weekly_series_lists_each_occurrence_at_its_local_time() {
    let app = spawn_app().await;
    let start = format!("{} 09:30:00", day(2));
    let booked = app.expect(V1_BOOK, KEY_A, &json!({"userId": HOST_A, "title": "Stand-up", "length": 15, "starttime": start, "cycle": 2, "periodEndDate": day(2 + 21)}), 0).await;
    let id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(booked["result"]["startTime"], start);

    let list = app
        .post(
            "/conference/business/getConferenceList",
            KEY_A,
            &json!({"userId": HOST_A, "startDate": format!("{} 00:00:00", day(0)), "endDate": format!("{} 00:00:00", day(40))}),
        )
        .await;
    assert_eq!(list["result"]["totalNum"], 4, "{list}");
    let days: Vec<&String> = list["result"]["list"].as_object().unwrap().keys().collect();
    let want: Vec<String> = (0..4).map(|w| day(2 + 7 * w)).collect();
    assert_eq!(days, want.iter().collect::<Vec<_>>());
    for (d, items) in list["result"]["list"].as_object().unwrap() {
        let item = &items[0];
        assert_eq!(
            item["conferenceId"],
            json!(id),
            "one conferenceId for the series"
        );
        assert_eq!(item["startTime"], format!("{d} 09:30:00"));
        assert_eq!(item["endTime"], format!("{d} 09:45:00"));
    }

    // Status and infos speak of the next occurrence; the series shows as calType M.
    let status = app.conf_status(&id).await;
    assert_eq!(status["result"]["confStatus"], 1);
    let infos = app.infos(&id).await;
    let item = &infos["result"][0];
    assert_eq!(item["calType"], "M");
    assert_eq!(item["startTime"], unix(&start, shanghai()));
    assert_eq!(item["recurrenceInfo"]["frequency"], "weekly");
    assert!(
        item["recurrenceInfo"]["rrule"]
            .as_str()
            .unwrap()
            .starts_with("FREQ=WEEKLY;INTERVAL=1"),
        "{item}"
    );
}

#[tokio::test]
async fn room_series_one_occurrence_versus_the_whole() {
    let app = spawn_app().await;
    let first = unix(&format!("{} 14:00:00", day(3)), shanghai());
    let booked = app.expect(ROOM_BOOK, KEY_A, &json!({ "userId": HOST_A, "title": "Review", "length": 60, "starttime": shanghai().format(first), "cycle": 1, "repeatEndDate": first + 20 * 86_400, "cycleRole": {"frequency": "daily", "interval": 2} }), 0).await;
    let id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (from, to) = (first - 86_400, first + 30 * 86_400);
    let all = room_list(&app, from, to, 1).await;
    assert_eq!(all.len(), 11, "every other day for 20 days, ends inclusive");
    assert!(
        room_list(&app, from, to, 0).await.is_empty(),
        "inCycle 0 leaves series out"
    );
    let starts: Vec<i64> = all
        .iter()
        .map(|i| i["startTime"].as_i64().unwrap())
        .collect();
    assert_eq!(
        starts,
        (0..11).map(|k| first + k * 2 * 86_400).collect::<Vec<_>>()
    );
    assert!(
        all.iter()
            .all(|i| i["oriStart"] == i["startTime"] && i["status"] == 1 && i["calType"] == "M")
    );

    // Cancel the third occurrence alone.
    let third = starts[2];
    app.expect(
        "/confopenapi/room/cancelReservConference",
        KEY_A,
        &json!({"conferenceId": id, "singleStartTime": third}),
        0,
    )
    .await;
    let after = room_list(&app, from, to, 1).await;
    let left: Vec<i64> = after
        .iter()
        .map(|i| i["startTime"].as_i64().unwrap())
        .collect();
    let mut want = starts.clone();
    want.remove(2);
    assert_eq!(left, want, "exactly the cancelled occurrence is gone");
    let admin = app
        .post(
            "/confopenapi/room/conference/listByAdmin",
            ADMIN_KEY_A,
            &json!({"adminUserId": ADMIN_A, "startTime": from, "endTime": to, "limit": 50}),
        )
        .await;
    let admin_starts: Vec<i64> = admin["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["startTime"].as_i64().unwrap())
        .collect();
    assert_eq!(admin_starts, want, "gone from the admin view too");
    let v1 = app
        .post(
            "/conference/business/getConferenceList",
            KEY_A,
            &json!({"userId": HOST_A, "startDate": from, "endDate": to}),
        )
        .await;
    assert_eq!(
        v1["result"]["totalNum"], 10,
        "the cancelled occurrence is gone from the v1 list"
    );
    app.expect(
        "/confopenapi/room/cancelReservConference",
        KEY_A,
        &json!({"conferenceId": id, "singleStartTime": third}),
        50710,
    )
    .await;
    app.expect(
        "/confopenapi/room/cancelReservConference",
        KEY_A,
        &json!({"conferenceId": id, "singleStartTime": third + 3600}),
        50103,
    )
    .await;

    // Move and retitle the fifth occurrence alone.
    let fifth = starts[4];
    let moved_to = fifth + 3 * 3600;
    app.expect("/confopenapi/room/updateReservConference", KEY_A, &json!({"conferenceId": id, "singleStartTime": fifth, "starttime": shanghai().format(moved_to), "title": "Review (moved)"}), 0).await;
    let after = room_list(&app, from, to, 1).await;
    let moved: Vec<&Value> = after.iter().filter(|i| i["oriStart"] == fifth).collect();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["startTime"], moved_to);
    assert_eq!(moved[0]["title"], "Review%20%28moved%29");
    let unchanged: Vec<&Value> = after.iter().filter(|i| i["oriStart"] != fifth).collect();
    assert!(
        unchanged
            .iter()
            .all(|i| i["startTime"] == i["oriStart"] && i["title"] == "Review")
    );

    // Retitling the whole series changes every occurrence still to come, not the moved title.
    app.expect(
        "/confopenapi/room/updateReservConference",
        KEY_A,
        &json!({"conferenceId": id, "title": "Weekly review"}),
        0,
    )
    .await;
    let after = room_list(&app, from, to, 1).await;
    assert_eq!(after.len(), 10);
    assert!(
        after
            .iter()
            .filter(|i| i["oriStart"] != fifth)
            .all(|i| i["title"] == "Weekly%20review")
    );
    assert_eq!(
        after.iter().find(|i| i["oriStart"] == fifth).unwrap()["title"],
        "Review%20%28moved%29"
    );

    // Cancelling the series cancels every occurrence to come.
    app.cancel(&id).await;
    assert!(
        room_list(&app, from, to, 1)
            .await
            .iter()
            .all(|i| i["status"] == 0)
    );
}

#[tokio::test]
async fn weekly_nine_oclock_stays_nine_oclock_across_dst() {
    let app = spawn_app().await;
    for zone_name in ["America/New_York", "Europe/Berlin", "Asia/Shanghai"] {
        let zone = Zone::parse(zone_name).unwrap();
        // From December to mid-April: spans the spring switch of both New York and Berlin.
        // The next 7 December at least two days ahead, whatever day the suite runs on.
        let today = day(2);
        let this_year: i32 = today[..4].parse().unwrap();
        let year = if &today[5..] <= "12-07" {
            this_year
        } else {
            this_year + 1
        };
        let start = format!("{year}-12-07 09:00:00");
        let until = unix(&format!("{}-04-19 00:00:00", year + 1), zone);
        app.expect(ROOM_BOOK, KEY_A, &json!({"userId": HOST_A2, "title": zone_name, "length": 30, "starttime": start, "timezone": zone_name, "cycle": 1, "repeatEndDate": until, "cycleRole": {"frequency": "weekly", "interval": 1, "byday": "MO"}}), 0).await;
        let items: Vec<Value> = app
            .post(ROOM_LIST, KEY_A, &json!({"userId": HOST_A2, "startTime": unix(&start, zone) - 60, "endTime": until + 86_400, "inCycle": 1}))
            .await["result"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["timezone"] == zone_name)
            .cloned()
            .collect();
        assert!(
            items.len() >= 18,
            "{zone_name}: {} occurrences",
            items.len()
        );
        let offsets: HashSet<String> = items
            .iter()
            .map(|i| {
                let t = i["startTime"].as_i64().unwrap();
                assert!(
                    zone.format(t).ends_with(" 09:00:00"),
                    "{zone_name}: {}",
                    zone.format(t)
                );
                zone.label(t)
            })
            .collect();
        let expect = if zone_name == "Asia/Shanghai" { 1 } else { 2 };
        assert_eq!(
            offsets.len(),
            expect,
            "{zone_name}: UTC offsets {offsets:?}"
        );
    }
}

#[tokio::test]
async fn bad_rules_are_refused_with_50103() {
    let app = spawn_app().await;
    let first = unix(&format!("{} 10:00:00", day(3)), shanghai());
    let starttime = shanghai().format(first);
    let room = |role: Value, end: i64| json!({"userId": HOST_A, "length": 30, "starttime": starttime, "cycle": 1, "repeatEndDate": end, "cycleRole": role});
    let cases = [
        (
            room(
                json!({"frequency": "weekly", "interval": 0}),
                first + 30 * 86_400,
            ),
            "interval",
        ),
        (
            room(
                json!({"frequency": "weekly", "interval": 1, "byday": "MO,XX"}),
                first + 30 * 86_400,
            ),
            "byday",
        ),
        (
            room(
                json!({"frequency": "monthly", "interval": 1, "bymonthday": "1,32"}),
                first + 90 * 86_400,
            ),
            "bymonthday",
        ),
        (
            room(
                json!({"frequency": "hourly", "interval": 1}),
                first + 30 * 86_400,
            ),
            "frequency",
        ),
        (
            room(
                json!({"frequency": "weekly", "interval": 1}),
                first - 86_400 * 2,
            ),
            "repeatEndDate",
        ),
        (
            room(
                json!({"frequency": "daily", "interval": 1}),
                first + 600 * 86_400,
            ),
            "500",
        ),
        (
            room(
                json!({"frequency": "weekly", "interval": 1}),
                first + 900 * 86_400,
            ),
            "repeatEndDate",
        ),
    ];
    for (body, mentions) in cases {
        let v = app.expect(ROOM_BOOK, KEY_A, &body, 50103).await;
        assert!(v["msg"].as_str().unwrap().contains(mentions), "{body}: {v}");
    }
    let v1 = app.expect(V1_BOOK, KEY_A, &json!({"userId": HOST_A, "length": 30, "starttime": starttime, "cycle": 2, "periodEndDate": "someday"}), 50103).await;
    assert!(
        v1["msg"].as_str().unwrap().contains("periodEndDate"),
        "{v1}"
    );
    // Nothing of it was stored.
    assert!(
        room_list(&app, first - 86_400, first + 1000 * 86_400, 1)
            .await
            .is_empty()
    );
}

/// `listByAdmin` paged by `limit` and `eventIdFilter` returns every booking that existed when
/// paging began exactly once, in eventId order, while other bookings are being added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_paging_is_stable_while_bookings_are_added() {
    let app = std::sync::Arc::new(spawn_app().await);
    let first = unix(&format!("{} 08:00:00", day(2)), shanghai());
    let customer = app.store.customer_by_code("A100").await.unwrap().unwrap();
    let zone = shanghai();
    let mut news = Vec::new();
    for i in 0..1000i64 {
        let start = first + (i % 300) * 3600;
        let series = (i % 20 == 0).then(|| {
            let rule = huiyi_domain::recurrence::Rule::from_cycle_role(
                "weekly",
                1,
                &[],
                &[],
                start + 21 * 86_400,
                start,
                zone,
            )
            .unwrap();
            huiyi_domain::Series::new(rule, start)
        });
        news.push(huiyi_domain::NewBooking {
            customer: customer.key,
            host: huiyi_domain::UserId::new(if i % 2 == 0 { HOST_A } else { HOST_A2 }).unwrap(),
            title: format!("m{i}"),
            start,
            length_minutes: 30,
            zone,
            password_type: huiyi_domain::PasswordType::Dynamic,
            invitees: Vec::new(),
            details: Default::default(),
            created_at: first - 86_400,
            series,
            notices: Vec::new(),
        });
    }
    app.store.create_bookings(&news).await.unwrap();
    let (from, to) = (first - 3600, first + 40 * 86_400);

    let adder = {
        let app = app.clone();
        tokio::spawn(async move {
            for _ in 0..60 {
                app.book(KEY_A, HOST_A, 60).await;
            }
        })
    };
    let mut seen: Vec<i64> = Vec::new();
    let mut occurrences = 0;
    let mut after = 0;
    loop {
        let page = app.expect("/confopenapi/room/conference/listByAdmin", ADMIN_KEY_A, &json!({"adminUserId": ADMIN_A, "startTime": from, "endTime": to, "limit": 37, "eventIdFilter": after}), 0).await;
        let items = page["result"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        for it in items {
            let e = it["eventId"].as_i64().unwrap();
            assert!(e >= after, "pages are in eventId order");
            if seen.last() != Some(&e) {
                assert!(!seen.contains(&e), "eventId {e} on two pages");
                seen.push(e);
            }
            occurrences += 1;
            after = e;
        }
    }
    adder.await.unwrap();
    let titles: HashSet<i64> = seen.iter().copied().collect();
    assert!(
        titles.len() >= 1000,
        "every stored booking was listed: {}",
        titles.len()
    );
    assert!(
        occurrences >= 1000 + 50 * 3,
        "every occurrence of each series was listed: {occurrences}"
    );
}

/// An occurrence moved before the series' own start is still listed where it now is.
#[tokio::test]
async fn an_occurrence_moved_before_the_series_start_is_listed() {
    let app = spawn_app().await;
    let first = unix(&format!("{} 11:00:00", day(5)), shanghai());
    let booked = app
        .post(
            ROOM_BOOK,
            KEY_A,
            &json!({"userId": HOST_A, "title": "Sync", "length": 30, "starttime": shanghai().format(first),
                    "cycle": 1, "repeatEndDate": first + 14 * 86_400, "cycleRole": {"frequency": "weekly", "interval": 1}}),
        )
        .await;
    let id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let earlier = first - 2 * 86_400;
    app.expect("/confopenapi/room/updateReservConference", KEY_A, &json!({"conferenceId": id, "singleStartTime": first, "starttime": shanghai().format(earlier)}), 0).await;
    let only_then = room_list(&app, earlier - 3600, earlier + 3600, 1).await;
    assert_eq!(only_then.len(), 1, "{only_then:?}");
    assert_eq!(only_then[0]["startTime"], earlier);
    assert_eq!(only_then[0]["oriStart"], first);
}

/// An edit of the whole series changes what is still to come; an occurrence that has begun
/// keeps the title and times it was held with.
#[tokio::test]
async fn a_whole_series_edit_leaves_begun_occurrences_as_they_were() {
    let app = spawn_app().await;
    let now = huiyi_domain::time::now_unix();
    let first = now - 240; // began four minutes ago (inside the booking grace)
    let booked = app.expect(ROOM_BOOK, KEY_A, &json!({"userId": HOST_A, "title": "Daily", "length": 30, "starttime": shanghai().format(first), "cycle": 1, "repeatEndDate": first + 3 * 86_400, "cycleRole": {"frequency": "daily", "interval": 1}}), 0).await;
    let id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    app.expect(
        "/confopenapi/room/updateReservConference",
        KEY_A,
        &json!({"conferenceId": id, "title": "Daily v2", "length": 45}),
        0,
    )
    .await;
    let items = room_list(&app, first - 60, first + 5 * 86_400, 1).await;
    assert_eq!(items.len(), 4, "{items:?}");
    assert_eq!(items[0]["startTime"], first);
    assert_eq!(
        items[0]["title"], "Daily",
        "the running occurrence keeps its title"
    );
    assert_eq!(items[0]["length"], 30, "and its length");
    for it in &items[1..] {
        assert_eq!(it["title"], "Daily%20v2");
        assert_eq!(it["length"], 45);
    }
    // The status speaks of the running occurrence.
    let status = app.conf_status(&id).await;
    assert_eq!(status["result"]["confStatus"], 1);
    assert_eq!(status["result"]["mayJoin"], 1);
}
