//! The transactions that record facts and close idle sessions.
//!
//! A batch is applied meeting by meeting, in a fixed order (event id, then occurrence), reading
//! each meeting's latest session with the backend's [`RowLock`]: on PostgreSQL two replicas
//! recording facts about one meeting take turns, and a fixed order keeps two batches about the
//! same meetings from deadlocking. Two replicas opening a session at once collide on the unique
//! index of open sessions; the loser retries and finds the winner's session.
//!
//! What a fact does is the domain's [`SessionFold`]: this file loads the rows it asks for and
//! saves what it changed, and decides nothing itself.

use super::*;
use crate::areas::Conn;
use crate::areas::delivery::enqueue::{self, Noted, SessionNote};
use crate::areas::recordings;
use crate::capabilities::{Claim, RowLock};
use crate::support::{ATTEMPTS, TxError};
use huiyi_domain::session::{Need, ParticipantRecord, Placement, SessionFold};
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

async fn participant(
    conn: &mut Conn,
    session: i64,
    id: &str,
) -> Result<ParticipantRecord, TxError> {
    let row: Option<ParticipantRow> = sqlx::query_as(PARTICIPANT)
        .bind(session)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => r.record()?,
        None => ParticipantRecord::new(id),
    })
}

async fn save_participant(
    conn: &mut Conn,
    session: i64,
    r: &ParticipantRecord,
    present: bool,
) -> Result<(), TxError> {
    let p = ParticipantRow::of(r);
    sqlx::query(UPSERT_PARTICIPANT)
        .bind(session)
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

/// A meeting's session within a batch: its row, the fold over it, and whether the row must be
/// saved.
struct Held {
    row: SessionRow,
    fold: SessionFold,
    dirty: bool,
    /// The session is closed, and integrators have been (or were before) told.
    ended: bool,
}

impl Held {
    /// A stored session: the fold asks for the participants' rows it needs.
    fn resume(row: SessionRow) -> Result<Self, TxError> {
        let fold = SessionFold::resume(row.tally()?);
        Ok(Held {
            ended: row.closed_ms.is_some(),
            row,
            fold,
            dirty: false,
        })
    }

    /// A session this batch opened: nobody has a row in it yet.
    fn opened(row: SessionRow) -> Result<Self, TxError> {
        let fold = SessionFold::new(row.tally()?);
        Ok(Held {
            ended: row.closed_ms.is_some(),
            row,
            fold,
            dirty: false,
        })
    }
}

/// Folds one fact into its session, loading what the fold asks for and saving what it changed.
async fn apply_fact(conn: &mut Conn, held: &mut Held, f: &NewFact) -> Result<(), TxError> {
    let session = held.row.id;
    let applied = loop {
        match held.fold.apply(&f.fact, f.at_ms) {
            Ok(applied) => break applied,
            Err(Need::Participant(id)) => {
                let r = participant(conn, session, &id).await?;
                held.fold.know(r);
            }
            Err(Need::LastLeave) => {
                let last: Option<i64> = sqlx::query_scalar(LAST_LEAVE)
                    .bind(session)
                    .fetch_one(&mut *conn)
                    .await?;
                held.fold.know_last_leave(last);
            }
        }
    };
    if let Some(end) = applied.everyone_left_at {
        sqlx::query(EVERYONE_LEAVES)
            .bind(session)
            .bind(end)
            .execute(&mut *conn)
            .await?;
    }
    if applied.participant
        && let Some(id) = f.fact.participant_id()
        && let Some(r) = held.fold.record(id)
    {
        save_participant(conn, session, r, held.fold.is_present(id)).await?;
    }
    if applied.session {
        held.row.set_tally(held.fold.tally());
        held.dirty = true;
    }
    Ok(())
}

/// What integrators are told of a fact just applied to `held`, and of its session ending.
fn note_fact(held: &mut Held, f: &NewFact, notes: &mut Vec<Noted>) -> Result<(), TxError> {
    let note = match &f.fact {
        Fact::ParticipantJoined { participant } => Some(SessionNote::Joined(participant.clone())),
        Fact::ParticipantLeft { participant_id } | Fact::ParticipantRemoved { participant_id } => {
            Some(SessionNote::Left {
                id: participant_id.clone(),
                info: held
                    .fold
                    .record(participant_id)
                    .and_then(|r| r.info.clone()),
            })
        }
        Fact::RecordingProduced { recording } => Some(SessionNote::Recording(recording.clone())),
        _ => None,
    };
    if let Some(note) = note {
        notes.push(Noted {
            session: held.row.state()?,
            at_ms: f.at_ms,
            note,
        });
    }
    note_end(held, notes)
}

/// `session.ended` once, when the session has closed.
fn note_end(held: &mut Held, notes: &mut Vec<Noted>) -> Result<(), TxError> {
    if !held.ended && held.row.closed_ms.is_some() {
        held.ended = true;
        let session = held.row.state()?;
        notes.push(Noted {
            at_ms: session.closed_ms.unwrap_or_default(),
            session,
            note: SessionNote::Ended,
        });
    }
    Ok(())
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
    let mut notes: Vec<Noted> = Vec::new();
    let customer = batch.facts.first().map(|f| f.customer);
    for ((event_id, occurrence), mut facts) in meetings {
        facts.sort_by_key(|f| f.at_ms);
        let mut current = match latest_session(conn, event_id, occurrence).await? {
            Some(row) => Some(Held::resume(row)?),
            None => None,
        };
        for f in facts {
            let state = current.as_ref().map(|h| h.row.state()).transpose()?;
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
                    if let Some(old) = current.take().filter(|h| h.dirty) {
                        save_session(conn, &old.row).await?;
                    }
                    let opened = Held::opened(open_session(conn, f).await?)?;
                    notes.push(Noted {
                        session: opened.row.state()?,
                        at_ms: f.at_ms,
                        note: SessionNote::Started,
                    });
                    current = Some(opened);
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
            let Some(held) = current.as_mut() else {
                return Err(TxError::Store(StoreError::Database(
                    "a placed fact has no session".into(),
                )));
            };
            apply_fact(conn, held, f).await?;
            if let Fact::RecordingProduced { recording } = &f.fact {
                recordings::insert_recording(conn, held.row.id, recording, f.at_ms).await?;
            }
            note_fact(held, f, &mut notes)?;
            let s = &held.row;
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
        if let Some(mut held) = current {
            if held.fold.settle() {
                held.row.set_tally(held.fold.tally());
                held.dirty = true;
            }
            note_end(&mut held, &mut notes)?;
            if held.dirty {
                save_session(conn, &held.row).await?;
            }
            outcome.sessions.push(held.row.state()?);
        }
    }
    insert_facts(conn, &inserts, batch.now_ms).await?;
    // The facts of a batch are one customer's when they come from one producer request; a
    // mixed batch is looked up meeting by meeting.
    let one_customer = customer.filter(|c| batch.facts.iter().all(|f| f.customer == *c));
    enqueue::sessions_noted(conn, one_customer, &notes, batch.now_ms).await?;
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
    let mut notes = Vec::with_capacity(due.len());
    for mut s in due {
        let mut fold = SessionFold::resume(s.tally()?);
        let Some((fact, end)) = fold.close_idle(now_ms) else {
            continue;
        };
        s.set_tally(fold.tally());
        let done = sqlx::query(CLOSE_IDLE_SESSION)
            .bind(s.id)
            .bind(s.closed_ms)
            .bind(s.end_reason.clone())
            .bind(s.attendees)
            .bind(s.empty_since_ms)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if done.rows_affected() == 0 {
            continue;
        }
        inserts.push(FactInsert::new(s.id, None, end, &fact));
        let state = s.state()?;
        notes.push(Noted {
            session: state.clone(),
            at_ms: end,
            note: SessionNote::Ended,
        });
        closed.push(state);
    }
    insert_facts(&mut tx, &inserts, now_ms)
        .await
        .map_err(TxError::into_store)?;
    enqueue::sessions_noted(&mut tx, None, &notes, now_ms)
        .await
        .map_err(TxError::into_store)?;
    tx.commit().await.map_err(db_error)?;
    Ok(closed)
}
