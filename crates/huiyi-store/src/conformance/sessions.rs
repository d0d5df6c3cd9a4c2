//! Recording session facts: placement, live counts, replays, all-or-nothing batches, the
//! grace-period close happening once when several closers race, and a booking read together
//! with its latest sessions.

use super::series::{MONDAY, WEEK, weekly};
use super::*;
use crate::{FactBatch, NewFact, StoreError};
use huiyi_domain::session::{EndReason, Participant, Role};
use huiyi_domain::{Booking, Fact, Meeting};

pub(super) fn joined(id: &str) -> Fact {
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
pub(super) fn fact(b: &Booking, uid: &str, at_ms: i64, joinable: bool, fact: Fact) -> NewFact {
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

pub(super) fn batch(facts: Vec<NewFact>) -> FactBatch {
    FactBatch {
        now_ms: T0 * 1000,
        facts,
    }
}

pub(super) async fn booked(store: &SharedStore) -> Booking {
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

pub(super) fn ended() -> Fact {
    Fact::SessionEnded {
        reason: EndReason::Host,
    }
}

/// A fact about one meeting of `view` (a booking, or one occurrence of a series), recorded while
/// it may be joined.
fn at_meeting(view: &Booking, uid: &str, at_ms: i64, fact: Fact) -> FactBatch {
    FactBatch {
        now_ms: at_ms,
        facts: vec![NewFact {
            event_uid: uid.into(),
            customer: view.customer,
            event_id: view.event_id,
            occurrence: view.occurrence_key(),
            meeting: view.meeting(1),
            at_ms,
            fact,
        }],
    }
}

pub async fn a_booking_is_read_with_the_latest_session_of_each_meeting(store: SharedStore) {
    let (acme, globex) = tenants(&store).await;
    let single = store
        .create_booking(&new_booking(&acme, ALICE, T0, 60, PasswordType::Dynamic))
        .await
        .unwrap();
    let cid = &single.conference_id;
    assert_eq!(
        store.booking_with_sessions(acme.key, cid).await.unwrap(),
        Some((single.clone(), vec![])),
        "a booking that has had no session"
    );

    // Held, ended, and held again: only the second is the latest.
    let t = T0 * 1000;
    for (uid, at, f) in [
        ("s1", t, joined("a")),
        ("s2", t + 10, ended()),
        ("s3", t + 20, joined("b")),
    ] {
        store
            .record_facts(at_meeting(&single, uid, at, f))
            .await
            .unwrap();
    }
    let latest = store.latest_sessions(&[single.event_id]).await.unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!((latest[0].opened_ms, latest[0].attendees), (t + 20, 1));
    assert_eq!(
        store.booking_with_sessions(acme.key, cid).await.unwrap(),
        Some((single.clone(), latest.clone())),
        "the latest session only"
    );

    // A series with sessions on two of its occurrences, the later one held twice.
    let series = store
        .create_booking(&weekly(&acme, BOB, MONDAY, 60, MONDAY + 4 * WEEK))
        .await
        .unwrap();
    assert_eq!(
        store
            .booking_with_sessions(acme.key, &series.conference_id)
            .await
            .unwrap(),
        Some((series.clone(), vec![]))
    );
    let occurrences = series.occurrences();
    let first = series.as_occurrence(&occurrences[0]);
    let third = series.as_occurrence(&occurrences[2]);
    let at = |view: &Booking| view.start * 1000;
    for (view, uid, at_ms, f) in [
        (&third, "r1", at(&third), joined("c")),
        (&third, "r2", at(&third) + 10, ended()),
        (&first, "r3", at(&first), joined("d")),
        (&third, "r4", at(&third) + 20, joined("e")),
    ] {
        store
            .record_facts(at_meeting(view, uid, at_ms, f))
            .await
            .unwrap();
    }
    let (read, sessions) = store
        .booking_with_sessions(acme.key, &series.conference_id)
        .await
        .unwrap()
        .expect("the series");
    assert_eq!(read, series, "the series as stored, not one occurrence");
    assert_eq!(
        sessions
            .iter()
            .map(|s| (s.occurrence, s.opened_ms))
            .collect::<Vec<_>>(),
        vec![
            (first.occurrence_key(), at(&first)),
            (third.occurrence_key(), at(&third) + 20)
        ],
        "one per occurrence that had a session, the latest, ordered by occurrence"
    );
    let mut latest = store.latest_sessions(&[series.event_id]).await.unwrap();
    latest.sort_by_key(|s| s.occurrence);
    assert_eq!(sessions, latest, "as latest_sessions answers");

    // Another customer's booking is not found, nor one that does not exist.
    assert_eq!(
        store.booking_with_sessions(globex.key, cid).await.unwrap(),
        None
    );
    let unknown = huiyi_domain::ConferenceId::parse("999999999").unwrap();
    assert_ne!(&unknown, cid);
    assert_eq!(
        store
            .booking_with_sessions(acme.key, &unknown)
            .await
            .unwrap(),
        None
    );
}
