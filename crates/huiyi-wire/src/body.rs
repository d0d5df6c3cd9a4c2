//! Request bodies: JSON, classic form fields, or JSON sent under the form content type. Keys
//! are trimmed (the reference's own examples carry `"tempConferenceIds "`).

use crate::codes::{Code, WireError};
use crate::lenient::Fields;
use serde_json::{Map, Value};

/// Reads a body into one object of fields. An empty body is an empty object.
pub fn parse_body(content_type: Option<&str>, bytes: &[u8]) -> Result<Fields, WireError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| WireError::new(Code::MalformedBody, "the request body is not valid UTF-8"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Fields::default());
    }
    let is_form = content_type
        .map(|c| {
            c.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    if is_form && !looks_json {
        return parse_form(trimmed);
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Object(map)) => Ok(Fields::new(trim_keys(map))),
        Ok(_) => Err(WireError::new(
            Code::MalformedBody,
            "the request body must be a JSON object (or form fields)",
        )),
        Err(e) if !looks_json && trimmed.contains('=') => {
            // Clients that send form fields without saying so.
            parse_form(trimmed).map_err(|_| malformed_json(&e))
        }
        Err(e) => Err(malformed_json(&e)),
    }
}

fn malformed_json(e: &serde_json::Error) -> WireError {
    WireError::new(
        Code::MalformedBody,
        format!(
            "the request body is not valid JSON (line {}, column {}); send a JSON object or form fields",
            e.line(),
            e.column()
        ),
    )
}

fn parse_form(text: &str) -> Result<Fields, WireError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text).map_err(|_| {
        WireError::new(
            Code::MalformedBody,
            "the form body cannot be read; send key=value pairs joined by &",
        )
    })?;
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.trim().to_owned(), Value::String(v));
    }
    Ok(Fields::new(map))
}

/// Query strings are read like form bodies.
pub fn parse_query(query: Option<&str>) -> Fields {
    query.and_then(|q| parse_form(q).ok()).unwrap_or_default()
}

fn trim_keys(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Object(inner) => Value::Object(trim_keys(inner)),
                Value::Array(items) => Value::Array(
                    items
                        .into_iter()
                        .map(|i| match i {
                            Value::Object(o) => Value::Object(trim_keys(o)),
                            other => other,
                        })
                        .collect(),
                ),
                other => other,
            };
            (k.trim().to_owned(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_form_and_json_under_form() {
        let j = parse_body(Some("application/json"), br#"{"a ": 1}"#).unwrap();
        assert_eq!(j.i64("a").unwrap(), Some(1));
        let f = parse_body(
            Some("application/x-www-form-urlencoded"),
            b"a=1&title=%E6%B5%8B",
        )
        .unwrap();
        assert_eq!(f.i64("a").unwrap(), Some(1));
        assert_eq!(f.text("title").unwrap().as_deref(), Some("测"));
        let jf = parse_body(Some("application/x-www-form-urlencoded"), br#"{"a":"2"}"#).unwrap();
        assert_eq!(jf.i64("a").unwrap(), Some(2));
        assert!(parse_body(None, b"").unwrap().is_empty());
    }

    #[test]
    fn malformed_bodies_are_answered_with_a_code() {
        for b in [&b"{"[..], b"[1,2]", b"\"x\"", b"{\"a\":}", b"\xff\xfe"] {
            let e = parse_body(Some("application/json"), b).unwrap_err();
            assert_eq!(e.code, Code::MalformedBody, "{b:?}");
        }
    }
}
