//! Time: instants are unix seconds (UTC); local wall-clock times are read and written in an IANA
//! zone, the booking's own or its customer's.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// An IANA time zone, valid by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Zone(Tz);

impl Zone {
    pub fn parse(name: &str) -> Option<Self> {
        name.trim().parse::<Tz>().ok().map(Self)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> Tz {
        self.0
    }

    /// `YYYY-MM-DD HH:MM:SS` in this zone, the vendor's usual local format.
    pub fn format(&self, unix: i64) -> String {
        self.datetime(unix).format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// `YYYY-MM-DD` in this zone: the key under which listings group meetings.
    pub fn date(&self, unix: i64) -> String {
        self.datetime(unix).format("%Y-%m-%d").to_string()
    }

    /// `HH:MM` in this zone, as a room panel shows times of the day.
    pub fn clock(&self, unix: i64) -> String {
        self.datetime(unix).format("%H:%M").to_string()
    }

    /// The local day that holds `unix`, as `[start, end)` in unix seconds. A day that DST
    /// shortens or lengthens keeps its true length; a midnight that does not exist starts the
    /// day at the first instant that does.
    pub fn day_bounds(&self, unix: i64) -> (i64, i64) {
        let day = self.datetime(unix).date_naive();
        let start_of = |d: NaiveDate| {
            (0..=3)
                .find_map(|h| self.instant(d.and_hms_opt(h, 0, 0)?))
                .unwrap_or(unix)
        };
        let next = day.succ_opt().unwrap_or(day);
        (start_of(day), start_of(next))
    }

    fn datetime(&self, unix: i64) -> DateTime<Tz> {
        let utc = DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default();
        utc.with_timezone(&self.0)
    }

    /// The instant of a wall-clock time here. In a DST gap the time does not exist and the
    /// answer is `None`; in an overlap the earlier instant is taken, as calendars do.
    pub fn instant(&self, local: NaiveDateTime) -> Option<i64> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.timestamp()),
            LocalResult::Ambiguous(a, _) => Some(a.timestamp()),
            LocalResult::None => None,
        }
    }

    /// A human label for `timezone` fields that show one, e.g. `GMT+8 Asia/Shanghai`.
    pub fn label(&self, unix: i64) -> String {
        use chrono::Offset;
        let secs = self.datetime(unix).offset().fix().local_minus_utc();
        let (sign, secs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
        let (h, m) = (secs / 3600, secs % 3600 / 60);
        if m == 0 {
            format!("GMT{sign}{h} {}", self.name())
        } else {
            format!("GMT{sign}{h}:{m:02} {}", self.name())
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self(chrono_tz::Asia::Shanghai)
    }
}

impl TryFrom<String> for Zone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Zone::parse(&s).ok_or_else(|| format!("unknown time zone {s:?}"))
    }
}

impl From<Zone> for String {
    fn from(z: Zone) -> String {
        z.name().to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("cannot read {0:?} as a time; use YYYY-MM-DD HH:MM:SS or unix seconds")]
    Unreadable(String),
    #[error("{0:?} does not exist in time zone {1} (it falls in a daylight-saving gap)")]
    Nonexistent(String, &'static str),
}

/// Values above this are taken as milliseconds (it is the year 5138 in seconds).
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

/// Reads a time as the vendor's clients send it: `2013-05-30 14:41:20`, `2020-07-07T14:30:00`,
/// either with an offset or `Z`, a bare date, or unix seconds/milliseconds as digits. Wall-clock
/// times without an offset are read in `zone`.
pub fn parse_time(raw: &str, zone: Zone) -> Result<i64, TimeError> {
    let s = raw.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() <= 16 {
        let n: i64 = s
            .parse()
            .map_err(|_| TimeError::Unreadable(raw.to_owned()))?;
        return Ok(unix_from_number(n));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Ok(t.timestamp());
        }
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(|| TimeError::Unreadable(raw.to_owned()))?;
    zone.instant(naive)
        .ok_or_else(|| TimeError::Nonexistent(raw.to_owned(), zone.name()))
}

/// Unix seconds from a number that may be milliseconds.
pub fn unix_from_number(n: i64) -> i64 {
    if n.unsigned_abs() >= MILLIS_THRESHOLD.unsigned_abs() {
        n / 1000
    } else {
        n
    }
}

pub fn now_unix() -> i64 {
    Utc::now().timestamp()
}

pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> Zone {
        Zone::parse("Asia/Shanghai").unwrap()
    }

    #[test]
    fn reads_every_vendor_format() {
        let want = 1_631_703_600; // 2021-09-15 19:00:00 +08:00
        for s in [
            "2021-09-15 19:00:00",
            "2021-09-15T19:00:00",
            " 2021-09-15 19:00:00 ",
            "2021-09-15T11:00:00Z",
            "2021-09-15T19:00:00+08:00",
            "2021-09-15 19:00:00+08:00",
            "1631703600",
            "1631703600000",
            "2021-09-15 19:00",
        ] {
            assert_eq!(parse_time(s, sh()), Ok(want), "{s}");
        }
        assert_eq!(sh().format(want), "2021-09-15 19:00:00");
        assert_eq!(sh().date(want), "2021-09-15");
        assert_eq!(sh().label(want), "GMT+8 Asia/Shanghai");
        assert_eq!(unix_from_number(i64::MIN), i64::MIN / 1000, "no overflow");
    }

    #[test]
    fn rejects_garbage_and_dst_gaps() {
        assert!(matches!(
            parse_time("tomorrow", sh()),
            Err(TimeError::Unreadable(_))
        ));
        assert!(matches!(
            parse_time("2021-13-45 10:00:00", sh()),
            Err(TimeError::Unreadable(_))
        ));
        let ny = Zone::parse("America/New_York").unwrap();
        assert!(matches!(
            parse_time("2021-03-14 02:30:00", ny),
            Err(TimeError::Nonexistent(..))
        ));
    }
}
