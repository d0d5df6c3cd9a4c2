//! Dial-in numbers for a caller (11) and hardware boxes bound to a meeting (13): paths of the
//! older family, answered as their own examples are.

use crate::app::AppState;
use crate::call::{Call, envelope_response};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use huiyi_wire::requests::{BindBoxRequest, PhoneAccessRequest};
use huiyi_wire::{Code, Family};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/conference/conference/getPhoneAccessNum",
            post(get_phone_access_num),
        )
        .route("/conference/conference/confBindBox", post(conf_bind_box))
}

/// 11: the dial-in numbers for a caller's `phone`. Example 11 carries no `callSeq`.
async fn get_phone_access_num(State(app): State<AppState>, mut call: Call) -> Response {
    call.family = Family::V1Bare;
    call.serve(&app, async |t, fields| {
        let req = PhoneAccessRequest::parse(fields)?;
        app.rooms.phone_access(&t.customer, &req).await
    })
    .await
}

/// 13: binds boxes to a booking. Example 13's envelope is the room-era one, and its 51208
/// answer still carries the lists.
async fn conf_bind_box(State(app): State<AppState>, mut call: Call) -> Response {
    call.family = Family::Room;
    let outcome = match (call.tenant(&app).await, call.fields()) {
        (Ok(t), Ok(fields)) => match BindBoxRequest::parse(fields) {
            Ok(req) => app.rooms.bind_boxes(&t.customer, &req).await,
            Err(e) => Err(e.into()),
        },
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match outcome {
        Ok(Err(none_valid)) => envelope_response(
            call.family,
            Code::NoValidBox.number(),
            serde_json::to_value(none_valid).unwrap_or_default(),
            "the num of valid boxIds is 0".to_owned(),
            &call.request_id,
            call.started,
        ),
        Ok(Ok(answer)) => call.answer(Ok(answer)),
        Err(e) => call.answer::<()>(Err(e)),
    }
}
