//! Invitations read by implementations no one here wrote: Python's `icalendar` parses every
//! calendar `ics` makes, and `recurring-ical-events` expands each one twice, once in the IANA
//! zone its TZID names and once in the VTIMEZONE huiyi wrote (the TZID renamed, so that Python
//! cannot look the zone up and builds it with dateutil's `tzical`). Both expansions must equal
//! the occurrences huiyi lists, less the cancelled ones.

use huiyi_domain::booking::{Booking, BookingLinks, Details, Invitee, PasswordType};
use huiyi_domain::ics::{self, Change, InviteParts};
use huiyi_domain::ids::{BillingCode, ConferenceId, LinkCode, Passcode, UserId};
use huiyi_domain::recurrence::Rule;
use huiyi_domain::series::{Exception, HeldOccurrence, Series};
use huiyi_domain::time::{Zone, parse_time};
use serde_json::Value;

const NOW: i64 = 1_893_456_000; // 2030-01-01 00:00 UTC

const SCRIPT: &str = r#"
import datetime, json, sys, zoneinfo
import icalendar, recurring_ical_events

UTC = datetime.timezone.utc
LO = datetime.datetime(2000, 1, 1, tzinfo=UTC)
HI = datetime.datetime(2100, 1, 1, tzinfo=UTC)

def instant(prop):
    return None if prop is None else int(prop.dt.timestamp())

def listed(v):
    return [] if v is None else v if isinstance(v, list) else [v]

def expand(cal):
    return sorted(
        [instant(o["DTSTART"]), instant(o["DTEND"]), str(o["SUMMARY"])]
        for o in recurring_ical_events.of(cal).between(LO, HI)
    )

def own_zone(text, n):
    # Unfolded (RFC 5545 3.1) so that no TZID is split across lines, then renamed.
    text = text.replace("\r\n ", "").replace("\r\n\t", "")
    for tz in icalendar.Calendar.from_ical(text).walk("VTIMEZONE"):
        tzid = str(tz["TZID"])
        fake = f"huiyi-test-{n}-" + tzid.replace("/", "-")
        text = text.replace(f"TZID={tzid}", f"TZID={fake}")
        text = text.replace(f"TZID:{tzid}\r\n", f"TZID:{fake}\r\n")
    cal = icalendar.Calendar.from_ical(text)
    kinds = sorted({type(e["DTSTART"].dt.tzinfo).__name__ for e in cal.walk("VEVENT")})
    return expand(cal), kinds

def zone_errors(cal):
    # Each observance's onset, as icalendar reads DTSTART and TZOFFSETFROM, must be an instant
    # where the IANA zone changes to TZOFFSETTO (the first only states the offset in force).
    errors = []
    for tz in cal.walk("VTIMEZONE"):
        iana = zoneinfo.ZoneInfo(str(tz["TZID"]))
        times, info = tz.get_transitions()
        for i, (when, (offset, _, name)) in enumerate(zip(times, info)):
            at = when.replace(tzinfo=UTC)
            after = at.astimezone(iana)
            before = (at - datetime.timedelta(seconds=1)).astimezone(iana)
            if after.utcoffset() != offset or after.tzname() != name or (
                i > 0 and before.utcoffset() == after.utcoffset()
            ):
                errors.append([str(when), str(offset), name])
        if len(times) < 1:
            errors.append("no observance")
    return errors

out = []
for n, path in enumerate(sys.argv[1:]):
    with open(path, newline="") as f:
        text = f.read()
    cal = icalendar.Calendar.from_ical(text)
    events = []
    for e in cal.walk("VEVENT"):
        organizer = e.get("ORGANIZER")
        events.append({
            "uid": str(e["UID"]),
            "sequence": int(e.get("SEQUENCE", 0)),
            "status": str(e.get("STATUS", "")),
            "summary": str(e.get("SUMMARY", "")),
            "description": str(e.get("DESCRIPTION", "")),
            "location": str(e.get("LOCATION", "")),
            "organizer": [str(organizer), organizer.params.get("CN")] if organizer else None,
            "attendees": [
                [str(a), a.params.get("CN"), a.params.get("ROLE"), a.params.get("PARTSTAT"),
                 a.params.get("RSVP")]
                for a in listed(e.get("ATTENDEE"))
            ],
            "recurrence_id": instant(e.get("RECURRENCE-ID")),
            "start": instant(e.get("DTSTART")),
            "end": instant(e.get("DTEND")),
            "tzid": e["DTSTART"].params.get("TZID"),
            "rrule": e["RRULE"].to_ical().decode() if "RRULE" in e else None,
        })
    read = {
        "method": str(cal.get("METHOD")),
        "errors": [[c.name, str(c.errors)] for c in cal.walk() if c.errors],
        "timezones": [str(t["TZID"]) for t in cal.walk("VTIMEZONE")],
        "zone_errors": zone_errors(cal),
        "events": events,
    }
    if read["method"] == "REQUEST":
        read["expanded"] = expand(cal)
        read["own_zone"], read["own_zone_tzinfo"] = own_zone(text, n)
    out.append(read)
print(json.dumps(out, ensure_ascii=False))
"#;

/// What Python read from each calendar, in order.
fn read(calendars: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = calendars
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let path = dir.path().join(format!("{i}.ics"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let python = std::env::var("HUIYI_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .args(["-c", SCRIPT])
        .args(&paths)
        .output()
        .expect("python3 with icalendar and recurring-ical-events (.ci/run installs them)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for (r, text) in read.iter().zip(calendars) {
        assert_eq!(r["errors"], serde_json::json!([]), "{text}");
        assert_eq!(r["zone_errors"], serde_json::json!([]), "{text}");
    }
    read
}

fn ny() -> Zone {
    Zone::parse("America/New_York").unwrap()
}

fn t(s: &str, zone: Zone) -> i64 {
    parse_time(s, zone).unwrap()
}

fn parts() -> InviteParts<'static> {
    InviteParts {
        organizer_name: "Wang, Host",
        organizer_email: "host@example.com",
        join_url: "https://meet.example.com/k/AbCdEfGhIjK",
        passcode: "24681357",
        uid_domain: "meet.example.com",
        attendee: None,
    }
}

fn booking(zone: Zone, start: &str, minutes: i64, title: &str) -> Booking {
    Booking {
        event_id: 42,
        conference_id: ConferenceId::parse("912345678").unwrap(),
        customer: 1,
        host: UserId::new(1).unwrap(),
        title: title.into(),
        start: t(start, zone),
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
                name: "Li; Lei, \"LL\"".into(),
                email: "lilei@example.com".into(),
                ..Default::default()
            },
            Invitee {
                name: String::new(),
                email: "anon@example.org".into(),
                ..Default::default()
            },
        ],
        details: Details {
            summary: "Agenda: budget; hiring, etc.\nBring numbers.".into(),
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

fn series(mut b: Booking, freq: &str, byday: &[&str], bymonthday: &[i64], until: &str) -> Booking {
    let byday: Vec<String> = byday.iter().map(|s| s.to_string()).collect();
    let end = t(until, b.zone);
    let rule = Rule::from_cycle_role(freq, 1, &byday, bymonthday, end, b.start, b.zone).unwrap();
    b.series = Some(Series::new(rule, b.start));
    b
}

/// (start, end, title) of every occurrence huiyi lists and does not count as cancelled.
fn live(b: &Booking) -> Vec<(i64, i64, String)> {
    let mut v: Vec<_> = b
        .occurrences()
        .into_iter()
        .filter(|o| !b.occurrence_cancelled(o))
        .map(|o| (o.start, o.end(), o.title.clone()))
        .collect();
    v.sort();
    v
}

fn expanded(r: &Value, key: &str) -> Vec<(i64, i64, String)> {
    r[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}: {r}"))
        .iter()
        .map(|o| {
            (
                o[0].as_i64().unwrap(),
                o[1].as_i64().unwrap(),
                o[2].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Both of Python's expansions equal huiyi's list, and the second really used huiyi's
/// VTIMEZONE.
fn assert_expands_to(r: &Value, want: &[(i64, i64, String)]) {
    assert_eq!(expanded(r, "expanded"), want, "through the IANA zone");
    assert_eq!(expanded(r, "own_zone"), want, "through huiyi's VTIMEZONE");
    let kinds = r["own_zone_tzinfo"].as_array().unwrap();
    assert!(
        kinds.iter().all(|k| k != "ZoneInfo"),
        "the renamed zone was found by name: {kinds:?}"
    );
}

#[test]
fn a_single_meeting_reads_back_as_written() {
    let b = booking(
        ny(),
        "2030-06-12 14:00:00",
        45,
        "Q3 预算评审, \"final\"; C:\\plans — a title long enough to be folded across lines",
    );
    let text = ics::invite(&b, &parts(), Change::Request, 1, NOW);
    let r = &read(&[&text])[0];
    assert_eq!(r["method"], "REQUEST");
    assert_eq!(r["timezones"], serde_json::json!(["America/New_York"]));
    let e = &r["events"][0];
    assert_eq!(e["uid"], "912345678@meet.example.com");
    assert_eq!(e["summary"], b.title.as_str());
    assert_eq!(e["status"], "CONFIRMED");
    assert_eq!(e["sequence"], 1);
    assert_eq!(e["tzid"], "America/New_York");
    assert_eq!(e["location"], parts().join_url);
    let description = e["description"].as_str().unwrap();
    for part in [
        parts().join_url,
        "24681357",
        "912345678",
        "Agenda: budget; hiring, etc.\nBring numbers.",
    ] {
        assert!(description.contains(part), "{description:?} lacks {part:?}");
    }
    assert_eq!(
        e["organizer"],
        serde_json::json!(["mailto:host@example.com", "Wang, Host"])
    );
    assert_eq!(
        e["attendees"],
        serde_json::json!([
            [
                "mailto:lilei@example.com",
                "Li; Lei, 'LL'",
                "REQ-PARTICIPANT",
                "NEEDS-ACTION",
                "TRUE"
            ],
            [
                "mailto:anon@example.org",
                null,
                "REQ-PARTICIPANT",
                "NEEDS-ACTION",
                "TRUE"
            ]
        ])
    );
    assert_expands_to(r, &live(&b));
}

#[test]
fn a_weekly_series_keeps_its_local_time_across_both_dst_changes() {
    let b = series(
        booking(ny(), "2030-01-07 09:00:00", 60, "Standup"),
        "weekly",
        &[],
        &[],
        "2030-12-31 23:59:59",
    );
    let want = live(&b);
    assert_eq!(want.len(), 52);
    // 09:00 local is 14:00 UTC in winter and 13:00 UTC in summer.
    let utc_hours: std::collections::BTreeSet<i64> =
        want.iter().map(|o| o.0 % 86_400 / 3600).collect();
    assert_eq!(utc_hours, [13, 14].into());
    let text = ics::invite(&b, &parts(), Change::Request, 1, NOW);
    let r = &read(&[&text])[0];
    assert_eq!(r["events"].as_array().unwrap().len(), 1);
    let rrule = r["events"][0]["rrule"].as_str().unwrap();
    assert!(rrule.contains("FREQ=WEEKLY"), "{rrule}");
    assert_expands_to(r, &want);
}

/// A series edited as a whole after three meetings were held (one of them moved, one
/// cancelled): the rule now starts on a Tuesday at 10:00, in the past of `rule_from`. Since
/// then one occurrence was moved, resized and retitled and another cancelled.
fn edited_series() -> Booking {
    let z = ny();
    let mut b = series(
        booking(z, "2030-01-08 10:00:00", 60, "Standup v2"),
        "weekly",
        &[],
        &[],
        "2030-06-30 23:59:59",
    );
    let held = |ori: &str, start: &str, minutes: i64, cancelled: bool| HeldOccurrence {
        ori_start: t(ori, z),
        start: t(start, z),
        length_minutes: minutes,
        title: "Standup".into(),
        cancelled,
    };
    let s = b.series.as_mut().unwrap();
    s.history = vec![
        held("2030-01-07 09:00:00", "2030-01-07 09:00:00", 60, false),
        held("2030-01-14 09:00:00", "2030-01-14 11:00:00", 30, false),
        held("2030-01-21 09:00:00", "2030-01-21 09:00:00", 60, true),
    ];
    s.rule_from = t("2030-01-27 12:00:00", z);
    s.exceptions.insert(
        t("2030-03-12 10:00:00", z),
        Exception {
            start: Some(t("2030-03-13 16:30:00", z)),
            length_minutes: Some(90),
            title: Some("Planning, moved".into()),
            ..Default::default()
        },
    );
    s.exceptions.insert(
        t("2030-04-02 10:00:00", z),
        Exception {
            cancelled: true,
            ..Default::default()
        },
    );
    b.version = 5;
    b
}

#[test]
fn an_edited_series_expands_to_the_occurrences_huiyi_lists() {
    let b = edited_series();
    let want = live(&b);
    assert!(want.iter().any(|o| o.2 == "Planning, moved"));
    let request = ics::invite(&b, &parts(), Change::Request, b.version, NOW);
    let moved = t("2030-03-12 10:00:00", ny());
    let one = ics::invite(
        &b,
        &parts(),
        Change::RequestOccurrence { ori_start: moved },
        b.version,
        NOW,
    );
    let read = read(&[&request, &one]);
    assert_expands_to(&read[0], &want);
    let ids: Vec<i64> = read[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["recurrence_id"].as_i64())
        .collect();
    assert_eq!(
        ids.len(),
        3,
        "two held occurrences and the moved one: {ids:?}"
    );
    assert!(ids.contains(&moved));
    // The occurrence sent alone: only it, as it now is.
    let e = &read[1]["events"].as_array().unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["recurrence_id"], moved);
    assert_eq!(e[0]["start"], t("2030-03-13 16:30:00", ny()));
    assert_eq!(e[0]["end"], t("2030-03-13 18:00:00", ny()));
    assert_eq!(e[0]["summary"], "Planning, moved");
}

#[test]
fn edits_raise_the_sequence_and_cancels_keep_the_uid() {
    let mut b = edited_series();
    let booked = ics::invite(&b, &parts(), Change::Request, b.version, NOW);
    // An edit (one more occurrence moved) is a new version.
    let ori = t("2030-05-07 10:00:00", ny());
    b.series.as_mut().unwrap().exceptions.insert(
        ori,
        Exception {
            start: Some(ori + 3600),
            ..Default::default()
        },
    );
    b.version += 1;
    let edited = ics::invite(&b, &parts(), Change::Request, b.version, NOW + 60);
    b.version += 1;
    let cancelled_one = ics::invite(
        &b,
        &parts(),
        Change::CancelOccurrence { ori_start: ori },
        b.version,
        NOW + 120,
    );
    b.version += 1;
    let cancelled = ics::invite(&b, &parts(), Change::Cancel, b.version, NOW + 180);
    let read = read(&[&booked, &edited, &cancelled_one, &cancelled]);
    let methods: Vec<&str> = read.iter().map(|r| r["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["REQUEST", "REQUEST", "CANCEL", "CANCEL"]);
    assert_expands_to(&read[1], &live(&b));
    let mut last = -1;
    for r in &read {
        let events = r["events"].as_array().unwrap();
        let seqs: std::collections::BTreeSet<i64> = events
            .iter()
            .map(|e| e["sequence"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs.len(), 1, "one SEQUENCE per message: {seqs:?}");
        let seq = *seqs.first().unwrap();
        assert!(seq > last, "SEQUENCE {seq} after {last}");
        last = seq;
        for e in events {
            assert_eq!(e["uid"], "912345678@meet.example.com");
        }
    }
    // The occurrence cancel names that occurrence only.
    let one = read[2]["events"].as_array().unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["recurrence_id"], ori);
    assert_eq!(one[0]["status"], "CANCELLED");
    assert_eq!(one[0]["rrule"], Value::Null);
    // The series cancel is the master, cancelled.
    let all = read[3]["events"].as_array().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["recurrence_id"], Value::Null);
    assert_eq!(all[0]["status"], "CANCELLED");
}

#[test]
fn other_zones_and_rules_expand_alike() {
    // No DST at all: one STANDARD observance.
    let shanghai = series(
        booking(
            Zone::parse("Asia/Shanghai").unwrap(),
            "2030-01-06 19:30:00",
            60,
            "周会",
        ),
        "weekly",
        &["SU", "WE"],
        &[],
        "2030-12-31 23:59:59",
    );
    // Booked on the 10th, repeating on the 1st and 15th: the booked start is off the rule.
    let berlin = series(
        booking(
            Zone::parse("Europe/Berlin").unwrap(),
            "2030-01-10 09:30:00",
            50,
            "Monatsrunde",
        ),
        "monthly",
        &[],
        &[1, 15],
        "2031-02-15 23:59:59",
    );
    let read = read(&[
        &ics::invite(&shanghai, &parts(), Change::Request, 1, NOW),
        &ics::invite(&berlin, &parts(), Change::Request, 1, NOW),
    ]);
    assert_expands_to(&read[0], &live(&shanghai));
    assert_expands_to(&read[1], &live(&berlin));
    assert_eq!(live(&berlin)[0].0, berlin.start);
}

#[test]
fn wall_times_that_dst_skips_or_repeats_land_where_huiyi_puts_them() {
    // 02:30 does not exist on 2030-03-10 (huiyi, like RFC 5545, takes 03:30 EDT); 01:30 is
    // there twice on 2030-11-03 (the first, EDT).
    let spring = series(
        booking(ny(), "2030-03-08 02:30:00", 30, "Night shift"),
        "daily",
        &[],
        &[],
        "2030-03-12 23:59:59",
    );
    let fall = series(
        booking(ny(), "2030-11-01 01:30:00", 30, "Night shift"),
        "daily",
        &[],
        &[],
        "2030-11-05 23:59:59",
    );
    let read = read(&[
        &ics::invite(&spring, &parts(), Change::Request, 1, NOW),
        &ics::invite(&fall, &parts(), Change::Request, 1, NOW),
    ]);
    // Python adds a duration in wall-clock time, so an end across the change can be an hour
    // off: compare starts here (the ends of ordinary days are compared above).
    let starts = |v: Vec<(i64, i64, String)>| v.into_iter().map(|o| o.0).collect::<Vec<_>>();
    // dateutil's `tzical`, which reads huiyi's VTIMEZONE, takes a wall time in the gap with
    // the offset after it (06:30 UTC), not the one before it as RFC 5545 3.3.5 says and the
    // IANA zone does: that one instant is left out of the second comparison.
    let gap = parse_time("2030-03-10T07:30:00Z", ny()).unwrap();
    for (r, b) in read.iter().zip([&spring, &fall]) {
        let want = starts(live(b));
        assert_eq!(starts(expanded(r, "expanded")), want, "IANA zone");
        let mut got = starts(expanded(r, "own_zone"));
        got.retain(|&s| s != gap && s != gap - 3600);
        let want: Vec<i64> = want.into_iter().filter(|&s| s != gap).collect();
        assert_eq!(got, want, "huiyi's VTIMEZONE");
    }
    assert_eq!(
        starts(live(&spring))[2],
        parse_time("2030-03-10T07:30:00Z", ny()).unwrap()
    );
    assert_eq!(
        starts(live(&fall))[2],
        parse_time("2030-11-03T05:30:00Z", ny()).unwrap()
    );
}
