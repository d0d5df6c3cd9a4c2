//! Client launch strings, `tang:///key:value/key:value/…` (endpoints 8 and 22), and the login
//! links of endpoint 22. `docs/launch-strings.md` lists every key we emit and the escaping rule.
//!
//! A [`LaunchString`] is an ordered list of `(key, value)` pairs. Keys are non-empty ASCII
//! letters, digits and `_` (the vendor's keys all are: `conf_id`, `Version`, `ds_zip_ratio`).
//! In values, [`Display`](fmt::Display) percent-encodes (UTF-8) `%`, `/`, `:`, whitespace,
//! control characters and the characters a browser or URL handler would mangle (`#`, `?`, `"`,
//! `<`, `>`, `` ` ``, `{`, `}`); `|` (the vendor's list separator inside values) and all other
//! non-ASCII text (Chinese names) stay as they are. So every segment of our own strings holds
//! exactly one raw `:`, and [`LaunchString::parse`] gives back exactly the pairs that were
//! pushed.
//!
//! The vendor's own strings do not escape: example 08 carries `us:a|b/upgradeserver` and
//! `docShareServerUrl:https://confdlprint.quanshi.com/video:1`. The parser reads them as far as
//! they are unambiguous: a segment starts a new pair only when the text before its first `:` is
//! a valid key; any other segment (no `:`, or `host.name:8080`) continues the previous value,
//! `/` included. So `siteUrl:a.com/meetnow` is one value `a.com/meetnow`, and the `video:1`
//! above is read as a pair of its own (`video` = `1`), ending the URL at `…quanshi.com`.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use std::fmt;
use std::str::FromStr;

/// The scheme and empty authority every launch string starts with.
pub const PREFIX: &str = "tang:///";

/// ASCII characters escaped in values: the separators (`/`, `:`), the escape character (`%`),
/// controls and space, and what URL handlers treat specially in a path (`#`, `?`, `"`, `<`,
/// `>`, `` ` ``, `{`, `}`). Non-ASCII whitespace and controls are escaped too (see [`escape`]).
const VALUE_ESCAPE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'%')
    .add(b'/')
    .add(b':')
    .add(b'#')
    .add(b'?')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Everything but RFC 3986's unreserved characters, for query values (`token=`).
pub(crate) const QUERY_VALUE: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A key that [`LaunchString::push`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("launch string key {key:?} is invalid: a key is one or more ASCII letters, digits or '_'")]
pub struct InvalidKey {
    pub key: String,
}

/// Why a text is not a launch string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchParseError {
    #[error("a launch string starts with \"tang:///\"; this one starts with {start:?}")]
    MissingPrefix { start: String },
    #[error(
        "launch string segment {segment:?} is not \"key:value\" (no ':' after a valid key) \
         and there is no earlier value it could continue"
    )]
    NoColon { segment: String },
    #[error(
        "launch string value of {key:?} has a bad escape at byte {at}: '%' must be followed \
         by two hex digits (write a literal '%' as %25)"
    )]
    BadEscape { key: String, at: usize },
    #[error("launch string value of {key:?} does not decode to UTF-8 text")]
    NotUtf8 { key: String },
}

/// An ordered list of `(key, value)` pairs, shown as `tang:///k1:v1/k2:v2…`. Keys may repeat;
/// [`get`](Self::get) answers the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchString {
    pairs: Vec<(String, String)>,
}

impl LaunchString {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a pair. The value may be any text; the key must be valid ([`is_valid_key`]).
    ///
    /// ```
    /// # use huiyi_wire::launch::LaunchString;
    /// let mut ls = LaunchString::new();
    /// ls.push("app", "6")?.push("userName", "张三/Sales")?;
    /// assert_eq!(ls.to_string(), "tang:///app:6/userName:张三%2FSales");
    /// assert!(ls.push("user name", "x").is_err());
    /// # Ok::<(), huiyi_wire::launch::InvalidKey>(())
    /// ```
    pub fn push(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<&mut Self, InvalidKey> {
        let key = key.into();
        if !is_valid_key(&key) {
            return Err(InvalidKey { key });
        }
        self.pairs.push((key, value.into()));
        Ok(self)
    }

    /// Appends a pair whose key is one of ours (a literal known to be valid).
    fn put(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        debug_assert!(is_valid_key(key), "{key}");
        self.pairs.push((key.to_owned(), value.into()));
        self
    }

    /// The value of the first pair with this key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    /// The pairs in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Reads a launch string: ours exactly, the vendor's as far as it is unambiguous (see the
    /// module docs). The scheme is matched without regard to case; `tang:///` alone is the empty
    /// list, and one trailing `/` is ignored.
    pub fn parse(s: &str) -> Result<LaunchString, LaunchParseError> {
        let rest = match s.get(..PREFIX.len()) {
            Some(head) if head.eq_ignore_ascii_case(PREFIX) => &s[PREFIX.len()..],
            _ => {
                return Err(LaunchParseError::MissingPrefix {
                    start: s.chars().take(PREFIX.len()).collect(),
                });
            }
        };
        if rest.is_empty() {
            return Ok(LaunchString::new());
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);

        // First the raw (still escaped) pairs, joining continuation segments; then decoding.
        let mut raw: Vec<(&str, String)> = Vec::new();
        for segment in rest.split('/') {
            match segment.split_once(':') {
                Some((key, value)) if is_valid_key(key) => raw.push((key, value.to_owned())),
                _ => match raw.last_mut() {
                    Some((_, value)) => {
                        value.push('/');
                        value.push_str(segment);
                    }
                    None => {
                        return Err(LaunchParseError::NoColon {
                            segment: segment.to_owned(),
                        });
                    }
                },
            }
        }
        let pairs = raw
            .into_iter()
            .map(|(key, value)| Ok((key.to_owned(), unescape(key, &value)?)))
            .collect::<Result<_, LaunchParseError>>()?;
        Ok(LaunchString { pairs })
    }
}

impl fmt::Display for LaunchString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write!(f, "{k}:{}", escape(v))?;
        }
        Ok(())
    }
}

impl FromStr for LaunchString {
    type Err = LaunchParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A launch key: one or more ASCII letters, digits or `_`.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A value as it appears in a launch string (see [`VALUE_ESCAPE`]). Non-ASCII text stays as it
/// is, except whitespace and control characters, which are percent-encoded as UTF-8.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut buf = [0u8; 4];
    for c in value.chars() {
        if c.is_ascii() || c.is_whitespace() || c.is_control() {
            // `utf8_percent_encode` encodes every non-ASCII byte, and ASCII per the set.
            out.extend(utf8_percent_encode(c.encode_utf8(&mut buf), VALUE_ESCAPE));
        } else {
            out.push(c);
        }
    }
    out
}

/// The inverse of [`escape`]: strict about `%` (two hex digits must follow).
fn unescape(key: &str, value: &str) -> Result<String, LaunchParseError> {
    let bytes = value.as_bytes();
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'%') {
        let at = i + off;
        let hex = bytes.get(at + 1..at + 3);
        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
            return Err(LaunchParseError::BadEscape {
                key: key.to_owned(),
                at,
            });
        }
        i = at + 3;
    }
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .map(|v| v.into_owned())
        .map_err(|_| LaunchParseError::NotUtf8 {
            key: key.to_owned(),
        })
}

/// What endpoint 8 (`launchString`) puts in its launch string. Field docs name the key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LaunchFields {
    /// `app`: the vendor's application id, 6 in every example.
    pub app: i64,
    /// `site`: the client's site id (example 08: `60001`).
    pub site: String,
    /// `lang`: the client's language, `cn` or `en`.
    pub lang: String,
    /// `dm`: the domain the client talks to, our public host (example: `meetnow.quanshi.com`).
    pub domain: String,
    /// `pwdType`: the booking's `password_type`, 0 fixed or 1 per-booking passcodes.
    pub pwd_type: i64,
    /// `conf_id`: the session's `tempConferenceId`, else the `conferenceId`.
    pub conf_id: String,
    /// `cid`: the booking's `conferenceId`.
    pub cid: String,
    /// `huid`: the host's userId.
    pub huid: i64,
    /// `user_id`: the joining user's userId, 0 for a guest.
    pub user_id: i64,
    /// `customerCode`: the host's customer.
    pub customer_code: String,
    /// `pcode`: the passcode the person joins with (decides host or attendee).
    pub pcode: String,
    /// `userName`: the joining person's display name (the request's `name`).
    pub name: String,
    /// `iconUrl`: the joining person's avatar (the request's `iconUrl`), when given.
    pub icon_url: Option<String>,
    /// Meeting settings flags in the vendor's names (`autoRec`, `mustSelectAudio`, `chat` …),
    /// emitted between `customerCode` and `pcode` as in example 08. A flag whose key is not a
    /// valid key, or is one of the keys above, is left out.
    pub settings: Vec<(String, String)>,
}

/// The launch string endpoint 8 answers, in the vendor's key order: `app`, `skin`, `site`,
/// `pwdType`, `lang`, `dm`, `conf_id`, `cid`, `huid`, `user_id`, `customerCode`, the settings,
/// `pcode`, then `userName` and `iconUrl` (which the example does not show).
pub fn launch_string(f: &LaunchFields) -> LaunchString {
    let mut ls = LaunchString::new();
    ls.put("app", f.app.to_string())
        .put("skin", "1")
        .put("site", f.site.as_str())
        .put("pwdType", f.pwd_type.to_string())
        .put("lang", f.lang.as_str())
        .put("dm", f.domain.as_str())
        .put("conf_id", f.conf_id.as_str())
        .put("cid", f.cid.as_str())
        .put("huid", f.huid.to_string())
        .put("user_id", f.user_id.to_string())
        .put("customerCode", f.customer_code.as_str());
    for (k, v) in &f.settings {
        if !FIELD_KEYS.contains(&k.as_str()) && !ls.contains_key(k) {
            // Invalid keys are skipped: `push` refuses them.
            let _ = ls.push(k.as_str(), v.as_str());
        }
    }
    ls.put("pcode", f.pcode.as_str())
        .put("userName", f.name.as_str());
    if let Some(icon) = &f.icon_url {
        ls.put("iconUrl", icon.as_str());
    }
    ls
}

/// Every key [`launch_string`] sets from [`LaunchFields`]; settings may not reuse them.
const FIELD_KEYS: &[&str] = &[
    "app",
    "skin",
    "site",
    "pwdType",
    "lang",
    "dm",
    "conf_id",
    "cid",
    "huid",
    "user_id",
    "customerCode",
    "pcode",
    "userName",
    "iconUrl",
];

/// Endpoint 22's `webJoinLink`: `tang:///app:6/skin:1/site:<site>/Version:<version>/goto:login/
/// token:<token>/wuid:<userId>`, which opens the desktop client logged in as the user.
pub fn login_launch_string(site: &str, version: &str, token: &str, user_id: i64) -> LaunchString {
    let mut ls = LaunchString::new();
    ls.put("app", "6")
        .put("skin", "1")
        .put("site", site)
        .put("Version", version)
        .put("goto", "login")
        .put("token", token)
        .put("wuid", user_id.to_string());
    ls
}

/// Endpoint 22's `appJoinLink`: `qsgnet://com.gnet.onemeeting?goto=login&token=<token>&wuid=
/// <userId>` for the mobile app; the token is URL-encoded as a query value.
pub fn app_join_link(token: &str, user_id: i64) -> String {
    format!(
        "qsgnet://com.gnet.onemeeting?goto=login&token={}&wuid={user_id}",
        utf8_percent_encode(token, QUERY_VALUE)
    )
}

/// Endpoint 21's `joinLink`: a join link with `token=<token>&wuid=<userId>` appended as query
/// parameters (`…/k/<code>?token=…&wuid=…`, example 21); `&` when the link already has a query.
pub fn login_free_link(link: &str, token: &str, user_id: i64) -> String {
    let sep = if link.contains('?') { '&' } else { '?' };
    format!(
        "{link}{sep}token={}&wuid={user_id}",
        utf8_percent_encode(token, QUERY_VALUE)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_separators_and_whitespace_but_keeps_bars_and_chinese() {
        assert_eq!(escape("会议/室:一|二"), "会议%2F室%3A一|二");
        assert_eq!(escape("50% a\tb"), "50%25%20a%09b");
        assert_eq!(escape("a\u{3000}b"), "a%E3%80%80b");
        assert_eq!(escape("#1?x"), "%231%3Fx");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        assert!(matches!(
            LaunchString::parse("http://x"),
            Err(LaunchParseError::MissingPrefix { .. })
        ));
        assert!(matches!(
            LaunchString::parse("tang:///novalue/a:1"),
            Err(LaunchParseError::NoColon { .. })
        ));
        assert_eq!(
            LaunchString::parse("tang:///a:1/b:50%"),
            Err(LaunchParseError::BadEscape {
                key: "b".into(),
                at: 2
            })
        );
        assert!(matches!(
            LaunchString::parse("tang:///a:%zz"),
            Err(LaunchParseError::BadEscape { .. })
        ));
        assert!(matches!(
            LaunchString::parse("tang:///a:%FF"),
            Err(LaunchParseError::NotUtf8 { .. })
        ));
        let msg = LaunchString::parse("x").unwrap_err().to_string();
        assert!(msg.contains("tang:///"), "{msg}");
    }

    #[test]
    fn empty_and_trailing_slash() {
        assert!(LaunchString::parse("tang:///").unwrap().is_empty());
        assert_eq!(LaunchString::new().to_string(), "tang:///");
        let ls = LaunchString::parse("TANG:///a:1/").unwrap();
        assert_eq!(ls.pairs(), &[("a".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn continuation_segments_join_the_previous_value() {
        let ls = LaunchString::parse("tang:///u:http://h.example:8080/p/x:1").unwrap();
        assert_eq!(ls.get("u"), Some("http://h.example:8080/p"));
        assert_eq!(ls.get("x"), Some("1"));
    }
}
