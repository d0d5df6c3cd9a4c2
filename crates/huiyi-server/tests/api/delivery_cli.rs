//! Delivery against real `huiyi` processes: the `admin webhook` commands, `kill -9` in the
//! middle of a stream of deliveries, and two replicas sharing the outbox.

use crate::common::process::*;
use crate::common::receiver::Receiver;
use crate::common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RESERV2: &str = "/conference/conference/reservConference2";

/// `huiyi admin webhook ARGS --database DB`.
fn webhook(db: &str, args: &[&str]) -> std::process::Output {
    huiyi()
        .args(["admin", "webhook"])
        .args(args)
        .args(["--database", db])
        .output()
        .unwrap()
}

/// Registers an endpoint with the command; its id and secret as printed.
fn add(db: &str, url: &str, events: &[&str]) -> (String, String) {
    let mut args = vec!["add", "--customer", "A100", "--url", url];
    args.extend_from_slice(events);
    let out = succeeded(&webhook(db, &args));
    let line = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key:?} line in {out:?}"))
            .trim()
            .to_owned()
    };
    (line("endpoint "), line("secret "))
}

/// Flags of a server that delivers to loopback quickly and retries every 100 ms.
fn delivering(backoff: &str) -> Vec<&str> {
    vec![
        "--webhook-allow-private",
        "--delivery-tick-ms",
        "20",
        "--webhook-timeout-ms",
        "1000",
        "--delivery-backoff",
        backoff,
    ]
}

#[tokio::test]
async fn webhook_commands_register_list_log_redeliver_and_remove() {
    let (db, _guard, _store) = seeded_database().await;
    let rx = Receiver::start().await;
    // Refusals name what to fix and change nothing.
    let err = failed(&webhook(
        &db,
        &["add", "--customer", "NOPE", "--url", &rx.url("/x")],
    ));
    assert!(err.contains("NOPE"), "{err}");
    let err = failed(&webhook(
        &db,
        &["add", "--customer", "A100", "--url", "ftp://x"],
    ));
    assert!(err.contains("http"), "{err}");
    let err = failed(&webhook(
        &db,
        &[
            "add",
            "--customer",
            "A100",
            "--url",
            &rx.url("/x"),
            "--events",
            "meeting.moved",
        ],
    ));
    assert!(err.contains("meeting.moved"), "{err}");
    assert_eq!(
        succeeded(&webhook(&db, &["list", "--customer", "A100"])),
        ""
    );

    let (id, secret) = add(&db, &rx.url("/cli"), &["--events", "meeting.booked"]);
    assert!(secret.starts_with("whsec_"), "{secret}");
    let listed = succeeded(&webhook(&db, &["list", "--customer", "A100"]));
    assert!(listed.starts_with(&format!("{id}\t")), "{listed}");
    assert!(
        listed.contains("meeting.booked") && listed.contains("active"),
        "{listed}"
    );
    assert!(
        !listed.contains(&secret),
        "a listing never shows the secret"
    );
    assert_eq!(
        succeeded(&webhook(&db, &["list", "--customer", "B200"])),
        ""
    );

    let backoff = ["100ms"; 20].join(",");
    let server = start_server(&db, &delivering(&backoff)).await;
    let client = reqwest::Client::new();
    let body = json!({"userId": HOST_A, "length": 30, "starttime": local_in_hours(3)});
    let booked = post_to(&client, &server.url, RESERV2, KEY_A, &body).await;
    assert_eq!(booked["status"], 0, "{booked}");
    let got = rx.wait_for(1, Duration::from_secs(20)).await;
    got[0].verify(&secret).unwrap();
    let msg_id = got[0].header("webhook-id").to_owned();

    let log = succeeded(&webhook(&db, &["deliveries", "--customer", "A100"]));
    assert!(log.contains(&msg_id) && log.contains("delivered"), "{log}");
    assert!(log.contains("HTTP 204"), "{log}");
    let other = succeeded(&webhook(&db, &["deliveries", "--customer", "B200"]));
    assert!(other.is_empty(), "{other}");

    let err = failed(&webhook(&db, &["redeliver", "--customer", "B200", &msg_id]));
    assert!(
        err.contains(&msg_id),
        "another customer's message looks missing: {err}"
    );
    let out = succeeded(&webhook(&db, &["redeliver", "--customer", "A100", &msg_id]));
    assert!(out.contains(&msg_id), "{out}");
    let got = rx.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(got[1].header("webhook-id"), msg_id);

    let err = failed(&webhook(&db, &["remove", "--customer", "B200", &id]));
    assert!(err.contains(&id), "{err}");
    succeeded(&webhook(&db, &["remove", "--customer", "A100", &id]));
    assert_eq!(
        succeeded(&webhook(&db, &["list", "--customer", "A100"])),
        ""
    );

    // The callback secret: made on first use, stable, and replaced by --rotate.
    let first = succeeded(&webhook(&db, &["secret", "--customer", "A100"]));
    assert!(first.trim().starts_with("whsec_"), "{first}");
    assert_eq!(
        succeeded(&webhook(&db, &["secret", "--customer", "A100"])),
        first
    );
    let rotated = succeeded(&webhook(&db, &["secret", "--customer", "A100", "--rotate"]));
    assert_ne!(rotated, first);
    assert_eq!(
        succeeded(&webhook(&db, &["secret", "--customer", "A100"])),
        rotated
    );
}

#[tokio::test]
async fn kill_9_in_the_middle_of_deliveries_loses_nothing() {
    let (db, _guard, _store) = seeded_database().await;
    let rx = Receiver::start().await;
    // A slow receiver keeps deliveries in flight, and more waiting, when the kill comes.
    rx.delay(200);
    let (_, secret) = add(&db, &rx.url("/stream"), &["--events", "meeting.booked"]);
    let backoff = ["100ms"; 50].join(",");
    let server = start_server(&db, &delivering(&backoff)).await;
    let client = reqwest::Client::new();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (client, url, acked) = (client.clone(), server.url.clone(), acknowledged.clone());
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let body = json!({"userId": HOST_A, "title": format!("w{w} #{i}"), "length": 30,
                    "starttime": local_in_hours(40)});
                let sent = client
                    .post(format!("{url}{RESERV2}"))
                    .header("token", KEY_A)
                    .json(&body)
                    .send()
                    .await;
                let Ok(r) = sent else { break };
                let Ok(v) = r.json::<Value>().await else {
                    break;
                };
                if v["status"] == 0 {
                    let id = v["result"]["conferenceId"].as_str().unwrap().to_owned();
                    acked.lock().unwrap().push(id);
                }
            }
        }));
    }
    // Kill once deliveries are streaming.
    let since = Instant::now();
    while rx.received().len() < 20 || acknowledged.lock().unwrap().len() < 150 {
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "deliveries did not start"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let killed_at = Instant::now();
    let pid = server.child.id();
    assert!(
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    for w in workers {
        let _ = w.await;
    }
    drop(server);
    let acked = acknowledged.lock().unwrap().clone();
    let before_kill = rx.received().len();
    assert!(before_kill < acked.len(), "the kill came mid-stream");

    // After the restart every acknowledged booking's message arrives (those whose lease the
    // dead process held, once the lease has run out).
    let _again = start_server(&db, &delivering(&backoff)).await;
    let since = Instant::now();
    loop {
        let got = rx.received();
        let ids: std::collections::HashSet<String> =
            got.iter().map(|r| r.conference_id()).collect();
        if acked.iter().all(|id| ids.contains(id)) {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(40),
            "{} of {} acknowledged bookings were delivered",
            acked.iter().filter(|id| ids.contains(*id)).count(),
            acked.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A message arrives twice only if it was in flight at the kill: its first copy came
    // before the kill, its second after.
    let mut copies: HashMap<String, Vec<Instant>> = HashMap::new();
    for r in rx.received() {
        r.verify(&secret).unwrap();
        copies
            .entry(r.header("webhook-id").to_owned())
            .or_default()
            .push(r.at);
    }
    for (id, at) in &copies {
        if at.len() > 1 {
            assert_eq!(at.len(), 2, "{id} arrived {} times", at.len());
            assert!(
                at[0] <= killed_at && at[1] > killed_at,
                "{id}: a duplicate not in flight"
            );
        }
    }
}

#[tokio::test]
async fn two_replica_processes_deliver_500_messages_once() {
    let (db, _guard, _store) = seeded_database().await;
    let rx = Receiver::start().await;
    add(&db, &rx.url("/pair"), &["--events", "meeting.booked"]);
    let backoff = ["100ms"; 20].join(",");
    let a = start_server(&db, &delivering(&backoff)).await;
    let b = start_server(&db, &delivering(&backoff)).await;
    let client = reqwest::Client::new();
    let urls = [a.url.clone(), b.url.clone()];
    let mut tasks = Vec::new();
    for w in 0..10 {
        let (client, urls) = (client.clone(), urls.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..50 {
                let body = json!({"userId": HOST_A, "title": format!("{w}-{i}"), "length": 30,
                    "starttime": local_in_hours(10)});
                let v = post_to(&client, &urls[(w + i) % 2], RESERV2, KEY_A, &body).await;
                assert_eq!(v["status"], 0, "{v}");
                ids.push(v["result"]["conferenceId"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut booked = Vec::new();
    for t in tasks {
        booked.extend(t.await.unwrap());
    }
    rx.wait_for(500, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = rx.received();
    assert_eq!(got.len(), 500, "no duplicates");
    let mut delivered: Vec<String> = got.iter().map(|r| r.conference_id()).collect();
    delivered.sort();
    booked.sort();
    assert_eq!(delivered, booked, "none missing");
}
