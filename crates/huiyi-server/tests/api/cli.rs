//! The `huiyi` binary: serve (with --demo), admin import, admin key create, migrate, and
//! durability of acknowledged bookings across `kill -9`.

use crate::common::process::*;
use crate::common::*;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

fn write_json(dir: &std::path::Path, name: &str, v: &Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

/// `huiyi admin import FILE --database DB`.
fn import_into(file: &std::path::Path, db: &str) -> std::process::Output {
    huiyi()
        .args(["admin", "import"])
        .arg(file)
        .args(["--database", db])
        .output()
        .unwrap()
}

#[tokio::test]
async fn admin_import_is_idempotent_and_all_or_nothing() {
    let (db, _guard) = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let good = write_json(
        dir.path(),
        "good.json",
        &serde_json::to_value(fixtures()).unwrap(),
    );
    for _ in 0..2 {
        let stdout = succeeded(&import_into(&good, &db));
        assert!(
            stdout.contains("imported 2 customers, 5 users, 3 credentials"),
            "{stdout}"
        );
    }
    let store = huiyi_server::store::open(&db).await.unwrap();
    assert_eq!(store.customer_count().await.unwrap(), 2);

    // A typo'd key is refused, naming it; nothing of the file is applied.
    let typo = json!({"customers": [{"customerCode": "C300", "name": "C", "timzone": "UTC"}]});
    let p = write_json(dir.path(), "typo.json", &typo);
    let err = failed(&import_into(&p, &db));
    assert!(err.contains("timzone"), "{err}");

    // A later entry referring to a missing customer rolls back the earlier ones.
    let bad = json!({
        "customers": [{"customerCode": "C300", "name": "C", "timezone": "UTC", "advanceHours": 1}],
        "users": [
            {"userId": 700001, "customerCode": "C300", "email": "x@c.example", "name": "x", "mobile": "", "admin": false},
            {"userId": 700002, "customerCode": "NOPE", "email": "y@c.example", "name": "y", "mobile": "", "admin": false}
        ]
    });
    let p = write_json(dir.path(), "bad.json", &bad);
    let err = failed(&import_into(&p, &db));
    assert!(err.contains("users[1]") && err.contains("NOPE"), "{err}");
    assert_eq!(
        store.customer_count().await.unwrap(),
        2,
        "nothing of the bad file was applied"
    );
    assert!(store.customer_by_code("C300").await.unwrap().is_none());
}

#[tokio::test]
async fn key_create_prints_a_working_key_once() {
    let (db, _guard, _store) = seeded_database().await;
    let out = huiyi()
        .args([
            "admin",
            "key",
            "create",
            "--customer",
            "B200",
            "--database",
            &db,
        ])
        .output()
        .unwrap();
    succeeded(&out);
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(key.len() >= 32, "{key}");
    let server = start_server(&db, &[]).await;
    let v: Value = reqwest::Client::new()
        .post(format!(
            "{}/conference/conference/reservConference2",
            server.url
        ))
        .header("token", &key)
        .json(&json!({"userId": HOST_B, "length": 30, "starttime": local_in_hours(30)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], 0, "{v}");
    // Unknown customers are refused.
    let out = huiyi()
        .args([
            "admin",
            "key",
            "create",
            "--customer",
            "NOPE",
            "--database",
            &db,
        ])
        .output()
        .unwrap();
    failed(&out);
}

#[tokio::test]
async fn serve_demo_prints_a_key_and_a_curl_that_books() {
    let (db, _guard) = fresh_database().await;
    let mut server = start_server(&db, &["--demo"]).await;
    let stdout = server.child.stdout.take().unwrap();
    let text = tokio::task::spawn_blocking(move || {
        use std::io::{BufRead, BufReader};
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().take(4) {
            lines.push(line.unwrap());
        }
        lines.join("\n")
    })
    .await
    .unwrap();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("API key (shown once): "))
        .unwrap_or_else(|| panic!("no key in:\n{text}"))
        .to_owned();
    let curl = text
        .lines()
        .find(|l| l.starts_with("curl "))
        .expect("a curl line");
    assert!(curl.contains(&server.url) && curl.contains(&key));
    let out = Command::new("sh").arg("-c").arg(curl).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["status"], 0, "{v}");
}

#[tokio::test]
async fn acknowledged_bookings_survive_kill_9() {
    let (db, _guard) = fresh_database().await;
    huiyi_server::store::open(&db)
        .await
        .unwrap()
        .import(&fixtures(), huiyi_domain::time::now_unix())
        .await
        .unwrap();
    let server = start_server(&db, &[]).await;
    let client = reqwest::Client::new();
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (client, url, acked) = (client.clone(), server.url.clone(), acknowledged.clone());
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let r = client
                    .post(format!("{url}/conference/conference/reservConference2"))
                    .header("token", KEY_A)
                    .json(&json!({"userId": HOST_A, "title": format!("w{w} #{i}"), "length": 30, "starttime": local_in_hours(40), "password_type": 1}))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                let Ok(v) = r.json::<Value>().await else { break };
                if v["status"] == 0 {
                    acked.lock().unwrap().push(v["result"]["conferenceId"].as_str().unwrap().to_owned());
                }
            }
        }));
    }
    // Kill it in the middle of the stream: once a good number have been acknowledged.
    let since = std::time::Instant::now();
    while acknowledged.lock().unwrap().len() < 50 {
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "no bookings were acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = server.child.id();
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for w in workers {
        let _ = w.await;
    }
    drop(server);
    let acked = acknowledged.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "only {} bookings were acknowledged before the kill",
        acked.len()
    );

    let again = start_server(&db, &[]).await;
    for id in &acked {
        let v: Value = post_to(
            &client,
            &again.url,
            "/conference/conference/getConfStatus",
            KEY_A,
            &json!({"conferenceId": id}),
        )
        .await;
        assert_eq!(
            v["status"], 0,
            "acknowledged booking {id} is gone after kill -9: {v}"
        );
    }
}

#[tokio::test]
async fn migrate_runs_and_is_repeatable() {
    let (db, _guard) = fresh_database().await;
    for _ in 0..2 {
        let out = huiyi()
            .args(["migrate", "--database", &db])
            .output()
            .unwrap();
        succeeded(&out);
    }
}

#[tokio::test]
async fn serve_shuts_down_gracefully_on_sigterm() {
    let (db, _guard) = fresh_database().await;
    let mut server = start_server(&db, &[]).await;
    let pid = server.child.id();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let mut exited = None;
    for _ in 0..100 {
        if let Some(s) = server.child.try_wait().unwrap() {
            exited = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = exited.expect("the server exits within 5 s of SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn the_registry_imports_in_the_issue_s_keys_and_lists_per_customer() {
    let (db, _guard) = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    // The tenants alone: the registry below is this test's own.
    let tenants_only = huiyi_store::ImportData {
        rooms: Vec::new(),
        boxes: Vec::new(),
        ..fixtures()
    };
    let tenants = write_json(
        dir.path(),
        "tenants.json",
        &serde_json::to_value(tenants_only).unwrap(),
    );
    succeeded(&import_into(&tenants, &db));
    // The keys exactly as the issue gives them.
    let registry = json!({
        "rooms": [{"roomId": 10935, "customerCode": "A100", "name": "杏花村", "city": "西安",
                   "location": "锦业路", "floor": 14, "capacity": 12, "needsApproval": false,
                   "equipment": [{"equipId": 58933, "name": "投影仪"}]}],
        "boxes": [{"boxId": "GN3399BOX0001856", "customerCode": "A100", "name": "盒子",
                   "roomId": 10935, "address": "sip:1856@box.example"}],
        "accessNumbers": [
            {"accessId": "7135", "number": "01058858950", "type": "1", "platform": "summit2",
             "customerCode": null, "display": "+86(10)5885-8950"},
            {"accessId": "7136", "number": "02988888888", "type": "1", "platform": "summit2",
             "customerCode": "A100", "display": "+86(29)8888-8888"}
        ]
    });
    let file = write_json(dir.path(), "registry.json", &registry);
    let stdout = succeeded(&import_into(&file, &db));
    assert!(
        stdout.contains("1 rooms, 1 boxes, 2 dial-in numbers"),
        "{stdout}"
    );
    let list = |what: &str, customer: &str| {
        succeeded(
            &huiyi()
                .args([
                    "admin",
                    what,
                    "list",
                    "--customer",
                    customer,
                    "--database",
                    &db,
                ])
                .output()
                .unwrap(),
        )
    };
    let rooms = list("rooms", "A100");
    assert!(
        rooms.starts_with("10935\t杏花村\t西安\t锦业路\tfloor 14\tcapacity 12\topen\t58933:投影仪"),
        "{rooms}"
    );
    assert_eq!(
        list("rooms", "B200"),
        "",
        "another customer's rooms are not listed"
    );
    assert!(list("boxes", "A100").starts_with("GN3399BOX0001856\t盒子\t10935\t"));
    let numbers = list("numbers", "A100");
    let ids: Vec<&str> = numbers
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(ids, vec!["7136", "7135"], "{numbers}");
    assert!(numbers.contains("\tshared") && numbers.contains("\town"));
    assert_eq!(
        list("numbers", "B200").lines().count(),
        1,
        "only the shared one"
    );
    let err = failed(
        &huiyi()
            .args([
                "admin",
                "rooms",
                "list",
                "--customer",
                "NOPE",
                "--database",
                &db,
            ])
            .output()
            .unwrap(),
    );
    assert!(err.contains("NOPE"), "{err}");
}
