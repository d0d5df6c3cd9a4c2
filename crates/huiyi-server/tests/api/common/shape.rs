//! Golden comparison of an answer with the reference's example: keys and JSON types of the
//! result, and of the envelope (with the keys API.md §1 requires).

use serde_json::Value;

/// Keys the envelope carries by API.md §1 even where an example omits them.
pub const ENVELOPE_KEYS: [&str; 8] = [
    "status",
    "result",
    "msg",
    "request_id",
    "reqid",
    "timestamp",
    "content_type",
    "request_duration",
];

pub fn assert_same_shape(example_name: &str, actual: &Value) {
    assert_shape_against(example_name, super::example(example_name), actual)
}

pub fn assert_shape_against(example_name: &str, expected: Value, actual: &Value) {
    assert_eq!(actual["status"], 0, "{example_name}: {actual}");
    let mismatches = huiyi_wire::shape::compare(&expected["result"], &actual["result"]);
    assert!(
        mismatches.is_empty(),
        "{example_name}: result differs from the example:\n{}",
        mismatches.join("\n")
    );
    let exp = expected.as_object().unwrap();
    let act = actual.as_object().unwrap();
    for (k, v) in exp {
        if k == "result" {
            continue;
        }
        let a = act
            .get(k)
            .unwrap_or_else(|| panic!("{example_name}: envelope lacks {k}"));
        assert_eq!(
            huiyi_wire::shape::kind(a),
            huiyi_wire::shape::kind(v),
            "{example_name}: envelope key {k} has another JSON type"
        );
    }
    for k in act.keys() {
        assert!(
            exp.contains_key(k) || ENVELOPE_KEYS.contains(&k.as_str()),
            "{example_name}: envelope has a key {k} that neither the example nor API.md §1 has"
        );
    }
    for k in ENVELOPE_KEYS {
        assert!(act.contains_key(k), "{example_name}: envelope lacks {k}");
    }
    assert_eq!(act["request_id"], act["reqid"]);
}
