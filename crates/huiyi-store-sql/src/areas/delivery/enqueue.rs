//! Enqueueing, inside the transaction of the change that causes the messages: the bookings
//! and sessions areas call these before they commit, so a change that rolls back sends
//! nothing and one that commits cannot lose its messages.
//!
//! What a message says is the domain's (`huiyi_domain::delivery::Event`); this module finds
//! who is to receive it (the customer's live endpoints that want its type, and for a recording
//! the booking's `recordCallbackUrl`) and inserts one outbox row per receiver.

use crate::areas::Conn;
use crate::areas::bookings::{BookingRow, booking_columns};
use crate::backend::Db;
use crate::support::TxError;
use huiyi_domain::delivery::{
    Event, EventFilter, EventType, INVITE_BATCH, INVITE_CANCEL, INVITE_REQUEST, INVITE_SMS,
    MAIL_SCHEME, MeetingRef, NOTICES_SCHEME, Notice, NoticeBatch, NoticeBody, RecordingLinks,
    SMS_SCHEME, SMS_SECRET_NAME, new_message_id, new_signing_secret,
};
use huiyi_domain::session::{Participant, Recording};
use huiyi_domain::{Booking, CustomerKey, EventId, SessionState};
use std::collections::BTreeMap;

/// The customer's code, with its endpoints that are neither disabled nor removed.
const AUDIENCE: &str = "SELECT c.code, e.id, e.url, e.events FROM customers c \
     LEFT JOIN webhook_endpoints e ON e.customer = c.key AND e.disabled_at IS NULL \
     AND e.removed_at IS NULL WHERE c.key = $1 ORDER BY e.id";

const INSERT_MESSAGES_HEAD: &str = "INSERT INTO outbox (msg_id, customer, endpoint, url, kind, \
     body, state, attempts, created_at, next_at, lease_until) ";

const ENSURE_CALLBACK_SECRET: &str = "INSERT INTO callback_secrets (customer, secret) \
     VALUES ($1, $2) ON CONFLICT (customer) DO NOTHING";

const BOOKING_BY_EVENT_ID: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE event_id = $1"
);

/// Rows per multi-row insert: 11 columns each.
const MESSAGES_PER_STATEMENT: usize = 500;

/// `(customer code, endpoint id, url, events)`; the endpoint columns are NULL when it has none.
type AudienceRow = (String, Option<i64>, Option<String>, Option<String>);

/// Who receives a customer's events.
struct Audience {
    code: String,
    endpoints: Vec<(i64, String, EventFilter)>,
}

impl Audience {
    fn wants(&self, kind: EventType) -> bool {
        self.endpoints.iter().any(|(_, _, f)| f.wants(kind))
    }
}

async fn audience(conn: &mut Conn, customer: CustomerKey) -> Result<Option<Audience>, TxError> {
    let rows: Vec<AudienceRow> = sqlx::query_as(AUDIENCE)
        .bind(customer)
        .fetch_all(&mut *conn)
        .await?;
    let Some(code) = rows.first().map(|r| r.0.clone()) else {
        return Ok(None);
    };
    let mut endpoints = Vec::new();
    for (_, id, url, events) in rows {
        if let (Some(id), Some(url), Some(events)) = (id, url, events) {
            let filter = EventFilter::from_stored(&events).map_err(|e| {
                TxError::Store(crate::support::corrupt(format!("endpoint {id}: {e}")))
            })?;
            endpoints.push((id, url, filter));
        }
    }
    Ok(Some(Audience { code, endpoints }))
}

/// One outbox row to insert.
struct Row<'a> {
    endpoint: Option<i64>,
    url: &'a str,
    kind: &'static str,
    body: String,
}

async fn insert(
    conn: &mut Conn,
    customer: CustomerKey,
    rows: &[Row<'_>],
    now_ms: i64,
) -> Result<(), TxError> {
    for chunk in rows.chunks(MESSAGES_PER_STATEMENT) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(INSERT_MESSAGES_HEAD);
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(new_message_id())
                .push_bind(customer)
                .push_bind(r.endpoint)
                .push_bind(r.url)
                .push_bind(r.kind)
                .push_bind(r.body.as_str())
                .push_bind("pending")
                .push_bind(0_i64)
                .push_bind(now_ms)
                .push_bind(now_ms)
                .push_bind(0_i64);
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Enqueues `events` of one customer for every endpoint that wants them, and each
/// `recording.ready` also for `callback` (the booking's `recordCallbackUrl`, when set).
async fn enqueue(
    conn: &mut Conn,
    customer: CustomerKey,
    audience: &Audience,
    events: &[Event],
    callback: Option<&str>,
    now_ms: i64,
) -> Result<(), TxError> {
    let mut rows = Vec::new();
    for e in events {
        let mut body = None;
        for (id, url, filter) in &audience.endpoints {
            if filter.wants(e.kind) {
                rows.push(Row {
                    endpoint: Some(*id),
                    url,
                    kind: e.kind.as_str(),
                    body: body.get_or_insert_with(|| e.body()).clone(),
                });
            }
        }
        if e.kind == EventType::RecordingReady
            && let Some(url) = callback
        {
            rows.push(Row {
                endpoint: None,
                url,
                kind: e.kind.as_str(),
                body: body.unwrap_or_else(|| e.body()),
            });
            sqlx::query(ENSURE_CALLBACK_SECRET)
                .bind(customer)
                .bind(new_signing_secret())
                .execute(&mut *conn)
                .await?;
        }
    }
    insert(conn, customer, &rows, now_ms).await
}

fn meeting_ref(code: &str, b: &Booking) -> MeetingRef {
    MeetingRef {
        customer_code: code.to_owned(),
        conference_id: b.conference_id.as_str().to_owned(),
        event_id: b.event_id,
    }
}

/// `meeting.booked`, `meeting.updated` or `meeting.cancelled` for each of these bookings, as
/// of their `modified_at`.
pub async fn bookings_changed(
    conn: &mut Conn,
    kind: EventType,
    bookings: &[Booking],
) -> Result<(), TxError> {
    let mut by_customer: BTreeMap<CustomerKey, Vec<&Booking>> = BTreeMap::new();
    for b in bookings {
        by_customer.entry(b.customer).or_default().push(b);
    }
    for (customer, bookings) in by_customer {
        let Some(audience) = audience(conn, customer).await? else {
            continue;
        };
        if !audience.wants(kind) {
            continue;
        }
        let events: Vec<Event> = bookings
            .iter()
            .map(|b| {
                Event::meeting(
                    kind,
                    &meeting_ref(&audience.code, b),
                    b,
                    b.modified_at * 1000,
                )
            })
            .collect();
        let now_ms = events.iter().map(|e| e.at_ms).max().unwrap_or_default();
        enqueue(conn, customer, &audience, &events, None, now_ms).await?;
    }
    Ok(())
}

/// Something that happened to a session that integrators are told of.
#[derive(Debug, Clone)]
pub enum SessionNote {
    Started,
    Ended,
    Joined(Participant),
    Left {
        id: String,
        info: Option<Participant>,
    },
    Recording(Recording),
}

/// A note with its session as it was right after, and when it happened (unix ms).
#[derive(Debug, Clone)]
pub struct Noted {
    pub session: SessionState,
    pub at_ms: i64,
    pub note: SessionNote,
}

impl Noted {
    fn kind(&self) -> EventType {
        match self.note {
            SessionNote::Started => EventType::SessionStarted,
            SessionNote::Ended => EventType::SessionEnded,
            SessionNote::Joined(_) => EventType::ParticipantJoined,
            SessionNote::Left { .. } => EventType::ParticipantLeft,
            SessionNote::Recording(_) => EventType::RecordingReady,
        }
    }

    /// The types of the events this note makes: an end also makes the report ready.
    fn kinds(&self) -> &'static [EventType] {
        match self.note {
            SessionNote::Started => &[EventType::SessionStarted],
            SessionNote::Ended => &[EventType::SessionEnded, EventType::ReportReady],
            SessionNote::Joined(_) => &[EventType::ParticipantJoined],
            SessionNote::Left { .. } => &[EventType::ParticipantLeft],
            SessionNote::Recording(_) => &[EventType::RecordingReady],
        }
    }

    /// The events of this note. Links to what huiyi serves (replay, file, report) carry an
    /// expiry, so they are left empty here and made by the delivery worker when it sends.
    fn events(&self, m: &MeetingRef, b: &Booking) -> Vec<Event> {
        let (s, at) = (&self.session, self.at_ms);
        match &self.note {
            SessionNote::Started => vec![Event::session(self.kind(), m, s, at)],
            SessionNote::Ended => vec![
                Event::session(self.kind(), m, s, at),
                Event::report_ready(m, &s_title(b, s), s, "", at),
            ],
            SessionNote::Joined(p) => {
                vec![Event::participant(self.kind(), m, s, &p.id, Some(p), at)]
            }
            SessionNote::Left { id, info } => {
                vec![Event::participant(self.kind(), m, s, id, info.as_ref(), at)]
            }
            SessionNote::Recording(r) => vec![Event::recording_ready(
                m,
                &s_title(b, s),
                s,
                r,
                &RecordingLinks::default(),
                at,
            )],
        }
    }
}

/// The title of the meeting a session ran: an occurrence of a series may have its own.
fn s_title(b: &Booking, s: &SessionState) -> String {
    match b.occurrence(s.occurrence) {
        Some(o) if b.series.is_some() => o.title,
        _ => b.title.clone(),
    }
}

/// Enqueues the events of these session notes. `customer` is the meetings' customer when the
/// caller knows it (a customer with no endpoint then costs one read and no booking read).
pub async fn sessions_noted(
    conn: &mut Conn,
    customer: Option<CustomerKey>,
    notes: &[Noted],
    now_ms: i64,
) -> Result<(), TxError> {
    if notes.is_empty() {
        return Ok(());
    }
    let known = match customer {
        Some(c) => audience(conn, c).await?.map(|a| (c, a)),
        None => None,
    };
    if let Some((_, a)) = &known {
        let recording = notes.iter().any(|n| n.kind() == EventType::RecordingReady);
        if !recording && !notes.iter().any(|n| n.kinds().iter().any(|k| a.wants(*k))) {
            return Ok(());
        }
    }
    let mut by_meeting: BTreeMap<EventId, Vec<&Noted>> = BTreeMap::new();
    for n in notes {
        by_meeting.entry(n.session.event_id).or_default().push(n);
    }
    for (event_id, notes) in by_meeting {
        let row: Option<BookingRow> = sqlx::query_as(BOOKING_BY_EVENT_ID)
            .bind(event_id)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(booking) = row.map(Booking::try_from).transpose()? else {
            continue;
        };
        let fetched;
        let audience = match &known {
            Some((c, a)) if *c == booking.customer => a,
            _ => match audience(conn, booking.customer).await? {
                Some(a) => {
                    fetched = a;
                    &fetched
                }
                None => continue,
            },
        };
        let m = meeting_ref(&audience.code, &booking);
        let events: Vec<Event> = notes.iter().flat_map(|n| n.events(&m, &booking)).collect();
        let callback = booking
            .details
            .settings
            .record_callback_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        enqueue(conn, booking.customer, audience, &events, callback, now_ms).await?;
    }
    Ok(())
}

/// The SMS gateway's signing secret, made with the first text (`huiyi admin sms secret`).
const ENSURE_SMS_SECRET: &str =
    "INSERT INTO server_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";

/// Enqueues the notices of a change of `b` (just written, so its `version` is the calendar's
/// SEQUENCE) as one row, in the change's transaction: a booking with 1,000 invitees writes one
/// small row, not 1,000. The delivery worker expands it ([`expand`]).
pub async fn notices(conn: &mut Conn, b: &Booking, notices: &[Notice]) -> Result<(), TxError> {
    if notices.is_empty() {
        return Ok(());
    }
    let batch = NoticeBatch {
        event_id: b.event_id,
        sequence: b.version,
        notices: notices.to_vec(),
    };
    if notices.iter().any(|n| n.sms) {
        sqlx::query(ENSURE_SMS_SECRET)
            .bind(SMS_SECRET_NAME)
            .bind(new_signing_secret().into_bytes())
            .execute(&mut *conn)
            .await?;
    }
    let url = format!("{NOTICES_SCHEME}{}", b.event_id);
    let row = Row {
        endpoint: None,
        url: &url,
        kind: INVITE_BATCH,
        body: crate::support::json(&batch)?,
    };
    insert(
        conn,
        b.customer,
        std::slice::from_ref(&row),
        b.modified_at * 1000,
    )
    .await
}

/// One message per recipient of a batch of notices, due at `now_ms`.
pub async fn expand(
    conn: &mut Conn,
    customer: CustomerKey,
    batch: &NoticeBatch,
    now_ms: i64,
) -> Result<usize, TxError> {
    let mut urls = Vec::with_capacity(batch.notices.len());
    let mut bodies = Vec::with_capacity(batch.notices.len());
    for n in &batch.notices {
        let (kind, url) = match (n.sms, n.change.is_cancel()) {
            (true, _) => (INVITE_SMS, format!("{SMS_SCHEME}{}", n.to)),
            (false, true) => (INVITE_CANCEL, format!("{MAIL_SCHEME}{}", n.to)),
            (false, false) => (INVITE_REQUEST, format!("{MAIL_SCHEME}{}", n.to)),
        };
        let body = NoticeBody {
            event_id: batch.event_id,
            sequence: batch.sequence,
            notice: n.clone(),
        };
        urls.push((kind, url));
        bodies.push(crate::support::json(&body)?);
    }
    let rows: Vec<Row> = urls
        .iter()
        .zip(bodies)
        .map(|((kind, url), body)| Row {
            endpoint: None,
            url,
            kind,
            body,
        })
        .collect();
    insert(conn, customer, &rows, now_ms).await?;
    Ok(rows.len())
}
