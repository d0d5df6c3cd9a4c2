//! Dial-in numbers: `getPhoneAccessNum` (11) picks the numbers of the caller's city, then
//! province, then Beijing as `strategy` asks; which region a number is in is taken from an
//! independent geocoder (Python `phonenumbers`), never from our own data. The room items and
//! base info carry the registry's numbers.

use crate::common::shape::assert_same_shape;
use crate::common::*;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

const ACCESS: &str = "/conference/conference/getPhoneAccessNum";

/// Shared dial-in numbers, one per city (Beijing's is example 11's).
const NUMBERS: [(&str, &str); 10] = [
    ("7135", "01058858950"),
    ("7201", "02135994558"),
    ("7202", "02083331234"),
    ("7203", "075583331234"),
    ("7204", "02886661234"),
    ("7205", "02785551234"),
    ("7206", "02988881234"),
    ("7207", "057187771234"),
    ("7208", "02584441234"),
    ("7209", "02223331234"),
];
/// Customer A's own Beijing number, and customer B's own Shanghai number.
const A_OWN: (&str, &str) = ("A-1", "01059321988");
const B_OWN: (&str, &str) = ("B-1", "02199998888");

/// Landline callers: one in each city above, one in a city of a province that has numbers in
/// another city (Dongguan), one in a province with none (Urumqi).
const LANDLINES: [&str; 12] = [
    "010-59937429",
    "(021) 6888 1234",
    "020-38881234",
    "0755 2666 1234",
    "+86 28 8555 1234",
    "027-87771234",
    "0086 29 8777 1234",
    "0571-86661234",
    "025 8666 1234",
    "022-27771234",
    "0769-22221234",
    "0991-4561234",
];

async fn import_numbers(app: &TestApp) {
    let mut list: Vec<Value> = NUMBERS
        .iter()
        .map(|(id, n)| json!({"accessId": id, "number": n, "type": "1", "platform": "summit2", "customerCode": null}))
        .collect();
    list.push(json!({"accessId": A_OWN.0, "number": A_OWN.1, "type": "1", "platform": "summit2", "customerCode": "A100", "display": "+86(10)5932-1988"}));
    list.push(json!({"accessId": B_OWN.0, "number": B_OWN.1, "type": "1", "platform": "summit2", "customerCode": "B200", "display": "+86(21)9999-8888"}));
    let data: huiyi_store::ImportData =
        serde_json::from_value(json!({ "accessNumbers": list })).unwrap();
    app.store
        .import(&data, huiyi_domain::time::now_unix())
        .await
        .unwrap();
}

/// The region Python's `phonenumbers` gives each number: `(zh, en)` descriptions, "" when it
/// knows none. Also a mobile number for each landline's city, found in its geocoding data.
fn geocode(numbers: &[String]) -> (HashMap<String, (String, String)>, Vec<String>) {
    let python = std::env::var("HUIYI_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import json, sys
import phonenumbers
from phonenumbers import geocoder
from phonenumbers.geodata import GEOCODE_DATA

def describe(n):
    try:
        p = phonenumbers.parse(n, "CN")
    except phonenumbers.NumberParseException:
        return ["", ""]
    if p.country_code != 86:
        return ["", ""]
    out = []
    for lang in ("zh", "en"):
        d = geocoder.description_for_number(p, lang)
        out.append("" if d == geocoder.country_name_for_number(p, lang) else d)
    return out

numbers = json.loads(sys.argv[1])
regions = {n: describe(n) for n in numbers}
# For each landline's region, a mobile of the same region: a 7-digit mobile prefix (1xx xxxx)
# that the data places there, completed to 11 digits.
mobiles = []
for n in json.loads(sys.argv[2]):
    zh = regions[n][0]
    if not zh:
        continue
    for key in sorted(GEOCODE_DATA):
        if len(key) == 9 and key.startswith("861") and GEOCODE_DATA[key].get("zh") == zh:
            m = key[2:] + "5678"
            if describe(m)[0] == zh:
                mobiles.append(m)
                break
for m in mobiles:
    regions[m] = describe(m)
print(json.dumps({"regions": regions, "mobiles": mobiles}, ensure_ascii=False))
"#;
    let landlines: Vec<&str> = LANDLINES.to_vec();
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(serde_json::to_string(numbers).unwrap())
        .arg(serde_json::to_string(&landlines).unwrap())
        .output()
        .expect("python3 with phonenumbers (.ci/run installs it in a virtual environment)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let regions = v["regions"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, r)| {
            (
                k.clone(),
                (
                    r[0].as_str().unwrap().to_owned(),
                    r[1].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect();
    let mobiles = v["mobiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    (regions, mobiles)
}

/// "Dongguan, Guangdong" → "Guangdong"; a municipality ("Beijing") is its own province.
fn province(en: &str) -> &str {
    en.rsplit(", ").next().unwrap_or(en)
}

async fn access(app: &TestApp, key: &str, body: Value) -> Vec<String> {
    let env = app.expect(ACCESS, key, &body, 0).await;
    env["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["accessno"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn callers_get_the_numbers_of_their_city_then_province_then_beijing() {
    // The registry's numbers alone: the configured ones are tested below.
    let app = spawn_app_with(|c| c.access_numbers.0.clear()).await;
    import_numbers(&app).await;
    let mut all: Vec<String> = NUMBERS.iter().map(|(_, n)| n.to_string()).collect();
    all.extend(LANDLINES.iter().map(|s| s.to_string()));
    let (regions, mobiles) = geocode(&all);
    assert!(
        mobiles.len() >= 8,
        "a mobile for at least 8 cities: {mobiles:?}"
    );
    let shared: Vec<&str> = NUMBERS.iter().map(|(_, n)| *n).collect();
    let expected = |caller: &str, fallback: bool| -> BTreeSet<String> {
        let (zh, en) = &regions[caller];
        let pick = |same: &dyn Fn(&(String, String)) -> bool| -> BTreeSet<String> {
            shared
                .iter()
                .filter(|n| same(&regions[**n]))
                .map(|n| n.to_string())
                .collect()
        };
        if !zh.is_empty() {
            let city = pick(&|r| &r.0 == zh);
            if !city.is_empty() {
                return city;
            }
            let prov = pick(&|r| !r.1.is_empty() && province(&r.1) == province(en));
            if !prov.is_empty() {
                return prov;
            }
        }
        if fallback {
            pick(&|r| r.1 == "Beijing")
        } else {
            BTreeSet::new()
        }
    };
    let mut cities = BTreeSet::new();
    let callers: Vec<String> = LANDLINES
        .iter()
        .map(|s| s.to_string())
        .chain(mobiles.iter().cloned())
        .collect();
    for caller in &callers {
        for strategy in [0, 1] {
            let got: BTreeSet<String> = access(&app, KEY_A, json!({"phone": caller, "strategy": strategy.to_string(), "acFlag": "0", "billingCode": ""}))
                .await
                .into_iter()
                .collect();
            let want = expected(caller, strategy == 1);
            assert_eq!(
                got, want,
                "caller {caller} ({:?}), strategy {strategy}",
                regions[caller]
            );
        }
        let own_city = expected(caller, false);
        if own_city.len() == 1 {
            cities.insert(regions[caller].0.clone());
        }
    }
    assert!(cities.len() >= 8, "callers matched in only {cities:?}");
    // The province step and both fallbacks were really exercised.
    assert_eq!(
        expected("0769-22221234", false).len(),
        2,
        "Dongguan gets Guangdong's two numbers"
    );
    assert!(expected("0991-4561234", false).is_empty());
    assert_eq!(
        access(&app, KEY_A, json!({"phone": "0991-4561234", "strategy": 1})).await,
        vec!["01058858950"]
    );
    // A foreign number and a number of no region: Beijing only when asked.
    assert_eq!(
        access(
            &app,
            KEY_A,
            json!({"phone": "+1 650 253 0000", "strategy": 1})
        )
        .await,
        vec!["01058858950"]
    );
    assert!(
        access(
            &app,
            KEY_A,
            json!({"phone": "+1 650 253 0000", "strategy": 0})
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn exclusive_numbers_billing_codes_and_the_example() {
    let app = spawn_app_with(|c| c.access_numbers.0.clear()).await;
    import_numbers(&app).await;
    // Example 11 exactly as written (its appKey is not a key here; the token header is).
    let env = app
        .expect(
            ACCESS,
            KEY_A,
            &example("11-getPhoneAccessNum.request.json"),
            0,
        )
        .await;
    assert_same_shape("11-getPhoneAccessNum.response.json", &env);
    assert_eq!(
        env["result"],
        example("11-getPhoneAccessNum.response.json")["result"]
    );
    // acFlag 1: the customer's own numbers too, first.
    let beijing = json!({"phone": "010-59937429", "acFlag": 1, "strategy": 0});
    assert_eq!(
        access(&app, KEY_A, beijing.clone()).await,
        vec![A_OWN.1, "01058858950"]
    );
    assert_eq!(
        access(&app, KEY_B, beijing).await,
        vec!["01058858950"],
        "A's own number is A's"
    );
    let shanghai = json!({"phone": "021-68881234", "acFlag": "1"});
    assert_eq!(
        access(&app, KEY_B, shanghai.clone()).await,
        vec![B_OWN.1, "02135994558"]
    );
    assert_eq!(access(&app, KEY_A, shanghai).await, vec!["02135994558"]);
    // billingCode names one of this customer's bookings; another's looks like none.
    let booked = app.book(KEY_A, HOST_A, 5).await;
    let code = booked["billingCode"].as_str().unwrap().to_owned();
    let theirs = app.book(KEY_B, HOST_B, 5).await["billingCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let with = |code: &str| json!({"phone": "010-59937429", "acFlag": 1, "billingCode": code});
    assert_eq!(
        access(&app, KEY_A, with(&code)).await,
        vec![A_OWN.1, "01058858950"]
    );
    app.expect(ACCESS, KEY_A, &with(&theirs), 50709).await;
    app.expect(ACCESS, KEY_A, &with("00000000"), 50709).await;
    // Bad input.
    app.expect(ACCESS, KEY_A, &json!({"strategy": 1}), 50103)
        .await;
    let env = app
        .expect(
            ACCESS,
            KEY_A,
            &json!({"phone": "010-59937429", "strategy": 7}),
            50103,
        )
        .await;
    assert!(
        env["msg"]
            .as_str()
            .unwrap()
            .contains("strategy must be 0 or 1"),
        "{env}"
    );
    app.expect(
        ACCESS,
        KEY_A,
        &json!({"phone": "010", "acFlag": "x"}),
        50103,
    )
    .await;
}

#[tokio::test]
async fn answers_carry_the_registry_s_numbers_by_area() {
    let app = spawn_app().await;
    import_numbers(&app).await;
    let id = app.book_id(KEY_A, HOST_A, 5).await;
    let item = app.infos(&id).await["result"][0].clone();
    let numbers = &item["accessNumbers"];
    let zh: Vec<(&str, &str)> = numbers["Zh-cn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["area"].as_str().unwrap(), n["number"].as_str().unwrap()))
        .collect();
    // A's own number first, then the shared ones (no `display`: shown as dialled), then the
    // configured ones; B's is not here.
    assert_eq!(zh[0], ("北京", "+86(10)5932-1988"));
    assert_eq!(zh[1], ("北京", "01058858950"));
    assert_eq!(zh[2], ("上海", "02135994558"));
    assert!(zh.contains(&("全国", "400-810-5211")), "{zh:?}");
    assert!(!zh.iter().any(|(_, n)| n.contains("9999-8888")));
    let en: Vec<&str> = numbers["En-us"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["area"].as_str().unwrap())
        .collect();
    assert_eq!(&en[..3], ["Beijing", "Beijing", "Shanghai"]);
    assert!(en.contains(&"ALL"));
    assert_eq!(numbers["ChooseBySelf"], json!([]));
    // Base info (5) lists the same numbers with English areas.
    let base = app.base_info(&id).await;
    let areas: Vec<&str> = base["result"]["accessNum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["area"].as_str().unwrap())
        .collect();
    assert_eq!(areas, en);
    // The configured numbers are shared numbers too: a Beijing caller gets the configured
    // Beijing number after the registry's, as dialled at home.
    assert_eq!(
        access(&app, KEY_A, json!({"phone": "010-59937429"})).await,
        vec!["01058858950", "01058084299"]
    );
}
