//! The session fold: what each fact does to a session, written once.
//!
//! The store folds each fact into the session it records it in, inside its transaction; a live
//! page's view is folded from the session's facts and kept current from the facts that follow.
//! Both go through [`SessionFold::apply`], so the count a status shows and the people a page
//! shows cannot disagree.
//!
//! Facts arrive out of order, so every register is last-writer-wins by when the fact happened:
//! presence (a `left` that arrives before its `joined` is kept and pairs up later), voice, hand,
//! the lock, who waits. The attendee count and empty-since follow from presence.
//!
//! A store does not load a whole session to record one fact: it starts from the session row
//! ([`SessionFold::resume`]) and hands the fold the participant rows it asks for
//! ([`Need`]). A fold built from a session's first fact on ([`SessionFold::new`]) knows
//! everything and never asks.

use super::{EndReason, Fact, Participant, Presence, Voice, newer};
use std::collections::HashMap;

/// What the session row keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub opened_ms: i64,
    /// When it ended: the host's end, or the last leave before the grace period ran out.
    pub closed_ms: Option<i64>,
    pub end_reason: Option<EndReason>,
    pub locked: bool,
    /// When the lock last changed.
    pub lock_ms: Option<i64>,
    /// People present now.
    pub attendees: i64,
    /// Since when nobody has been in (for the grace close); `None` while someone is in or waits.
    pub empty_since_ms: Option<i64>,
}

impl Tally {
    /// A session that has just opened.
    pub fn opened(at_ms: i64) -> Self {
        Tally {
            opened_ms: at_ms,
            closed_ms: None,
            end_reason: None,
            locked: false,
            lock_ms: None,
            attendees: 0,
            empty_since_ms: None,
        }
    }

    pub fn is_open(&self) -> bool {
        self.closed_ms.is_none()
    }
}

/// What a participant row keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRecord {
    pub id: String,
    /// Who they are, as they last joined (by when it happened); `None` until a join.
    pub info: Option<Participant>,
    pub presence: Presence,
    pub voice: Voice,
    pub voice_ms: Option<i64>,
    pub hand_up: bool,
    pub hand_ms: Option<i64>,
}

impl ParticipantRecord {
    /// Someone known so far only by id: no fact about them has been kept.
    pub fn new(id: &str) -> Self {
        ParticipantRecord {
            id: id.to_owned(),
            info: None,
            presence: Presence::default(),
            voice: Voice::Network,
            voice_ms: None,
            hand_up: false,
            hand_ms: None,
        }
    }
}

/// A register that keeps the value with the latest time, and the order in which each time was
/// first reached (to order equal times the way they arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Latest<T> {
    pub at_ms: i64,
    pub seq: u64,
    pub value: T,
}

/// Puts `value` in `slot` when it happened at or after what is there. Returns whether it did.
fn keep_latest<T>(slot: &mut Option<Latest<T>>, at_ms: i64, seq: u64, value: T) -> bool {
    match slot {
        Some(l) if at_ms < l.at_ms => false,
        Some(l) => {
            if at_ms > l.at_ms {
                l.seq = seq;
            }
            l.at_ms = at_ms;
            l.value = value;
            true
        }
        None => {
            *slot = Some(Latest { at_ms, seq, value });
            true
        }
    }
}

/// Someone in the fold: their row, and what only a live page shows (known to a whole fold).
#[derive(Debug, Clone)]
pub(super) struct Person {
    pub record: ParticipantRecord,
    /// Orders the present by when they last joined.
    pub joined_seq: u64,
    /// The latest `participant.waiting`, with who they said they were.
    pub waiting: Option<Latest<Participant>>,
    pub admitted_ms: Option<i64>,
    /// The first removal: the removed are listed in the order it happened.
    pub removed: Option<(i64, u64)>,
}

impl Person {
    fn new(record: ParticipantRecord) -> Self {
        Person {
            record,
            joined_seq: 0,
            waiting: None,
            admitted_ms: None,
            removed: None,
        }
    }
}

/// A roll-call as the fold knows it: answers may arrive before their `rollcall.started`.
#[derive(Debug, Clone, Default)]
pub(super) struct RollCall {
    /// When it started, in arrival order for equal times, and whether by video.
    pub started: Option<Latest<bool>>,
    /// When each person answered: an answer counts from the start on, so one given before
    /// it (by when it happened) is kept but not shown.
    pub answers: HashMap<String, Vec<(i64, u64)>>,
}

/// What the fold needs before it can apply a fact. Nothing has changed when it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// This participant's row, or [`ParticipantRecord::new`] when there is none:
    /// [`SessionFold::know`].
    Participant(String),
    /// The latest leave of anyone in the session: [`SessionFold::know_last_leave`].
    LastLeave,
}

/// What applying a fact changed, for the store to save.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The session row ([`SessionFold::tally`]).
    pub session: bool,
    /// The row of the fact's participant ([`SessionFold::record`]).
    pub participant: bool,
    /// The session ended: everyone still present leaves at this time, including rows the fold
    /// has not loaded.
    pub everyone_left_at: Option<i64>,
}

/// One session's state under its facts. See the module documentation.
#[derive(Debug, Clone)]
pub struct SessionFold {
    pub(super) tally: Tally,
    pub(super) people: HashMap<String, Person>,
    /// Every fact of the session went through this fold, so someone it does not know has had
    /// no fact yet. A resumed fold knows only the rows it was given.
    pub(super) whole: bool,
    /// The latest leave of anyone, when known.
    last_leave: Option<Option<i64>>,
    /// A `participant.waiting` was applied: someone may be waiting for the host.
    waited: bool,
    pub(super) roll_calls: HashMap<String, RollCall>,
    pub(super) seq: u64,
}

impl SessionFold {
    /// A session folded from its first fact on (or one just opened).
    pub fn new(tally: Tally) -> Self {
        SessionFold {
            tally,
            people: HashMap::new(),
            whole: true,
            last_leave: Some(None),
            waited: false,
            roll_calls: HashMap::new(),
            seq: 0,
        }
    }

    /// A stored session, to apply more facts to: the participants' rows come as
    /// [`Need::Participant`] asks for them. What only a live page shows is not kept.
    pub fn resume(tally: Tally) -> Self {
        SessionFold {
            whole: false,
            last_leave: None,
            ..Self::new(tally)
        }
    }

    /// Folds a session's facts, given in the order they happened, from its opening on.
    pub fn from_facts<'f>(
        opened_ms: i64,
        facts: impl IntoIterator<Item = (i64, &'f Fact)>,
    ) -> Self {
        let mut fold = SessionFold::new(Tally::opened(opened_ms));
        for (at_ms, fact) in facts {
            // A whole fold has everything it could need.
            let _ = fold.apply(fact, at_ms);
        }
        fold
    }

    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// A participant's row as it is now, if the fold knows them.
    pub fn record(&self, id: &str) -> Option<&ParticipantRecord> {
        self.people.get(id).map(|p| &p.record)
    }

    /// Present in the session now: their latest join is after their latest leave, and the
    /// session is open.
    pub fn is_present(&self, id: &str) -> bool {
        self.tally.is_open() && self.record(id).is_some_and(|r| r.presence.present())
    }

    /// Whether the host removed them from this session.
    pub fn was_removed(&self, id: &str) -> bool {
        self.people.get(id).is_some_and(|p| p.removed.is_some())
    }

    /// Hands the fold a participant's row it asked for.
    pub fn know(&mut self, record: ParticipantRecord) {
        self.people
            .entry(record.id.clone())
            .or_insert_with(|| Person::new(record));
    }

    /// Hands the fold the latest leave of the session's participants, as stored.
    pub fn know_last_leave(&mut self, stored: Option<i64>) {
        let seen = self.last_leave.flatten();
        self.last_leave = Some(stored.max(seen));
    }

    /// Applies a fact that happened at `at_ms`. A resumed fold may first ask for what it needs
    /// ([`Need`]); nothing has changed then, and the same fact is applied again once given.
    pub fn apply(&mut self, fact: &Fact, at_ms: i64) -> Result<Applied, Need> {
        if let Some(id) = row_subject(fact)
            && !self.people.contains_key(id)
        {
            if !self.whole {
                return Err(Need::Participant(id.to_owned()));
            }
            self.know(ParticipantRecord::new(id));
        }
        if self.last_leave.is_none() && self.empties(fact, at_ms) {
            return Err(Need::LastLeave);
        }
        self.seq += 1;
        let seq = self.seq;
        let open = self.tally.is_open();
        let mut out = Applied::default();
        match fact {
            Fact::ParticipantJoined { participant: who } => {
                let p = self.person(&who.id);
                let r = &mut p.record;
                let was = r.presence.present();
                let first = r.presence.joined_ms.is_none_or(|j| at_ms > j);
                if newer(r.presence.joined_ms, at_ms) {
                    r.info = Some(who.clone());
                }
                if first {
                    p.joined_seq = seq;
                }
                r.presence.join(at_ms);
                if newer(r.voice_ms, at_ms) {
                    r.voice = who.voice;
                    r.voice_ms = Some(at_ms);
                }
                out.participant = true;
                if open && !was && r.presence.present() {
                    self.tally.attendees += 1;
                    self.tally.empty_since_ms = None;
                    out.session = true;
                }
            }
            Fact::ParticipantLeft { participant_id }
            | Fact::ParticipantRemoved { participant_id } => {
                let removal = matches!(fact, Fact::ParticipantRemoved { .. });
                let p = self.person(participant_id);
                if removal && p.removed.is_none_or(|(at, _)| at_ms < at) {
                    p.removed = Some((at_ms, seq));
                }
                let r = &mut p.record;
                let was = r.presence.present();
                r.presence.leave(at_ms);
                let now = r.presence.present();
                out.participant = true;
                if let Some(last) = self.last_leave.as_mut() {
                    *last = Some(last.map_or(at_ms, |l| l.max(at_ms)));
                }
                if open && was && !now {
                    self.tally.attendees = (self.tally.attendees - 1).max(0);
                    out.session = true;
                }
                // Empty now: it has been empty since the last leave that happened, which need
                // not be the one that arrived last.
                if open && self.tally.attendees == 0 {
                    let last = self.last_leave.flatten().unwrap_or(at_ms);
                    let since = Some(last.max(at_ms).max(self.tally.opened_ms));
                    if self.tally.empty_since_ms != since {
                        self.tally.empty_since_ms = since;
                        out.session = true;
                    }
                }
            }
            Fact::ParticipantWaiting { participant: who } => {
                self.waited = true;
                if let Some(p) = self.view_person(&who.id) {
                    keep_latest(&mut p.waiting, at_ms, seq, who.clone());
                }
                // Someone waiting to be admitted keeps the session from closing as empty.
                if open {
                    self.tally.empty_since_ms = None;
                    out.session = true;
                }
            }
            Fact::ParticipantAdmitted { participant_id } => {
                if let Some(p) = self.view_person(participant_id) {
                    p.admitted_ms = Some(p.admitted_ms.map_or(at_ms, |a| a.max(at_ms)));
                }
            }
            Fact::VoiceSwitched {
                participant_id,
                voice,
                ..
            } => {
                let r = &mut self.person(participant_id).record;
                if newer(r.voice_ms, at_ms) {
                    r.voice = *voice;
                    r.voice_ms = Some(at_ms);
                    out.participant = true;
                }
            }
            Fact::HandRaised { participant_id } | Fact::HandLowered { participant_id } => {
                let up = matches!(fact, Fact::HandRaised { .. });
                let r = &mut self.person(participant_id).record;
                if newer(r.hand_ms, at_ms) {
                    r.hand_up = up;
                    r.hand_ms = Some(at_ms);
                    out.participant = true;
                }
            }
            Fact::RollCallStarted {
                roll_call_id,
                video,
            } => {
                let rc = self.roll_calls.entry(roll_call_id.clone()).or_default();
                keep_latest(&mut rc.started, at_ms, seq, *video);
            }
            Fact::RollCallAnswered {
                roll_call_id,
                participant_id,
                ..
            } => {
                let rc = self.roll_calls.entry(roll_call_id.clone()).or_default();
                let answers = rc.answers.entry(participant_id.clone()).or_default();
                if !answers.iter().any(|(at, _)| *at == at_ms) {
                    answers.push((at_ms, seq));
                }
            }
            Fact::RoomLocked | Fact::RoomUnlocked if open && newer(self.tally.lock_ms, at_ms) => {
                self.tally.locked = matches!(fact, Fact::RoomLocked);
                self.tally.lock_ms = Some(at_ms);
                out.session = true;
            }
            Fact::SessionEnded { reason } if open => {
                let end = at_ms.max(self.tally.opened_ms);
                self.tally.closed_ms = Some(end);
                self.tally.end_reason = Some(*reason);
                self.tally.attendees = 0;
                self.tally.empty_since_ms = None;
                for p in self.people.values_mut() {
                    let presence = &mut p.record.presence;
                    if presence.present() {
                        presence.left_ms = Some(end);
                    }
                }
                out.session = true;
                out.everyone_left_at = Some(end);
            }
            Fact::RoomLocked
            | Fact::RoomUnlocked
            | Fact::SessionEnded { .. }
            | Fact::ViewerJoined { .. }
            | Fact::ViewerLeft { .. }
            | Fact::RecordingProduced { .. } => {}
        }
        Ok(out)
    }

    /// The end of a batch of facts: a session nobody is in and nobody waits for is empty from
    /// its start, so the grace period applies to one opened by facts that brought no one in (a
    /// lock, a roll-call). Returns whether the tally changed.
    pub fn settle(&mut self) -> bool {
        let t = &mut self.tally;
        if t.is_open() && t.attendees == 0 && t.empty_since_ms.is_none() && !self.waited {
            t.empty_since_ms = Some(t.opened_ms);
            return true;
        }
        false
    }

    /// Closes a session that has been empty through the grace period: it ended when it emptied
    /// (or `now_ms`, for one that never said). Returns the end fact and when it happened, or
    /// `None` when it is not open.
    pub fn close_idle(&mut self, now_ms: i64) -> Option<(Fact, i64)> {
        if !self.tally.is_open() {
            return None;
        }
        let at = self.tally.empty_since_ms.unwrap_or(now_ms);
        let end = Fact::SessionEnded {
            reason: EndReason::Grace,
        };
        self.apply(&end, at).ok()?;
        Some((end, at))
    }

    /// Whether this leave would leave the open session with nobody in. Expects the fact's
    /// participant to be known.
    fn empties(&self, fact: &Fact, at_ms: i64) -> bool {
        let (Fact::ParticipantLeft { participant_id }
        | Fact::ParticipantRemoved { participant_id }) = fact
        else {
            return false;
        };
        if !self.tally.is_open() {
            return false;
        }
        let Some(r) = self.record(participant_id) else {
            return false;
        };
        let mut after = r.presence;
        after.leave(at_ms);
        let goes = r.presence.present() && !after.present();
        let attendees = if goes {
            (self.tally.attendees - 1).max(0)
        } else {
            self.tally.attendees
        };
        attendees == 0
    }

    /// Someone the fold has made sure it knows.
    fn person(&mut self, id: &str) -> &mut Person {
        self.people
            .entry(id.to_owned())
            .or_insert_with(|| Person::new(ParticipantRecord::new(id)))
    }

    /// Someone, for what only a page shows: a resumed fold keeps none of it for people it has
    /// not loaded (loading them would cost a read the store does not need).
    fn view_person(&mut self, id: &str) -> Option<&mut Person> {
        if self.whole {
            Some(self.person(id))
        } else {
            self.people.get_mut(id)
        }
    }
}

/// The participant whose row a fact reads and may write.
fn row_subject(fact: &Fact) -> Option<&str> {
    match fact {
        Fact::ParticipantJoined { participant } => Some(&participant.id),
        Fact::ParticipantLeft { participant_id }
        | Fact::ParticipantRemoved { participant_id }
        | Fact::VoiceSwitched { participant_id, .. }
        | Fact::HandRaised { participant_id }
        | Fact::HandLowered { participant_id } => Some(participant_id),
        _ => None,
    }
}
