//! Compares the shape of two JSON values: the same keys at every object level and the same JSON
//! type for every value. Values themselves are not compared. The golden tests check our answers
//! against the reference's examples with it, and the server's replay tests reuse it.

use serde_json::Value;

/// Every place where `actual` differs in shape from `expected`, as `<path>: <what>` with a
/// path like `$.result.list.2020-07-07[0].attendeeList[0].email`. Empty when the shapes agree.
///
/// - Objects must have the same key set (a missing and an unexpected key are both reported).
/// - Numbers match numbers whether integer or not; `null` matches only `null`.
/// - Every element of an actual array is compared with the expected array's first element (the
///   examples show one element shape per list); an empty expected array accepts any elements.
pub fn compare(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("$", expected, actual, &mut out);
    out
}

/// The JSON type of a value, as the comparator names it.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn walk(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => walk(&p, ev, av, out),
                    None => out.push(format!("{p}: missing key")),
                }
            }
            for k in a.keys().filter(|k| !e.contains_key(*k)) {
                out.push(format!("{path}.{k}: unexpected key"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                for (i, av) in a.iter().enumerate() {
                    walk(&format!("{path}[{i}]"), first, av, out);
                }
            }
        }
        _ if kind(expected) != kind(actual) => {
            out.push(format!(
                "{path}: expected {}, found {}",
                kind(expected),
                kind(actual)
            ));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_shapes_pass_whatever_the_values() {
        let e = json!({"a": 1, "b": "x", "c": [{"d": null, "e": true}], "f": 1.5});
        let a = json!({"f": 7, "c": [{"e": false, "d": null}, {"d": null, "e": true}], "b": "", "a": 0});
        assert!(compare(&e, &a).is_empty(), "{:?}", compare(&e, &a));
    }

    #[test]
    fn reports_missing_and_unexpected_keys_and_type_mismatches() {
        let e = json!({"status": 1, "list": [{"name": "a", "id": "1"}], "inner": {"k": 0}});
        let a = json!({"status": "1", "list": [{"name": "a", "id": "1"}, {"name": "b", "extra": 1}], "inner": {"k": 0}, "more": null});
        let got = compare(&e, &a);
        assert_eq!(
            got,
            vec![
                "$.status: expected number, found string",
                "$.list[1].id: missing key",
                "$.list[1].extra: unexpected key",
                "$.more: unexpected key",
            ]
        );
    }

    #[test]
    fn null_is_its_own_type_and_empty_examples_accept_any_list() {
        assert_eq!(
            compare(&json!({"x": null}), &json!({"x": []})),
            vec!["$.x: expected null, found array"]
        );
        assert_eq!(
            compare(&json!({"x": []}), &json!({"x": null})),
            vec!["$.x: expected array, found null"]
        );
        assert!(compare(&json!([]), &json!([1, "a"])).is_empty());
        assert_eq!(
            compare(&json!([1]), &json!([1, "a"])),
            vec!["$[1]: expected number, found string"]
        );
    }
}
