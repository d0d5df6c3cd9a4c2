//! Sessions in SQL: statements, rows, reads, and (in [`record`]) the transactions that record
//! facts and close idle sessions.

mod record;

use super::bookings::{BookingRow, booking_columns};
use crate::backend::{CAPABILITIES, Db};
use crate::capabilities::Writers;
use crate::store::SqlStore;
use crate::support::db_error;
use async_trait::async_trait;
use huiyi_domain::session::{EndReason, Participant, ParticipantRecord, Tally, Voice};
use huiyi_domain::{
    Booking, ConferenceId, CustomerKey, EventId, Fact, Presence, SessionState, TempConferenceId,
};
use huiyi_store::{FactBatch, FactOutcome, SessionStore, StoreError, StoreResult, StoredFact};

/// The columns of [`SessionRow`].
macro_rules! session_columns {
    () => {
        "id, temp_conference_id, event_id, occurrence, opened_ms, closed_ms, end_reason, locked, \
         lock_ms, attendees, empty_since_ms"
    };
}
pub(crate) use session_columns;

macro_rules! latest_session {
    () => {
        concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE event_id = $1 AND occurrence = $2 ORDER BY id DESC LIMIT 1"
        )
    };
}
const LATEST_SESSION: &str = latest_session!();
/// For [`RowLock::ForUpdate`](crate::capabilities::RowLock::ForUpdate).
const LATEST_SESSION_FOR_UPDATE: &str = concat!(latest_session!(), " FOR UPDATE");
const INSERT_SESSION: &str = concat!(
    "INSERT INTO sessions (temp_conference_id, customer, event_id, occurrence, opened_ms, \
     locked, attendees) VALUES ($1, $2, $3, $4, $5, 0, 0) RETURNING ",
    session_columns!()
);
const SAVE_SESSION: &str = "UPDATE sessions SET closed_ms = $2, end_reason = $3, locked = $4, \
     lock_ms = $5, attendees = $6, empty_since_ms = $7 WHERE id = $1";
/// Latest session of each meeting of the bookings `$1…`; completed with the id list.
const LATEST_SESSIONS_HEAD: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions s WHERE s.id = (SELECT MAX(l.id) FROM sessions l \
     WHERE l.event_id = s.event_id AND l.occurrence = s.occurrence) AND s.event_id IN ("
);
/// Event ids per [`LATEST_SESSIONS_HEAD`] statement.
const LATEST_SESSIONS_PER_STATEMENT: usize = 500;

/// The booking with the latest session of each of its meetings: a row per session, or one row
/// with NULL session columns when it has had none. The sessions' columns are renamed (`s_…`)
/// so that none of them shadows a booking's.
const BOOKING_WITH_SESSIONS: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", s_id, s_temp_conference_id, s_event_id, s_occurrence, s_opened_ms, s_closed_ms, \
     s_end_reason, s_locked, s_lock_ms, s_attendees, s_empty_since_ms \
     FROM bookings LEFT JOIN (SELECT id AS s_id, temp_conference_id AS s_temp_conference_id, \
     event_id AS s_event_id, occurrence AS s_occurrence, opened_ms AS s_opened_ms, \
     closed_ms AS s_closed_ms, end_reason AS s_end_reason, locked AS s_locked, \
     lock_ms AS s_lock_ms, attendees AS s_attendees, empty_since_ms AS s_empty_since_ms \
     FROM sessions s WHERE s.id = (SELECT MAX(l.id) FROM sessions l \
     WHERE l.event_id = s.event_id AND l.occurrence = s.occurrence)) latest \
     ON s_event_id = event_id WHERE conference_id = $1 AND customer = $2 ORDER BY s_occurrence"
);

macro_rules! idle_sessions {
    () => {
        concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE closed_ms IS NULL AND empty_since_ms IS NOT NULL \
             AND empty_since_ms <= $1 ORDER BY id LIMIT 100"
        )
    };
}
/// Open sessions empty since `$1` or earlier, at most 100 per round.
const IDLE_SESSIONS: &str = idle_sessions!();
/// For [`Claim::SkipLocked`](crate::capabilities::Claim::SkipLocked): replicas split the work,
/// and a session a batch is writing to is left for the next round.
const IDLE_SESSIONS_SKIP_LOCKED: &str = concat!(idle_sessions!(), " FOR UPDATE SKIP LOCKED");
/// Saves a grace close unless another closer got there first.
const CLOSE_IDLE_SESSION: &str = "UPDATE sessions SET closed_ms = $2, end_reason = $3, \
     attendees = $4, empty_since_ms = $5 WHERE id = $1 AND closed_ms IS NULL";

const PARTICIPANT: &str = "SELECT participant_id, joined_ms, left_ms, voice, voice_ms, \
     hand_up, hand_ms, info FROM session_participants WHERE session_id = $1 \
     AND participant_id = $2";
const UPSERT_PARTICIPANT: &str = "INSERT INTO session_participants (session_id, \
     participant_id, joined_ms, left_ms, present, voice, voice_ms, hand_up, hand_ms, info) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (session_id, participant_id) DO UPDATE SET joined_ms = excluded.joined_ms, \
     left_ms = excluded.left_ms, present = excluded.present, voice = excluded.voice, \
     voice_ms = excluded.voice_ms, hand_up = excluded.hand_up, hand_ms = excluded.hand_ms, \
     info = excluded.info";
/// When the last person left, for a fold that asks ([`Need::LastLeave`](huiyi_domain::session::Need::LastLeave)).
const LAST_LEAVE: &str = "SELECT MAX(left_ms) FROM session_participants WHERE session_id = $1";
/// Everyone still present leaves when the session ends.
const EVERYONE_LEAVES: &str = "UPDATE session_participants SET present = 0, left_ms = $2 \
     WHERE session_id = $1 AND present = 1";

const STORED_UIDS_HEAD: &str = "SELECT event_uid FROM session_facts WHERE event_uid IN (";
const INSERT_FACTS_HEAD: &str = "INSERT INTO session_facts (session_id, event_uid, kind, \
     participant_id, at_ms, recorded_ms, body) ";
const FACTS: &str = "SELECT id, session_id, event_uid, at_ms, recorded_ms, body \
     FROM session_facts WHERE session_id = $1 ORDER BY at_ms, id";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored session row is not valid: {what}"))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub temp_conference_id: String,
    pub event_id: i64,
    pub occurrence: i64,
    pub opened_ms: i64,
    pub closed_ms: Option<i64>,
    pub end_reason: Option<String>,
    pub locked: i64,
    pub lock_ms: Option<i64>,
    pub attendees: i64,
    pub empty_since_ms: Option<i64>,
}

impl SessionRow {
    pub fn state(&self) -> Result<SessionState, StoreError> {
        Ok(SessionState {
            id: self.id,
            temp_conference_id: TempConferenceId::parse(&self.temp_conference_id)
                .map_err(|_| corrupt(format!("tempConferenceId {}", self.temp_conference_id)))?,
            event_id: self.event_id,
            occurrence: self.occurrence,
            opened_ms: self.opened_ms,
            closed_ms: self.closed_ms,
            locked: self.locked != 0,
            attendees: if self.closed_ms.is_some() {
                0
            } else {
                self.attendees
            },
        })
    }

    /// What the fold keeps of the row.
    pub fn tally(&self) -> Result<Tally, StoreError> {
        let end_reason = match self.end_reason.as_deref() {
            None => None,
            Some("host") => Some(EndReason::Host),
            Some("grace") => Some(EndReason::Grace),
            Some(other) => return Err(corrupt(format!("end_reason {other}"))),
        };
        Ok(Tally {
            opened_ms: self.opened_ms,
            closed_ms: self.closed_ms,
            end_reason,
            locked: self.locked != 0,
            lock_ms: self.lock_ms,
            attendees: self.attendees,
            empty_since_ms: self.empty_since_ms,
        })
    }

    /// Takes what the fold decided.
    pub fn set_tally(&mut self, t: &Tally) {
        self.closed_ms = t.closed_ms;
        self.end_reason = t.end_reason.map(|r| {
            match r {
                EndReason::Host => "host",
                EndReason::Grace => "grace",
            }
            .to_owned()
        });
        self.locked = i64::from(t.locked);
        self.lock_ms = t.lock_ms;
        self.attendees = t.attendees;
        self.empty_since_ms = t.empty_since_ms;
    }
}

pub fn states(rows: Vec<SessionRow>) -> Result<Vec<SessionState>, StoreError> {
    rows.iter().map(SessionRow::state).collect()
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParticipantRow {
    pub participant_id: String,
    pub joined_ms: Option<i64>,
    pub left_ms: Option<i64>,
    pub voice: String,
    pub voice_ms: Option<i64>,
    pub hand_up: i64,
    pub hand_ms: Option<i64>,
    pub info: String,
}

impl ParticipantRow {
    pub fn presence(&self) -> Presence {
        Presence {
            joined_ms: self.joined_ms,
            left_ms: self.left_ms,
        }
    }

    /// What the fold keeps of the row. Who they are is known once they have joined.
    pub fn record(&self) -> Result<ParticipantRecord, StoreError> {
        let info = match self.joined_ms {
            None => None,
            Some(_) => Some(
                serde_json::from_str(&self.info)
                    .map_err(|e| corrupt(format!("participant {}: {e}", self.participant_id)))?,
            ),
        };
        let voice = match self.voice.as_str() {
            "network" => Voice::Network,
            "phone" => Voice::Phone,
            other => return Err(corrupt(format!("voice {other}"))),
        };
        Ok(ParticipantRecord {
            id: self.participant_id.clone(),
            info,
            presence: self.presence(),
            voice,
            voice_ms: self.voice_ms,
            hand_up: self.hand_up != 0,
            hand_ms: self.hand_ms,
        })
    }

    /// The row of what the fold keeps.
    pub fn of(r: &ParticipantRecord) -> Self {
        ParticipantRow {
            participant_id: r.id.clone(),
            joined_ms: r.presence.joined_ms,
            left_ms: r.presence.left_ms,
            voice: voice_name(r.voice).to_owned(),
            voice_ms: r.voice_ms,
            hand_up: i64::from(r.hand_up),
            hand_ms: r.hand_ms,
            // Someone known only by id is stored as just that.
            info: match &r.info {
                Some(p) => participant_info(p),
                None => serde_json::json!({ "id": r.id }).to_string(),
            },
        }
    }
}

/// The stored form of who a participant is. Plain data: serialising it cannot fail.
pub fn participant_info(p: &Participant) -> String {
    serde_json::to_string(p).unwrap_or_default()
}

pub fn voice_name(v: Voice) -> &'static str {
    match v {
        Voice::Network => "network",
        Voice::Phone => "phone",
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FactRow {
    pub id: i64,
    pub session_id: i64,
    pub event_uid: Option<String>,
    pub at_ms: i64,
    pub recorded_ms: i64,
    pub body: String,
}

impl TryFrom<FactRow> for StoredFact {
    type Error = StoreError;

    fn try_from(r: FactRow) -> Result<Self, StoreError> {
        let fact: Fact =
            serde_json::from_str(&r.body).map_err(|e| corrupt(format!("fact {}: {e}", r.id)))?;
        Ok(StoredFact {
            id: r.id,
            session_id: r.session_id,
            event_uid: r.event_uid,
            at_ms: r.at_ms,
            recorded_ms: r.recorded_ms,
            fact,
        })
    }
}

/// A fact ready to insert.
#[derive(Debug, Clone)]
pub struct FactInsert {
    pub session_id: i64,
    pub event_uid: Option<String>,
    pub kind: &'static str,
    pub participant_id: Option<String>,
    pub at_ms: i64,
    pub body: String,
}

impl FactInsert {
    pub fn new(session_id: i64, event_uid: Option<String>, at_ms: i64, fact: &Fact) -> Self {
        FactInsert {
            session_id,
            event_uid,
            kind: fact.kind(),
            participant_id: fact.participant_id().map(str::to_owned),
            at_ms,
            // A Fact is plain data: serialising it cannot fail.
            body: serde_json::to_string(fact).unwrap_or_default(),
        }
    }
}

/// The session columns of a [`BOOKING_WITH_SESSIONS`] row: `None` on the one row of a booking
/// that has had no session.
#[derive(Debug)]
struct LatestSession(Option<SessionRow>);

impl<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> for LatestSession {
    fn from_row(row: &'r <Db as sqlx::Database>::Row) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let Some(id) = row.try_get::<Option<i64>, _>("s_id")? else {
            return Ok(LatestSession(None));
        };
        Ok(LatestSession(Some(SessionRow {
            id,
            temp_conference_id: row.try_get("s_temp_conference_id")?,
            event_id: row.try_get("s_event_id")?,
            occurrence: row.try_get("s_occurrence")?,
            opened_ms: row.try_get("s_opened_ms")?,
            closed_ms: row.try_get("s_closed_ms")?,
            end_reason: row.try_get("s_end_reason")?,
            locked: row.try_get("s_locked")?,
            lock_ms: row.try_get("s_lock_ms")?,
            attendees: row.try_get("s_attendees")?,
            empty_since_ms: row.try_get("s_empty_since_ms")?,
        })))
    }
}

#[derive(Debug, sqlx::FromRow)]
struct BookingSessionRow {
    #[sqlx(flatten)]
    booking: BookingRow,
    #[sqlx(flatten)]
    session: LatestSession,
}

#[async_trait]
impl SessionStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, fields(facts = batch.facts.len()))]
    async fn record_facts(&self, batch: FactBatch) -> StoreResult<FactOutcome> {
        match CAPABILITIES.writers {
            Writers::Single => {
                let store = self.clone();
                self.facts
                    .submit(batch, move |batches| {
                        let store = store.clone();
                        async move { record::record_together(&store, batches).await }
                    })
                    .await
            }
            Writers::Concurrent => record::record_alone(self, &batch).await,
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(bookings = event_ids.len()))]
    async fn latest_sessions(&self, event_ids: &[EventId]) -> StoreResult<Vec<SessionState>> {
        let mut out = Vec::new();
        for chunk in event_ids.chunks(LATEST_SESSIONS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(LATEST_SESSIONS_HEAD);
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            let rows: Vec<SessionRow> = qb
                .build_query_as()
                .fetch_all(&self.reader)
                .await
                .map_err(db_error)?;
            out.extend(states(rows)?);
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn booking_with_sessions(
        &self,
        customer: CustomerKey,
        conference_id: &ConferenceId,
    ) -> StoreResult<Option<(Booking, Vec<SessionState>)>> {
        let rows: Vec<BookingSessionRow> = sqlx::query_as(BOOKING_WITH_SESSIONS)
            .bind(conference_id.as_str())
            .bind(customer)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        let mut rows = rows.into_iter();
        let Some(first) = rows.next() else {
            return Ok(None);
        };
        let booking = Booking::try_from(first.booking)?;
        let mut sessions = Vec::new();
        for LatestSession(session) in std::iter::once(first.session).chain(rows.map(|r| r.session))
        {
            if let Some(s) = session {
                sessions.push(s.state()?);
            }
        }
        Ok(Some((booking, sessions)))
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn session_facts(&self, session_id: i64) -> StoreResult<Vec<StoredFact>> {
        let rows: Vec<FactRow> = sqlx::query_as(FACTS)
            .bind(session_id)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(StoredFact::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn close_idle_sessions(
        &self,
        empty_before_ms: i64,
        now_ms: i64,
    ) -> StoreResult<Vec<SessionState>> {
        // Most rounds find nothing due: ask a reader before taking the write lock.
        let due: Vec<SessionRow> = sqlx::query_as(IDLE_SESSIONS)
            .bind(empty_before_ms)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        record::close_idle(self, empty_before_ms, now_ms).await
    }
}
