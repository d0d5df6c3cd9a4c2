//! Multi-row statements for inserting a planned batch, completed with one bind list per row.

use super::alloc::{BatchPlan, Candidates, PasscodeInsert, PlannedBooking};
use crate::backend::Db;
use crate::support::json;
use huiyi_domain::EventId;
use huiyi_store::StoreError;
use sqlx::QueryBuilder;

const HOST_PAIRS_HEAD: &str = "SELECT owner_user, role, code FROM passcodes WHERE owner_user IN (";
const INSERT_BOOKINGS_HEAD: &str = "INSERT INTO bookings (conference_id, billing_code, \
     customer, host_user_id, title, start_at, end_at, length_minutes, timezone, password_type, \
     pcode1, pcode2, host_link, attendee_link, wcall_link, invitees, details, series, span_end, \
     span_start, created_at, modified_at, version) ";
const INSERT_BOOKINGS_TAIL: &str = " RETURNING event_id, conference_id";
const INSERT_PASSCODES_HEAD: &str =
    "INSERT INTO passcodes (code, customer, owner_event, owner_user, role) ";
const INSERT_LINKS_HEAD: &str = "INSERT INTO links (code, event_id, role) ";

/// Bookings per multi-row statement: 22 binds each keeps one statement far below SQLite's
/// 32766 and PostgreSQL's 65535 bind limits, with the other statements of a batch scaled alike.
pub const ROWS_PER_STATEMENT: usize = 500;

/// The stored pairs of these hosts, as `(owner_user, role, code)` rows.
pub fn host_pairs_query(hosts: &[i64]) -> QueryBuilder<Db> {
    let mut qb = QueryBuilder::new(HOST_PAIRS_HEAD);
    let mut list = qb.separated(", ");
    for host in hosts {
        list.push_bind(*host);
    }
    list.push_unseparated(")");
    qb
}

/// Binds per lookup statement of [`taken_queries`].
const BINDS_PER_CHECK: usize = 10_000;

/// Statements that together return the candidates already taken, as `(kind, value)` rows.
/// Small checks (a single booking) are one statement.
pub fn taken_queries(candidates: &Candidates) -> Vec<QueryBuilder<Db>> {
    let mut queries = Vec::new();
    let mut current: Option<(QueryBuilder<Db>, usize)> = None;
    for (kind, table, column, values) in candidates.branches() {
        for part in values.chunks(BINDS_PER_CHECK) {
            let (qb, binds) = match &mut current {
                Some((qb, binds)) if *binds + part.len() <= BINDS_PER_CHECK => {
                    qb.push(" UNION ALL ");
                    (qb, binds)
                }
                _ => {
                    queries.extend(current.take().map(|(qb, _)| qb));
                    let (qb, binds) = current.insert((QueryBuilder::new(""), 0));
                    (qb, binds)
                }
            };
            *binds += part.len();
            qb.push(format_args!(
                "SELECT CAST({kind} AS BIGINT), {column} FROM {table} WHERE {column} IN ("
            ));
            let mut list = qb.separated(", ");
            for v in part {
                list.push_bind(v.as_str());
            }
            list.push_unseparated(")");
        }
    }
    queries.extend(current.map(|(qb, _)| qb));
    queries
}

/// What a booking row holds beyond the plain fields of its `NewBooking`.
struct Documents {
    invitees: String,
    details: String,
    series: Option<String>,
    /// `(span_start, span_end)`.
    span: (i64, i64),
}

/// Inserts these bookings of the plan, returning `(event_id, conference_id)` rows.
pub fn insert_bookings_query(
    plan: &BatchPlan<'_>,
    chunk: &[PlannedBooking<'_>],
) -> Result<QueryBuilder<Db>, StoreError> {
    let documents = chunk
        .iter()
        .map(|b| {
            Ok(Documents {
                invitees: json(&b.new.invitees)?,
                details: json(&b.new.details)?,
                series: b.new.series.as_ref().map(json).transpose()?,
                span: plan.span(b),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut qb = QueryBuilder::new(INSERT_BOOKINGS_HEAD);
    qb.push_values(chunk.iter().zip(&documents), |mut row, (b, d)| {
        let n = b.new;
        let (pcode1, pcode2) = plan.pcodes(b);
        row.push_bind(b.conference_id.as_str())
            .push_bind(b.billing_code.as_str())
            .push_bind(n.customer)
            .push_bind(n.host.get())
            .push_bind(n.title.as_str())
            .push_bind(n.start)
            .push_bind(n.start + n.length_minutes * 60)
            .push_bind(n.length_minutes)
            .push_bind(n.zone.name())
            .push_bind(n.password_type.code())
            .push_bind(pcode1.as_str())
            .push_bind(pcode2.as_str())
            .push_bind(b.links.host.as_str())
            .push_bind(b.links.attendee.as_str())
            .push_bind(b.links.wcall.as_str())
            .push_bind(d.invitees.as_str())
            .push_bind(d.details.as_str())
            .push_bind(d.series.as_deref())
            .push_bind(d.span.1)
            .push_bind(d.span.0)
            .push_bind(n.created_at)
            .push_bind(n.created_at)
            .push_bind(1_i64);
    });
    qb.push(INSERT_BOOKINGS_TAIL);
    Ok(qb)
}

pub fn insert_passcodes_query(rows: &[PasscodeInsert<'_>]) -> QueryBuilder<Db> {
    let mut qb = QueryBuilder::new(INSERT_PASSCODES_HEAD);
    qb.push_values(rows, |mut row, p| {
        row.push_bind(p.code)
            .push_bind(p.customer)
            .push_bind(p.owner_event)
            .push_bind(p.owner_user)
            .push_bind(p.role);
    });
    qb
}

pub fn insert_links_query(rows: &[(&str, EventId, &'static str)]) -> QueryBuilder<Db> {
    let mut qb = QueryBuilder::new(INSERT_LINKS_HEAD);
    qb.push_values(rows, |mut row, (code, event, role)| {
        row.push_bind(*code).push_bind(*event).push_bind(*role);
    });
    qb
}
