//! Requests that name a meeting or a listing: status, base info, infos, the listings and the
//! cancels (endpoints 3–6, 16–18, 23).

use super::{HostRef, Target, WindowArg, occurrence};
use crate::codes::WireError;
use crate::lenient::{Fields, path_segments};
use huiyi_domain::EventId;

/// 6 `getConfStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfStatusRequest {
    pub conference_id: String,
}

impl ConfStatusRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let conference_id = f
            .nonempty("conferenceId")?
            .ok_or_else(|| WireError::invalid("conferenceId is required"))?;
        Ok(Self { conference_id })
    }
}

/// 5 `POST …/getConferenceBaseInfoById/:appId/:conferenceId`: the body's `conferenceId` wins
/// over the path's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseInfoRequest {
    pub conference_id: String,
}

impl BaseInfoRequest {
    pub fn parse(f: &Fields, path: &str) -> Result<Self, WireError> {
        let from_path = path_segments(path, "/getConferenceBaseInfoById/")
            .into_iter()
            .nth(1)
            .filter(|c| !c.is_empty());
        let conference_id = f.nonempty("conferenceId")?.or(from_path).ok_or_else(|| {
            WireError::invalid(
                "conferenceId is required in the path: /getConferenceBaseInfoById/6/<conferenceId>",
            )
        })?;
        Ok(Self { conference_id })
    }
}

/// 3 `GET …/cancelReservConference/:appId/:conferenceId/:language/:userIdEmail[/:callbackUrl/:email_notify/:sms_notify]`.
/// Segments may be empty, so the raw path is split here rather than by the router; a field
/// the query or body names wins over its segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1CancelRequest {
    pub conference_id: String,
    /// Who cancels: digits are a userId, anything else an email.
    pub actor: HostRef,
    /// `Zh-cn` / `En-us` as sent, for the notices this cancel sends.
    pub language: Option<String>,
    /// `email_notify`: invitees are told by email.
    pub email_notify: bool,
    /// `sms_notify`: invitees are told by text.
    pub sms_notify: bool,
}

impl V1CancelRequest {
    const SEGMENTS: [&str; 7] = [
        "appId",
        "conferenceId",
        "language",
        "userIdEmail",
        "callbackUrl",
        "email_notify",
        "sms_notify",
    ];

    pub fn parse(f: &Fields, path: &str) -> Result<Self, WireError> {
        let mut f = f.clone();
        for (key, v) in Self::SEGMENTS
            .iter()
            .zip(path_segments(path, "/cancelReservConference/"))
        {
            if !v.is_empty() {
                f.fill(key, serde_json::Value::String(v));
            }
        }
        let conference_id = f.nonempty("conferenceId")?.ok_or_else(|| {
            WireError::invalid(
                "conferenceId is required in the path: /cancelReservConference/6/<conferenceId>/<language>/<userIdEmail>",
            )
        })?;
        let actor = match f.nonempty("userIdEmail")? {
            Some(v) if v.bytes().all(|b| b.is_ascii_digit()) => HostRef {
                user_id: v.parse().ok(),
                email: None,
            },
            Some(v) => HostRef {
                user_id: None,
                email: Some(v),
            },
            None => HostRef::default(),
        };
        Ok(Self {
            conference_id,
            actor,
            language: f.nonempty("language")?,
            email_notify: f.bool("email_notify")?.unwrap_or(false),
            sms_notify: f.bool("sms_notify")?.unwrap_or(false),
        })
    }
}

/// 16: cancel by `conferenceId` or `eventId`, optionally one occurrence of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomCancelRequest {
    pub target: Target,
    pub actor: HostRef,
    pub occurrence: Option<String>,
    /// `email_notify`: invitees are told by email.
    pub email_notify: bool,
    /// `sms_notify`: invitees are told by text.
    pub sms_notify: bool,
}

impl RoomCancelRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let target = match (
            f.nonempty("conferenceId")?,
            f.i64("eventId")?.filter(|e| *e != 0),
        ) {
            (Some(c), _) => Target::Conference(c),
            (None, Some(e)) => Target::Event(e),
            (None, None) => return Err(WireError::invalid("conferenceId or eventId is required")),
        };
        Ok(Self {
            target,
            actor: HostRef::parse(f)?,
            occurrence: occurrence(f)?,
            email_notify: f.bool("email_notify")?.unwrap_or(false),
            sms_notify: f.bool("sms_notify")?.unwrap_or(false),
        })
    }
}

/// How 17 `infos` names its meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfosBy {
    Conference(String),
    /// A host passcode: the host's current or next meeting.
    Pcode(String),
}

/// 17 `conference/infos`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfosRequest {
    /// The acting user, checked when given.
    pub who: HostRef,
    pub by: InfosBy,
}

impl InfosRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let by = match (f.nonempty("conferenceId")?, f.nonempty("pcode")?) {
            (Some(c), _) => InfosBy::Conference(c),
            (None, Some(p)) => InfosBy::Pcode(p),
            (None, None) => return Err(WireError::invalid("conferenceId or pcode is required")),
        };
        Ok(Self {
            who: HostRef::parse(f)?,
            by,
        })
    }
}

/// 4 `getConferenceList` and 18 `conference/list`: one host's meetings in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostListRequest {
    pub host: HostRef,
    pub window: WindowArg,
    /// 18's `inCycle` 1 includes recurring meetings; 4 always does.
    pub series: bool,
    /// 18 lists cancelled meetings (status 0); 4 leaves them out.
    pub cancelled: bool,
}

impl HostListRequest {
    /// 4: `startDate` / `endDate`.
    pub fn parse_v1(f: &Fields) -> Result<Self, WireError> {
        Ok(Self {
            host: HostRef::parse(f)?,
            window: WindowArg::parse(f, "startDate", "endDate")?,
            series: true,
            cancelled: false,
        })
    }

    /// 18: `startTime` / `endTime`, series only with `inCycle` 1.
    pub fn parse_room(f: &Fields) -> Result<Self, WireError> {
        Ok(Self {
            host: HostRef::parse(f)?,
            window: WindowArg::parse(f, "startTime", "endTime")?,
            series: f.i64("inCycle")?.unwrap_or(0) == 1,
            cancelled: true,
        })
    }
}

/// 23 `listByAdmin`: every meeting of the admin's customer, paged by `limit` and
/// `eventIdFilter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminListRequest {
    pub admin_user_id: Option<i64>,
    pub window: WindowArg,
    pub limit: i64,
    /// Only bookings after this event id: the last one of the previous page.
    pub after: Option<EventId>,
}

impl AdminListRequest {
    /// Default and largest page.
    pub const DEFAULT_PAGE: i64 = 10;
    pub const MAX_PAGE: i64 = 200;

    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let limit = f.i64("limit")?.unwrap_or(Self::DEFAULT_PAGE);
        if !(1..=Self::MAX_PAGE).contains(&limit) {
            return Err(WireError::invalid(format!(
                "limit must be between 1 and {}; got {limit}",
                Self::MAX_PAGE
            )));
        }
        Ok(Self {
            admin_user_id: f.i64("adminUserId")?,
            window: WindowArg::parse(f, "startTime", "endTime")?,
            limit,
            after: f.i64("eventIdFilter")?.filter(|e| *e > 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::TimeArg;
    use huiyi_domain::time::Zone;
    use serde_json::{Value, json};

    fn f(v: Value) -> Fields {
        match v {
            Value::Object(m) => Fields::new(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn cancel_reads_path_segments_and_the_body_wins() {
        let path =
            "/conference/conference/cancelReservConference/6/239130656/Zh-cn/eyh1%40test1.com";
        let r = V1CancelRequest::parse(&f(json!({})), path).unwrap();
        assert_eq!(r.conference_id, "239130656");
        assert_eq!(r.actor.email.as_deref(), Some("eyh1@test1.com"));
        assert_eq!(r.language.as_deref(), Some("Zh-cn"));
        let by_id = V1CancelRequest::parse(
            &f(json!({"conferenceId": "111"})),
            "/x/cancelReservConference/6/239130656//81299515",
        )
        .unwrap();
        assert_eq!(by_id.conference_id, "111");
        assert_eq!(by_id.actor.user_id, Some(81_299_515));
        assert_eq!(by_id.language, None);
        let missing =
            V1CancelRequest::parse(&f(json!({})), "/x/cancelReservConference/6//").unwrap_err();
        assert!(
            missing.message.contains("conferenceId"),
            "{}",
            missing.message
        );
    }

    #[test]
    fn admin_list_bounds_its_page_and_keeps_any_window() {
        let e = AdminListRequest::parse(&f(json!({"limit": 0}))).unwrap_err();
        assert!(e.message.contains("limit"), "{}", e.message);
        assert!(AdminListRequest::parse(&f(json!({"limit": "201"}))).is_err());
        let r = AdminListRequest::parse(&f(
            json!({"adminUserId": "7", "startTime": 0, "endTime": 4102444800i64, "eventIdFilter": 0}),
        ))
        .unwrap();
        assert_eq!(r.limit, AdminListRequest::DEFAULT_PAGE);
        assert_eq!(r.after, None);
        assert_eq!(r.window.from, Some(TimeArg::Unix(0)));
        assert_eq!(
            r.window.resolve(Zone::default(), 99).unwrap(),
            (0, 4_102_444_800)
        );
    }

    #[test]
    fn windows_default_to_three_months_and_read_local_times() {
        let w = HostListRequest::parse_v1(&f(json!({}))).unwrap().window;
        assert_eq!(
            w.resolve(Zone::default(), 1000).unwrap(),
            (1000, 1000 + 92 * 86_400)
        );
        let w = HostListRequest::parse_v1(&f(
            json!({"startDate": "2030-01-07 10:00:00", "endDate": 1_893_981_600_000i64}),
        ))
        .unwrap()
        .window;
        let (from, to) = w.resolve(Zone::default(), 0).unwrap();
        assert_eq!(from, 1_893_981_600, "Asia/Shanghai 10:00 is 02:00 UTC");
        assert_eq!(to, 1_893_981_600, "milliseconds are read as seconds");
        let bad = HostListRequest::parse_v1(&f(json!({"startDate": "soon"})))
            .unwrap()
            .window
            .resolve(Zone::default(), 0)
            .unwrap_err();
        assert!(bad.message.contains("startDate"), "{}", bad.message);
    }

    #[test]
    fn room_list_includes_series_only_when_asked() {
        assert!(!HostListRequest::parse_room(&f(json!({}))).unwrap().series);
        assert!(
            HostListRequest::parse_room(&f(json!({"inCycle": "1"})))
                .unwrap()
                .series
        );
        assert!(HostListRequest::parse_v1(&f(json!({}))).unwrap().series);
    }
}
