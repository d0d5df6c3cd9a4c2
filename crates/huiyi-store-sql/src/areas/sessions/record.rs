//! The transactions that record facts and close idle sessions.
//!
//! A batch is applied meeting by meeting, in a fixed order (event id, then occurrence), reading
//! each meeting's latest session with the backend's [`RowLock`]: on PostgreSQL two replicas
//! recording facts about one meeting take turns, and a fixed order keeps two batches about the
//! same meetings from deadlocking. Two replicas opening a session at once collide on the unique
//! index of open sessions; the loser retries and finds the winner's session.

use super::*;
use crate::areas::Conn;
use crate::capabilities::{Claim, RowLock};
use crate::support::{ATTEMPTS, TxError};
use huiyi_domain::session::{EndReason, Placement, newer};
use huiyi_store::{NewFact, RecordedFact};
use std::collections::{BTreeMap, HashSet};

/// Facts per multi-row insert: 7 binds each, well under SQLite's 32766.
const FACTS_PER_STATEMENT: usize = 500;

/// The meeting's latest session, locked for this transaction where the backend needs it.
async fn latest_session(
    conn: &mut Conn,
    event_id: i64,
    occurrence: i64,
) -> Result<Option<SessionRow>, TxError> {
    let sql = match CAPABILITIES.row_lock {
        RowLock::None => LATEST_SESSION,
        RowLock::ForUpdate => LATEST_SESSION_FOR_UPDATE,
    };
    Ok(sqlx::query_as::<_, SessionRow>(sql)
        .bind(event_id)
        .bind(occurrence)
        .fetch_optional(&mut *conn)
        .await?)
}

async fn open_session(conn: &mut Conn, f: &NewFact) -> Result<SessionRow, TxError> {
    Ok(sqlx::query_as::<_, SessionRow>(INSERT_SESSION)
        .bind(TempConferenceId::generate().as_str().to_owned())
        .bind(f.customer)
        .bind(f.event_id)
        .bind(f.occurrence)
        .bind(f.at_ms)
        .fetch_one(&mut *conn)
        .await?)
}

async fn save_session(conn: &mut Conn, s: &SessionRow) -> Result<(), TxError> {
    sqlx::query(SAVE_SESSION)
        .bind(s.id)
        .bind(s.closed_ms)
        .bind(s.end_reason.clone())
        .bind(s.locked)
        .bind(s.lock_ms)
        .bind(s.attendees)
        .bind(s.empty_since_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn participant(conn: &mut Conn, session: i64, id: &str) -> Result<ParticipantRow, TxError> {
    let row: Option<ParticipantRow> = sqlx::query_as(PARTICIPANT)
        .bind(session)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.unwrap_or_else(|| ParticipantRow::unknown(id)))
}

async fn save_participant(
    conn: &mut Conn,
    session: &SessionRow,
    p: &ParticipantRow,
) -> Result<(), TxError> {
    let present = session.is_open() && p.presence().present();
    sqlx::query(UPSERT_PARTICIPANT)
        .bind(session.id)
        .bind(p.participant_id.as_str())
        .bind(p.joined_ms)
        .bind(p.left_ms)
        .bind(i64::from(present))
        .bind(p.voice.as_str())
        .bind(p.voice_ms)
        .bind(p.hand_up)
        .bind(p.hand_ms)
        .bind(p.info.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Applies one fact to its session's live state. Returns whether the session row
/// changed.
async fn apply_fact(conn: &mut Conn, s: &mut SessionRow, f: &NewFact) -> Result<bool, TxError> {
    let at = f.at_ms;
    let open = s.is_open();
    let mut changed = false;
    match &f.fact {
        Fact::ParticipantJoined { participant: who } => {
            let mut p = participant(conn, s.id, &who.id).await?;
            let was = p.presence().present();
            let mut presence = p.presence();
            presence.join(at);
            p.joined_ms = presence.joined_ms;
            if newer(p.voice_ms, at) {
                p.voice = voice_name(who.voice).to_owned();
                p.voice_ms = Some(at);
            }
            p.info = participant_info(who);
            if open && !was && presence.present() {
                s.attendees += 1;
                s.empty_since_ms = None;
                changed = true;
            }
            save_participant(conn, s, &p).await?;
        }
        Fact::ParticipantLeft { participant_id } | Fact::ParticipantRemoved { participant_id } => {
            let mut p = participant(conn, s.id, participant_id).await?;
            let was = p.presence().present();
            let mut presence = p.presence();
            presence.leave(at);
            p.left_ms = presence.left_ms;
            save_participant(conn, s, &p).await?;
            let emptied = open && was && !presence.present();
            if emptied {
                s.attendees = (s.attendees - 1).max(0);
                changed = true;
            }
            // Empty now (or still, after a leave that came before its join): it has
            // been empty since the last leave that happened, which need not be the one
            // that arrived last.
            if open && s.attendees == 0 && (emptied || s.empty_since_ms.is_none()) {
                let last: Option<i64> = sqlx::query_scalar(LAST_LEAVE)
                    .bind(s.id)
                    .fetch_one(&mut *conn)
                    .await?;
                s.empty_since_ms = Some(last.unwrap_or(at).max(at).max(s.opened_ms));
                changed = true;
            }
        }
        // Someone waiting to be admitted keeps the session from closing as empty.
        Fact::ParticipantWaiting { .. } if open => {
            s.empty_since_ms = None;
            changed = true;
        }
        Fact::VoiceSwitched {
            participant_id,
            voice,
            ..
        } => {
            let mut p = participant(conn, s.id, participant_id).await?;
            if newer(p.voice_ms, at) {
                p.voice = voice_name(*voice).to_owned();
                p.voice_ms = Some(at);
                save_participant(conn, s, &p).await?;
            }
        }
        Fact::HandRaised { participant_id } | Fact::HandLowered { participant_id } => {
            let mut p = participant(conn, s.id, participant_id).await?;
            if newer(p.hand_ms, at) {
                p.hand_up = i64::from(matches!(f.fact, Fact::HandRaised { .. }));
                p.hand_ms = Some(at);
                save_participant(conn, s, &p).await?;
            }
        }
        Fact::RoomLocked | Fact::RoomUnlocked if open && newer(s.lock_ms, at) => {
            s.locked = i64::from(matches!(f.fact, Fact::RoomLocked));
            s.lock_ms = Some(at);
            changed = true;
        }
        Fact::SessionEnded { reason } if open => {
            let end = at.max(s.opened_ms);
            s.closed_ms = Some(end);
            s.end_reason = Some(
                match reason {
                    EndReason::Host => "host",
                    EndReason::Grace => "grace",
                }
                .to_owned(),
            );
            s.attendees = 0;
            s.empty_since_ms = None;
            sqlx::query(EVERYONE_LEAVES)
                .bind(s.id)
                .bind(end)
                .execute(&mut *conn)
                .await?;
            changed = true;
        }
        _ => {}
    }
    Ok(changed)
}

/// Which of these producer event ids are stored already.
async fn stored_uids(conn: &mut Conn, uids: &[&str]) -> Result<HashSet<String>, TxError> {
    let mut found = HashSet::new();
    for chunk in uids.chunks(FACTS_PER_STATEMENT) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(STORED_UIDS_HEAD);
        let mut list = qb.separated(", ");
        for uid in chunk {
            list.push_bind(uid.to_string());
        }
        qb.push(")");
        let rows: Vec<(String,)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        found.extend(rows.into_iter().map(|(u,)| u));
    }
    Ok(found)
}

async fn insert_facts(
    conn: &mut Conn,
    rows: &[FactInsert],
    recorded_ms: i64,
) -> Result<(), TxError> {
    for chunk in rows.chunks(FACTS_PER_STATEMENT) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(INSERT_FACTS_HEAD);
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.session_id)
                .push_bind(r.event_uid.clone())
                .push_bind(r.kind)
                .push_bind(r.participant_id.clone())
                .push_bind(r.at_ms)
                .push_bind(recorded_ms)
                .push_bind(r.body.clone());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records one batch inside the caller's transaction.
async fn record_batch(conn: &mut Conn, batch: &FactBatch) -> Result<FactOutcome, TxError> {
    let mut outcome = FactOutcome::default();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut fresh: Vec<&NewFact> = Vec::with_capacity(batch.facts.len());
    for f in &batch.facts {
        if seen.insert(f.event_uid.as_str()) {
            fresh.push(f);
        } else {
            outcome.duplicates += 1;
        }
    }
    let uids: Vec<&str> = fresh.iter().map(|f| f.event_uid.as_str()).collect();
    let stored = stored_uids(conn, &uids).await?;
    let before = fresh.len();
    fresh.retain(|f| !stored.contains(&f.event_uid));
    outcome.duplicates += (before - fresh.len()) as u64;

    // Meeting by meeting in a fixed order; within a meeting, in the order things
    // happened (the sort is stable, so equal times keep the batch's order).
    let mut meetings: BTreeMap<(i64, i64), Vec<&NewFact>> = BTreeMap::new();
    for f in fresh {
        meetings
            .entry((f.event_id, f.occurrence))
            .or_default()
            .push(f);
    }
    let now_secs = batch.now_ms.div_euclid(1000);
    let mut inserts: Vec<FactInsert> = Vec::new();
    for ((event_id, occurrence), mut facts) in meetings {
        facts.sort_by_key(|f| f.at_ms);
        let mut current = latest_session(conn, event_id, occurrence).await?;
        let mut dirty = false;
        let someone_waits = facts
            .iter()
            .any(|f| matches!(f.fact, Fact::ParticipantWaiting { .. }));
        for f in facts {
            let state = current.as_ref().map(SessionRow::state).transpose()?;
            match f.fact.placement(state.as_ref(), f.at_ms) {
                Placement::Open | Placement::Latest => {}
                Placement::New => {
                    if !f.meeting.may_open(now_secs) {
                        return Err(TxError::Store(StoreError::NotJoinable(format!(
                            "event {:?}: joining is closed for this meeting (it may be \
                             joined from advanceHours before its start until 12 hours \
                             after its booked end, unless cancelled)",
                            f.event_uid
                        ))));
                    }
                    if let Some(old) = current.take().filter(|_| dirty) {
                        save_session(conn, &old).await?;
                    }
                    current = Some(open_session(conn, f).await?);
                    dirty = false;
                }
                Placement::Nowhere => {
                    return Err(TxError::Store(StoreError::NoSession(format!(
                        "event {:?}: {} needs a session, and this meeting has never \
                         had one",
                        f.event_uid,
                        f.fact.kind()
                    ))));
                }
            }
            let Some(s) = current.as_mut() else {
                return Err(TxError::Store(StoreError::Database(
                    "a placed fact has no session".into(),
                )));
            };
            dirty |= apply_fact(conn, s, f).await?;
            inserts.push(FactInsert::new(
                s.id,
                Some(f.event_uid.clone()),
                f.at_ms,
                &f.fact,
            ));
            outcome.recorded.push(RecordedFact {
                session_id: s.id,
                event_id,
                occurrence,
                at_ms: f.at_ms,
                fact: f.fact.clone(),
            });
            outcome.accepted += 1;
        }
        if let Some(mut s) = current {
            // Opened by facts that brought no one in (a wait, a lock): empty from the
            // start, so the grace period applies to it too.
            if s.is_open() && s.attendees == 0 && s.empty_since_ms.is_none() && !someone_waits {
                s.empty_since_ms = Some(s.opened_ms);
                dirty = true;
            }
            if dirty {
                save_session(conn, &s).await?;
            }
            outcome.sessions.push(s.state()?);
        }
    }
    insert_facts(conn, &inserts, batch.now_ms).await?;
    Ok(outcome)
}

/// One transaction per attempt; a collision (two replicas opening a session, a replay
/// racing its original, a deadlock) throws the attempt away and starts over.
pub async fn record_alone(store: &SqlStore, batch: &FactBatch) -> StoreResult<FactOutcome> {
    for attempt in 1..=ATTEMPTS {
        let mut tx = store.begin_write().await.map_err(db_error)?;
        match record_batch(&mut tx, batch).await {
            Ok(outcome) => match tx.commit().await {
                Ok(()) => return Ok(outcome),
                Err(e) => match TxError::from(e) {
                    TxError::Collision => continue,
                    TxError::Store(e) => return Err(e),
                },
            },
            Err(TxError::Collision) => {
                tracing::debug!(attempt, "conflict while recording facts; retrying");
                tx.rollback().await.map_err(db_error)?;
            }
            Err(TxError::Store(e)) => return Err(e),
        }
    }
    Err(StoreError::Exhausted)
}

/// Many batches in one transaction, each in a savepoint of its own, so one batch's
/// failure rolls back that batch alone.
pub async fn record_together(
    store: &SqlStore,
    batches: Vec<FactBatch>,
) -> Vec<StoreResult<FactOutcome>> {
    let together = async {
        let mut tx = store.begin_write().await.map_err(db_error)?;
        let mut results = Vec::with_capacity(batches.len());
        for batch in &batches {
            let mut result = Err(StoreError::Exhausted);
            for _ in 1..=ATTEMPTS {
                let mut sp = sqlx::Acquire::begin(&mut tx).await.map_err(db_error)?;
                match record_batch(&mut sp, batch).await {
                    Ok(outcome) => {
                        sp.commit().await.map_err(db_error)?;
                        result = Ok(outcome);
                        break;
                    }
                    Err(TxError::Collision) => {
                        sp.rollback().await.map_err(db_error)?;
                    }
                    Err(TxError::Store(e)) => {
                        sp.rollback().await.map_err(db_error)?;
                        result = Err(e);
                        break;
                    }
                }
            }
            results.push(result);
        }
        tx.commit().await.map_err(db_error)?;
        Ok::<_, StoreError>(results)
    };
    match together.await {
        Ok(results) => results,
        Err(e) => batches
            .iter()
            .map(|_| Err(StoreError::Database(e.to_string())))
            .collect(),
    }
}

/// Closes idle sessions and records why, in one transaction.
pub async fn close_idle(
    store: &SqlStore,
    empty_before_ms: i64,
    now_ms: i64,
) -> StoreResult<Vec<SessionState>> {
    let sql = match CAPABILITIES.claim {
        Claim::Whole => IDLE_SESSIONS,
        Claim::SkipLocked => IDLE_SESSIONS_SKIP_LOCKED,
    };
    let mut tx = store.begin_write().await.map_err(db_error)?;
    let due: Vec<SessionRow> = sqlx::query_as(sql)
        .bind(empty_before_ms)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
    let mut closed = Vec::with_capacity(due.len());
    let mut inserts = Vec::with_capacity(due.len());
    for mut s in due {
        let done = sqlx::query(CLOSE_IDLE_SESSION)
            .bind(s.id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if done.rows_affected() == 0 {
            continue;
        }
        let end = s.empty_since_ms.unwrap_or(now_ms);
        s.closed_ms = Some(end);
        s.attendees = 0;
        let fact = Fact::SessionEnded {
            reason: EndReason::Grace,
        };
        inserts.push(FactInsert::new(s.id, None, end, &fact));
        closed.push(s.state()?);
    }
    insert_facts(&mut tx, &inserts, now_ms)
        .await
        .map_err(|e| match e {
            TxError::Store(e) => e,
            TxError::Collision => StoreError::Conflict,
        })?;
    tx.commit().await.map_err(db_error)?;
    Ok(closed)
}
