//! Launch strings and the joining answers (endpoints 7, 8, 21, 22) against the reference's
//! examples, and the property that our launch strings round-trip through the parser.

use crate::examples::{assert_shape, example, example_result};
use huiyi_wire::answers::{JoinNoSecretAnswer, LaunchClientAnswer, join_no_secret, launch_client};
use huiyi_wire::launch::{
    LaunchFields, LaunchParseError, LaunchString, app_join_link, launch_string, login_launch_string,
};
use huiyi_wire::shape;
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The vendor's launch string and fields

fn vendor_launch_string() -> String {
    example_result("08-launchString.response.json")
        .as_str()
        .expect("08: result is a string")
        .to_owned()
}

fn fields_08() -> LaunchFields {
    LaunchFields {
        app: 6,
        site: "60001".into(),
        lang: "cn".into(),
        domain: "meetnow.quanshi.com".into(),
        pwd_type: 1,
        conf_id: "1868643072".into(),
        cid: "239131342".into(),
        huid: 81299515,
        user_id: 888461427,
        customer_code: "020880".into(),
        pcode: "201501000033327369".into(),
        name: "eyh1".into(),
        icon_url: None,
        settings: vec![
            ("raiseHand".into(), "1".into()),
            ("rollCall".into(), "1".into()),
            ("chat".into(), "1".into()),
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Endpoints 7 and 8: a bare string result

#[test]
fn join_conference_07_result_is_a_link_string() {
    let result = example_result("07-joinConference.response.json");
    assert_eq!(shape::kind(&result), "string");
    assert!(result.as_str().unwrap().starts_with("http"));
    // Our answer is a string too: the shape of a join link.
    let ours = Value::String("http://127.0.0.1:8080/k/NJPfc2GYR9k".into());
    assert!(shape::compare(&result, &ours).is_empty());
}

#[test]
fn launch_string_08_result_is_a_launch_string() {
    let result = example_result("08-launchString.response.json");
    assert_eq!(shape::kind(&result), "string");
    let ours = Value::String(launch_string(&fields_08()).to_string());
    assert!(shape::compare(&result, &ours).is_empty());
    assert!(
        ours.as_str()
            .unwrap()
            .starts_with("tang:///app:6/skin:1/site:60001/")
    );
}

#[test]
fn parses_the_vendor_example_08() {
    let ls = LaunchString::parse(&vendor_launch_string()).expect("example 08 parses");
    for (key, value) in [
        ("app", "6"),
        ("skin", "1"),
        ("site", "60001"),
        ("lang", "cn"),
        ("dm", "meetnow.quanshi.com"),
        ("pwdType", "1"),
        ("conf_id", "1868643072"),
        ("cid", "239131342"),
        ("huid", "81299515"),
        ("user_id", "888461427"),
        ("customerCode", "020880"),
        ("pcode", "201501000033327369"),
        // Raw `|` lists, empty values, `/` inside values without a `:`.
        ("aal", "8|7|12|9|35|14|11|6"),
        ("Version", ""),
        ("mv", ""),
        (
            "us",
            "meet-e-update-lab.quanshi.com|meet-e-update-lab.quanshi.com/upgradeserver",
        ),
        ("up", "80|80"),
        ("siteUrl", "20180322test2.quanshi.com/meetnow"),
        (
            "afterConferenceMarketingUrl",
            "https://meetservicem.quanshi.com/mkt/register.html",
        ),
        // The ambiguous case: `…quanshi.com/video:1` ends the URL and starts `video`.
        ("docShareServerUrl", "https://confdlprint.quanshi.com"),
        ("video", "1"),
        ("monitor", "0"),
        ("recordFile", "0"),
    ] {
        assert_eq!(ls.get(key), Some(value), "key {key}");
    }
    assert_eq!(ls.pairs().first().unwrap().0, "us");
    assert_eq!(ls.pairs().last().unwrap().0, "recordFile");
    // Re-shown in our escaped form, it reads back the same.
    assert_eq!(LaunchString::parse(&ls.to_string()).unwrap(), ls);
}

#[test]
fn our_keys_follow_the_vendor_order_of_example_08() {
    let vendor = LaunchString::parse(&vendor_launch_string()).unwrap();
    let vendor_keys: Vec<&str> = vendor.iter().map(|(k, _)| k).collect();
    let ours = launch_string(&fields_08());
    let shared: Vec<&str> = ours
        .iter()
        .map(|(k, _)| k)
        .filter(|k| vendor_keys.contains(k))
        .collect();
    let vendor_order: Vec<&str> = vendor_keys
        .iter()
        .copied()
        .filter(|k| shared.contains(k))
        .collect();
    assert_eq!(shared, vendor_order);
    // Every value the example shows and our fields reproduce is the example's.
    for k in [
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
        "raiseHand",
        "rollCall",
        "chat",
    ] {
        assert_eq!(ours.get(k), vendor.get(k), "key {k}");
    }
}

#[test]
fn launch_string_emits_name_icon_and_settings_once() {
    let mut f = fields_08();
    f.icon_url = Some("http://abcd.com/myhead.png".into());
    f.settings.push(("pcode".into(), "hijack".into()));
    f.settings.push(("bad key".into(), "1".into()));
    f.settings.push(("chat".into(), "0".into()));
    let ls = launch_string(&f);
    let keys: Vec<&str> = ls.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
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
            "raiseHand",
            "rollCall",
            "chat",
            "pcode",
            "userName",
            "iconUrl",
        ]
    );
    assert_eq!(ls.get("pcode"), Some("201501000033327369"));
    assert_eq!(ls.get("chat"), Some("1"));
    let back = LaunchString::parse(&ls.to_string()).unwrap();
    assert_eq!(back.get("iconUrl"), Some("http://abcd.com/myhead.png"));
    assert_eq!(back.get("userName"), Some("eyh1"));
}

#[test]
fn a_name_with_slash_and_colon_comes_back_intact() {
    let mut f = fields_08();
    f.name = "销售部/张三: 会议室 A|B 100%".into();
    let text = launch_string(&f).to_string();
    assert!(text.contains("userName:销售部%2F张三%3A%20会议室%20A|B%20100%25"));
    let back = LaunchString::parse(&text).unwrap();
    assert_eq!(back.get("userName"), Some("销售部/张三: 会议室 A|B 100%"));
    assert_eq!(back.get("pcode"), Some("201501000033327369"));
    assert_eq!(back, launch_string(&f));
}

#[test]
fn push_refuses_invalid_keys() {
    let mut ls = LaunchString::new();
    for bad in ["", "a b", "a:b", "a/b", "名字", "a-b", "a%3A"] {
        let err = ls.push(bad, "x").unwrap_err();
        assert_eq!(err.key, bad);
        assert!(err.to_string().contains("ASCII"), "{err}");
    }
    assert!(ls.is_empty());
    ls.push("ok_1", "x").unwrap().push("Version", "").unwrap();
    assert_eq!(ls.to_string(), "tang:///ok_1:x/Version:");
}

#[test]
fn parse_errors() {
    assert!(matches!(
        LaunchString::parse("tang://app:6"),
        Err(LaunchParseError::MissingPrefix { .. })
    ));
    assert!(matches!(
        LaunchString::parse("tang:///app6"),
        Err(LaunchParseError::NoColon { .. })
    ));
    assert!(matches!(
        LaunchString::parse("tang:///app:6/name:100%"),
        Err(LaunchParseError::BadEscape { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Endpoints 21 and 22

#[test]
fn join_no_secret_21_golden() {
    let expected = example_result("21-joinConferenceNoSecret.response.json");
    let ours = join_no_secret(
        "https://mtest.qsh1.cn/k/mkmgXQud77o",
        "5b23de7a-e4ce-47bc-a4eb-dd7afeab8f22",
        87679779,
    );
    let json = serde_json::to_value(&ours).unwrap();
    assert_shape("21", &expected, &json, &[]);
    assert_eq!(json, expected);
    let parsed: JoinNoSecretAnswer = serde_json::from_value(expected).unwrap();
    assert_eq!(parsed, ours);
}

#[test]
fn launch_meeting_client_22_golden() {
    let expected = example_result("22-launchMeetingClient.response.json");
    let user_id = example("22-launchMeetingClient.request.json")["userId"]
        .as_i64()
        .unwrap();
    let token = "a44f75ee-7aa2-48f0-975b-059fe4c60e6c";
    let ours = launch_client("60000", "5.0.0", token, user_id);
    let json = serde_json::to_value(&ours).unwrap();
    assert_shape("22", &expected, &json, &[]);
    // Byte for byte, the links included.
    assert_eq!(json, expected);
    assert_eq!(
        serde_json::to_string(&json).unwrap(),
        serde_json::to_string(&expected).unwrap()
    );
    let parsed: LaunchClientAnswer = serde_json::from_value(expected.clone()).unwrap();
    assert_eq!(parsed, ours);

    assert_eq!(
        login_launch_string("60000", "5.0.0", token, user_id).to_string(),
        expected["webJoinLink"].as_str().unwrap()
    );
    assert_eq!(
        app_join_link(token, user_id),
        expected["appJoinLink"].as_str().unwrap()
    );
    let web = LaunchString::parse(expected["webJoinLink"].as_str().unwrap()).unwrap();
    assert_eq!(web.get("token"), Some(token));
    assert_eq!(web.get("wuid"), Some("88600761"));
}

#[test]
fn login_links_escape_odd_tokens() {
    assert_eq!(
        app_join_link("a b&c=d", 1),
        "qsgnet://com.gnet.onemeeting?goto=login&token=a%20b%26c%3Dd&wuid=1"
    );
    let ls = login_launch_string("60000", "5.0.0", "x/y:z", 1);
    assert_eq!(
        LaunchString::parse(&ls.to_string()).unwrap().get("token"),
        Some("x/y:z")
    );
}

// ---------------------------------------------------------------------------------------------
// Property: our launch strings round-trip

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9_]{0,15}",
        "[a-z_0-9]{1,4}",
        Just("userName".to_owned()),
        Just("conf_id".to_owned()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("会议/室:一|二".to_owned()),
        Just("https://confdlprint.quanshi.com/video:1".to_owned()),
        Just("100%/%25/%zz/%".to_owned()),
        Just("tang:///a:1/b:2".to_owned()),
        "[/:|% a-z会议室一二\u{3000}\t#?-]{0,16}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn launch_strings_round_trip_through_the_parser(
        pairs in prop::collection::vec((key(), value()), 0..12)
    ) {
        let mut ls = LaunchString::new();
        for (k, v) in &pairs {
            ls.push(k.as_str(), v.as_str()).unwrap();
        }
        let text = ls.to_string();
        prop_assert!(!text.chars().any(|c| c.is_whitespace() || c.is_control()), "{}", text);
        let back = LaunchString::parse(&text).unwrap();
        prop_assert_eq!(back.pairs(), pairs.as_slice());
    }

    #[test]
    fn names_round_trip_through_launch_string(name in value()) {
        let mut f = fields_08();
        f.name = name.clone();
        let back = LaunchString::parse(&launch_string(&f).to_string()).unwrap();
        prop_assert_eq!(back.get("userName"), Some(name.as_str()));
        prop_assert_eq!(back.get("pcode"), Some("201501000033327369"));
    }
}
