//! Calendar invitations: a booking as an iCalendar object (RFC 5545) under the iTIP method
//! (RFC 5546) that says what changed, for the mailer to attach as `text/calendar`.
//!
//! A booking keeps one UID for its whole life; the caller passes a SEQUENCE that rises with
//! every change (the booking's `version` does) and "now" for DTSTAMP. A series is one master
//! VEVENT (DTSTART in the booking's zone plus the stored RRULE) whose recurrence set is made
//! equal to [`Booking::occurrences`] less the cancelled ones: an RDATE for each occurrence the
//! rule does not give (held before a whole-series edit), an EXDATE for each instance the rule
//! gives that is not, or no longer, an occurrence, and a VEVENT with RECURRENCE-ID for each
//! occurrence whose time, length or title differs from the master's.

use crate::booking::Booking;
use crate::recurrence::Rule;
use crate::series::Occurrence;
use crate::time::Zone;
use chrono::{DateTime, Datelike, NaiveDateTime, Offset as _, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents as _, OffsetName as _};
use icalendar::{
    Attendee, Calendar, CalendarDateTime, Component as _, DatePerhapsTime, Event, EventLike as _,
    EventStatus, PartStat, Property, Role,
};
use std::collections::{BTreeMap, BTreeSet};

/// What an invitation says besides the booking: who sends it and how to join.
#[derive(Debug, Clone, Copy)]
pub struct InviteParts<'a> {
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    /// The attendees' join link: LOCATION, and again in DESCRIPTION.
    pub join_url: &'a str,
    /// The attendee passcode, shown in DESCRIPTION.
    pub passcode: &'a str,
    /// The right-hand side of every UID, e.g. the public host `meet.example.com`.
    pub uid_domain: &'a str,
    /// List only this invitee (by email) as ATTENDEE, not all of them: a large meeting's
    /// calendar then neither grows with it nor shows every address to everyone.
    pub attendee: Option<&'a str>,
}

/// What happened to the booking, which decides the method and the components sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The booking as it now is: sent when booked and after every edit.
    Request,
    /// The whole booking is cancelled.
    Cancel,
    /// One occurrence of a series, named by the start the rule gave it, sent on its own after
    /// it was moved, resized or retitled. On a single meeting, the same as `Request`.
    RequestOccurrence { ori_start: i64 },
    /// One occurrence of a series is cancelled; the others stand. On a single meeting, the
    /// same as `Cancel`.
    CancelOccurrence { ori_start: i64 },
}

impl Change {
    /// The iTIP method: the calendar's METHOD and the `method=` of the mail part's content type.
    pub fn method(self) -> &'static str {
        match self {
            Change::Request | Change::RequestOccurrence { .. } => "REQUEST",
            Change::Cancel | Change::CancelOccurrence { .. } => "CANCEL",
        }
    }
}

/// The booking's UID: the conference id is unique for ever (the store never hands one out
/// twice), so every invitation about the booking, a series' occurrences included, names it.
pub fn uid(b: &Booking, uid_domain: &str) -> String {
    format!("{}@{}", b.conference_id, uid_domain)
}

/// The whole VCALENDAR text (CRLF line ends, folded at 75 octets) for `change`. `b` is the
/// booking itself, not a view of one occurrence (`as_occurrence`): a series is expanded from
/// its own start. A SEQUENCE below 0 is sent as 0.
pub fn invite(b: &Booking, parts: &InviteParts, change: Change, sequence: i64, now: i64) -> String {
    let base = Base {
        b,
        parts,
        uid: uid(b, parts.uid_domain),
        sequence: u32::try_from(sequence.max(0)).unwrap_or(u32::MAX),
        stamp: utc(now),
    };
    let named = match change {
        Change::RequestOccurrence { ori_start } | Change::CancelOccurrence { ori_start } => {
            Some(ori_start)
        }
        _ => None,
    };
    let events = match (&b.series, change) {
        (None, Change::Request | Change::RequestOccurrence { .. }) => {
            vec![base.event(b.start, b.length_minutes, &b.title, EventStatus::Confirmed)]
        }
        (None, Change::Cancel | Change::CancelOccurrence { .. }) => {
            vec![base.event(b.start, b.length_minutes, &b.title, EventStatus::Cancelled)]
        }
        (Some(series), Change::Request) => {
            let set = RecurrenceSet::of(b, &series.rule);
            let mut events = vec![base.master(&series.rule, &set, EventStatus::Confirmed)];
            events.extend(
                set.changed
                    .iter()
                    .map(|o| base.instance(o, EventStatus::Confirmed)),
            );
            events
        }
        // A CANCEL without RECURRENCE-ID cancels every instance of the UID (RFC 5546 3.2.5):
        // the master names the series, and EXDATEs for what is already cancelled would only
        // contradict it.
        (Some(series), Change::Cancel) => {
            let none = RecurrenceSet::default();
            vec![base.master(&series.rule, &none, EventStatus::Cancelled)]
        }
        (Some(_), Change::RequestOccurrence { ori_start }) => {
            vec![base.instance(&base.occurrence(ori_start), EventStatus::Confirmed)]
        }
        (Some(_), Change::CancelOccurrence { ori_start }) => {
            vec![base.instance(&base.occurrence(ori_start), EventStatus::Cancelled)]
        }
    };

    let mut cal = Calendar::empty();
    cal.append_property(("PRODID", "-//huiyi//huiyi//EN"))
        .append_property(("VERSION", "2.0"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", change.method()));
    let head = cal.to_string();
    cal.extend(events);

    // icalendar has no VTIMEZONE type, and its generic component stamps whatever it writes
    // with a DTSTAMP from the clock and a random UID, which a VTIMEZONE must not carry. So the
    // zone's lines are written one `Property` at a time (still folded and escaped by the crate)
    // and placed after the calendar's own properties, before the events that name it.
    let (lo, hi) = covered(b, named);
    let mut text = cal.to_string();
    let at = head.len() - "END:VCALENDAR\r\n".len();
    text.insert_str(at, &vtimezone(b.zone, lo - YEAR, hi + YEAR));
    text
}

const YEAR: i64 = 366 * 86_400;

/// The instants an invitation names: every occurrence, every instance of the rule (those
/// before `rule_from` go out as EXDATEs) and the occurrence a change is about.
fn covered(b: &Booking, named: Option<i64>) -> (i64, i64) {
    let (lo, hi) = b.span();
    let until = b.series.as_ref().map_or(hi, |s| s.rule.until);
    let named = named.unwrap_or(b.start);
    (lo.min(b.start).min(named), hi.max(until).max(named))
}

/// What every VEVENT of one invitation shares.
struct Base<'a> {
    b: &'a Booking,
    parts: &'a InviteParts<'a>,
    uid: String,
    sequence: u32,
    stamp: DateTime<Utc>,
}

impl Base<'_> {
    fn event(&self, start: i64, length_minutes: i64, title: &str, status: EventStatus) -> Event {
        let b = self.b;
        let mut e = Event::new();
        e.uid(&self.uid)
            .timestamp(self.stamp)
            .sequence(self.sequence)
            .status(status)
            .summary(&text(title))
            .description(&self.description())
            .location(&text(self.parts.join_url))
            .starts(at(b.zone, start))
            .ends(at(b.zone, start + length_minutes * 60));
        if let Some(address) = mailto(self.parts.organizer_email) {
            let mut organizer = Property::new("ORGANIZER", address);
            let name = param(self.parts.organizer_name);
            if !name.is_empty() {
                organizer.add_parameter("CN", &name);
            }
            e.append_property(organizer);
        }
        for invitee in &b.invitees {
            if self
                .parts
                .attendee
                .is_some_and(|only| !invitee.email.trim().eq_ignore_ascii_case(only.trim()))
            {
                continue;
            }
            let Some(address) = mailto(&invitee.email) else {
                continue;
            };
            let mut a = Attendee::new(address)
                .role(Role::ReqParticipant)
                .partstat(PartStat::NeedsAction)
                .rsvp(true);
            let name = param(&invitee.name);
            if !name.is_empty() {
                a = a.cn(name);
            }
            e.attendee(a);
        }
        e.done()
    }

    fn description(&self) -> String {
        let d = &self.b.details;
        let mut out = String::new();
        if !d.summary.trim().is_empty() {
            out += d.summary.trim();
            out += "\n\n";
        }
        out += &format!(
            "Join: {}\nMeeting ID: {}\nPasscode: {}",
            self.parts.join_url, self.b.conference_id, self.parts.passcode
        );
        if !d.location.trim().is_empty() {
            out += &format!("\nLocation: {}", d.location.trim());
        }
        text(&out)
    }

    fn master(&self, rule: &Rule, set: &RecurrenceSet, status: EventStatus) -> Event {
        let b = self.b;
        let mut e = self.event(b.start, b.length_minutes, &b.title, status);
        e.add_property("RRULE", rule.to_rrule_string());
        for &t in &set.rdates {
            e.rdate(at(b.zone, t));
        }
        for &t in &set.exdates {
            e.exdate(at(b.zone, t));
        }
        e.done()
    }

    fn instance(&self, o: &Occurrence, status: EventStatus) -> Event {
        let mut e = self.event(o.start, o.length_minutes, &o.title, status);
        e.recurrence_id(at(self.b.zone, o.ori_start));
        e.done()
    }

    /// The occurrence a change names; one the series does not list is taken at the time the
    /// name gives, so that a client still finds the instance it holds.
    fn occurrence(&self, ori_start: i64) -> Occurrence {
        self.b.occurrence(ori_start).unwrap_or_else(|| Occurrence {
            ori_start,
            start: ori_start,
            length_minutes: self.b.length_minutes,
            title: self.b.title.clone(),
            cancelled: false,
        })
    }
}

/// How the master's recurrence set (DTSTART, RRULE, RDATE, EXDATE, RFC 5545 §3.8.5) is made to
/// list exactly the series' live occurrences, by the starts the rule gave them.
#[derive(Default)]
struct RecurrenceSet {
    rdates: Vec<i64>,
    exdates: Vec<i64>,
    /// Live occurrences not as the master would give them: sent with RECURRENCE-ID.
    changed: Vec<Occurrence>,
}

impl RecurrenceSet {
    fn of(b: &Booking, rule: &Rule) -> Self {
        let live: BTreeMap<i64, Occurrence> = b
            .occurrences()
            .into_iter()
            .filter(|o| !b.occurrence_cancelled(o))
            .map(|o| (o.ori_start, o))
            .collect();
        let from_rule: BTreeSet<i64> = rule.all_occurrences(b.start, b.zone).into_iter().collect();
        let mut rdates: Vec<i64> = live
            .keys()
            .filter(|t| !from_rule.contains(t))
            .copied()
            .collect();
        // The booked start is the first occurrence even off the rule (see `recurrence`), but
        // RFC 5545 leaves a DTSTART the rule does not match undefined: list it again.
        if live.contains_key(&b.start) && !rule_matches(rule, b.start, b.zone) {
            rdates.insert(0, b.start);
        }
        let exdates = from_rule
            .iter()
            .filter(|t| !live.contains_key(t))
            .copied()
            .collect();
        let changed = live
            .into_values()
            .filter(|o| {
                o.start != o.ori_start || o.length_minutes != b.length_minutes || o.title != b.title
            })
            .collect();
        Self {
            rdates,
            exdates,
            changed,
        }
    }
}

/// Whether the RRULE alone yields `start`: BYDAY and BYMONTHDAY filter the start's local date,
/// and without them the rule takes its weekday and day of the month from the start itself.
fn rule_matches(rule: &Rule, start: i64, zone: Zone) -> bool {
    let local = local(zone, start);
    let day = i8::try_from(local.day()).unwrap_or(0);
    (rule.by_day.is_empty() || rule.by_day.contains(&local.weekday()))
        && (rule.by_month_day.is_empty() || rule.by_month_day.contains(&day))
}

fn utc(unix: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default()
}

fn local(zone: Zone, unix: i64) -> NaiveDateTime {
    utc(unix).with_timezone(&zone.tz()).naive_local()
}

/// An instant as wall time in the zone (TZID), as long as that wall time reads back as the
/// same instant. After a fall-back RFC 5545 reads a repeated wall time as the earlier instant,
/// so the later one can only be written in UTC.
fn at(zone: Zone, unix: i64) -> CalendarDateTime {
    let wall = local(zone, unix);
    if zone.instant(wall) == Some(unix) {
        CalendarDateTime::WithTimezone {
            date_time: wall,
            tzid: zone.name().to_owned(),
        }
    } else {
        CalendarDateTime::Utc(utc(unix))
    }
}

/// TEXT as RFC 5545 allows it: the crate escapes `\ ; ,` and newlines, but control characters
/// other than tab and newline (a CR from a form's CRLF) have no escape and are dropped.
fn text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect()
}

/// A parameter value (CN): the crate quotes one holding `: ; ,`, but a double quote cannot
/// appear even quoted and control characters not at all.
fn param(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A `mailto:` calendar address; CAL-ADDRESS values are written unescaped, so an address that
/// could break the line (or is empty) is left out rather than sent.
fn mailto(email: &str) -> Option<String> {
    let email = email.trim();
    let usable = email.contains('@')
        && !email
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '"');
    usable.then(|| format!("mailto:{email}"))
}

/// A zone's observance at one instant: the parts a VTIMEZONE sub-component states.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    offset: i32,
    dst: bool,
    name: Option<String>,
}

fn observance(zone: Zone, unix: i64) -> Observance {
    let o = zone.tz().offset_from_utc_datetime(&utc(unix).naive_utc());
    Observance {
        offset: o.fix().local_minus_utc(),
        dst: !o.dst_offset().is_zero(),
        name: o.abbreviation().map(str::to_owned),
    }
}

/// Scan step: no zone changes its observance twice within a day and back, so a daily scan
/// sees every change, and bisection finds its second.
const SCAN: i64 = 86_400;

/// Each instant in `(lo, hi]` at which the zone's observance changes, with the observance
/// from then on.
fn transitions(zone: Zone, lo: i64, hi: i64) -> Vec<(i64, Observance)> {
    let mut out = Vec::new();
    let (mut t, mut now) = (lo, observance(zone, lo));
    while t < hi {
        let next = (t + SCAN).min(hi);
        if observance(zone, next) == now {
            t = next;
            continue;
        }
        let (mut same, mut changed) = (t, next);
        while changed - same > 1 {
            let mid = same + (changed - same) / 2;
            if observance(zone, mid) == now {
                same = mid;
            } else {
                changed = mid;
            }
        }
        now = observance(zone, changed);
        out.push((changed, now.clone()));
        t = changed;
    }
    out
}

/// The VTIMEZONE for `zone` over `[lo, hi]`: the observance in force at `lo`, then one
/// sub-component per change (RDATE style, no RRULE: chrono-tz knows instants, not rules).
/// DTSTART is the change's wall time in the offset before it, as RFC 5545 §3.6.5 reads it.
fn vtimezone(zone: Zone, lo: i64, hi: i64) -> String {
    let first = observance(zone, lo);
    let mut out = String::from("BEGIN:VTIMEZONE\r\n");
    line(&mut out, Property::new("TZID", zone.name()));
    let mut observe = |onset: i64, from: i32, to: &Observance| {
        let kind = if to.dst { "DAYLIGHT" } else { "STANDARD" };
        let wall = utc(onset + i64::from(from)).naive_utc();
        out.push_str(&format!("BEGIN:{kind}\r\n"));
        line(
            &mut out,
            DatePerhapsTime::from(CalendarDateTime::Floating(wall)).to_property("DTSTART"),
        );
        line(&mut out, Property::new("TZOFFSETFROM", utc_offset(from)));
        line(&mut out, Property::new("TZOFFSETTO", utc_offset(to.offset)));
        if let Some(name) = &to.name {
            line(&mut out, Property::new("TZNAME", text(name)));
        }
        out.push_str(&format!("END:{kind}\r\n"));
    };
    observe(lo, first.offset, &first);
    let mut before = first.offset;
    for (onset, to) in transitions(zone, lo, hi) {
        observe(onset, before, &to);
        before = to.offset;
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

fn line(out: &mut String, p: Property) {
    let folded: String = p.try_into().expect("formatting into a String cannot fail");
    out.push_str(&folded);
}

/// UTC-OFFSET (RFC 5545 §3.3.14): `±hhmm`, with seconds only when there are some.
fn utc_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs % 3600 / 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::{BookingLinks, Details, Invitee, PasswordType};
    use crate::ids::{BillingCode, ConferenceId, LinkCode, Passcode, UserId};
    use crate::series::{Exception, HeldOccurrence, Series};
    use crate::time::parse_time;
    use icalendar::CalendarComponent;

    const NOW: i64 = 1_893_456_000; // 2030-01-01 00:00 UTC
    const DAY: i64 = 86_400;
    const WEEK: i64 = 7 * DAY;

    fn ny() -> Zone {
        Zone::parse("America/New_York").unwrap()
    }

    fn parts() -> InviteParts<'static> {
        InviteParts {
            organizer_name: "Host, The",
            organizer_email: "host@example.com",
            join_url: "https://meet.example.com/k/AbCdEfGhIjK",
            passcode: "12345678",
            uid_domain: "meet.example.com",
            attendee: None,
        }
    }

    fn booking(zone: Zone, start: &str, minutes: i64, title: &str) -> Booking {
        Booking {
            event_id: 7,
            conference_id: ConferenceId::parse("987654321").unwrap(),
            customer: 1,
            host: UserId::new(1).unwrap(),
            title: title.into(),
            start: parse_time(start, zone).unwrap(),
            length_minutes: minutes,
            zone,
            password_type: PasswordType::Dynamic,
            pcode1: Passcode::generate(),
            pcode2: Passcode::generate(),
            billing_code: BillingCode::generate(),
            links: BookingLinks {
                host: LinkCode::generate(),
                attendee: LinkCode::generate(),
                wcall: LinkCode::generate(),
            },
            invitees: vec![
                Invitee {
                    name: "Doe, Jane".into(),
                    email: "jane@example.com".into(),
                    ..Default::default()
                },
                Invitee {
                    name: "Phone only".into(),
                    mobile: "13800000000".into(),
                    ..Default::default()
                },
                Invitee {
                    name: "Broken".into(),
                    email: "a\r\nb@example.com".into(),
                    ..Default::default()
                },
            ],
            details: Details {
                summary: "Agenda:\r\n1. budget; 2. hiring, etc.".into(),
                ..Default::default()
            },
            cancelled_at: None,
            created_at: NOW,
            modified_at: NOW,
            version: 1,
            series: None,
            occurrence_of: None,
        }
    }

    /// Weekly at the start's local time until `until` (a local date-time).
    fn weekly(zone: Zone, start: &str, until: &str) -> Booking {
        let mut b = booking(zone, start, 60, "Standup");
        let end = parse_time(until, zone).unwrap();
        let rule = Rule::from_cycle_role("weekly", 1, &[], &[], end, b.start, zone).unwrap();
        b.series = Some(Series::new(rule, b.start));
        b
    }

    fn parse(text: &str) -> Calendar {
        text.parse().unwrap()
    }

    fn events(cal: &Calendar) -> Vec<&Event> {
        cal.events().collect()
    }

    fn wall(zone: Zone, s: &str) -> CalendarDateTime {
        at(zone, parse_time(s, zone).unwrap())
    }

    #[test]
    fn lines_are_crlf_and_folded_at_75_octets() {
        let mut b = booking(ny(), "2030-06-12 14:00:00", 45, "");
        b.title = "季度预算评审会议，请准时参加；".repeat(6);
        let text = invite(&b, &parts(), Change::Request, 1, NOW);
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for l in text.split_terminator("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l:?}", l.len());
            assert!(!l.contains(['\r', '\n']), "{l:?}");
        }
        assert_eq!(
            events(&parse(&text))[0].get_summary(),
            Some(b.title.as_str())
        );
    }

    #[test]
    fn a_single_meeting_reads_back_with_every_property() {
        let b = booking(ny(), "2030-06-12 14:00:00", 45, r#"Q3, "final"; \ review"#);
        let text = invite(&b, &parts(), Change::Request, 1, NOW);
        let cal = parse(&text);
        assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
        let e = events(&cal)[0];
        assert_eq!(e.get_uid(), Some("987654321@meet.example.com"));
        assert_eq!(e.get_summary(), Some(b.title.as_str()));
        assert_eq!(e.get_sequence(), Some(1));
        assert_eq!(e.get_status(), Some(EventStatus::Confirmed));
        assert_eq!(e.get_timestamp(), Some(utc(NOW)));
        assert_eq!(e.get_location(), Some(parts().join_url));
        assert_eq!(
            e.get_start(),
            Some(wall(ny(), "2030-06-12 14:00:00").into())
        );
        assert_eq!(e.get_end(), Some(wall(ny(), "2030-06-12 14:45:00").into()));
        let description = e.get_description().unwrap();
        for part in [
            parts().join_url,
            "12345678",
            "987654321",
            "1. budget; 2. hiring, etc.",
        ] {
            assert!(description.contains(part), "{description:?} lacks {part}");
        }
        let organizer = &e.properties()["ORGANIZER"];
        assert_eq!(organizer.value(), "mailto:host@example.com");
        assert_eq!(organizer.params()["CN"].value(), "Host, The");
        // Only the invitee with a usable address is invited.
        let attendees = e.get_attendees();
        assert_eq!(attendees.len(), 1, "{attendees:?}");
        assert_eq!(attendees[0].cal_address, "mailto:jane@example.com");
        assert_eq!(attendees[0].cn.as_deref(), Some("Doe, Jane"));
        assert_eq!(attendees[0].role, Some(Role::ReqParticipant));
        assert_eq!(attendees[0].part_stat, Some(PartStat::NeedsAction));
        assert_eq!(attendees[0].rsvp, Some(true));
        let zones: Vec<_> = cal
            .components
            .iter()
            .filter_map(|c| match c {
                CalendarComponent::Other(o) if o.component_kind() == "VTIMEZONE" => {
                    o.property_value("TZID")
                }
                _ => None,
            })
            .collect();
        assert_eq!(zones, ["America/New_York"]);
        assert!(!text.contains("ICALENDAR-RS"), "the crate's default PRODID");
    }

    #[test]
    fn cancel_keeps_the_uid_and_raises_the_sequence() {
        let b = booking(ny(), "2030-06-12 14:00:00", 45, "Review");
        let request = parse(&invite(&b, &parts(), Change::Request, 1, NOW));
        let cancel = parse(&invite(&b, &parts(), Change::Cancel, 2, NOW + 60));
        assert_eq!(cancel.property_value("METHOD"), Some("CANCEL"));
        let (r, c) = (events(&request)[0], events(&cancel)[0]);
        assert_eq!(r.get_uid(), c.get_uid());
        assert!(c.get_sequence() > r.get_sequence());
        assert_eq!(c.get_status(), Some(EventStatus::Cancelled));
        assert_eq!(Change::Cancel.method(), "CANCEL");
    }

    #[test]
    fn new_york_changes_at_the_right_instants_in_2030() {
        let from = parse_time("2030-01-01T00:00:00Z", ny()).unwrap();
        let to = parse_time("2031-01-01T00:00:00Z", ny()).unwrap();
        let got = transitions(ny(), from, to);
        let edt = Observance {
            offset: -4 * 3600,
            dst: true,
            name: Some("EDT".into()),
        };
        let est = Observance {
            offset: -5 * 3600,
            dst: false,
            name: Some("EST".into()),
        };
        let spring = parse_time("2030-03-10T07:00:00Z", ny()).unwrap();
        let fall = parse_time("2030-11-03T06:00:00Z", ny()).unwrap();
        assert_eq!(got, [(spring, edt), (fall, est)]);
        let vtz = vtimezone(ny(), from, to);
        assert!(vtz.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20300310T020000\r\nTZOFFSETFROM:-0500\r\n\
             TZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT\r\n"
        ));
        assert!(vtz.contains(
            "BEGIN:STANDARD\r\nDTSTART:20301103T020000\r\nTZOFFSETFROM:-0400\r\n\
             TZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\n"
        ));
        assert_eq!(vtz.matches("BEGIN:").count(), 4, "{vtz}");
    }

    #[test]
    fn a_zone_without_changes_has_one_standard_observance() {
        let sh = Zone::parse("Asia/Shanghai").unwrap();
        let vtz = vtimezone(sh, NOW - YEAR, NOW + 2 * YEAR);
        assert_eq!(vtz.matches("BEGIN:STANDARD").count(), 1, "{vtz}");
        assert!(!vtz.contains("DAYLIGHT"));
        assert!(vtz.contains("TZOFFSETFROM:+0800\r\nTZOFFSETTO:+0800\r\n"));
        assert_eq!(utc_offset(-(4 * 3600 + 56 * 60 + 2)), "-045602");
    }

    /// A series edited as a whole (history, `rule_from`), with one occurrence moved and one
    /// cancelled since.
    fn edited_series() -> Booking {
        let mut b = weekly(ny(), "2030-01-07 09:00:00", "2030-04-30 23:59:59");
        let t = |s: &str| parse_time(s, ny()).unwrap();
        let held = |ori: &str, start: &str, cancelled: bool| HeldOccurrence {
            ori_start: t(ori),
            start: t(start),
            length_minutes: 60,
            title: "Old standup".into(),
            cancelled,
        };
        // Held on the old rule: Mondays 08:00 from Dec 30, one moved, one cancelled.
        let history = vec![
            held("2029-12-30 08:00:00", "2029-12-30 08:00:00", false),
            held("2030-01-06 08:00:00", "2030-01-06 10:30:00", false),
            held("2030-01-13 08:00:00", "2030-01-13 08:00:00", true),
        ];
        let s = b.series.as_mut().unwrap();
        s.history = history;
        s.rule_from = t("2030-01-20 00:00:00");
        s.exceptions.insert(
            t("2030-02-04 09:00:00"),
            Exception {
                start: Some(t("2030-02-05 15:00:00")),
                length_minutes: Some(90),
                title: Some("Moved".into()),
                ..Default::default()
            },
        );
        s.exceptions.insert(
            t("2030-03-11 09:00:00"),
            Exception {
                cancelled: true,
                ..Default::default()
            },
        );
        b
    }

    #[test]
    fn a_series_lists_exactly_its_live_occurrences() {
        let b = edited_series();
        let text = invite(&b, &parts(), Change::Request, 3, NOW);
        let cal = parse(&text);
        let all = events(&cal);
        let master = all
            .iter()
            .find(|e| e.get_recurrence_id().is_none())
            .unwrap();
        let set = master.get_recurrence().unwrap();
        let mut got: Vec<i64> = set.all(1000).dates.iter().map(|d| d.timestamp()).collect();
        got.sort_unstable();
        let live: Vec<Occurrence> = b
            .occurrences()
            .into_iter()
            .filter(|o| !b.occurrence_cancelled(o))
            .collect();
        let mut want: Vec<i64> = live.iter().map(|o| o.ori_start).collect();
        want.sort_unstable();
        assert_eq!(got, want);
        // Each occurrence not as the master gives it comes with its RECURRENCE-ID.
        let mut moved: Vec<(CalendarDateTime, DatePerhapsTime, Option<&str>)> = all
            .iter()
            .filter_map(|e| {
                let Some(DatePerhapsTime::DateTime(id)) = e.get_recurrence_id() else {
                    return None;
                };
                Some((id, e.get_start()?, e.get_summary()))
            })
            .collect();
        moved.sort_by_key(|m| format!("{m:?}"));
        let mut want: Vec<_> = live
            .iter()
            .filter(|o| o.start != o.ori_start || o.title != b.title || o.length_minutes != 60)
            .map(|o| {
                (
                    at(ny(), o.ori_start),
                    DatePerhapsTime::from(at(ny(), o.start)),
                    Some(o.title.as_str()),
                )
            })
            .collect();
        want.sort_by_key(|m| format!("{m:?}"));
        assert_eq!(moved, want);
        assert_eq!(moved.len(), 3, "two held occurrences and one moved");
        assert!(all.iter().all(|e| e.get_sequence() == Some(3)));
    }

    #[test]
    fn an_occurrence_cancel_names_only_that_occurrence() {
        let b = edited_series();
        let ori = parse_time("2030-03-11 09:00:00", ny()).unwrap();
        let cal = parse(&invite(
            &b,
            &parts(),
            Change::CancelOccurrence { ori_start: ori },
            4,
            NOW,
        ));
        assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
        let all = events(&cal);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].get_recurrence_id(), Some(at(ny(), ori).into()));
        assert_eq!(all[0].get_status(), Some(EventStatus::Cancelled));
        assert_eq!(all[0].get_uid(), Some(uid(&b, "meet.example.com").as_str()));
        assert!(all[0].property_value("RRULE").is_none());
    }

    #[test]
    fn a_start_off_the_rule_is_listed_again() {
        // Booked on a Sunday, repeating on Mondays and Wednesdays.
        let mut b = booking(ny(), "2030-01-06 09:00:00", 60, "x");
        let end = parse_time("2030-01-31 00:00:00", ny()).unwrap();
        let days = ["MO".to_string(), "WE".to_string()];
        let rule = Rule::from_cycle_role("weekly", 1, &days, &[], end, b.start, ny()).unwrap();
        assert!(!rule_matches(&rule, b.start, ny()));
        assert!(rule_matches(&rule, b.start + DAY, ny()));
        b.series = Some(Series::new(rule.clone(), b.start));
        let set = RecurrenceSet::of(&b, &rule);
        assert_eq!(set.rdates, [b.start]);
        assert!(set.exdates.is_empty() && set.changed.is_empty());
        b.series.as_mut().unwrap().rule_from = b.start + WEEK;
        let set = RecurrenceSet::of(&b, &rule);
        assert!(set.rdates.is_empty(), "not live: no RDATE");
        assert_eq!(set.exdates[0], b.start);
    }

    #[test]
    fn the_later_of_two_equal_wall_times_goes_out_in_utc() {
        let first = parse_time("2030-11-03T05:30:00Z", ny()).unwrap(); // 01:30 EDT
        let second = first + 3600; // 01:30 EST
        assert!(matches!(
            at(ny(), first),
            CalendarDateTime::WithTimezone { .. }
        ));
        assert_eq!(at(ny(), second), CalendarDateTime::Utc(utc(second)));
    }

    #[test]
    fn text_params_and_addresses_are_made_safe() {
        assert_eq!(text("a\r\nb\u{7}\tc"), "a\nb\tc");
        assert_eq!(param(" Doe \"JD\"\n"), "Doe 'JD'");
        assert_eq!(mailto(" a@b.c ").as_deref(), Some("mailto:a@b.c"));
        for bad in ["", "nobody", "a b@c.d", "a@b\r\n.c"] {
            assert_eq!(mailto(bad), None, "{bad:?}");
        }
    }
}
