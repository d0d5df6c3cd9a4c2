//! The fold alone: the store's rules, the page's view, and that arrival order does not matter
//! where the rules say it must not.

use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

fn who(id: &str, name: &str) -> Participant {
    Participant {
        id: id.into(),
        name: name.into(),
        ..Default::default()
    }
}
fn joined(id: &str) -> Fact {
    Fact::ParticipantJoined {
        participant: who(id, id),
    }
}
fn left(id: &str) -> Fact {
    Fact::ParticipantLeft {
        participant_id: id.into(),
    }
}
fn waiting(id: &str) -> Fact {
    Fact::ParticipantWaiting {
        participant: who(id, id),
    }
}
fn hand(id: &str, up: bool) -> Fact {
    let participant_id = id.into();
    if up {
        Fact::HandRaised { participant_id }
    } else {
        Fact::HandLowered { participant_id }
    }
}

fn whole(facts: &[(i64, Fact)]) -> SessionFold {
    SessionFold::from_facts(0, facts.iter().map(|(at, f)| (*at, f)))
}

fn names(s: &LiveState) -> Vec<&str> {
    s.participants.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn presence_counts_attendees_and_pairs_a_leave_that_came_first() {
    let f = whole(&[
        (10, joined("a")),
        (11, joined("b")),
        (19, left("c")),
        (15, joined("c")),
    ]);
    assert_eq!(f.tally().attendees, 2);
    assert!(f.is_present("a") && f.is_present("b") && !f.is_present("c"));
    assert_eq!(names(&f.view()), vec!["a", "b"]);
    assert_eq!(f.tally().empty_since_ms, None);
}

#[test]
fn empty_since_is_the_last_leave_that_happened() {
    let mut f = whole(&[(0, joined("a")), (10, joined("b")), (30, left("b"))]);
    assert_eq!(f.tally().empty_since_ms, None, "a is still in");
    f.apply(&left("a"), 20).unwrap();
    assert_eq!(
        (f.tally().attendees, f.tally().empty_since_ms),
        (0, Some(30))
    );
    f.apply(&joined("a"), 40).unwrap();
    assert_eq!(f.tally().empty_since_ms, None, "back within the grace");
}

#[test]
fn a_wait_keeps_a_session_from_emptying_and_a_lock_does_not() {
    let mut f = SessionFold::new(Tally::opened(5));
    f.apply(&Fact::RoomLocked, 5).unwrap();
    assert!(f.settle(), "opened by a lock: empty from the start");
    assert_eq!(f.tally().empty_since_ms, Some(5));
    let mut w = SessionFold::new(Tally::opened(5));
    w.apply(&waiting("w"), 5).unwrap();
    assert!(!w.settle());
    assert_eq!(w.tally().empty_since_ms, None);
    assert_eq!(w.view().waiting.len(), 1);
    assert!(w.view().participants.is_empty(), "waiting is not attending");
}

#[test]
fn the_lock_is_last_writer_wins_and_the_end_empties_everyone() {
    let mut f = whole(&[
        (1, joined("a")),
        (20, Fact::RoomUnlocked),
        (10, Fact::RoomLocked),
    ]);
    assert!(!f.tally().locked, "the unlock happened later");
    let done = f
        .apply(
            &Fact::SessionEnded {
                reason: EndReason::Host,
            },
            30,
        )
        .unwrap();
    assert_eq!(done.everyone_left_at, Some(30));
    let t = f.tally();
    assert_eq!(
        (t.closed_ms, t.end_reason, t.attendees, t.empty_since_ms),
        (Some(30), Some(EndReason::Host), 0, None)
    );
    assert_eq!(f.record("a").unwrap().presence.left_ms, Some(30));
    f.apply(&joined("b"), 25).unwrap();
    assert_eq!(f.tally().attendees, 0, "nobody comes into a closed session");
    let v = f.view();
    assert!(v.ended && v.participants.is_empty());
}

#[test]
fn an_idle_session_closes_when_it_emptied() {
    let mut f = whole(&[(1, joined("a")), (7, left("a"))]);
    let (end, at) = f.close_idle(100).unwrap();
    assert_eq!(
        (end, at),
        (
            Fact::SessionEnded {
                reason: EndReason::Grace
            },
            7
        )
    );
    assert_eq!(f.tally().closed_ms, Some(7));
    assert_eq!(f.close_idle(100), None, "closed once");
}

#[test]
fn the_view_shows_hands_voices_waiting_roll_calls_and_the_removed() {
    let rc = |id: &str| Fact::RollCallStarted {
        roll_call_id: id.into(),
        video: false,
    };
    let answer = |rc: &str, who: &str| Fact::RollCallAnswered {
        roll_call_id: rc.into(),
        participant_id: who.into(),
        video: false,
    };
    let f = whole(&[
        (1, joined("h")),
        (2, waiting("g")),
        (3, joined("a")),
        (4, hand("a", true)),
        (
            5,
            Fact::VoiceSwitched {
                participant_id: "a".into(),
                voice: Voice::Phone,
                address: "1".into(),
            },
        ),
        (6, rc("r1")),
        (7, answer("r1", "a")),
        (8, rc("r2")),
        (9, answer("r2", "h")),
        (10, answer("r1", "g")),
        (11, hand("h", true)),
        (12, left("h")),
        (13, joined("h")),
        (
            14,
            Fact::ParticipantRemoved {
                participant_id: "x".into(),
            },
        ),
    ]);
    let v = f.view();
    assert_eq!(names(&v), vec!["a", "h"], "in the order they last joined");
    assert!(v.participants[0].hand, "a's hand is up");
    assert!(
        !v.participants[1].hand,
        "a rejoin comes back with the hand down"
    );
    assert_eq!(v.participants[0].voice, Voice::Phone);
    assert_eq!(v.participants[1].voice, Voice::Network);
    assert_eq!(v.waiting.iter().map(|p| &p.id).collect::<Vec<_>>(), ["g"]);
    let rc = v.roll_call.unwrap();
    assert_eq!((rc.id.as_str(), rc.answered), ("r2", vec!["h".to_string()]));
    assert_eq!(v.removed, ["x"]);
    assert!(f.was_removed("x") && !f.was_removed("a"));
}

/// The store's path: a session row and the rows it is asked for, applied batch by batch.
struct Rows {
    tally: Tally,
    people: HashMap<String, ParticipantRecord>,
    reads: usize,
}

impl Rows {
    fn record(&mut self, batch: &mut [(i64, Fact)]) {
        batch.sort_by_key(|(at, _)| *at);
        let mut fold = SessionFold::resume(self.tally.clone());
        for (at, fact) in batch.iter() {
            let applied = loop {
                match fold.apply(fact, *at) {
                    Ok(a) => break a,
                    Err(Need::Participant(id)) => {
                        self.reads += 1;
                        let r = self.people.get(&id).cloned();
                        fold.know(r.unwrap_or_else(|| ParticipantRecord::new(&id)));
                    }
                    Err(Need::LastLeave) => {
                        let last = self.people.values().filter_map(|p| p.presence.left_ms);
                        fold.know_last_leave(last.max());
                    }
                }
            };
            if let Some(end) = applied.everyone_left_at {
                for p in self.people.values_mut() {
                    if p.presence.present() {
                        p.presence.left_ms = Some(end);
                    }
                }
            }
            if applied.participant {
                let id = fact.participant_id().unwrap();
                self.people
                    .insert(id.to_owned(), fold.record(id).unwrap().clone());
            }
        }
        fold.settle();
        self.tally = fold.tally().clone();
    }
}

#[derive(Debug, Clone)]
enum Pick {
    Join(usize, usize),
    Leave(usize),
    Remove(usize),
    Wait(usize),
    Admit(usize),
    Voice(usize, bool),
    Hand(usize, bool),
    Start(usize, bool),
    Answer(usize, usize),
    Lock(bool),
}

const IDS: [&str; 4] = ["a", "b", "c", "d"];

impl Pick {
    fn fact(&self) -> Fact {
        let id = |i: &usize| IDS[*i].to_owned();
        match self {
            Pick::Join(i, n) => Fact::ParticipantJoined {
                participant: Participant {
                    tag: format!("t{n}"),
                    ..who(&id(i), &id(i))
                },
            },
            Pick::Leave(i) => left(&id(i)),
            Pick::Remove(i) => Fact::ParticipantRemoved {
                participant_id: id(i),
            },
            Pick::Wait(i) => waiting(&id(i)),
            Pick::Admit(i) => Fact::ParticipantAdmitted {
                participant_id: id(i),
            },
            Pick::Voice(i, phone) => Fact::VoiceSwitched {
                participant_id: id(i),
                voice: if *phone { Voice::Phone } else { Voice::Network },
                address: String::new(),
            },
            Pick::Hand(i, up) => hand(&id(i), *up),
            Pick::Start(r, video) => Fact::RollCallStarted {
                roll_call_id: format!("r{r}"),
                video: *video,
            },
            Pick::Answer(r, i) => Fact::RollCallAnswered {
                roll_call_id: format!("r{r}"),
                participant_id: id(i),
                video: false,
            },
            Pick::Lock(on) => {
                if *on {
                    Fact::RoomLocked
                } else {
                    Fact::RoomUnlocked
                }
            }
        }
    }
}

fn pick() -> impl Strategy<Value = Pick> {
    let i = 0..IDS.len();
    prop_oneof![
        4 => (i.clone(), 0..3usize).prop_map(|(i, n)| Pick::Join(i, n)),
        3 => i.clone().prop_map(Pick::Leave),
        1 => i.clone().prop_map(Pick::Remove),
        2 => i.clone().prop_map(Pick::Wait),
        1 => i.clone().prop_map(Pick::Admit),
        1 => (i.clone(), any::<bool>()).prop_map(|(i, p)| Pick::Voice(i, p)),
        2 => (i.clone(), any::<bool>()).prop_map(|(i, u)| Pick::Hand(i, u)),
        1 => (0..2usize, any::<bool>()).prop_map(|(r, v)| Pick::Start(r, v)),
        2 => (0..2usize, i).prop_map(|(r, i)| Pick::Answer(r, i)),
        1 => any::<bool>().prop_map(Pick::Lock),
    ]
}

/// Facts at distinct times (so that last-writer-wins has one answer), and an arrival order.
fn story(max: usize) -> impl Strategy<Value = (Vec<(i64, Fact)>, Vec<usize>)> {
    prop::collection::vec(pick(), 1..max)
        .prop_flat_map(|picks| {
            let n = picks.len();
            let times = Just((1..=n as i64).map(|t| t * 10).collect::<Vec<_>>()).prop_shuffle();
            let order = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
            (Just(picks), times, order)
        })
        .prop_map(|(picks, times, order)| {
            let facts = picks
                .iter()
                .zip(times)
                .map(|(p, t)| (t, p.fact()))
                .collect();
            (facts, order)
        })
}

fn in_time_order(facts: &[(i64, Fact)]) -> Vec<(i64, Fact)> {
    let mut sorted = facts.to_vec();
    sorted.sort_by_key(|(at, _)| *at);
    sorted
}

fn records(f: &SessionFold) -> Vec<ParticipantRecord> {
    IDS.iter().filter_map(|id| f.record(id).cloned()).collect()
}

proptest! {
    #[test]
    fn arrival_order_does_not_change_what_the_rules_fix((facts, order) in story(24)) {
        let mut arrived = SessionFold::new(Tally::opened(0));
        let mut page = arrived.view();
        for &i in &order {
            let (at, fact) = &facts[i];
            arrived.apply(fact, *at).unwrap();
            // A page that applies the changes sees what the fold sees, after every fact.
            page.patch(&arrived.changes(fact));
            prop_assert_eq!(&page, &arrived.view());
            prop_assert_eq!(arrived.tally().attendees as usize, arrived.view().participants.len());
        }
        let ordered = whole(&in_time_order(&facts));
        prop_assert_eq!(arrived.view(), ordered.view());
        prop_assert_eq!(records(&arrived), records(&ordered));
        let (a, o) = (arrived.tally(), ordered.tally());
        prop_assert_eq!((a.attendees, a.locked, a.lock_ms), (o.attendees, o.locked, o.lock_ms));
        if !facts.iter().any(|(_, f)| matches!(f, Fact::ParticipantWaiting { .. })) {
            let (mut a, mut o) = (arrived.clone(), ordered.clone());
            a.settle();
            o.settle();
            prop_assert_eq!(a.tally(), o.tally());
        }
    }

    #[test]
    fn the_store_batch_by_batch_keeps_what_a_whole_fold_keeps(
        (facts, order) in story(24),
        cuts in prop::collection::vec(any::<bool>(), 24),
    ) {
        let arrived: Vec<(i64, Fact)> = order.iter().map(|&i| facts[i].clone()).collect();
        let mut rows = Rows { tally: Tally::opened(0), people: HashMap::new(), reads: 0 };
        let mut batch = Vec::new();
        let mut batches = Vec::new();
        for (i, f) in arrived.iter().enumerate() {
            batch.push(f.clone());
            if cuts[i] {
                batches.push(std::mem::take(&mut batch));
            }
        }
        batches.push(batch);
        let mut reference = SessionFold::new(Tally::opened(0));
        for mut b in batches {
            rows.record(&mut b);
            for (at, f) in in_time_order(&b) {
                reference.apply(&f, at).unwrap();
            }
        }
        let (s, r) = (&rows.tally, reference.tally());
        prop_assert_eq!((s.attendees, s.locked, s.lock_ms), (r.attendees, r.locked, r.lock_ms));
        // Someone only the page knows of (a wait, an admission) has no row: an empty one.
        for id in IDS {
            let blank = || ParticipantRecord::new(id);
            prop_assert_eq!(
                rows.people.get(id).cloned().unwrap_or_else(blank),
                reference.record(id).cloned().unwrap_or_else(blank)
            );
        }
        if !facts.iter().any(|(_, f)| matches!(f, Fact::ParticipantWaiting { .. })) {
            reference.settle();
            prop_assert_eq!(&rows.tally, reference.tally());
        }
    }

    #[test]
    fn after_the_end_nobody_is_in_whatever_the_order(
        (mut facts, order) in story(16),
        end_at in 0..200i64,
    ) {
        facts.push((end_at * 10 + 5, Fact::SessionEnded { reason: EndReason::Host }));
        let mut order = order;
        let n = facts.len() - 1;
        order.insert(end_at as usize % (n + 1), n);
        let mut arrived = SessionFold::new(Tally::opened(0));
        let mut page = arrived.view();
        for &i in &order {
            let (at, fact) = &facts[i];
            arrived.apply(fact, *at).unwrap();
            page.patch(&arrived.changes(fact));
            prop_assert_eq!(&page, &arrived.view());
        }
        let ordered = whole(&in_time_order(&facts));
        let (mut a, mut o) = (arrived.view(), ordered.view());
        prop_assert!(a.ended && a.participants.is_empty() && a.waiting.is_empty());
        // The lock is kept only while the session is open, so one changed after the end (by
        // when it happened) counts only when it arrived first.
        a.locked = false;
        o.locked = false;
        prop_assert_eq!(a, o);
        let t = arrived.tally();
        prop_assert_eq!((t.closed_ms, t.attendees), (Some(end_at * 10 + 5), 0));
    }
}
