//! Golden tests: every answer builder against the reference's own response examples. Each test
//! rebuilds the example's meeting as a `Booking`, and checks
//! - the shape (`huiyi_wire::shape::compare`): same keys at every level, same JSON types;
//! - the key order, so a byte-oriented client sees the vendor's layout;
//! - the values wherever our data can reproduce the vendor's (ids, times, links, names);
//!
//! and that the example's own `result` parses into our type and re-serializes losslessly.

use crate::examples::{assert_shape, example_result};
use huiyi_domain::time::{Zone, parse_time};
use huiyi_domain::{
    BillingCode, Booking, BookingLinks, ConferenceId, Customer, Details, Invitee, LinkCode,
    Passcode, PasswordType, SessionIndex, SessionState, Settings, TempConferenceId, User, UserId,
};
use huiyi_wire::answers::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Reading the examples and comparing

/// The values we can reproduce from the example's own data are the example's.
fn assert_values(what: &str, expected: &Value, actual: &Value, keys: &[&str]) {
    for k in keys {
        assert_eq!(actual[*k], expected[*k], "{what}: value of {k}");
    }
}

/// Every key of `expected` is in `actual` with an equal value, recursively.
fn contains(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_some_and(|av| contains(ev, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(ev, av)| contains(ev, av))
        }
        _ => expected == actual,
    }
}

/// The SDK parses the vendor's own answer with our type, losing nothing: re-serialized it holds
/// every key and value of the example (plus only the `allowed` newer keys).
fn assert_round_trip<T: Serialize + DeserializeOwned>(
    what: &str,
    result: &Value,
    allowed: &[&str],
) {
    let parsed: T = serde_json::from_value(result.clone())
        .unwrap_or_else(|e| panic!("{what}: the example does not parse: {e}"));
    let again = serde_json::to_value(&parsed).unwrap();
    assert!(
        contains(result, &again),
        "{what}: re-serialized answer lost values:\n{again:#}"
    );
    assert_shape(what, result, &again, allowed);
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Fixtures: the examples' meetings as bookings

fn local(s: &str) -> i64 {
    parse_time(s, Zone::default()).unwrap()
}

fn customer(code: &str, advance_hours: i64) -> Customer {
    Customer {
        key: 7,
        code: code.into(),
        name: "Example Corp".into(),
        zone: Zone::parse("Asia/Shanghai").unwrap(),
        advance_hours,
        host_mail: true,
        english: false,
    }
}

fn user(id: i64, name: &str, email: &str) -> User {
    User {
        user_id: UserId::new(id).unwrap(),
        customer: 7,
        email: email.into(),
        name: name.into(),
        mobile: String::new(),
        admin: false,
    }
}

fn ctx<'a>(now: i64, public_url: &'a str, customer: &'a Customer, host: &'a User) -> AnswerCtx<'a> {
    AnswerCtx {
        now,
        public_url,
        customer,
        host,
        sessions: &NO_SESSIONS,
    }
}

static NO_SESSIONS: std::sync::LazyLock<SessionIndex> =
    std::sync::LazyLock::new(SessionIndex::default);

fn link(code: &str) -> LinkCode {
    LinkCode::parse(code).unwrap_or_else(|| panic!("{code} is not a link code"))
}

fn pcode(s: &str) -> Passcode {
    Passcode::parse(s).unwrap()
}

/// Every setting set; live streaming off.
fn settings() -> Settings {
    Settings {
        show_info: Some(true),
        show_video: Some(true),
        allow_unmute: Some(true),
        is_only: Some(false),
        auto_record: Some(false),
        conf_level_mute: Some(1),
        estimate_size: Some(10),
        must_select_audio: Some(false),
        auto_video: Some(2),
        conf_level_video_standard: Some(2),
        live_open: Some(false),
        live_password: Some(String::new()),
        enable_cloud_mcu: Some(true),
        sv: Some(100),
        join_login: Some(false),
        use_waiting_room: Some(false),
        open_watchword: Some(false),
        event_watchword: Some(String::new()),
        join_conf_sel_tag: Some(false),
        join_conf_tags: Some(String::new()),
        hardware_video: Some(true),
        allow_invite: Some(true),
        record_callback_url: Some("http://134.com".into()),
        email_notify: Some(true),
        sms_notify: Some(false),
        inform_type: Some(0),
        extra_info: Some(json!({"joinMethod": {"box": 0, "hardwareVideo": 1, "lync": 0}})),
        rooms: Some(Vec::new()),
    }
}

/// A booking of `host` with the example's ids; invitees: a user of the customer, an external
/// invitee by email, one by mobile.
#[allow(clippy::too_many_arguments)]
fn booking(
    host: &User,
    event_id: i64,
    conference_id: &str,
    title: &str,
    start: i64,
    length_minutes: i64,
    pcodes: (&str, &str),
    billing_code: &str,
    links: (&str, &str),
) -> Booking {
    Booking {
        event_id,
        conference_id: ConferenceId::parse(conference_id).unwrap(),
        customer: 7,
        host: host.user_id,
        title: title.into(),
        start,
        length_minutes,
        zone: Zone::default(),
        password_type: PasswordType::Dynamic,
        pcode1: pcode(pcodes.0),
        pcode2: pcode(pcodes.1),
        billing_code: BillingCode::parse(billing_code).unwrap(),
        links: BookingLinks {
            host: link(links.0),
            attendee: link(links.1),
            wcall: link("WcaLLcode01"),
        },
        invitees: vec![
            Invitee {
                user_id: UserId::new(87_679_001),
                name: "李雷".into(),
                email: "lilei@example.com".into(),
                mobile: String::new(),
            },
            Invitee {
                user_id: None,
                name: "dtest04".into(),
                email: "dtest04@quanshitest.com".into(),
                mobile: String::new(),
            },
            Invitee {
                user_id: None,
                name: String::new(),
                email: String::new(),
                mobile: "13800138000".into(),
            },
        ],
        details: Details {
            summary: "季度回顾".into(),
            location: String::new(),
            source: "uc".into(),
            settings: settings(),
            boxes: Vec::new(),
        },
        cancelled_at: None,
        created_at: start - 86_400,
        modified_at: start - 3_600,
        version: 3,
        series: None,
        occurrence_of: None,
    }
}

// ---------------------------------------------------------------------------------------------
// 01, 02: reservConference2 and updateReservConference

const V1_REPRODUCED: [&str; 29] = [
    "conferenceId",
    "pcode1",
    "pcode2",
    "userId",
    "conferenceTitle",
    "billingCode",
    "billingcode",
    "startTime",
    "endTime",
    "length",
    "status",
    "creatorAccount",
    "creatorName",
    "location",
    "currentTime",
    "title",
    "dTitle",
    "hostname",
    "desc",
    "host",
    "hostConferenceUrl",
    "attendeeJoinUrl",
    "informType",
    "from",
    "hostMobile",
    "email_notify",
    "usedConfTickets",
    "hostConferenceLongUrl",
    "attendeeJoinLongUrl",
];

fn check_reserv_v1(file: &str, b: &Booking, now: &str) {
    let c = customer("020880", 1);
    let host = user(81_299_515, "eyh1", "eyh1@test1.com");
    let answer = reserv_v1(b, &ctx(local(now), "http://mtest.qsh1.cn", &c, &host));
    let (expected, actual) = (example_result(file), to_json(&answer));
    assert_shape(file, &expected, &actual, &[]);
    assert_values(file, &expected, &actual, &V1_REPRODUCED);
    assert_eq!(actual["startTimeUnix"], b.start);
    assert_eq!(actual["endTimeUnix"], b.end());
    assert_eq!(actual["h323Ip"], json!([]));
    assert_round_trip::<ReservV1Answer>(file, &expected, &[]);
}

#[test]
fn example_01_reserv_conference2() {
    let host = user(81_299_515, "eyh1", "eyh1@test1.com");
    let b = booking(
        &host,
        524_001,
        "239139091",
        "测试%",
        local("2020-09-08 20:00:00"),
        120,
        ("201501000033329181", "201501000033329182"),
        "93712151",
        ("NJu0FajedAo", "NJu0Fq5Dq9o"),
    );
    check_reserv_v1(
        "01-reservConference2.response.json",
        &b,
        "2020-09-08 15:23:34",
    );
}

#[test]
fn example_02_update_reserv_conference() {
    let host = user(81_299_515, "eyh1", "eyh1@test1.com");
    let b = booking(
        &host,
        524_002,
        "239138209",
        "测试%",
        local("2020-09-07 20:00:00"),
        120,
        ("201501000033328907", "201501000033328908"),
        "93711915",
        ("NJTMteq20Xg", "NJTMt0axYaN"),
    );
    check_reserv_v1(
        "02-updateReservConference.response.json",
        &b,
        "2020-09-07 17:27:03",
    );
}

#[test]
fn v1_reserv_adds_the_pull_keys_only_for_live_meetings() {
    let c = customer("020880", 1);
    let host = user(81_299_515, "", "eyh1@test1.com");
    let mut b = booking(
        &host,
        1,
        "239139091",
        "直播",
        local("2020-09-08 20:00:00"),
        60,
        ("11111111", "22222222"),
        "93712151",
        ("NJu0FajedAo", "NJu0Fq5Dq9o"),
    );
    b.details.settings.live_open = Some(true);
    b.details.settings.live_password = Some("123456".into());
    let cx = ctx(local("2020-09-08 10:00:00"), "http://h", &c, &host);
    let v1 = to_json(&reserv_v1(&b, &cx));
    assert_eq!(
        (&v1["pullPwd"], &v1["pullUrl"]),
        (&json!("123456"), &json!(""))
    );
    // A host without a name is shown by email.
    assert_eq!(v1["hostname"], "eyh1@test1.com");
    assert_eq!(v1["title"], "邀请您参加eyh1@test1.com的会议");
    let room = to_json(&room_reserv(&b, &cx));
    assert_eq!(room["pullPwd"], "123456");
    assert_eq!(room["liveViewFlag"], 1);
    let extra = ["$.pullPwd: unexpected key"];
    assert_shape(
        "live room reserv",
        &example_result("14-room-reservConference.response.json"),
        &room,
        &extra,
    );
}

// ---------------------------------------------------------------------------------------------
// 04: getConferenceList

#[test]
fn example_04_conference_list() {
    let file = "04-getConferenceList.response.json";
    let c = customer("020880", 1);
    let host = user(4_307_081, "邵兵", "bing.shao@quanshi.cn");
    let mut b = booking(
        &host,
        1,
        "2797400",
        "测试%",
        local("2020-07-07 14:00:00"),
        120,
        ("83152555", "37193425"),
        "93700001",
        ("NJu0FajedAo", "NJu0Fq5Dq9o"),
    );
    b.details.source = String::new();
    b.invitees.truncate(2);
    b.invitees.remove(0);
    let answer = conference_list(
        &[b],
        &ctx(local("2020-07-07 13:58:06"), "http://h", &c, &host),
    );
    let (expected, actual) = (example_result(file), to_json(&answer));
    assert_shape(file, &expected, &actual, &[]);
    // Everything in this example is reproducible.
    assert_eq!(actual, expected);
    assert_round_trip::<ConferenceListAnswer>(file, &expected, &[]);
}

#[test]
fn conference_list_groups_by_local_date_in_each_bookings_zone() {
    let file = "04-getConferenceList.response.json";
    let example_day = example_result(file)["list"]["2020-07-07"].clone();
    let c = customer("020880", 1);
    let host = user(4_307_081, "邵兵", "bing.shao@quanshi.cn");
    let other = user(4_307_082, "韩梅梅", "meimei@quanshi.cn");
    let mk = |h: &User, id: &str, start: &str| {
        booking(
            h,
            1,
            id,
            "t",
            local(start),
            30,
            ("1", "2"),
            "3",
            ("NJu0FajedAo", "NJu0Fq5Dq9o"),
        )
    };
    let late = mk(&host, "100000001", "2020-07-08 09:00:00");
    let early = mk(&host, "100000002", "2020-07-07 18:00:00");
    let invited = mk(&other, "100000003", "2020-07-08 08:00:00");
    // 2020-07-08 07:00 in Shanghai is still 2020-07-07 in New York.
    let mut ny = mk(&host, "100000004", "2020-07-08 07:00:00");
    ny.zone = Zone::parse("America/New_York").unwrap();

    let answer = conference_list(
        &[late, early, invited, ny],
        &ctx(local("2020-07-07 12:00:00"), "http://h", &c, &host),
    );
    let actual = to_json(&answer);
    assert_eq!(actual["totalNum"], 4);
    let ids = |day: &str| -> Vec<Value> {
        actual["list"][day]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["conferenceId"].clone())
            .collect()
    };
    assert_eq!(
        actual["list"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["2020-07-07", "2020-07-08"]
    );
    assert_eq!(ids("2020-07-07"), [json!("100000002"), json!("100000004")]);
    assert_eq!(ids("2020-07-08"), [json!("100000001"), json!("100000003")]);
    assert_eq!(
        actual["list"]["2020-07-07"][1]["startTime"],
        "2020-07-07 19:00:00"
    );
    assert_eq!(actual["list"]["2020-07-08"][1]["isHost"], 0);
    assert_eq!(actual["list"]["2020-07-08"][0]["isHost"], 1);
    for (day, items) in actual["list"].as_object().unwrap() {
        assert_shape(day, &example_day, items, &[]);
    }
}

// ---------------------------------------------------------------------------------------------
// 05: getConferenceBaseInfoById

#[test]
fn example_05_base_info() {
    let file = "05-getConferenceBaseInfoById.response.json";
    let c = customer("020880", 1);
    let host = user(81_299_515, "eyh1", "eyh1@test1.com");
    let mut b = booking(
        &host,
        1,
        "239136921",
        "线下OpenAPi测试会议",
        local("2020-09-04 20:30:00"),
        60,
        ("201501000033328565", "201501000033328566"),
        "93711845",
        ("NJTwFXgdhKo", "NJTwFD9a6no"),
    );
    b.invitees = ["longly02", "wanda1", "wanda2", "wanda3", "wanda4", "wanda5"]
        .iter()
        .map(|n| Invitee {
            email: format!("{n}@wanda.com"),
            ..Invitee::default()
        })
        .collect();
    let numbers = [
        AccessNumber {
            area: "ALL".into(),
            number: "400-810-5211".into(),
        },
        AccessNumber {
            area: "Beijing".into(),
            number: "+86(10)5808-4299".into(),
        },
    ];
    let answer = base_info(
        &b,
        &ctx(
            local("2020-09-08 09:53:16"),
            "http://mtest.qsh1.cn",
            &c,
            &host,
        ),
        &numbers,
    );
    let (expected, actual) = (example_result(file), to_json(&answer));
    assert_shape(file, &expected, &actual, &[]);
    let reproduced = [
        "userId",
        "conferenceTitle",
        "startTime",
        "endTime",
        "length",
        "pcode1",
        "pcode2",
        "conferenceId",
        "tempConferenceId",
        "status",
        "location",
        "inviteeGroupList",
        "from",
        "billingcode",
        "displayName",
        "name",
        "hostJoinUrl",
        "attendeeJoinUrl",
        "total_invitee",
        "invitee",
        "currentTime",
        "accessNum",
        "statusInfo",
        "extraInfo",
        "hardwareLocation",
        "pullUrl",
    ];
    assert_values(file, &expected, &actual, &reproduced);
    assert_eq!(actual["timezone"], "GMT+8 Asia/Shanghai");
    assert_eq!(
        actual["moreAccessNumUrl"],
        "http://mtest.qsh1.cn/access-numbers/239136921"
    );
    assert_eq!(actual["hardwareVideoIpList"], json!([]));
    assert_round_trip::<BaseInfoAnswer>(file, &expected, &[]);
}

// ---------------------------------------------------------------------------------------------
// 06: getConfStatus

fn status_fixture() -> (Customer, User, Booking) {
    let host = user(81_299_515, "eyh1", "eyh1@test1.com");
    let b = booking(
        &host,
        1,
        "239136921",
        "线下OpenAPi测试会议",
        local("2020-09-04 20:30:00"),
        60,
        ("201501000033328565", "201501000033328566"),
        "93711845",
        ("NJTwFXgdhKo", "NJTwFD9a6no"),
    );
    (customer("020880", 2), host, b)
}

#[test]
fn example_06_conf_status() {
    let file = "06-getConfStatus.response.json";
    let (c, host, b) = status_fixture();
    let answer = conf_status(
        &b,
        &ctx(local("2020-09-08 10:27:48"), "http://h", &c, &host).status(),
    );
    let (expected, actual) = (example_result(file), to_json(&answer));
    assert_shape(file, &expected, &actual, &[]);
    assert_eq!(actual, expected);
    assert_round_trip::<ConfStatusAnswer>(file, &expected, &[]);
}

#[test]
fn may_join_opens_advance_hours_early_and_closes_twelve_hours_after_the_end() {
    let (c, host, mut b) = status_fixture();
    let at = |b: &Booking, now: i64| conf_status(b, &ctx(now, "http://h", &c, &host).status());
    let (opens, closes) = (b.start - 2 * 3600, b.end() + 12 * 3600);
    assert_eq!(at(&b, opens - 1).may_join, 0);
    assert_eq!(at(&b, opens).may_join, 1);
    assert_eq!(at(&b, b.start + 60).conf_status, 1);
    // Past the end it is expired, yet may be reopened for 12 hours.
    assert_eq!(
        (at(&b, b.end()).conf_status, at(&b, b.end()).may_join),
        (5, 1)
    );
    assert_eq!(at(&b, closes).may_join, 1);
    assert_eq!(at(&b, closes + 1).may_join, 0);
    b.cancelled_at = Some(b.start - 86_400);
    assert_eq!(
        (at(&b, b.start).conf_status, at(&b, b.start).may_join),
        (0, 0)
    );
    b.password_type = PasswordType::Fixed;
    assert_eq!(at(&b, b.start).pwd_type, 0);
}

#[test]
fn status_and_attendees_come_from_the_latest_session() {
    let (c, host, b) = status_fixture();
    let session = |closed_ms: Option<i64>, locked: bool| SessionState {
        id: 1,
        temp_conference_id: TempConferenceId::generate(),
        event_id: b.event_id,
        occurrence: b.occurrence_key(),
        opened_ms: b.start * 1000,
        closed_ms,
        locked,
        attendees: 3,
    };
    let at = |s: SessionState, now: i64| {
        let index = SessionIndex::new([s]);
        let ctx = AnswerCtx {
            sessions: &index,
            ..ctx(now, "http://h", &c, &host)
        };
        let a = conf_status(&b, &ctx.status());
        (a.conf_status, a.attendees, a.may_join)
    };
    assert_eq!(at(session(None, false), b.start), (2, 3, 1));
    assert_eq!(
        at(session(None, true), b.start),
        (18, 3, 0),
        "locked admits no one"
    );
    // Ended, yet it may be reopened until 12 hours after the booked end.
    assert_eq!(
        at(session(Some(b.start * 1000 + 5), false), b.start),
        (4, 0, 1)
    );
    assert_eq!(
        at(
            session(Some(b.start * 1000 + 5), false),
            b.end() + 12 * 3600 + 1
        ),
        (4, 0, 0)
    );
    // A live session runs past the booked end: still in progress.
    assert_eq!(at(session(None, false), b.end() + 99 * 3600), (2, 3, 1));
}

// ---------------------------------------------------------------------------------------------
// 14, 15: room reservConference and updateReservConference

fn check_room_reserv(file: &str) {
    let c = customer("153603", 1);
    let host = user(88_415_897, "php0827_001", "php0827_001@example.com");
    let mut b = booking(
        &host,
        524_331,
        "239418513",
        "王迪的会议测试233",
        local("2021-09-15 19:00:00"),
        30,
        ("201501000037317973", "201501000037317974"),
        "95346906",
        ("m2ZFSuNQn7e", "m2ZFS7ogGeT"),
    );
    b.details.settings.email_notify = Some(false);
    let answer = room_reserv(
        &b,
        &ctx(
            local("2021-09-14 18:29:40"),
            "https://mtest.qsh1.cn",
            &c,
            &host,
        ),
    );
    let (expected, actual) = (example_result(file), to_json(&answer));
    assert_shape(file, &expected, &actual, &[]);
    let reproduced = [
        "conferenceId",
        "pcode1",
        "pcode2",
        "billingcode",
        "eventId",
        "attendeeJoinUrl",
        "hostJoinUrl",
        "pullUrl",
        "liveViewFlag",
        "livePlaybackFlag",
        "livePlaybackTime",
        "beeAttendeeJoinUrl",
        "beeHostJoinUrl",
        "confHostId",
        "largeGroup",
        "usedConfTickets",
        "joinHostUrl",
        "guestJoinUrl",
        "audienceJoinUrl",
        "audienceUnionUrl",
        "userId",
        "conferenceTitle",
        "billingCode",
        "startTime",
        "endTime",
        "length",
        "status",
        "createName",
        "currentTime",
        "dTitle",
        "hostName",
        "desc",
        "host",
        "hostConferenceUrl",
        "hostMobile",
        "startTimeUnix",
        "endTimeUnix",
        "hostConferenceLongUrl",
        "attendeeJoinLongUrl",
        "email_notify",
    ];
    assert_values(file, &expected, &actual, &reproduced);
    assert_eq!(actual["groupId"], b.group_id());
    assert_eq!(actual["createAccount"], "php0827_001@example.com");
    assert_eq!(actual["title"], "邀请您参加php0827_001的会议");
    assert_round_trip::<RoomReservAnswer>(file, &expected, &[]);
}

#[test]
fn example_14_room_reserv_conference() {
    check_room_reserv("14-room-reservConference.response.json");
}

#[test]
fn example_15_room_update_reserv_conference() {
    check_room_reserv("15-room-updateReservConference.response.json");
}

// ---------------------------------------------------------------------------------------------
// 17, 18, 23: the room item of infos, list and listByAdmin

const ROOM_ITEM_REPRODUCED: [&str; 36] = [
    "CreateTime",
    "accessNumbers",
    "advanceHours",
    "allowHardVideo",
    "attendeeJoinUrl",
    "billingCode",
    "calType",
    "conferenceId",
    "customerCode",
    "endTime",
    "eventId",
    "hostId",
    "hostJoinUrl",
    "hostName",
    "isPlugin",
    "joinConfSelTag",
    "joinConfTags",
    "joinLogin",
    "length",
    "liveOpenFlag",
    "livePullPwd",
    "liveViewFlag",
    "location",
    "modifyTime",
    "pcode1",
    "pcode2",
    "recurrenceInfo",
    "startTime",
    "summary",
    "timezone",
    "timezoneForEmail",
    "title",
    "useWaitingRoom",
    "ledgerTag",
    "enableCloudMCU",
    "webRTCUrl",
];

/// The numbers example 17 and 18 show, in each list.
fn vendor_access_numbers() -> RoomAccessNumbers {
    let n = |area: &str, number: &str| RoomAccessNumber {
        area: area.into(),
        choose_by_self: 0,
        number: number.into(),
    };
    RoomAccessNumbers {
        choose_by_self: vec![n("北京", "+86(10)5932-1988"), n("上海", "+86(21)3599-4558")],
        en_us: vec![n("ALL", "400-810-8822"), n("Beijing", "+86(10)5851-2020")],
        zh_cn: vec![n("全国", "400-139-8500")],
    }
}

/// A booking shaped after one of the examples' items (a vendor room item), live settings
/// included.
fn room_booking(host: &User, item: &Value) -> Booking {
    let s = |k: &str| item[k].as_str().unwrap().to_owned();
    let i = |k: &str| item[k].as_i64().unwrap();
    let code = |k: &str| s(k).rsplit('/').next().unwrap().to_owned();
    let title = percent_encoding::percent_decode_str(&s("title"))
        .decode_utf8()
        .unwrap()
        .into_owned();
    let mut b = booking(
        host,
        i("eventId"),
        &s("conferenceId"),
        &title,
        i("startTime"),
        i("length"),
        (&s("pcode1"), &s("pcode2")),
        &s("billingCode"),
        (&code("hostJoinUrl"), &code("attendeeJoinUrl")),
    );
    b.created_at = i("CreateTime");
    b.modified_at = i("modifyTime");
    b.details.summary = s("summary");
    let st = &mut b.details.settings;
    st.live_open = Some(i("liveOpenFlag") == 1);
    st.live_password = Some(s("livePullPwd"));
    st.hardware_video = Some(i("allowHardVideo") == 1);
    st.enable_cloud_mcu = Some(i("enableCloudMCU") == 1);
    b
}

/// The example as we answer it: example 23's `null` dial-in lists are empty arrays in our
/// answers, the one deliberate difference (17 and 18 show arrays there; see `RoomAccessNumbers`).
fn with_access_arrays(mut result: Value) -> Value {
    for item in result.as_array_mut().unwrap() {
        for list in ["ChooseBySelf", "En-us", "Zh-cn"] {
            let v = &mut item["accessNumbers"][list];
            assert!(v.is_null() || v.is_array(), "{list} is a list or null");
            if v.is_null() {
                *v = json!([]);
            }
        }
    }
    result
}

fn check_room_items(file: &str, hosts: &[User], access: &RoomAccessNumbers, era: RoomItemEra) {
    let allowed: &[&str] = &[];
    let vendor = example_result(file);
    let expected = with_access_arrays(vendor.clone());
    let items = expected.as_array().unwrap();
    let c = customer(items[0]["customerCode"].as_str().unwrap(), 1);
    for (n, item) in items.iter().enumerate() {
        let host = hosts
            .iter()
            .find(|h| h.user_id.get() == item["hostId"])
            .unwrap();
        let mut b = room_booking(host, item);
        // The example's other attendees are users of the customer; our external invitees follow.
        let external: Vec<Invitee> = b
            .invitees
            .drain(..)
            .filter(|i| i.user_id.is_none())
            .collect();
        let users = item["attendList"].as_array().unwrap().iter().skip(1);
        b.invitees = users
            .map(|a| Invitee {
                user_id: UserId::new(a["user"].as_str().unwrap().parse().unwrap()),
                ..Invitee::default()
            })
            .chain(external)
            .collect();
        let what = format!("{file}[{n}]");
        let actual = to_json(&room_item(
            &b,
            &ctx(b.end() + 86_400, "https://mtest.qsh1.cn", &c, host),
            access,
            era,
        ));
        assert_shape(&what, item, &actual, allowed);
        assert_values(&what, item, &actual, &ROOM_ITEM_REPRODUCED);
        // Users of the customer come as in the example; external invitees follow.
        let attend = actual["attendList"].as_array().unwrap();
        let (users, external) = attend.split_at(item["attendList"].as_array().unwrap().len());
        assert_eq!(
            users,
            item["attendList"].as_array().unwrap().as_slice(),
            "{what}: attendList"
        );
        assert_eq!(external.len(), 2, "{what}: external invitees");
        assert!(
            external
                .iter()
                .all(|a| a["userType"] == 2 && a["user"] == "")
        );
        assert_eq!(
            actual["status"], 5,
            "{what}: the meeting was never held: expired"
        );
        let watchword = &actual["calExtraInfo"]["openWatchword"];
        match era {
            RoomItemEra::Older => {
                assert!(watchword.is_null(), "{what}: 17/18 have no watchword keys")
            }
            RoomItemEra::Newer => assert_eq!(watchword, 0),
        }
    }
    for (n, item) in items.iter().enumerate() {
        assert_round_trip::<RoomItem>(&format!("{file}[{n}]"), item, allowed);
    }
    serde_json::from_value::<Vec<RoomItem>>(vendor).expect("the vendor's own list parses");
}

#[test]
fn example_17_room_conference_infos() {
    let hosts = [user(87_679_779, "分流测试1", "fenliu1@example.com")];
    check_room_items(
        "17-room-conference-infos.response.json",
        &hosts,
        &vendor_access_numbers(),
        RoomItemEra::Older,
    );
}

#[test]
fn example_18_room_conference_list() {
    let hosts = [user(87_679_779, "分流测试1", "fenliu1@example.com")];
    check_room_items(
        "18-room-conference-list.response.json",
        &hosts,
        &vendor_access_numbers(),
        RoomItemEra::Older,
    );
}

#[test]
fn example_23_room_conference_list_by_admin() {
    let hosts = [
        user(88_609_824, "pxytest0001", "pxytest0001@example.com"),
        user(88_609_800, "裴秀月", "peixiuyue@example.com"),
    ];
    check_room_items(
        "23-room-conference-listByAdmin.response.json",
        &hosts,
        &RoomAccessNumbers::default(),
        RoomItemEra::Newer,
    );
}

#[test]
fn room_item_lists_each_attendee_once_and_external_ones_by_address() {
    let c = customer("153603", 1);
    let host = user(87_679_779, "分流测试1", "fenliu1@example.com");
    let mut b = room_booking(
        &host,
        &example_result("17-room-conference-infos.response.json")[0],
    );
    let lilei = b.invitees[0].clone();
    b.invitees.push(lilei);
    b.invitees.push(Invitee {
        user_id: Some(host.user_id),
        ..Invitee::default()
    });
    b.details.settings.open_watchword = Some(true);
    b.details.settings.event_watchword = Some("芝麻开门".into());
    b.title = "Q3 review & plan/2".into();
    let item = room_item(
        &b,
        &ctx(b.start, "https://h", &c, &host),
        &RoomAccessNumbers::default(),
        RoomItemEra::Newer,
    );
    let people: Vec<(&str, i64, &str, &str, &str)> = item
        .attend_list
        .iter()
        .map(|a| {
            (
                a.user.as_str(),
                a.user_type,
                a.display_name.as_str(),
                a.phone_email.as_str(),
                a.mobile_number.as_str(),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            ("87679779", 1, "", "", ""),
            ("87679001", 1, "", "", ""),
            ("", 2, "dtest04", "dtest04@quanshitest.com", ""),
            ("", 2, "13800138000", "", "13800138000"),
        ]
    );
    assert!(
        item.attend_list
            .iter()
            .all(|a| a.status == "W" && a.product_status == 1)
    );
    assert_eq!(
        (
            item.cal_extra_info.open_watchword,
            item.cal_extra_info.event_watchword.as_deref()
        ),
        (Some(1), Some("芝麻开门"))
    );
    assert_eq!(item.title, "Q3%20review%20%26%20plan%2F2");
    assert_eq!(item.status, 1);
    let v = to_json(&item);
    assert_eq!(
        v["accessNumbers"],
        json!({"ChooseBySelf": [], "En-us": [], "Zh-cn": []}),
        "no number configured: empty arrays, never null"
    );
}
