//! Booking meetings: book, edit and cancel. Reading and listing are in `lookups.rs`; what is
//! particular to series lives in `series.rs`.

use super::meetings::Meetings;
use super::rooms::keep_approvals;
use super::series::{
    check_occurrence_open, edit_occurrence, edit_whole, named_occurrence, rule_of,
};
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use huiyi_domain::Series;
use huiyi_domain::delivery::{Notice, NoticeChange};
use huiyi_domain::time::{Zone, parse_time};
use huiyi_domain::{
    Booking, Customer, Details, EventId, Invitee, MAX_INVITEES, MAX_LENGTH_MINUTES,
    MAX_TITLE_CHARS, NewBooking, PasswordType, Status, User, UserId,
};
use huiyi_store::{Store, StoreError, Window};
use huiyi_wire::Code;
use huiyi_wire::requests::{BookingRequest, HostRef, InviteeRef, Target};
use std::sync::Arc;

/// How far ahead a meeting may be booked.
pub(super) const MAX_AHEAD_SECS: i64 = 5 * 366 * 86_400;
/// A start this far in the past is still accepted (clock skew, "start now" bookings).
const PAST_GRACE_SECS: i64 = 300;
/// Optimistic-concurrency retries for edits and cancels.
const WRITE_RETRIES: usize = 3;

#[derive(Clone)]
pub struct Bookings {
    pub(super) store: Arc<dyn Store>,
    pub(super) meetings: Meetings,
    pub(super) clock: Clock,
    /// An SMTP server is configured: `email_notify` enqueues letters.
    mail: bool,
    /// An SMS gateway is configured: `sms_notify` enqueues texts.
    sms: bool,
}

/// Whom a change is told to, as its request asks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Notify {
    /// `email_notify`: the invitees (and the host) get a letter.
    pub email: bool,
    /// `sms_notify`: the invitees with a mobile number get a text.
    pub sms: bool,
    /// English letters; else zh-CN. `None`: the customer's language.
    pub english: Option<bool>,
}

impl Bookings {
    pub fn new(
        store: Arc<dyn Store>,
        meetings: Meetings,
        clock: Clock,
        mail: bool,
        sms: bool,
    ) -> Self {
        Self {
            store,
            meetings,
            clock,
            mail,
            sms,
        }
    }

    /// The host, when a change is to be told by letter and the customer lets hosts have one.
    async fn told_host(
        &self,
        notify: Notify,
        c: &Customer,
        b: &Booking,
    ) -> ApiResult<Option<User>> {
        if notify.email && self.mail && c.host_mail {
            Ok(self.store.user(c.key, b.host).await?)
        } else {
            Ok(None)
        }
    }

    /// One letter per person told of a change: each invitee with an email and the host, once
    /// per address, when `email_notify` asks and an SMTP server is configured; and one text per
    /// invitee with a mobile number, when `sms_notify` asks and an SMS gateway is configured.
    fn notices(
        &self,
        c: &Customer,
        notify: Notify,
        invitees: &[Invitee],
        host: Option<&User>,
        change: NoticeChange,
    ) -> Vec<Notice> {
        let english = notify.english.unwrap_or(c.english);
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut add = |name: &str, to: String, sms: bool| {
            if seen.insert((sms, to.to_ascii_lowercase())) {
                out.push(Notice {
                    to_name: name.to_owned(),
                    to,
                    sms,
                    english,
                    change,
                });
            }
        };
        if notify.email && !self.mail {
            tracing::info!(
                "email_notify asks for letters, but no smtp_url is configured: none is sent"
            );
        } else if notify.email {
            let host = host.map(|h| (h.display_name(), h.email.clone()));
            let people = invitees
                .iter()
                .map(|i| (i.name.clone(), i.email.clone()))
                .chain(host);
            for (name, email) in people.filter(|(_, e)| e.contains('@')) {
                add(&name, email.trim().to_owned(), false);
            }
        }
        if notify.sms && !self.sms {
            tracing::info!(
                "sms_notify asks for texts, but no sms_webhook_url is configured: none is sent"
            );
        } else if notify.sms {
            for i in invitees {
                if let Some(mobile) = e164(&i.mobile) {
                    add(&i.name, mobile, true);
                }
            }
        }
        out
    }

    /// The user a request names as host (or acting user): 51104 when there is none in this
    /// customer, exactly as for a user that does not exist at all.
    pub async fn user(&self, c: &Customer, who: &HostRef) -> ApiResult<User> {
        let customer = c.key;
        let found = match (who.user_id, &who.email) {
            (Some(id), _) => match UserId::new(id) {
                Some(uid) => self.store.user(customer, uid).await?,
                None => None,
            },
            (None, Some(email)) => self.store.user_by_email(customer, email).await?,
            (None, None) => {
                return Err(ApiError::invalid(
                    "userId is required (or email when no userId is known)",
                ));
            }
        };
        found.ok_or_else(|| {
            ApiError::host_not_found(match (who.user_id, &who.email) {
                (Some(id), _) => id.to_string(),
                (None, Some(e)) => e.clone(),
                _ => String::new(),
            })
        })
    }

    /// Returns the booking as stored, with its host.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn book(&self, c: &Customer, mut req: BookingRequest) -> ApiResult<(Booking, User)> {
        let host = self.user(c, &req.host).await?;
        let now = self.clock.now();
        let zone = req.timezone.unwrap_or(c.zone);
        let start_text = req.start.as_deref().ok_or_else(|| {
            ApiError::invalid("starttime is required, e.g. \"2020-09-07 20:00:00\"")
        })?;
        let start = read_start(start_text, zone, now)?;
        let length = check_length(req.length.ok_or_else(|| {
            ApiError::invalid("length is required: the meeting's length in minutes")
        })?)?;
        let title = match req.title.filter(|t| !t.is_empty()) {
            Some(t) => check_title(t)?,
            None => format!("{}的会议", host.display_name()),
        };
        let invitees = match req.invitees {
            Some(list) => self.resolve_invitees(c, list).await?,
            None => Vec::new(),
        };
        check_settings(&req.settings)?;
        self.check_rooms(c, &mut req.settings.rooms).await?;
        let series = match &req.recurrence {
            Some(r) => Some(Series::new(rule_of(r, start, zone)?, start)),
            None => None,
        };
        let new = NewBooking {
            customer: c.key,
            host: host.user_id,
            title,
            start,
            length_minutes: length,
            zone,
            password_type: req.password_type.unwrap_or(PasswordType::Fixed),
            invitees,
            details: Details {
                summary: req.summary.unwrap_or_default(),
                location: req.location.unwrap_or_default(),
                source: req.source.unwrap_or_default(),
                settings: req.settings,
                boxes: Vec::new(),
            },
            created_at: now,
            series,
            notices: Vec::new(),
        };
        let notify = Notify {
            email: new.details.settings.email_notify == Some(true),
            sms: new.details.settings.sms_notify == Some(true),
            english: None,
        };
        let told_host = Some(&host).filter(|_| c.host_mail);
        let notices = self.notices(c, notify, &new.invitees, told_host, NoticeChange::Request);
        let new = NewBooking { notices, ..new };
        let booking = self.store.create_booking(&new).await?;
        tracing::info!(event_id = booking.event_id, conference_id = %booking.conference_id, "booked");
        Ok((booking, host))
    }

    /// Changes only the fields the request names. Ids and passcodes stay; `password_type` on
    /// an edit is ignored for that reason. An edit naming one occurrence of a series
    /// (`singleStartTime` / `ori_start`) moves, retitles or resizes that occurrence alone; an
    /// edit without one changes the whole series from now on, and occurrences that have already
    /// begun keep the times and title they were held with.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn edit(&self, c: &Customer, mut req: BookingRequest) -> ApiResult<(Booking, User)> {
        let target = target_of(&req.conference_id, req.event_id)?;
        let actor = if req.host.is_empty() {
            None
        } else {
            Some(self.user(c, &req.host).await?)
        };
        let invitees = match req.invitees.clone() {
            Some(list) => Some(self.resolve_invitees(c, list).await?),
            None => None,
        };
        check_settings(&req.settings)?;
        self.check_rooms(c, &mut req.settings.rooms).await?;
        for _ in 0..WRITE_RETRIES {
            let now = self.clock.now();
            let mut b = self.writable(c, &target, actor.as_ref(), now).await?;
            let rooms_before = b.details.settings.rooms.clone();
            let change = match &req.occurrence {
                Some(text) => {
                    let ori_start = named_occurrence(&b, text)?.ori_start;
                    edit_occurrence(&mut b, text, &req, now)?;
                    NoticeChange::RequestOccurrence { ori_start }
                }
                None => {
                    edit_whole(&mut b, &req, invitees.as_ref(), now)?;
                    NoticeChange::Request
                }
            };
            keep_approvals(rooms_before.as_deref(), &mut b.details.settings.rooms);
            let notify = Notify {
                email: req.settings.email_notify == Some(true),
                sms: req.settings.sms_notify == Some(true),
                english: None,
            };
            let host = self.told_host(notify, c, &b).await?;
            let notices = self.notices(c, notify, &b.invitees, host.as_ref(), change);
            match self.store.update_booking_telling(&b, now, &notices).await {
                Ok(saved) => {
                    self.meetings.forget(saved.event_id);
                    let host = self.host_of(c, &saved).await?;
                    return Ok((saved, host));
                }
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => return Err(ApiError::conference_not_found(target)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// Cancels the booking (a series: every occurrence still to come), or with `occurrence`
    /// only the occurrence of a series that the rule started at that time.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn cancel(
        &self,
        c: &Customer,
        target: &Target,
        actor: &HostRef,
        occurrence: Option<&str>,
        notify: Notify,
    ) -> ApiResult<Booking> {
        let actor = if actor.is_empty() {
            None
        } else {
            Some(self.user(c, actor).await?)
        };
        for _ in 0..WRITE_RETRIES {
            let now = self.clock.now();
            let mut b = self.writable(c, target, actor.as_ref(), now).await?;
            let host = self.told_host(notify, c, &b).await?;
            let write = match occurrence {
                Some(text) => {
                    let o = named_occurrence(&b, text)?;
                    check_occurrence_open(&b, &o, now)?;
                    if let Some(series) = b.series.as_mut() {
                        series.exceptions.entry(o.ori_start).or_default().cancelled = true;
                    }
                    let change = NoticeChange::CancelOccurrence {
                        ori_start: o.ori_start,
                    };
                    let notices = self.notices(c, notify, &b.invitees, host.as_ref(), change);
                    self.store.update_booking_telling(&b, now, &notices).await
                }
                None => {
                    let notices =
                        self.notices(c, notify, &b.invitees, host.as_ref(), NoticeChange::Cancel);
                    self.store.cancel_booking_telling(&b, now, &notices).await
                }
            };
            match write {
                Ok(saved) => {
                    self.meetings.forget(saved.event_id);
                    tracing::info!(event_id = saved.event_id, "cancelled");
                    return Ok(saved);
                }
                Err(StoreError::Conflict) => continue,
                Err(StoreError::NotFound) => return Err(ApiError::conference_not_found(target)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// The booking, if it may still be changed by `actor` (its host or an admin).
    async fn writable(
        &self,
        c: &Customer,
        target: &Target,
        actor: Option<&User>,
        now: i64,
    ) -> ApiResult<Booking> {
        let b = self.meetings.booking(c.key, target).await?;
        if let Some(a) = actor
            && a.user_id != b.host
            && !a.admin
        {
            return Err(ApiError::invalid(format!(
                "user {} is neither the host of conference {} nor an admin",
                a.user_id, b.conference_id
            )));
        }
        match b.status_at(now) {
            Status::Cancelled => Err(ApiError::new(
                Code::ConferenceCancelled,
                format!(
                    "conference {} is cancelled and can no longer be changed",
                    b.conference_id
                ),
            )),
            Status::Ended | Status::Expired => Err(over(&b)),
            // A single meeting whose session its host has ended (status 4) is over too, even
            // before its booked end. A series goes on to its next occurrence.
            _ if !b.is_series() && self.held_and_ended(&b).await? => Err(over(&b)),
            _ => Ok(b),
        }
    }

    async fn held_and_ended(&self, b: &Booking) -> ApiResult<bool> {
        let latest = self.store.latest_sessions(&[b.event_id]).await?;
        Ok(latest
            .iter()
            .filter(|s| s.occurrence == b.occurrence_key())
            .max_by_key(|s| s.id)
            .is_some_and(|s| !s.is_open()))
    }

    /// A booking's host; its absence is a broken database, not a client's mistake.
    pub async fn host_of(&self, c: &Customer, b: &Booking) -> ApiResult<User> {
        self.store.user(c.key, b.host).await?.ok_or_else(|| {
            tracing::error!(event_id = b.event_id, "booking's host is missing");
            ApiError::new(Code::Internal, "the meeting's host account is missing")
        })
    }

    async fn resolve_invitees(
        &self,
        c: &Customer,
        list: Vec<InviteeRef>,
    ) -> ApiResult<Vec<Invitee>> {
        if list.len() > MAX_INVITEES {
            return Err(ApiError::invalid(format!(
                "at most {MAX_INVITEES} invitees may be given; got {}",
                list.len()
            )));
        }
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            match item {
                InviteeRef::User { user_id, name } => {
                    let user = match UserId::new(user_id) {
                        Some(uid) => self.store.user(c.key, uid).await?,
                        None => None,
                    }
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "invitee userId {user_id} is not a user of this customer"
                        ))
                    })?;
                    out.push(Invitee {
                        user_id: Some(user.user_id),
                        name: if name.is_empty() {
                            user.display_name()
                        } else {
                            name
                        },
                        email: user.email,
                        mobile: user.mobile,
                    });
                }
                InviteeRef::External {
                    name,
                    email,
                    mobile,
                } => out.push(Invitee {
                    user_id: None,
                    name,
                    email,
                    mobile,
                }),
            }
        }
        Ok(out)
    }
}

fn over(b: &Booking) -> ApiError {
    ApiError::new(
        Code::ConferenceOver,
        format!(
            "conference {} is over and can no longer be changed",
            b.conference_id
        ),
    )
}

fn target_of(conference_id: &Option<String>, event_id: Option<EventId>) -> ApiResult<Target> {
    match (conference_id, event_id) {
        (Some(c), _) => Ok(Target::Conference(c.clone())),
        (None, Some(e)) => Ok(Target::Event(e)),
        (None, None) => Err(ApiError::invalid("conferenceId (or eventId) is required")),
    }
}

pub(super) fn read_start(text: &str, zone: Zone, now: i64) -> ApiResult<i64> {
    let start = parse_time(text, zone).map_err(|e| ApiError::invalid(format!("starttime: {e}")))?;
    if start < now - PAST_GRACE_SECS {
        return Err(ApiError::invalid(format!(
            "starttime {text:?} is in the past; book meetings that start from now on"
        )));
    }
    if start > now + MAX_AHEAD_SECS {
        return Err(ApiError::invalid(format!(
            "starttime {text:?} is more than 5 years ahead"
        )));
    }
    Ok(start)
}

pub(super) fn check_length(len: i64) -> ApiResult<i64> {
    if (1..=MAX_LENGTH_MINUTES).contains(&len) {
        Ok(len)
    } else {
        Err(ApiError::invalid(format!(
            "length must be between 1 and {MAX_LENGTH_MINUTES} minutes; got {len}"
        )))
    }
}

pub(super) fn check_title(title: String) -> ApiResult<String> {
    let n = title.chars().count();
    if n > MAX_TITLE_CHARS {
        return Err(ApiError::invalid(format!(
            "title must be at most {MAX_TITLE_CHARS} characters; got {n}"
        )));
    }
    if title.chars().any(|c| c.is_control()) {
        return Err(ApiError::invalid(
            "title must not contain control characters",
        ));
    }
    Ok(title)
}

pub(super) fn check_settings(s: &huiyi_domain::Settings) -> ApiResult<()> {
    if s.open_watchword == Some(true) && s.event_watchword.as_deref().unwrap_or("").is_empty() {
        return Err(ApiError::invalid(
            "openWatchword is 1, so eventWatchword must not be empty",
        ));
    }
    if s.join_conf_sel_tag == Some(true) && s.join_conf_tags.as_deref().unwrap_or("").is_empty() {
        return Err(ApiError::invalid(
            "joinConfSelTag is 1, so joinConfTags must list the tags, e.g. \"aa,bb\"",
        ));
    }
    Ok(())
}

pub(super) fn check_window(w: Window) -> ApiResult<()> {
    if w.to <= w.from {
        return Err(ApiError::invalid(
            "the end of the time window must be after its start",
        ));
    }
    Ok(())
}

/// A mobile number as the SMS gateway takes it (E.164): `13800138000` and `0086 138…` are
/// Chinese, `+…` is kept; anything without 6 digits is none.
fn e164(mobile: &str) -> Option<String> {
    let t = mobile.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return None;
    }
    Some(if t.starts_with('+') {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("0086") {
        format!("+86{rest}")
    } else if digits.len() == 11 && digits.starts_with('1') {
        format!("+86{digits}")
    } else {
        format!("+{digits}")
    })
}

#[cfg(test)]
mod tests {
    use super::e164;

    #[test]
    fn mobiles_are_written_as_e164() {
        assert_eq!(e164("13800138000").as_deref(), Some("+8613800138000"));
        assert_eq!(e164("+86 138-0013-8000").as_deref(), Some("+8613800138000"));
        assert_eq!(e164("0086 13800138000").as_deref(), Some("+8613800138000"));
        assert_eq!(e164("+1 650 253 0000").as_deref(), Some("+16502530000"));
        assert_eq!(e164(""), None);
        assert_eq!(e164("n/a"), None);
    }
}
