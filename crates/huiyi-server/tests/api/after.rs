//! After the meeting: the report of a scripted session (sent with `huiyi media send`) against
//! values computed here from the script, the answers of endpoints 9, 10, 12 and 19 against the
//! examples, their limits, tenancy, and recordings uploaded in chunks, downloaded, ranged and
//! deleted.

use crate::common::process::*;
use crate::common::shape::*;
use crate::common::*;
use chrono::{FixedOffset, TimeZone};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const MIN: i64 = 60_000;

/// Asia/Shanghai has no daylight saving: a fixed +08:00 formats its local times.
fn local(ms: i64) -> String {
    let tz = FixedOffset::east_opt(8 * 3600).unwrap();
    tz.timestamp_millis_opt(ms)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn hms(ms: i64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// A meeting of host A starting within the hour, inviting the second host (who attends) and
/// two people who do not.
async fn book_with_invitees(app: &TestApp) -> String {
    let body = json!({
        "userId": HOST_A, "title": "周会", "length": 60, "starttime": local_in_hours(1),
        "inviteeList": [
            {"name": "邵兵", "email": "cx084@qs.com", "mobile": ""},
            {"name": "缺席甲", "email": "absent1@qs.com", "mobile": ""},
            {"name": "", "email": "", "mobile": "13900000009"}
        ]
    });
    let env = app
        .expect("/conference/conference/reservConference2", KEY_A, &body, 0)
        .await;
    env["result"]["conferenceId"].as_str().unwrap().to_owned()
}

struct Script {
    base: i64,
    events: Vec<Value>,
}

/// The script: host p1 (pc) 0→50 min; p2 (web, the invited 邵兵) 5→20 and 25→45, switching to
/// phone at 10 and back at 15; p3 (phone from the start) 8→30. Roll-calls at 12 (p2, p3
/// answer) and 26 (p2 answers; p3 answered before it started, which does not count). Hands:
/// p2 at 11 and 27, p3 at 9. Viewers v1 2→40 and v2 3→7 then 10→12. The host ends it at 50.
fn script(cid: &str) -> Script {
    let base = (huiyi_domain::time::now_millis() - 55 * MIN) / 1000 * 1000;
    let at = |m: i64| base + m * MIN;
    let mut n = 0;
    let mut ev = |v: Value| {
        n += 1;
        let mut v = v;
        v["eventId"] = json!(format!("script-{cid}-{n}"));
        v["conferenceId"] = json!(cid);
        v
    };
    let person = |id: &str, name: &str, role: &str, client: &str, voice: &str, address: &str| {
        json!({"id": id, "name": name, "role": role, "client": client, "voice": voice,
               "address": address, "email": format!("{id}@script.test"), "mobile": ""})
    };
    let mut p2 = person("p2", "邵兵", "attendee", "web", "network", "10.1.1.2");
    p2["email"] = json!("CX084@qs.com");
    let events = vec![
        ev(json!({"type": "participant.joined", "at": at(0),
                  "participant": person("p1", "主持人", "host", "pc", "network", "10.1.1.1")})),
        ev(
            json!({"type": "viewer.joined", "at": at(2), "viewer": {"id": "v1", "name": "观众一", "device": "pc", "browser": "Chrome", "ip": "1.2.3.4", "city": "北京"}}),
        ),
        ev(
            json!({"type": "viewer.joined", "at": at(3), "viewer": {"id": "v2", "name": "观众二", "device": "phone", "browser": "Safari", "ip": "5.6.7.8", "city": "上海"}}),
        ),
        ev(json!({"type": "participant.joined", "at": at(5), "participant": p2.clone()})),
        ev(json!({"type": "viewer.left", "at": at(7), "viewerId": "v2"})),
        ev(json!({"type": "participant.joined", "at": at(8),
                  "participant": person("p3", "电话用户", "attendee", "phone", "phone", "+8613800000003")})),
        ev(json!({"type": "hand.raised", "at": at(9), "participantId": "p3"})),
        ev(
            json!({"type": "voice.switched", "at": at(10), "participantId": "p2", "voice": "phone", "address": "+8613800000002"}),
        ),
        ev(
            json!({"type": "viewer.joined", "at": at(10), "viewer": {"id": "v2", "name": "观众二", "device": "phone", "browser": "Safari", "ip": "5.6.7.8", "city": "上海"}}),
        ),
        ev(json!({"type": "hand.raised", "at": at(11), "participantId": "p2"})),
        ev(json!({"type": "rollcall.started", "at": at(12), "rollCallId": "r1"})),
        ev(json!({"type": "viewer.left", "at": at(12), "viewerId": "v2"})),
        ev(
            json!({"type": "rollcall.answered", "at": at(13), "rollCallId": "r1", "participantId": "p2"}),
        ),
        ev(
            json!({"type": "rollcall.answered", "at": at(14), "rollCallId": "r1", "participantId": "p3"}),
        ),
        ev(
            json!({"type": "voice.switched", "at": at(15), "participantId": "p2", "voice": "network"}),
        ),
        ev(json!({"type": "participant.left", "at": at(20), "participantId": "p2"})),
        ev(
            json!({"type": "rollcall.answered", "at": at(24), "rollCallId": "r2", "participantId": "p3"}),
        ),
        ev(json!({"type": "participant.joined", "at": at(25), "participant": p2})),
        ev(json!({"type": "rollcall.started", "at": at(26), "rollCallId": "r2"})),
        ev(json!({"type": "hand.raised", "at": at(27), "participantId": "p2"})),
        ev(
            json!({"type": "rollcall.answered", "at": at(28), "rollCallId": "r2", "participantId": "p2"}),
        ),
        ev(json!({"type": "participant.left", "at": at(30), "participantId": "p3"})),
        ev(json!({"type": "viewer.left", "at": at(40), "viewerId": "v1"})),
        ev(json!({"type": "participant.left", "at": at(45), "participantId": "p2"})),
        ev(json!({"type": "session.ended", "at": at(50)})),
    ];
    Script { base, events }
}

/// Sends the script with `huiyi media send`, as a media server's operator would.
async fn send_script(app: &TestApp, cid: &str) -> i64 {
    let s = script(cid);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({"events": s.events})).unwrap(),
    )
    .unwrap();
    let url = app.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        huiyi()
            .args([
                "media",
                "send",
                "--server",
                &url,
                "--media-secret",
                MEDIA_SECRET,
            ])
            .arg(&file)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = succeeded(&out);
    assert!(stdout.contains("accepted 25"), "{stdout}");
    s.base
}

/// Customer A's `getConfReplayById` envelope for `cid`, asserted successful.
async fn by_id(app: &TestApp, cid: &str) -> Value {
    app.expect(
        "/confopenapi/conference/movie/getConfReplayById",
        KEY_A,
        &json!({ "conferenceId": cid }),
        0,
    )
    .await
}

async fn report(app: &TestApp, key: &str, cid: &str) -> Value {
    app.post(
        "/conference/report/getReportData",
        key,
        &json!({"appId": 6, "conferenceId": cid, "userId": HOST_A}),
    )
    .await
}

#[tokio::test]
async fn the_report_of_a_scripted_session_is_what_the_script_says() {
    let app = spawn_app().await;
    let cid = book_with_invitees(&app).await;
    let base = send_script(&app, &cid).await;
    let at = |m: i64| base + m * MIN;
    let env = report(&app, KEY_A, &cid).await;
    assert_eq!(env["status"], 0, "{env}");
    let r = &env["result"];

    let s = &r["summary"];
    assert_eq!(s["confTitle"], "周会");
    assert_eq!(s["startTime"], local(at(0)));
    assert_eq!(s["endTime"], local(at(50)));
    assert_eq!(s["totalCount"], 3);
    assert_eq!(s["totalNum"], 3);
    assert_eq!(s["inviteCount"], 3);
    assert_eq!(s["inviteAttendedCount"], 1);
    assert_eq!(s["attendeePercentage"], "33%", "1 of 3 invited");
    assert_eq!(s["rollcallNum"], 2);
    assert_eq!(
        s["rollcallAnswer"],
        json!([{"num": 2, "percentage": "67%"}, {"num": 1, "percentage": "33%"}])
    );
    assert_eq!(s["videoRollcallNum"], 0);
    assert_eq!(s["videoRollcallAnswer"], json!([]));
    assert_eq!(s["handsupCount"], 2, "p2 and p3 raised hands");
    assert_eq!(s["handsupPercentage"], "67%");

    let people = r["attendees"].as_array().unwrap();
    assert_eq!(people.len(), 3);
    let by = |name: &str| people.iter().find(|p| p["name"] == name).unwrap().clone();
    let host = by("主持人");
    assert_eq!(host["role"], 1);
    assert_eq!(host["joinTime"], local(at(0)));
    assert_eq!(host["offlineTime"], local(at(50)), "in until the end");
    assert_eq!(host["totalTime"], hms(50 * MIN));
    assert_eq!(host["voipTime"], hms(50 * MIN));
    assert_eq!(host["phoneTime"], "");
    assert_eq!(
        (&host["clientType"], &host["accessType"], &host["ip"]),
        (&json!("pc"), &json!("voip"), &json!("10.1.1.1"))
    );
    let p2 = by("邵兵");
    assert_eq!(p2["role"], 0);
    assert_eq!(p2["joinTime"], local(at(5)));
    assert_eq!(p2["offlineTime"], local(at(45)));
    // 5→20 and 25→45: 35 minutes, of which 10→15 on the phone.
    assert_eq!(p2["totalTime"], hms(35 * MIN));
    assert_eq!(p2["phoneTime"], hms(5 * MIN));
    assert_eq!(p2["voipTime"], hms(30 * MIN));
    assert_eq!(p2["ip"], "10.1.1.2 +8613800000002");
    assert_eq!(p2["clientType"], "web");
    let p3 = by("电话用户");
    assert_eq!(p3["totalTime"], hms(22 * MIN));
    assert_eq!(p3["phoneTime"], hms(22 * MIN));
    assert_eq!(p3["voipTime"], "");
    assert_eq!(p3["accessType"], "phone");
    assert_eq!(p3["ip"], "+8613800000003");

    let invitees = r["invitees"].as_array().unwrap();
    let attend: Vec<i64> = invitees
        .iter()
        .map(|i| i["attend"].as_i64().unwrap())
        .collect();
    assert_eq!(attend, vec![1, 0, 0]);
    assert_eq!(invitees[0]["totalTime"], hms(35 * MIN));
    assert_eq!(invitees[0]["name"], "邵兵");
    assert_eq!(invitees[1]["joinTime"], "");

    let live = r["live"].as_array().unwrap();
    assert_eq!(live.len(), 2);
    assert_eq!(live[0]["name"], "观众一");
    assert_eq!(live[0]["totalTime"], hms(38 * MIN));
    assert_eq!(live[1]["joinTime"], local(at(3)));
    assert_eq!(live[1]["offlineTime"], local(at(12)));
    assert_eq!(live[1]["totalTime"], hms(6 * MIN), "3→7 and 10→12");
    assert_eq!(live[1]["city"], "上海");

    let calls = r["rollcall"].as_array().unwrap();
    assert_eq!(calls[0]["createTime"], local(at(12)));
    let answered: Vec<&str> = calls[0]["Answered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(answered, vec!["邵兵", "电话用户"]);
    assert_eq!(calls[1]["Answered"][0]["answerTime"], local(at(28)));
    assert_eq!(calls[1]["Answered"].as_array().unwrap().len(), 1);
    assert_eq!(r["videoRollcall"], json!([]));

    let hands: Vec<(String, String)> = r["handsup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_owned(),
                h["createTime"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        hands,
        vec![
            ("电话用户".into(), local(at(9))),
            ("邵兵".into(), local(at(11))),
            ("邵兵".into(), local(at(27))),
        ]
    );

    // Asked again, the same; a fact that arrives late (it happened before the end) is in the
    // next answer: reports of ended sessions are kept only while their facts are unchanged.
    assert_eq!(report(&app, KEY_A, &cid).await["result"], *r);
    app.events(vec![
        json!({"eventId": format!("late-{cid}"), "type": "hand.raised",
        "at": at(49), "conferenceId": cid, "participantId": "p1"}),
    ])
    .await;
    let again = report(&app, KEY_A, &cid).await;
    assert_eq!(again["result"]["summary"]["handsupCount"], 3, "{again}");
    assert_eq!(again["result"]["handsup"].as_array().unwrap().len(), 4);
}

/// The example of 10 repeats keys (an older and a newer shape of the same answer): each value a
/// key has there, by the order it appears in.
fn with_repeats(text: &str) -> Vec<(String, Vec<Value>)> {
    struct All(Vec<(String, Vec<Value>)>);
    impl<'de> serde::Deserialize<'de> for All {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = All;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<All, A::Error> {
                    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
                    while let Some((k, v)) = m.next_entry::<String, Value>()? {
                        match out.iter_mut().find(|(key, _)| *key == k) {
                            Some((_, vs)) => vs.push(v),
                            None => out.push((k, vec![v])),
                        }
                    }
                    Ok(All(out))
                }
            }
            d.deserialize_map(V)
        }
    }
    // A parse into Value merges the repeats: read the result's own text instead.
    let start = text.find("\"result\"").unwrap();
    let open = start + text[start..].find('{').unwrap();
    let mut depth = 0;
    let mut end = open;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = open + i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    let All(entries) = serde_json::from_str(&text[open..end]).unwrap();
    entries
}

#[tokio::test]
async fn the_after_meeting_answers_have_the_examples_shapes() {
    let app = spawn_app().await;
    let cid = book_with_invitees(&app).await;
    let base = send_script(&app, &cid).await;

    // 10: every key the example shows, in either of its shapes, with its JSON type; no other.
    let env = report(&app, KEY_A, &cid).await;
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/spec/examples/10-getReportData.response.json"),
    )
    .unwrap();
    let sections = with_repeats(&text);
    let ours = env["result"].as_object().unwrap();
    for (key, shapes) in &sections {
        let value = ours.get(key).unwrap_or_else(|| panic!("10: no {key}"));
        if key == "summary" {
            // Two summaries: ours carries the keys of both.
            let mut union = serde_json::Map::new();
            for s in shapes {
                for (k, v) in s.as_object().unwrap() {
                    union.insert(k.clone(), v.clone());
                }
            }
            let diff = huiyi_wire::shape::compare(&Value::Object(union), value);
            assert!(diff.is_empty(), "10 summary: {diff:?}");
        } else {
            let fits = shapes
                .iter()
                .any(|s| huiyi_wire::shape::compare(s, value).is_empty());
            assert!(fits, "10 {key}: {value} fits none of {shapes:?}");
        }
    }
    for key in ours.keys() {
        assert!(
            sections.iter().any(|(k, _)| k == key),
            "10: {key} is not in the example"
        );
    }
    // The rest of the envelope as the example shows it.
    let mut expected = example("10-getReportData.response.json");
    expected["result"] = env["result"].clone();
    assert_shape_against("10-getReportData.response.json", expected, &env);
    let missing = app
        .post(
            "/conference/report/getReportData",
            KEY_A,
            &json!({"appId": 6, "conferenceId": "999999999", "userId": HOST_A}),
        )
        .await;
    assert_eq!(missing["status"], 50709, "{missing}");
    let not_found = example("10-getReportData.response-not-found.json");
    for k in not_found.as_object().unwrap().keys() {
        assert!(missing.get(k).is_some(), "not found lacks {k}");
    }

    // 9, with the example's request as written (an empty dateTime: today, in the customer's
    // zone), and over the dates the session ran (it may have opened before local midnight).
    let mut req = example("09-getConfReplay.request.json");
    req["email"] = json!([HOST_A_EMAIL]);
    let env = app
        .expect("/conference/movie/getConfReplay", KEY_A, &req, 0)
        .await;
    assert!(env["result"][HOST_A_EMAIL].is_array(), "{env}");
    let day = |ms: i64| local(ms)[..10].to_owned();
    let now = huiyi_domain::time::now_millis();
    req["dateTime"] = json!(format!("{}~{}", day(base), day(now)));
    let env = app
        .expect("/conference/movie/getConfReplay", KEY_A, &req, 0)
        .await;
    let rows = env["result"][HOST_A_EMAIL].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{env}");
    assert_same_shape("09-getConfReplay.response.json", &{
        let mut e = env.clone();
        e["result"] = json!({"xmlpay16@hys.com": rows});
        e
    });
    assert_eq!(rows[0]["conferenceId"], cid);
    assert_eq!(rows[0]["hasRecord"], "0", "nothing recorded yet");
    assert_eq!(rows[0]["isReportReady"], "1");

    // 19.
    let env = app
        .expect(
            "/confopenapi/conference/movie/getConfReplayById",
            KEY_A,
            &json!({"conferenceId": cid, "userId": HOST_A}),
            0,
        )
        .await;
    assert_same_shape("19-getConfReplayById.response.json", &env);
    assert_eq!(
        env["result"]["tempConferenceId"],
        rows[0]["tempConferenceId"]
    );

    // 12, with the stray space of the example's key.
    let mut req = example("12-recordsDelete.request.json");
    req["userId"] = json!(HOST_A);
    let env = app
        .expect("/conference/movie/recordsDelete", KEY_A, &req, 0)
        .await;
    assert_same_shape("12-recordsDelete.response.json", &env);
}

#[tokio::test]
async fn limits_are_refused_saying_the_limit() {
    let app = spawn_app().await;
    let emails: Vec<String> = (0..11).map(|i| format!("u{i}@x.com")).collect();
    let env = app
        .expect(
            "/conference/movie/getConfReplay",
            KEY_A,
            &json!({"appId": 6, "email": emails, "dateTime": ""}),
            50103,
        )
        .await;
    assert!(env["msg"].as_str().unwrap().contains("at most 10"), "{env}");
    let env = app
        .expect(
            "/conference/movie/getConfReplay",
            KEY_A,
            &json!({"appId": 6, "email": HOST_A_EMAIL, "dateTime": "2026-01-01~2026-01-15"}),
            50103,
        )
        .await;
    assert!(
        env["msg"].as_str().unwrap().contains("at most 14 days"),
        "{env}"
    );
    let ids: Vec<String> = (0..21)
        .map(|i| format!("{:010}", 1_000_000_000 + i))
        .collect();
    let env = app
        .expect(
            "/conference/movie/recordsDelete",
            KEY_A,
            &json!({"appId": 6, "userId": HOST_A, "tempConferenceIds": ids}),
            50103,
        )
        .await;
    assert!(env["msg"].as_str().unwrap().contains("at most 20"), "{env}");
    // 14 days and 10 emails are fine.
    let emails: Vec<String> = (0..10).map(|i| format!("u{i}@x.com")).collect();
    app.expect(
        "/conference/movie/getConfReplay",
        KEY_A,
        &json!({"email": emails, "dateTime": "2026-01-01~2026-01-14"}),
        0,
    )
    .await;
}

/// Signs an upload request the way `docs/recordings.md` says.
async fn put_chunk(app: &TestApp, query: &str, body: Vec<u8>) -> (u16, Value) {
    let target = format!("/media/v1/recordings?{query}");
    let ts = huiyi_domain::time::now_unix().to_string();
    let msg = huiyi_wire::media::upload_message(&target, &body);
    let sig = huiyi_wire::media::sign(MEDIA_SECRET.as_bytes(), &ts, &msg);
    let r = app
        .client
        .post(format!("{}{target}", app.url))
        .header("x-huiyi-timestamp", ts)
        .header("x-huiyi-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A few seconds of real MP4 (H.264 and AAC) made by ffmpeg.
fn mp4() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=4:size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=4",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
            "-shortest",
        ])
        .arg(&out)
        .status()
        .expect("ffmpeg (Debian's package) makes the test recording");
    assert!(made.success());
    std::fs::read(out).unwrap()
}

#[tokio::test]
async fn a_recording_uploads_in_chunks_resumes_downloads_ranges_and_is_deleted() {
    let app = spawn_app().await;
    let cid = book_with_invitees(&app).await;
    send_script(&app, &cid).await;
    let file = mp4();
    let total = file.len();
    let q = |offset: Option<usize>| {
        let mut s =
            format!("uploadId=up-{cid}&conferenceId={cid}&total={total}&format=mp4&durationSecs=4");
        if let Some(o) = offset {
            s.push_str(&format!("&offset={o}"));
        }
        s
    };
    let chunk = total / 3 + 1;
    // The first chunk arrives; the second breaks off halfway (the stream fails).
    let (http, env) = put_chunk(&app, &q(Some(0)), file[..chunk].to_vec()).await;
    assert_eq!((http, &env["status"]), (200, &json!(0)), "{env}");
    assert_eq!(env["result"]["received"], chunk);
    let target = format!("/media/v1/recordings?{}", q(Some(chunk)));
    let ts = huiyi_domain::time::now_unix().to_string();
    let whole = file[chunk..2 * chunk].to_vec();
    let sig = huiyi_wire::media::sign(
        MEDIA_SECRET.as_bytes(),
        &ts,
        &huiyi_wire::media::upload_message(&target, &whole),
    );
    let half = whole[..chunk / 2].to_vec();
    let stream = futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(half),
        Err(std::io::Error::other("the connection dropped")),
    ]);
    let broken = app
        .client
        .post(format!("{}{target}", app.url))
        .header("x-huiyi-timestamp", ts)
        .header("x-huiyi-signature", sig)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    assert!(
        broken.is_err() || broken.unwrap().status() != 200,
        "a broken chunk is not taken"
    );
    // Meanwhile the lists say a recording is coming, not ready, with no links yet.
    let env = by_id(&app, &cid).await;
    let r = &env["result"];
    assert_eq!(
        (
            &r["hasRecord"],
            &r["isRecordConvertReady"],
            &r["downloadUrl"]
        ),
        (&json!("1"), &json!("0"), &json!("")),
        "{env}"
    );
    // Resuming: the server says where it got to, and the rest follows from there.
    let (_, env) = put_chunk(&app, &q(None), Vec::new()).await;
    assert_eq!(env["result"]["received"], chunk, "{env}");
    let (http, env) = put_chunk(&app, &q(Some(0)), file[..10].to_vec()).await;
    assert_eq!((http, &env["status"]), (409, &json!(52004)), "{env}");
    let mut offset = chunk;
    while offset < total {
        let end = (offset + chunk).min(total);
        let (http, env) = put_chunk(&app, &q(Some(offset)), file[offset..end].to_vec()).await;
        assert_eq!((http, &env["status"]), (200, &json!(0)), "{env}");
        offset = end;
    }
    let (_, env) = put_chunk(&app, &q(None), Vec::new()).await;
    assert_eq!(env["result"]["state"], "done", "{env}");

    // Listed, with huiyi's links.
    let env = by_id(&app, &cid).await;
    let r = &env["result"];
    assert_eq!(
        (&r["hasRecord"], &r["isRecordConvertReady"]),
        (&json!("1"), &json!("1"))
    );
    let download = r["downloadUrl"].as_str().unwrap().to_owned();
    assert!(download.starts_with(&app.url), "{download}");
    let temp = r["tempConferenceId"].as_str().unwrap().to_owned();

    // Byte for byte.
    let got = app.client.get(&download).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "video/mp4");
    let bytes = got.bytes().await.unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        hex::encode(Sha256::digest(&file))
    );
    // Ranged.
    let got = app
        .client
        .get(&download)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 206);
    assert_eq!(
        got.headers()["content-range"],
        format!("bytes 100-199/{total}").as_str()
    );
    assert_eq!(&got.bytes().await.unwrap()[..], &file[100..200]);
    let got = app
        .client
        .get(&download)
        .header("range", format!("bytes={}-", total + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 416);
    // A link altered or without its signature leads nowhere.
    let forged = download.replace("&s=", "&s=x");
    assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 404);
    // The replay page plays it.
    let page = app
        .client
        .get(r["replayUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("replay-video") && html.contains("周会"),
        "{html}"
    );

    // Another customer deletes nothing of it.
    app.expect(
        "/conference/movie/recordsDelete",
        KEY_B,
        &json!({"userId": HOST_B, "tempConferenceIds": [temp]}),
        0,
    )
    .await;
    assert_eq!(
        app.client.get(&download).send().await.unwrap().status(),
        200
    );
    let kept: Vec<_> = walk(&app.recordings_dir);
    assert_eq!(kept.len(), 1, "one file, the chunks removed: {kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), file);

    // The host deletes it: the link is gone, the file too, and again is harmless.
    for _ in 0..2 {
        app.expect(
            "/conference/movie/recordsDelete",
            KEY_A,
            &json!({"userId": HOST_A, "tempConferenceIds ": [temp]}),
            0,
        )
        .await;
    }
    let gone = app.client.get(&download).send().await.unwrap();
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("录制已删除"));
    assert!(
        walk(&app.recordings_dir).is_empty(),
        "the file is gone from disk"
    );
    let env = by_id(&app, &cid).await;
    assert_eq!(env["result"]["hasRecord"], "0");
    assert_eq!(env["result"]["downloadUrl"], "");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn another_customer_sees_nothing() {
    let app = spawn_app().await;
    let cid = book_with_invitees(&app).await;
    send_script(&app, &cid).await;
    let env = app
        .expect(
            "/conference/movie/getConfReplay",
            KEY_B,
            &json!({"email": HOST_A_EMAIL, "dateTime": ""}),
            0,
        )
        .await;
    assert_eq!(env["result"], json!({}), "an unknown email has no key");
    let env = report(&app, KEY_B, &cid).await;
    assert_eq!(env["status"], 50709, "{env}");
    let env = app
        .expect(
            "/confopenapi/conference/movie/getConfReplayById",
            KEY_B,
            &json!({"conferenceId": cid}),
            50709,
        )
        .await;
    assert!(env["result"].is_null());
}

#[tokio::test]
async fn report_files_open_in_independent_readers() {
    let app = spawn_app().await;
    let cid = book_with_invitees(&app).await;
    send_script(&app, &cid).await;
    let env = by_id(&app, &cid).await;
    let url = env["result"]["reportDownUrl"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("r.xlsx");
    let csv = dir.path().join("r.csv");
    std::fs::write(
        &xlsx,
        app.client
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let got = app
        .client
        .get(format!("{url}&format=csv"))
        .send()
        .await
        .unwrap();
    assert!(
        got.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    std::fs::write(&csv, got.bytes().await.unwrap()).unwrap();
    // openpyxl and Python's csv module: readers no one here wrote.
    let python = std::env::var("HUIYI_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import csv, json, sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
sheets = {ws.title: [[c for c in row] for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}
raw = open(sys.argv[2], 'rb').read()
assert raw.startswith(b'\xef\xbb\xbf'), 'no BOM'
rows = list(csv.reader(open(sys.argv[2], encoding='utf-8-sig', newline='')))
print(json.dumps({"sheets": sheets, "csv": rows}, ensure_ascii=False, default=str))
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(&xlsx)
        .arg(&csv)
        .output()
        .expect("python3 with openpyxl (.ci/run installs it in a virtual environment)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sheets = read["sheets"].as_object().unwrap();
    assert_eq!(sheets.len(), 7, "{:?}", sheets.keys());
    let attendees = &sheets["参会人 Attendees"];
    assert_eq!(attendees[0][0], "姓名");
    assert_eq!(attendees[1][0], "Name");
    let names: Vec<&str> = attendees.as_array().unwrap()[2..]
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["主持人", "邵兵", "电话用户"]);
    let rows = read["csv"].as_array().unwrap();
    assert_eq!(rows[0][0], "姓名 Name");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[2][0], "邵兵");
    // A phone number starting with + is neutralised, not left to run as a formula.
    assert_eq!(rows[3][10], "'+8613800000003");
}

#[tokio::test]
async fn huiyi_media_upload_sends_a_file_in_chunks() {
    let app = spawn_app().await;
    let cid = book_with_invitees(&app).await;
    send_script(&app, &cid).await;
    let file = mp4();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meeting.mp4");
    std::fs::write(&path, &file).unwrap();
    let url = app.url.clone();
    let run = move || {
        huiyi()
            .args(["media", "upload", "--server", &url, "--conference", &cid])
            .args(["--chunk-bytes", "40000", "--duration-secs", "4"])
            .args(["--media-secret", MEDIA_SECRET])
            .arg(&path)
            .output()
            .unwrap()
    };
    let first = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    let stdout = succeeded(&first);
    let sha = hex::encode(Sha256::digest(&file));
    assert!(stdout.contains(&format!("sha256 {sha}")), "{stdout}");
    // Again: the same upload, already done; nothing is uploaded twice.
    let again = succeeded(&tokio::task::spawn_blocking(run).await.unwrap());
    assert!(again.contains("done"), "{again}");
    assert_eq!(walk(&app.recordings_dir).len(), 1);
}

/// A local S3 server: moto (from PyPI, in the same environment as openpyxl), on a free port.
struct Moto {
    child: std::process::Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Moto {
    let python = std::env::var("HUIYI_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let port = free_port();
    let child = std::process::Command::new(&python)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python with moto[server] (.ci/run installs it in a virtual environment)");
    // Owned at once, so it is stopped (and waited for) however this ends.
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(&moto.url).send().await.is_ok() {
            return moto;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("moto did not start on {}", moto.url);
}

#[tokio::test]
async fn recordings_can_live_in_an_s3_bucket() {
    let s3 = moto().await;
    let client = reqwest::Client::new();
    // moto takes any credentials; the bucket is made the way an operator would.
    let made = client
        .put(format!("{}/huiyi-rec", s3.url))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "{}", made.status());
    let (database, _guard, _store) = seeded_database().await;
    let env = [
        ("HUIYI_RECORDINGS_URL", "s3://huiyi-rec/site-a"),
        ("AWS_ENDPOINT", s3.url.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
    ];
    let server = start_server_env(&database, &["--media-secret", MEDIA_SECRET], &env).await;
    let app_url = server.url.clone();
    let booked = post_to(
        &client,
        &app_url,
        "/conference/conference/reservConference2",
        KEY_A,
        &json!({"userId": HOST_A, "title": "桶", "length": 60, "starttime": local_in_hours(1)}),
    )
    .await;
    let cid = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = huiyi_domain::time::now_millis() - 120_000;
    let batch = json!({"events": [
        {"eventId": format!("s3-{cid}-1"), "type": "participant.joined", "at": t, "conferenceId": cid,
         "participant": {"id": "h", "name": "主持人", "role": "host"}},
        {"eventId": format!("s3-{cid}-2"), "type": "session.ended", "at": t + 60_000, "conferenceId": cid}
    ]});
    let bytes = serde_json::to_vec(&batch).unwrap();
    let ts = huiyi_domain::time::now_unix().to_string();
    let sig = huiyi_wire::media::sign(MEDIA_SECRET.as_bytes(), &ts, &bytes);
    let (http, env_) = post_media(&client, &app_url, &ts, &sig, bytes).await;
    assert_eq!(http, 200, "{env_}");

    let file = mp4();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bucket.mp4");
    std::fs::write(&path, &file).unwrap();
    let (url, id) = (app_url.clone(), cid.clone());
    let out = tokio::task::spawn_blocking(move || {
        huiyi()
            .args(["media", "upload", "--server", &url, "--conference", &id])
            .args(["--chunk-bytes", "30000", "--media-secret", MEDIA_SECRET])
            .arg(&path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    succeeded(&out);

    // The file is in the bucket under the prefix, the chunks are not.
    let listing = client
        .get(format!("{}/huiyi-rec?list-type=2", s3.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let keys: Vec<&str> = listing
        .split("<Key>")
        .skip(1)
        .filter_map(|k| k.split("</Key>").next())
        .collect();
    assert_eq!(keys.len(), 1, "{listing}");
    assert!(keys[0].starts_with("site-a/recordings/"), "{keys:?}");
    let held = post_to(
        &client,
        &app_url,
        "/confopenapi/conference/movie/getConfReplayById",
        KEY_A,
        &json!({"conferenceId": cid}),
    )
    .await;
    let download = held["result"]["downloadUrl"].as_str().unwrap().to_owned();
    let got = client
        .get(&download)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        hex::encode(Sha256::digest(&got)),
        hex::encode(Sha256::digest(&file))
    );
    let part = client
        .get(&download)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(&part.bytes().await.unwrap()[..], &file[10..20]);
    let temp = held["result"]["tempConferenceId"].as_str().unwrap();
    let deleted = post_to(
        &client,
        &app_url,
        "/conference/movie/recordsDelete",
        KEY_A,
        &json!({"userId": HOST_A, "tempConferenceIds": [temp]}),
    )
    .await;
    assert_eq!(deleted["status"], 0, "{deleted}");
    let listing = client
        .get(format!("{}/huiyi-rec?list-type=2", s3.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains("<KeyCount>0</KeyCount>"), "{listing}");
    assert_eq!(client.get(&download).send().await.unwrap().status(), 410);
}

#[tokio::test]
async fn links_run_out() {
    let app = spawn_app_with(|c| c.link_ttl = std::time::Duration::from_secs(1)).await;
    let cid = book_with_invitees(&app).await;
    send_script(&app, &cid).await;
    let env = by_id(&app, &cid).await;
    let url = env["result"]["reportDownUrl"].as_str().unwrap().to_owned();
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let late = app
        .client
        .get(format!("{url}&lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 410);
    assert!(late.text().await.unwrap().contains("expired"));
    // A link answered now is good again: links are made when they are answered.
    let env = by_id(&app, &cid).await;
    let fresh = env["result"]["reportDownUrl"].as_str().unwrap();
    assert_eq!(app.client.get(fresh).send().await.unwrap().status(), 200);
}

/// Starts an upload of `file` for the meeting's session as if it began `ago_ms` before now,
/// with the first `upto` bytes stored and counted: what a server leaves behind when it stops.
async fn left_behind(app: &TestApp, cid: &str, id: &str, file: &[u8], upto: usize, ago_ms: i64) {
    let then = huiyi_domain::time::now_millis() - ago_ms;
    let session = app.sessions_for(cid).await.pop().unwrap();
    app.store
        .begin_upload(&huiyi_store::NewUpload {
            upload_id: id.into(),
            customer: app
                .store
                .customer_by_code("A100")
                .await
                .unwrap()
                .unwrap()
                .key,
            session_id: session.id,
            temp_conference_id: session.temp_conference_id.to_string(),
            total_bytes: file.len() as i64,
            format: "mp4".into(),
            duration_secs: 4,
            now_ms: then,
        })
        .await
        .unwrap();
    let files = app.state.after.files();
    files
        .put(
            &huiyi_server::adapters::files::Files::chunk_key(id, 0),
            file[..upto].to_vec().into(),
        )
        .await
        .unwrap();
    app.store
        .add_chunk(id, 0, upto as i64, then)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn an_upload_a_restart_interrupted_is_finished_or_failed_never_stuck() {
    let app = spawn_app_with(|c| c.upload_idle = std::time::Duration::from_secs(3600)).await;
    let cid = book_with_invitees(&app).await;
    send_script(&app, &cid).await;
    let file = mp4();
    // Every byte arrived but the server stopped before putting the file together.
    left_behind(&app, &cid, "whole", &file, file.len(), 60_000).await;
    // Half arrived two hours ago and nothing since.
    left_behind(&app, &cid, "half", &file, file.len() / 2, 2 * 3_600_000).await;
    // Half arrived a minute ago: it may still resume.
    left_behind(&app, &cid, "fresh", &file, file.len() / 2, 60_000).await;
    // Whole two hours ago, but its chunk was lost from the store: it cannot be put together,
    // and it must neither hold up the others nor stay receiving.
    left_behind(&app, &cid, "lost", &file, file.len(), 2 * 3_600_000).await;
    let lost = huiyi_server::adapters::files::Files::chunk_key("lost", 0);
    app.state.after.files().delete(&lost).await.unwrap();
    let worker = huiyi_server::workers::Uploads::new(app.state.clone());
    assert_eq!(worker.run_once().await.unwrap(), (1, 2));
    assert_eq!(worker.run_once().await.unwrap(), (0, 0), "once is enough");
    let state = |id: &'static str| {
        let store = app.store.clone();
        async move { store.upload(id).await.unwrap().unwrap().state }
    };
    use huiyi_store::UploadState;
    assert_eq!(state("whole").await, UploadState::Done);
    assert_eq!(state("half").await, UploadState::Failed);
    assert_eq!(state("fresh").await, UploadState::Receiving);
    assert_eq!(state("lost").await, UploadState::Failed);
    // The finished one is listed and downloads whole; the failed one's chunk is gone.
    let env = by_id(&app, &cid).await;
    assert_eq!(env["result"]["isRecordConvertReady"], "1", "{env}");
    let got = app
        .client
        .get(env["result"]["downloadUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&got[..], &file[..]);
    let left: Vec<String> = walk(&app.recordings_dir)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert!(left.iter().all(|p| !p.contains("uploads/half")), "{left:?}");
    assert!(left.iter().any(|p| p.contains("uploads/fresh")), "{left:?}");
    // The one still arriving resumes where it got to.
    let q = format!(
        "uploadId=fresh&conferenceId={cid}&total={}&format=mp4&offset={}",
        file.len(),
        file.len() / 2
    );
    let (http, env) = put_chunk(&app, &q, file[file.len() / 2..].to_vec()).await;
    assert_eq!(
        (http, &env["result"]["state"]),
        (200, &json!("done")),
        "{env}"
    );
}

#[tokio::test]
async fn serve_refuses_a_recordings_url_it_cannot_use() {
    let out = tokio::task::spawn_blocking(|| {
        huiyi()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                "sqlite::memory:",
            ])
            .env("HUIYI_RECORDINGS_URL", "ftp://files.example/rec")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = failed(&out);
    assert!(stderr.contains("s3://bucket/prefix"), "{stderr}");
}
