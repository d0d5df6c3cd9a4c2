//! Reading the reference's examples and comparing our answers with them: same keys at every
//! level, same JSON types, and the same key order.

use huiyi_wire::shape;
use serde_json::Value;

pub fn example(file: &str) -> Value {
    let path = format!(
        "{}/../../../shared/spec/examples/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn example_result(file: &str) -> Value {
    example(file)["result"].clone()
}

pub fn assert_shape(what: &str, expected: &Value, actual: &Value, allowed: &[&str]) {
    let bad: Vec<String> = shape::compare(expected, actual)
        .into_iter()
        .filter(|m| !allowed.contains(&m.as_str()))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: shape differs from the example:\n  {}",
        bad.join("\n  ")
    );
    let order = key_order(expected, actual, "$");
    assert!(
        order.is_empty(),
        "{what}: key order differs from the example:\n  {}",
        order.join("\n  ")
    );
}

/// Where the keys both values share come in a different order.
fn key_order(expected: &Value, actual: &Value, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let ek: Vec<&String> = e.keys().filter(|k| a.contains_key(*k)).collect();
            let ak: Vec<&String> = a.keys().filter(|k| e.contains_key(*k)).collect();
            if ek != ak {
                out.push(format!("{path}: expected {ek:?}, found {ak:?}"));
            }
            for k in ek {
                out.extend(key_order(&e[k], &a[k], &format!("{path}.{k}")));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                for (i, av) in a.iter().enumerate() {
                    out.extend(key_order(first, av, &format!("{path}[{i}]")));
                }
            }
        }
        _ => {}
    }
    out
}
