//! Reading values the way the vendor's clients write them: numbers as strings, booleans as
//! `"true"`/`1`/`"0"`, objects as JSON strings, text URL-encoded, whitespace around anything.
//! A value that cannot be read is an error naming the field, never a silent default.

use crate::codes::WireError;
use serde_json::{Map, Value};

/// The fields of one request (body, query and path merged), keys already trimmed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields {
    map: Map<String, Value>,
    /// Where these fields sit, for error messages: "" at the top, "inviteeList[2]." below.
    prefix: String,
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

impl Fields {
    pub fn new(map: Map<String, Value>) -> Self {
        Self {
            map,
            prefix: String::new(),
        }
    }

    fn nested(map: Map<String, Value>, prefix: String) -> Self {
        Self { map, prefix }
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Adds a field unless the body already has it (path segments and query fill gaps).
    pub fn fill(&mut self, key: &str, value: Value) {
        self.map.entry(key.to_owned()).or_insert(value);
    }

    pub fn entries(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.map.iter()
    }

    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    pub fn name(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn wrong(&self, key: &str, v: &Value, want: &str) -> WireError {
        WireError::invalid(format!(
            "{} must be {want}; got {}",
            self.name(key),
            describe(v)
        ))
    }

    /// A present, non-null value; `null` counts as absent.
    fn present(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A string, trimmed. Numbers and booleans are accepted and written as text.
    pub fn str(&self, key: &str) -> Result<Option<String>, WireError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(v) => Err(self.wrong(key, v, "a string")),
        }
    }

    /// A non-empty string; `""` counts as absent.
    pub fn nonempty(&self, key: &str) -> Result<Option<String>, WireError> {
        Ok(self.str(key)?.filter(|s| !s.is_empty()))
    }

    /// Free text that clients may send URL-encoded (`%E5%88%86…`): decoded once when it holds
    /// percent escapes that decode to UTF-8; otherwise taken as written.
    pub fn text(&self, key: &str) -> Result<Option<String>, WireError> {
        Ok(self.str(key)?.map(|s| decode_once(&s)))
    }

    /// An integer: a JSON number, or digits in a string (`"60"`, `" 60 "`). `""` is absent.
    pub fn i64(&self, key: &str) -> Result<Option<i64>, WireError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                        .map(|f| f as i64)
                })
                .map(Some)
                .ok_or_else(|| self.wrong(key, &Value::Number(n.clone()), "an integer")),
            Some(Value::String(s)) => {
                let t = s.trim();
                if t.is_empty() {
                    return Ok(None);
                }
                t.parse::<i64>()
                    .map(Some)
                    .map_err(|_| self.wrong(key, &Value::String(s.clone()), "an integer"))
            }
            Some(Value::Bool(b)) => Ok(Some(i64::from(*b))),
            Some(v) => Err(self.wrong(key, v, "an integer")),
        }
    }

    /// A flag: `true`/`false`, `"true"`/`"false"`, `1`/`0`, `"1"`/`"0"`. `""` is absent.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, WireError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(0) => Ok(Some(false)),
                Some(1) => Ok(Some(true)),
                _ => Err(self.wrong(key, &Value::Number(n.clone()), "true/false or 1/0")),
            },
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(self.wrong(key, &Value::String(s.clone()), "true/false or 1/0")),
            },
            Some(v) => Err(self.wrong(key, v, "true/false or 1/0")),
        }
    }

    /// An object, or a string holding a JSON object (as `seting` often arrives). `""` is absent.
    pub fn object(&self, key: &str) -> Result<Option<Fields>, WireError> {
        let prefix = format!("{}.", self.name(key));
        match self.present(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Fields::nested(m.clone(), prefix))),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(v @ Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => Ok(Some(Fields::nested(m, prefix))),
                _ => Err(self.wrong(key, v, "an object (or a string holding a JSON object)")),
            },
            Some(v) => Err(self.wrong(key, v, "an object")),
        }
    }

    /// An array, or a string holding a JSON array. `""` is absent.
    pub fn array(&self, key: &str) -> Result<Option<Vec<Value>>, WireError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a.clone())),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(v @ Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(a)) => Ok(Some(a)),
                _ => Err(self.wrong(key, v, "an array (or a string holding a JSON array)")),
            },
            Some(v) => Err(self.wrong(key, v, "an array")),
        }
    }

    /// The objects of an array field, each readable as `Fields` named `key[i].`.
    pub fn objects(&self, key: &str) -> Result<Option<Vec<Fields>>, WireError> {
        let Some(items) = self.array(key)? else {
            return Ok(None);
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(m) => Ok(Fields::nested(m, format!("{}[{i}].", self.name(key)))),
                other => Err(WireError::invalid(format!(
                    "{}[{i}] must be an object; got {}",
                    self.name(key),
                    describe(&other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Integers of an array field (`[58933]`, `["1","2"]`, or `"1,2"`).
    pub fn i64_list(&self, key: &str) -> Result<Option<Vec<i64>>, WireError> {
        let items: Vec<Value> = match self.present(key) {
            None => return Ok(None),
            Some(Value::String(s)) if !s.trim_start().starts_with('[') => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_owned()))
                .collect(),
            Some(_) => self.array(key)?.unwrap_or_default(),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                // Read each element as a field named after its place, so errors say `key[i]`.
                let name = format!("{}[{i}]", self.name(key));
                let tmp =
                    Fields::nested(Map::from_iter([(name.clone(), v.clone())]), String::new());
                tmp.i64(&name)?
                    .ok_or_else(|| WireError::invalid(format!("{name} must be an integer")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The first of several aliases that is present (e.g. `isShowInfo` / `showInfo`).
    pub fn first_bool(&self, keys: &[&str]) -> Result<Option<bool>, WireError> {
        for k in keys {
            if let Some(v) = self.bool(k)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }
}

/// Decodes `%XX` escapes once, when there are any and the result is UTF-8.
pub fn decode_once(s: &str) -> String {
    let has_escape = s
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    if !has_escape {
        return s.to_owned();
    }
    match percent_encoding::percent_decode_str(s).decode_utf8() {
        Ok(d) => d.into_owned(),
        Err(_) => s.to_owned(),
    }
}

/// The percent-decoded segments after `marker` in a raw path; empty segments are kept.
pub fn path_segments(path: &str, marker: &str) -> Vec<String> {
    let Some(pos) = path.find(marker) else {
        return Vec::new();
    };
    path[pos + marker.len()..]
        .split('/')
        .map(decode_once)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn segments_keep_empty_ones_and_decode() {
        assert_eq!(
            path_segments(
                "/conference/conference/cancelReservConference/6/239130656//eyh1%40test1.com",
                "/cancelReservConference/"
            ),
            vec!["6", "239130656", "", "eyh1@test1.com"]
        );
    }

    fn f(v: Value) -> Fields {
        match v {
            Value::Object(m) => Fields::new(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn numbers_as_strings_and_booleans_in_every_spelling() {
        let x = f(
            json!({"a": "60", "b": 60, "c": " 7 ", "d": "", "t1": "true", "t2": 1, "t3": "0", "t4": false, "n": null}),
        );
        assert_eq!(x.i64("a").unwrap(), Some(60));
        assert_eq!(x.i64("b").unwrap(), Some(60));
        assert_eq!(x.i64("c").unwrap(), Some(7));
        assert_eq!(x.i64("d").unwrap(), None);
        assert_eq!(x.i64("n").unwrap(), None);
        assert_eq!(x.bool("t1").unwrap(), Some(true));
        assert_eq!(x.bool("t2").unwrap(), Some(true));
        assert_eq!(x.bool("t3").unwrap(), Some(false));
        assert_eq!(x.bool("t4").unwrap(), Some(false));
    }

    #[test]
    fn unreadable_values_name_the_field() {
        let x = f(json!({"length": "sixty", "flag": "maybe", "o": 3, "list": [1, "x"]}));
        let e = x.i64("length").unwrap_err();
        assert!(e.message.contains("length"), "{}", e.message);
        assert!(x.bool("flag").unwrap_err().message.contains("flag"));
        assert!(x.object("o").is_err());
        assert!(x.i64_list("list").unwrap_err().message.contains("list[1]"));
    }

    #[test]
    fn objects_in_strings_and_nested_names() {
        let x = f(json!({"seting": "{\"isShowInfo\":\"true\"}", "inviteeList": [{"userId": "x"}]}));
        let s = x.object("seting").unwrap().unwrap();
        assert_eq!(s.bool("isShowInfo").unwrap(), Some(true));
        let inv = x.objects("inviteeList").unwrap().unwrap();
        assert!(
            inv[0]
                .i64("userId")
                .unwrap_err()
                .message
                .contains("inviteeList[0].userId")
        );
        assert_eq!(
            f(json!({"l": "1, 2"})).i64_list("l").unwrap(),
            Some(vec![1, 2])
        );
    }

    #[test]
    fn text_is_decoded_once() {
        assert_eq!(decode_once("%E5%88%86%E6%B5%81"), "分流");
        assert_eq!(decode_once("测试%"), "测试%");
        assert_eq!(decode_once("100%25"), "100%");
        assert_eq!(decode_once("%FF"), "%FF");
    }
}
