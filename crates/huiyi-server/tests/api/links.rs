//! Secure links over HTTP, against real `huiyi serve` processes: a link that may be used 6
//! times, opened by 50 concurrent clicks spread over two replicas on one database, opens
//! exactly 6 times; every other click gets the "used up" page.

use crate::common::process::*;
use crate::common::socket;
use crate::common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_secure_link_admits_exactly_its_usable_count_across_two_replicas() {
    let (database, _guard, _store) = seeded_database().await;
    let a = start_server(&database, &[]).await;
    let b = start_server(&database, &[]).await;
    let client = reqwest::Client::new();
    let post = |url: String, body: Value| {
        let client = client.clone();
        async move {
            let v: Value = client
                .post(url)
                .header("token", KEY_A)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v["status"], 0, "{v}");
            v["result"].clone()
        }
    };
    let booked = post(
        format!("{}/conference/conference/reservConference2", a.url),
        json!({"userId": HOST_A, "length": 60, "starttime": local_in_hours(1), "password_type": 1}),
    )
    .await;
    let link = post(
        format!("{}/conference/launch/joinConference", a.url),
        json!({"name": "Guest", "pcode": booked["pcode2"], "securityInfo":
            {"isSecurityLink": 1, "userId": INVITEE_A, "timeout": 5, "usableCount": 6}}),
    )
    .await;
    let link = link.as_str().expect("a link").to_owned();
    let path = link
        .split_once("/k/")
        .map(|(_, p)| p)
        .expect("a short link");
    assert!(path.contains("token="), "{link}");
    let clicks: Vec<_> = (0..50)
        .map(|i| {
            let url = format!(
                "{}/k/{path}&priority=web",
                if i % 2 == 0 { &a.url } else { &b.url }
            );
            let client = client.clone();
            tokio::spawn(async move { client.get(url).send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for c in clicks {
        statuses.push(c.await.unwrap());
    }
    let opened = statuses.iter().filter(|s| **s == 200).count();
    let used_up = statuses.iter().filter(|s| **s == 410).count();
    assert_eq!((opened, used_up), (6, 44), "{statuses:?}");
    // Used up for good, on either replica.
    for server in [&a, &b] {
        let s = client
            .get(format!("{}/k/{path}&priority=web", server.url))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(s, 410);
    }
}

/// A login-free link (21) is spent by opening its page; the page's socket then joins with a
/// pass of its own, as the link's user, and may reconnect. The spent token joins nothing.
#[tokio::test]
async fn a_one_use_link_opens_one_page_whose_socket_joins_as_its_user() {
    let app = spawn_app().await;
    let booked = app.book(KEY_A, HOST_A, 1).await;
    let env = app
        .post(
            "/confopenapi/conference/launch/joinConferenceNoSecret",
            KEY_A,
            &json!({"pcode": booked["pcode2"], "userId": INVITEE_A}),
        )
        .await;
    assert_eq!(env["status"], 0, "{env}");
    let link = env["result"]["joinLink"].as_str().unwrap().to_owned();
    let page = app
        .client
        .get(format!("{link}&priority=web"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let path = socket::ws_path(&page.text().await.unwrap());
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(
        !path.contains(token),
        "the page never hands the spent token to its socket"
    );
    let mut first = socket::open_path(&app.url, &path, socket::join("", "tab-one-0001")).await;
    assert_eq!(first.hello["type"], "joined", "{}", first.hello);
    assert_eq!(
        first.hello["you"]["name"], "分流测试1",
        "joined as the link's user"
    );
    socket::send(&mut first.ws, json!({"type": "leave"})).await;
    let again = socket::open_path(&app.url, &path, socket::join("", "tab-one-0001")).await;
    assert_eq!(
        again.hello["type"], "joined",
        "a reconnect with the page's pass works"
    );
    let code = socket::code_of(&json!(link.split('?').next().unwrap()));
    let spent = socket::open_path(
        &app.url,
        &format!("/live/{code}?token={token}&wuid={INVITEE_A}"),
        socket::join("x", "tab-two-0002"),
    )
    .await;
    assert_eq!(
        (&spent.hello["type"], &spent.hello["reason"]),
        (&json!("refused"), &json!("usedup"))
    );
    // And the page itself does not open twice.
    let twice = app
        .client
        .get(format!("{link}&priority=web"))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 410);
}
