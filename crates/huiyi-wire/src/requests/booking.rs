//! Booking and editing (endpoints 1, 2, 14, 15). Times stay as text here: they are local
//! times, read in the customer's or booking's zone by the service.

use super::{HostRef, occurrence};
use crate::codes::WireError;
use crate::lenient::Fields;
use huiyi_domain::time::Zone;
use huiyi_domain::{PasswordType, RoomChoice, Settings};
use serde_json::Value;

/// An invitee as the request names it; the service resolves users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteeRef {
    User {
        user_id: i64,
        name: String,
    },
    External {
        name: String,
        email: String,
        mobile: String,
    },
}

/// The fields of a booking or an edit (endpoints 1, 2, 14, 15). Absent fields are `None`: on
/// an edit they stay as they were.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BookingRequest {
    pub host: HostRef,
    pub conference_id: Option<String>,
    pub event_id: Option<i64>,
    pub title: Option<String>,
    pub length: Option<i64>,
    /// The start as sent: local text or unix digits.
    pub start: Option<String>,
    pub timezone: Option<Zone>,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub source: Option<String>,
    pub password_type: Option<PasswordType>,
    /// The series the request asks for, in whichever dialect it used.
    pub recurrence: Option<RecurrenceRequest>,
    /// On an edit or cancel: the original start of the one occurrence meant
    /// (`singleStartTime` / `ori_start` / `oriStart`), as sent.
    pub occurrence: Option<String>,
    pub invitees: Option<Vec<InviteeRef>>,
    pub settings: Settings,
}

impl BookingRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let start = match f.raw("starttime").or_else(|| f.raw("startTime")) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().to_owned()),
            Some(v) => {
                return Err(WireError::invalid(format!(
                    "starttime must be a time such as \"2020-09-07 20:00:00\"; got {v}"
                )));
            }
        };
        let timezone = match f.nonempty("timezone")? {
            None => None,
            Some(name) => Some(Zone::parse(&name).ok_or_else(|| {
                WireError::invalid(format!(
                    "timezone {name:?} is not an IANA time zone such as Asia/Shanghai"
                ))
            })?),
        };
        let password_type = match f.i64("password_type")? {
            None => None,
            Some(c) => Some(PasswordType::from_code(c).ok_or_else(|| {
                WireError::invalid(format!(
                    "password_type must be 0 (fixed) or 1 (dynamic); got {c}"
                ))
            })?),
        };
        Ok(Self {
            host: HostRef::parse(f)?,
            conference_id: f.nonempty("conferenceId")?,
            event_id: f.i64("eventId")?.filter(|e| *e != 0),
            title: f.text("title")?,
            length: f.i64("length")?,
            start,
            timezone,
            summary: f.text("summary")?,
            location: f.text("location")?,
            source: f.str("from")?,
            password_type,
            recurrence: RecurrenceRequest::parse(f)?,
            occurrence: occurrence(f)?,
            invitees: invitees(f)?,
            settings: settings(f)?,
        })
    }
}

/// A recurring series as requested, still in the request's terms; the service builds the rule
/// in the booking's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecurrenceRequest {
    /// v1: `cycle` = 2 with `periodEndDate` (`YYYY-MM-DD`): weekly on the start's weekday.
    WeeklyUntil { period_end_date: String },
    /// Room-era: `cycle` = 1 with `cycleRole` and `repeatEndDate` (unix seconds).
    CycleRole {
        frequency: String,
        interval: i64,
        byday: Vec<String>,
        bymonthday: Vec<i64>,
        repeat_end: i64,
    },
}

impl RecurrenceRequest {
    /// `None` for a single meeting (`cycle` 0 or absent, and no `cycleRole`).
    pub fn parse(f: &Fields) -> Result<Option<Self>, WireError> {
        let role = f.object("cycleRole")?.filter(|r| !r.is_empty());
        match (f.i64("cycle")?.unwrap_or(0), role) {
            (0, None) => Ok(None),
            (2, _) => {
                let date = f.nonempty("periodEndDate")?.ok_or_else(|| {
                    WireError::invalid(
                        "cycle is 2, so periodEndDate is required, e.g. \"2030-12-30\"",
                    )
                })?;
                Ok(Some(Self::WeeklyUntil {
                    period_end_date: date,
                }))
            }
            (0 | 1, Some(role)) => {
                let frequency = role.nonempty("frequency")?.ok_or_else(|| {
                    WireError::invalid("cycleRole.frequency is required: daily, weekly or monthly")
                })?;
                let repeat_end = f.i64("repeatEndDate")?.ok_or_else(|| {
                    WireError::invalid("repeatEndDate is required for a recurring meeting: the last day, in unix seconds")
                })?;
                Ok(Some(Self::CycleRole {
                    frequency,
                    interval: role.i64("interval")?.unwrap_or(1),
                    byday: words(&role, "byday")?,
                    bymonthday: role.i64_list("bymonthday")?.unwrap_or_default(),
                    repeat_end: huiyi_domain::time::unix_from_number(repeat_end),
                }))
            }
            (1, None) => Err(WireError::invalid(
                "cycle is 1, so cycleRole is required, e.g. {\"frequency\":\"weekly\",\"interval\":1,\"byday\":\"MO\"}",
            )),
            (other, _) => Err(WireError::invalid(format!(
                "cycle must be 0 (single), 1 (with cycleRole) or 2 (weekly until periodEndDate); got {other}"
            ))),
        }
    }
}

/// `"MO,WE"` or `["MO","WE"]`, upper-cased and trimmed.
fn words(f: &Fields, key: &str) -> Result<Vec<String>, WireError> {
    let items: Vec<String> = match f.raw(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if !s.trim_start().starts_with('[') => {
            s.split(',').map(|p| p.trim().to_owned()).collect()
        }
        Some(_) => f
            .array(key)?
            .unwrap_or_default()
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_owned()),
                other => Err(WireError::invalid(format!(
                    "{} must list days such as \"MO\"; got {other}",
                    f.name(key)
                ))),
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(items
        .into_iter()
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase())
        .collect())
}

/// `inviteeList` (objects) and `participantsLists` (userIds and emails) together; `None` when
/// neither is given, so an edit that names neither keeps the invitees.
fn invitees(f: &Fields) -> Result<Option<Vec<InviteeRef>>, WireError> {
    let extend = f
        .nonempty("extend")?
        .map(|d| d.trim_start_matches('@').to_owned());
    let complete = |email: String, field: String| -> Result<String, WireError> {
        if email.is_empty() || email.contains('@') {
            return Ok(email);
        }
        match &extend {
            Some(domain) => Ok(format!("{email}@{domain}")),
            None => Err(WireError::invalid(format!(
                "{field} {email:?} is not an email address; give a full address or set extend to the mail domain"
            ))),
        }
    };
    let mut out = Vec::new();
    let mut given = false;
    if let Some(list) = f.objects("inviteeList")? {
        given = true;
        for item in list {
            let name = item.text("name")?.unwrap_or_default();
            if let Some(user_id) = item.i64("userId")?.filter(|u| *u != 0) {
                out.push(InviteeRef::User { user_id, name });
                continue;
            }
            let mut email = complete(item.str("email")?.unwrap_or_default(), item.name("email"))?;
            let mobile = item.str("mobile")?.unwrap_or_default();
            if email.is_empty() && mobile.is_empty() {
                if name.is_empty() || extend.is_none() {
                    return Err(WireError::invalid(format!(
                        "{} needs a userId, an email or a mobile",
                        item.name("").trim_end_matches('.')
                    )));
                }
                email = complete(name.clone(), item.name("name"))?;
            }
            let name = if name.is_empty() { email.clone() } else { name };
            out.push(InviteeRef::External {
                name,
                email,
                mobile,
            });
        }
    }
    if let Some(parts) = participants(f)? {
        given = true;
        for (i, p) in parts.into_iter().enumerate() {
            let field = format!("participantsLists[{i}]");
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                let user_id = p
                    .parse::<i64>()
                    .map_err(|_| WireError::invalid(format!("{field} {p:?} is not a userId")))?;
                out.push(InviteeRef::User {
                    user_id,
                    name: String::new(),
                });
            } else {
                let email = complete(p, field)?;
                out.push(InviteeRef::External {
                    name: email.clone(),
                    email,
                    mobile: String::new(),
                });
            }
        }
    }
    Ok(given.then_some(out))
}

/// `participantsLists` arrives as `"1,2,a@b.c"`, as an array of ids and emails, or as an array
/// of `{userId|email}` objects.
fn participants(f: &Fields) -> Result<Option<Vec<String>>, WireError> {
    let items = match f.raw("participantsLists") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if !s.trim_start().starts_with('[') => {
            return Ok(Some(
                s.split([',', ';'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ));
        }
        Some(_) => f.array("participantsLists")?.unwrap_or_default(),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.trim().to_owned()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Object(m) => {
                let o = Fields::new(m);
                if let Some(id) = o.i64("userId")?.filter(|u| *u != 0) {
                    Ok(id.to_string())
                } else {
                    o.nonempty("email")?.ok_or_else(|| {
                        WireError::invalid(format!(
                            "participantsLists[{i}] needs a userId or an email"
                        ))
                    })
                }
            }
            other => Err(WireError::invalid(format!(
                "participantsLists[{i}] must be a userId or an email; got {other}"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Settings may sit at the top level or inside `seting` (object or JSON string); the top level
/// wins where both name the same setting.
fn settings(f: &Fields) -> Result<Settings, WireError> {
    let mut s = Settings::default();
    if let Some(inner) = f.object("seting")? {
        s = read_settings(&inner)?;
    }
    s.merge(read_settings(f)?);
    Ok(s)
}

fn read_settings(f: &Fields) -> Result<Settings, WireError> {
    let rooms = match f.objects("composeRoomList")? {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|r| {
                    Ok(RoomChoice {
                        room_id: r.i64("roomId")?.ok_or_else(|| {
                            WireError::invalid(format!("{} is required", r.name("roomId")))
                        })?,
                        is_main_room: r.i64("isMainRoom")?.unwrap_or(0),
                        equip_ids: r.i64_list("equipIdList")?.unwrap_or_default(),
                        ..RoomChoice::default()
                    })
                })
                .collect::<Result<Vec<_>, WireError>>()?,
        ),
    };
    let extra_info = match f.raw("extraInfo") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(serde_json::from_str(s).unwrap_or(Value::String(s.clone()))),
        Some(v) => Some(v.clone()),
    };
    Ok(Settings {
        show_info: f.first_bool(&["isShowInfo", "showInfo"])?,
        show_video: f.first_bool(&["isShowVideo", "showVideo"])?,
        allow_unmute: f.first_bool(&["isAllowUnmute", "allowUnmute"])?,
        is_only: f.bool("isOnly")?,
        auto_record: f.bool("autoRecord")?,
        conf_level_mute: f.i64("confLevelMute")?,
        estimate_size: f.i64("estimateSize")?,
        must_select_audio: f.bool("mustSelectAudio")?,
        auto_video: f.i64("autoVideo")?,
        conf_level_video_standard: f.i64("confLevelVideoStandard")?,
        live_open: f.bool("liveOpenFlag")?,
        live_password: f.str("livePassword")?,
        enable_cloud_mcu: f.bool("enableCloudMCU")?,
        sv: f.i64("sv")?,
        join_login: f.bool("joinLogin")?,
        use_waiting_room: f.bool("useWaitingRoom")?,
        open_watchword: f.bool("openWatchword")?,
        event_watchword: f.text("eventWatchword")?,
        join_conf_sel_tag: f.bool("joinConfSelTag")?,
        join_conf_tags: f.text("joinConfTags")?,
        hardware_video: f.bool("hardwareVideo")?,
        allow_invite: f.bool("AllowInvite")?,
        record_callback_url: f.str("recordCallbackUrl")?,
        email_notify: f.bool("email_notify")?,
        sms_notify: f.bool("sms_notify")?,
        inform_type: f.i64("informType")?,
        extra_info,
        rooms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::parse_body;

    fn example(name: &str) -> Fields {
        let path = format!(
            "{}/../../../shared/spec/examples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        parse_body(Some("application/json"), &bytes).unwrap()
    }

    #[test]
    fn every_booking_example_parses() {
        let r1 = BookingRequest::parse(&example("01-reservConference2.request.json")).unwrap();
        assert_eq!(r1.host.user_id, Some(81299515));
        assert_eq!(r1.length, Some(120));
        assert_eq!(r1.title.as_deref(), Some("测试%"));
        assert_eq!(r1.password_type, Some(PasswordType::Fixed));
        assert_eq!(r1.recurrence, None);
        assert_eq!(r1.settings.email_notify, Some(true));
        assert_eq!(r1.invitees.as_ref().unwrap().len(), 1);

        let r2 = BookingRequest::parse(&example("02-updateReservConference.request.json")).unwrap();
        assert_eq!(r2.host.user_id, Some(4307081));
        assert_eq!(r2.conference_id.as_deref(), Some("2797368"));
        assert_eq!(r2.start.as_deref(), Some("2020-07-07T14:30:00"));
        assert_eq!(r2.settings.show_info, Some(true));
        assert_eq!(r2.settings.show_video, Some(true));
        assert_eq!(r2.password_type, Some(PasswordType::Dynamic));

        let r14 = BookingRequest::parse(&example("14-room-reservConference.request.json")).unwrap();
        assert_eq!(
            r14.settings.rooms.as_ref().unwrap()[0].equip_ids,
            vec![58933]
        );
        assert_eq!(r14.settings.auto_video, Some(2));
        let r15 =
            BookingRequest::parse(&example("15-room-updateReservConference.request.json")).unwrap();
        assert_eq!(r15.event_id, Some(524331));
    }

    #[test]
    fn both_recurrence_dialects_parse() {
        let v1 = parse_body(None, br#"{"cycle":"2","periodEndDate":"2030-12-30"}"#).unwrap();
        assert_eq!(
            RecurrenceRequest::parse(&v1).unwrap(),
            Some(RecurrenceRequest::WeeklyUntil {
                period_end_date: "2030-12-30".into()
            })
        );
        let room = parse_body(
            None,
            br#"{"cycle":1,"repeatEndDate":1924905600,"cycleRole":{"frequency":"monthly","interval":"2","bymonthday":"1,17,31","byday":"mo, we"}}"#,
        )
        .unwrap();
        assert_eq!(
            RecurrenceRequest::parse(&room).unwrap(),
            Some(RecurrenceRequest::CycleRole {
                frequency: "monthly".into(),
                interval: 2,
                byday: vec!["MO".into(), "WE".into()],
                bymonthday: vec![1, 17, 31],
                repeat_end: 1924905600,
            })
        );
        for bad in [
            r#"{"cycle":2}"#,
            r#"{"cycle":1}"#,
            r#"{"cycle":7}"#,
            r#"{"cycle":1,"cycleRole":{"interval":1}}"#,
        ] {
            let f = parse_body(None, bad.as_bytes()).unwrap();
            assert!(RecurrenceRequest::parse(&f).is_err(), "{bad}");
        }
        let single = parse_body(None, br#"{"cycle":0,"singleStartTime":"1924905600"}"#).unwrap();
        assert_eq!(RecurrenceRequest::parse(&single).unwrap(), None);
        assert_eq!(occurrence(&single).unwrap().as_deref(), Some("1924905600"));
    }

    #[test]
    fn extend_completes_bare_names() {
        let f = parse_body(
            None,
            br#"{"extend":"@wanda.com","inviteeList":[{"email":"longly02"},{"name":"wanda1"}],"participantsLists":"123, x"}"#,
        )
        .unwrap();
        let inv = invitees(&f).unwrap().unwrap();
        assert_eq!(
            inv[0],
            InviteeRef::External {
                name: "longly02@wanda.com".into(),
                email: "longly02@wanda.com".into(),
                mobile: "".into()
            }
        );
        assert!(
            matches!(&inv[1], InviteeRef::External { email, .. } if email == "wanda1@wanda.com")
        );
        assert_eq!(
            inv[2],
            InviteeRef::User {
                user_id: 123,
                name: "".into()
            }
        );
        assert!(matches!(&inv[3], InviteeRef::External { email, .. } if email == "x@wanda.com"));
    }

    #[test]
    fn bad_invitees_are_refused_with_their_index() {
        let f = parse_body(
            None,
            br#"{"inviteeList":[{"email":"a@b.c"},{"name":"nobody"}]}"#,
        )
        .unwrap();
        let e = invitees(&f).unwrap_err();
        assert!(e.message.contains("inviteeList[1]"), "{}", e.message);
    }
}
