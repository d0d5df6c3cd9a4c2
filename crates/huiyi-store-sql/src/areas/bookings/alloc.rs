//! Choosing the random identifiers of new bookings before they are inserted.
//!
//! A batch is planned in memory (distinct within itself), then its values are checked against
//! the database and only the taken ones are drawn again. The unique constraints stay the final
//! guard: a value taken by a concurrent transaction between check and insert fails the insert,
//! and the caller retries the whole transaction.

use huiyi_domain::{
    BillingCode, Booking, BookingLinks, ConferenceId, CustomerKey, EventId, LinkCode, NewBooking,
    Passcode, PasswordType, UserId,
};
use huiyi_store::StoreError;
use std::collections::{HashMap, HashSet};

/// How often a batch may find freshly drawn values already taken before giving up.
pub const CHECK_ROUNDS: usize = 16;

/// Which unique column a candidate value is checked against; the number travels in the check
/// query's result rows. Link codes are not checked: at ~65 bits a collision is too unlikely to
/// be worth a lookup per link, and the unique constraint still catches one.
const CONFERENCE: i64 = 1;
const BILLING: i64 = 2;
const PASSCODE: i64 = 3;

pub struct PlannedBooking<'a> {
    pub new: &'a NewBooking,
    pub conference_id: ConferenceId,
    pub billing_code: BillingCode,
    pub links: BookingLinks,
    /// Index into [`BatchPlan::pairs`].
    pub pair: usize,
    pub event_id: Option<EventId>,
}

pub enum PairOwner {
    /// A dynamic pair of the booking at this index of [`BatchPlan::bookings`].
    Booking(usize),
    Host(UserId),
}

pub struct PlannedPair {
    pub pcode1: Passcode,
    pub pcode2: Passcode,
    pub customer: CustomerKey,
    pub owner: PairOwner,
    /// A host's pair that is already stored: nothing to check or insert.
    pub stored: bool,
}

/// One row of the `passcodes` table to insert.
pub struct PasscodeInsert<'p> {
    pub code: &'p str,
    pub customer: CustomerKey,
    pub owner_event: Option<EventId>,
    pub owner_user: Option<i64>,
    pub role: i64,
}

/// Values to look up in the database, grouped by the column that must not hold them yet.
#[derive(Default)]
pub struct Candidates {
    conference_ids: Vec<String>,
    billing_codes: Vec<String>,
    passcodes: Vec<String>,
}

impl Candidates {
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.conference_ids.is_empty() && self.billing_codes.is_empty() && self.passcodes.is_empty()
    }

    /// `(kind, table, column, values)` for each part of the check query.
    pub fn branches(&self) -> [(i64, &'static str, &'static str, &[String]); 3] {
        [
            (
                CONFERENCE,
                "bookings",
                "conference_id",
                &self.conference_ids,
            ),
            (BILLING, "bookings", "billing_code", &self.billing_codes),
            (PASSCODE, "passcodes", "code", &self.passcodes),
        ]
    }
}

/// Draws a value not yet used in this batch and records it.
fn fresh<T: ToString>(used: &mut HashSet<String>, generate: impl Fn() -> T) -> T {
    loop {
        let v = generate();
        if used.insert(v.to_string()) {
            return v;
        }
    }
}

#[derive(Default)]
struct Used {
    conference_ids: HashSet<String>,
    billing_codes: HashSet<String>,
    passcodes: HashSet<String>,
    links: HashSet<String>,
}

impl Used {
    fn conference_id(&mut self) -> ConferenceId {
        fresh(&mut self.conference_ids, ConferenceId::generate)
    }
    fn billing_code(&mut self) -> BillingCode {
        fresh(&mut self.billing_codes, BillingCode::generate)
    }
    fn passcode(&mut self) -> Passcode {
        fresh(&mut self.passcodes, Passcode::generate)
    }
    fn link(&mut self) -> LinkCode {
        fresh(&mut self.links, LinkCode::generate)
    }
}

pub struct BatchPlan<'a> {
    pub bookings: Vec<PlannedBooking<'a>>,
    pub pairs: Vec<PlannedPair>,
    used: Used,
}

/// The distinct hosts whose fixed pair the batch needs.
pub fn fixed_hosts(news: &[NewBooking]) -> Vec<i64> {
    let mut hosts: Vec<i64> = news
        .iter()
        .filter(|n| n.password_type == PasswordType::Fixed)
        .map(|n| n.host.get())
        .collect();
    hosts.sort_unstable();
    hosts.dedup();
    hosts
}

/// Groups `(owner_user, role, code)` rows into each host's `(pcode1, pcode2)`.
pub fn host_pairs(
    rows: Vec<(i64, i64, String)>,
) -> Result<HashMap<i64, (Passcode, Passcode)>, StoreError> {
    let mut halves: HashMap<i64, [Option<Passcode>; 2]> = HashMap::new();
    for (user, role, code) in rows {
        let code = Passcode::parse(&code).map_err(|_| {
            StoreError::Database(format!("stored passcode of host {user} is not digits"))
        })?;
        let slot = match role {
            1 => 0,
            2 => 1,
            _ => {
                return Err(StoreError::Database(format!(
                    "passcode role {role} of host {user}"
                )));
            }
        };
        halves.entry(user).or_default()[slot] = Some(code);
    }
    halves
        .into_iter()
        .map(|(user, pair)| match pair {
            [Some(p1), Some(p2)] => Ok((user, (p1, p2))),
            _ => Err(StoreError::Database(format!(
                "host {user} has half a passcode pair"
            ))),
        })
        .collect()
}

impl<'a> BatchPlan<'a> {
    /// Draws every value of the batch; `host_pairs` are the stored pairs of its fixed hosts.
    pub fn new(news: &'a [NewBooking], host_pairs: HashMap<i64, (Passcode, Passcode)>) -> Self {
        let mut used = Used::default();
        let mut pairs = Vec::new();
        let mut pair_of_host: HashMap<i64, usize> = HashMap::new();
        let mut bookings = Vec::with_capacity(news.len());
        for (i, new) in news.iter().enumerate() {
            let pair = match new.password_type {
                PasswordType::Dynamic => {
                    pairs.push(PlannedPair {
                        pcode1: used.passcode(),
                        pcode2: used.passcode(),
                        customer: new.customer,
                        owner: PairOwner::Booking(i),
                        stored: false,
                    });
                    pairs.len() - 1
                }
                PasswordType::Fixed => *pair_of_host.entry(new.host.get()).or_insert_with(|| {
                    let (pcode1, pcode2, stored) = match host_pairs.get(&new.host.get()) {
                        Some((p1, p2)) => (p1.clone(), p2.clone(), true),
                        None => (used.passcode(), used.passcode(), false),
                    };
                    pairs.push(PlannedPair {
                        pcode1,
                        pcode2,
                        customer: new.customer,
                        owner: PairOwner::Host(new.host),
                        stored,
                    });
                    pairs.len() - 1
                }),
            };
            bookings.push(PlannedBooking {
                new,
                conference_id: used.conference_id(),
                billing_code: used.billing_code(),
                links: BookingLinks {
                    host: used.link(),
                    attendee: used.link(),
                    wcall: used.link(),
                },
                pair,
                event_id: None,
            });
        }
        BatchPlan {
            bookings,
            pairs,
            used,
        }
    }

    /// Every value the database has not yet seen.
    pub fn candidates(&self) -> Candidates {
        let mut c = Candidates::default();
        for b in &self.bookings {
            c.conference_ids.push(b.conference_id.to_string());
            c.billing_codes.push(b.billing_code.to_string());
        }
        for p in self.pairs.iter().filter(|p| !p.stored) {
            c.passcodes
                .extend([p.pcode1.to_string(), p.pcode2.to_string()]);
        }
        c
    }

    /// Draws again every value the check found taken; returns the new values to check.
    pub fn replace_taken(&mut self, taken: Vec<(i64, String)>) -> Candidates {
        let (mut conf, mut billing, mut pass) = (HashSet::new(), HashSet::new(), HashSet::new());
        for (kind, value) in taken {
            match kind {
                CONFERENCE => conf.insert(value),
                BILLING => billing.insert(value),
                PASSCODE => pass.insert(value),
                _ => false,
            };
        }
        let mut c = Candidates::default();
        let used = &mut self.used;
        for b in &mut self.bookings {
            if conf.contains(b.conference_id.as_str()) {
                b.conference_id = used.conference_id();
                c.conference_ids.push(b.conference_id.to_string());
            }
            if billing.contains(b.billing_code.as_str()) {
                b.billing_code = used.billing_code();
                c.billing_codes.push(b.billing_code.to_string());
            }
        }
        for p in self.pairs.iter_mut().filter(|p| !p.stored) {
            for code in [&mut p.pcode1, &mut p.pcode2] {
                if pass.contains(code.as_str()) {
                    *code = used.passcode();
                    c.passcodes.push(code.to_string());
                }
            }
        }
        c
    }

    /// Takes the `(event_id, conference_id)` rows an insert returned (in no promised order).
    pub fn record_event_ids(&mut self, rows: Vec<(i64, String)>) -> Result<(), StoreError> {
        let index: HashMap<&str, usize> = self
            .bookings
            .iter()
            .enumerate()
            .map(|(i, b)| (b.conference_id.as_str(), i))
            .collect();
        let mut found = Vec::with_capacity(rows.len());
        for (event_id, conference_id) in rows {
            let i = index.get(conference_id.as_str()).ok_or_else(|| {
                StoreError::Database(format!(
                    "insert returned unknown conference id {conference_id}"
                ))
            })?;
            found.push((*i, event_id));
        }
        for (i, event_id) in found {
            self.bookings[i].event_id = Some(event_id);
        }
        Ok(())
    }

    /// The `passcodes` rows to insert; call after [`Self::record_event_ids`].
    pub fn passcode_rows(&self) -> Result<Vec<PasscodeInsert<'_>>, StoreError> {
        let mut rows = Vec::new();
        for p in self.pairs.iter().filter(|p| !p.stored) {
            let (owner_event, owner_user) = match p.owner {
                PairOwner::Booking(i) => (Some(self.event_id(i)?), None),
                PairOwner::Host(user) => (None, Some(user.get())),
            };
            for (role, code) in [(1, &p.pcode1), (2, &p.pcode2)] {
                rows.push(PasscodeInsert {
                    code: code.as_str(),
                    customer: p.customer,
                    owner_event,
                    owner_user,
                    role,
                });
            }
        }
        Ok(rows)
    }

    /// The `links` rows `(code, event_id, role)` to insert; call after [`Self::record_event_ids`].
    pub fn link_rows(&self) -> Result<Vec<(&str, EventId, &'static str)>, StoreError> {
        let mut rows = Vec::with_capacity(self.bookings.len() * 3);
        for (i, b) in self.bookings.iter().enumerate() {
            let event = self.event_id(i)?;
            let l = &b.links;
            rows.push((l.host.as_str(), event, "host"));
            rows.push((l.attendee.as_str(), event, "attendee"));
            rows.push((l.wcall.as_str(), event, "wcall"));
        }
        Ok(rows)
    }

    fn event_id(&self, i: usize) -> Result<EventId, StoreError> {
        self.bookings[i].event_id.ok_or_else(|| {
            StoreError::Database("insert returned fewer rows than it was given".into())
        })
    }

    pub fn pcodes(&self, b: &PlannedBooking<'_>) -> (&Passcode, &Passcode) {
        let p = &self.pairs[b.pair];
        (&p.pcode1, &p.pcode2)
    }

    /// The stored bookings, as the database now holds them.
    pub fn bookings(&self) -> Result<Vec<Booking>, StoreError> {
        (0..self.bookings.len())
            .map(|i| Ok(self.booking(&self.bookings[i], self.event_id(i)?)))
            .collect()
    }

    /// Where listings look for this booking ([`Booking::span`]). Only a series needs its
    /// occurrences expanded; a single meeting spans itself.
    pub fn span(&self, b: &PlannedBooking<'_>) -> (i64, i64) {
        let n = b.new;
        match n.series {
            None => (n.start, n.start + n.length_minutes * 60),
            // The event id plays no part in the occurrences.
            Some(_) => self.booking(b, 0).span(),
        }
    }

    fn booking(&self, b: &PlannedBooking<'_>, event_id: EventId) -> Booking {
        let (pcode1, pcode2) = self.pcodes(b);
        let n = b.new;
        Booking {
            event_id,
            conference_id: b.conference_id.clone(),
            customer: n.customer,
            host: n.host,
            title: n.title.clone(),
            start: n.start,
            length_minutes: n.length_minutes,
            zone: n.zone,
            password_type: n.password_type,
            pcode1: pcode1.clone(),
            pcode2: pcode2.clone(),
            billing_code: b.billing_code.clone(),
            links: b.links.clone(),
            invitees: n.invitees.clone(),
            details: n.details.clone(),
            cancelled_at: None,
            created_at: n.created_at,
            modified_at: n.created_at,
            version: 1,
            series: n.series.clone(),
            occurrence_of: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huiyi_domain::{Details, time::Zone};

    fn new(host: i64, pt: PasswordType) -> NewBooking {
        NewBooking {
            customer: 1,
            host: UserId::new(host).unwrap(),
            title: String::new(),
            start: 0,
            length_minutes: 30,
            zone: Zone::default(),
            password_type: pt,
            invitees: vec![],
            details: Details::default(),
            created_at: 0,
            series: None,
            notices: Vec::new(),
        }
    }

    #[test]
    fn a_host_gets_one_pair_per_batch_and_a_stored_pair_is_reused() {
        let news = [
            new(7, PasswordType::Fixed),
            new(7, PasswordType::Fixed),
            new(8, PasswordType::Fixed),
            new(7, PasswordType::Dynamic),
        ];
        assert_eq!(fixed_hosts(&news), vec![7, 8]);
        let stored = Passcode::parse("11112222").unwrap();
        let plan = BatchPlan::new(
            &news,
            HashMap::from([(8, (stored.clone(), stored.clone()))]),
        );
        assert_eq!(plan.bookings[0].pair, plan.bookings[1].pair);
        assert_eq!(plan.pcodes(&plan.bookings[2]).0, &stored);
        assert_eq!(plan.pairs.len(), 3);
        // Host 8's pair is stored already: neither checked nor inserted again.
        assert_eq!(plan.candidates().passcodes.len(), 4);
    }

    #[test]
    fn only_taken_values_are_drawn_again() {
        let news = [new(7, PasswordType::Dynamic), new(7, PasswordType::Dynamic)];
        let mut plan = BatchPlan::new(&news, HashMap::new());
        let before = plan.candidates();
        let taken_conference = before.conference_ids[1].clone();
        let taken_passcode = before.passcodes[0].clone();
        let again = plan.replace_taken(vec![
            (CONFERENCE, taken_conference.clone()),
            (PASSCODE, taken_passcode.clone()),
            // A value taken in another column does not count.
            (BILLING, before.conference_ids[0].clone()),
        ]);
        assert_eq!(again.conference_ids.len(), 1);
        assert_eq!(again.passcodes.len(), 1);
        assert!(again.billing_codes.is_empty());
        assert_ne!(plan.bookings[1].conference_id.as_str(), taken_conference);
        assert_eq!(
            plan.bookings[0].conference_id.as_str(),
            before.conference_ids[0]
        );
        assert_ne!(plan.pairs[0].pcode1.as_str(), taken_passcode);
        assert!(plan.replace_taken(vec![]).is_empty());
    }

    #[test]
    fn event_ids_are_matched_by_conference_id_in_any_order() {
        let news = [new(7, PasswordType::Dynamic), new(7, PasswordType::Dynamic)];
        let mut plan = BatchPlan::new(&news, HashMap::new());
        assert!(plan.link_rows().is_err(), "no event ids yet");
        let c: Vec<String> = plan
            .bookings
            .iter()
            .map(|b| b.conference_id.to_string())
            .collect();
        plan.record_event_ids(vec![(42, c[1].clone()), (41, c[0].clone())])
            .unwrap();
        let bookings = plan.bookings().unwrap();
        assert_eq!((bookings[0].event_id, bookings[1].event_id), (41, 42));
    }
}
