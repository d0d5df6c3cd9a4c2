//! What a live page shows of a session, read from the [`SessionFold`], and the changes that keep
//! a page's copy current.
//!
//! The page holds no rules: it is sent a [`LiveState`] once and then, after each fact, the
//! [`LiveChange`]s the fold computed, which it applies as plain list edits
//! ([`LiveState::patch`]; `live.js` does the same). The changes name places in the lists as the
//! server's fold has them, so a page that started from the same state stays equal to it.

use super::fold::{Person, SessionFold};
use super::{ClientType, Fact, Participant, Role, Voice};
use serde::{Deserialize, Serialize};

/// What a live page shows of a session: who is in, who waits, hands, the lock and the latest
/// roll-call ([`SessionFold::view`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LiveState {
    pub locked: bool,
    pub ended: bool,
    /// Present people, in the order they (last) joined.
    pub participants: Vec<LiveParticipant>,
    /// Attendees waiting to be admitted, in the order they began to wait.
    pub waiting: Vec<LiveParticipant>,
    pub roll_call: Option<LiveRollCall>,
    /// Ids of the people the host removed: they may not come back into this session.
    #[serde(default)]
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveParticipant {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub client: ClientType,
    pub voice: Voice,
    pub hand: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tag: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveRollCall {
    pub id: String,
    pub video: bool,
    /// Who answered, in the order they did.
    pub answered: Vec<String>,
}

/// One edit of a page's [`LiveState`]. `at` is the place in the list after the edit; a page
/// takes the person out of the list first, then puts them there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LiveChange {
    /// In the meeting, shown like this, at this place among the present.
    Present {
        at: usize,
        participant: LiveParticipant,
    },
    /// Not (or no longer) in the meeting.
    Absent {
        id: String,
    },
    /// Waiting to be admitted, at this place among those waiting.
    Waiting {
        at: usize,
        participant: LiveParticipant,
    },
    /// Not (or no longer) waiting.
    NotWaiting {
        id: String,
    },
    /// Removed by the host, at this place in `removed`.
    Removed {
        at: usize,
        id: String,
    },
    Locked {
        locked: bool,
    },
    /// The latest roll-call, as it is now.
    RollCall {
        roll_call: Option<LiveRollCall>,
    },
    /// Answered the latest roll-call, at this place in its `answered`.
    Answered {
        at: usize,
        id: String,
    },
    /// The session ended: nobody is in or waits any more.
    Ended,
}

fn shown(info: &Participant, p: &Person, hand: bool) -> LiveParticipant {
    LiveParticipant {
        id: p.record.id.clone(),
        name: info.name.clone(),
        role: info.role,
        client: info.client,
        voice: p.record.voice,
        hand,
        tag: info.tag.clone(),
    }
}

/// Puts `value` at `at` in `list`, after taking out what `same` matches.
fn place<T>(list: &mut Vec<T>, at: usize, value: T, same: impl Fn(&T) -> bool) {
    list.retain(|v| !same(v));
    list.insert(at.min(list.len()), value);
}

impl SessionFold {
    /// Where someone stands among the present, if they are: when they last joined.
    fn present_key(&self, p: &Person) -> Option<(i64, u64)> {
        let r = &p.record;
        let joined = r.presence.joined_ms?;
        (self.tally.is_open() && r.presence.present() && r.info.is_some())
            .then_some((joined, p.joined_seq))
    }

    /// Where someone stands among those waiting, if they are: their latest wait came after
    /// anything that ends waiting (a join, a leave, an admission).
    fn waiting_key(&self, p: &Person) -> Option<(i64, u64)> {
        let w = p.waiting.as_ref()?;
        let ended_by = [
            p.record.presence.joined_ms,
            p.record.presence.left_ms,
            p.admitted_ms,
        ];
        (self.tally.is_open() && ended_by.iter().flatten().all(|&t| w.at_ms > t))
            .then_some((w.at_ms, w.seq))
    }

    /// A raised hand shows while its owner is in, until they rejoin.
    fn hand(&self, p: &Person) -> bool {
        let r = &p.record;
        r.hand_up && r.hand_ms >= r.presence.joined_ms
    }

    fn present_entry(&self, p: &Person) -> Option<LiveParticipant> {
        self.present_key(p)?;
        let info = p.record.info.as_ref()?;
        Some(shown(info, p, self.hand(p)))
    }

    fn waiting_entry(&self, p: &Person) -> Option<LiveParticipant> {
        self.waiting_key(p)?;
        let w = p.waiting.as_ref()?;
        Some(shown(&w.value, p, false))
    }

    /// The latest roll-call (by when it started) and its answers, each given after it started.
    fn roll_call(&self) -> Option<LiveRollCall> {
        let (id, rc, started) = self
            .roll_calls
            .iter()
            .filter_map(|(id, rc)| rc.started.as_ref().map(|s| (id, rc, s)))
            .max_by_key(|(_, _, s)| (s.at_ms, s.seq))?;
        // Each person once, where their first answer since the start puts them.
        let mut answers: Vec<((i64, u64), &String)> = rc
            .answers
            .iter()
            .filter_map(|(who, times)| {
                let first = times.iter().filter(|t| t.0 >= started.at_ms).min()?;
                Some((*first, who))
            })
            .collect();
        answers.sort();
        Some(LiveRollCall {
            id: id.clone(),
            video: started.value,
            answered: answers.into_iter().map(|(_, who)| who.clone()).collect(),
        })
    }

    /// Entries of the people `key` places, in its order.
    fn listed<T>(
        &self,
        key: impl Fn(&Person) -> Option<(i64, u64)>,
        entry: impl Fn(&Person) -> Option<T>,
    ) -> Vec<T> {
        let mut keyed: Vec<((i64, u64), T)> = self
            .people
            .values()
            .filter_map(|p| Some((key(p)?, entry(p)?)))
            .collect();
        keyed.sort_by_key(|(k, _)| *k);
        keyed.into_iter().map(|(_, e)| e).collect()
    }

    /// How many people `key` places before `k`.
    fn rank(&self, key: impl Fn(&Person) -> Option<(i64, u64)>, k: (i64, u64)) -> usize {
        self.people
            .values()
            .filter(|p| key(p).is_some_and(|o| o < k))
            .count()
    }

    /// What a live page shows now.
    pub fn view(&self) -> LiveState {
        LiveState {
            locked: self.tally.locked,
            ended: !self.tally.is_open(),
            participants: self.listed(|p| self.present_key(p), |p| self.present_entry(p)),
            waiting: self.listed(|p| self.waiting_key(p), |p| self.waiting_entry(p)),
            roll_call: self.roll_call(),
            removed: self.listed(|p| p.removed, |p| Some(p.record.id.clone())),
        }
    }

    /// Applies a fact, as it arrives, to a fold a page is shown from, and returns the edits
    /// that page needs. A fold that cannot apply it on its own (a resumed one) changes nothing.
    pub fn changes_after(&mut self, fact: &Fact, at_ms: i64) -> Vec<LiveChange> {
        match self.apply(fact, at_ms) {
            Ok(_) => self.changes(fact),
            Err(_) => Vec::new(),
        }
    }

    /// The edits that bring a page's state, as [`Self::view`] was before `fact` was applied,
    /// to the view after it. Call right after applying it.
    pub fn changes(&self, fact: &Fact) -> Vec<LiveChange> {
        let mut out = Vec::new();
        match fact {
            Fact::SessionEnded { .. } if !self.tally.is_open() => out.push(LiveChange::Ended),
            Fact::RoomLocked | Fact::RoomUnlocked => out.push(LiveChange::Locked {
                locked: self.tally.locked,
            }),
            Fact::RollCallStarted { .. } => out.push(LiveChange::RollCall {
                roll_call: self.roll_call(),
            }),
            Fact::RollCallAnswered {
                roll_call_id,
                participant_id,
                ..
            } => {
                if let Some(rc) = self.roll_call().filter(|rc| &rc.id == roll_call_id)
                    && let Some(at) = rc.answered.iter().position(|a| a == participant_id)
                {
                    out.push(LiveChange::Answered {
                        at,
                        id: participant_id.clone(),
                    });
                }
            }
            _ => {}
        }
        let Some(p) = fact.participant_id().and_then(|id| self.people.get(id)) else {
            return out;
        };
        if matches!(fact, Fact::RollCallAnswered { .. }) {
            return out;
        }
        let id = p.record.id.clone();
        out.push(match (self.present_key(p), self.present_entry(p)) {
            (Some(k), Some(participant)) => LiveChange::Present {
                at: self.rank(|q| self.present_key(q), k),
                participant,
            },
            _ => LiveChange::Absent { id: id.clone() },
        });
        out.push(match (self.waiting_key(p), self.waiting_entry(p)) {
            (Some(k), Some(participant)) => LiveChange::Waiting {
                at: self.rank(|q| self.waiting_key(q), k),
                participant,
            },
            _ => LiveChange::NotWaiting { id: id.clone() },
        });
        if let Some(k) = p.removed {
            out.push(LiveChange::Removed {
                at: self.rank(|q| q.removed, k),
                id,
            });
        }
        out
    }
}

impl LiveState {
    /// Folds facts (in the order they happened) from a session's opening on.
    pub fn from_facts<'f>(
        opened_ms: i64,
        facts: impl IntoIterator<Item = (i64, &'f Fact)>,
    ) -> Self {
        SessionFold::from_facts(opened_ms, facts).view()
    }

    /// Applies the edits a fold computed ([`SessionFold::changes`]). No rules: the page's
    /// `live.js` does exactly this.
    pub fn patch(&mut self, changes: &[LiveChange]) {
        for c in changes {
            match c {
                LiveChange::Present { at, participant } => {
                    place(&mut self.participants, *at, participant.clone(), |p| {
                        p.id == participant.id
                    })
                }
                LiveChange::Absent { id } => self.participants.retain(|p| &p.id != id),
                LiveChange::Waiting { at, participant } => {
                    place(&mut self.waiting, *at, participant.clone(), |p| {
                        p.id == participant.id
                    })
                }
                LiveChange::NotWaiting { id } => self.waiting.retain(|p| &p.id != id),
                LiveChange::Removed { at, id } => {
                    place(&mut self.removed, *at, id.clone(), |r| r == id)
                }
                LiveChange::Locked { locked } => self.locked = *locked,
                LiveChange::RollCall { roll_call } => self.roll_call = roll_call.clone(),
                LiveChange::Answered { at, id } => {
                    if let Some(rc) = self.roll_call.as_mut() {
                        place(&mut rc.answered, *at, id.clone(), |a| a == id);
                    }
                }
                LiveChange::Ended => {
                    self.ended = true;
                    self.participants.clear();
                    self.waiting.clear();
                }
            }
        }
    }

    pub fn is_present(&self, id: &str) -> bool {
        self.participants.iter().any(|p| p.id == id)
    }
}
