//! The transaction that stores new bookings: plan their values, check them against the
//! database, insert, and start over with fresh values when a unique constraint fires.

use super::alloc::{self, BatchPlan};
use super::batch;
use crate::areas::Conn;
use crate::areas::delivery::enqueue;
use crate::areas::rooms;
use crate::store::SqlStore;
use crate::support::{ATTEMPTS, TxError, db_error};
use huiyi_domain::delivery::EventType;
use huiyi_domain::{Booking, NewBooking};
use huiyi_store::{StoreError, StoreResult};
use std::collections::HashMap;

/// Plans a batch, checks its values against the database and inserts it.
async fn insert_batch(conn: &mut Conn, news: &[NewBooking]) -> Result<Vec<Booking>, TxError> {
    let hosts = alloc::fixed_hosts(news);
    let stored = if hosts.is_empty() {
        HashMap::new()
    } else {
        let mut qb = batch::host_pairs_query(&hosts);
        alloc::host_pairs(qb.build_query_as().fetch_all(&mut *conn).await?)?
    };
    let mut plan = BatchPlan::new(news, stored);
    let mut check = plan.candidates();
    for round in 0.. {
        let queries = batch::taken_queries(&check);
        if queries.is_empty() {
            break;
        }
        if round == alloc::CHECK_ROUNDS {
            return Err(TxError::Store(StoreError::Exhausted));
        }
        let mut taken: Vec<(i64, String)> = Vec::new();
        for mut qb in queries {
            taken.extend(
                qb.build_query_as::<(i64, String)>()
                    .fetch_all(&mut *conn)
                    .await?,
            );
        }
        check = plan.replace_taken(taken);
    }
    let mut returned = Vec::with_capacity(news.len());
    for chunk in plan.bookings.chunks(batch::ROWS_PER_STATEMENT) {
        let mut qb = batch::insert_bookings_query(&plan, chunk)?;
        returned.extend(
            qb.build_query_as::<(i64, String)>()
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    plan.record_event_ids(returned)?;
    let passcodes = plan.passcode_rows()?;
    for chunk in passcodes.chunks(batch::ROWS_PER_STATEMENT) {
        batch::insert_passcodes_query(chunk)
            .build()
            .execute(&mut *conn)
            .await?;
    }
    let links = plan.link_rows()?;
    for chunk in links.chunks(batch::ROWS_PER_STATEMENT * 3) {
        batch::insert_links_query(chunk)
            .build()
            .execute(&mut *conn)
            .await?;
    }
    let booked = plan.bookings()?;
    for b in &booked {
        rooms::keep_holds(conn, b, true).await?;
    }
    enqueue::bookings_changed(conn, EventType::MeetingBooked, &booked).await?;
    // The plan keeps the order of `news`.
    for (b, new) in booked.iter().zip(news) {
        enqueue::notices(conn, b, &new.notices).await?;
    }
    Ok(booked)
}

/// One transaction per attempt; a collision throws the attempt away and draws anew.
pub async fn write_batch(store: &SqlStore, news: &[NewBooking]) -> StoreResult<Vec<Booking>> {
    for attempt in 1..=ATTEMPTS {
        let mut tx = store.begin_write().await.map_err(db_error)?;
        match insert_batch(&mut tx, news).await {
            Ok(booked) => {
                tx.commit().await.map_err(db_error)?;
                return Ok(booked);
            }
            Err(TxError::Collision) => {
                tracing::debug!(attempt, "id collision while storing bookings; retrying");
                tx.rollback().await.map_err(db_error)?;
            }
            Err(TxError::Store(e)) => return Err(e),
        }
    }
    Err(StoreError::Exhausted)
}

pub async fn store_one(store: &SqlStore, new: &NewBooking) -> StoreResult<Booking> {
    write_batch(store, std::slice::from_ref(new))
        .await?
        .pop()
        .ok_or_else(|| StoreError::Database("stored booking went missing".into()))
}

/// One transaction for all; if it fails for a reason of one booking (a host that does not
/// exist, say), each is stored alone so the others still succeed.
pub async fn store_together(store: &SqlStore, news: Vec<NewBooking>) -> Vec<StoreResult<Booking>> {
    match write_batch(store, &news).await {
        Ok(bookings) if bookings.len() == news.len() => bookings.into_iter().map(Ok).collect(),
        Ok(_) | Err(_) if news.len() > 1 => {
            let mut out = Vec::with_capacity(news.len());
            for n in &news {
                out.push(store_one(store, n).await);
            }
            out
        }
        Ok(_) => vec![Err(StoreError::Database(
            "stored booking went missing".into(),
        ))],
        Err(e) => vec![Err(e)],
    }
}
