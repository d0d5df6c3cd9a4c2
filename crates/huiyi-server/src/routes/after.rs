//! After the meeting: recordings and reports (endpoints 9, 10, 12 and 19 of API.md §7).

use crate::app::AppState;
use crate::call::Call;
use crate::services::Held;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use huiyi_wire::Family;
use huiyi_wire::answers::{self, HeldCtx, HeldLinks, ReplayItem};
use huiyi_wire::requests::{RecordsDeleteRequest, ReplayByIdRequest, ReplayRequest, ReportRequest};
use serde_json::{Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conference/movie/getConfReplay", post(get_conf_replay))
        .route("/conference/report/getReportData", post(get_report_data))
        .route("/conference/movie/recordsDelete", post(records_delete))
        .route(
            "/confopenapi/conference/movie/getConfReplayById",
            post(get_conf_replay_by_id),
        )
}

/// What the recording answers say of a held session: a recording is there once its file is
/// complete, and coming while an upload of it arrives.
fn held_ctx<'a>(h: &'a Held, links: &'a HeldLinks) -> HeldCtx<'a> {
    HeldCtx {
        booking: &h.view,
        session: &h.held.session,
        has_record: h.recording().is_some() || h.held.uploading,
        record_ready: h.recording().is_some(),
        links,
    }
}

/// 9: ended sessions of up to 10 hosts over up to 14 days, keyed by the hosts' emails.
async fn get_conf_replay(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = ReplayRequest::parse(fields)?;
        let listed = app.after.replay_list(&t.customer, &req).await?;
        // Keyed by email in the order asked (a JSON object keeps its insertion order here).
        let mut out: Map<String, Value> = Map::new();
        for (email, held) in listed {
            let mut items: Vec<ReplayItem> = Vec::with_capacity(held.len());
            for h in &held {
                let links = app.after.links(h).await?;
                items.push(answers::replay_item(&held_ctx(h, &links)));
            }
            let items = serde_json::to_value(items).map_err(|e| {
                tracing::error!(error = %e, "a recording list did not serialise");
                crate::error::ApiError::new(
                    huiyi_wire::Code::Internal,
                    "the server could not build the answer",
                )
            })?;
            out.insert(email, items);
        }
        Ok(Value::Object(out))
    })
    .await
}

/// 19: the recording of a booking's latest ended session.
async fn get_conf_replay_by_id(State(app): State<AppState>, call: Call) -> Response {
    call.serve(&app, async |t, fields| {
        let req = ReplayByIdRequest::parse(fields)?;
        let h = app
            .after
            .replay_by_id(&t.customer, &req.conference_id)
            .await?;
        let links = app.after.links(&h).await?;
        Ok(answers::replay_by_id(&held_ctx(&h, &links)))
    })
    .await
}

/// 10: the report of the latest ended session, or of `tempConferenceId`.
async fn get_report_data(State(app): State<AppState>, mut call: Call) -> Response {
    call.family = Family::V1Bare;
    call.serve(&app, async |t, fields| {
        let req = ReportRequest::parse(fields)?;
        let report = app
            .after
            .report_of(
                &t.customer,
                &req.conference_id,
                req.temp_conference_id.as_deref(),
            )
            .await?;
        Ok(report.answer.clone())
    })
    .await
}

/// 12: delete recordings of the host's sessions; deleting again is harmless.
async fn records_delete(State(app): State<AppState>, mut call: Call) -> Response {
    call.family = Family::Room;
    call.serve(&app, async |t, fields| {
        let req = RecordsDeleteRequest::parse(fields)?;
        app.after.delete(&t.customer, &req).await?;
        Ok(Value::Null)
    })
    .await
}
