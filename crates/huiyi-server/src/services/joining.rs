//! Joining: opening a short link `/k/<code>` (the join page and the live socket call
//! [`Joining::open_link`]), and handing out what leads there — join
//! links, secure and login-free (endpoints 7 and 21), launch strings (8) and client logins (22).
//!
//! Tokens are random, shown once in the answer that hands them out, and stored as SHA-256 only.
//! A secure token is good for `usableCount` opens within `timeout` minutes; a login-free token
//! for one open, a login token for one login, each within 24 hours. Uses are taken by one atomic
//! statement in the store, so opens racing on any number of replicas never exceed them.

use super::bookings::Bookings;
use super::meetings::{MeetingNow, Meetings};
use crate::error::{ApiError, ApiResult};
use huiyi_domain::secrets::KeyHash;
use huiyi_domain::{
    Booking, Customer, CustomerKey, JoinToken, JoinTokenKind, LinkRole, NewJoinToken, SessionIndex,
    SessionState, TokenSecret, User, UserId,
};
use huiyi_store::Store;
use huiyi_wire::Code;
use huiyi_wire::joining::{
    CLIENT_APP, CLIENT_LANG, CLIENT_SITE, JoinRequest, LaunchClientRequest, LaunchRequest,
    MeetingByPasscode, NoSecretRequest, launch_settings, named_link, token_link,
};
use huiyi_wire::launch::LaunchFields;
use huiyi_wire::requests::HostRef;
use huiyi_wire::requests::Target;
use std::sync::Arc;

/// How long a login-free link (21) and a client login (22) stay usable.
pub const ONE_USE_TOKEN_SECS: i64 = 24 * 3600;

/// Why a link does not open. The join page answers 404 for `Unknown` and 410 for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// No link has this code.
    Unknown,
    /// The meeting is more than 12 hours past its booked end, or the link's token is unknown,
    /// expired, of another kind, for another link, or (login-free) for another `wuid`.
    Expired,
    /// The link's token has no use left.
    UsedUp,
    /// The meeting is cancelled.
    Cancelled,
    /// The server could not tell (the database failed); the cause is logged. Try again.
    Unavailable,
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LinkError::Unknown => "there is no meeting at this link",
            LinkError::Expired => "this link has expired",
            LinkError::UsedUp => "this link has been used as often as it may be",
            LinkError::Cancelled => "this meeting has been cancelled",
            LinkError::Unavailable => "the link could not be opened just now; try again",
        })
    }
}

impl std::error::Error for LinkError {}

/// A link that opened: the meeting it leads to and who opens it.
#[derive(Debug, Clone)]
pub struct OpenedLink {
    /// The current meeting (a series: the occurrence whose session is open, else the current
    /// or next one), as `Meetings` resolves it.
    pub booking: Booking,
    pub sessions: SessionIndex,
    pub customer: Customer,
    pub host: User,
    pub role: LinkRole,
    /// The user a secure (7) or login-free (21) token is bound to.
    pub user: Option<User>,
    /// The name a token was issued with. A plain link's `?name=` is in the page's query, which
    /// the page reads itself.
    pub name: Option<String>,
}

#[derive(Clone)]
pub struct Joining {
    store: Arc<dyn Store>,
    bookings: Bookings,
    meetings: Meetings,
    /// The base of every link, without a trailing slash.
    public_url: Arc<str>,
}

/// The meeting a joining request names, as answers speak of it.
struct Found {
    booking: Booking,
    sessions: SessionIndex,
    role: LinkRole,
}

/// Whether opening a link spends a use of its token.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LinkUse {
    Take,
    Peek,
}

/// How long a join page's pass to its socket lasts: reconnects within a long meeting work.
const PAGE_PASS_SECS: i64 = 12 * 3600;
/// Reconnects a page may make with one pass.
const PAGE_PASS_USES: i64 = 1_000;

impl Joining {
    pub fn new(
        store: Arc<dyn Store>,
        bookings: Bookings,
        meetings: Meetings,
        public_url: &str,
    ) -> Self {
        Self {
            store,
            bookings,
            meetings,
            public_url: public_url.trim_end_matches('/').into(),
        }
    }

    /// A pass for the live socket of a join page whose load opened `opened` with a token (a
    /// secure or login-free link, whose use the load spent): the socket shows the pass, so
    /// the spent token is never accepted again. `None` for a link without a token.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn page_pass(
        &self,
        opened: &OpenedLink,
        had_token: bool,
        now: i64,
    ) -> Result<Option<String>, LinkError> {
        if !had_token {
            return Ok(None);
        }
        let secret = TokenSecret::generate();
        self.store
            .create_join_token(&NewJoinToken {
                token_hash: secret.hash().as_str().to_owned(),
                kind: JoinTokenKind::Page,
                customer: opened.customer.key,
                event_id: Some(opened.booking.event_id),
                user_id: opened.user.as_ref().map(|u| u.user_id),
                role: opened.role,
                name: opened.name.clone().unwrap_or_default(),
                expires_at: now.saturating_add(PAGE_PASS_SECS),
                uses: PAGE_PASS_USES,
                created_at: now,
            })
            .await
            .map_err(failed)?;
        Ok(Some(secret.reveal().to_owned()))
    }

    /// Opens the link `/k/<code>` with its `token` if it has one (a secure or login-free
    /// token of this link; a login-free one only with its user's `wuid`): `how` says whether
    /// this takes one use of the token or only checks one is left (the live socket of a page
    /// whose load already took one). A link without a token opens as it is.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_link(
        &self,
        code: &str,
        token: Option<&str>,
        wuid: Option<i64>,
        now: i64,
        how: LinkUse,
    ) -> Result<OpenedLink, LinkError> {
        let (raw, role) = self
            .store
            .link_target(code)
            .await
            .map_err(failed)?
            .ok_or(LinkError::Unknown)?;
        let customer = self
            .meetings
            .customer(raw.customer)
            .await
            .map_err(|e| failed(e.message))?;
        let MeetingNow {
            view: booking,
            sessions,
            ..
        } = self
            .meetings
            .of(raw, customer.advance_hours, now)
            .await
            .map_err(|e| failed(e.message))?;
        still_open(&booking, &sessions, customer.advance_hours, now)?;
        let host = self
            .store
            .user(customer.key, booking.host)
            .await
            .map_err(failed)?
            .ok_or_else(|| failed("the booking's host is missing"))?;
        let (user, name) = match token.map(str::trim).filter(|t| !t.is_empty()) {
            None => (None, None),
            Some(token) => {
                let t = self
                    .use_token(&booking, role, token, wuid, now, how)
                    .await?;
                let user = match t.user_id {
                    Some(uid) => self.store.user(customer.key, uid).await.map_err(failed)?,
                    None => None,
                };
                (user, Some(t.name).filter(|n| !n.is_empty()))
            }
        };
        Ok(OpenedLink {
            booking,
            sessions,
            customer,
            host,
            role,
            user,
            name,
        })
    }

    /// Checks that `token` belongs to this link (and to `wuid` when it is login-free), then
    /// takes a use of it or makes sure one is left.
    async fn use_token(
        &self,
        b: &Booking,
        role: LinkRole,
        token: &str,
        wuid: Option<i64>,
        now: i64,
        how: LinkUse,
    ) -> Result<JoinToken, LinkError> {
        let hash = KeyHash::of(token);
        let t = self
            .store
            .join_token(hash.as_str())
            .await
            .map_err(failed)?
            .ok_or(LinkError::Expired)?;
        let holder = t.user_id.map(UserId::get);
        let fits = match t.kind {
            JoinTokenKind::Secure => true,
            JoinTokenKind::NoSecret => wuid.is_some() && wuid == holder,
            // A login token opens no join link.
            JoinTokenKind::Login => false,
            // A page's pass serves its socket only, never a page load.
            JoinTokenKind::Page => how == LinkUse::Peek,
        } && t.customer == b.customer
            && t.event_id == Some(b.event_id)
            && t.role == role;
        if !fits {
            return Err(LinkError::Expired);
        }
        let valid = match how {
            LinkUse::Take => self.store.consume_join_token(hash.as_str(), t.kind, now),
            LinkUse::Peek => self.store.peek_join_token(hash.as_str(), t.kind, now),
        };
        valid.await.map_err(failed)?.ok_or({
            if t.is_expired(now) {
                LinkError::Expired
            } else {
                LinkError::UsedUp
            }
        })
    }

    // ---- endpoints -----------------------------------------------------------------------

    /// 7: the host or attendee link (by `pcode`) with `?name=`, or, for `securityInfo`, with
    /// `?token=` of a secure token bound to its user.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn join_link(&self, c: &Customer, req: &JoinRequest, now: i64) -> ApiResult<String> {
        let found = self.by_passcode(c, &req.meeting, now).await?;
        let link = self.link(&found.booking, found.role);
        let Some(secure) = &req.secure else {
            return Ok(named_link(&link, req.name.as_deref().unwrap_or_default()));
        };
        let user = self.user(c, secure.user_id).await?;
        let name = req.name.clone().unwrap_or_else(|| user.display_name());
        let token = self
            .issue(
                JoinTokenKind::Secure,
                c.key,
                Some(&found),
                &user,
                name,
                secure.timeout_minutes * 60,
                secure.usable_count,
                now,
            )
            .await?;
        Ok(token_link(&link, &token))
    }

    /// 8: what the launch string of the meeting `pcode` opens carries.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn launch_fields(
        &self,
        c: &Customer,
        req: &LaunchRequest,
        now: i64,
    ) -> ApiResult<LaunchFields> {
        let found = self.by_passcode(c, &req.meeting, now).await?;
        let b = &found.booking;
        let conf_id = found
            .sessions
            .latest(b)
            .filter(|s| s.is_open())
            .map(|s| s.temp_conference_id.to_string())
            .unwrap_or_else(|| b.conference_id.to_string());
        Ok(LaunchFields {
            app: CLIENT_APP,
            site: CLIENT_SITE.to_owned(),
            lang: CLIENT_LANG.to_owned(),
            domain: self.domain().to_owned(),
            pwd_type: b.password_type.code(),
            conf_id,
            cid: b.conference_id.to_string(),
            huid: b.host.get(),
            user_id: 0,
            customer_code: c.code.clone(),
            pcode: req.meeting.pcode.clone(),
            name: req.name.clone(),
            icon_url: req.icon_url.clone(),
            settings: {
                // The hardware boxes bound to the meeting (`confBindBox`), for a client that
                // calls them in: `h323Ip`, their addresses in the vendor's `|` list form.
                let mut s = launch_settings(&b.details.settings);
                let boxes = huiyi_wire::answers::box_addresses(b);
                if !boxes.is_empty() {
                    s.push(("h323Ip".to_owned(), boxes.join("|")));
                }
                s
            },
        })
    }

    /// 21: the host or attendee link (by `pcode`) and a login-free token for `userId`, good
    /// for one open within 24 hours. Returns (link, token).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn no_secret_link(
        &self,
        c: &Customer,
        req: &NoSecretRequest,
        now: i64,
    ) -> ApiResult<(String, String)> {
        let found = self.by_passcode(c, &req.meeting, now).await?;
        let user = self.user(c, req.user_id).await?;
        let token = self
            .issue(
                JoinTokenKind::NoSecret,
                c.key,
                Some(&found),
                &user,
                user.display_name(),
                ONE_USE_TOKEN_SECS,
                1,
                now,
            )
            .await?;
        Ok((self.link(&found.booking, found.role), token))
    }

    /// 22: a login token for `userId`, good for one login within 24 hours.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn client_login(
        &self,
        c: &Customer,
        req: &LaunchClientRequest,
        now: i64,
    ) -> ApiResult<String> {
        let user = self.user(c, req.user_id).await?;
        self.issue(
            JoinTokenKind::Login,
            c.key,
            None,
            &user,
            user.display_name(),
            ONE_USE_TOKEN_SECS,
            1,
            now,
        )
        .await
    }

    /// The meeting a passcode opens — pinned by `conferenceId` when given, else as
    /// `Bookings::find_by_pcode` finds it — and which side it opens. Refused when the meeting
    /// is cancelled or past its reopen window: a link to it could never open.
    async fn by_passcode(&self, c: &Customer, m: &MeetingByPasscode, now: i64) -> ApiResult<Found> {
        let (found, _host) = match &m.conference_id {
            Some(id) => {
                self.bookings
                    .read(c, &Target::Conference(id.clone()), now)
                    .await?
            }
            None => self.bookings.find_by_pcode(c, &m.pcode, now).await?,
        };
        let (view, sessions) = (found.view, found.sessions);
        let role = if view.pcode1.as_str() == m.pcode {
            LinkRole::Host
        } else if view.pcode2.as_str() == m.pcode {
            LinkRole::Attendee
        } else {
            return Err(ApiError::conference_not_found(format!(
                "{} with pcode {}",
                view.conference_id, m.pcode
            )));
        };
        let advance = c.advance_hours;
        let booking = view;
        still_open(&booking, &sessions, advance, now).map_err(|e| {
            let why = match e {
                LinkError::Cancelled => "is cancelled",
                _ => "ended more than 12 hours ago",
            };
            ApiError::new(
                Code::NotJoinable,
                format!(
                    "conference {} {why}; no one can join it any more",
                    booking.conference_id
                ),
            )
        })?;
        Ok(Found {
            booking,
            sessions,
            role,
        })
    }

    /// A user of the credential's customer: 51104 otherwise, exactly as for a missing user.
    async fn user(&self, c: &Customer, user_id: i64) -> ApiResult<User> {
        let who = HostRef {
            user_id: Some(user_id),
            email: None,
        };
        self.bookings.user(c, &who).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn issue(
        &self,
        kind: JoinTokenKind,
        customer: CustomerKey,
        found: Option<&Found>,
        user: &User,
        name: String,
        lifetime_secs: i64,
        uses: i64,
        now: i64,
    ) -> ApiResult<String> {
        let secret = TokenSecret::generate();
        self.store
            .create_join_token(&NewJoinToken {
                token_hash: secret.hash().as_str().to_owned(),
                kind,
                customer,
                event_id: found.map(|f| f.booking.event_id),
                user_id: Some(user.user_id),
                role: found.map_or(LinkRole::Attendee, |f| f.role),
                name,
                expires_at: now.saturating_add(lifetime_secs),
                uses,
                created_at: now,
            })
            .await?;
        Ok(secret.reveal().to_owned())
    }

    fn link(&self, b: &Booking, role: LinkRole) -> String {
        b.links.url(&self.public_url, role)
    }

    /// The public URL's host and port (`meet.example.com`, `127.0.0.1:8080`): the launch
    /// string's `dm`.
    fn domain(&self) -> &str {
        let rest = self
            .public_url
            .split_once("://")
            .map_or(&*self.public_url, |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        authority.rsplit('@').next().unwrap_or(authority)
    }
}

/// A meeting may be joined unless it is cancelled or more than `REOPEN_HOURS` past its booked
/// end with no session still running.
fn still_open(
    b: &Booking,
    sessions: &SessionIndex,
    advance_hours: i64,
    now: i64,
) -> Result<(), LinkError> {
    if b.is_cancelled() {
        return Err(LinkError::Cancelled);
    }
    let running = sessions.latest(b).is_some_and(SessionState::is_open);
    if !running && now > b.meeting(advance_hours).closes() {
        return Err(LinkError::Expired);
    }
    Ok(())
}

/// The link error a failure of the server shows as; the cause goes to the log. (`LinkError`
/// has no variant for it: the page shows such a link as no longer valid.)
fn failed(e: impl std::fmt::Display) -> LinkError {
    tracing::error!(error = %e, "opening a join link failed");
    LinkError::Unavailable
}
