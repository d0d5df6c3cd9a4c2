//! Joining in SQL: what a short link names, and join tokens whose uses are taken atomically.

use super::bookings::{BookingRow, booking_columns};
use crate::store::SqlStore;
use crate::support::{corrupt, db_error};
use async_trait::async_trait;
use huiyi_domain::{Booking, JoinToken, JoinTokenKind, LinkRole, NewJoinToken, UserId};
use huiyi_store::{JoinTokenStore, StoreError, StoreResult};

macro_rules! token_columns {
    () => {
        "kind, customer, event_id, user_id, role, name, expires_at, uses_left"
    };
}

/// The booking a short link code names (codes are unique across customers), with the role
/// of that link as `link_role`.
const LINK_TARGET: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", (SELECT role FROM links WHERE code = $1) AS link_role FROM bookings \
     WHERE event_id = (SELECT event_id FROM links WHERE code = $1)"
);

const INSERT_TOKEN: &str = "INSERT INTO join_tokens (token_hash, kind, customer, event_id, \
     user_id, role, name, expires_at, uses_left, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// Takes one use, atomically: the row changes only while it still has a use and has not
/// expired, so no number of concurrent callers gets more uses than were granted.
const CONSUME_TOKEN: &str = concat!(
    "UPDATE join_tokens SET uses_left = uses_left - 1 \
     WHERE token_hash = $1 AND kind = $2 AND uses_left > 0 AND expires_at > $3 RETURNING ",
    token_columns!()
);

const PEEK_TOKEN: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM join_tokens WHERE token_hash = $1 AND kind = $2 AND uses_left > 0 AND expires_at > $3"
);

const TOKEN: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM join_tokens WHERE token_hash = $1"
);

#[derive(Debug, sqlx::FromRow)]
struct JoinTokenRow {
    kind: String,
    customer: i64,
    event_id: Option<i64>,
    user_id: Option<i64>,
    role: String,
    name: String,
    expires_at: i64,
    uses_left: i64,
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

/// A booking with the role of the link that named it ([`LINK_TARGET`]).
#[derive(Debug, sqlx::FromRow)]
struct LinkTargetRow {
    #[sqlx(flatten)]
    booking: BookingRow,
    link_role: String,
}

impl TryFrom<LinkTargetRow> for (Booking, LinkRole) {
    type Error = StoreError;

    fn try_from(r: LinkTargetRow) -> Result<Self, StoreError> {
        let role = LinkRole::parse(&r.link_role)
            .ok_or_else(|| corrupt(format!("link role {:?}", r.link_role)))?;
        Ok((Booking::try_from(r.booking)?, role))
    }
}

#[async_trait]
impl JoinTokenStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn link_target(&self, code: &str) -> StoreResult<Option<(Booking, LinkRole)>> {
        let row: Option<LinkTargetRow> = sqlx::query_as(LINK_TARGET)
            .bind(code)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(<(Booking, LinkRole)>::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(kind = t.kind.as_str(), customer = t.customer))]
    async fn create_join_token(&self, t: &NewJoinToken) -> StoreResult<()> {
        if t.uses < 1 {
            return Err(StoreError::Invalid(format!(
                "a join token needs at least one use, not {}",
                t.uses
            )));
        }
        let done = sqlx::query(INSERT_TOKEN)
            .bind(t.token_hash.as_str())
            .bind(t.kind.as_str())
            .bind(t.customer)
            .bind(t.event_id)
            .bind(t.user_id.map(UserId::get))
            .bind(t.role.as_str())
            .bind(t.name.as_str())
            .bind(t.expires_at)
            .bind(t.uses)
            .bind(t.created_at)
            .execute(&self.writer)
            .await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Err(
                StoreError::Invalid("the token names a booking or user that does not exist".into()),
            ),
            Err(sqlx::Error::Database(d)) if d.is_check_violation() => Err(StoreError::Invalid(
                "the token's uses or booking are not valid".into(),
            )),
            Err(e) => Err(db_error(e)),
        }
    }

    #[tracing::instrument(level = "debug", skip(self, token_hash))]
    async fn consume_join_token(
        &self,
        token_hash: &str,
        kind: JoinTokenKind,
        now: i64,
    ) -> StoreResult<Option<JoinToken>> {
        let row: Option<JoinTokenRow> = sqlx::query_as(CONSUME_TOKEN)
            .bind(token_hash)
            .bind(kind.as_str())
            .bind(now)
            .fetch_optional(&self.writer)
            .await
            .map_err(db_error)?;
        row.map(JoinToken::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip(self, token_hash))]
    async fn peek_join_token(
        &self,
        token_hash: &str,
        kind: JoinTokenKind,
        now: i64,
    ) -> StoreResult<Option<JoinToken>> {
        let row: Option<JoinTokenRow> = sqlx::query_as(PEEK_TOKEN)
            .bind(token_hash)
            .bind(kind.as_str())
            .bind(now)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(JoinToken::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn join_token(&self, token_hash: &str) -> StoreResult<Option<JoinToken>> {
        let row: Option<JoinTokenRow> = sqlx::query_as(TOKEN)
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(JoinToken::try_from).transpose()
    }
}
