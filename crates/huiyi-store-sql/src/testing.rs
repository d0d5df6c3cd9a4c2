//! Test support, in the `testing` feature only. [`Inspector`] reads rows no service needs (every
//! session of a meeting, who was in one) over a connection of its own: a test holds the store as
//! an `Arc<dyn Store>`, and the database URL is what it can share. On PostgreSQL, throw-away
//! databases too.

use crate::areas::sessions::{ParticipantRow, SessionRow, session_columns, states};
use crate::backend::Db;
use crate::support::db_error;
use async_trait::async_trait;
use huiyi_domain::session::{Participant, Voice};
use huiyi_domain::{EventId, SessionState};
use huiyi_store::StoreResult;
use huiyi_store::testing::{Inspect, ParticipantState};
use sqlx::Pool;
use sqlx::pool::PoolOptions;

#[cfg(feature = "postgres")]
pub use crate::backend::databases::*;

const SESSIONS_OF: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE event_id = $1 ORDER BY id"
);
const PARTICIPANTS: &str = "SELECT participant_id, joined_ms, left_ms, voice, voice_ms, \
     hand_up, hand_ms, info FROM session_participants WHERE session_id = $1 \
     ORDER BY joined_ms, participant_id";

#[derive(Debug)]
pub struct Inspector {
    pool: Pool<Db>,
}

impl Inspector {
    /// Connects to the database a store was opened on.
    pub async fn connect(url: &str) -> StoreResult<Inspector> {
        let pool = PoolOptions::<Db>::new()
            .max_connections(1)
            .connect(url)
            .await
            .map_err(db_error)?;
        Ok(Inspector { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Inspect for Inspector {
    async fn sessions_of(&self, event_id: EventId) -> StoreResult<Vec<SessionState>> {
        let rows: Vec<SessionRow> = sqlx::query_as(SESSIONS_OF)
            .bind(event_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        states(rows)
    }

    async fn session_participants(&self, session_id: i64) -> StoreResult<Vec<ParticipantState>> {
        let rows: Vec<ParticipantRow> = sqlx::query_as(PARTICIPANTS)
            .bind(session_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(participant_state).collect()
    }
}

fn participant_state(r: &ParticipantRow) -> StoreResult<ParticipantState> {
    let participant: Participant = serde_json::from_str(&r.info).map_err(|e| {
        huiyi_store::StoreError::Database(format!(
            "stored participant {} is not valid: {e}",
            r.participant_id
        ))
    })?;
    Ok(ParticipantState {
        participant,
        presence: r.presence(),
        voice: if r.voice == "phone" {
            Voice::Phone
        } else {
            Voice::Network
        },
        hand_up: r.hand_up != 0,
    })
}
