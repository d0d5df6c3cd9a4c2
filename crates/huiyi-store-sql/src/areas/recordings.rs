//! After the meeting in SQL: ended sessions with their bookings and recordings, deletions,
//! resumable uploads, and the link-signing key.

use super::Conn;
use super::bookings::{BookingRow, booking_columns};
use super::sessions::{SessionRow, session_columns};
use crate::backend::Db;
use crate::store::SqlStore;
use crate::support::{TxError, corrupt, db_error};
use async_trait::async_trait;
use huiyi_domain::session::Recording;
use huiyi_domain::{Booking, CustomerKey, EventId, UserId};
use huiyi_store::{
    HeldSession, NewUpload, RecordingFile, RecordingStore, StoreResult, Upload, UploadState,
};
use std::collections::HashMap;

const LINK_KEY_NAME: &str = "links";
const FACT_STAMP: &str = "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(MAX(id), 0) AS BIGINT) \
     FROM session_facts WHERE session_id = $1";
const INSERT_KEY: &str =
    "INSERT INTO server_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
const KEY: &str = "SELECT key FROM server_keys WHERE name = $1";

const ENDED_HEAD: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE customer = $1 AND closed_ms IS NOT NULL AND opened_ms >= $2 \
     AND opened_ms < $3 AND event_id IN (SELECT event_id FROM bookings WHERE customer = $1 \
     AND host_user_id IN ("
);
const BY_TEMP: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE temp_conference_id = $1"
);
const LATEST_ENDED: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE customer = $1 AND event_id = $2 AND closed_ms IS NOT NULL \
     ORDER BY closed_ms DESC, id DESC LIMIT 1"
);
const BY_TEMP_OF_CUSTOMER: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE temp_conference_id = $1 AND customer = $2"
);
const BOOKINGS_HEAD: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE event_id IN ("
);
const RECORDINGS_HEAD: &str = "SELECT id, session_id, location, size_bytes, duration_secs, \
     format, produced_ms, deleted_ms FROM recordings WHERE session_id IN (";
const UPLOADING_HEAD: &str = "SELECT DISTINCT session_id FROM recording_uploads \
     WHERE state = 'receiving' AND session_id IN (";
const INSERT_RECORDING: &str = "INSERT INTO recordings (session_id, location, size_bytes, \
     duration_secs, format, produced_ms) VALUES ($1, $2, $3, $4, $5, $6)";
const DELETE_HEAD: &str = "UPDATE recordings SET deleted_ms = $1 WHERE deleted_ms IS NULL \
     AND session_id IN (SELECT s.id FROM sessions s JOIN bookings b ON b.event_id = s.event_id \
     WHERE s.customer = $2 AND b.host_user_id = $3 AND s.temp_conference_id IN (";
const DELETE_TAIL: &str = ")) RETURNING id, session_id, location, size_bytes, duration_secs, \
     format, produced_ms, deleted_ms";

macro_rules! upload_columns {
    () => {
        "upload_id, customer, session_id, temp_conference_id, total_bytes, received_bytes, format, duration_secs, \
         state, created_ms, updated_ms"
    };
}
const INSERT_UPLOAD: &str = "INSERT INTO recording_uploads (upload_id, customer, session_id, \
     temp_conference_id, total_bytes, received_bytes, format, duration_secs, state, created_ms, \
     updated_ms) VALUES ($1, $2, $3, $8, $4, 0, $5, $6, 'receiving', $7, $7) \
     ON CONFLICT (upload_id) DO NOTHING";
const UPLOAD: &str = concat!(
    "SELECT ",
    upload_columns!(),
    " FROM recording_uploads WHERE upload_id = $1"
);
const ADVANCE_UPLOAD: &str = "UPDATE recording_uploads SET received_bytes = received_bytes + $3, \
     updated_ms = $4 WHERE upload_id = $1 AND received_bytes = $2 AND state = 'receiving' \
     AND received_bytes + $3 <= total_bytes";
const INSERT_CHUNK: &str = "INSERT INTO recording_upload_chunks (upload_id, offset_bytes, \
     len_bytes) VALUES ($1, $2, $3)";
const CHUNKS: &str = "SELECT offset_bytes FROM recording_upload_chunks WHERE upload_id = $1 \
     ORDER BY offset_bytes";
const SETTLE_UPLOAD: &str = "UPDATE recording_uploads SET state = $2, updated_ms = $3 \
     WHERE upload_id = $1 AND state = 'receiving'";
const IDLE_UPLOADS: &str = concat!(
    "SELECT ",
    upload_columns!(),
    " FROM recording_uploads WHERE state = 'receiving' AND updated_ms <= $1 \
     ORDER BY updated_ms LIMIT $2"
);

/// `$first, $first+1, …`: `n` placeholders for an `IN (…)` list after `first - 1` others.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ids per `IN (…)` list.
const PER_STATEMENT: usize = 500;

#[derive(Debug, sqlx::FromRow)]
struct RecordingRow {
    id: i64,
    session_id: i64,
    location: String,
    size_bytes: i64,
    duration_secs: i64,
    format: String,
    produced_ms: i64,
    deleted_ms: Option<i64>,
}

impl From<RecordingRow> for RecordingFile {
    fn from(r: RecordingRow) -> Self {
        RecordingFile {
            id: r.id,
            session_id: r.session_id,
            recording: Recording {
                location: r.location,
                size_bytes: r.size_bytes,
                duration_secs: r.duration_secs,
                format: r.format,
            },
            produced_ms: r.produced_ms,
            deleted_ms: r.deleted_ms,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
struct UploadRow {
    upload_id: String,
    customer: i64,
    session_id: i64,
    temp_conference_id: String,
    total_bytes: i64,
    received_bytes: i64,
    format: String,
    duration_secs: i64,
    state: String,
    created_ms: i64,
    updated_ms: i64,
}

impl UploadRow {
    fn into_upload(self, chunks: Vec<i64>) -> StoreResult<Upload> {
        Ok(Upload {
            state: UploadState::parse(&self.state)
                .ok_or_else(|| corrupt(format!("upload state {:?}", self.state)))?,
            upload_id: self.upload_id,
            customer: self.customer,
            session_id: self.session_id,
            temp_conference_id: self.temp_conference_id,
            total_bytes: self.total_bytes,
            received_bytes: self.received_bytes,
            chunks,
            format: self.format,
            duration_secs: self.duration_secs,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
        })
    }
}

/// Records a recording produced by a fact, inside the fact's transaction.
pub async fn insert_recording(
    conn: &mut Conn,
    session_id: i64,
    r: &Recording,
    at_ms: i64,
) -> Result<(), TxError> {
    sqlx::query(INSERT_RECORDING)
        .bind(session_id)
        .bind(&r.location)
        .bind(r.size_bytes)
        .bind(r.duration_secs)
        .bind(&r.format)
        .bind(at_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl SqlStore {
    /// The bookings and recordings of these sessions, in the sessions' order.
    async fn held(&self, rows: Vec<SessionRow>) -> StoreResult<Vec<HeldSession>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut event_ids: Vec<i64> = rows.iter().map(|s| s.event_id).collect();
        event_ids.sort_unstable();
        event_ids.dedup();
        let mut bookings: HashMap<i64, Booking> = HashMap::new();
        for chunk in event_ids.chunks(PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(BOOKINGS_HEAD);
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            let found: Vec<BookingRow> = qb
                .build_query_as()
                .fetch_all(&self.reader)
                .await
                .map_err(db_error)?;
            for b in found {
                let b = Booking::try_from(b)?;
                bookings.insert(b.event_id, b);
            }
        }
        let mut recordings: HashMap<i64, Vec<RecordingFile>> = HashMap::new();
        let session_ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
        for chunk in session_ids.chunks(PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(RECORDINGS_HEAD);
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") ORDER BY id");
            let found: Vec<RecordingRow> = qb
                .build_query_as()
                .fetch_all(&self.reader)
                .await
                .map_err(db_error)?;
            for r in found {
                recordings
                    .entry(r.session_id)
                    .or_default()
                    .push(RecordingFile::from(r));
            }
        }
        let mut uploading = std::collections::HashSet::new();
        for chunk in session_ids.chunks(PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(UPLOADING_HEAD);
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            let found: Vec<(i64,)> = qb
                .build_query_as()
                .fetch_all(&self.reader)
                .await
                .map_err(db_error)?;
            uploading.extend(found.into_iter().map(|(id,)| id));
        }
        rows.into_iter()
            .map(|row| {
                let booking = bookings
                    .get(&row.event_id)
                    .cloned()
                    .ok_or_else(|| corrupt(format!("session {} has no booking", row.id)))?;
                Ok(HeldSession {
                    booking,
                    uploading: uploading.contains(&row.id),
                    recordings: recordings.remove(&row.id).unwrap_or_default(),
                    session: row.state()?,
                })
            })
            .collect()
    }

    async fn chunks(&self, upload_id: &str) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(CHUNKS)
            .bind(upload_id)
            .fetch_all(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|(o,)| o).collect())
    }
}

#[async_trait]
impl RecordingStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn fact_stamp(&self, session_id: i64) -> StoreResult<(i64, i64)> {
        sqlx::query_as(FACT_STAMP)
            .bind(session_id)
            .fetch_one(&self.reader)
            .await
            .map_err(db_error)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn link_key(&self, fresh: &[u8]) -> StoreResult<Vec<u8>> {
        if let Some((key,)) = sqlx::query_as::<_, (Vec<u8>,)>(KEY)
            .bind(LINK_KEY_NAME)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?
        {
            return Ok(key);
        }
        sqlx::query(INSERT_KEY)
            .bind(LINK_KEY_NAME)
            .bind(fresh)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        let (key,): (Vec<u8>,) = sqlx::query_as(KEY)
            .bind(LINK_KEY_NAME)
            .fetch_one(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(key)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(customer, hosts = hosts.len()))]
    async fn ended_sessions(
        &self,
        customer: CustomerKey,
        hosts: &[UserId],
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<HeldSession>> {
        if hosts.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{ENDED_HEAD}{})) ORDER BY opened_ms DESC, id DESC",
            placeholders(4, hosts.len())
        );
        let mut q = sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(sql))
            .bind(customer)
            .bind(from_ms)
            .bind(to_ms);
        for h in hosts {
            q = q.bind(h.get());
        }
        let rows = q.fetch_all(&self.reader).await.map_err(db_error)?;
        self.held(rows).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn held_session(
        &self,
        customer: Option<CustomerKey>,
        temp_conference_id: &str,
    ) -> StoreResult<Option<HeldSession>> {
        let query = match customer {
            None => sqlx::query_as::<_, SessionRow>(BY_TEMP).bind(temp_conference_id),
            Some(c) => sqlx::query_as::<_, SessionRow>(BY_TEMP_OF_CUSTOMER)
                .bind(temp_conference_id)
                .bind(c),
        };
        let row = query.fetch_optional(&self.reader).await.map_err(db_error)?;
        Ok(self.held(row.into_iter().collect()).await?.pop())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn latest_ended_session(
        &self,
        customer: CustomerKey,
        event_id: EventId,
    ) -> StoreResult<Option<HeldSession>> {
        let rows: Vec<SessionRow> = sqlx::query_as(LATEST_ENDED)
            .bind(customer)
            .bind(event_id)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(self.held(rows).await?.pop())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(customer, ids = temp_conference_ids.len()))]
    async fn delete_recordings(
        &self,
        customer: CustomerKey,
        host: UserId,
        temp_conference_ids: &[String],
        now_ms: i64,
    ) -> StoreResult<Vec<RecordingFile>> {
        if temp_conference_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{DELETE_HEAD}{}{DELETE_TAIL}",
            placeholders(4, temp_conference_ids.len())
        );
        let mut q = sqlx::query_as::<_, RecordingRow>(sqlx::AssertSqlSafe(sql))
            .bind(now_ms)
            .bind(customer)
            .bind(host.get());
        for t in temp_conference_ids {
            q = q.bind(t.as_str());
        }
        let rows = q.fetch_all(&self.writer).await.map_err(db_error)?;
        Ok(rows.into_iter().map(RecordingFile::from).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn begin_upload(&self, new: &NewUpload) -> StoreResult<Upload> {
        sqlx::query(INSERT_UPLOAD)
            .bind(&new.upload_id)
            .bind(new.customer)
            .bind(new.session_id)
            .bind(new.total_bytes)
            .bind(&new.format)
            .bind(new.duration_secs)
            .bind(new.now_ms)
            .bind(&new.temp_conference_id)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        self.upload(&new.upload_id)
            .await?
            .ok_or_else(|| corrupt("an upload just stored is not there"))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn upload(&self, upload_id: &str) -> StoreResult<Option<Upload>> {
        let row: Option<UploadRow> = sqlx::query_as(UPLOAD)
            .bind(upload_id)
            .fetch_optional(&self.writer)
            .await
            .map_err(db_error)?;
        match row {
            None => Ok(None),
            Some(row) => {
                let chunks = self.chunks(upload_id).await?;
                row.into_upload(chunks).map(Some)
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(offset, len))]
    async fn add_chunk(
        &self,
        upload_id: &str,
        offset: i64,
        len: i64,
        now_ms: i64,
    ) -> StoreResult<Option<Upload>> {
        let mut tx = self.begin_write().await.map_err(db_error)?;
        let moved = sqlx::query(ADVANCE_UPLOAD)
            .bind(upload_id)
            .bind(offset)
            .bind(len)
            .bind(now_ms)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?
            .rows_affected();
        if moved == 0 {
            return Ok(None);
        }
        sqlx::query(INSERT_CHUNK)
            .bind(upload_id)
            .bind(offset)
            .bind(len)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        self.upload(upload_id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn settle_upload(
        &self,
        upload_id: &str,
        state: UploadState,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let moved = sqlx::query(SETTLE_UPLOAD)
            .bind(upload_id)
            .bind(state.as_str())
            .bind(now_ms)
            .execute(&self.writer)
            .await
            .map_err(db_error)?
            .rows_affected();
        Ok(moved > 0)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn idle_uploads(&self, idle_before_ms: i64, limit: i64) -> StoreResult<Vec<Upload>> {
        let rows: Vec<UploadRow> = sqlx::query_as(IDLE_UPLOADS)
            .bind(idle_before_ms)
            .bind(limit)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let chunks = self.chunks(&row.upload_id).await?;
            out.push(row.into_upload(chunks)?);
        }
        Ok(out)
    }
}
