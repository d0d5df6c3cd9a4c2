//! Recurrence expansion against an independent day-by-day reference, DST behaviour, windows and
//! RRULE strings.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Weekday,
};
use huiyi_domain::recurrence::{Frequency, MAX_OCCURRENCES, Rule, RuleError};
use huiyi_domain::time::Zone;
use proptest::prelude::*;

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn zone(name: &str) -> Zone {
    Zone::parse(name).unwrap()
}

/// RFC 5545 §3.3.5 for a local time: the first instant when ambiguous, and when it falls in a
/// gap, read with the UTC offset in force before the gap.
fn rfc_instant(zone: Zone, local: NaiveDateTime) -> i64 {
    let tz = zone.tz();
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp(),
        LocalResult::None => {
            let before = tz
                .from_local_datetime(&(local - Duration::hours(3)))
                .earliest()
                .unwrap();
            let offset = before.offset().fix().local_minus_utc();
            local.and_utc().timestamp() - i64::from(offset)
        }
    }
}

fn local(zone: Zone, unix: i64) -> NaiveDateTime {
    DateTime::from_timestamp(unix, 0)
        .unwrap()
        .with_timezone(&zone.tz())
        .naive_local()
}

fn at(zone: Zone, s: &str) -> i64 {
    rfc_instant(
        zone,
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
    )
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// The naive reference: walk the local calendar one day at a time and keep the days the rule's
/// RFC 5545 meaning selects, at the start's local time; the start itself always counts.
fn reference(rule: &Rule, start: i64, zone: Zone) -> Vec<i64> {
    let first = local(zone, start);
    let (first_day, time) = (first.date(), first.time());
    let last_day = local(zone, rule.until).date();
    let interval = i64::from(rule.interval);
    let day_ok = |d: NaiveDate| rule.by_day.is_empty() || rule.by_day.contains(&d.weekday());
    let mday_ok =
        |d: NaiveDate| rule.by_month_day.is_empty() || rule.by_month_day.contains(&(d.day() as i8));
    let mut out = vec![start];
    let mut d = first_day;
    while d <= last_day {
        let keep = match rule.frequency {
            Frequency::Daily => {
                (d - first_day).num_days() % interval == 0 && day_ok(d) && mday_ok(d)
            }
            Frequency::Weekly => {
                let weeks = (monday(d) - monday(first_day)).num_days() / 7;
                let weekday_ok = if rule.by_day.is_empty() {
                    d.weekday() == first_day.weekday()
                } else {
                    rule.by_day.contains(&d.weekday())
                };
                weeks % interval == 0 && weekday_ok
            }
            Frequency::Monthly => {
                let months = month_index(d) - month_index(first_day);
                let days_ok = if rule.by_day.is_empty() && rule.by_month_day.is_empty() {
                    d.day() == first_day.day()
                } else {
                    day_ok(d) && mday_ok(d)
                };
                months % interval == 0 && days_ok
            }
        };
        if keep {
            let t = rfc_instant(zone, d.and_time(time));
            if t > start && t <= rule.until {
                out.push(t);
            }
        }
        d = d.succ_opt().unwrap();
    }
    out
}

fn rule_strategy() -> impl Strategy<Value = (String, i64, Vec<String>, Vec<i64>)> {
    (
        prop_oneof![Just("daily"), Just("weekly"), Just("monthly")],
        // Mostly the 1..=4; multiples of 7 and 12 reach the never-recurring shortcuts.
        prop_oneof![8 => 1i64..=4, 1 => Just(7i64), 1 => Just(14i64), 1 => Just(12i64), 1 => Just(24i64)],
        0u8..128,
        prop::collection::vec(prop_oneof![1i64..=31, 28i64..=31], 0..4),
    )
        .prop_map(|(freq, interval, days, mdays)| {
            let byday = WEEKDAYS
                .iter()
                .enumerate()
                .filter(|(i, _)| days & (1 << i) != 0)
                .map(|(i, _)| ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][i].to_owned())
                .collect();
            let mdays = if freq == "weekly" { Vec::new() } else { mdays };
            (freq.to_owned(), interval, byday, mdays)
        })
}

fn start_strategy() -> impl Strategy<Value = (Zone, NaiveDateTime)> {
    let special = [
        "2026-01-31",
        "2027-01-31",
        "2028-02-29",
        "2028-01-29",
        "2026-03-29",
    ]
    .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
    let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    (
        prop::sample::select(vec!["Asia/Shanghai", "America/New_York", "Europe/Berlin"]),
        prop_oneof![
            3 => (0i64..4 * 365).prop_map(move |n| base + Duration::days(n)),
            1 => prop::sample::select(special.to_vec()),
        ],
        0u32..24,
        prop::sample::select(vec![0u32, 15, 30, 45]),
    )
        .prop_map(|(z, d, h, m)| {
            (
                zone(z),
                d.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn expansion_matches_the_day_by_day_reference(
        (freq, interval, byday, bymonthday) in rule_strategy(),
        (zone, first) in start_strategy(),
        span in 0i64..730 * DAY,
    ) {
        let start = rfc_instant(zone, first);
        let until = start + span;
        match Rule::from_cycle_role(&freq, interval, &byday, &bymonthday, until, start, zone) {
            Ok(rule) => {
                let want = reference(&rule, start, zone);
                prop_assert_eq!(rule.all_occurrences(start, zone), want);
            }
            Err(RuleError::TooManyOccurrences { .. }) => {
                let rule = Rule::from_cycle_role(&freq, interval, &byday, &bymonthday, start, start, zone).unwrap();
                let rule = Rule { until, ..rule };
                prop_assert!(reference(&rule, start, zone).len() > MAX_OCCURRENCES);
            }
            Err(e) => prop_assert!(false, "refused: {}", e),
        }
    }

    #[test]
    fn rrule_strings_round_trip(
        (freq, interval, byday, bymonthday) in rule_strategy(),
        interval_big in 1i64..=65_535,
        until in 0i64..4_102_444_800,
        use_big in any::<bool>(),
    ) {
        let start = 0;
        let interval = if use_big { interval_big } else { interval };
        let parts = Rule::from_cycle_role(&freq, interval, &byday, &bymonthday, start, start, Zone::default()).unwrap();
        let rule = Rule { until, ..parts };
        let s = rule.to_rrule_string();
        prop_assert_eq!(Rule::from_rrule_string(&s), Ok(rule.clone()), "{}", s);
        prop_assert_eq!(Rule::from_rrule_string(&format!("RRULE:{s}")), Ok(rule), "{}", s);
    }
}

fn dates(rule: &Rule, start: i64, zone: Zone) -> Vec<String> {
    rule.all_occurrences(start, zone)
        .into_iter()
        .map(|t| zone.date(t))
        .collect()
}

#[test]
fn months_without_the_day_are_skipped() {
    let sh = zone("Asia/Shanghai");
    let start = at(sh, "2026-01-31 10:00");
    let until = at(sh, "2026-12-31 23:00");
    let rule = Rule::from_cycle_role("monthly", 1, &[], &[31], until, start, sh).unwrap();
    let want = [
        "01-31", "03-31", "05-31", "07-31", "08-31", "10-31", "12-31",
    ];
    assert_eq!(dates(&rule, start, sh), want.map(|d| format!("2026-{d}")));
    // With no bymonthday a monthly series keeps the start's day: the same months.
    let plain = Rule::from_cycle_role("monthly", 1, &[], &[], until, start, sh).unwrap();
    assert_eq!(dates(&plain, start, sh), dates(&rule, start, sh));
}

#[test]
fn february_29_only_in_leap_years() {
    let sh = zone("Asia/Shanghai");
    let start = at(sh, "2027-01-29 10:00");
    let until = at(sh, "2028-03-30 00:00");
    let rule = Rule::from_cycle_role("monthly", 1, &[], &[29], until, start, sh).unwrap();
    let got = dates(&rule, start, sh);
    assert!(!got.contains(&"2027-02-28".to_owned()) && !got.contains(&"2027-03-01".to_owned()));
    assert!(got.contains(&"2028-02-29".to_owned()), "{got:?}");
    assert_eq!(got.len(), 14, "{got:?}"); // 15 months, February 2027 missing

    let leap = at(sh, "2028-02-29 10:00");
    let until = at(sh, "2029-03-31 00:00");
    let rule = Rule::from_cycle_role("monthly", 1, &[], &[], until, leap, sh).unwrap();
    let got = dates(&rule, leap, sh);
    assert_eq!(got.first().map(String::as_str), Some("2028-02-29"));
    assert!(got.contains(&"2029-01-29".to_owned()) && got.contains(&"2029-03-29".to_owned()));
    assert!(!got.iter().any(|d| d.starts_with("2029-02")), "{got:?}");
    let yearly_feb = Rule::from_cycle_role("monthly", 12, &[], &[], until, leap, sh).unwrap();
    assert_eq!(dates(&yearly_feb, leap, sh), ["2028-02-29"]);

    // Every 12 or 24 months on the 29th from a February: only the leap Februaries it visits.
    let on_29 = |interval, from: &str| {
        let from = at(sh, from);
        let rule =
            Rule::from_cycle_role("monthly", interval, &[], &[29], from + 731 * DAY, from, sh);
        dates(&rule.unwrap(), from, sh)
    };
    assert_eq!(on_29(12, "2027-02-10 10:00"), ["2027-02-10", "2028-02-29"]);
    assert_eq!(on_29(24, "2026-02-28 10:00"), ["2026-02-28", "2028-02-29"]);
    assert_eq!(on_29(24, "2027-02-28 10:00"), ["2027-02-28"]);
}

#[test]
fn the_booked_start_is_the_first_occurrence_even_off_rule() {
    let sh = zone("Asia/Shanghai");
    let tuesday = at(sh, "2026-01-06 09:00");
    let byday = ["MO".to_owned(), "WE".to_owned()];
    let rule =
        Rule::from_cycle_role("weekly", 1, &byday, &[], tuesday + 8 * DAY, tuesday, sh).unwrap();
    assert_eq!(
        dates(&rule, tuesday, sh),
        ["2026-01-06", "2026-01-07", "2026-01-12", "2026-01-14"]
    );
}

/// A weekly 09:00 series through the 2026 and 2027 DST switches.
fn weekly_nine(zone: Zone) -> (i64, Vec<i64>) {
    let start = at(zone, "2026-01-05 09:00");
    let rule = Rule::weekly_until_date(start, zone, "2027-12-31").unwrap();
    (start, rule.all_occurrences(start, zone))
}

#[test]
fn dst_keeps_the_local_time() {
    for name in ["America/New_York", "Europe/Berlin"] {
        let z = zone(name);
        let (_, occ) = weekly_nine(z);
        assert_eq!(occ.len(), 104, "{name}");
        for t in &occ {
            assert!(
                z.format(*t).ends_with(" 09:00:00"),
                "{name}: {}",
                z.format(*t)
            );
        }
        let steps: Vec<i64> = occ.windows(2).map(|w| w[1] - w[0]).collect();
        let shifted = steps.iter().filter(|&&s| s != WEEK).count();
        assert_eq!(shifted, 4, "{name}: one shorter or longer week per switch");
        assert!(
            steps
                .iter()
                .all(|s| [WEEK - 3600, WEEK, WEEK + 3600].contains(s))
        );
        let labels: std::collections::BTreeSet<String> = occ.iter().map(|&t| z.label(t)).collect();
        assert_eq!(labels.len(), 2, "{name}: {labels:?}");
    }
    let sh = zone("Asia/Shanghai");
    let (start, occ) = weekly_nine(sh);
    assert_eq!(occ.len(), 104);
    assert!(
        occ.iter()
            .enumerate()
            .all(|(i, &t)| t == start + i as i64 * WEEK)
    );
}

#[test]
fn dst_gap_moves_forward_and_overlap_takes_the_first() {
    let ny = zone("America/New_York");
    // Sundays 02:30; on 2026-03-08 02:30 does not exist in New York.
    let start = at(ny, "2026-03-01 02:30");
    let rule = Rule::weekly_until_date(start, ny, "2026-03-15").unwrap();
    let got: Vec<String> = rule
        .all_occurrences(start, ny)
        .iter()
        .map(|&t| ny.format(t))
        .collect();
    assert_eq!(
        got,
        [
            "2026-03-01 02:30:00",
            "2026-03-08 03:30:00",
            "2026-03-15 02:30:00"
        ]
    );
    // Sundays 01:30; on 2026-11-01 01:30 happens twice: EDT first.
    let start = at(ny, "2026-10-25 01:30");
    let rule = Rule::weekly_until_date(start, ny, "2026-11-01").unwrap();
    let occ = rule.all_occurrences(start, ny);
    assert_eq!(occ[1], 1_793_511_000, "{}", ny.label(occ[1])); // 05:30 UTC
    assert_eq!(ny.label(occ[1]), "GMT-4 America/New_York");
}

#[test]
fn windows_return_exactly_the_overlapping_occurrences() {
    let sh = zone("Asia/Shanghai");
    let (start, all) = weekly_nine(sh);
    let rule = Rule::weekly_until_date(start, sh, "2027-12-31").unwrap();
    let hour = 3600;
    // From the middle of occurrence 10 to the start of occurrence 20.
    let got = rule.occurrences(start, hour, sh, all[10] + 1800, all[20]);
    assert_eq!(got, all[10..20]);
    // Ended exactly at `from`: not running any more.
    assert_eq!(
        rule.occurrences(start, hour, sh, all[10] + hour, all[20] + 1),
        all[11..=20]
    );
    assert_eq!(
        rule.occurrences(start, hour, sh, all[30], all[30]),
        Vec::<i64>::new()
    );
    assert_eq!(
        rule.occurrences(start, hour, sh, 0, start),
        Vec::<i64>::new()
    );
    assert_eq!(rule.occurrences(start, hour, sh, 0, i64::MAX), all);
    let after = all[all.len() - 1] + hour;
    assert_eq!(
        rule.occurrences(start, hour, sh, after, i64::MAX),
        Vec::<i64>::new()
    );
}

#[test]
fn current_or_next_follows_the_join_windows() {
    let sh = zone("Asia/Shanghai");
    let (start, all) = weekly_nine(sh);
    let rule = Rule::weekly_until_date(start, sh, "2027-12-31").unwrap();
    let (len, adv) = (3600, 900);
    let pick = |now| rule.current_or_next(start, len, sh, now, adv);
    assert_eq!(pick(start - WEEK), Some(all[0]));
    assert_eq!(pick(all[5] - adv), Some(all[5]));
    assert_eq!(pick(all[5] + len - 1), Some(all[5]));
    assert_eq!(pick(all[5] + len), Some(all[6]));
    assert_eq!(pick(all[103] + 10), Some(all[103]));
    assert_eq!(pick(all[103] + len), None);

    // Daily 24h meetings from 09:00: at 08:50 the previous one still runs, the next one is open.
    let long = 24 * 3600;
    let daily = Rule::from_cycle_role("daily", 1, &[], &[], start + 10 * DAY, start, sh).unwrap();
    let now = start + DAY - 600;
    assert_eq!(
        daily.current_or_next(start, long, sh, now, adv),
        Some(start + DAY)
    );
    assert_eq!(daily.current_or_next(start, long, sh, now, 0), Some(start));
}

#[test]
fn never_recurring_rules_are_just_their_start() {
    let sh = zone("Asia/Shanghai");
    let april = at(sh, "2026-04-30 09:00");
    let until = april + 700 * DAY;
    let rule = Rule::from_cycle_role("monthly", 12, &[], &[31], until, april, sh).unwrap();
    assert_eq!(rule.all_occurrences(april, sh), [april]);
    let tuesdays = ["TU".to_owned()];
    let thursday = at(sh, "2026-04-30 09:00");
    let rule = Rule::from_cycle_role("daily", 7, &tuesdays, &[], until, thursday, sh).unwrap();
    assert_eq!(rule.all_occurrences(thursday, sh), [thursday]);
    let rule = Rule::from_cycle_role("daily", 3, &tuesdays, &[], until, thursday, sh).unwrap();
    assert_eq!(rule.all_occurrences(thursday, sh).len(), 1 + 700 / 21);
}

#[test]
fn the_v1_end_date_is_an_inclusive_local_date() {
    let ny = zone("America/New_York");
    let start = at(ny, "2026-01-05 23:30");
    let rule = Rule::weekly_until_date(start, ny, "2026-01-19").unwrap();
    assert_eq!(rule.until, at(ny, "2026-01-20 00:00") - 1);
    assert_eq!(
        dates(&rule, start, ny),
        ["2026-01-05", "2026-01-12", "2026-01-19"]
    );
    assert_eq!(
        rule.to_rrule_string(),
        "FREQ=WEEKLY;INTERVAL=1;UNTIL=20260120T045959Z"
    );
}

#[test]
fn a_gap_at_midnight_drops_that_occurrence() {
    // Chile springs forward at 24:00 on Saturday 2026-09-05: 00:30 on the 6th does not exist and
    // neither does that midnight, so rrule has no instant to move to (see the module's notes).
    let scl = zone("America/Santiago");
    let start = at(scl, "2026-09-04 00:30");
    let rule = Rule::from_cycle_role("daily", 1, &[], &[], start + 3 * DAY, start, scl).unwrap();
    assert_eq!(
        dates(&rule, start, scl),
        ["2026-09-04", "2026-09-05", "2026-09-07"]
    );
}
