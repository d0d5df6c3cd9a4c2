//! Delivery in SQL: endpoints, callback secrets, and the outbox a worker claims with a lease and
//! settles, logging every attempt. [`enqueue`] holds what the other areas call inside their
//! transactions.

pub mod enqueue;

use crate::backend::{CAPABILITIES, Db};
use crate::capabilities::Claim;
use crate::store::SqlStore;
use crate::support::{corrupt, db_error};
use async_trait::async_trait;
use huiyi_domain::CustomerKey;
use huiyi_domain::delivery::EventFilter;
use huiyi_store::{
    Attempt, ClaimedMessage, DeliveryStore, Endpoint, MessageLog, MessageState, NewEndpoint,
    Settle, Settled, Signing, StoreError, StoreResult, Target,
};
use std::collections::HashMap;

const INSERT_ENDPOINT: &str = "INSERT INTO webhook_endpoints (customer, url, events, secret, \
     created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
const ENDPOINTS: &str = "SELECT id, customer, url, events, created_at, disabled_at \
     FROM webhook_endpoints WHERE customer = $1 AND removed_at IS NULL ORDER BY id";
const REMOVE_ENDPOINT: &str = "UPDATE webhook_endpoints SET removed_at = $3 \
     WHERE id = $1 AND customer = $2 AND removed_at IS NULL";
const ROTATE_ENDPOINT: &str = "UPDATE webhook_endpoints SET previous_secret = secret, \
     previous_until = $4, secret = $3 WHERE id = $1 AND customer = $2 AND removed_at IS NULL";
/// Pending messages of an endpoint that will get nothing more (removed, or gone).
const FAIL_PENDING_OF_ENDPOINT: &str = "UPDATE outbox SET state = 'failed', lease_until = 0, \
     claim = NULL WHERE endpoint = $1 AND state = 'pending'";
const FAIL_MESSAGE: &str = "UPDATE outbox SET state = 'failed', lease_until = 0, claim = NULL \
     WHERE id = $1";
const DISABLE_ENDPOINT_OF: &str = "UPDATE webhook_endpoints SET disabled_at = $2 \
     WHERE id = $1 AND disabled_at IS NULL";

const ENSURE_CALLBACK_SECRET: &str = "INSERT INTO callback_secrets (customer, secret) \
     VALUES ($1, $2) ON CONFLICT (customer) DO NOTHING";
const ROTATE_CALLBACK_SECRET: &str = "UPDATE callback_secrets SET previous_secret = secret, \
     previous_until = $3, secret = $2 WHERE customer = $1";
const CALLBACK_SECRET: &str = "SELECT secret FROM callback_secrets WHERE customer = $1";
const SERVER_KEY: &str = "SELECT key FROM server_keys WHERE name = $1";
const HELD_BATCH: &str = "SELECT customer, body FROM outbox WHERE id = $1 AND claim = $2 \
     AND state = 'pending'";
const INSERT_SERVER_KEY: &str =
    "INSERT INTO server_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";

macro_rules! due_messages {
    () => {
        "SELECT id FROM outbox WHERE state = 'pending' AND next_at <= $1 AND lease_until <= $1 \
         ORDER BY next_at, id LIMIT $4"
    };
}
macro_rules! claim_messages {
    ($due:expr) => {
        concat!(
            "UPDATE outbox SET lease_until = $2, claim = $3 WHERE id IN (",
            $due,
            ") RETURNING id, msg_id, customer, endpoint, url, kind, body, attempts"
        )
    };
}
/// [`Claim::Whole`]: the single writer sees no other claimant.
const CLAIM: &str = claim_messages!(due_messages!());
/// [`Claim::SkipLocked`]: rows another replica is claiming are left to it.
const CLAIM_SKIP_LOCKED: &str =
    claim_messages!(concat!(due_messages!(), " FOR UPDATE SKIP LOCKED"));

const ENDPOINT_SECRETS_HEAD: &str =
    "SELECT id, secret, previous_secret, previous_until FROM webhook_endpoints WHERE id IN (";
const CALLBACK_SECRETS_HEAD: &str = "SELECT customer, secret, previous_secret, previous_until \
     FROM callback_secrets WHERE customer IN (";

const INSERT_ATTEMPTS_HEAD: &str =
    "INSERT INTO delivery_attempts (message, at_ms, http_status, latency_ms, error) ";
const DELIVERED: &str = "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, \
     lease_until = 0, claim = NULL WHERE id = $1 AND claim = $2";
const RETRY: &str = "UPDATE outbox SET attempts = attempts + 1, next_at = $3, lease_until = 0, \
     claim = NULL WHERE id = $1 AND claim = $2";
const FAILED: &str = "UPDATE outbox SET state = 'failed', attempts = attempts + 1, \
     lease_until = 0, claim = NULL WHERE id = $1 AND claim = $2 RETURNING endpoint";

const MESSAGES: &str = "SELECT id, msg_id, endpoint, url, kind, state, created_at, next_at \
     FROM outbox WHERE customer = $1 AND ($2 = 0 OR endpoint = $2) ORDER BY id DESC LIMIT $3";
const ATTEMPTS_HEAD: &str = "SELECT message, at_ms, http_status, latency_ms, error \
     FROM delivery_attempts WHERE message IN (";
const MESSAGE_ENDPOINT: &str = "SELECT o.endpoint, e.removed_at FROM outbox o \
     LEFT JOIN webhook_endpoints e ON e.id = o.endpoint WHERE o.msg_id = $1 AND o.customer = $2";
const REDELIVER: &str = "UPDATE outbox SET state = 'pending', attempts = 0, next_at = $3, \
     lease_until = 0, claim = NULL WHERE msg_id = $1 AND customer = $2";
const ENABLE_ENDPOINT: &str = "UPDATE webhook_endpoints SET disabled_at = NULL WHERE id = $1";

/// Ids per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: i64,
    customer: i64,
    url: String,
    events: String,
    created_at: i64,
    disabled_at: Option<i64>,
}

impl TryFrom<EndpointRow> for Endpoint {
    type Error = StoreError;

    fn try_from(r: EndpointRow) -> Result<Self, StoreError> {
        Ok(Endpoint {
            id: r.id,
            customer: r.customer,
            url: r.url,
            events: EventFilter::from_stored(&r.events)
                .map_err(|e| corrupt(format!("endpoint {}: {e}", r.id)))?,
            created_at: r.created_at,
            disabled_at: r.disabled_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    msg_id: String,
    customer: i64,
    endpoint: Option<i64>,
    url: String,
    kind: String,
    body: String,
    attempts: i64,
}

/// `(key, secret, previous_secret, previous_until)`.
type SecretRow = (i64, String, Option<String>, Option<i64>);

fn signing((_, current, previous, until): SecretRow, now_ms: i64) -> Signing {
    Signing {
        current,
        previous: previous.filter(|_| until.is_some_and(|u| u > now_ms)),
    }
}

async fn secrets_of(
    conn: &mut crate::areas::Conn,
    head: &str,
    keys: &[i64],
    now_ms: i64,
) -> Result<HashMap<i64, Signing>, sqlx::Error> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(IDS_PER_STATEMENT) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(head);
        let mut list = qb.separated(", ");
        for k in chunk {
            list.push_bind(*k);
        }
        qb.push(")");
        let rows: Vec<SecretRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
        for r in rows {
            out.insert(r.0, signing(r, now_ms));
        }
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    msg_id: String,
    endpoint: Option<i64>,
    url: String,
    kind: String,
    state: String,
    created_at: i64,
    next_at: i64,
}

fn target(endpoint: Option<i64>, url: &str) -> Target {
    match endpoint {
        Some(e) => Target::Endpoint(e),
        None if url.starts_with(huiyi_domain::delivery::MAIL_SCHEME) => Target::Mail,
        None if url.starts_with(huiyi_domain::delivery::SMS_SCHEME) => Target::Sms,
        None if url.starts_with(huiyi_domain::delivery::NOTICES_SCHEME) => Target::Notices,
        None => Target::Callback,
    }
}

fn http_status(s: Option<u16>) -> Option<i64> {
    s.map(i64::from)
}

#[async_trait]
impl DeliveryStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, fields(customer = new.customer))]
    async fn add_endpoint(&self, new: NewEndpoint) -> StoreResult<Endpoint> {
        let id: i64 = sqlx::query_scalar(INSERT_ENDPOINT)
            .bind(new.customer)
            .bind(new.url.as_str())
            .bind(new.events.to_stored())
            .bind(new.secret.as_str())
            .bind(new.created_at)
            .fetch_one(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(Endpoint {
            id,
            customer: new.customer,
            url: new.url,
            events: new.events,
            created_at: new.created_at,
            disabled_at: None,
        })
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn endpoints(&self, customer: CustomerKey) -> StoreResult<Vec<Endpoint>> {
        let rows: Vec<EndpointRow> = sqlx::query_as(ENDPOINTS)
            .bind(customer)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(Endpoint::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn remove_endpoint(
        &self,
        customer: CustomerKey,
        id: i64,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await.map_err(db_error)?;
        let done = sqlx::query(REMOVE_ENDPOINT)
            .bind(id)
            .bind(customer)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(FAIL_PENDING_OF_ENDPOINT)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    #[tracing::instrument(level = "debug", skip(self, secret))]
    async fn rotate_endpoint_secret(
        &self,
        customer: CustomerKey,
        id: i64,
        secret: &str,
        keep_old_until_ms: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(ROTATE_ENDPOINT)
            .bind(id)
            .bind(customer)
            .bind(secret)
            .bind(keep_old_until_ms)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn expand_notices(&self, id: i64, claim: &str, now_ms: i64) -> StoreResult<usize> {
        let mut tx = self.begin_write().await.map_err(db_error)?;
        let held: Option<(i64, String)> = sqlx::query_as(HELD_BATCH)
            .bind(id)
            .bind(claim)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let Some((customer, body)) = held else {
            tx.rollback().await.map_err(db_error)?;
            return Ok(0);
        };
        let made = match serde_json::from_str::<huiyi_domain::delivery::NoticeBatch>(&body) {
            Ok(batch) => enqueue::expand(&mut tx, customer, &batch, now_ms)
                .await
                .map_err(crate::support::TxError::into_store)?,
            Err(e) => {
                tracing::error!(error = %e, "a batch of notices is unreadable; marked failed");
                sqlx::query(FAIL_MESSAGE)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                return Ok(0);
            }
        };
        sqlx::query(DELIVERED)
            .bind(id)
            .bind(claim)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(made)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn sms_secret(&self, fresh: &str) -> StoreResult<String> {
        sqlx::query(INSERT_SERVER_KEY)
            .bind(huiyi_domain::delivery::SMS_SECRET_NAME)
            .bind(fresh.as_bytes())
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        let (key,): (Vec<u8>,) = sqlx::query_as(SERVER_KEY)
            .bind(huiyi_domain::delivery::SMS_SECRET_NAME)
            .fetch_one(&self.writer)
            .await
            .map_err(db_error)?;
        String::from_utf8(key).map_err(|_| crate::support::corrupt("the SMS secret"))
    }

    #[tracing::instrument(level = "debug", skip(self, fresh))]
    async fn callback_secret(
        &self,
        customer: CustomerKey,
        fresh: &str,
        rotate: bool,
        keep_old_until_ms: i64,
    ) -> StoreResult<String> {
        let mut tx = self.begin_write().await.map_err(db_error)?;
        let created = sqlx::query(ENSURE_CALLBACK_SECRET)
            .bind(customer)
            .bind(fresh)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected()
            > 0;
        if rotate && !created {
            sqlx::query(ROTATE_CALLBACK_SECRET)
                .bind(customer)
                .bind(fresh)
                .bind(keep_old_until_ms)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        let secret: String = sqlx::query_scalar(CALLBACK_SECRET)
            .bind(customer)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(secret)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn claim_messages(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedMessage>> {
        let sql = match CAPABILITIES.claim {
            Claim::Whole => CLAIM,
            Claim::SkipLocked => CLAIM_SKIP_LOCKED,
        };
        let claim = huiyi_domain::delivery::new_message_id();
        let mut tx = self.begin_write().await.map_err(db_error)?;
        let rows: Vec<ClaimedRow> = sqlx::query_as(sql)
            .bind(now_ms)
            .bind(now_ms.saturating_add(lease_ms))
            .bind(claim.as_str())
            .bind(limit)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error)?;
        if rows.is_empty() {
            tx.commit().await.map_err(db_error)?;
            return Ok(Vec::new());
        }
        let mut endpoint_ids: Vec<i64> = rows.iter().filter_map(|r| r.endpoint).collect();
        endpoint_ids.sort_unstable();
        endpoint_ids.dedup();
        let mut callers: Vec<i64> = rows
            .iter()
            .filter(|r| target(r.endpoint, &r.url) == Target::Callback)
            .map(|r| r.customer)
            .collect();
        callers.sort_unstable();
        callers.dedup();
        let endpoint_secrets = secrets_of(&mut tx, ENDPOINT_SECRETS_HEAD, &endpoint_ids, now_ms)
            .await
            .map_err(db_error)?;
        let callback_secrets = secrets_of(&mut tx, CALLBACK_SECRETS_HEAD, &callers, now_ms)
            .await
            .map_err(db_error)?;
        let sms_secret = if rows
            .iter()
            .any(|r| target(r.endpoint, &r.url) == Target::Sms)
        {
            let key: Option<(Vec<u8>,)> = sqlx::query_as(SERVER_KEY)
                .bind(huiyi_domain::delivery::SMS_SECRET_NAME)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
            key.and_then(|(k,)| String::from_utf8(k).ok())
                .map(|current| Signing {
                    current,
                    previous: None,
                })
        } else {
            None
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            // A letter is not signed: its `signing` is empty.
            let unsigned = Signing {
                current: String::new(),
                previous: None,
            };
            let signing = match target(r.endpoint, &r.url) {
                Target::Endpoint(e) => endpoint_secrets.get(&e),
                Target::Callback => callback_secrets.get(&r.customer),
                Target::Mail | Target::Notices => Some(&unsigned),
                Target::Sms => sms_secret.as_ref(),
            };
            let Some(signing) = signing.cloned() else {
                // Never expected (the secret is made with the message): fail this one message
                // rather than every round that claims it.
                tracing::error!(msg_id = %r.msg_id, "a message has no signing secret; marked failed");
                sqlx::query(FAIL_MESSAGE)
                    .bind(r.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                continue;
            };
            out.push(ClaimedMessage {
                id: r.id,
                msg_id: r.msg_id,
                customer: r.customer,
                target: target(r.endpoint, &r.url),
                url: r.url,
                kind: r.kind,
                body: r.body,
                attempts: r.attempts,
                claim: claim.clone(),
                signing,
            });
        }
        tx.commit().await.map_err(db_error)?;
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(count = settled.len()))]
    async fn settle_messages(&self, settled: &[Settled]) -> StoreResult<()> {
        if settled.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await.map_err(db_error)?;
        for chunk in settled.chunks(IDS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(INSERT_ATTEMPTS_HEAD);
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(s.id)
                    .push_bind(s.attempt.at_ms)
                    .push_bind(http_status(s.attempt.status))
                    .push_bind(s.attempt.latency_ms)
                    .push_bind(s.attempt.error.as_deref());
            });
            qb.build().execute(&mut *tx).await.map_err(db_error)?;
        }
        for s in settled {
            match s.settle {
                Settle::Delivered => {
                    sqlx::query(DELIVERED)
                        .bind(s.id)
                        .bind(s.claim.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                }
                Settle::Retry { at_ms } => {
                    sqlx::query(RETRY)
                        .bind(s.id)
                        .bind(s.claim.as_str())
                        .bind(at_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                }
                Settle::Failed | Settle::Gone => {
                    let endpoint: Option<Option<i64>> = sqlx::query_scalar(FAILED)
                        .bind(s.id)
                        .bind(s.claim.as_str())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    if s.settle == Settle::Gone
                        && let Some(Some(endpoint)) = endpoint
                    {
                        sqlx::query(DISABLE_ENDPOINT_OF)
                            .bind(endpoint)
                            .bind(s.attempt.at_ms)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                        sqlx::query(FAIL_PENDING_OF_ENDPOINT)
                            .bind(endpoint)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                    }
                }
            }
        }
        tx.commit().await.map_err(db_error)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn messages(
        &self,
        customer: CustomerKey,
        endpoint: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<MessageLog>> {
        let rows: Vec<MessageRow> = sqlx::query_as(MESSAGES)
            .bind(customer)
            .bind(endpoint.unwrap_or(0))
            .bind(limit)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        let mut attempts: HashMap<i64, Vec<Attempt>> = HashMap::new();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(ATTEMPTS_HEAD);
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") ORDER BY id");
            let found: Vec<(i64, i64, Option<i64>, i64, Option<String>)> = qb
                .build_query_as()
                .fetch_all(&self.reader)
                .await
                .map_err(db_error)?;
            for (message, at_ms, status, latency_ms, error) in found {
                attempts.entry(message).or_default().push(Attempt {
                    at_ms,
                    status: status.and_then(|s| u16::try_from(s).ok()),
                    latency_ms,
                    error,
                });
            }
        }
        rows.into_iter()
            .map(|r| {
                Ok(MessageLog {
                    state: MessageState::parse(&r.state)
                        .ok_or_else(|| corrupt(format!("message state {:?}", r.state)))?,
                    attempts: attempts.remove(&r.id).unwrap_or_default(),
                    msg_id: r.msg_id,
                    target: target(r.endpoint, &r.url),
                    url: r.url,
                    kind: r.kind,
                    created_ms: r.created_at,
                    next_ms: r.next_at,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn redeliver(&self, customer: CustomerKey, msg_id: &str, now_ms: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await.map_err(db_error)?;
        let found: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(MESSAGE_ENDPOINT)
            .bind(msg_id)
            .bind(customer)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
        let Some((endpoint, removed_at)) = found else {
            return Err(StoreError::NotFound);
        };
        if removed_at.is_some() {
            return Err(StoreError::Invalid(format!(
                "message {msg_id} was for an endpoint that has been removed; add the endpoint \
                 again to receive new messages"
            )));
        }
        sqlx::query(REDELIVER)
            .bind(msg_id)
            .bind(customer)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        // Asking for a message again says the endpoint is back: one that a 410 disabled is
        // enabled again.
        if let Some(e) = endpoint {
            sqlx::query(ENABLE_ENDPOINT)
                .bind(e)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }
}
