//! Join links and launch strings (endpoints 7, 8, 21 and 22 of API.md §7).

use crate::app::AppState;
use crate::call::Call;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use huiyi_wire::answers;
use huiyi_wire::joining::{
    CLIENT_SITE, CLIENT_VERSION, JoinRequest, LaunchClientRequest, LaunchRequest, NoSecretRequest,
};
use huiyi_wire::launch::launch_string;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conference/launch/joinConference", post(join_conference))
        .route("/conference/launch/launchString", post(launch_string_of))
        .route(
            "/confopenapi/conference/launch/joinConferenceNoSecret",
            post(join_conference_no_secret),
        )
        .route(
            "/confopenapi/conference/launch/launchMeetingClient",
            post(launch_meeting_client),
        )
}

/// 7: a join link for `name` with `pcode`; with `securityInfo`, a secure link for its user.
async fn join_conference(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = JoinRequest::parse(fields)?;
        app.joining
            .join_link(&t.customer, &req, app.clock.now())
            .await
    })
    .await
}

/// 8: the client launch string `tang:///…` for `name` with `pcode`.
async fn launch_string_of(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = LaunchRequest::parse(fields)?;
        let fields = app
            .joining
            .launch_fields(&t.customer, &req, app.clock.now())
            .await?;
        Ok(launch_string(&fields).to_string())
    })
    .await
}

/// 21: a login-free join link `…?token=…&wuid=<userId>` for `pcode` and `userId`.
async fn join_conference_no_secret(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = NoSecretRequest::parse(fields)?;
        let (link, token) = app
            .joining
            .no_secret_link(&t.customer, &req, app.clock.now())
            .await?;
        Ok(answers::join_no_secret(&link, &token, req.user_id))
    })
    .await
}

/// 22: a login token for `userId` with the desktop and app links that use it.
async fn launch_meeting_client(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = LaunchClientRequest::parse(fields)?;
        let token = app
            .joining
            .client_login(&t.customer, &req, app.clock.now())
            .await?;
        Ok(answers::launch_client(
            CLIENT_SITE,
            CLIENT_VERSION,
            &token,
            req.user_id,
        ))
    })
    .await
}
