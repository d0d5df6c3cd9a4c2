//! Statements and rows of join links and join tokens (both backends).

use super::rows::BookingRow;
use crate::StoreError;
use huiyi_domain::{Booking, JoinToken, JoinTokenKind, LinkRole, UserId};

macro_rules! token_columns {
    () => {
        "kind, customer, event_id, user_id, role, name, expires_at, uses_left"
    };
}

pub const INSERT_TOKEN: &str = "INSERT INTO join_tokens (token_hash, kind, customer, event_id, \
     user_id, role, name, expires_at, uses_left, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Takes one use, atomically: the row changes only while it still has a use and has not
/// expired, so no number of concurrent callers gets more uses than were granted.
pub const CONSUME_TOKEN: &str = concat!(
    "UPDATE join_tokens SET uses_left = uses_left - 1 \
     WHERE token_hash = $1 AND kind = $2 AND uses_left > 0 AND expires_at > $3 RETURNING ",
    token_columns!()
);

pub const PEEK_TOKEN: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM join_tokens WHERE token_hash = $1 AND kind = $2 AND uses_left > 0 AND expires_at > $3"
);

pub const TOKEN: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM join_tokens WHERE token_hash = $1"
);

#[derive(Debug, sqlx::FromRow)]
pub struct JoinTokenRow {
    pub kind: String,
    pub customer: i64,
    pub event_id: Option<i64>,
    pub user_id: Option<i64>,
    pub role: String,
    pub name: String,
    pub expires_at: i64,
    pub uses_left: i64,
}

fn corrupt(what: String) -> StoreError {
    StoreError::Database(format!("stored row is not valid: {what}"))
}

impl TryFrom<JoinTokenRow> for JoinToken {
    type Error = StoreError;

    fn try_from(r: JoinTokenRow) -> Result<Self, StoreError> {
        Ok(JoinToken {
            kind: JoinTokenKind::parse(&r.kind)
                .ok_or_else(|| corrupt(format!("join token kind {:?}", r.kind)))?,
            customer: r.customer,
            event_id: r.event_id,
            user_id: r
                .user_id
                .map(|u| UserId::new(u).ok_or_else(|| corrupt(format!("join token user {u}"))))
                .transpose()?,
            role: LinkRole::parse(&r.role)
                .ok_or_else(|| corrupt(format!("join token role {:?}", r.role)))?,
            expires_at: r.expires_at,
            uses_left: r.uses_left,
            name: r.name,
        })
    }
}

/// A booking with the role of the link that named it ([`super::queries::LINK_TARGET`]).
#[derive(Debug, sqlx::FromRow)]
pub struct LinkTargetRow {
    #[sqlx(flatten)]
    pub booking: BookingRow,
    pub link_role: String,
}

impl TryFrom<LinkTargetRow> for (Booking, LinkRole) {
    type Error = StoreError;

    fn try_from(r: LinkTargetRow) -> Result<Self, StoreError> {
        let role = LinkRole::parse(&r.link_role)
            .ok_or_else(|| corrupt(format!("link role {:?}", r.link_role)))?;
        Ok((Booking::try_from(r.booking)?, role))
    }
}
