//! The browser pages over HTTP: landing pages in both languages, the join page, the dial-in
//! page, error pages with the right status, and the static files they load.

use crate::common::*;
use serde_json::{Value, json};

/// `/k/<code>` of a join URL, with any query it had.
fn path_of(url: &Value) -> String {
    let url = url.as_str().unwrap();
    let at = url.find("/k/").expect("a short link");
    url[at..].to_owned()
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> Page {
    let mut req = app.client.get(format!("{}{path}", app.url));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.unwrap();
    Page {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    fn is_html(&self) {
        assert!(
            self.header("content-type").starts_with("text/html"),
            "{}",
            self.header("content-type")
        );
        assert!(self.body.starts_with("<!doctype html>"), "{}", self.body);
        assert!(
            self.body.contains(
                r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#
            ),
            "a phone-sized screen gets the page at its own width"
        );
    }
}

async fn booked(app: &TestApp) -> Value {
    app.store
        .import(&fixtures(), huiyi_domain::time::now_unix())
        .await
        .unwrap();
    app.book(KEY_A, HOST_A, 1).await
}

#[tokio::test]
async fn a_landing_page_speaks_chinese_by_default_and_english_when_asked() {
    let app = spawn_app().await;
    let b = booked(&app).await;
    let link = path_of(&b["attendeeJoinUrl"]);

    let zh = page(&app, &link, None).await;
    assert_eq!(zh.status, 200);
    zh.is_html();
    assert!(zh.body.contains(r#"<html lang="zh-CN">"#));
    assert!(zh.body.contains("在浏览器中加入"));
    assert!(zh.body.contains(b["conferenceId"].as_str().unwrap()));
    assert!(
        zh.body.contains(&format!(r#"href="{link}?priority=web""#)),
        "{}",
        zh.body
    );
    assert!(zh.body.contains(&format!(r#"href="{link}?lang=en""#)));
    assert_eq!(zh.header("cache-control"), "no-store");
    assert_eq!(zh.header("referrer-policy"), "no-referrer");

    let en = page(&app, &format!("{link}?lang=en&name=Alex"), None).await;
    assert_eq!(en.status, 200);
    assert!(en.body.contains(r#"<html lang="en">"#));
    assert!(en.body.contains("Join in browser"));
    assert!(!en.body.contains("在浏览器中加入"));
    // The join button keeps every parameter of the link.
    assert!(
        en.body.contains(&format!(
            r#"href="{link}?lang=en&#38;name=Alex&#38;priority=web""#
        )),
        "{}",
        en.body
    );
    assert!(en.header("set-cookie").starts_with("huiyi_lang=en;"));

    // The choice is remembered.
    let again = page(&app, &link, Some("huiyi_lang=en")).await;
    assert!(again.body.contains("Join in browser"));
}

#[tokio::test]
async fn the_host_link_says_so_and_priority_web_opens_the_join_page() {
    let app = spawn_app().await;
    let b = booked(&app).await;
    let host = path_of(&b["hostConferenceUrl"]);
    let landing = page(&app, &host, None).await;
    assert!(landing.body.contains("你将以主持人身份加入"));

    let code = host.trim_start_matches("/k/");
    let join = page(&app, &format!("{host}?priority=web"), None).await;
    assert_eq!(join.status, 200);
    join.is_html();
    for needle in [
        r#"data-testid="join-form""#,
        r#"data-testid="name-input""#,
        r#"data-role="host""#,
        &format!(r#""wsPath":"/live/{code}""#),
        "/static/live.js?v=",
        "/static/style.css?v=",
    ] {
        assert!(join.body.contains(needle), "{needle} in {}", join.body);
    }
    assert!(!join.body.contains(r#"data-testid="pcode-input""#));
}

#[tokio::test]
async fn join_settings_show_in_the_form() {
    let app = spawn_app().await;
    app.store
        .import(&fixtures(), huiyi_domain::time::now_unix())
        .await
        .unwrap();
    let env = app.expect("/confopenapi/room/reservConference", KEY_A, &json!({"userId": HOST_A, "title": "设置 <b>", "length": 60, "starttime": local_in_hours(1), "openWatchword": 1, "eventWatchword": "芝麻开门", "useWaitingRoom": 1, "joinConfSelTag": 1, "joinConfTags": "销售, 研发,,市场"}), 0).await;
    let b = &env["result"];
    let guest = page(
        &app,
        &format!("{}?priority=web&lang=en", path_of(&b["attendeeJoinUrl"])),
        None,
    )
    .await;
    assert_eq!(guest.status, 200);
    for needle in [
        r#"data-testid="watchword-input""#,
        r#"data-testid="tag-select""#,
        r#"<option value="销售">销售</option>"#,
        r#"<option value="研发">研发</option>"#,
        r#"<option value="市场">市场</option>"#,
        r#"data-testid="waiting-room-note""#,
        "设置 &#60;b&#62;",
    ] {
        assert!(guest.body.contains(needle), "{needle} in {}", guest.body);
    }
    assert!(
        !guest.body.contains("芝麻开门"),
        "the watchword is never shown"
    );
    assert!(!guest.body.contains("<b>"), "titles are escaped");

    // The host is asked for none of it.
    let host = page(
        &app,
        &format!("{}?priority=web", path_of(&b["hostJoinUrl"])),
        None,
    )
    .await;
    assert!(!host.body.contains(r#"data-testid="watchword-input""#));
    assert!(!host.body.contains(r#"data-testid="tag-select""#));
}

#[tokio::test]
async fn unknown_links_get_a_404_page_in_either_language() {
    let app = spawn_app().await;
    let zh = page(&app, "/k/AAAAAAAAAAA", None).await;
    assert_eq!(zh.status, 404);
    zh.is_html();
    assert!(zh.body.contains("链接无效"), "{}", zh.body);
    let en = page(&app, "/k/not-a-code?lang=en", None).await;
    assert_eq!(en.status, 404);
    en.is_html();
    assert!(en.body.contains("This link does not exist"), "{}", en.body);
    assert!(en.body.contains(r#"href="/k/not-a-code?lang=zh""#));

    let by_number = page(&app, "/j/999999999?lang=en", None).await;
    assert_eq!(by_number.status, 404);
    assert!(by_number.body.contains("No such meeting"));
    assert_eq!(page(&app, "/j/abc", None).await.status, 404);
}

#[tokio::test]
async fn a_cancelled_meetings_links_are_gone() {
    let app = spawn_app().await;
    let b = booked(&app).await;
    let id = b["conferenceId"].as_str().unwrap();
    let env = app
        .get(
            &format!("/conference/conference/cancelReservConference/6/{id}//"),
            KEY_A,
        )
        .await;
    assert_eq!(env["status"], 0, "{env}");
    for path in [
        path_of(&b["attendeeJoinUrl"]),
        format!("{}?priority=web", path_of(&b["hostConferenceUrl"])),
        format!("/j/{id}"),
    ] {
        let p = page(&app, &path, None).await;
        assert_eq!(p.status, 410, "{path}");
        p.is_html();
        assert!(p.body.contains("会议已取消"), "{}", p.body);
    }
}

#[tokio::test]
async fn the_dial_in_page_lists_the_numbers_and_the_passcode() {
    let app = spawn_app().await;
    let b = booked(&app).await;
    let wcall = page(&app, &path_of(&b["wcallUrl"]), None).await;
    assert_eq!(wcall.status, 200);
    wcall.is_html();
    for needle in [
        "400-810-5211",
        "+86(10)5808-4299",
        // Its area, from its area code, in the page's language.
        "北京",
        b["pcode2"].as_str().unwrap(),
        b["conferenceId"].as_str().unwrap(),
        "拨入号码",
    ] {
        assert!(wcall.body.contains(needle), "{needle} in {}", wcall.body);
    }
    assert!(
        !wcall.body.contains(b["pcode1"].as_str().unwrap()),
        "never the host's passcode"
    );
    // Even with priority=web a dial-in link shows the numbers.
    let web = page(
        &app,
        &format!("{}?priority=web&lang=en", path_of(&b["wcallUrl"])),
        None,
    )
    .await;
    assert!(web.body.contains("Dial-in numbers"));
    assert!(web.body.contains("Beijing") && !web.body.contains("北京"));
}

#[tokio::test]
async fn the_meeting_number_page_asks_for_the_passcode() {
    let app = spawn_app().await;
    let b = booked(&app).await;
    let id = b["conferenceId"].as_str().unwrap();
    let p = page(&app, &format!("/j/{id}"), None).await;
    assert_eq!(p.status, 200);
    p.is_html();
    assert!(p.body.contains(r#"data-testid="pcode-input""#));
    assert!(p.body.contains(&format!(r#""wsPath":"/live/by-id/{id}""#)));
    assert!(!p.body.contains(b["pcode1"].as_str().unwrap()));
}

#[tokio::test]
async fn static_files_are_served_with_a_long_cache_under_their_hash() {
    let app = spawn_app().await;
    let b = booked(&app).await;
    let join = page(
        &app,
        &format!("{}?priority=web", path_of(&b["attendeeJoinUrl"])),
        None,
    )
    .await;
    let src = join
        .body
        .split(r#"<script src=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page loads its script")
        .to_owned();
    assert!(src.starts_with("/static/live.js?v="), "{src}");
    let js = page(&app, &src, None).await;
    assert_eq!(js.status, 200);
    assert!(js.header("content-type").starts_with("text/javascript"));
    assert!(js.header("cache-control").contains("immutable"));
    assert!(js.body.contains("LiveState::patch"));

    let unversioned = page(&app, "/static/live.js", None).await;
    assert_eq!(unversioned.status, 200);
    assert!(!unversioned.header("cache-control").contains("immutable"));
    let css = page(&app, "/static/style.css", None).await;
    assert!(css.header("content-type").starts_with("text/css"));
    assert_eq!(page(&app, "/static/nothing.js", None).await.status, 404);
}
