//! Recurring bookings in the booking use-cases: building rules from requests, editing one
//! occurrence or the whole series, and seeing a series through its occurrences.

use super::bookings::{check_length, check_settings, check_title, read_start};
use crate::error::{ApiError, ApiResult};
use huiyi_domain::recurrence::Rule;
use huiyi_domain::time::{Zone, parse_time};
use huiyi_domain::{Booking, HeldOccurrence, Invitee, Occurrence, Series};
use huiyi_wire::Code;
use huiyi_wire::requests::{BookingRequest, RecurrenceRequest};

/// The rule a request asks for, anchored at the series' first start in its zone. The room-era
/// `repeatEndDate` names a day: its occurrences count until the end of that local day.
pub(super) fn rule_of(r: &RecurrenceRequest, start: i64, zone: Zone) -> ApiResult<Rule> {
    let rule = match r {
        RecurrenceRequest::WeeklyUntil { period_end_date } => {
            Rule::weekly_until_date(start, zone, period_end_date)
        }
        RecurrenceRequest::CycleRole {
            frequency,
            interval,
            byday,
            bymonthday,
            repeat_end,
        } => {
            let end_of_day = parse_time(&format!("{} 23:59:59", zone.date(*repeat_end)), zone)
                .unwrap_or(*repeat_end);
            Rule::from_cycle_role(
                frequency, *interval, byday, bymonthday, end_of_day, start, zone,
            )
        }
    };
    rule.map_err(|e| ApiError::invalid(e.to_string()))
}

/// The occurrence an edit or cancel names by its original start (unix seconds or local time).
pub(super) fn named_occurrence(b: &Booking, text: &str) -> ApiResult<Occurrence> {
    if !b.is_series() {
        return Err(ApiError::invalid(format!(
            "conference {} is not a recurring meeting; leave out singleStartTime",
            b.conference_id
        )));
    }
    let at =
        parse_time(text, b.zone).map_err(|e| ApiError::invalid(format!("singleStartTime: {e}")))?;
    b.occurrence(at).ok_or_else(|| {
        ApiError::invalid(format!(
            "conference {} has no occurrence starting at {} ({}); give the occurrence's original start",
            b.conference_id,
            text,
            b.zone.format(at)
        ))
    })
}

pub(super) fn check_occurrence_open(b: &Booking, o: &Occurrence, now: i64) -> ApiResult<()> {
    if b.occurrence_cancelled(o) {
        return Err(ApiError::new(
            Code::ConferenceCancelled,
            format!(
                "that occurrence of conference {} is cancelled",
                b.conference_id
            ),
        ));
    }
    if now >= o.end() {
        return Err(ApiError::new(
            Code::ConferenceOver,
            format!("that occurrence of conference {} is over", b.conference_id),
        ));
    }
    Ok(())
}

/// Moves, retitles or resizes one occurrence of a series.
pub(super) fn edit_occurrence(
    b: &mut Booking,
    text: &str,
    req: &BookingRequest,
    now: i64,
) -> ApiResult<()> {
    let o = named_occurrence(b, text)?;
    check_occurrence_open(b, &o, now)?;
    let mut ex = b
        .series
        .as_ref()
        .and_then(|s| s.exceptions.get(&o.ori_start).cloned())
        .unwrap_or_default();
    if let Some(start_text) = &req.start {
        let start = parse_time(start_text, b.zone)
            .map_err(|e| ApiError::invalid(format!("starttime: {e}")))?;
        if start != o.start {
            ex.start = Some(read_start(start_text, b.zone, now)?);
        }
    }
    if let Some(len) = req.length {
        ex.length_minutes = Some(check_length(len)?);
    }
    if let Some(title) = req.title.clone().filter(|t| !t.is_empty()) {
        ex.title = Some(check_title(title)?);
    }
    if let Some(series) = b.series.as_mut() {
        series.exceptions.insert(o.ori_start, ex);
    }
    Ok(())
}

/// Applies an edit to the whole booking. For a series, the occurrences that have begun are
/// frozen first, so the edit changes only what is still to come.
pub(super) fn edit_whole(
    b: &mut Booking,
    req: &BookingRequest,
    invitees: Option<&Vec<Invitee>>,
    now: i64,
) -> ApiResult<()> {
    let before = (b.start, b.zone, b.series.as_ref().map(|s| s.rule.clone()));
    if let Some(series) = b.series.clone() {
        let held: Vec<HeldOccurrence> = b
            .occurrences()
            .into_iter()
            .filter(|o| o.start < now)
            .map(|o| HeldOccurrence {
                cancelled: b.occurrence_cancelled(&o),
                ori_start: o.ori_start,
                start: o.start,
                length_minutes: o.length_minutes,
                title: o.title,
            })
            .collect();
        let rule_from = held
            .iter()
            .map(|h| h.ori_start + 1)
            .chain(std::iter::once(series.rule_from))
            .max()
            .unwrap_or(series.rule_from);
        let exceptions = series
            .exceptions
            .into_iter()
            .filter(|(ori, _)| *ori >= rule_from)
            .collect();
        b.series = Some(Series {
            rule: series.rule,
            rule_from,
            history: held,
            exceptions,
        });
    }
    if let Some(z) = req.timezone {
        b.zone = z;
    }
    if let Some(text) = &req.start {
        let start =
            parse_time(text, b.zone).map_err(|e| ApiError::invalid(format!("starttime: {e}")))?;
        if start != b.start {
            b.start = read_start(text, b.zone, now)?;
        }
    }
    if let Some(len) = req.length {
        b.length_minutes = check_length(len)?;
    }
    if let Some(title) = req.title.clone().filter(|t| !t.is_empty()) {
        b.title = check_title(title)?;
    }
    if let Some(s) = &req.summary {
        b.details.summary = s.clone();
    }
    if let Some(s) = &req.location {
        b.details.location = s.clone();
    }
    if let Some(s) = &req.source {
        b.details.source = s.clone();
    }
    if let Some(list) = invitees {
        b.invitees = list.clone();
    }
    b.details.settings.merge(req.settings.clone());
    check_settings(&b.details.settings)?;
    if let Some(r) = &req.recurrence {
        let rule = rule_of(r, b.start, b.zone)?;
        match b.series.as_mut() {
            Some(series) => series.rule = rule,
            None => b.series = Some(Series::new(rule, b.start)),
        }
    }
    let after = (b.start, b.zone, b.series.as_ref().map(|s| s.rule.clone()));
    if let Some(series) = b.series.as_mut() {
        if before != after {
            // The rule's occurrences moved: changes made to single occurrences no longer name
            // an occurrence that exists.
            series.exceptions.clear();
            series.rule_from = series.rule_from.max(now);
        }
        series
            .rule
            .validate(b.start, b.zone)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
    }
    Ok(())
}

/// Every occurrence of these bookings overlapping `[from, to)`, each as a booking of its own,
/// ordered by start. An occurrence cancelled on its own is gone from listings; the occurrences
/// of a cancelled series remain, cancelled, like a cancelled single meeting.
pub fn occurrence_views(bookings: &[Booking], from: i64, to: i64) -> Vec<Booking> {
    let mut out: Vec<Booking> = bookings
        .iter()
        .flat_map(|b| {
            if b.is_series() {
                b.occurrences_in(from, to)
                    .iter()
                    .filter(|o| !o.cancelled)
                    .map(|o| b.as_occurrence(o))
                    .collect()
            } else {
                vec![b.clone()]
            }
        })
        .collect();
    out.sort_by_key(|b| (b.start, b.event_id));
    out
}
