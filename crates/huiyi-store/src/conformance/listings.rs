//! Window listings, paging, and bulk creation.

use super::*;
use crate::Window;
use huiyi_domain::{Booking, EventId};
use std::collections::{HashMap, HashSet};

const HOUR: i64 = 3600;

fn ids(bookings: &[Booking]) -> Vec<EventId> {
    bookings.iter().map(|b| b.event_id).collect()
}

pub async fn host_bookings_overlap_the_window(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let window = Window {
        from: T0,
        to: T0 + 8 * HOUR,
    };
    let day = huiyi_domain::MAX_LENGTH_MINUTES;
    let make = async |host, start, minutes| {
        store
            .create_booking(&new_booking(
                &acme,
                host,
                start,
                minutes,
                PasswordType::Dynamic,
            ))
            .await
            .unwrap()
    };
    let started_before = make(ALICE, T0 - HOUR, 120).await;
    let ends_at_from = make(ALICE, T0 - 2 * HOUR, 120).await;
    let inside = make(ALICE, T0 + HOUR, 30).await;
    let starts_at_to = make(ALICE, T0 + 8 * HOUR, 30).await;
    let longest_overlapping = make(ALICE, T0 - 23 * HOUR, day).await;
    let longest_before = make(ALICE, T0 - 25 * HOUR, day).await;
    let same_start_later = make(ALICE, T0 + HOUR, 15).await;
    let other_host = make(BOB, T0 + HOUR, 30).await;
    let carol = store
        .create_booking(&new_booking(
            &globex,
            CAROL,
            T0 + HOUR,
            30,
            PasswordType::Dynamic,
        ))
        .await
        .unwrap();
    store.cancel_booking(&started_before, T0 - 5).await.unwrap();

    let listed = store
        .host_bookings(acme.key, uid(ALICE), window)
        .await
        .unwrap();
    assert_eq!(
        ids(&listed),
        vec![
            longest_overlapping.event_id,
            started_before.event_id,
            inside.event_id,
            same_start_later.event_id
        ],
        "ordered by start, then event id; cancelled included"
    );
    assert!(listed[1].is_cancelled());
    for excluded in [
        &ends_at_from,
        &starts_at_to,
        &longest_before,
        &other_host,
        &carol,
    ] {
        assert!(!ids(&listed).contains(&excluded.event_id));
    }
    assert_eq!(
        ids(&store
            .host_bookings(acme.key, uid(BOB), window)
            .await
            .unwrap()),
        vec![other_host.event_id]
    );
    assert!(
        store
            .host_bookings(globex.key, uid(ALICE), window)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .host_bookings(acme.key, uid(CAROL), window)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(&store
            .host_bookings(globex.key, uid(CAROL), window)
            .await
            .unwrap()),
        vec![carol.event_id]
    );
}

pub async fn customer_bookings_page_through_every_booking_once(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let window = Window {
        from: T0,
        to: T0 + 24 * HOUR,
    };
    let mut expected = Vec::new();
    for i in 0..30 {
        // Every fifth booking lies a day before the window.
        let start = if i % 5 == 0 {
            T0 - 30 * HOUR
        } else {
            T0 + i * HOUR / 2
        };
        let host = [ALICE, BOB][i as usize % 2];
        let b = store
            .create_booking(&new_booking(&acme, host, start, 45, PasswordType::Dynamic))
            .await
            .unwrap();
        if i % 5 != 0 {
            expected.push(b.event_id);
        }
        store
            .create_booking(&new_booking(&globex, CAROL, start, 45, PasswordType::Fixed))
            .await
            .unwrap();
    }

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .customer_bookings(acme.key, window, after, 4)
            .await
            .unwrap();
        assert!(page.len() <= 4);
        assert!(page.iter().all(|b| b.customer == acme.key));
        let Some(last) = page.last() else { break };
        after = Some(last.event_id);
        seen.extend(ids(&page));
    }
    assert_eq!(seen, expected, "each booking once, in event id order");

    let all = store
        .customer_bookings(acme.key, window, None, 1000)
        .await
        .unwrap();
    assert_eq!(ids(&all), expected);
    assert!(
        store
            .customer_bookings(acme.key, window, None, 0)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn bulk_create_stores_every_booking(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let hosts: Vec<i64> = (0..10).map(|i| 5000 + i).collect();
    store
        .import(&hosts_of("ACME", &hosts), IMPORTED_AT)
        .await
        .unwrap();

    let count = 4500;
    let news: Vec<NewBooking> = (0..count)
        .map(|i| {
            let pt = if i % 3 == 0 {
                PasswordType::Fixed
            } else {
                PasswordType::Dynamic
            };
            new_booking(&acme, hosts[i % hosts.len()], T0 + i as i64 * 60, 30, pt)
        })
        .collect();
    let started = std::time::Instant::now();
    assert_eq!(store.create_bookings(&news).await.unwrap(), count as u64);
    let elapsed = started.elapsed();
    eprintln!(
        "{}: create_bookings stored {count} in {elapsed:?} ({:.0}/s)",
        store.backend(),
        count as f64 / elapsed.as_secs_f64()
    );

    let window = Window {
        from: T0 - HOUR,
        to: T0 + (count as i64 + 60) * 60,
    };
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .customer_bookings(acme.key, window, after, 1000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.event_id);
        all.extend(page);
    }
    assert_eq!(all.len(), count);
    assert_eq!(
        all.iter()
            .map(|b| b.conference_id.clone())
            .collect::<HashSet<_>>()
            .len(),
        count
    );
    assert_eq!(
        all.iter()
            .map(|b| b.billing_code.clone())
            .collect::<HashSet<_>>()
            .len(),
        count
    );
    let links: HashSet<_> = all
        .iter()
        .flat_map(|b| {
            [
                b.links.host.clone(),
                b.links.attendee.clone(),
                b.links.wcall.clone(),
            ]
        })
        .collect();
    assert_eq!(links.len(), 3 * count);

    let mut pairs = HashMap::new();
    let mut dynamic = HashSet::new();
    for b in &all {
        let pair = (b.pcode1.clone(), b.pcode2.clone());
        match b.password_type {
            PasswordType::Fixed => {
                assert_eq!(pairs.entry(b.host).or_insert_with(|| pair.clone()), &pair)
            }
            PasswordType::Dynamic => assert!(dynamic.insert(pair.0) && dynamic.insert(pair.1)),
        }
    }
    assert_eq!(pairs.len(), hosts.len());
    assert!(
        pairs
            .values()
            .all(|(a, b)| !dynamic.contains(a) && !dynamic.contains(b))
    );
    assert_eq!(
        all.iter()
            .find(|b| b.title == news[1].title)
            .map(|b| (&b.invitees, &b.details)),
        Some((&news[1].invitees, &news[1].details))
    );

    // A host's later single booking reuses the pair the bulk load created.
    let later = store
        .create_booking(&new_booking(&acme, hosts[0], T0, 30, PasswordType::Fixed))
        .await
        .unwrap();
    assert_eq!(
        Some(&(later.pcode1, later.pcode2)),
        pairs.get(&uid(hosts[0]))
    );
}
