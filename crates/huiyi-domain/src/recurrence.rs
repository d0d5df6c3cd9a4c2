//! Recurring meetings: a series is its booked start, its length and a [`Rule`], expanded with the
//! `rrule` crate (RFC 5545) in the series' own IANA zone so that "09:00 every Monday" stays 09:00
//! local across daylight-saving changes.
//!
//! Semantics, fixed here once for the store and the server:
//! - **The booked start is the first occurrence**, whether or not it matches the rule: RFC 5545
//!   makes DTSTART the first instance, and the vendor treats the booked meeting as the first of
//!   its series. The rule then adds every later matching instant up to `until` (inclusive).
//! - **DST gap**: an occurrence whose local time does not exist that day (e.g. 02:30 on the
//!   spring-forward Sunday in New York) is moved forward by the gap, to 03:30 local: RFC 5545
//!   §3.3.5 reads a nonexistent local time with the offset in force before the gap, and `rrule`
//!   does the same. An ambiguous local time (fall back) takes the first of the two instants.
//!   One exception, rrule's: where that day's local midnight is missing or ambiguous too (zones
//!   that switch at midnight, e.g. America/Santiago, for a meeting in the skipped hour) the
//!   occurrence is dropped. The booked start itself is never dropped.
//! - **Months without the day**: `bymonthday` 31 skips 30-day months and February; nothing is
//!   clamped (RFC 5545).
//! - **Cap**: a series spans at most [`MAX_SPAN_DAYS`] local calendar days from its first start
//!   to its end and has at most [`MAX_OCCURRENCES`] occurrences; a longer rule is refused, so
//!   every expansion below is bounded and can be recomputed on demand instead of stored.

use crate::time::{Zone, unix_from_number};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone as _, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Most occurrences in one series, the first included.
pub const MAX_OCCURRENCES: usize = 500;
/// Most local calendar days from a series' first start to its end date (two years, one of them
/// possibly a leap year).
pub const MAX_SPAN_DAYS: i64 = 731;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

impl Frequency {
    pub fn parse(raw: &str) -> Result<Self, RuleError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(Frequency::Daily),
            "weekly" => Ok(Frequency::Weekly),
            "monthly" => Ok(Frequency::Monthly),
            _ => Err(RuleError::Frequency(raw.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        }
    }

    fn to_rrule(self) -> rrule::Frequency {
        match self {
            Frequency::Daily => rrule::Frequency::Daily,
            Frequency::Weekly => rrule::Frequency::Weekly,
            Frequency::Monthly => rrule::Frequency::Monthly,
        }
    }
}

/// A recurrence rule, without its start: the series' start and zone live on the booking, so that
/// moving the booking moves the whole series. Empty `by_day`/`by_month_day` mean RFC 5545's
/// defaults: the start's weekday (weekly) or day of the month (monthly), every day (daily).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub frequency: Frequency,
    pub interval: u16,
    /// Sorted Monday first, without duplicates; stored as `["MO","WE"]`.
    #[serde(with = "weekday_codes", default)]
    pub by_day: Vec<Weekday>,
    /// Sorted, without duplicates, each 1..=31.
    #[serde(default)]
    pub by_month_day: Vec<i8>,
    /// Unix seconds; the last occurrence starts at or before it. From `periodEndDate`, the last
    /// second of that local date.
    pub until: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("frequency {0:?} is not supported; use daily, weekly or monthly")]
    Frequency(String),
    #[error("interval {0} is out of range; use a whole number from 1 to 65535")]
    Interval(i64),
    #[error("byday {0:?} is not a weekday; use MO, TU, WE, TH, FR, SA or SU")]
    ByDay(String),
    #[error("bymonthday {0} is out of range; use days of the month from 1 to 31")]
    ByMonthDay(i64),
    #[error("bymonthday cannot be combined with frequency weekly; use frequency monthly")]
    ByMonthDayWithWeekly,
    #[error("periodEndDate {0:?} is not a date; use YYYY-MM-DD")]
    PeriodEndDate(String),
    #[error("{field} ({end}) is before the meeting's start ({start})")]
    EndBeforeStart {
        field: &'static str,
        end: String,
        start: String,
    },
    #[error(
        "{field} is {days} days after the meeting's start; a recurring meeting may span at most \
         {MAX_SPAN_DAYS} days (2 years)"
    )]
    SpanTooLong { field: &'static str, days: i64 },
    #[error(
        "the recurrence has more than {MAX_OCCURRENCES} occurrences; use a larger interval or an \
         earlier {field}"
    )]
    TooManyOccurrences { field: &'static str },
    #[error("RRULE {rule:?}: {reason}")]
    Rrule { rule: String, reason: String },
}

/// The field an end-date error names when the dialect is unknown.
const END_FIELD: &str = "repeatEndDate/periodEndDate";

impl Rule {
    /// The v1 dialect (`reservConference2`, `cycle` = 2): weekly on the start's weekday and time,
    /// up to and including the local date `period_end_date`.
    pub fn weekly_until_date(
        start: i64,
        zone: Zone,
        period_end_date: &str,
    ) -> Result<Rule, RuleError> {
        let field = "periodEndDate";
        let end = NaiveDate::parse_from_str(period_end_date.trim(), "%Y-%m-%d")
            .map_err(|_| RuleError::PeriodEndDate(period_end_date.to_owned()))?;
        let rule = Rule {
            frequency: Frequency::Weekly,
            interval: 1,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            until: end_of_local_day(zone, end),
        };
        rule.check(start, zone, field)?;
        Ok(rule)
    }

    /// The room dialect (`reservConference`, `cycle` = 1): `cycleRole` with its lists already
    /// split, and `repeatEndDate` in unix seconds (milliseconds are recognised), inclusive.
    pub fn from_cycle_role(
        frequency: &str,
        interval: i64,
        byday: &[String],
        bymonthday: &[i64],
        repeat_end: i64,
        start: i64,
        zone: Zone,
    ) -> Result<Rule, RuleError> {
        let frequency = Frequency::parse(frequency)?;
        let interval = u16::try_from(interval)
            .ok()
            .filter(|&i| i >= 1)
            .ok_or(RuleError::Interval(interval))?;
        let by_day = byday
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| parse_weekday(s).ok_or_else(|| RuleError::ByDay(s.to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        let by_month_day = bymonthday
            .iter()
            .map(|&d| month_day(d))
            .collect::<Result<Vec<_>, _>>()?;
        let rule = Rule {
            frequency,
            interval,
            by_day,
            by_month_day,
            until: unix_from_number(repeat_end),
        }
        .normalised();
        rule.check(start, zone, "repeatEndDate")?;
        Ok(rule)
    }

    /// Checks the rule against its series' start: the parts, the end, and the cap. The
    /// constructors call it; call it again when a booking's start or zone changes.
    pub fn validate(&self, start: i64, zone: Zone) -> Result<(), RuleError> {
        self.check(start, zone, END_FIELD)
    }

    fn check(&self, start: i64, zone: Zone, field: &'static str) -> Result<(), RuleError> {
        self.check_parts()?;
        if self.until < start {
            return Err(RuleError::EndBeforeStart {
                field,
                end: zone.format(self.until),
                start: zone.format(start),
            });
        }
        let days = (local_date(zone, self.until) - local_date(zone, start)).num_days();
        if days > MAX_SPAN_DAYS {
            return Err(RuleError::SpanTooLong { field, days });
        }
        if self.expand(start, zone).nth(MAX_OCCURRENCES).is_some() {
            return Err(RuleError::TooManyOccurrences { field });
        }
        Ok(())
    }

    /// The checks that need no start, shared with [`Rule::from_rrule_string`].
    fn check_parts(&self) -> Result<(), RuleError> {
        if self.interval == 0 {
            return Err(RuleError::Interval(0));
        }
        if let Some(&d) = self.by_month_day.iter().find(|d| !(1..=31).contains(*d)) {
            return Err(RuleError::ByMonthDay(d.into()));
        }
        if self.frequency == Frequency::Weekly && !self.by_month_day.is_empty() {
            return Err(RuleError::ByMonthDayWithWeekly);
        }
        Ok(())
    }

    fn normalised(mut self) -> Rule {
        self.by_day.sort_by_key(|d| d.num_days_from_monday());
        self.by_day.dedup();
        self.by_month_day.sort_unstable();
        self.by_month_day.dedup();
        self
    }

    /// Occurrence starts that overlap `[from, to)`: those starting before `to` and ending (after
    /// `length_secs`) after `from`, so a meeting already running at `from` is included.
    /// Ascending; the walk stops at `to`, and never goes past the cap.
    pub fn occurrences(
        &self,
        start: i64,
        length_secs: i64,
        zone: Zone,
        from: i64,
        to: i64,
    ) -> Vec<i64> {
        self.expand(start, zone)
            .take(MAX_OCCURRENCES)
            .take_while(|&occ| occ < to)
            .filter(|&occ| occ.saturating_add(length_secs) > from)
            .collect()
    }

    /// Every occurrence start, ascending; at most [`MAX_OCCURRENCES`].
    pub fn all_occurrences(&self, start: i64, zone: Zone) -> Vec<i64> {
        self.expand(start, zone).take(MAX_OCCURRENCES).collect()
    }

    /// The occurrence a join at `now` is for. An occurrence's join window is
    /// `[occ - advance_secs, occ + length_secs)`; when several windows contain `now` (a meeting
    /// still running when the next one opens) the latest wins, as whoever joins then is joining
    /// the meeting about to start. With no window open, the next occurrence to start; `None` once
    /// the series is over.
    pub fn current_or_next(
        &self,
        start: i64,
        length_secs: i64,
        zone: Zone,
        now: i64,
        advance_secs: i64,
    ) -> Option<i64> {
        let advance = advance_secs.max(0);
        let mut open = None;
        for occ in self.expand(start, zone).take(MAX_OCCURRENCES) {
            if occ.saturating_sub(advance) > now {
                return open.or(Some(occ));
            }
            if occ.saturating_add(length_secs) > now {
                open = Some(occ);
            }
        }
        open
    }

    /// The rule as an RFC 5545 RRULE value (without `RRULE:`) for calendar invitations, to go
    /// with the booking's start as `DTSTART;TZID=<zone>`, e.g.
    /// `FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;UNTIL=20301231T155959Z`.
    pub fn to_rrule_string(&self) -> String {
        let mut s = format!(
            "FREQ={};INTERVAL={}",
            self.frequency.name().to_ascii_uppercase(),
            self.interval
        );
        if !self.by_day.is_empty() {
            let days: Vec<_> = self.by_day.iter().map(|&d| weekday_code(d)).collect();
            s += &format!(";BYDAY={}", days.join(","));
        }
        if !self.by_month_day.is_empty() {
            let days: Vec<_> = self.by_month_day.iter().map(i8::to_string).collect();
            s += &format!(";BYMONTHDAY={}", days.join(","));
        }
        let until = DateTime::<Utc>::from_timestamp(self.until, 0).unwrap_or_default();
        s + &until.format(";UNTIL=%Y%m%dT%H%M%SZ").to_string()
    }

    /// Reads an RRULE value (an `RRULE:` prefix is allowed) made of the parts a [`Rule`] has:
    /// FREQ (DAILY, WEEKLY, MONTHLY), INTERVAL, BYDAY without ordinals, positive BYMONTHDAY and a
    /// UTC UNTIL. Anything else (COUNT, BYSETPOS, WKST other than MO, ...) is refused rather than
    /// silently dropped. The cap needs a start: call [`Rule::validate`] with it.
    pub fn from_rrule_string(s: &str) -> Result<Rule, RuleError> {
        let refuse = |reason: &str| RuleError::Rrule {
            rule: s.to_owned(),
            reason: reason.to_owned(),
        };
        let value = s.trim();
        let value = match value.get(..6) {
            Some(p) if p.eq_ignore_ascii_case("RRULE:") => &value[6..],
            _ => value,
        };
        let parsed: rrule::RRule<rrule::Unvalidated> = value
            .parse()
            .map_err(|e: rrule::RRuleError| refuse(&e.to_string()))?;
        let frequency = match parsed.get_freq() {
            rrule::Frequency::Daily => Frequency::Daily,
            rrule::Frequency::Weekly => Frequency::Weekly,
            rrule::Frequency::Monthly => Frequency::Monthly,
            other => return Err(RuleError::Frequency(other.to_string())),
        };
        let unsupported = parsed.get_count().is_some()
            || parsed.get_week_start() != Weekday::Mon
            || !parsed.get_by_set_pos().is_empty()
            || !parsed.get_by_month().is_empty()
            || !parsed.get_by_year_day().is_empty()
            || !parsed.get_by_week_no().is_empty()
            || !parsed.get_by_hour().is_empty()
            || !parsed.get_by_minute().is_empty()
            || !parsed.get_by_second().is_empty();
        if unsupported {
            return Err(refuse(
                "only FREQ, INTERVAL, BYDAY, BYMONTHDAY and UNTIL are supported",
            ));
        }
        let by_day = parsed
            .get_by_weekday()
            .iter()
            .map(|nd| match nd {
                rrule::NWeekday::Every(d) => Ok(*d),
                rrule::NWeekday::Nth(..) => Err(RuleError::ByDay(nd.to_string())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let until = match parsed.get_until() {
            Some(u) if u.timezone().name() == "UTC" => u.timestamp(),
            Some(_) => return Err(refuse("UNTIL must be a UTC time ending in Z")),
            None => return Err(refuse("UNTIL is required; open-ended series are not kept")),
        };
        let rule = Rule {
            frequency,
            interval: parsed.get_interval(),
            by_day,
            by_month_day: parsed.get_by_month_day().to_vec(),
            until,
        }
        .normalised();
        rule.check_parts()?;
        Ok(rule)
    }

    /// The series' starts, ascending: `start`, then the rule's instances after it. Bounded even
    /// for a rule that was never validated (e.g. read back from storage): the end is clamped to
    /// the cap, so at most one instance per day for [`MAX_SPAN_DAYS`] days comes out.
    fn expand(&self, start: i64, zone: Zone) -> impl Iterator<Item = i64> + use<> {
        let tz = rrule::Tz::Tz(zone.tz());
        let first_day = local_date(zone, start);
        let last_day = first_day + chrono::Days::new(MAX_SPAN_DAYS as u64);
        let until = self.until.min(end_of_local_day(zone, last_day));
        let set = tz
            .timestamp_opt(start, 0)
            .single()
            .filter(|_| !self.never_recurs(first_day))
            .and_then(|dt_start| {
                let until = rrule::Tz::UTC.timestamp_opt(until, 0).single()?;
                let by_day = self.by_day.iter().map(|&d| rrule::NWeekday::Every(d));
                let mut r = rrule::RRule::new(self.frequency.to_rrule())
                    .interval(self.interval)
                    .until(until)
                    .by_weekday(by_day.collect());
                if !self.by_month_day.is_empty() {
                    r = r.by_month_day(self.by_month_day.clone());
                }
                // `limit` caps rrule's search for a next instance (100k steps), which UNTIL
                // does not stop: only a found instance is compared with UNTIL.
                r.build(dt_start).ok().map(rrule::RRuleSet::limit)
            });
        let rest = set
            .as_ref()
            .map(IntoIterator::into_iter)
            .into_iter()
            .flatten()
            .map(|dt| dt.timestamp())
            .skip_while(move |&t| t <= start);
        std::iter::once(start).chain(rest)
    }

    /// Rules whose instances can never fall after the start, which would make rrule search until
    /// its step limit (milliseconds per expansion) for nothing: every 7n days on a weekday the
    /// start is not, or every 12n months on days the start's month never has.
    fn never_recurs(&self, first_day: NaiveDate) -> bool {
        match self.frequency {
            Frequency::Daily => {
                self.interval.is_multiple_of(7)
                    && !self.by_day.is_empty()
                    && !self.by_day.contains(&first_day.weekday())
            }
            Frequency::Monthly if self.interval.is_multiple_of(12) => {
                let years = i32::from(self.interval / 12);
                // A February is visited every `years` years: leap ones only if some visited year
                // is divisible by 4 (centuries aside, which only make them rarer).
                let leap_reachable = first_day.year().rem_euclid(gcd(years, 4)) == 0;
                let longest = match first_day.month() {
                    2 if leap_reachable => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                !self.by_month_day.is_empty() && self.by_month_day.iter().all(|&d| d > longest)
            }
            _ => false,
        }
    }
}

fn gcd(a: i32, b: i32) -> i32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn local_date(zone: Zone, unix: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .unwrap_or_default()
        .with_timezone(&zone.tz())
        .date_naive()
}

/// The last second whose local date is `date`. Local midnight may be missing (zones that switch
/// at midnight, Samoa skipping a whole day), so the next day's first instant is searched for.
fn end_of_local_day(zone: Zone, date: NaiveDate) -> i64 {
    let next = date.succ_opt().unwrap_or(date);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=48)
        .find_map(|half_hours| {
            let local = midnight + chrono::Duration::minutes(30 * half_hours);
            zone.tz().from_local_datetime(&local).earliest()
        })
        .map_or(i64::MAX, |t| t.timestamp() - 1)
}

fn month_day(d: i64) -> Result<i8, RuleError> {
    i8::try_from(d)
        .ok()
        .filter(|d| (1..=31).contains(d))
        .ok_or(RuleError::ByMonthDay(d))
}

const WEEKDAY_CODES: [(&str, Weekday); 7] = [
    ("MO", Weekday::Mon),
    ("TU", Weekday::Tue),
    ("WE", Weekday::Wed),
    ("TH", Weekday::Thu),
    ("FR", Weekday::Fri),
    ("SA", Weekday::Sat),
    ("SU", Weekday::Sun),
];

fn parse_weekday(code: &str) -> Option<Weekday> {
    WEEKDAY_CODES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code.trim()))
        .map(|&(_, d)| d)
}

fn weekday_code(day: Weekday) -> &'static str {
    WEEKDAY_CODES[day.num_days_from_monday() as usize].0
}

/// Weekdays as RFC 5545 codes in storage, independent of chrono's own serde names.
mod weekday_codes {
    use super::{Weekday, parse_weekday, weekday_code};
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(days: &[Weekday], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(days.iter().map(|&d| weekday_code(d)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|c| parse_weekday(c).ok_or_else(|| D::Error::custom(format!("weekday {c:?}"))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> Zone {
        Zone::parse("Asia/Shanghai").unwrap()
    }

    /// 2026-01-05 09:00 Shanghai, a Monday.
    const START: i64 = 1_767_574_800;
    const DAY: i64 = 86_400;

    fn room(
        freq: &str,
        interval: i64,
        byday: &[&str],
        bymonthday: &[i64],
        end: i64,
    ) -> Result<Rule, RuleError> {
        let byday: Vec<String> = byday.iter().map(|s| s.to_string()).collect();
        Rule::from_cycle_role(freq, interval, &byday, bymonthday, end, START, sh())
    }

    #[test]
    fn bad_rules_are_refused_naming_the_field() {
        let end = START + 30 * DAY;
        let cases = [
            (room("weekly", 0, &["MO"], &[], end), "interval"),
            (room("weekly", 1, &["XX"], &[], end), "byday"),
            (room("monthly", 1, &[], &[32], end), "bymonthday"),
            (room("weekly", 1, &[], &[], START - 1), "repeatEndDate"),
            (room("weekly", 1, &[], &[], START + 800 * DAY), "731 days"),
            (room("daily", 1, &[], &[], START + 600 * DAY), "500"),
            (room("yearly", 1, &[], &[], end), "frequency"),
            (room("weekly", 1, &[], &[3], end), "bymonthday"),
            (
                Rule::weekly_until_date(START, sh(), "2026/01/04"),
                "periodEndDate",
            ),
        ];
        let mut kinds = Vec::new();
        for (got, field) in cases {
            let msg = got.as_ref().expect_err(field).to_string();
            assert!(msg.contains(field), "{msg:?} should name {field}");
            kinds.push(std::mem::discriminant(&got.unwrap_err()));
        }
        for (i, k) in kinds.iter().enumerate() {
            assert!(!kinds[..i].contains(k), "case {i} shares its error kind");
        }
        for (got, field) in [
            (room("monthly", 1, &[], &[0], end), "bymonthday"),
            (room("weekly", -1, &[], &[], end), "interval"),
            (
                Rule::weekly_until_date(START, sh(), "2026-01-04"),
                "periodEndDate",
            ),
            (
                Rule::weekly_until_date(START, sh(), "2028-01-07"),
                "periodEndDate",
            ),
            (
                room("weekly", 1, &[], &[], START + 800 * DAY),
                "repeatEndDate",
            ),
            (
                room("daily", 1, &[], &[], START + 600 * DAY),
                "repeatEndDate",
            ),
        ] {
            let msg = got.expect_err(field).to_string();
            assert!(msg.contains(field), "{msg:?} should name {field}");
        }
    }

    #[test]
    fn the_cap_is_inclusive() {
        // 2026-01-05 + 731 days = 2028-01-06.
        assert!(Rule::weekly_until_date(START, sh(), "2028-01-06").is_ok());
        assert!(room("daily", 1, &[], &[], START + 499 * DAY).is_ok());
        assert!(room("daily", 1, &[], &[], START + 500 * DAY).is_err());
    }

    #[test]
    fn lists_are_lenient_and_normalised() {
        let r = room("Weekly", 1, &["we", " MO", "", "MO"], &[], START + 14 * DAY).unwrap();
        assert_eq!(r.by_day, [Weekday::Mon, Weekday::Wed]);
        let r = room("monthly", 1, &[], &[19, 1, 17, 1], START + 100 * DAY).unwrap();
        assert_eq!(r.by_month_day, [1, 17, 19]);
        let json = serde_json::to_string(
            &room("weekly", 2, &["FR", "MO"], &[], START + 30 * DAY).unwrap(),
        )
        .unwrap();
        assert!(json.contains(r#""by_day":["MO","FR"]"#), "{json}");
        assert!(json.contains(r#""frequency":"weekly""#), "{json}");
        assert_eq!(serde_json::from_str::<Rule>(&json).unwrap().interval, 2);
    }

    #[test]
    fn rrule_strings_refuse_what_a_rule_cannot_hold() {
        let ok = Rule::from_rrule_string(
            "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;UNTIL=20301231T155959Z",
        )
        .unwrap();
        assert_eq!(ok.until, 1_924_963_199);
        assert_eq!(
            ok.to_rrule_string(),
            "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;UNTIL=20301231T155959Z"
        );
        for (s, field) in [
            ("FREQ=WEEKLY;COUNT=3;UNTIL=20301231T155959Z", "RRULE"),
            ("FREQ=WEEKLY;UNTIL=20301231T155959", "UNTIL"),
            ("FREQ=WEEKLY", "UNTIL"),
            ("FREQ=MONTHLY;BYDAY=1MO;UNTIL=20301231T155959Z", "byday"),
            (
                "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20301231T155959Z",
                "bymonthday",
            ),
            ("FREQ=YEARLY;UNTIL=20301231T155959Z", "frequency"),
            ("FREQ=WEEKLY;INTERVAL=0;UNTIL=20301231T155959Z", "interval"),
        ] {
            let msg = Rule::from_rrule_string(s).expect_err(s).to_string();
            assert!(msg.contains(field), "{s}: {msg:?} should name {field}");
        }
    }
}
