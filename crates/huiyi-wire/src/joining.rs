//! Requests of the joining endpoints — `joinConference` (7), `launchString` (8),
//! `joinConferenceNoSecret` (21), `launchMeetingClient` (22) — and the links and launch-string
//! settings their answers carry. Answer shapes: [`crate::answers::join_no_secret`] and
//! [`crate::answers::launch_client`]; 7 and 8 answer a bare string.

use crate::codes::WireError;
use crate::launch::QUERY_VALUE;
use crate::lenient::Fields;
use huiyi_domain::Settings;
use percent_encoding::utf8_percent_encode;

/// `app` of every launch string: the vendor's application id.
pub const CLIENT_APP: i64 = 6;
/// `site` of every launch string (example 22 shows `60000`).
pub const CLIENT_SITE: &str = "60000";
/// `Version` of endpoint 22's launch string (example 22).
pub const CLIENT_VERSION: &str = "5.0.0";
/// `lang` of endpoint 8's launch string.
pub const CLIENT_LANG: &str = "cn";

pub use huiyi_domain::session::MAX_NAME_CHARS;
/// Longest `iconUrl`, in bytes.
pub const MAX_ICON_URL_BYTES: usize = 2048;

/// A secure link's lifetime in minutes: default and bounds (`securityInfo.timeout`).
pub const DEFAULT_TIMEOUT_MINUTES: i64 = 5;
pub const MAX_TIMEOUT_MINUTES: i64 = 1440;
/// A secure link's uses: default and bounds (`securityInfo.usableCount`).
pub const DEFAULT_USABLE_COUNT: i64 = 6;
pub const MAX_USABLE_COUNT: i64 = 1000;

/// The meeting a joining request names: by passcode (which also says host or attendee), and
/// optionally by `conferenceId` when the passcode is a host's fixed pair shared by meetings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingByPasscode {
    pub pcode: String,
    pub conference_id: Option<String>,
}

impl MeetingByPasscode {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let pcode = f.nonempty("pcode")?.ok_or_else(|| {
            WireError::invalid(
                "pcode is required: the meeting's host passcode (pcode1) or attendee passcode (pcode2)",
            )
        })?;
        Ok(Self {
            pcode,
            conference_id: f.nonempty("conferenceId")?,
        })
    }
}

/// `securityInfo` with `isSecurityLink` 1: a link bound to a user, for a few uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecureLinkRequest {
    pub user_id: i64,
    pub timeout_minutes: i64,
    pub usable_count: i64,
}

impl SecureLinkRequest {
    /// `None` when there is no `securityInfo` or it says `isSecurityLink` 0.
    fn parse(f: &Fields) -> Result<Option<Self>, WireError> {
        let Some(s) = f.object("securityInfo")? else {
            return Ok(None);
        };
        if !s.bool("isSecurityLink")?.unwrap_or(false) {
            return Ok(None);
        }
        let user_id = s.i64("userId")?.ok_or_else(|| {
            WireError::invalid(format!(
                "{} is required when isSecurityLink is 1: the user the link is for",
                s.name("userId")
            ))
        })?;
        Ok(Some(Self {
            user_id: positive_user_id(&s, user_id)?,
            timeout_minutes: bounded(
                &s,
                "timeout",
                DEFAULT_TIMEOUT_MINUTES,
                MAX_TIMEOUT_MINUTES,
                "minutes",
            )?,
            usable_count: bounded(
                &s,
                "usableCount",
                DEFAULT_USABLE_COUNT,
                MAX_USABLE_COUNT,
                "uses",
            )?,
        }))
    }
}

/// Endpoint 7, `joinConference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub meeting: MeetingByPasscode,
    /// The name to join with: `nick_name`, else `new_name`, else `name` (the vendor's alias
    /// replaces the name). Required unless the link is a secure one, whose user's name serves.
    pub name: Option<String>,
    pub secure: Option<SecureLinkRequest>,
}

impl JoinRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let meeting = MeetingByPasscode::parse(f)?;
        let secure = SecureLinkRequest::parse(f)?;
        let name = join_name(f)?;
        if name.is_none() && secure.is_none() {
            return Err(WireError::invalid(
                "name is required: the name (or email) the person joins with",
            ));
        }
        Ok(Self {
            meeting,
            name,
            secure,
        })
    }
}

/// Endpoint 8, `launchString`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchRequest {
    pub meeting: MeetingByPasscode,
    pub name: String,
    pub icon_url: Option<String>,
}

impl LaunchRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        let meeting = MeetingByPasscode::parse(f)?;
        let name = join_name(f)?.ok_or_else(|| {
            WireError::invalid("name is required: the name (or email) the person joins with")
        })?;
        let icon_url = match f.nonempty("iconUrl")? {
            None => None,
            Some(u) => Some(icon_url(u)?),
        };
        Ok(Self {
            meeting,
            name,
            icon_url,
        })
    }
}

/// Endpoint 21, `joinConferenceNoSecret`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSecretRequest {
    pub meeting: MeetingByPasscode,
    pub user_id: i64,
}

impl NoSecretRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        Ok(Self {
            meeting: MeetingByPasscode::parse(f)?,
            user_id: required_user_id(f)?,
        })
    }
}

/// Endpoint 22, `launchMeetingClient`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchClientRequest {
    pub user_id: i64,
}

impl LaunchClientRequest {
    pub fn parse(f: &Fields) -> Result<Self, WireError> {
        Ok(Self {
            user_id: required_user_id(f)?,
        })
    }
}

fn required_user_id(f: &Fields) -> Result<i64, WireError> {
    let id = f
        .i64("userId")?
        .ok_or_else(|| WireError::invalid("userId is required: the user the link is for"))?;
    positive_user_id(f, id)
}

fn positive_user_id(f: &Fields, id: i64) -> Result<i64, WireError> {
    if id > 0 {
        Ok(id)
    } else {
        Err(WireError::invalid(format!(
            "{} must be a positive integer; got {id}",
            f.name("userId")
        )))
    }
}

fn bounded(f: &Fields, key: &str, default: i64, max: i64, unit: &str) -> Result<i64, WireError> {
    match f.i64(key)? {
        None => Ok(default),
        Some(v) if (1..=max).contains(&v) => Ok(v),
        Some(v) => Err(WireError::invalid(format!(
            "{} must be between 1 and {max} {unit} (default {default}); got {v}",
            f.name(key)
        ))),
    }
}

/// `nick_name`, else `new_name`, else `name`; URL-encoded text is decoded once.
fn join_name(f: &Fields) -> Result<Option<String>, WireError> {
    for key in ["nick_name", "new_name", "name"] {
        if let Some(name) = f.text(key)?.filter(|n| !n.trim().is_empty()) {
            let name = name.trim().to_owned();
            let n = name.chars().count();
            if n > MAX_NAME_CHARS {
                return Err(WireError::invalid(format!(
                    "{key} must be at most {MAX_NAME_CHARS} characters; got {n}"
                )));
            }
            if name.chars().any(char::is_control) {
                return Err(WireError::invalid(format!(
                    "{key} must not contain control characters"
                )));
            }
            return Ok(Some(name));
        }
    }
    Ok(None)
}

fn icon_url(u: String) -> Result<String, WireError> {
    let lower = u.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(WireError::invalid(
            "iconUrl must be an http:// or https:// link to a jpg or png image",
        ));
    }
    if u.len() > MAX_ICON_URL_BYTES || u.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(WireError::invalid(format!(
            "iconUrl must be a single link of at most {MAX_ICON_URL_BYTES} bytes"
        )));
    }
    Ok(u)
}

/// Endpoint 7's plain link: the join link with `?name=<name>` (URL-encoded) appended.
pub fn named_link(link: &str, name: &str) -> String {
    query_link(link, "name", name)
}

/// Endpoint 7's secure link: the join link with `?token=<token>` appended.
pub fn token_link(link: &str, token: &str) -> String {
    query_link(link, "token", token)
}

fn query_link(link: &str, key: &str, value: &str) -> String {
    let sep = if link.contains('?') { '&' } else { '?' };
    format!(
        "{link}{sep}{key}={}",
        utf8_percent_encode(value, QUERY_VALUE)
    )
}

/// A meeting's settings as endpoint 8's launch string names them, in example 08's order. Only
/// settings with a key of the same meaning in example 08 appear; a setting never given is 0.
/// `docs/launch-strings.md` lists the mapping and what is left out.
pub fn launch_settings(s: &Settings) -> Vec<(String, String)> {
    let flag = |v: Option<bool>| i64::from(v.unwrap_or(false)).to_string();
    let number = |v: Option<i64>| v.unwrap_or(0).to_string();
    [
        ("showAttInfo", flag(s.show_info)),
        ("autoRec", flag(s.auto_record)),
        ("mustSelectAudio", flag(s.must_select_audio)),
        ("autoVideo", number(s.auto_video)),
        ("videoStandardSet", number(s.conf_level_video_standard)),
        ("live", flag(s.live_open)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn fields(v: Value) -> Fields {
        match v {
            Value::Object(m) => Fields::new(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn security_info_as_object_or_json_string_with_defaults() {
        let as_object = fields(json!({"pcode": "12345678", "name": "张三",
            "securityInfo": {"isSecurityLink": 1, "userId": "87679779"}}));
        let as_text = fields(json!({"pcode": 12345678, "name": "张三",
            "securityInfo": "{\"isSecurityLink\":\"1\",\"userId\":87679779,\"timeout\":\"30\",\"usableCount\":2}"}));
        let a = JoinRequest::parse(&as_object).unwrap();
        let b = JoinRequest::parse(&as_text).unwrap();
        assert_eq!(
            a.secure,
            Some(SecureLinkRequest {
                user_id: 87679779,
                timeout_minutes: 5,
                usable_count: 6
            })
        );
        assert_eq!(
            b.secure,
            Some(SecureLinkRequest {
                user_id: 87679779,
                timeout_minutes: 30,
                usable_count: 2
            })
        );
        assert_eq!(b.meeting.pcode, "12345678");
        let plain =
            fields(json!({"pcode": "1", "name": "x", "securityInfo": {"isSecurityLink": 0}}));
        assert_eq!(JoinRequest::parse(&plain).unwrap().secure, None);
    }

    #[test]
    fn bad_values_are_named() {
        let msg = |v: Value| JoinRequest::parse(&fields(v)).unwrap_err().message;
        assert!(msg(json!({"name": "x"})).contains("pcode is required"));
        assert!(msg(json!({"pcode": "1"})).contains("name is required"));
        assert!(
            msg(json!({"pcode": "1", "securityInfo": {"isSecurityLink": 1}}))
                .contains("securityInfo.userId is required")
        );
        assert!(
            msg(json!({"pcode": "1", "securityInfo": {"isSecurityLink": 1, "userId": 1, "timeout": 0}}))
                .contains("securityInfo.timeout must be between 1 and 1440")
        );
        assert!(
            msg(json!({"pcode": "1", "securityInfo": {"isSecurityLink": 1, "userId": 1, "usableCount": 1001}}))
                .contains("securityInfo.usableCount must be between 1 and 1000")
        );
        assert!(msg(json!({"pcode": "1", "name": "a\u{7}b"})).contains("control characters"));
        let icon = LaunchRequest::parse(&fields(
            json!({"pcode": "1", "name": "x", "iconUrl": "ftp://x/y.png"}),
        ));
        assert!(icon.unwrap_err().message.contains("iconUrl"));
        let uid = NoSecretRequest::parse(&fields(json!({"pcode": "1", "userId": "-4"})));
        assert!(
            uid.unwrap_err()
                .message
                .contains("userId must be a positive")
        );
    }

    #[test]
    fn the_alias_replaces_the_name_and_text_is_decoded_once() {
        let r = JoinRequest::parse(&fields(
            json!({"pcode": "1", "name": "a@b.c", "nick_name": "%E5%BC%A0%E4%B8%89"}),
        ))
        .unwrap();
        assert_eq!(r.name.as_deref(), Some("张三"));
    }

    #[test]
    fn links_carry_their_query_encoded() {
        assert_eq!(
            named_link("http://h/k/abc", "张 三&x"),
            "http://h/k/abc?name=%E5%BC%A0%20%E4%B8%89%26x"
        );
        assert_eq!(
            token_link("http://h/k/abc", "5b23de7a-e4ce-47bc-a4eb-dd7afeab8f22"),
            "http://h/k/abc?token=5b23de7a-e4ce-47bc-a4eb-dd7afeab8f22"
        );
    }

    #[test]
    fn settings_use_the_vendor_keys_and_default_to_zero() {
        let s = Settings {
            show_info: Some(true),
            auto_video: Some(2),
            use_waiting_room: Some(true),
            ..Default::default()
        };
        let got = launch_settings(&s);
        let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "showAttInfo",
                "autoRec",
                "mustSelectAudio",
                "autoVideo",
                "videoStandardSet",
                "live"
            ]
        );
        let values: Vec<&str> = got.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["1", "0", "0", "2", "0", "0"]);
    }
}
