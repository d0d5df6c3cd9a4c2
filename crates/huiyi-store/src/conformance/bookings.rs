//! Creating, reading, editing and cancelling bookings; allocation under concurrency.

use super::*;
use crate::{PasscodeOwner, StoreError, Window};
use huiyi_domain::Booking;
use std::collections::{HashMap, HashSet};

fn all_distinct<T: std::hash::Hash + Eq>(items: impl IntoIterator<Item = T>) -> bool {
    let mut seen = HashSet::new();
    items.into_iter().all(|i| seen.insert(i))
}

fn link_codes(b: &Booking) -> [String; 3] {
    [
        b.links.host.to_string(),
        b.links.attendee.to_string(),
        b.links.wcall.to_string(),
    ]
}

pub async fn created_booking_reads_back(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let new = new_booking(&acme, ALICE, T0, 60, PasswordType::Dynamic);
    let b = store.create_booking(&new).await.unwrap();
    assert!(b.event_id > 0);
    assert_eq!(b.conference_id.as_str().len(), 9);
    assert_eq!(b.billing_code.as_str().len(), 8);
    assert_eq!(
        (b.version, b.modified_at, b.cancelled_at),
        (1, new.created_at, None)
    );
    assert_eq!(
        (b.customer, b.host, b.start, b.length_minutes),
        (acme.key, uid(ALICE), T0, 60)
    );
    assert_eq!(
        (&b.title, &b.invitees, &b.details),
        (&new.title, &new.invitees, &new.details)
    );
    assert_ne!(b.pcode1, b.pcode2);
    assert!(all_distinct(link_codes(&b)));

    assert_eq!(
        store.booking(acme.key, &b.conference_id).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.booking_by_event(acme.key, b.event_id).await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(
        store.booking(globex.key, &b.conference_id).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .booking_by_event(globex.key, b.event_id)
            .await
            .unwrap(),
        None
    );

    let owner = Some(PasscodeOwner::Booking(b.event_id));
    assert_eq!(
        store
            .passcode_owner(acme.key, b.pcode1.as_str())
            .await
            .unwrap(),
        owner
    );
    assert_eq!(
        store
            .passcode_owner(acme.key, b.pcode2.as_str())
            .await
            .unwrap(),
        owner
    );
    assert_eq!(
        store
            .passcode_owner(globex.key, b.pcode1.as_str())
            .await
            .unwrap(),
        None
    );

    let second = store.create_booking(&new).await.unwrap();
    assert!(second.event_id > b.event_id, "event ids grow");
    assert_ne!(second.conference_id, b.conference_id);
}

pub async fn fixed_passcodes_are_the_hosts_own_pair(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let fixed = |host, start| new_booking(&acme, host, start, 30, PasswordType::Fixed);
    let a1 = store.create_booking(&fixed(ALICE, T0)).await.unwrap();
    let a2 = store
        .create_booking(&fixed(ALICE, T0 + 3600))
        .await
        .unwrap();
    assert_eq!((&a1.pcode1, &a1.pcode2), (&a2.pcode1, &a2.pcode2));
    assert_ne!(a1.pcode1, a1.pcode2);
    assert_ne!(a1.conference_id, a2.conference_id);
    assert_ne!(a1.billing_code, a2.billing_code);
    let host = Some(PasscodeOwner::Host(uid(ALICE)));
    assert_eq!(
        store
            .passcode_owner(acme.key, a1.pcode1.as_str())
            .await
            .unwrap(),
        host
    );
    assert_eq!(
        store
            .passcode_owner(acme.key, a1.pcode2.as_str())
            .await
            .unwrap(),
        host
    );

    let b1 = store.create_booking(&fixed(BOB, T0)).await.unwrap();
    assert!(all_distinct([
        &a1.pcode1, &a1.pcode2, &b1.pcode1, &b1.pcode2
    ]));

    let dynamic = store
        .create_booking(&new_booking(&acme, ALICE, T0, 30, PasswordType::Dynamic))
        .await
        .unwrap();
    assert!(all_distinct([
        &a1.pcode1,
        &a1.pcode2,
        &dynamic.pcode1,
        &dynamic.pcode2
    ]));

    // The bulk path finds the same stored pair.
    store
        .create_bookings(&[fixed(ALICE, T0 + 7200)])
        .await
        .unwrap();
    let listed = store
        .host_bookings(
            acme.key,
            uid(ALICE),
            Window {
                from: T0 + 7200,
                to: T0 + 7201,
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (&listed[0].pcode1, &listed[0].pcode2),
        (&a1.pcode1, &a1.pcode2)
    );
}

pub async fn concurrent_creates_allocate_distinct_ids(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let hosts: Vec<i64> = (0..10).map(|i| 6000 + i).collect();
    store
        .import(&hosts_of("ACME", &hosts), IMPORTED_AT)
        .await
        .unwrap();
    let start_line = Arc::new(tokio::sync::Barrier::new(200));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = store.clone();
            let start_line = start_line.clone();
            // Half use fixed pairs, ten hosts each starting with twenty bookings at once, so
            // the creation of a host's first pair races.
            let (host, pt) = match i % 2 {
                0 => (hosts[i / 2 % hosts.len()], PasswordType::Fixed),
                _ => (ALICE, PasswordType::Dynamic),
            };
            let new = new_booking(&acme, host, T0 + i as i64 * 60, 30, pt);
            tokio::spawn(async move {
                start_line.wait().await;
                store.create_booking(&new).await
            })
        })
        .collect();
    let mut made = Vec::new();
    for t in tasks {
        made.push(t.await.expect("task").expect("create_booking"));
    }
    assert!(all_distinct(made.iter().map(|b| b.event_id)));
    assert!(all_distinct(made.iter().map(|b| b.conference_id.clone())));
    assert!(all_distinct(made.iter().map(|b| b.billing_code.clone())));
    assert!(all_distinct(made.iter().flat_map(link_codes)));

    let mut pair_of_host = HashMap::new();
    let mut codes = Vec::new();
    for b in &made {
        match b.password_type {
            PasswordType::Fixed => {
                let pair = pair_of_host
                    .entry(b.host)
                    .or_insert_with(|| (b.pcode1.clone(), b.pcode2.clone()));
                assert_eq!(
                    pair,
                    &(b.pcode1.clone(), b.pcode2.clone()),
                    "one pair per host"
                );
            }
            PasswordType::Dynamic => codes.extend([b.pcode1.clone(), b.pcode2.clone()]),
        }
    }
    assert_eq!(pair_of_host.len(), hosts.len());
    codes.extend(
        pair_of_host
            .values()
            .flat_map(|(a, b)| [a.clone(), b.clone()]),
    );
    assert!(all_distinct(codes), "no passcode is issued twice");

    for b in made.iter().step_by(17) {
        assert_eq!(
            store
                .booking_by_event(acme.key, b.event_id)
                .await
                .unwrap()
                .as_ref(),
            Some(b)
        );
    }
}

/// A booking that cannot be stored (its host is not a user of the customer) fails alone, even
/// when it arrives together with others that the backend may commit in one transaction.
pub async fn a_bad_booking_in_a_burst_fails_alone(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let start_line = Arc::new(tokio::sync::Barrier::new(40));
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            let start_line = start_line.clone();
            let host = if i == 17 { 999_999 } else { ALICE };
            let new = new_booking(&acme, host, T0 + i * 60, 30, PasswordType::Dynamic);
            tokio::spawn(async move {
                start_line.wait().await;
                store.create_booking(&new).await
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let result = t.await.expect("task");
        if i == 17 {
            assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
        } else {
            let b = result.unwrap_or_else(|e| panic!("booking {i} failed with its neighbour: {e}"));
            assert_eq!(
                b.start,
                T0 + i as i64 * 60,
                "each caller gets its own booking back"
            );
        }
    }
    let all = store
        .host_bookings(
            acme.key,
            UserId::new(ALICE).unwrap(),
            Window {
                from: T0 - 86_400,
                to: T0 + 86_400,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 39);
}

pub async fn stale_update_conflicts(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let b = store
        .create_booking(&new_booking(&acme, ALICE, T0, 60, PasswordType::Dynamic))
        .await
        .unwrap();
    let mut edit = b.clone();
    edit.title = "Moved".into();
    edit.start = T0 + 7200;
    edit.length_minutes = 90;
    edit.zone = Zone::parse("Europe/Berlin").unwrap();
    edit.invitees.clear();
    edit.details.summary = "New agenda".into();
    edit.details.settings.auto_video = Some(0);
    // Fields that never change through an update.
    edit.pcode1 = huiyi_domain::Passcode::parse("12345678").unwrap();
    edit.links.host = huiyi_domain::LinkCode::parse("AAAAAAAAAAA").unwrap();

    let now = T0 - 100;
    let updated = store.update_booking(&edit, now).await.unwrap();
    assert_eq!((updated.version, updated.modified_at), (2, now));
    assert_eq!(
        (
            updated.title.as_str(),
            updated.start,
            updated.length_minutes
        ),
        ("Moved", T0 + 7200, 90)
    );
    assert_eq!(
        (updated.zone, &updated.invitees, &updated.details),
        (edit.zone, &edit.invitees, &edit.details)
    );
    assert_eq!(
        (&updated.pcode1, &updated.links, updated.created_at),
        (&b.pcode1, &b.links, b.created_at)
    );
    assert_eq!(
        store.booking_by_event(acme.key, b.event_id).await.unwrap(),
        Some(updated.clone())
    );

    assert!(matches!(
        store.update_booking(&edit, now + 1).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store.cancel_booking(&b, now + 1).await,
        Err(StoreError::Conflict)
    ));

    let mut elsewhere = updated.clone();
    elsewhere.customer = globex.key;
    assert!(matches!(
        store.update_booking(&elsewhere, now + 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.cancel_booking(&elsewhere, now + 1).await,
        Err(StoreError::NotFound)
    ));
    let mut missing = updated.clone();
    missing.event_id += 1_000_000;
    assert!(matches!(
        store.update_booking(&missing, now + 1).await,
        Err(StoreError::NotFound)
    ));

    let again = store.update_booking(&updated, now + 2).await.unwrap();
    assert_eq!(again.version, 3);
}

pub async fn cancel_marks_the_booking(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let b = store
        .create_booking(&new_booking(&acme, BOB, T0, 60, PasswordType::Fixed))
        .await
        .unwrap();
    let cancelled = store.cancel_booking(&b, T0 - 10).await.unwrap();
    assert_eq!(
        (
            cancelled.cancelled_at,
            cancelled.modified_at,
            cancelled.version
        ),
        (Some(T0 - 10), T0 - 10, 2)
    );
    assert!(cancelled.is_cancelled());
    assert_eq!(
        Booking {
            cancelled_at: None,
            modified_at: b.modified_at,
            version: 1,
            ..cancelled.clone()
        },
        b,
        "nothing else changed"
    );
    assert_eq!(
        store.booking(acme.key, &b.conference_id).await.unwrap(),
        Some(cancelled.clone())
    );

    let twice = store.cancel_booking(&cancelled, T0).await.unwrap();
    assert_eq!(
        (twice.cancelled_at, twice.version),
        (Some(T0 - 10), 3),
        "the first cancellation time stays"
    );
}

pub async fn overlong_booking_is_refused(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    assert_eq!(store.backend(), store.backend().to_lowercase());
    store.ping().await.unwrap();
    let too_long = huiyi_domain::MAX_LENGTH_MINUTES + 1;
    let new = new_booking(&acme, ALICE, T0, too_long, PasswordType::Dynamic);
    assert!(matches!(
        store.create_booking(&new).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_bookings(&[new]).await,
        Err(StoreError::Invalid(_))
    ));

    let unknown_host = new_booking(&acme, 424242, T0, 30, PasswordType::Dynamic);
    assert!(matches!(
        store.create_booking(&unknown_host).await,
        Err(StoreError::Invalid(_))
    ));
    let other_customers_host = new_booking(&acme, CAROL, T0, 30, PasswordType::Fixed);
    assert!(matches!(
        store.create_booking(&other_customers_host).await,
        Err(StoreError::Invalid(_))
    ));
}
