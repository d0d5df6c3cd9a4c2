//! The outbox: messages enqueued with the change that causes them and only then, for the
//! endpoints that want them; claims that hold their messages for a lease and never share one;
//! settling, retrying, failing, 410, redelivery and removal.

use super::*;
use crate::{Attempt, ClaimedMessage, MessageState, NewEndpoint, Settle, Settled, StoreError};
use huiyi_domain::delivery::{EventFilter, new_signing_secret};
use std::collections::HashSet;

/// Clock of the delivery tests, in unix ms.
const NOW: i64 = T0 * 1000;
const LEASE: i64 = 60_000;

async fn endpoint(store: &SharedStore, c: &Customer, url: &str, events: &str) -> i64 {
    store
        .add_endpoint(NewEndpoint {
            customer: c.key,
            url: url.into(),
            events: EventFilter::parse_list(events).unwrap(),
            secret: new_signing_secret(),
            created_at: NOW,
        })
        .await
        .unwrap()
        .id
}

async fn book(store: &SharedStore, c: &Customer, host: i64, start: i64) -> huiyi_domain::Booking {
    store
        .create_booking(&new_booking(c, host, start, 60, PasswordType::Dynamic))
        .await
        .unwrap()
}

fn settled(m: &ClaimedMessage, at_ms: i64, status: Option<u16>, settle: Settle) -> Settled {
    Settled {
        id: m.id,
        claim: m.claim.clone(),
        attempt: Attempt {
            at_ms,
            status,
            latency_ms: 3,
            error: (status != Some(200)).then(|| "HTTP 500: down".to_owned()),
        },
        settle,
    }
}

fn body(m: &ClaimedMessage) -> serde_json::Value {
    serde_json::from_str(&m.body).unwrap()
}

pub async fn bookings_enqueue_for_the_endpoints_that_want_them(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let all = endpoint(&store, &acme, "https://a.example/all", "").await;
    let ended = endpoint(&store, &acme, "https://a.example/ended", "session.ended").await;
    let theirs = endpoint(&store, &globex, "https://g.example/all", "").await;
    let b = book(&store, &acme, ALICE, T0).await;
    let claimed = store.claim_messages(NOW, LEASE, 100).await.unwrap();
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    let m = &claimed[0];
    assert_eq!(m.target, crate::Target::Endpoint(all));
    assert_eq!(m.url, "https://a.example/all");
    assert_eq!((m.kind.as_str(), m.customer), ("meeting.booked", acme.key));
    assert_eq!(m.attempts, 0);
    assert!(m.msg_id.starts_with("msg_"));
    assert!(m.signing.current.starts_with("whsec_") && m.signing.previous.is_none());
    let v = body(m);
    assert_eq!(v["type"], "meeting.booked");
    assert_eq!(v["data"]["conferenceId"], b.conference_id.as_str());
    assert_eq!(v["data"]["eventId"], b.event_id);
    assert_eq!(v["data"]["customerCode"], "ACME");
    // Editing and cancelling enqueue too, each in its own write.
    let edited = store
        .update_booking(
            &huiyi_domain::Booking {
                title: "moved".into(),
                ..b.clone()
            },
            T0 + 5,
        )
        .await
        .unwrap();
    store.cancel_booking(&edited, T0 + 6).await.unwrap();
    let later = store
        .claim_messages(NOW + 10_000, LEASE, 100)
        .await
        .unwrap();
    let kinds: Vec<&str> = later.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["meeting.updated", "meeting.cancelled"]);
    assert_eq!(body(&later[0])["data"]["title"], "moved");
    assert!(
        store
            .messages(acme.key, Some(ended), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .messages(globex.key, Some(theirs), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .messages(globex.key, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_refused_booking_enqueues_nothing(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    endpoint(&store, &acme, "https://a.example/all", "").await;
    // CAROL is GLOBEX's user: the booking is refused, and so is the whole bulk write.
    let bad = new_booking(&acme, CAROL, T0, 60, PasswordType::Dynamic);
    assert!(store.create_booking(&bad).await.is_err());
    let good = new_booking(&acme, ALICE, T0, 60, PasswordType::Dynamic);
    assert!(store.create_bookings(&[good, bad]).await.is_err());
    assert!(
        store
            .claim_messages(NOW, LEASE, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.messages(acme.key, None, 10).await.unwrap().is_empty());
}

pub async fn a_claim_holds_its_messages_for_its_lease(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let e = endpoint(&store, &acme, "https://a.example/all", "").await;
    for i in 0..3 {
        book(&store, &acme, ALICE, T0 + i * 3600).await;
    }
    let first = store.claim_messages(NOW, 1_000, 10).await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(
        store
            .claim_messages(NOW + 999, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The lease ran out (the worker died): another claim takes them, with a claim of its own.
    let second = store.claim_messages(NOW + 1_000, 1_000, 10).await.unwrap();
    assert_eq!(second.len(), 3);
    assert_ne!(first[0].claim, second[0].claim);
    // The first worker's late word changes nothing but the log.
    let late: Vec<Settled> = first
        .iter()
        .map(|m| settled(m, NOW + 1_100, Some(200), Settle::Delivered))
        .collect();
    store.settle_messages(&late).await.unwrap();
    let log = store.messages(acme.key, Some(e), 10).await.unwrap();
    assert!(
        log.iter().all(|m| m.state == MessageState::Pending),
        "{log:?}"
    );
    assert!(log.iter().all(|m| m.attempts.len() == 1));
    let done: Vec<Settled> = second
        .iter()
        .map(|m| settled(m, NOW + 1_200, Some(200), Settle::Delivered))
        .collect();
    store.settle_messages(&done).await.unwrap();
    let log = store.messages(acme.key, Some(e), 10).await.unwrap();
    assert!(log.iter().all(|m| m.state == MessageState::Delivered));
    assert!(log.iter().all(|m| m.attempts.len() == 2));
    assert_eq!(log[0].attempts[1].status, Some(200));
    assert!(
        store
            .claim_messages(NOW + 10_000, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn concurrent_claims_never_share_a_message(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    endpoint(&store, &acme, "https://a.example/all", "").await;
    let news: Vec<_> = (0..120)
        .map(|i| new_booking(&acme, ALICE, T0 + i * 60, 30, PasswordType::Dynamic))
        .collect();
    store.create_bookings(&news).await.unwrap();
    let mut claimers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        claimers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store.claim_messages(NOW, LEASE, 7).await.unwrap();
                if got.is_empty() {
                    break mine;
                }
                mine.extend(got.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut all = Vec::new();
    for c in claimers {
        all.extend(c.await.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 120, "each message claimed once");
    assert_eq!(distinct.len(), 120);
}

pub async fn retries_wait_failures_stay_and_410_disables(store: SharedStore) {
    let (acme, _) = tenants(&store).await;
    let e = endpoint(&store, &acme, "https://a.example/all", "").await;
    book(&store, &acme, ALICE, T0).await;
    book(&store, &acme, ALICE, T0 + 3600).await;
    let claimed = store.claim_messages(NOW, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    store
        .settle_messages(&[
            settled(
                &claimed[0],
                NOW,
                Some(500),
                Settle::Retry { at_ms: NOW + 5_000 },
            ),
            settled(&claimed[1], NOW, Some(500), Settle::Failed),
        ])
        .await
        .unwrap();
    assert!(
        store
            .claim_messages(NOW + 4_999, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.claim_messages(NOW + 5_000, LEASE, 10).await.unwrap();
    assert_eq!(again.len(), 1, "the failed one stays failed");
    assert_eq!((again[0].id, again[0].attempts), (claimed[0].id, 1));
    let log = store.messages(acme.key, None, 10).await.unwrap();
    let failed = log.iter().find(|m| m.msg_id == claimed[1].msg_id).unwrap();
    assert_eq!(failed.state, MessageState::Failed);
    assert_eq!(failed.attempts[0].error.as_deref(), Some("HTTP 500: down"));

    // 410: the endpoint is disabled, its pending messages fail, and nothing new is queued.
    book(&store, &acme, ALICE, T0 + 7200).await;
    store
        .settle_messages(&[settled(&again[0], NOW + 5_100, Some(410), Settle::Gone)])
        .await
        .unwrap();
    let listed = store.endpoints(acme.key).await.unwrap();
    assert_eq!(listed[0].disabled_at, Some(NOW + 5_100));
    assert!(
        store
            .claim_messages(NOW + 99_000, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    book(&store, &acme, ALICE, T0 + 9000).await;
    let log = store.messages(acme.key, Some(e), 10).await.unwrap();
    assert_eq!(log.len(), 3, "nothing queued for a disabled endpoint");
    assert!(log.iter().all(|m| m.state == MessageState::Failed));

    // Asking for a message again enables the endpoint and restarts its schedule.
    store
        .redeliver(acme.key, &claimed[1].msg_id, NOW + 100_000)
        .await
        .unwrap();
    assert!(
        store.endpoints(acme.key).await.unwrap()[0]
            .disabled_at
            .is_none()
    );
    let back = store
        .claim_messages(NOW + 100_000, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(
        (back[0].msg_id.as_str(), back[0].attempts),
        (claimed[1].msg_id.as_str(), 0)
    );
}

pub async fn endpoints_are_the_customers_own(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let e = endpoint(&store, &acme, "https://a.example/all", "meeting.booked").await;
    let listed = store.endpoints(acme.key).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].events,
        EventFilter::parse_list("meeting.booked").unwrap()
    );
    assert!(store.endpoints(globex.key).await.unwrap().is_empty());
    book(&store, &acme, ALICE, T0).await;
    let m = store.messages(acme.key, None, 1).await.unwrap().remove(0);
    // Another customer can neither remove, rotate nor redeliver: it looks missing.
    let gone = store.remove_endpoint(globex.key, e, NOW).await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
    let rotated = store
        .rotate_endpoint_secret(globex.key, e, &new_signing_secret(), NOW)
        .await;
    assert!(matches!(rotated, Err(StoreError::NotFound)), "{rotated:?}");
    let redone = store.redeliver(globex.key, &m.msg_id, NOW).await;
    assert!(matches!(redone, Err(StoreError::NotFound)), "{redone:?}");
    // Removed: gone from the list, its pending message failed, and not redeliverable.
    store.remove_endpoint(acme.key, e, NOW).await.unwrap();
    assert!(store.endpoints(acme.key).await.unwrap().is_empty());
    let m = store.messages(acme.key, None, 1).await.unwrap().remove(0);
    assert_eq!(m.state, MessageState::Failed);
    let redone = store.redeliver(acme.key, &m.msg_id, NOW).await;
    assert!(matches!(redone, Err(StoreError::Invalid(_))), "{redone:?}");
    assert!(matches!(
        store.remove_endpoint(acme.key, e, NOW).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn secrets_rotate_with_an_overlap(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let first = store
        .callback_secret(acme.key, "whsec_AAAA", false, 0)
        .await
        .unwrap();
    assert_eq!(first, "whsec_AAAA", "made on first use");
    let same = store
        .callback_secret(acme.key, "whsec_BBBB", false, 0)
        .await
        .unwrap();
    assert_eq!(same, first);
    let other = store
        .callback_secret(globex.key, "whsec_CCCC", false, 0)
        .await
        .unwrap();
    assert_eq!(other, "whsec_CCCC");
    let rotated = store
        .callback_secret(acme.key, "whsec_DDDD", true, NOW + 1_000)
        .await
        .unwrap();
    assert_eq!(rotated, "whsec_DDDD");

    let e = endpoint(&store, &acme, "https://a.example/all", "").await;
    store
        .rotate_endpoint_secret(acme.key, e, "whsec_EEEE", NOW + 1_000)
        .await
        .unwrap();
    book(&store, &acme, ALICE, T0).await;
    let within = store.claim_messages(NOW + 999, 1, 10).await.unwrap();
    assert_eq!(within[0].signing.current, "whsec_EEEE");
    assert!(
        within[0]
            .signing
            .previous
            .as_deref()
            .is_some_and(|p| p.starts_with("whsec_"))
    );
    let after = store.claim_messages(NOW + 1_000, 1, 10).await.unwrap();
    assert_eq!(after[0].signing.current, "whsec_EEEE");
    assert_eq!(after[0].signing.previous, None, "the overlap is over");
}
