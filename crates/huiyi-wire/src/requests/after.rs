//! Requests about what happened after a meeting: recordings (9, 12, 19) and reports (10).

use crate::codes::WireError;
use crate::lenient::Fields;
use chrono::NaiveDate;
use serde_json::Value;

/// The most host emails one `getConfReplay` takes.
pub const MAX_REPLAY_EMAILS: usize = 10;
/// The longest `dateTime` span, in days, both ends counted.
pub const MAX_REPLAY_DAYS: i64 = 14;
/// The most sessions one `recordsDelete` takes.
pub const MAX_DELETE_IDS: usize = 20;

/// 9 `getConfReplay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayRequest {
    /// As sent (trimmed), in order, without repeats.
    pub emails: Vec<String>,
    /// The local dates from and to (both included); `None`: today in the customer's zone.
    pub dates: Option<(NaiveDate, NaiveDate)>,
}

impl ReplayRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let emails = strings(f, "email")?;
        if emails.is_empty() {
            return Err(WireError::invalid(
                "email is required: one host email, or an array of up to 10",
            ));
        }
        if emails.len() > MAX_REPLAY_EMAILS {
            return Err(WireError::invalid(format!(
                "email holds {} addresses; send at most {MAX_REPLAY_EMAILS} per request",
                emails.len()
            )));
        }
        let dates = match f.nonempty("dateTime")? {
            None => None,
            Some(text) => Some(date_range(&text)?),
        };
        Ok(Self { emails, dates })
    }
}

/// `YYYY-mm-dd~YYYY-mm-dd` (or one date), at most [`MAX_REPLAY_DAYS`] days.
fn date_range(text: &str) -> Result<(NaiveDate, NaiveDate), WireError> {
    let date = |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            WireError::invalid(format!(
                "dateTime must be YYYY-mm-dd~YYYY-mm-dd, e.g. 2020-08-27~2020-08-28; got {text:?}"
            ))
        })
    };
    let (from, to) = match text.split_once('~') {
        Some((a, b)) => (date(a)?, date(b)?),
        None => {
            let d = date(text)?;
            (d, d)
        }
    };
    if to < from {
        return Err(WireError::invalid(format!(
            "dateTime ends ({to}) before it starts ({from})"
        )));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_REPLAY_DAYS {
        return Err(WireError::invalid(format!(
            "dateTime spans {days} days; it may span at most {MAX_REPLAY_DAYS} days"
        )));
    }
    Ok((from, to))
}

/// 19 `getConfReplayById`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayByIdRequest {
    pub conference_id: String,
}

impl ReplayByIdRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let conference_id = f
            .nonempty("conferenceId")?
            .ok_or_else(|| WireError::invalid("conferenceId is required"))?;
        // userId (the host) is accepted and not needed: the credential names the customer.
        f.i64("userId")?;
        Ok(Self { conference_id })
    }
}

/// 10 `getReportData`: the booking's latest ended session, or the one `tempConferenceId` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub conference_id: String,
    pub temp_conference_id: Option<String>,
}

impl ReportRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let conference_id = f
            .nonempty("conferenceId")?
            .ok_or_else(|| WireError::invalid("conferenceId is required"))?;
        f.i64("userId")?;
        Ok(Self {
            conference_id,
            temp_conference_id: f.nonempty("tempConferenceId")?,
        })
    }
}

/// 12 `recordsDelete`. The example's key has a stray space (`"tempConferenceIds "`): keys are
/// trimmed when read, so it arrives as `tempConferenceIds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsDeleteRequest {
    pub user_id: i64,
    pub temp_conference_ids: Vec<String>,
}

impl RecordsDeleteRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let user_id = f
            .i64("userId")?
            .filter(|u| *u > 0)
            .ok_or_else(|| WireError::invalid("userId (the host's) is required"))?;
        let ids = strings(f, "tempConferenceIds")?;
        if ids.is_empty() {
            return Err(WireError::invalid(
                "tempConferenceIds is required: an array of up to 20 tempConferenceIds",
            ));
        }
        if ids.len() > MAX_DELETE_IDS {
            return Err(WireError::invalid(format!(
                "tempConferenceIds holds {} ids; send at most {MAX_DELETE_IDS} per request",
                ids.len()
            )));
        }
        Ok(Self {
            user_id,
            temp_conference_ids: ids,
        })
    }
}

/// One string or an array of strings (numbers accepted as text), trimmed, empties and repeats
/// left out.
fn strings(f: &Fields, key: &str) -> Result<Vec<String>, WireError> {
    let items: Vec<Value> = match f.raw(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if !s.trim_start().starts_with('[') => {
            vec![Value::String(s.clone())]
        }
        Some(_) => f.array(key)?.unwrap_or_default(),
    };
    let mut out: Vec<String> = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let s = match v {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(WireError::invalid(format!(
                    "{}[{i}] must be a string; got {other}",
                    f.name(key)
                )));
            }
        };
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Fields {
        match v {
            Value::Object(m) => Fields::new(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn emails_come_as_one_or_many_within_the_limit() {
        let one = ReplayRequest::parse(&fields(json!({"email": "a@x.com", "dateTime": ""})));
        assert_eq!(one.unwrap().emails, vec!["a@x.com"]);
        let many = ReplayRequest::parse(&fields(json!({"email": ["a@x.com", "b@x.com"]})));
        assert_eq!(many.unwrap().emails.len(), 2);
        let eleven: Vec<String> = (0..11).map(|i| format!("u{i}@x.com")).collect();
        let e = ReplayRequest::parse(&fields(json!({ "email": eleven }))).unwrap_err();
        assert!(e.message.contains("at most 10"), "{}", e.message);
    }

    #[test]
    fn date_ranges_span_at_most_14_days() {
        let r = ReplayRequest::parse(&fields(
            json!({"email": "a@x.com", "dateTime": "2020-08-01~2020-08-14"}),
        ))
        .unwrap();
        assert_eq!(
            r.dates.unwrap().1,
            NaiveDate::from_ymd_opt(2020, 8, 14).unwrap()
        );
        let e = ReplayRequest::parse(&fields(
            json!({"email": "a@x.com", "dateTime": "2020-08-01~2020-08-15"}),
        ))
        .unwrap_err();
        assert!(e.message.contains("at most 14 days"), "{}", e.message);
        assert!(
            ReplayRequest::parse(&fields(
                json!({"email": "a@x.com", "dateTime": "2020/08/01"})
            ))
            .is_err()
        );
    }

    #[test]
    fn the_stray_space_key_and_the_id_limit() {
        let r = RecordsDeleteRequest::parse(&fields(
            json!({"userId": 63873738, "tempConferenceIds": ["5627222221", "89868687677"]}),
        ))
        .unwrap();
        assert_eq!(r.temp_conference_ids.len(), 2);
        let ids: Vec<String> = (0..21).map(|i| format!("{:010}", i)).collect();
        let e =
            RecordsDeleteRequest::parse(&fields(json!({"userId": 1, "tempConferenceIds": ids})))
                .unwrap_err();
        assert!(e.message.contains("at most 20"), "{}", e.message);
    }
}
