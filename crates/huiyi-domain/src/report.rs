//! The post-meeting report of one session, computed from its facts.
//!
//! A report is a single pass over the session's facts in the order they happened (as the store
//! reads them), so its cost grows linearly with the facts: nothing is looked up per fact but a
//! hash of the people seen so far. Times stay unix milliseconds here; the wire formats them.
//!
//! The rules, where the reference is silent:
//! - A person is a participant id of the producer. They are in from a `participant.joined` until
//!   their `participant.left` or `participant.removed`, or the end of the session; a join while
//!   already in (a second tab, a repeated event) changes their details, not their time.
//! - `joined` is the first join, `left` the last leave (the session's end for whoever was still
//!   in); `total` sums the time in.
//! - Voice time is split by `voice.switched`: the time in with network voice is VoIP time, with
//!   a phone line phone time. `access` is the voice they first joined with; `address` is the
//!   address they first joined from, followed by the phone number they switched to, if any.
//! - An invitee attended when a person has the invitee's userId, email (any case) or mobile.
//! - Every percentage is of the people who attended, except the invitees' (of the invited).
//! - A roll-call answer counts when it happened at or after its roll-call started, once per
//!   person; hands are counted per person (`hands_people`), and listed per raise.

use crate::Invitee;
use crate::session::{ClientType, Fact, Participant, Role, Viewer, Voice};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// The report's input: the session and its facts, oldest first.
pub struct ReportInput<'a> {
    pub title: &'a str,
    pub opened_ms: i64,
    /// When it ended; `None` while it runs (the report is then as of `now_ms`).
    pub closed_ms: Option<i64>,
    pub now_ms: i64,
    pub invitees: &'a [Invitee],
    /// `(when it happened, fact)`, in the order they happened.
    pub facts: &'a [(i64, Fact)],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub title: String,
    pub started_ms: i64,
    pub ended_ms: i64,
    pub attendees: Vec<AttendeeLine>,
    pub invitees: Vec<InviteeLine>,
    pub viewers: Vec<ViewerLine>,
    pub roll_calls: Vec<RollCallLine>,
    pub video_roll_calls: Vec<RollCallLine>,
    pub hands: Vec<HandLine>,
    /// People who raised a hand at least once.
    pub hands_people: usize,
}

/// One person who attended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeLine {
    pub id: String,
    pub name: String,
    pub email: String,
    pub mobile: String,
    pub user_id: Option<i64>,
    pub role: Role,
    pub client: ClientType,
    pub access: Voice,
    pub address: String,
    pub joined_ms: i64,
    pub left_ms: i64,
    pub total_ms: i64,
    pub phone_ms: i64,
    pub voip_ms: i64,
}

/// One invitee, with the line of the person who was them, if anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteeLine {
    pub invitee: Invitee,
    /// Index into [`Report::attendees`].
    pub attended: Option<usize>,
}

/// One live-stream viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerLine {
    pub viewer: Viewer,
    pub joined_ms: i64,
    pub left_ms: i64,
    pub total_ms: i64,
}

/// One roll-call, in the order they started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollCallLine {
    pub id: String,
    pub started_ms: i64,
    /// `(index into Report::attendees, when they answered)`, in the order they answered.
    pub answered: Vec<(usize, i64)>,
}

/// One raised hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandLine {
    /// Index into [`Report::attendees`].
    pub attendee: usize,
    pub at_ms: i64,
}

impl Report {
    /// Distinct people who attended.
    pub fn total(&self) -> usize {
        self.attendees.len()
    }

    pub fn invited_attended(&self) -> usize {
        self.invitees
            .iter()
            .filter(|i| i.attended.is_some())
            .count()
    }

    pub fn compute(input: &ReportInput) -> Report {
        let end = input.closed_ms.unwrap_or(input.now_ms);
        let mut people = People::default();
        let mut viewers: Vec<ViewerAcc> = Vec::new();
        let mut viewer_index: HashMap<String, usize> = HashMap::new();
        let mut calls: Vec<CallAcc> = Vec::new();
        let mut call_index: HashMap<String, usize> = HashMap::new();
        let mut hands: Vec<(String, i64)> = Vec::new();
        let mut ended: Option<i64> = None;

        for (at, fact) in input.facts {
            let at = *at;
            match fact {
                Fact::ParticipantJoined { participant } => people.join(participant, at),
                Fact::ParticipantLeft { participant_id }
                | Fact::ParticipantRemoved { participant_id } => people.leave(participant_id, at),
                Fact::VoiceSwitched {
                    participant_id,
                    voice,
                    address,
                } => people.switch(participant_id, *voice, address, at),
                Fact::HandRaised { participant_id } => hands.push((participant_id.clone(), at)),
                Fact::RollCallStarted {
                    roll_call_id,
                    video,
                } => {
                    let i = *call_index.entry(roll_call_id.clone()).or_insert_with(|| {
                        calls.push(CallAcc::new(roll_call_id));
                        calls.len() - 1
                    });
                    // A repeated start keeps the first.
                    if calls[i].started.is_none() {
                        calls[i].started = Some((at, *video));
                    }
                }
                Fact::RollCallAnswered {
                    roll_call_id,
                    participant_id,
                    ..
                } => {
                    let i = *call_index.entry(roll_call_id.clone()).or_insert_with(|| {
                        calls.push(CallAcc::new(roll_call_id));
                        calls.len() - 1
                    });
                    calls[i].answers.push((participant_id.clone(), at));
                }
                Fact::ViewerJoined { viewer } => {
                    let i = *viewer_index.entry(viewer.id.clone()).or_insert_with(|| {
                        viewers.push(ViewerAcc::new(viewer.clone(), at));
                        viewers.len() - 1
                    });
                    let v = &mut viewers[i];
                    v.viewer = viewer.clone();
                    v.in_since.get_or_insert(at);
                }
                Fact::ViewerLeft { viewer_id } => {
                    if let Some(&i) = viewer_index.get(viewer_id) {
                        viewers[i].leave(at);
                    }
                }
                Fact::SessionEnded { .. } => {
                    people.everyone_leaves(at);
                    ended.get_or_insert(at);
                }
                Fact::ParticipantWaiting { .. }
                | Fact::ParticipantAdmitted { .. }
                | Fact::HandLowered { .. }
                | Fact::RoomLocked
                | Fact::RoomUnlocked
                | Fact::RecordingProduced { .. } => {}
            }
        }
        people.everyone_leaves(end);
        let viewer_end = end.max(ended.unwrap_or(end));
        for v in &mut viewers {
            v.leave(viewer_end);
        }

        let (attendees, index) = people.lines();
        let attendee_of = |id: &str| index.get(id).copied();
        let invitees = Invited::index(&attendees).lines(input.invitees);
        let mut roll_calls = Vec::new();
        let mut video_roll_calls = Vec::new();
        let mut started: Vec<&CallAcc> = calls.iter().filter(|c| c.started.is_some()).collect();
        started.sort_by_key(|c| c.started.map(|s| s.0));
        for c in started {
            let (start, video) = c.started.expect("filtered on started");
            let mut seen = std::collections::HashSet::new();
            let mut answered: Vec<(usize, i64)> = c
                .answers
                .iter()
                .filter(|(_, at)| *at >= start)
                .filter_map(|(p, at)| attendee_of(p).map(|i| (i, *at)))
                .filter(|(i, _)| seen.insert(*i))
                .collect();
            answered.sort_by_key(|(_, at)| *at);
            let line = RollCallLine {
                id: c.id.clone(),
                started_ms: start,
                answered,
            };
            if video {
                video_roll_calls.push(line);
            } else {
                roll_calls.push(line);
            }
        }
        let hands: Vec<HandLine> = hands
            .iter()
            .filter_map(|(p, at)| {
                attendee_of(p).map(|attendee| HandLine {
                    attendee,
                    at_ms: *at,
                })
            })
            .collect();
        let hands_people = hands
            .iter()
            .map(|h| h.attendee)
            .collect::<std::collections::HashSet<_>>()
            .len();
        Report {
            title: input.title.to_owned(),
            started_ms: input.opened_ms,
            ended_ms: end,
            attendees,
            invitees,
            viewers: viewers
                .into_iter()
                .map(|v| ViewerLine {
                    viewer: v.viewer,
                    joined_ms: v.first,
                    left_ms: v.last_left.unwrap_or(v.first),
                    total_ms: v.total,
                })
                .collect(),
            roll_calls,
            video_roll_calls,
            hands,
            hands_people,
        }
    }
}

/// The attendees by what an invitee may be known by (the first attendee wins).
struct Invited {
    by_user: HashMap<i64, usize>,
    by_email: HashMap<String, usize>,
    by_mobile: HashMap<String, usize>,
}

impl Invited {
    fn index(attendees: &[AttendeeLine]) -> Self {
        let mut by_user = HashMap::new();
        let mut by_email = HashMap::new();
        let mut by_mobile = HashMap::new();
        for (i, a) in attendees.iter().enumerate() {
            if let Some(u) = a.user_id {
                by_user.entry(u).or_insert(i);
            }
            if let Some(e) = email_key(&a.email) {
                by_email.entry(e).or_insert(i);
            }
            if !a.mobile.trim().is_empty() {
                by_mobile.entry(a.mobile.trim().to_owned()).or_insert(i);
            }
        }
        Invited {
            by_user,
            by_email,
            by_mobile,
        }
    }

    fn lines(&self, invitees: &[Invitee]) -> Vec<InviteeLine> {
        invitees
            .iter()
            .map(|inv| {
                let by_user = inv.user_id.and_then(|u| self.by_user.get(&u.get()));
                let by_email = email_key(&inv.email).and_then(|e| self.by_email.get(&e));
                let by_mobile = self.by_mobile.get(inv.mobile.trim());
                InviteeLine {
                    invitee: inv.clone(),
                    attended: by_user.or(by_email).or(by_mobile).copied(),
                }
            })
            .collect()
    }
}

fn email_key(email: &str) -> Option<String> {
    let e = email.trim();
    (!e.is_empty()).then(|| e.to_lowercase())
}

/// `part` of `whole` as the vendor writes it: `"67%"`, rounded half up; `""` when there is no
/// whole to speak of.
pub fn percentage(part: usize, whole: usize) -> String {
    if whole == 0 {
        return String::new();
    }
    format!("{}%", (part * 200 + whole) / (2 * whole))
}

/// A duration as `HH:MM:SS` (hours may pass 99), whole seconds, rounded down.
pub fn hms(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[derive(Default)]
struct People {
    order: Vec<PersonAcc>,
    index: HashMap<String, usize>,
}

struct PersonAcc {
    info: Participant,
    first: i64,
    last_left: Option<i64>,
    /// Since when they are in, while they are.
    in_since: Option<i64>,
    voice: Voice,
    voice_since: i64,
    access: Voice,
    switched_to: String,
    total: i64,
    phone: i64,
    voip: i64,
}

impl PersonAcc {
    fn add_voice(&mut self, until: i64) {
        let d = (until - self.voice_since).max(0);
        match self.voice {
            Voice::Network => self.voip += d,
            Voice::Phone => self.phone += d,
        }
        self.voice_since = until;
    }
}

impl People {
    fn join(&mut self, p: &Participant, at: i64) {
        let i = match self.index.entry(p.id.clone()) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                self.order.push(PersonAcc {
                    info: p.clone(),
                    first: at,
                    last_left: None,
                    in_since: None,
                    voice: p.voice,
                    voice_since: at,
                    access: p.voice,
                    switched_to: String::new(),
                    total: 0,
                    phone: 0,
                    voip: 0,
                });
                *e.insert(self.order.len() - 1)
            }
        };
        let person = &mut self.order[i];
        person.info = p.clone();
        if person.in_since.is_none() {
            person.in_since = Some(at);
            person.voice = p.voice;
            person.voice_since = at;
        }
    }

    fn close(person: &mut PersonAcc, at: i64) {
        if let Some(since) = person.in_since.take() {
            let at = at.max(since);
            person.total += at - since;
            person.add_voice(at);
            person.last_left = Some(person.last_left.map_or(at, |l| l.max(at)));
        }
    }

    fn leave(&mut self, id: &str, at: i64) {
        if let Some(&i) = self.index.get(id) {
            Self::close(&mut self.order[i], at);
        }
    }

    fn switch(&mut self, id: &str, voice: Voice, address: &str, at: i64) {
        let Some(&i) = self.index.get(id) else {
            return;
        };
        let person = &mut self.order[i];
        if person.in_since.is_some() {
            person.add_voice(at);
        }
        person.voice = voice;
        person.voice_since = at;
        if voice == Voice::Phone && !address.is_empty() {
            person.switched_to = address.to_owned();
        }
    }

    fn everyone_leaves(&mut self, at: i64) {
        for person in &mut self.order {
            Self::close(person, at);
        }
    }

    fn lines(self) -> (Vec<AttendeeLine>, HashMap<String, usize>) {
        let lines = self
            .order
            .into_iter()
            .map(|p| {
                let address = match (p.info.address.is_empty(), p.switched_to.is_empty()) {
                    (_, true) => p.info.address.clone(),
                    (true, false) => p.switched_to.clone(),
                    (false, false) if p.info.address == p.switched_to => p.switched_to.clone(),
                    (false, false) => format!("{} {}", p.info.address, p.switched_to),
                };
                AttendeeLine {
                    id: p.info.id,
                    name: p.info.name,
                    email: p.info.email,
                    mobile: p.info.mobile,
                    user_id: p.info.user_id,
                    role: p.info.role,
                    client: p.info.client,
                    access: p.access,
                    address,
                    joined_ms: p.first,
                    left_ms: p.last_left.unwrap_or(p.first),
                    total_ms: p.total,
                    phone_ms: p.phone,
                    voip_ms: p.voip,
                }
            })
            .collect();
        (lines, self.index)
    }
}

struct ViewerAcc {
    viewer: Viewer,
    first: i64,
    last_left: Option<i64>,
    in_since: Option<i64>,
    total: i64,
}

impl ViewerAcc {
    fn new(viewer: Viewer, at: i64) -> Self {
        ViewerAcc {
            viewer,
            first: at,
            last_left: None,
            in_since: None,
            total: 0,
        }
    }

    fn leave(&mut self, at: i64) {
        if let Some(since) = self.in_since.take() {
            let at = at.max(since);
            self.total += at - since;
            self.last_left = Some(self.last_left.map_or(at, |l| l.max(at)));
        }
    }
}

struct CallAcc {
    id: String,
    started: Option<(i64, bool)>,
    answers: Vec<(String, i64)>,
}

impl CallAcc {
    fn new(id: &str) -> Self {
        CallAcc {
            id: id.to_owned(),
            started: None,
            answers: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
