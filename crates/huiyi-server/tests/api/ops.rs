//! Health, readiness, metrics, configuration file, and migrations racing across replicas.

use crate::common::process::*;
use crate::common::*;
use std::process::Command;

async fn metrics(app: &TestApp) -> String {
    app.client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

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
    let text = metrics(&app).await;
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
    let text = metrics(&app).await;
    assert!(
        !text.contains("123456789"),
        "raw ids leaked into metric labels"
    );
    // Every answer is HTTP 200; the vendor code tells errors from successes.
    let counted = |route: &str, code: &str| {
        text.lines().any(|l| {
            l.starts_with("huiyi_http_requests_total")
                && l.contains(&format!("route=\"{route}\""))
                && l.contains(&format!("code=\"{code}\""))
                && l.contains("http_status=\"200\"")
        })
    };
    assert!(
        counted("/conference/conference/reservConference2", "0"),
        "{text}"
    );
    assert!(
        counted(
            "/conference/conference/getConferenceBaseInfoById/{*segments}",
            "50709"
        ),
        "the unknown conference is counted by its code: {text}"
    );
    if backend() == "sqlite" {
        // SQLite's bookings share commits; how many share one is measured.
        assert!(
            text.lines()
                .any(|l| l.starts_with("huiyi_store_write_batch_size")
                    && l.contains("kind=\"bookings\"")),
            "{text}"
        );
    }
    // Open live pages are a gauge.
    let booked = app.book(KEY_A, HOST_A, 0).await;
    let code = crate::common::socket::code_of(&booked["attendeeJoinUrl"]);
    let page =
        crate::common::socket::open(&app.url, &code, crate::common::socket::join("m", "metrics"))
            .await;
    let text = metrics(&app).await;
    assert!(
        text.lines().any(|l| l.starts_with("huiyi_live_sockets ")),
        "{text}"
    );
    drop(page);
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
        succeeded(&out);
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
    let v: serde_json::Value = post_to(
        &client,
        &url,
        "/conference/conference/reservConference2",
        KEY_A,
        &serde_json::json!({"userId": HOST_A, "length": 30, "starttime": local_in_hours(3)}),
    )
    .await;
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

/// `migrate` and `admin` read the same file as `serve`: its `database_url`, under the
/// environment and flags; a key that names no setting is refused before anything runs.
#[tokio::test]
async fn migrate_and_admin_take_the_config_file() {
    let (db, _guard) = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("huiyi.toml");
    std::fs::write(
        &cfg,
        format!("database_url = \"{db}\"\nlisten = \"127.0.0.1:1\"\n"),
    )
    .unwrap();
    let huiyi = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_huiyi"));
        c.env_remove("HUIYI_DATABASE_URL").env("RUST_LOG", "warn");
        c
    };
    let migrated = huiyi()
        .args(["migrate", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    succeeded(&migrated);
    let file = dir.path().join("fixtures.json");
    std::fs::write(&file, serde_json::to_vec(&fixtures()).unwrap()).unwrap();
    let imported = huiyi()
        .args(["admin", "import"])
        .arg(&file)
        .env("HUIYI_CONFIG", &cfg)
        .output()
        .unwrap();
    succeeded(&imported);
    let store = huiyi_server::store::open(&db).await.unwrap();
    assert_eq!(
        store.customer_count().await.unwrap(),
        2,
        "imported into the file's database"
    );
    let key = huiyi()
        .args(["admin", "key", "create", "--customer", "A100", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    succeeded(&key);
    let printed = String::from_utf8(key.stdout).unwrap();
    let hash = huiyi_domain::secrets::KeyHash::of(printed.trim());
    assert!(store.credential(hash.as_str()).await.unwrap().is_some());

    // The environment beats the file, and a flag beats the environment.
    let by_env = dir.path().join("by-env.db");
    let by_flag = dir.path().join("by-flag.db");
    let elsewhere = huiyi()
        .args(["migrate", "--config"])
        .arg(&cfg)
        .env(
            "HUIYI_DATABASE_URL",
            format!("sqlite://{}", by_env.display()),
        )
        .output()
        .unwrap();
    succeeded(&elsewhere);
    assert!(by_env.exists(), "migrated the environment's database");
    let flagged = huiyi()
        .args(["migrate", "--config"])
        .arg(&cfg)
        .arg("--database")
        .arg(format!("sqlite://{}", by_flag.display()))
        .env(
            "HUIYI_DATABASE_URL",
            format!("sqlite://{}", by_env.display()),
        )
        .output()
        .unwrap();
    succeeded(&flagged);
    assert!(by_flag.exists(), "migrated the flag's database");

    std::fs::write(
        &cfg,
        format!("database_url = \"{db}\"\nlisten_addr = \"x\"\n"),
    )
    .unwrap();
    let typo = huiyi()
        .args(["migrate", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(2), "{typo:?}");
    assert!(
        String::from_utf8_lossy(&typo.stderr).contains("\"listen_addr\""),
        "{typo:?}"
    );
}
