//! `huiyi media simulate` and `huiyi media send` against a server, and two `huiyi serve`
//! replicas on one database taking events for the same meeting at once.

use crate::common::process::*;
use crate::common::*;
use huiyi_domain::{ConferenceId, Fact};
use serde_json::{Value, json};
use std::process::Output;
use std::time::Duration;

async fn media_cli(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        huiyi()
            .arg("media")
            .args(&args)
            .output()
            .expect("run huiyi media")
    })
    .await
    .unwrap()
}

async fn booked(app: &TestApp) -> String {
    app.book_id(KEY_A, HOST_A, 1).await
}

async fn kinds(app: &TestApp, conference_id: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for s in app.sessions_for(conference_id).await {
        for f in app.store.session_facts(s.id).await.unwrap() {
            out.push(f.fact.kind());
        }
    }
    out
}

/// `huiyi media simulate` against the test server for `cid`, with `extra` flags.
async fn simulate(app: &TestApp, cid: &str, extra: &[&str]) -> String {
    let mut args = vec!["simulate", "--server", &app.url, "--conference", cid];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--media-secret", MEDIA_SECRET]);
    succeeded(&media_cli(&args).await)
}

#[tokio::test]
async fn simulate_holds_a_whole_session() {
    let app = spawn_app().await;
    let cid = booked(&app).await;
    let stdout = simulate(&app, &cid, &[]).await;
    assert!(stdout.contains(&cid), "{stdout}");
    assert_eq!(app.status(&cid).await, (4, 0, 1), "the host ended it");
    // The server holds every fact the command sent, in its order (the unit test of
    // `simulated_session` pins that order).
    let sent: Vec<&str> = huiyi_server::media_cli::simulated_session("rc", false)
        .iter()
        .map(Fact::kind)
        .collect();
    assert_eq!(sent.len(), 8);
    assert_eq!(kinds(&app, &cid).await, sent);
}

#[tokio::test]
async fn simulate_keep_open_leaves_both_people_in() {
    let app = spawn_app().await;
    let cid = booked(&app).await;
    simulate(&app, &cid, &["--keep-open"]).await;
    assert_eq!(app.status(&cid).await, (2, 2, 1));
    assert!(!kinds(&app, &cid).await.contains(&"session.ended"));
}

#[tokio::test]
async fn send_posts_the_file_as_written_and_reports_refusals() {
    let app = spawn_app().await;
    let cid = booked(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.json");
    // Written by hand, with its own spacing: it must arrive byte for byte (the signature covers
    // the exact bytes).
    let text = format!(
        "{{ \"events\": [\n  {{\"eventId\": \"file-1\", \"type\": \"participant.joined\", \"conferenceId\": \"{cid}\",\n   \"participant\": {{\"id\": \"p1\", \"name\": \"文件\", \"role\": \"host\", \"client\": \"pc\", \"voice\": \"network\", \"address\": \"10.0.0.1\"}}}}\n] }}\n"
    );
    std::fs::write(&file, &text).unwrap();
    let path = file.to_str().unwrap();
    let send = |secret: &'static str| {
        let url = app.url.clone();
        let path = path.to_owned();
        async move {
            let out = tokio::task::spawn_blocking(move || {
                huiyi()
                    .env("HUIYI_MEDIA_SECRET", secret)
                    .args(["media", "send", "--server", &url, &path])
                    .output()
                    .unwrap()
            })
            .await
            .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let (code, stdout, stderr) = send(MEDIA_SECRET).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("accepted 1, duplicates 0"), "{stdout}");
    assert_eq!(app.status(&cid).await, (2, 1, 1));
    let (code, stdout, _) = send(MEDIA_SECRET).await;
    assert_eq!(code, Some(0));
    assert!(stdout.contains("accepted 0, duplicates 1"), "{stdout}");
    let (code, _, stderr) = send("a-wrong-secret").await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("52001"), "{stderr}");
    assert_eq!(app.status(&cid).await, (2, 1, 1));
}

/// Two `huiyi serve` processes on one database. 100 people join through both at once, 60 of
/// them leave, then the rest: the counts are exact on both replicas, there is one session, and
/// it is closed once after the grace period.
#[tokio::test]
async fn two_replicas_keep_exact_counts_and_close_once() {
    let (database, _guard, store) = seeded_database().await;
    let flags = [
        "--media-secret",
        MEDIA_SECRET,
        "--session-grace-secs",
        "1",
        "--worker-tick-ms",
        "50",
    ];
    let a = start_server(&database, &flags).await;
    let b = start_server(&database, &flags).await;
    let client = reqwest::Client::new();
    let booked: Value = post_to(
        &client,
        &a.url,
        "/conference/conference/reservConference2",
        KEY_A,
        &json!({"userId": HOST_A, "length": 60, "starttime": local_in_hours(1)}),
    )
    .await;
    let cid = booked["result"]["conferenceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let t0 = now_ms();
    let post = |url: String, events: Vec<Value>| {
        let client = client.clone();
        async move {
            let body = serde_json::to_vec(&json!({ "events": events })).unwrap();
            let ts = huiyi_domain::time::now_unix().to_string();
            let sig = huiyi_wire::media::sign(MEDIA_SECRET.as_bytes(), &ts, &body);
            let (status, env) = post_media(&client, &url, &ts, &sig, body).await;
            assert_eq!((status, &env["status"]), (200, &json!(0)), "{env}");
        }
    };
    let urls = [a.url.clone(), b.url.clone()];
    // Each person's join and (for 0..60) leave go to different replicas, in batches of 5.
    let wave = |from: usize, to: usize, kind: &'static str, offset: i64, flip: usize| {
        let cid = cid.clone();
        let urls = urls.clone();
        (from..to)
            .step_by(5)
            .map(|start| {
                let events: Vec<Value> = (start..(start + 5).min(to))
                    .map(|p| {
                        participant_event(
                            &format!("rep-{kind}-{p}"),
                            kind,
                            &cid,
                            &format!("p{p}"),
                            t0 + offset + p as i64,
                        )
                    })
                    .collect();
                post(urls[(start / 5 + flip) % 2].clone(), events)
            })
            .collect::<Vec<_>>()
    };
    futures_join(wave(0, 100, "participant.joined", 0, 0)).await;
    futures_join(wave(0, 60, "participant.left", 1_000, 1)).await;
    for url in &urls {
        let status: Value = post_to(
            &client,
            url,
            "/conference/conference/getConfStatus",
            KEY_A,
            &json!({"conferenceId": cid}),
        )
        .await;
        assert_eq!(
            (
                &status["result"]["confStatus"],
                &status["result"]["attendees"]
            ),
            (&json!(2), &json!(40)),
            "{url}: {status}"
        );
    }
    let event_id = store
        .booking_anywhere(&ConferenceId::parse(&cid).unwrap())
        .await
        .unwrap()
        .unwrap()
        .event_id;
    assert_eq!(sessions_of(&database, event_id).await.len(), 1);
    // Joins and leaves of the last 40 arrive at once, through both replicas.
    let mut last = wave(60, 100, "participant.left", 2_000, 0);
    last.extend(wave(100, 110, "participant.joined", 2_000, 1));
    last.extend(wave(100, 110, "participant.left", 2_100, 0));
    futures_join(last).await;
    let mut waited = 0;
    loop {
        let sessions = sessions_of(&database, event_id).await;
        assert_eq!(sessions.len(), 1, "one session throughout");
        if !sessions[0].is_open() {
            assert_eq!(
                sessions[0].closed_ms,
                Some(t0 + 2_100 + 109),
                "closed at the last leave"
            );
            break;
        }
        assert!(waited < 100, "the session was never closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    // Both replicas' workers (every 50 ms) have had several rounds since: still one close.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let session = &sessions_of(&database, event_id).await[0];
    let facts = store.session_facts(session.id).await.unwrap();
    let ends = facts
        .iter()
        .filter(|f| matches!(f.fact, Fact::SessionEnded { .. }))
        .count();
    assert_eq!(ends, 1, "the grace-period close happened once");
    assert_eq!(facts.len(), 100 + 60 + 40 + 10 + 10 + 1);
    let people = session_participants(&database, session.id).await;
    assert_eq!(people.len(), 110);
    assert!(people.iter().all(|p| !p.presence.present()));
}

/// Runs the futures concurrently and waits for all.
async fn futures_join<F: std::future::Future<Output = ()> + Send + 'static>(fs: Vec<F>) {
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    for h in handles {
        h.await.unwrap();
    }
}
