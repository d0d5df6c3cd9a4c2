//! Invitation letters through a real SMTP server (Python `aiosmtpd`, started here), read back
//! with Python's `email` package and `icalendar`: readers no one here wrote.

use crate::common::process::free_port;
use crate::common::*;
use huiyi_domain::ics::Change;
use huiyi_server::adapters::mail::{MailError, Mailer};
use huiyi_server::services::invitations::{About, MailLang, letter};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};

fn python() -> String {
    std::env::var("HUIYI_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// `aiosmtpd` on a loopback port, keeping what it receives in a Maildir; stopped on drop.
struct Smtp {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn smtp_server() -> Smtp {
    smtp_server_on(free_port()).await
}

async fn smtp_server_on(port: u16) -> Smtp {
    let maildir = tempfile::tempdir().unwrap();
    let mut child = Command::new(python())
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("inbox"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python with aiosmtpd (.ci/run installs it in a virtual environment)");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Smtp {
                child,
                port,
                maildir,
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("aiosmtpd did not listen on {port}");
}

/// Every letter in the Maildir, as Python's `email` and `icalendar` read it.
fn read_inbox(smtp: &Smtp) -> Vec<Value> {
    let script = r#"
import email, email.policy, json, mailbox, sys
import icalendar

def part(p):
    d = {"type": p.get_content_type(), "params": dict(p.get_params() or []),
         "filename": p.get_filename(), "disposition": p.get_content_disposition()}
    if p.is_multipart():
        return d
    body = p.get_content()
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    d["body"] = body
    if d["type"] in ("text/calendar", "application/ics"):
        cal = icalendar.Calendar.from_ical(body)
        events = list(cal.walk("VEVENT"))
        d["ics"] = {
            "method": str(cal.get("METHOD")),
            "uid": sorted({str(e.get("UID")) for e in events}),
            "sequence": max(int(e.get("SEQUENCE", 0)) for e in events),
            "summary": [str(e.get("SUMMARY")) for e in events],
            "recurrence_ids": [int(e.get("RECURRENCE-ID").dt.timestamp()) for e in events if e.get("RECURRENCE-ID")],
            "rrule": [e.get("RRULE").to_ical().decode() for e in events if e.get("RRULE")],
            "attendees": sorted(str(a) for e in events for a in (e.get("ATTENDEE") if isinstance(e.get("ATTENDEE"), list) else [e.get("ATTENDEE")] if e.get("ATTENDEE") else [])),
        }
    return d

out = []
for _, raw in mailbox.Maildir(sys.argv[1], factory=None).items():
    m = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
    out.append({"from": str(m["From"]), "to": str(m["To"]), "subject": str(m["Subject"]),
                "parts": [part(p) for p in m.walk()]})
print(json.dumps(out, ensure_ascii=False))
"#;
    let out = Command::new(python())
        .args(["-c", script])
        .arg(smtp.maildir.path().join("inbox"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn part<'a>(letter: &'a Value, kind: &str) -> &'a Value {
    letter["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} part in {letter}"))
}

#[tokio::test]
async fn invitations_reach_a_real_smtp_server_as_calendar_invites() {
    let smtp = smtp_server().await;
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port).into());
        c.mail_from = Some("会议 huiyi <meet@huiyi.test>".into());
    })
    .await;
    // A weekly series with an invitee by email.
    let start = local_in_hours(48);
    let booked = app
        .expect(
            "/confopenapi/room/reservConference",
            KEY_A,
            &json!({"userId": HOST_A, "title": "周会 Weekly", "starttime": start, "length": 45,
                    "cycle": 1, "repeatEndDate": huiyi_domain::time::now_unix() + 40 * 86_400,
                    "cycleRole": {"frequency": "weekly", "interval": 1},
                    "inviteeList": [{"name": "王五", "email": "wang@guest.test", "mobile": ""}]}),
            0,
        )
        .await;
    let id = booked["result"]["conferenceId"].as_str().unwrap();
    let cid = huiyi_domain::ConferenceId::parse(id).unwrap();
    let b = app.store.booking_anywhere(&cid).await.unwrap().unwrap();
    let host = app.store.user(b.customer, b.host).await.unwrap().unwrap();
    let numbers = app.state.rooms.room_access(b.customer).await.unwrap();
    let mailer = Mailer::from_config(&app.state.config)
        .unwrap()
        .expect("smtp_url is set");
    let to: lettre::message::Mailbox = "王五 <wang@guest.test>".parse().unwrap();
    let about = |change, sequence, numbers| About {
        booking: &b,
        host: &host,
        change,
        sequence,
        public_url: &app.url,
        numbers,
        now: huiyi_domain::time::now_unix(),
        attendee: None,
    };
    let second = b.occurrences()[1].ori_start;
    let sends = [
        (about(Change::Request, 1, &numbers.zh_cn[..]), MailLang::Zh),
        (
            about(
                Change::CancelOccurrence { ori_start: second },
                2,
                &numbers.en_us[..],
            ),
            MailLang::En,
        ),
    ];
    for (about, lang) in &sends {
        let l = letter(about, to.clone(), *lang).unwrap();
        mailer.send(&l).await.unwrap();
    }

    let inbox = read_inbox(&smtp);
    assert_eq!(inbox.len(), 2, "{inbox:?}");
    let by_subject = |s: &str| {
        inbox
            .iter()
            .find(|l| l["subject"] == s)
            .unwrap_or_else(|| panic!("no letter {s:?} in {inbox:?}"))
    };
    let join = format!("{}/k/{}", app.url, b.links.attendee);
    let uid = format!("{id}@127.0.0.1");

    let zh = by_subject("会议邀请：周会 Weekly");
    assert!(zh["from"].as_str().unwrap().contains("meet@huiyi.test"));
    assert!(zh["to"].as_str().unwrap().contains("wang@guest.test"));
    let kinds: Vec<&str> = zh["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/calendar",
            "application/ics"
        ]
    );
    let text = part(zh, "text/plain")["body"].as_str().unwrap();
    for needle in [
        join.as_str(),
        b.pcode2.as_str(),
        "参会密码",
        "400-810-5211",
        "eyh1",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert!(!text.contains(b.pcode1.as_str()), "never the host passcode");
    let html = part(zh, "text/html")["body"].as_str().unwrap();
    assert!(html.contains(&format!("href=\"{join}\"")), "{html}");
    let calendar = part(zh, "text/calendar");
    assert_eq!(calendar["params"]["method"], "REQUEST");
    let attached = part(zh, "application/ics");
    assert_eq!(attached["filename"], "invite.ics");
    assert_eq!(attached["disposition"], "attachment");
    assert_eq!(calendar["ics"], attached["ics"], "the same calendar twice");
    let ics = &calendar["ics"];
    assert_eq!(ics["method"], "REQUEST");
    assert_eq!(ics["uid"], json!([uid]));
    assert_eq!(ics["summary"][0], "周会 Weekly");
    assert!(
        ics["rrule"][0].as_str().unwrap().starts_with("FREQ=WEEKLY"),
        "{ics}"
    );
    assert_eq!(ics["attendees"], json!(["mailto:wang@guest.test"]));

    let en = by_subject("Cancelled: 周会 Weekly");
    let text = part(en, "text/plain")["body"].as_str().unwrap();
    assert!(
        text.contains("The organiser cancelled this meeting"),
        "{text}"
    );
    assert!(
        !text.contains(b.pcode2.as_str()),
        "a cancelled meeting needs no passcode"
    );
    let ics = &part(en, "text/calendar")["ics"];
    assert_eq!(part(en, "text/calendar")["params"]["method"], "CANCEL");
    assert_eq!(ics["method"], "CANCEL");
    assert_eq!(ics["uid"], json!([uid]), "the same UID as the invitation");
    assert_eq!(ics["sequence"], 2);
    assert_eq!(
        ics["recurrence_ids"],
        json!([second]),
        "that occurrence only"
    );
}

#[tokio::test]
async fn an_smtp_server_that_is_down_is_a_transient_failure() {
    let port = free_port();
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
    })
    .await;
    let b = app
        .store
        .booking_anywhere(
            &huiyi_domain::ConferenceId::parse(&app.book_id(KEY_A, HOST_A, 5).await).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let host = app.store.user(b.customer, b.host).await.unwrap().unwrap();
    let about = About {
        booking: &b,
        host: &host,
        change: Change::Request,
        sequence: 1,
        public_url: &app.url,
        numbers: &[],
        now: huiyi_domain::time::now_unix(),
        attendee: None,
    };
    let l = letter(&about, "x <x@guest.test>".parse().unwrap(), MailLang::En).unwrap();
    let mailer = Mailer::from_config(&app.state.config).unwrap().unwrap();
    match mailer.send(&l).await {
        Err(MailError::Transient(_)) => {}
        other => panic!("expected a transient failure, got {other:?}"),
    }
    // Without smtp_url there is no mailer: email is skipped.
    let plain = spawn_app().await;
    assert!(Mailer::from_config(&plain.state.config).unwrap().is_none());
    // A password in the URL never shows in the configuration's Debug.
    let mut c = huiyi_server::Config::for_public_url("http://127.0.0.1:1");
    c.smtp_url = Some("smtp://user:s3cret-pw@127.0.0.1:25".to_owned().into());
    assert!(!format!("{c:?}").contains("s3cret-pw"));
}

/// Waits (at most 15 s) until the Maildir holds `n` letters; answers them.
async fn inbox_of(smtp: &Smtp, n: usize) -> Vec<Value> {
    inbox_within(smtp, n, 15).await
}

async fn inbox_within(smtp: &Smtp, n: usize, secs: u64) -> Vec<Value> {
    for _ in 0..secs * 5 {
        let inbox = read_inbox(smtp);
        if inbox.len() >= n {
            return inbox;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let inbox = read_inbox(smtp);
    panic!("{} letters arrived, not {n}: {inbox:?}", inbox.len());
}

/// `(recipient address, subject, METHOD, SEQUENCE, RECURRENCE-IDs)` of each letter, sorted.
fn summary(inbox: &[Value]) -> Vec<(String, String, String, i64, Value)> {
    let mut out: Vec<_> = inbox
        .iter()
        .map(|l| {
            let to = l["to"].as_str().unwrap();
            let address = to
                .rsplit_once('<')
                .map_or(to, |(_, a)| a.trim_end_matches('>'))
                .to_owned();
            let ics = &part(l, "text/calendar")["ics"];
            (
                address,
                l["subject"].as_str().unwrap().to_owned(),
                ics["method"].as_str().unwrap().to_owned(),
                ics["sequence"].as_i64().unwrap(),
                ics["recurrence_ids"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| (a.3, &a.0).cmp(&(b.3, &b.0)));
    out
}

#[tokio::test]
async fn every_change_with_email_notify_sends_letters_through_the_outbox() {
    let smtp = smtp_server().await;
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port).into());
        c.delivery_tick_ms = 50;
    })
    .await;
    // Without email_notify: nobody hears of it.
    app.expect(
        "/conference/conference/reservConference2",
        KEY_A,
        &json!({"userId": HOST_A, "title": "悄悄的会", "starttime": local_in_hours(30), "length": 30,
                "email_notify": false, "inviteeList": [{"name": "王五", "email": "wang@guest.test"}]}),
        0,
    )
    .await;
    // A weekly series, told: two invitees (one external, one a user by id) and the host.
    let booked = app
        .expect(
            "/confopenapi/room/reservConference",
            KEY_A,
            &json!({"userId": HOST_A, "title": "周会", "starttime": local_in_hours(48), "length": 45,
                    "cycle": 1, "repeatEndDate": huiyi_domain::time::now_unix() + 40 * 86_400,
                    "cycleRole": {"frequency": "weekly", "interval": 1}, "email_notify": true,
                    "participantsLists": ["wang@guest.test", INVITEE_A.to_string()]}),
            0,
        )
        .await;
    let id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let people = ["eyh1@test1.com", "fenliu@test1.com", "wang@guest.test"];
    let inbox = inbox_of(&smtp, 3).await;
    let got = summary(&inbox);
    let addresses: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(addresses, people, "the invitees and the host, once each");
    for (_, subject, method, sequence, rids) in &got {
        assert_eq!(
            (subject.as_str(), method.as_str(), *sequence),
            ("会议邀请：周会", "REQUEST", 1)
        );
        assert_eq!(rids, &json!([]));
    }

    // An edit that asks: REQUEST again, SEQUENCE up.
    app.expect(
        "/confopenapi/room/updateReservConference",
        KEY_A,
        &json!({"conferenceId": id, "userId": HOST_A, "title": "周会（改）", "email_notify": true}),
        0,
    )
    .await;
    // One occurrence cancelled: CANCEL for that occurrence only.
    let cid = huiyi_domain::ConferenceId::parse(&id).unwrap();
    let b = app.store.booking_anywhere(&cid).await.unwrap().unwrap();
    let second = b.occurrences()[1].ori_start;
    app.expect(
        "/confopenapi/room/cancelReservConference",
        KEY_A,
        &json!({"conferenceId": id, "userId": HOST_A, "singleStartTime": second, "email_notify": true}),
        0,
    )
    .await;
    // The whole series cancelled through the v1 path, in English.
    let cancelled = app
        .get(
            &format!(
                "/conference/conference/cancelReservConference/6/{id}/En-us/{HOST_A}//true/false"
            ),
            KEY_A,
        )
        .await;
    assert_eq!(cancelled["status"], 0, "{cancelled}");
    let inbox = inbox_of(&smtp, 12).await;
    assert_eq!(
        inbox.len(),
        12,
        "nothing of the untold booking, nothing twice"
    );
    let got = summary(&inbox);
    let later: Vec<(&str, &str, i64, &Value)> = got[3..]
        .iter()
        .map(|g| (g.1.as_str(), g.2.as_str(), g.3, &g.4))
        .collect();
    let none = json!([]);
    let only = json!([second]);
    for (i, want) in [
        ("会议已更新：周会（改）", "REQUEST", 2, &none),
        ("会议已取消：周会（改）", "CANCEL", 3, &only),
        ("Cancelled: 周会（改）", "CANCEL", 4, &none),
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(&later[i * 3..i * 3 + 3], [*want; 3], "{got:?}");
    }
    // The delivery log has every letter, delivered (a letter is settled just after it is sent).
    let mut delivered = 0;
    for _ in 0..50 {
        let log = app.store.messages(b.customer, None, 100).await.unwrap();
        let letters: Vec<_> = log
            .iter()
            .filter(|m| m.url.starts_with("mailto:"))
            .collect();
        assert_eq!(letters.len(), 12);
        delivered = letters
            .iter()
            .filter(|m| m.state == huiyi_store::MessageState::Delivered)
            .count();
        if delivered == 12 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(delivered, 12);
}

#[tokio::test]
async fn letters_wait_for_an_smtp_server_that_is_down_and_arrive_once() {
    let port = free_port();
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
        c.delivery_tick_ms = 50;
        c.delivery_backoff = huiyi_domain::delivery::Backoff::parse("300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms").unwrap();
    })
    .await;
    for i in 0..10 {
        app.expect(
            "/conference/conference/reservConference2",
            KEY_A,
            &json!({"userId": HOST_A, "title": format!("会 {i}"), "starttime": local_in_hours(30 + i), "length": 30,
                    "email_notify": true, "inviteeList": [{"name": "王五", "email": "wang@guest.test"}]}),
            0,
        )
        .await;
    }
    // Down for a while: the letters are tried and kept.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let customer = app.store.customer_by_code("A100").await.unwrap().unwrap();
    let log = app.store.messages(customer.key, None, 100).await.unwrap();
    let (batches, log): (Vec<_>, Vec<_>) = log.iter().partition(|m| m.kind == "invite.batch");
    assert_eq!(
        batches.len(),
        10,
        "one batch of notices per booking, expanded"
    );
    assert!(
        batches
            .iter()
            .all(|m| m.state == huiyi_store::MessageState::Delivered)
    );
    assert_eq!(
        log.len(),
        20,
        "one letter to the invitee and one to the host per booking"
    );
    assert!(
        log.iter()
            .all(|m| m.state == huiyi_store::MessageState::Pending)
    );
    // Back: every letter arrives, once.
    let smtp = smtp_server_on(port).await;
    let inbox = inbox_of(&smtp, 20).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let inbox_later = read_inbox(&smtp);
    assert_eq!(inbox_later.len(), 20, "nothing twice");
    let letters: std::collections::BTreeSet<(String, String)> =
        summary(&inbox).into_iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(
        letters.len(),
        20,
        "each booking's two letters, all different"
    );
}

#[tokio::test]
async fn texts_reach_the_sms_gateway_signed_for_mobile_invitees() {
    let gateway = crate::common::receiver::Receiver::start().await;
    let app = spawn_app_with(|c| {
        c.sms_webhook_url = Some(gateway.url("/sms"));
        c.delivery_tick_ms = 50;
    })
    .await;
    // Two invitees with a mobile (one written with +86), one without; no letters (no SMTP).
    let booked = app
        .expect(
            "/conference/conference/reservConference2",
            KEY_A,
            &json!({"userId": HOST_A, "title": "周会", "starttime": local_in_hours(30), "length": 30,
                    "sms_notify": true, "email_notify": true,
                    "inviteeList": [
                        {"name": "王五", "email": "", "mobile": "13800138000"},
                        {"name": "Zoe", "email": "", "mobile": "+86 139-0013-9000"},
                        {"name": "No phone", "email": "np@guest.test", "mobile": ""}
                    ]}),
            0,
        )
        .await;
    let id = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = gateway
        .wait_for(2, std::time::Duration::from_secs(10))
        .await;
    // The secret the operator gives the gateway, from the command.
    let out = crate::common::process::huiyi()
        .args(["admin", "sms", "secret", "--database", &app.database_url])
        .output()
        .unwrap();
    let secret = crate::common::process::succeeded(&out).trim().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let mut to: Vec<String> = Vec::new();
    for r in &got {
        r.verify(&secret)
            .expect("signed with the SMS secret (Standard Webhooks' own check)");
        assert!(r.verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        let body = r.json();
        assert_eq!(body["template"], "invite");
        assert_eq!(body["lang"], "zh-CN");
        let text = body["text"].as_str().unwrap();
        assert!(text.starts_with("会议邀请：周会 "), "{text}");
        let b = app
            .store
            .booking_anywhere(&huiyi_domain::ConferenceId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(text.contains(&format!("/k/{}", b.links.attendee)), "{text}");
        assert!(text.contains(b.pcode2.as_str()) && !text.contains(b.pcode1.as_str()));
        assert!(
            text.chars().count() <= 140,
            "two 70-character segments at most: {text}"
        );
        to.push(body["to"].as_str().unwrap().to_owned());
    }
    to.sort();
    assert_eq!(to, ["+8613800138000", "+8613900139000"]);
    // A cancel in English, told by text: the cancel template, no link.
    let cancelled = app
        .get(
            &format!(
                "/conference/conference/cancelReservConference/6/{id}/En-us/{HOST_A}//false/true"
            ),
            KEY_A,
        )
        .await;
    assert_eq!(cancelled["status"], 0, "{cancelled}");
    let got = gateway
        .wait_for(4, std::time::Duration::from_secs(10))
        .await;
    for r in &got[2..] {
        r.verify(&secret).unwrap();
        let body = r.json();
        assert_eq!(
            (body["template"].as_str(), body["lang"].as_str()),
            (Some("cancel"), Some("en"))
        );
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .starts_with("Cancelled: 周会"),
            "{body}"
        );
        assert!(!body["text"].as_str().unwrap().contains("/k/"));
    }
    assert_eq!(
        gateway.received().len(),
        4,
        "nothing twice, no text without sms_notify"
    );
}

/// SMTP down while ten bookings are made through a real `huiyi serve`, which is then killed
/// with SIGKILL: a new process sends every letter once the SMTP server is back.
#[tokio::test]
async fn letters_survive_kill_9_of_the_server() {
    use crate::common::process::start_server_env;
    let (db, _guard, store) = seeded_database().await;
    let port = free_port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let backoff = ["200ms"; 40].join(",");
    let args = [
        "--delivery-tick-ms",
        "50",
        "--delivery-backoff",
        backoff.as_str(),
    ];
    let env = [("HUIYI_SMTP_URL", smtp_url.as_str())];
    let server = start_server_env(&db, &args, &env).await;
    let client = reqwest::Client::new();
    for i in 0..10 {
        let r: Value = client
            .post(format!("{}/conference/conference/reservConference2", server.url))
            .header("token", KEY_A)
            .json(&json!({"userId": HOST_A, "title": format!("会 {i}"), "starttime": local_in_hours(30 + i),
                          "length": 30, "email_notify": true,
                          "inviteeList": [{"name": "王五", "email": "wang@guest.test"}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["status"], 0, "{r}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let pid = server.child.id();
    assert!(
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    drop(server);
    let customer = store.customer_by_code("A100").await.unwrap().unwrap();
    let log = store.messages(customer.key, None, 100).await.unwrap();
    let log: Vec<_> = log
        .iter()
        .filter(|m| m.url.starts_with("mailto:"))
        .collect();
    assert_eq!(log.len(), 20);
    assert!(
        log.iter().all(|m| !m.attempts.is_empty()),
        "each letter was tried while SMTP was down"
    );
    // SMTP back, and a new server: every letter, once.
    let smtp = smtp_server_on(port).await;
    let _again = start_server_env(&db, &args, &env).await;
    let inbox = inbox_within(&smtp, 20, 45).await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(read_inbox(&smtp).len(), 20, "nothing twice");
    let letters: std::collections::BTreeSet<(String, String)> =
        summary(&inbox).into_iter().map(|g| (g.0, g.1)).collect();
    assert_eq!(letters.len(), 20);
}

/// A customer whose hosts want no letters of their own, and whose letters are in English:
/// only the invitees are written to, in English; the other customer's as before.
#[tokio::test]
async fn a_customer_chooses_its_letters_language_and_whether_hosts_get_one() {
    let smtp = smtp_server().await;
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port).into());
        c.delivery_tick_ms = 50;
    })
    .await;
    let quiet: huiyi_store::ImportData = serde_json::from_value(json!({"customers": [
        {"customerCode": "B200", "name": "Customer B", "timezone": "Europe/Berlin", "advanceHours": 1,
         "hostMail": false, "mailLanguage": "en"}
    ]}))
    .unwrap();
    app.store
        .import(&quiet, huiyi_domain::time::now_unix())
        .await
        .unwrap();
    for (key, host) in [(KEY_B, HOST_B), (KEY_A, HOST_A)] {
        app.expect(
            "/conference/conference/reservConference2",
            key,
            &json!({"userId": host, "title": format!("host {host}"), "starttime": local_in_hours(30),
                    "length": 30, "email_notify": true,
                    "inviteeList": [{"name": "王五", "email": "wang@guest.test"}]}),
            0,
        )
        .await;
    }
    let inbox = inbox_of(&smtp, 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(read_inbox(&smtp).len(), 3);
    let got: Vec<(String, String)> = summary(&inbox).into_iter().map(|g| (g.0, g.1)).collect();
    assert!(got.contains(&(
        "wang@guest.test".into(),
        format!("Invitation: host {HOST_B}")
    )));
    assert!(got.contains(&("wang@guest.test".into(), format!("会议邀请：host {HOST_A}"))));
    assert!(got.contains(&(HOST_A_EMAIL.into(), format!("会议邀请：host {HOST_A}"))));
}

/// A meeting with more invitees than a calendar lists: each letter's calendar names only its
/// own recipient (it neither grows with the meeting nor shows everyone's address).
#[tokio::test]
async fn a_large_meeting_s_calendars_list_only_their_recipient() {
    let smtp = smtp_server().await;
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port).into());
        c.delivery_tick_ms = 50;
    })
    .await;
    let invitees: Vec<Value> = (0..60)
        .map(|i| json!({"name": format!("Guest {i}"), "email": format!("g{i}@guest.test")}))
        .collect();
    app.expect(
        "/conference/conference/reservConference2",
        KEY_A,
        &json!({"userId": HOST_A, "title": "All hands", "starttime": local_in_hours(30),
                "length": 60, "email_notify": true, "inviteeList": invitees}),
        0,
    )
    .await;
    let inbox = inbox_of(&smtp, 61).await;
    for l in &inbox {
        let to = l["to"].as_str().unwrap();
        let ics = &part(l, "text/calendar")["ics"];
        if to.contains(HOST_A_EMAIL) {
            assert_eq!(ics["attendees"], json!([]), "the organiser's own calendar");
        } else {
            let address = to.rsplit_once('<').unwrap().1.trim_end_matches('>');
            assert_eq!(
                ics["attendees"],
                json!([format!("mailto:{address}")]),
                "{to}"
            );
        }
    }
}
