//! One module per API area. Each handler names its path, reads the request, calls one service
//! and shapes the answer.

pub mod after;
pub mod health;
pub mod launch;
pub mod live;
pub mod media;
pub mod pages;
pub mod room;
pub mod rooms;
pub mod v1;

use crate::app::AppState;
use crate::call::Call;
use axum::response::Response;
use huiyi_domain::{Booking, Customer, SessionIndex, User};
use huiyi_wire::answers::AnswerCtx;
use huiyi_wire::requests::BookingRequest;

/// Builds the context every answer builder takes.
pub fn ctx<'a>(
    app: &'a AppState,
    customer: &'a Customer,
    host: &'a User,
    sessions: &'a SessionIndex,
    now: i64,
) -> AnswerCtx<'a> {
    AnswerCtx {
        now,
        public_url: &app.config.public_url,
        customer,
        host,
        sessions,
    }
}

/// Which booking write a request asks for.
pub enum Write {
    Book,
    Edit,
}

/// Books or edits as the request says, and answers in the endpoint's own shape: the booking
/// endpoints of both families differ only in that.
pub async fn book_or_edit<A: serde::Serialize>(
    app: &AppState,
    call: &Call,
    write: Write,
    shape: fn(&Booking, &AnswerCtx) -> A,
) -> Response {
    call.serve(app, async |t, fields| {
        let request = BookingRequest::parse(fields)?;
        let c = &t.customer;
        let (b, host) = match write {
            Write::Book => app.bookings.book(c, request).await?,
            Write::Edit => app.bookings.edit(c, request).await?,
        };
        let now = app.clock.now();
        let m = app.meetings.of(b, c.advance_hours, now).await?;
        Ok(shape(&m.view, &ctx(app, c, &host, &m.sessions, now)))
    })
    .await
}
