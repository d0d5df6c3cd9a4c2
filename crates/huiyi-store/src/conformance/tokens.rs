//! Join links and join tokens: what a link code names, and tokens whose uses are never
//! exceeded, however many callers race for them.

use super::*;
use crate::StoreError;
use huiyi_domain::secrets::KeyHash;
use huiyi_domain::{Booking, JoinToken, JoinTokenKind, LinkRole, NewJoinToken};

async fn booked(store: &SharedStore) -> (Customer, Customer, Booking) {
    let (acme, globex) = tenants(store).await;
    let b = store
        .create_booking(&new_booking(&acme, ALICE, T0, 60, PasswordType::Dynamic))
        .await
        .unwrap();
    (acme, globex, b)
}

fn token(
    b: &Booking,
    secret: &str,
    kind: JoinTokenKind,
    uses: i64,
    expires_at: i64,
) -> NewJoinToken {
    NewJoinToken {
        token_hash: KeyHash::of(secret).as_str().to_owned(),
        kind,
        customer: b.customer,
        event_id: (kind != JoinTokenKind::Login).then_some(b.event_id),
        user_id: Some(uid(BOB)),
        role: LinkRole::Attendee,
        name: "鲍勃 Bob".into(),
        expires_at,
        uses,
        created_at: T0 - 60,
    }
}

fn hash(secret: &str) -> String {
    KeyHash::of(secret).as_str().to_owned()
}

pub async fn link_codes_name_their_booking_and_role(store: SharedStore) {
    let (_, _, b) = booked(&store).await;
    for (code, role) in [
        (&b.links.host, LinkRole::Host),
        (&b.links.attendee, LinkRole::Attendee),
        (&b.links.wcall, LinkRole::Wcall),
    ] {
        let (found, found_role) = store.link_target(code.as_str()).await.unwrap().unwrap();
        assert_eq!((found, found_role), (b.clone(), role));
    }
    assert_eq!(store.link_target("AAAAAAAAAAA").await.unwrap(), None);
    assert_eq!(store.link_target("").await.unwrap(), None);
}

pub async fn join_tokens_round_trip(store: SharedStore) {
    let (acme, globex, b) = booked(&store).await;
    let now = T0;
    let new = token(&b, "round-trip", JoinTokenKind::Secure, 3, now + 300);
    store.create_join_token(&new).await.unwrap();
    let expected = JoinToken {
        kind: JoinTokenKind::Secure,
        customer: acme.key,
        event_id: Some(b.event_id),
        user_id: Some(uid(BOB)),
        role: LinkRole::Attendee,
        expires_at: now + 300,
        uses_left: 3,
        name: "鲍勃 Bob".into(),
    };
    let h = hash("round-trip");
    assert_eq!(store.join_token(&h).await.unwrap(), Some(expected.clone()));
    let peeked = store.peek_join_token(&h, JoinTokenKind::Secure, now).await;
    assert_eq!(
        peeked.unwrap(),
        Some(expected.clone()),
        "peek takes nothing"
    );
    let taken = store
        .consume_join_token(&h, JoinTokenKind::Secure, now)
        .await;
    assert_eq!(
        taken.unwrap(),
        Some(JoinToken {
            uses_left: 2,
            ..expected.clone()
        }),
        "a consume answers the uses left after it"
    );
    assert_eq!(store.join_token(&h).await.unwrap().unwrap().uses_left, 2);
    assert_eq!(store.join_token(&hash("never issued")).await.unwrap(), None);

    // A login token names no booking.
    let login = token(&b, "login", JoinTokenKind::Login, 1, now + 60);
    store.create_join_token(&login).await.unwrap();
    let l = store.join_token(&hash("login")).await.unwrap().unwrap();
    assert_eq!((l.kind, l.event_id), (JoinTokenKind::Login, None));

    // A user of another customer, a booking that does not exist, no uses: refused.
    let mut foreign = token(&b, "foreign", JoinTokenKind::NoSecret, 1, now + 60);
    foreign.customer = globex.key;
    foreign.event_id = None;
    foreign.kind = JoinTokenKind::Login;
    let refused = store.create_join_token(&foreign).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    let mut missing = token(&b, "missing", JoinTokenKind::Secure, 1, now + 60);
    missing.event_id = Some(b.event_id + 1000);
    let refused = store.create_join_token(&missing).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    let unusable = token(&b, "no uses", JoinTokenKind::Secure, 0, now + 60);
    let refused = store.create_join_token(&unusable).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
}

pub async fn concurrent_consumes_never_exceed_the_uses(store: SharedStore) {
    let (_, _, b) = booked(&store).await;
    let now = T0;
    store
        .create_join_token(&token(&b, "six", JoinTokenKind::Secure, 6, now + 300))
        .await
        .unwrap();
    let racers = (0..40).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .consume_join_token(&hash("six"), JoinTokenKind::Secure, now)
                .await
                .unwrap()
        })
    });
    let mut left = Vec::new();
    for r in racers {
        if let Some(t) = r.await.unwrap() {
            left.push(t.uses_left);
        }
    }
    left.sort_unstable();
    assert_eq!(
        left,
        [0, 1, 2, 3, 4, 5],
        "exactly six uses, each answered once"
    );
    let h = hash("six");
    assert_eq!(store.join_token(&h).await.unwrap().unwrap().uses_left, 0);
    let peeked = store.peek_join_token(&h, JoinTokenKind::Secure, now).await;
    assert_eq!(peeked.unwrap(), None, "used up");
}

pub async fn expired_join_tokens_are_never_consumed(store: SharedStore) {
    let (_, _, b) = booked(&store).await;
    let now = T0;
    let expires = now + 60;
    store
        .create_join_token(&token(&b, "expiring", JoinTokenKind::NoSecret, 5, expires))
        .await
        .unwrap();
    let h = hash("expiring");
    let k = JoinTokenKind::NoSecret;
    assert!(
        store
            .peek_join_token(&h, k, expires - 1)
            .await
            .unwrap()
            .is_some()
    );
    for at in [expires, expires + 1, expires + 86_400] {
        assert_eq!(store.consume_join_token(&h, k, at).await.unwrap(), None);
        assert_eq!(store.peek_join_token(&h, k, at).await.unwrap(), None);
    }
    let racers = (0..10).map(|_| {
        let store = store.clone();
        let h = h.clone();
        tokio::spawn(async move { store.consume_join_token(&h, k, expires).await.unwrap() })
    });
    for r in racers {
        assert_eq!(r.await.unwrap(), None);
    }
    let t = store.join_token(&h).await.unwrap().unwrap();
    assert_eq!(t.uses_left, 5, "no use was taken");
    assert!(t.is_expired(expires));
}

pub async fn join_tokens_of_another_kind_are_never_consumed(store: SharedStore) {
    let (_, _, b) = booked(&store).await;
    let now = T0;
    store
        .create_join_token(&token(&b, "login only", JoinTokenKind::Login, 2, now + 60))
        .await
        .unwrap();
    let h = hash("login only");
    for kind in [JoinTokenKind::Secure, JoinTokenKind::NoSecret] {
        assert_eq!(store.consume_join_token(&h, kind, now).await.unwrap(), None);
        assert_eq!(store.peek_join_token(&h, kind, now).await.unwrap(), None);
    }
    assert_eq!(store.join_token(&h).await.unwrap().unwrap().uses_left, 2);
    let taken = store
        .consume_join_token(&h, JoinTokenKind::Login, now)
        .await;
    assert_eq!(taken.unwrap().map(|t| t.uses_left), Some(1));
}
