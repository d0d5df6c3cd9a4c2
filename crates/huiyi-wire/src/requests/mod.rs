//! Every endpoint's request, read leniently into strict values: a route parses one of these,
//! calls one service and shapes the answer. Nothing lenient passes below this module.

mod after;
mod booking;
mod lookup;
mod rooms;

pub use after::{
    MAX_DELETE_IDS, MAX_REPLAY_DAYS, MAX_REPLAY_EMAILS, RecordsDeleteRequest, ReplayByIdRequest,
    ReplayRequest, ReportRequest,
};
pub use booking::{BookingRequest, InviteeRef, RecurrenceRequest};
pub use lookup::{
    AdminListRequest, BaseInfoRequest, ConfStatusRequest, HostListRequest, InfosBy, InfosRequest,
    RoomCancelRequest, V1CancelRequest,
};
pub use rooms::{BindBoxRequest, BoxInfo, MAX_BOXES, PhoneAccessRequest};

use crate::codes::WireError;
use crate::lenient::Fields;
use huiyi_domain::EventId;
use huiyi_domain::time::{Zone, parse_time, unix_from_number};
use serde_json::Value;

/// Which booking a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Conference(String),
    Event(EventId),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Conference(c) => f.write_str(c),
            Target::Event(e) => write!(f, "with eventId {e}"),
        }
    }
}

/// A bound of a listing window as sent: unix seconds (or milliseconds) as a number, or a
/// local time as text, which only the customer's zone turns into an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeArg {
    Unix(i64),
    Local(String),
}

impl TimeArg {
    /// `None` when the field is absent, `null` or empty.
    pub fn parse(f: &Fields, key: &str) -> Result<Option<Self>, WireError> {
        match f.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(|v| Some(TimeArg::Unix(unix_from_number(v))))
                .ok_or_else(|| {
                    WireError::invalid(format!("{} must be unix seconds or a time", f.name(key)))
                }),
            Some(_) => Ok(f.nonempty(key)?.map(TimeArg::Local)),
        }
    }

    /// The instant, reading a local time in `zone`; the error names `key`.
    pub fn unix(&self, zone: Zone, key: &str) -> Result<i64, WireError> {
        match self {
            TimeArg::Unix(v) => Ok(*v),
            TimeArg::Local(text) => {
                parse_time(text, zone).map_err(|e| WireError::invalid(format!("{key}: {e}")))
            }
        }
    }
}

/// A listing window as sent, by the names its endpoint uses for the bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowArg {
    pub from_key: &'static str,
    pub to_key: &'static str,
    pub from: Option<TimeArg>,
    pub to: Option<TimeArg>,
}

impl WindowArg {
    pub fn parse(
        f: &Fields,
        from_key: &'static str,
        to_key: &'static str,
    ) -> Result<Self, WireError> {
        Ok(Self {
            from_key,
            to_key,
            from: TimeArg::parse(f, from_key)?,
            to: TimeArg::parse(f, to_key)?,
        })
    }

    /// `[from, to)` in unix seconds, defaulting to now → about three months (92 days) later,
    /// the vendor's default horizon. The order of the bounds is the service's to judge.
    pub fn resolve(&self, zone: Zone, now: i64) -> Result<(i64, i64), WireError> {
        let from = match &self.from {
            Some(t) => t.unix(zone, self.from_key)?,
            None => now,
        };
        let to = match &self.to {
            Some(t) => t.unix(zone, self.to_key)?,
            None => from.saturating_add(92 * 86_400),
        };
        Ok((from, to))
    }
}

/// Who the request says the host is: by userId, or by email when no userId is given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostRef {
    pub user_id: Option<i64>,
    pub email: Option<String>,
}

impl HostRef {
    /// `userId` (or `hostUserId`), else `email` / `userIdEmail` / `emailAccount`.
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let user_id = match f.i64("userId")? {
            Some(id) if id != 0 => Some(id),
            _ => f.i64("hostUserId")?.filter(|id| *id != 0),
        };
        let mut email = None;
        for k in ["email", "userIdEmail", "emailAccount"] {
            if let Some(e) = f.nonempty(k)? {
                email = Some(crate::lenient::decode_once(&e));
                break;
            }
        }
        Ok(Self { user_id, email })
    }

    pub fn is_empty(&self) -> bool {
        self.user_id.is_none() && self.email.is_none()
    }
}

/// The occurrence an edit or cancel names (`singleStartTime` / `ori_start` / `oriStart`), as
/// sent; `None` when absent or 0.
pub fn occurrence(f: &Fields) -> Result<Option<String>, WireError> {
    for key in ["singleStartTime", "ori_start", "oriStart"] {
        match f.raw(key) {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) if n.as_i64() == Some(0) => {}
            Some(Value::Number(n)) => return Ok(Some(n.to_string())),
            Some(Value::String(s)) if s.trim().is_empty() || s.trim() == "0" => {}
            Some(Value::String(s)) => return Ok(Some(s.trim().to_owned())),
            Some(v) => {
                return Err(WireError::invalid(format!(
                    "{key} must be the occurrence's start, in unix seconds or as a time; got {v}"
                )));
            }
        }
    }
    Ok(None)
}
