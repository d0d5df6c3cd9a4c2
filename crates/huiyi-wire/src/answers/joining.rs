//! Answers of the login-free joining endpoints: `joinConferenceNoSecret` (21) and
//! `launchMeetingClient` (22). Examples 21, 22. Endpoints 7 (`joinConference`) and 8
//! (`launchString`) answer a bare string `result` (a join link, a launch string): no struct.

use crate::launch::{app_join_link, login_free_link, login_launch_string};
use serde::{Deserialize, Serialize};

/// `result` of `joinConferenceNoSecret` (example 21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinNoSecretAnswer {
    /// The meeting's join link with `?token=…&wuid=<userId>` appended.
    pub join_link: String,
}

/// `result` of `launchMeetingClient` (example 22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchClientAnswer {
    /// The login token both links carry.
    pub token: String,
    pub user_id: i64,
    /// `tang:///app:6/skin:1/site:<site>/Version:<version>/goto:login/token:…/wuid:…`.
    pub web_join_link: String,
    /// `qsgnet://com.gnet.onemeeting?goto=login&token=…&wuid=…`.
    pub app_join_link: String,
}

/// Endpoint 21's answer: `join_link` (a short link `<public_url>/k/<code>`) made login-free for
/// the user holding `token`.
pub fn join_no_secret(join_link: &str, token: &str, user_id: i64) -> JoinNoSecretAnswer {
    JoinNoSecretAnswer {
        join_link: login_free_link(join_link, token, user_id),
    }
}

/// Endpoint 22's answer for the user holding `token`; `site` and `version` go into the
/// desktop client's launch string (example 22: `60000`, `5.0.0`).
pub fn launch_client(site: &str, version: &str, token: &str, user_id: i64) -> LaunchClientAnswer {
    LaunchClientAnswer {
        token: token.to_owned(),
        user_id,
        web_join_link: login_launch_string(site, version, token, user_id).to_string(),
        app_join_link: app_join_link(token, user_id),
    }
}
