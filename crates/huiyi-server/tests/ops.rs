//! Health, readiness, metrics, configuration file, and migrations racing across replicas.

mod common;
use common::*;
use std::process::Command;

#[tokio::test]
async fn health_ready_and_metrics() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(format!("{}/readyz", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.book(KEY_A, HOST_A, 5).await;
    let text = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("huiyi_http_requests_total")
                && l.contains("route=\"/conference/conference/reservConference2\"")),
        "{text}"
    );
    // Metrics are labelled by route template, never by raw paths that carry ids.
    app.post(
        "/conference/conference/getConferenceBaseInfoById/6/123456789",
        KEY_A,
        &serde_json::json!({}),
    )
    .await;
    let text = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !text.contains("123456789"),
        "raw ids leaked into metric labels"
    );
}

#[tokio::test]
async fn replicas_starting_together_migrate_once_safely() {
    let (db, _guard) = fresh_database().await;
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                Command::new(env!("CARGO_BIN_EXE_huiyi"))
                    .args(["migrate", "--database", &db])
                    .env("RUST_LOG", "warn")
                    .output()
                    .unwrap()
            })
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let store = huiyi_server::store::open(&db).await.unwrap();
    store
        .import(&fixtures(), huiyi_domain::time::now_unix())
        .await
        .unwrap();
    assert_eq!(store.customer_count().await.unwrap(), 2);
}

#[tokio::test]
async fn serve_reads_a_toml_config_file_and_flags_override_it() {
    let (db, _guard) = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.path().join("huiyi.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndatabase_url = \"sqlite:///nonexistent-dir-xyz/never.db\"\npublic_url = \"https://meet.example.com/\"\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_huiyi"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .args(["--database", &db])
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &url).await;
    let store = huiyi_server::store::open(&db).await.unwrap();
    store
        .import(&fixtures(), huiyi_domain::time::now_unix())
        .await
        .unwrap();
    let v: serde_json::Value = client
        .post(format!("{url}/conference/conference/reservConference2"))
        .header("token", KEY_A)
        .json(&serde_json::json!({"userId": HOST_A, "length": 30, "starttime": local_in_hours(3)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(v["status"], 0, "{v}");
    assert!(
        v["result"]["attendeeJoinUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://meet.example.com/k/"),
        "links use the configured public URL: {v}"
    );
}
