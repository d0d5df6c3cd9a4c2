//! Join links and launch strings (endpoints 7, 8, 21, 22) and opening links with their tokens:
//! answer shapes against the reference's examples, roles, secure links whose uses hold under
//! concurrency across two servers on one database, login-free links bound to their user, and
//! tenancy.

use crate::common::shape::*;
use crate::common::*;
use huiyi_domain::secrets::KeyHash;
use huiyi_domain::{JoinTokenKind, LinkRole, NewJoinToken, UserId};
use huiyi_server::services::{LinkError, LinkUse, OpenedLink};
use huiyi_server::{AppState, Config};
use huiyi_wire::launch::LaunchString;
use serde_json::{Value, json};

const JOIN: &str = "/conference/launch/joinConference";
const LAUNCH: &str = "/conference/launch/launchString";
const NO_SECRET: &str = "/confopenapi/conference/launch/joinConferenceNoSecret";
const CLIENT: &str = "/confopenapi/conference/launch/launchMeetingClient";

/// A meeting of HOST_A an hour from now: (conferenceId, pcode1, pcode2, host link code,
/// attendee link code).
struct Meeting {
    conference_id: String,
    pcode1: String,
    pcode2: String,
    host_code: String,
    attendee_code: String,
}

async fn meeting(app: &TestApp) -> Meeting {
    let r = app.book(KEY_A, HOST_A, 1).await;
    let code = |key: &str| {
        let url = r[key].as_str().unwrap();
        url.rsplit("/k/").next().unwrap().to_owned()
    };
    Meeting {
        conference_id: r["conferenceId"].as_str().unwrap().to_owned(),
        pcode1: r["pcode1"].as_str().unwrap().to_owned(),
        pcode2: r["pcode2"].as_str().unwrap().to_owned(),
        host_code: code("hostConferenceUrl"),
        attendee_code: code("attendeeJoinUrl"),
    }
}

/// Application state over the test app's database, as another process would have it.
async fn replica(app: &TestApp) -> AppState {
    let store = huiyi_server::store::open(&app.database_url)
        .await
        .expect("open the database again");
    AppState::new(store, Config::for_public_url(&app.url))
}

fn now() -> i64 {
    huiyi_domain::time::now_unix()
}

/// (code, query parameters) of a link `<url>/k/<code>?a=b&c=d`.
fn split_link(app: &TestApp, link: &str) -> (String, Vec<(String, String)>) {
    let rest = link
        .strip_prefix(&format!("{}/k/", app.url))
        .unwrap_or_else(|| panic!("{link} is not a short link of {}", app.url));
    let (code, query) = rest.split_once('?').unwrap_or((rest, ""));
    let params = serde_urlencoded::from_str(query).unwrap();
    (code.to_owned(), params)
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {params:?}"))
}

fn is_uuid_v4(t: &str) -> bool {
    let groups: Vec<usize> = t.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12]
        && &t[14..15] == "4"
        && t.bytes().all(|c| c == b'-' || c.is_ascii_hexdigit())
}

#[tokio::test]
async fn answers_have_the_reference_shapes() {
    let app = spawn_app().await;
    let m = meeting(&app).await;

    let join = app
        .post(
            JOIN,
            KEY_A,
            &json!({"appId": 6, "pcode": m.pcode2, "name": "张三"}),
        )
        .await;
    assert_same_shape("07-joinConference.response.json", &join);

    let launch = app
        .post(
            LAUNCH,
            KEY_A,
            &json!({"appId": "6", "pcode": m.pcode2, "name": "张三", "from": "uc"}),
        )
        .await;
    assert_same_shape("08-launchString.response.json", &launch);
    assert!(
        launch["result"].as_str().unwrap().starts_with("tang:///"),
        "{launch}"
    );

    let no_secret = no_secret_link(&app, &m.pcode2).await;
    assert_same_shape("21-joinConferenceNoSecret.response.json", &no_secret);
    let (code, params) = split_link(&app, no_secret["result"]["joinLink"].as_str().unwrap());
    assert_eq!(code, m.attendee_code);
    assert!(is_uuid_v4(param(&params, "token")), "{params:?}");
    assert_eq!(param(&params, "wuid"), INVITEE_A.to_string());

    // 22 exactly as the example's request, but for a user of the fixtures.
    let mut req = example("22-launchMeetingClient.request.json");
    req["userId"] = json!(INVITEE_A);
    let client = app.post(CLIENT, KEY_A, &req).await;
    assert_same_shape("22-launchMeetingClient.response.json", &client);
    let r = &client["result"];
    let token = r["token"].as_str().unwrap();
    assert!(is_uuid_v4(token), "{token}");
    assert_eq!(r["userId"], INVITEE_A);
    assert_eq!(
        r["webJoinLink"],
        format!(
            "tang:///app:6/skin:1/site:60000/Version:5.0.0/goto:login/token:{token}/wuid:{INVITEE_A}"
        )
    );
    assert_eq!(
        r["appJoinLink"],
        format!("qsgnet://com.gnet.onemeeting?goto=login&token={token}&wuid={INVITEE_A}")
    );
}

#[tokio::test]
async fn plain_links_open_as_the_passcode_says() {
    let app = spawn_app().await;
    let state = replica(&app).await;
    let m = meeting(&app).await;
    for (pcode, code, role) in [
        (&m.pcode1, &m.host_code, LinkRole::Host),
        (&m.pcode2, &m.attendee_code, LinkRole::Attendee),
    ] {
        let env = app
            .expect(JOIN, KEY_A, &json!({"pcode": pcode, "name": "张 三&co"}), 0)
            .await;
        let (got, params) = split_link(&app, env["result"].as_str().unwrap());
        assert_eq!(&got, code);
        assert_eq!(params, [("name".to_owned(), "张 三&co".to_owned())]);
        let opened: OpenedLink = state
            .joining
            .open_link(code, None, None, now(), LinkUse::Take)
            .await
            .unwrap();
        assert_eq!(opened.role, role);
        assert_eq!(opened.booking.conference_id.as_str(), m.conference_id);
        assert_eq!(opened.host.user_id.get(), HOST_A);
        assert_eq!(opened.customer.code, "A100");
        assert!(opened.user.is_none() && opened.name.is_none());
    }
    // Pinned by conferenceId; a form body; the alias replaces the name.
    let form = format!(
        "appId=6&conferenceId={}&pcode={}&name=a%40b.c&nick_name=%E8%80%81%E7%8E%8B",
        m.conference_id, m.pcode2
    );
    let (_, env) = app
        .post_raw(
            JOIN,
            Some(KEY_A),
            "application/x-www-form-urlencoded",
            form.into_bytes(),
        )
        .await;
    let (code, params) = split_link(&app, env["result"].as_str().unwrap());
    assert_eq!(
        (code, param(&params, "name")),
        (m.attendee_code.clone(), "老王")
    );

    // Passcodes of nobody, of another meeting, of another customer: 50709.
    for body in [
        json!({"pcode": "99999999", "name": "x"}),
        json!({"pcode": "99999999", "conferenceId": m.conference_id, "name": "x"}),
    ] {
        app.expect(JOIN, KEY_A, &body, 50709).await;
    }
    app.expect(JOIN, KEY_B, &json!({"pcode": m.pcode2, "name": "x"}), 50709)
        .await;
    let env = app
        .expect(JOIN, KEY_A, &json!({"pcode": m.pcode2}), 50103)
        .await;
    assert!(env["msg"].as_str().unwrap().contains("name"), "{env}");

    assert_eq!(
        state
            .joining
            .open_link("AAAAAAAAAAA", None, None, now(), LinkUse::Take)
            .await
            .unwrap_err(),
        LinkError::Unknown
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_secure_link_admits_exactly_its_uses_across_two_servers() {
    let app = spawn_app().await;
    let m = meeting(&app).await;
    let env = app.expect(JOIN, KEY_A, &json!({"pcode": m.pcode2, "name": "分流", "securityInfo": {"isSecurityLink": 1, "userId": INVITEE_A, "timeout": 10, "usableCount": 6}}), 0).await;
    let (code, params) = split_link(&app, env["result"].as_str().unwrap());
    assert_eq!(code, m.attendee_code);
    let token = param(&params, "token").to_owned();
    assert!(is_uuid_v4(&token), "{token}");

    let a = replica(&app).await;
    let b = replica(&app).await;
    let at = now();
    let opens = (0..50).map(|i| {
        let state = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (code, token) = (code.clone(), token.clone());
        tokio::spawn(async move {
            state
                .joining
                .open_link(&code, Some(&token), None, at, LinkUse::Take)
                .await
        })
    });
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for o in opens {
        match o.await.unwrap() {
            Ok(opened) => admitted.push(opened),
            Err(e) => refused.push(e),
        }
    }
    assert_eq!(admitted.len(), 6, "refusals: {refused:?}");
    assert!(
        refused.iter().all(|e| *e == LinkError::UsedUp),
        "{refused:?}"
    );
    let first = &admitted[0];
    assert_eq!(first.role, LinkRole::Attendee);
    assert_eq!(first.user.as_ref().unwrap().user_id.get(), INVITEE_A);
    assert_eq!(first.name.as_deref(), Some("分流"));
    assert_eq!(
        a.joining
            .open_link(&code, Some(&token), None, at, LinkUse::Peek)
            .await
            .unwrap_err(),
        LinkError::UsedUp
    );
    // The plain link still opens without a token; a made-up token does not.
    assert!(
        a.joining
            .open_link(&code, None, None, at, LinkUse::Take)
            .await
            .is_ok()
    );
    assert_eq!(
        a.joining
            .open_link(
                &code,
                Some("5b23de7a-e4ce-47bc-a4eb-dd7afeab8f22"),
                None,
                at,
                LinkUse::Take
            )
            .await
            .unwrap_err(),
        LinkError::Expired
    );

    // A token that has expired admits no one, however many try.
    let booking = app
        .store
        .link_target(&code)
        .await
        .unwrap()
        .expect("the link names its booking")
        .0;
    let expired = "0f1e2d3c-4b5a-4697-8877-665544332211";
    app.store
        .create_join_token(&NewJoinToken {
            token_hash: KeyHash::of(expired).as_str().to_owned(),
            kind: JoinTokenKind::Secure,
            customer: booking.customer,
            event_id: Some(booking.event_id),
            user_id: UserId::new(INVITEE_A),
            role: LinkRole::Attendee,
            name: "late".into(),
            expires_at: at - 1,
            uses: 6,
            created_at: at - 600,
        })
        .await
        .unwrap();
    let opens = (0..50).map(|i| {
        let state = if i % 2 == 0 { a.clone() } else { b.clone() };
        let code = code.clone();
        tokio::spawn(async move {
            state
                .joining
                .open_link(&code, Some(expired), None, at, LinkUse::Take)
                .await
        })
    });
    for o in opens {
        assert_eq!(o.await.unwrap().unwrap_err(), LinkError::Expired);
    }
    let left = app
        .store
        .join_token(KeyHash::of(expired).as_str())
        .await
        .unwrap()
        .unwrap()
        .uses_left;
    assert_eq!(left, 6, "an expired token loses no use");
}

#[tokio::test]
async fn a_secure_link_opens_only_its_own_link_and_only_while_it_lasts() {
    let app = spawn_app().await;
    let state = replica(&app).await;
    let m = meeting(&app).await;
    // securityInfo as a JSON string in a form body, timeout 1 minute, no name: the user's.
    let form = serde_urlencoded::to_string([
        ("pcode", m.pcode1.as_str()),
        (
            "securityInfo",
            &format!(
                r#"{{"isSecurityLink":"1","userId":"{INVITEE_A}","timeout":"1","usableCount":"2"}}"#
            ),
        ),
    ])
    .unwrap();
    let (_, env) = app
        .post_raw(
            JOIN,
            Some(KEY_A),
            "application/x-www-form-urlencoded",
            form.into_bytes(),
        )
        .await;
    assert_eq!(env["status"], 0, "{env}");
    let (code, params) = split_link(&app, env["result"].as_str().unwrap());
    assert_eq!(code, m.host_code, "pcode1 gives the host link");
    let token = param(&params, "token");
    let at = now();
    let j = &state.joining;

    // Peeking takes nothing.
    for _ in 0..3 {
        let peeked = j
            .open_link(&code, Some(token), None, at, LinkUse::Peek)
            .await
            .unwrap();
        assert_eq!(peeked.name.as_deref(), Some("分流测试1"), "the user's name");
    }
    // On another link of the meeting the token is not valid.
    let other = j
        .open_link(&m.attendee_code, Some(token), None, at, LinkUse::Take)
        .await;
    assert_eq!(other.unwrap_err(), LinkError::Expired);
    // After its timeout it is expired, though uses are left.
    let late = j
        .open_link(&code, Some(token), None, at + 61, LinkUse::Take)
        .await;
    assert_eq!(late.unwrap_err(), LinkError::Expired);
    assert!(
        j.open_link(&code, Some(token), None, at, LinkUse::Take)
            .await
            .is_ok()
    );
    assert!(
        j.open_link(&code, Some(token), None, at, LinkUse::Take)
            .await
            .is_ok()
    );
    let third = j
        .open_link(&code, Some(token), None, at, LinkUse::Take)
        .await;
    assert_eq!(third.unwrap_err(), LinkError::UsedUp);

    // Out-of-range values are named.
    for (info, field) in [
        (json!({"isSecurityLink": 1}), "securityInfo.userId"),
        (
            json!({"isSecurityLink": 1, "userId": INVITEE_A, "timeout": 1441}),
            "securityInfo.timeout",
        ),
        (
            json!({"isSecurityLink": 1, "userId": INVITEE_A, "usableCount": 0}),
            "securityInfo.usableCount",
        ),
    ] {
        let env = app
            .expect(
                JOIN,
                KEY_A,
                &json!({"pcode": m.pcode2, "securityInfo": info}),
                50103,
            )
            .await;
        assert!(env["msg"].as_str().unwrap().contains(field), "{env}");
    }
}

/// Endpoint 21's answer for INVITEE_A with `pcode`, which must succeed.
async fn no_secret_link(app: &TestApp, pcode: &str) -> Value {
    let body = json!({"pcode": pcode, "userId": INVITEE_A});
    app.expect(NO_SECRET, KEY_A, &body, 0).await
}

#[tokio::test]
async fn a_login_free_link_opens_once_for_its_user() {
    let app = spawn_app().await;
    let state = replica(&app).await;
    let m = meeting(&app).await;
    let env = no_secret_link(&app, &m.pcode1).await;
    let (code, params) = split_link(&app, env["result"]["joinLink"].as_str().unwrap());
    assert_eq!(code, m.host_code);
    let token = param(&params, "token");
    let at = now();
    let j = &state.joining;
    for wuid in [None, Some(HOST_A)] {
        let wrong = j
            .open_link(&code, Some(token), wuid, at, LinkUse::Take)
            .await;
        assert_eq!(wrong.unwrap_err(), LinkError::Expired, "wuid {wuid:?}");
    }
    let opened = j
        .open_link(&code, Some(token), Some(INVITEE_A), at, LinkUse::Take)
        .await
        .unwrap();
    assert_eq!(opened.role, LinkRole::Host);
    assert_eq!(opened.user.unwrap().user_id.get(), INVITEE_A);
    let again = j
        .open_link(&code, Some(token), Some(INVITEE_A), at, LinkUse::Take)
        .await;
    assert_eq!(again.unwrap_err(), LinkError::UsedUp);
    let peeked = j
        .open_link(&code, Some(token), Some(INVITEE_A), at, LinkUse::Peek)
        .await;
    assert_eq!(peeked.unwrap_err(), LinkError::UsedUp);

    // It lasts 24 hours.
    let env = no_secret_link(&app, &m.pcode2).await;
    let (_, params) = split_link(&app, env["result"]["joinLink"].as_str().unwrap());
    let t = app
        .store
        .join_token(KeyHash::of(param(&params, "token")).as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.kind, JoinTokenKind::NoSecret);
    assert_eq!(t.uses_left, 1);
    assert!((t.expires_at - at - 86_400).abs() <= 5, "{t:?}");
}

#[tokio::test]
async fn users_of_another_customer_are_missing_users() {
    let app = spawn_app().await;
    let m = meeting(&app).await;
    const NOBODY: i64 = 99_999_999;
    let mut answers = Vec::new();
    for user in [HOST_B, NOBODY] {
        let mut per_user = Vec::new();
        for (path, body) in [
            (NO_SECRET, json!({"pcode": m.pcode2, "userId": user})),
            (CLIENT, json!({"userId": user})),
            (
                JOIN,
                json!({"pcode": m.pcode2, "name": "x", "securityInfo": {"isSecurityLink": 1, "userId": user}}),
            ),
        ] {
            let env = app.expect(path, KEY_A, &body, 51104).await;
            assert_eq!(env["result"], Value::Null);
            let msg = env["msg"]
                .as_str()
                .unwrap()
                .replace(&user.to_string(), "<id>");
            per_user.push(msg);
        }
        answers.push(per_user);
    }
    assert_eq!(
        answers[0], answers[1],
        "a foreign user reads exactly as a missing one"
    );
    // And customer B's key does not see customer A's users either.
    app.expect(CLIENT, KEY_B, &json!({"userId": INVITEE_A}), 51104)
        .await;
}

#[tokio::test]
async fn a_login_token_opens_no_join_link() {
    let app = spawn_app().await;
    let state = replica(&app).await;
    let m = meeting(&app).await;
    let env = app
        .expect(CLIENT, KEY_A, &json!({"userId": INVITEE_A.to_string()}), 0)
        .await;
    let token = env["result"]["token"].as_str().unwrap();
    let t = app
        .store
        .join_token(KeyHash::of(token).as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (t.kind, t.event_id, t.uses_left, t.user_id.map(UserId::get)),
        (JoinTokenKind::Login, None, 1, Some(INVITEE_A))
    );
    for code in [&m.attendee_code, &m.host_code] {
        let opened = state
            .joining
            .open_link(code, Some(token), Some(INVITEE_A), now(), LinkUse::Take)
            .await;
        assert_eq!(opened.unwrap_err(), LinkError::Expired);
    }
    let t = app
        .store
        .join_token(KeyHash::of(token).as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.uses_left, 1, "not consumed by the refused opens");
}

#[tokio::test]
async fn a_launch_string_carries_the_meeting_and_its_session() {
    let app = spawn_app().await;
    let m = meeting(&app).await;
    let ask = async || {
        app.post(
            LAUNCH,
            KEY_A,
            &json!({"pcode": m.pcode1, "name": "主持人/Host", "iconUrl": "https://img.example/a.png"}),
        )
        .await
    };
    let env = ask().await;
    assert_eq!(env["status"], 0, "{env}");
    let ls = LaunchString::parse(env["result"].as_str().unwrap()).unwrap();
    let host_port = app.url.strip_prefix("http://").unwrap();
    for (key, value) in [
        ("app", "6"),
        ("skin", "1"),
        ("site", "60000"),
        ("lang", "cn"),
        ("dm", host_port),
        ("pwdType", "0"),
        ("conf_id", m.conference_id.as_str()),
        ("cid", m.conference_id.as_str()),
        ("huid", &HOST_A.to_string()),
        ("user_id", "0"),
        ("customerCode", "A100"),
        ("pcode", m.pcode1.as_str()),
        ("userName", "主持人/Host"),
        ("iconUrl", "https://img.example/a.png"),
        ("showAttInfo", "0"),
        ("autoRec", "0"),
        ("mustSelectAudio", "0"),
        ("autoVideo", "0"),
        ("videoStandardSet", "0"),
        ("live", "0"),
    ] {
        assert_eq!(ls.get(key), Some(value), "{key} in {ls}");
    }

    // Once a session is open, conf_id is its tempConferenceId.
    let r = app
        .events(vec![participant_event(
            "j1",
            "participant.joined",
            &m.conference_id,
            "host",
            now_ms(),
        )])
        .await;
    let temp = r["sessions"][0]["tempConferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let ls = LaunchString::parse(ask().await["result"].as_str().unwrap()).unwrap();
    assert_eq!(ls.get("conf_id"), Some(temp.as_str()));
    assert_eq!(ls.get("cid"), Some(m.conference_id.as_str()));

    app.expect(
        LAUNCH,
        KEY_A,
        &json!({"pcode": m.pcode1, "name": "x", "iconUrl": "javascript:x"}),
        50103,
    )
    .await;
}

#[tokio::test]
async fn cancelled_and_long_past_meetings_give_no_links_and_do_not_open() {
    let app = spawn_app().await;
    let state = replica(&app).await;
    let at = now();

    // Ended an hour ago: may still be reopened.
    let (recent, _) = app.stored_booking(-2 * 3600, 60).await;
    // Ended 13 hours ago: past the 12-hour reopen window.
    let (old, _) = app.stored_booking(-14 * 3600, 60).await;
    let code_of = async |conference: &str| {
        let cid = huiyi_domain::ConferenceId::parse(conference).unwrap();
        let b = app.store.booking_anywhere(&cid).await.unwrap().unwrap();
        (b.links.attendee.to_string(), b.pcode2.to_string())
    };
    let (recent_code, recent_pcode) = code_of(&recent).await;
    let (old_code, old_pcode) = code_of(&old).await;
    assert!(
        state
            .joining
            .open_link(&recent_code, None, None, at, LinkUse::Take)
            .await
            .is_ok()
    );
    app.expect(JOIN, KEY_A, &json!({"pcode": recent_pcode, "name": "x"}), 0)
        .await;
    assert_eq!(
        state
            .joining
            .open_link(&old_code, None, None, at, LinkUse::Take)
            .await
            .unwrap_err(),
        LinkError::Expired
    );
    app.expect(
        JOIN,
        KEY_A,
        &json!({"pcode": old_pcode, "name": "x"}),
        50713,
    )
    .await;

    let m = meeting(&app).await;
    app.expect(
        "/confopenapi/room/cancelReservConference",
        KEY_A,
        &json!({"conferenceId": m.conference_id}),
        0,
    )
    .await;
    for code in [&m.host_code, &m.attendee_code] {
        let opened = state
            .joining
            .open_link(code, None, None, at, LinkUse::Take)
            .await;
        assert_eq!(opened.unwrap_err(), LinkError::Cancelled);
    }
    app.expect(
        LAUNCH,
        KEY_A,
        &json!({"pcode": m.pcode2, "conferenceId": m.conference_id, "name": "x"}),
        50713,
    )
    .await;
}
