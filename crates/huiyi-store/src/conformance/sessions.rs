//! Recording session facts: placement, live counts, replays, all-or-nothing batches, and the
//! grace-period close happening once when several closers race.

use super::*;
use crate::{FactBatch, NewFact, StoreError};
use huiyi_domain::session::{Participant, Role};
use huiyi_domain::{Booking, Fact, Meeting};

fn joined(id: &str) -> Fact {
    Fact::ParticipantJoined {
        participant: Participant {
            id: id.into(),
            name: id.into(),
            role: Role::Attendee,
            ..Default::default()
        },
    }
}

fn left(id: &str) -> Fact {
    Fact::ParticipantLeft {
        participant_id: id.into(),
    }
}

/// A fact about `b`, joinable or not, with `uid` as the producer's event id.
fn fact(b: &Booking, uid: &str, at_ms: i64, joinable: bool, fact: Fact) -> NewFact {
    NewFact {
        event_uid: uid.into(),
        customer: b.customer,
        event_id: b.event_id,
        occurrence: 0,
        meeting: Meeting {
            cancelled: !joinable,
            start: b.start,
            end: b.end(),
            advance_hours: 1,
        },
        at_ms,
        fact,
    }
}

fn batch(facts: Vec<NewFact>) -> FactBatch {
    FactBatch {
        now_ms: T0 * 1000,
        facts,
    }
}

async fn booked(store: &SharedStore) -> Booking {
    let (acme, _) = tenants(store).await;
    store
        .create_booking(&new_booking(&acme, ALICE, T0, 60, PasswordType::Dynamic))
        .await
        .unwrap()
}

pub async fn facts_open_a_session_and_keep_live_counts(store: SharedStore, rows: Arc<dyn Inspect>) {
    let b = booked(&store).await;
    let t = T0 * 1000;
    let out = store
        .record_facts(batch(vec![
            fact(&b, "f1", t, true, joined("a")),
            fact(&b, "f2", t + 1, true, joined("b")),
            // Out of order: c's leave before c's join.
            fact(&b, "f3", t + 9, true, left("c")),
            fact(&b, "f4", t + 5, true, joined("c")),
            fact(&b, "f5", t + 6, true, Fact::RoomLocked),
        ]))
        .await
        .unwrap();
    assert_eq!((out.accepted, out.duplicates), (5, 0));
    assert_eq!(out.sessions.len(), 1);
    let s = &out.sessions[0];
    assert_eq!((s.attendees, s.locked, s.opened_ms), (2, true, t));
    assert_eq!(s.temp_conference_id.as_str().len(), 10);
    let latest = store.latest_sessions(&[b.event_id]).await.unwrap();
    assert_eq!(latest, out.sessions);
    let facts = store.session_facts(s.id).await.unwrap();
    let at: Vec<i64> = facts.iter().map(|f| f.at_ms).collect();
    assert_eq!(
        at,
        vec![t, t + 1, t + 5, t + 6, t + 9],
        "in the order they happened"
    );
    assert!(facts.iter().all(|f| f.recorded_ms == T0 * 1000));
    let present: Vec<String> = rows
        .session_participants(s.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.presence.present())
        .map(|p| p.participant.id)
        .collect();
    assert_eq!(present, vec!["a".to_string(), "b".to_string()]);

    // A replay changes nothing; the end closes the session and empties it.
    let again = store
        .record_facts(batch(vec![
            fact(&b, "f1", t, true, joined("a")),
            fact(
                &b,
                "f6",
                t + 20,
                true,
                Fact::SessionEnded {
                    reason: Default::default(),
                },
            ),
        ]))
        .await
        .unwrap();
    assert_eq!((again.accepted, again.duplicates), (1, 1));
    let closed = &again.sessions[0];
    assert_eq!(
        (closed.id, closed.closed_ms, closed.attendees),
        (s.id, Some(t + 20), 0)
    );
}

pub async fn a_refused_batch_stores_nothing(store: SharedStore) {
    let b = booked(&store).await;
    let t = T0 * 1000;
    let refused = store
        .record_facts(batch(vec![
            fact(&b, "g1", t, true, joined("a")),
            fact(
                &b,
                "g2",
                t + 1,
                true,
                Fact::SessionEnded {
                    reason: Default::default(),
                },
            ),
            // Reopening is refused: outside the join window.
            fact(&b, "g3", t + 2, false, joined("a")),
        ]))
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotJoinable(_))),
        "{refused:?}"
    );
    assert!(
        store
            .latest_sessions(&[b.event_id])
            .await
            .unwrap()
            .is_empty()
    );
    let never_held = store
        .record_facts(batch(vec![fact(
            &b,
            "g4",
            t,
            true,
            Fact::RecordingProduced {
                recording: Default::default(),
            },
        )]))
        .await;
    assert!(
        matches!(never_held, Err(StoreError::NoSession(_))),
        "{never_held:?}"
    );
    // The same ids are free to use afterwards: nothing of them was kept.
    let ok = store
        .record_facts(batch(vec![fact(&b, "g1", t, true, joined("a"))]))
        .await
        .unwrap();
    assert_eq!(ok.accepted, 1);
}

pub async fn an_idle_session_is_closed_once_by_racing_closers(store: SharedStore) {
    let b = booked(&store).await;
    let t = T0 * 1000;
    store
        .record_facts(batch(vec![
            fact(&b, "h1", t, true, joined("a")),
            fact(&b, "h2", t + 10, true, joined("b")),
            fact(&b, "h3", t + 30, true, left("b")),
            fact(&b, "h4", t + 20, true, left("a")),
        ]))
        .await
        .unwrap();
    let s = &store.latest_sessions(&[b.event_id]).await.unwrap()[0];
    assert_eq!(
        (s.attendees, s.closed_ms),
        (0, None),
        "empty, not yet closed"
    );
    // Not yet due.
    assert!(
        store
            .close_idle_sessions(t + 29, t + 100)
            .await
            .unwrap()
            .is_empty()
    );
    let closers = (0..4).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.close_idle_sessions(t + 30, t + 100).await.unwrap() })
    });
    let mut closed = 0;
    for c in closers {
        closed += c.await.unwrap().len();
    }
    assert_eq!(closed, 1, "closed exactly once");
    let s = &store.latest_sessions(&[b.event_id]).await.unwrap()[0];
    assert_eq!(
        s.closed_ms,
        Some(t + 30),
        "it ended with the last leave that happened"
    );
    let ends = store
        .session_facts(s.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| matches!(f.fact, Fact::SessionEnded { .. }) && f.event_uid.is_none())
        .count();
    assert_eq!(ends, 1);
}
