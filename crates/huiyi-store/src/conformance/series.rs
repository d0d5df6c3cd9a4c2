//! Recurring bookings: a series is stored whole, and listed by any window its span overlaps.

use super::*;
use crate::{StoreError, Window};
use huiyi_domain::recurrence::Rule;
use huiyi_domain::{Booking, EventId, Exception, HeldOccurrence, Series};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
pub(super) const WEEK: i64 = 7 * DAY;
/// 2029-12-31T00:00Z: 08:00 on a Monday in Shanghai, ACME's zone (which keeps no DST).
pub(super) const MONDAY: i64 = T0 - DAY;

/// Every Monday at the start's time of day, from `start` up to and including `until`.
fn weekly_rule(zone: Zone, start: i64, until: i64) -> Rule {
    Rule::from_cycle_role("weekly", 1, &["MO".into()], &[], until, start, zone)
        .expect("a valid weekly rule")
}

pub(super) fn weekly(
    customer: &Customer,
    host: i64,
    start: i64,
    minutes: i64,
    until: i64,
) -> NewBooking {
    let mut new = new_booking(customer, host, start, minutes, PasswordType::Dynamic);
    new.series = Some(Series::new(weekly_rule(new.zone, start, until), start));
    new
}

fn ids(bookings: &[Booking]) -> Vec<EventId> {
    bookings.iter().map(|b| b.event_id).collect()
}

async fn host_lists(store: &SharedStore, b: &Booking, window: Window) -> bool {
    let listed = store
        .host_bookings(b.customer, b.host, window)
        .await
        .unwrap();
    ids(&listed).contains(&b.event_id)
}

async fn customer_lists(store: &SharedStore, b: &Booking, window: Window) -> bool {
    let listed = store
        .customer_bookings(b.customer, window, None, 10_000)
        .await
        .unwrap();
    ids(&listed).contains(&b.event_id)
}

/// Whether both listings show `b` for `window`; they must agree.
async fn listed(store: &SharedStore, b: &Booking, window: Window) -> bool {
    let by_host = host_lists(store, b, window).await;
    assert_eq!(
        by_host,
        customer_lists(store, b, window).await,
        "host and customer listings disagree about {} in {window:?}",
        b.event_id
    );
    by_host
}

pub async fn series_round_trips_through_create_read_update(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let mut new = weekly(&acme, ALICE, MONDAY, 60, MONDAY + 10 * WEEK);
    let series = new.series.as_mut().unwrap();
    // As after an edit of the whole series: the first occurrence was held, moved by half an hour.
    series.rule_from = MONDAY + 1;
    series.history.push(HeldOccurrence {
        ori_start: MONDAY,
        start: MONDAY + HOUR / 2,
        length_minutes: 45,
        title: "Held".into(),
        cancelled: false,
    });
    series.exceptions.insert(
        MONDAY + 2 * WEEK,
        Exception {
            cancelled: true,
            ..Default::default()
        },
    );
    series.exceptions.insert(
        MONDAY + 3 * WEEK,
        Exception {
            cancelled: false,
            start: Some(MONDAY + 3 * WEEK + HOUR),
            length_minutes: Some(90),
            title: Some("Moved".into()),
        },
    );

    let b = store.create_booking(&new).await.unwrap();
    assert_eq!((&b.series, b.occurrence_of), (&new.series, None));
    assert_eq!(b.span_end(), MONDAY + 10 * WEEK + HOUR);
    assert_eq!(
        store.booking(acme.key, &b.conference_id).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.booking_by_event(acme.key, b.event_id).await.unwrap(),
        Some(b.clone())
    );

    // The bulk path stores the series too.
    let mut bulk = new.clone();
    bulk.host = uid(BOB);
    store.create_bookings(&[bulk]).await.unwrap();
    let by_bob = store
        .host_bookings(
            acme.key,
            uid(BOB),
            Window {
                from: MONDAY + 9 * WEEK,
                to: MONDAY + 9 * WEEK + 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(by_bob.len(), 1, "listed in the middle of its span");
    assert_eq!(
        (&by_bob[0].series, by_bob[0].occurrence_of),
        (&new.series, None)
    );

    // An edit changes the rule and the one-off changes; both are written.
    let mut edit = b.clone();
    let series = edit.series.as_mut().unwrap();
    series.rule = weekly_rule(b.zone, b.start, MONDAY + 20 * WEEK);
    series.exceptions.remove(&(MONDAY + 2 * WEEK));
    series.exceptions.insert(
        MONDAY + 15 * WEEK,
        Exception {
            title: Some("Offsite".into()),
            ..Default::default()
        },
    );
    let updated = store.update_booking(&edit, T0).await.unwrap();
    assert_eq!((&updated.series, updated.version), (&edit.series, 2));
    assert_eq!(
        store.booking_by_event(acme.key, b.event_id).await.unwrap(),
        Some(updated.clone())
    );
    assert!(
        listed(
            &store,
            &updated,
            Window {
                from: MONDAY + 19 * WEEK,
                to: MONDAY + 19 * WEEK + 1,
            }
        )
        .await,
        "the longer rule moved the span's end"
    );

    // A view of one occurrence carries that occurrence's times: storing it would move the series.
    let view = updated.as_occurrence(&updated.occurrences()[2]);
    assert!(matches!(
        store.update_booking(&view, T0 + 1).await,
        Err(StoreError::Invalid(_))
    ));

    // Cancelling leaves the series as it is.
    let cancelled = store.cancel_booking(&updated, T0 + 2).await.unwrap();
    assert_eq!(cancelled.series, updated.series);
    assert!(
        listed(
            &store,
            &cancelled,
            Window {
                from: MONDAY + 19 * WEEK,
                to: MONDAY + 19 * WEEK + 1,
            }
        )
        .await,
        "a cancelled series is still listed"
    );

    // An edit may turn a single meeting into a series, and back.
    let single = store
        .create_booking(&new_booking(&acme, ALICE, MONDAY, 30, PasswordType::Fixed))
        .await
        .unwrap();
    let later = Window {
        from: MONDAY + 4 * WEEK,
        to: MONDAY + 4 * WEEK + 1,
    };
    assert!(!listed(&store, &single, later).await);
    let mut edit = single.clone();
    edit.series = Some(Series::new(
        weekly_rule(single.zone, single.start, MONDAY + 5 * WEEK),
        single.start,
    ));
    let made_series = store.update_booking(&edit, T0).await.unwrap();
    assert_eq!(made_series.series, edit.series);
    assert_eq!(
        store
            .booking_by_event(acme.key, single.event_id)
            .await
            .unwrap(),
        Some(made_series.clone())
    );
    assert!(listed(&store, &made_series, later).await);
    let mut edit = made_series.clone();
    edit.series = None;
    let single_again = store.update_booking(&edit, T0 + 1).await.unwrap();
    assert_eq!(single_again.series, None);
    assert!(!listed(&store, &single_again, later).await);
    assert!(
        listed(
            &store,
            &single_again,
            Window {
                from: MONDAY,
                to: MONDAY + 1,
            }
        )
        .await
    );
}

pub async fn series_are_listed_by_any_window_their_span_overlaps(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let start = MONDAY - 26 * WEEK;
    let s = store
        .create_booking(&weekly(&acme, ALICE, start, 60, MONDAY + 10 * WEEK))
        .await
        .unwrap();
    let span_end = MONDAY + 10 * WEEK + HOUR;
    assert_eq!(s.span_end(), span_end);
    // A single meeting as old as the series, and one in the window.
    let old_single = store
        .create_booking(&new_booking(&acme, ALICE, start, 60, PasswordType::Dynamic))
        .await
        .unwrap();
    let inside = store
        .create_booking(&new_booking(
            &acme,
            ALICE,
            T0 + HOUR,
            30,
            PasswordType::Dynamic,
        ))
        .await
        .unwrap();
    // Its last occurrence, a whole day long, ends exactly where the window begins.
    let ended = store
        .create_booking(&weekly(&acme, ALICE, start, 24 * 60, MONDAY))
        .await
        .unwrap();
    assert_eq!(ended.span_end(), T0);
    let bobs = store
        .create_booking(&weekly(&acme, BOB, start, 60, MONDAY + 10 * WEEK))
        .await
        .unwrap();
    let globex_zone = globex.zone;
    let mut carols = new_booking(&globex, CAROL, start, 60, PasswordType::Dynamic);
    carols.series = Some(Series::new(
        weekly_rule(globex_zone, start, MONDAY + 10 * WEEK),
        start,
    ));
    let carols = store.create_booking(&carols).await.unwrap();

    // A Tuesday in the middle of the span: no occurrence falls in it, but the series is listed
    // whole and the caller expands it.
    let middle = Window {
        from: T0,
        to: T0 + 8 * HOUR,
    };
    let by_alice = store
        .host_bookings(acme.key, uid(ALICE), middle)
        .await
        .unwrap();
    assert_eq!(
        ids(&by_alice),
        vec![s.event_id, inside.event_id],
        "ordered by start; the old single and the ended series left out"
    );
    assert_eq!(by_alice[0], s, "listed whole, as stored");
    let by_customer = store
        .customer_bookings(acme.key, middle, None, 100)
        .await
        .unwrap();
    assert_eq!(
        ids(&by_customer),
        vec![s.event_id, inside.event_id, bobs.event_id]
    );
    assert_eq!(
        ids(&store
            .customer_bookings(globex.key, middle, None, 100)
            .await
            .unwrap()),
        vec![carols.event_id]
    );
    assert!(!listed(&store, &old_single, middle).await);

    // Both ends of the span are exclusive of windows that only touch them.
    let at = |from: i64, to: i64| Window { from, to };
    assert!(!listed(&store, &ended, middle).await);
    assert!(listed(&store, &ended, at(T0 - 1, T0 + HOUR)).await);
    assert!(listed(&store, &s, at(span_end - 1, span_end + WEEK)).await);
    assert!(!listed(&store, &s, at(span_end, span_end + WEEK)).await);
    assert!(!listed(&store, &s, at(span_end + 30 * WEEK, span_end + 31 * WEEK)).await);
    assert!(!listed(&store, &s, at(start - WEEK, start)).await);
    assert!(listed(&store, &s, at(start - WEEK, start + 1)).await);

    let cancelled = store.cancel_booking(&s, T0).await.unwrap();
    assert!(
        listed(&store, &cancelled, middle).await,
        "cancelled included"
    );
}

pub async fn shortening_a_series_moves_its_span_end(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let start = MONDAY - 26 * WEEK;
    let s = store
        .create_booking(&weekly(&acme, ALICE, start, 60, MONDAY + 10 * WEEK))
        .await
        .unwrap();
    let middle = Window {
        from: T0,
        to: T0 + 8 * HOUR,
    };
    assert!(listed(&store, &s, middle).await);

    let mut edit = s.clone();
    edit.series.as_mut().unwrap().rule = weekly_rule(s.zone, start, MONDAY - 4 * WEEK);
    let shorter = store.update_booking(&edit, T0).await.unwrap();
    let span_end = MONDAY - 4 * WEEK + HOUR;
    assert_eq!(shorter.span_end(), span_end);
    assert!(
        !listed(&store, &shorter, middle).await,
        "no longer listed after its end"
    );
    assert!(
        listed(
            &store,
            &shorter,
            Window {
                from: span_end - 1,
                to: span_end,
            }
        )
        .await
    );
    assert!(
        !listed(
            &store,
            &shorter,
            Window {
                from: span_end,
                to: T0,
            }
        )
        .await
    );

    let mut edit = shorter.clone();
    edit.series.as_mut().unwrap().rule = weekly_rule(s.zone, start, MONDAY + 10 * WEEK);
    let longer = store.update_booking(&edit, T0 + 1).await.unwrap();
    assert!(listed(&store, &longer, middle).await, "lengthened again");
}

pub async fn customer_bookings_page_through_singles_and_series_once(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let window = Window {
        from: T0,
        to: T0 + WEEK,
    };
    let mut news = Vec::new();
    for i in 0..350_i64 {
        let host = [ALICE, BOB][i as usize % 2];
        let new = if i % 7 == 3 {
            // 50 series, starting from 30 weeks before the window to 19 after it, lasting from
            // one occurrence to 18 weeks: some end before it, some span it, some begin after.
            let j = i / 7;
            let start = MONDAY + (j - 30) * WEEK + (j % 3) * HOUR;
            weekly(&acme, host, start, 60, start + (j % 7) * 3 * WEEK)
        } else {
            // 300 singles from two days before the window to two days after it, some of them
            // a whole day long.
            let start = T0 - 2 * DAY + i * 11 * DAY / 350;
            let minutes = [30, 90, 24 * 60][i as usize % 3];
            new_booking(&acme, host, start, minutes, PasswordType::Dynamic)
        };
        news.push(new);
        if i % 50 == 0 {
            news.push(weekly(&globex, CAROL, MONDAY - WEEK, 60, MONDAY + 4 * WEEK));
            news.push(new_booking(&globex, CAROL, T0, 60, PasswordType::Dynamic));
        }
    }
    let tasks: Vec<_> = news
        .into_iter()
        .map(|new| {
            let store = store.clone();
            tokio::spawn(async move { store.create_booking(&new).await })
        })
        .collect();
    let mut made = Vec::new();
    for t in tasks {
        made.push(t.await.expect("task").expect("create_booking"));
    }
    let overlapping =
        |b: &&Booking| b.customer == acme.key && b.start < window.to && b.span_end() > window.from;
    let mut expected: Vec<&Booking> = made.iter().filter(overlapping).collect();
    expected.sort_by_key(|b| b.event_id);
    let series = expected.iter().filter(|b| b.is_series()).count();
    assert!(
        series >= 5 && expected.len() - series >= 100,
        "the window holds {series} series and {} singles",
        expected.len() - series
    );
    assert!(
        made.iter()
            .any(|b| b.is_series() && b.span_end() <= window.from)
            && made.iter().any(|b| b.is_series() && b.start >= window.to),
        "some series lie wholly outside the window"
    );

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .customer_bookings(acme.key, window, after, 7)
            .await
            .unwrap();
        assert!(page.len() <= 7);
        let Some(last) = page.last() else { break };
        after = Some(last.event_id);
        seen.extend(page);
    }
    assert_eq!(
        ids(&seen),
        expected.iter().map(|b| b.event_id).collect::<Vec<_>>(),
        "each booking once, in event id order"
    );
    assert!(
        seen.iter().zip(&expected).all(|(s, e)| s == *e),
        "whole bookings, as stored"
    );

    let mut alices: Vec<&Booking> = expected
        .iter()
        .copied()
        .filter(|b| b.host == uid(ALICE))
        .collect();
    alices.sort_by_key(|b| (b.start, b.event_id));
    assert_eq!(
        ids(&store
            .host_bookings(acme.key, uid(ALICE), window)
            .await
            .unwrap()),
        alices.iter().map(|b| b.event_id).collect::<Vec<_>>(),
        "by start, then event id"
    );
}

/// Rows as a database still at migration 0001 holds them, for a backend's test that the series
/// migration keeps them: run them in order on a database migrated to version 1 only, then open
/// the store and call [`schema_1_booking_survives_the_series_migration`].
pub const SCHEMA_1_ROWS: &[&str] = &[
    "INSERT INTO customers (code, name, timezone, advance_hours) \
     VALUES ('ACME', 'Acme Corp', 'Asia/Shanghai', 1)",
    "INSERT INTO users (user_id, customer, email, name, mobile, admin) \
     SELECT 1001, key, 'alice@acme.example', 'Alice', '', 1 FROM customers",
    "INSERT INTO bookings (conference_id, billing_code, customer, host_user_id, title, start_at, \
     end_at, length_minutes, timezone, password_type, pcode1, pcode2, host_link, attendee_link, \
     wcall_link, invitees, details, cancelled_at, created_at, modified_at, version) \
     SELECT '123456789', '12345678', key, 1001, 'Booked before series', 1893456000, 1893459600, \
     60, 'Asia/Shanghai', 1, '11112222', '33334444', 'AAAAAAAAAAA', 'BBBBBBBBBBB', \
     'CCCCCCCCCCC', '[]', '{}', NULL, 1893369600, 1893369600, 1 FROM customers",
];

/// The booking of [`SCHEMA_1_ROWS`] reads back as a single meeting, is listed as before, and
/// can be made a series.
pub async fn schema_1_booking_survives_the_series_migration(store: SharedStore) {
    let acme = store.customer_by_code("ACME").await.unwrap().expect("ACME");
    let conference = huiyi_domain::ConferenceId::parse("123456789").unwrap();
    let b = store
        .booking(acme.key, &conference)
        .await
        .unwrap()
        .expect("the booking stored before the migration");
    assert_eq!(
        (b.start, b.end(), b.series.as_ref(), b.occurrence_of),
        (T0, T0 + HOUR, None, None)
    );
    let window = Window {
        from: T0 + HOUR - 1,
        to: T0 + HOUR,
    };
    assert!(listed(&store, &b, window).await);

    let mut edit = b.clone();
    edit.series = Some(Series::new(
        weekly_rule(b.zone, b.start, T0 + 4 * WEEK),
        b.start,
    ));
    let series = store.update_booking(&edit, T0).await.unwrap();
    assert!(
        listed(
            &store,
            &series,
            Window {
                from: T0 + 2 * WEEK,
                to: T0 + 2 * WEEK + 1,
            }
        )
        .await
    );
}
