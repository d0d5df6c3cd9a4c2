//! The rows bookings are read as. Every integer is `i64` and every flag is 0/1, so one derive
//! serves SQLite and PostgreSQL alike.

use crate::support::corrupt;
use huiyi_domain::time::Zone;
use huiyi_domain::{
    BillingCode, Booking, BookingLinks, ConferenceId, LinkCode, Passcode, PasswordType, Series,
    UserId,
};
use huiyi_store::{PasscodeOwner, StoreError};

#[derive(Debug, sqlx::FromRow)]
pub struct PasscodeOwnerRow {
    pub owner_event: Option<i64>,
    pub owner_user: Option<i64>,
}

impl TryFrom<PasscodeOwnerRow> for PasscodeOwner {
    type Error = StoreError;

    fn try_from(r: PasscodeOwnerRow) -> Result<Self, StoreError> {
        match (r.owner_event, r.owner_user) {
            (Some(event), None) => Ok(PasscodeOwner::Booking(event)),
            (None, Some(user)) => UserId::new(user)
                .map(PasscodeOwner::Host)
                .ok_or_else(|| corrupt(format!("passcode owner user {user}"))),
            other => Err(corrupt(format!("passcode owner {other:?}"))),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct BookingRow {
    pub event_id: i64,
    pub conference_id: String,
    pub billing_code: String,
    pub customer: i64,
    pub host_user_id: i64,
    pub title: String,
    pub start_at: i64,
    pub end_at: i64,
    pub length_minutes: i64,
    pub timezone: String,
    pub password_type: i64,
    pub pcode1: String,
    pub pcode2: String,
    pub host_link: String,
    pub attendee_link: String,
    pub wcall_link: String,
    pub invitees: String,
    pub details: String,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    pub modified_at: i64,
    pub version: i64,
    /// JSON of the booking's [`Series`]; NULL for a single meeting.
    pub series: Option<String>,
}

impl TryFrom<BookingRow> for Booking {
    type Error = StoreError;

    fn try_from(r: BookingRow) -> Result<Self, StoreError> {
        let id = r.event_id;
        let bad = |field: &str| corrupt(format!("booking {id}: {field}"));
        let link = |code: &str, field: &str| LinkCode::parse(code).ok_or_else(|| bad(field));
        Ok(Booking {
            event_id: id,
            conference_id: ConferenceId::parse(&r.conference_id)
                .map_err(|_| bad("conference_id"))?,
            customer: r.customer,
            host: UserId::new(r.host_user_id).ok_or_else(|| bad("host_user_id"))?,
            title: r.title,
            start: r.start_at,
            length_minutes: r.length_minutes,
            zone: Zone::parse(&r.timezone).ok_or_else(|| bad("timezone"))?,
            password_type: PasswordType::from_code(r.password_type)
                .ok_or_else(|| bad("password_type"))?,
            pcode1: Passcode::parse(&r.pcode1).map_err(|_| bad("pcode1"))?,
            pcode2: Passcode::parse(&r.pcode2).map_err(|_| bad("pcode2"))?,
            billing_code: BillingCode::parse(&r.billing_code).map_err(|_| bad("billing_code"))?,
            links: BookingLinks {
                host: link(&r.host_link, "host_link")?,
                attendee: link(&r.attendee_link, "attendee_link")?,
                wcall: link(&r.wcall_link, "wcall_link")?,
            },
            invitees: serde_json::from_str(&r.invitees)
                .map_err(|e| bad(&format!("invitees: {e}")))?,
            details: serde_json::from_str(&r.details).map_err(|e| bad(&format!("details: {e}")))?,
            cancelled_at: r.cancelled_at,
            created_at: r.created_at,
            modified_at: r.modified_at,
            version: r.version,
            series: r
                .series
                .as_deref()
                .map(serde_json::from_str::<Series>)
                .transpose()
                .map_err(|e| bad(&format!("series: {e}")))?,
            occurrence_of: None,
        })
    }
}

/// Decodes a list of rows, stopping at the first that is not valid.
pub fn bookings(rows: Vec<BookingRow>) -> Result<Vec<Booking>, StoreError> {
    rows.into_iter().map(Booking::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(series: Option<&str>) -> BookingRow {
        BookingRow {
            event_id: 7,
            conference_id: "123456789".into(),
            billing_code: "12345678".into(),
            customer: 1,
            host_user_id: 1001,
            title: "t".into(),
            start_at: 0,
            end_at: 1800,
            length_minutes: 30,
            timezone: "Asia/Shanghai".into(),
            password_type: 1,
            pcode1: "11112222".into(),
            pcode2: "33334444".into(),
            host_link: "AAAAAAAAAAA".into(),
            attendee_link: "BBBBBBBBBBB".into(),
            wcall_link: "CCCCCCCCCCC".into(),
            invitees: "[]".into(),
            details: "{}".into(),
            cancelled_at: None,
            created_at: 0,
            modified_at: 0,
            version: 1,
            series: series.map(str::to_owned),
        }
    }

    #[test]
    fn a_series_that_does_not_decode_is_a_database_error() {
        let single = Booking::try_from(row(None)).expect("a single meeting");
        assert_eq!((single.series, single.occurrence_of), (None, None));
        for bad in ["", "null", "{", r#"{"rule_from":0}"#] {
            match Booking::try_from(row(Some(bad))) {
                Err(StoreError::Database(msg)) => assert!(msg.contains("series"), "{msg}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }
}
