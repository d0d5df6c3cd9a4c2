//! Answer shapes, one per endpoint, built from domain values. Key names, key order and JSON
//! types follow the reference's response examples exactly (`tests/golden_answers.rs`).

use huiyi_domain::{Booking, Customer, LinkCode, User};

/// What every answer builder needs besides the booking.
#[derive(Debug, Clone, Copy)]
pub struct AnswerCtx<'a> {
    /// Unix seconds now (for `currentTime` and the status).
    pub now: i64,
    /// The public base URL, without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub public_url: &'a str,
    pub customer: &'a Customer,
    /// The booking's host.
    pub host: &'a User,
}

impl AnswerCtx<'_> {
    /// The short link for a code: `<public_url>/k/<code>`.
    pub fn link(&self, code: &LinkCode) -> String {
        format!("{}/k/{}", self.public_url, code)
    }
}

// The builders (HELPER FILLS IN):
// pub fn reserv_v1(b: &Booking, ctx: &AnswerCtx) -> ReservV1Answer            (endpoints 1, 2)
// pub fn conference_list(bs: &[Booking], ctx: &AnswerCtx) -> ConferenceListAnswer (endpoint 4)
// pub fn base_info(b: &Booking, ctx: &AnswerCtx) -> BaseInfoAnswer             (endpoint 5)
// pub fn conf_status(b: &Booking, ctx: &AnswerCtx) -> ConfStatusAnswer         (endpoint 6)
// pub fn room_reserv(b: &Booking, ctx: &AnswerCtx) -> RoomReservAnswer         (endpoints 14, 15)
// pub fn room_item(b: &Booking, ctx: &AnswerCtx) -> RoomItem                   (endpoints 17, 18, 23)
#[allow(dead_code)]
fn _uses(_: &Booking) {}
