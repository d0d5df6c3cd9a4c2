//! Reading and listing bookings: a meeting with its host, a host's meetings, a customer's
//! meetings for its admin. Each answer comes with the sessions its status is derived from.

use super::bookings::{Bookings, MAX_AHEAD_SECS, check_window};
use super::meetings::MeetingNow;
use super::series::occurrence_views;
use crate::error::{ApiError, ApiResult};
use huiyi_domain::{Booking, Credential, Customer, PasswordType, SessionIndex, User, UserId};
use huiyi_store::{PasscodeOwner, Window};
use huiyi_wire::Code;
use huiyi_wire::requests::{AdminListRequest, HostListRequest, InfosBy, InfosRequest, Target};
use std::collections::HashMap;

/// A host's meetings: every occurrence in the window, each as a booking of its own.
pub struct HostListing {
    pub host: User,
    pub meetings: Vec<Booking>,
    pub sessions: SessionIndex,
}

/// A page of a customer's bookings, each occurrence in the window with its host.
pub struct AdminListing {
    pub meetings: Vec<(Booking, User)>,
    pub sessions: SessionIndex,
}

impl Bookings {
    /// This customer's meeting now, with its host.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn read(
        &self,
        c: &Customer,
        target: &Target,
        now: i64,
    ) -> ApiResult<(MeetingNow, User)> {
        let meeting = self.meetings.find(c, target, now).await?;
        let host = self.host_of(c, &meeting.view).await?;
        Ok((meeting, host))
    }

    /// 17: a meeting by conference id or host passcode; an acting user, when named, must be
    /// one of this customer's.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn infos(
        &self,
        c: &Customer,
        req: &InfosRequest,
        now: i64,
    ) -> ApiResult<(MeetingNow, User)> {
        if !req.who.is_empty() {
            self.user(c, &req.who).await?;
        }
        match &req.by {
            InfosBy::Conference(id) => self.read(c, &Target::Conference(id.clone()), now).await,
            InfosBy::Pcode(p) => self.find_by_pcode(c, p, now).await,
        }
    }

    /// The meeting a passcode opens: a dynamic pair opens its booking; a host's fixed pair
    /// opens that host's current or next fixed-passcode meeting.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn find_by_pcode(
        &self,
        c: &Customer,
        pcode: &str,
        now: i64,
    ) -> ApiResult<(MeetingNow, User)> {
        let missing = || ApiError::conference_not_found(format!("with pcode {pcode}"));
        match self.store.passcode_owner(c.key, pcode).await? {
            None => Err(missing()),
            Some(PasscodeOwner::Booking(e)) => self.read(c, &Target::Event(e), now).await,
            Some(PasscodeOwner::Host(uid)) => {
                let window = Window {
                    from: now,
                    to: now + MAX_AHEAD_SECS,
                };
                let host = self.store.user(c.key, uid).await?.ok_or_else(missing)?;
                let fixed: Vec<Booking> = self
                    .store
                    .host_bookings(c.key, uid, window)
                    .await?
                    .into_iter()
                    .filter(|b| b.password_type == PasswordType::Fixed)
                    .collect();
                let next = occurrence_views(&fixed, window.from, window.to)
                    .into_iter()
                    .find(|b| !b.is_cancelled())
                    .ok_or_else(missing)?;
                Ok((self.meetings.of_view(next).await?, host))
            }
        }
    }

    /// 4 and 18: a host's meetings in the window.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn host_list(
        &self,
        c: &Customer,
        req: &HostListRequest,
        now: i64,
    ) -> ApiResult<HostListing> {
        let (from, to) = req.window.resolve(c.zone, now)?;
        let window = Window { from, to };
        check_window(window)?;
        check_span(window)?;
        let host = self.user(c, &req.host).await?;
        let mut list = self
            .store
            .host_bookings(c.key, host.user_id, window)
            .await?;
        if !req.series {
            list.retain(|b| !b.is_series());
        }
        let mut meetings = occurrence_views(&list, from, to);
        if !req.cancelled {
            meetings.retain(|b| !b.is_cancelled());
        }
        let sessions = self.meetings.index(&meetings).await?;
        Ok(HostListing {
            host,
            meetings,
            sessions,
        })
    }

    /// 23: every booking of the admin's customer in the window, paged by event id. Needs an
    /// admin credential and an `adminUserId` that is an admin of the same customer; that is
    /// judged before the window, and a page holds whole bookings (every occurrence of a series
    /// in the window), so any window may be asked for, page by page.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn customer_list(
        &self,
        t: &Credential,
        req: &AdminListRequest,
        now: i64,
    ) -> ApiResult<AdminListing> {
        let c = &t.customer;
        let refused = || {
            ApiError::new(
                Code::AdminCheckFailed,
                "admin verification failed: use an admin key and an adminUserId that is an admin of the same customer",
            )
        };
        if !t.admin {
            return Err(refused());
        }
        let admin = huiyi_wire::requests::HostRef {
            user_id: req.admin_user_id,
            email: None,
        };
        let user = self.user(c, &admin).await.map_err(|_| refused())?;
        if !user.admin {
            return Err(refused());
        }
        let (from, to) = req.window.resolve(c.zone, now)?;
        let window = Window { from, to };
        check_window(window)?;
        let list = self
            .store
            .customer_bookings(c.key, window, req.after, req.limit)
            .await?;
        let sessions = self.meetings.index(&list).await?;
        let mut hosts: HashMap<UserId, User> = HashMap::new();
        let mut meetings = Vec::with_capacity(list.len());
        for b in &list {
            let host = match hosts.get(&b.host) {
                Some(h) => h.clone(),
                None => {
                    let h = self.host_of(c, b).await?;
                    hosts.insert(b.host, h.clone());
                    h
                }
            };
            for view in occurrence_views(std::slice::from_ref(b), from, to) {
                meetings.push((view, host.clone()));
            }
        }
        Ok(AdminListing { meetings, sessions })
    }
}

/// A host's listing is one unpaged answer, so its window is bounded.
fn check_span(w: Window) -> ApiResult<()> {
    if w.to.saturating_sub(w.from) > MAX_AHEAD_SECS * 2 {
        return Err(ApiError::invalid(
            "the time window may span at most 10 years",
        ));
    }
    Ok(())
}
