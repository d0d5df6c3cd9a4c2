//! Tenants in SQL: customers, users and credentials, and the operator's import.

use super::Conn;
use crate::store::SqlStore;
use crate::support::{corrupt, db_error, flag, is_unique_violation};
use async_trait::async_trait;
use huiyi_domain::rooms::{DialInNumber, MeetingBox, Room};
use huiyi_domain::secrets::KeyHash;
use huiyi_domain::{Credential, Customer, CustomerKey, User, UserId};
use huiyi_store::{ImportData, ImportSummary, StoreError, StoreResult, TenantStore};
use std::collections::HashMap;

macro_rules! user_columns {
    () => {
        "user_id, customer, email, name, mobile, admin"
    };
}

macro_rules! customer_columns {
    () => {
        "key, code, name, timezone, advance_hours, host_mail, mail_language"
    };
}

const CUSTOMER_COUNT: &str = "SELECT COUNT(*) FROM customers";
const CUSTOMER_BY_CODE: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers WHERE code = $1"
);
const CUSTOMER_BY_KEY: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers WHERE key = $1"
);
const CUSTOMER_KEY: &str = "SELECT key FROM customers WHERE code = $1";

const UPSERT_CUSTOMER: &str = "INSERT INTO customers (code, name, timezone, advance_hours, \
     host_mail, mail_language) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (code) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, \
     advance_hours = excluded.advance_hours, host_mail = excluded.host_mail, \
     mail_language = excluded.mail_language \
     RETURNING key";

/// Returns no row when the user id belongs to another customer: users never change tenant.
const UPSERT_USER: &str = "INSERT INTO users (user_id, customer, email, name, mobile, admin) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, name = excluded.name, \
     mobile = excluded.mobile, admin = excluded.admin \
     WHERE users.customer = excluded.customer \
     RETURNING user_id";

/// Returns no row when the key is already registered to another customer.
const UPSERT_CREDENTIAL: &str = "INSERT INTO credentials \
     (key_hash, customer, admin, created_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (key_hash) DO UPDATE SET admin = excluded.admin \
     WHERE credentials.customer = excluded.customer \
     RETURNING key_hash";

const ADD_CREDENTIAL: &str = "INSERT INTO credentials (key_hash, customer, admin, created_at) \
     SELECT $1, key, $3, $4 FROM customers WHERE code = $2";

const CREDENTIAL: &str = "SELECT cr.key_hash, cr.admin, c.key, c.code, c.name, c.timezone, \
     c.advance_hours, c.host_mail, c.mail_language FROM credentials cr JOIN customers c ON c.key = cr.customer \
     WHERE cr.key_hash = $1";

const USER: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE user_id = $1 AND customer = $2"
);
const USER_BY_EMAIL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE customer = $1 AND lower(email) = lower($2) ORDER BY user_id LIMIT 1"
);

#[derive(Debug, sqlx::FromRow)]
struct CustomerRow {
    key: i64,
    code: String,
    name: String,
    timezone: String,
    advance_hours: i64,
    host_mail: i64,
    mail_language: String,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        // Import refuses unknown zones, so a stored one parses; a database edited by hand
        // falls back to the default zone rather than failing every request.
        let zone = huiyi_domain::time::Zone::parse(&r.timezone).unwrap_or_else(|| {
            tracing::warn!(customer = %r.code, zone = %r.timezone, "unknown stored time zone; using the default");
            huiyi_domain::time::Zone::default()
        });
        Customer {
            key: r.key,
            code: r.code,
            name: r.name,
            zone,
            advance_hours: r.advance_hours,
            host_mail: r.host_mail != 0,
            english: r.mail_language == "en",
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
struct CredentialRow {
    key_hash: String,
    admin: i64,
    #[sqlx(flatten)]
    customer: CustomerRow,
}

impl From<CredentialRow> for Credential {
    fn from(r: CredentialRow) -> Self {
        Credential {
            customer: r.customer.into(),
            admin: r.admin != 0,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
struct UserRow {
    user_id: i64,
    customer: i64,
    email: String,
    name: String,
    mobile: String,
    admin: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            user_id: UserId::new(r.user_id)
                .ok_or_else(|| corrupt(format!("user_id {}", r.user_id)))?,
            customer: r.customer,
            email: r.email,
            name: r.name,
            mobile: r.mobile,
            admin: r.admin != 0,
        })
    }
}

/// `users[3] (4307081): customerCode "X" does not exist`.
pub(super) fn unknown_customer(entry: &str, code: &str) -> StoreError {
    StoreError::Invalid(format!("{entry}: customerCode {code:?} does not exist"))
}

/// The key of the customer an import entry names; an unknown code is refused, naming the entry.
pub(super) async fn customer_named(
    conn: &mut Conn,
    known: &mut HashMap<String, i64>,
    code: &str,
    entry: &str,
) -> StoreResult<i64> {
    customer_key(conn, known, code)
        .await?
        .ok_or_else(|| unknown_customer(entry, code))
}

/// A customer's key by code, remembering what it has looked up.
pub(super) async fn customer_key(
    conn: &mut Conn,
    known: &mut HashMap<String, i64>,
    code: &str,
) -> StoreResult<Option<i64>> {
    if let Some(key) = known.get(code) {
        return Ok(Some(*key));
    }
    let key: Option<i64> = sqlx::query_scalar(CUSTOMER_KEY)
        .bind(code)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
    if let Some(key) = key {
        known.insert(code.to_owned(), key);
    }
    Ok(key)
}

async fn import_into(conn: &mut Conn, data: &ImportData, now: i64) -> StoreResult<ImportSummary> {
    let mut known = HashMap::new();
    for c in &data.customers {
        let key: i64 = sqlx::query_scalar(UPSERT_CUSTOMER)
            .bind(&c.customer_code)
            .bind(&c.name)
            .bind(&c.timezone)
            .bind(c.advance_hours)
            .bind(crate::support::flag(c.host_mail))
            .bind(&c.mail_language)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error)?;
        known.insert(c.customer_code.clone(), key);
    }
    for (i, u) in data.users.iter().enumerate() {
        let entry = format!("users[{i}] ({})", u.user_id);
        let customer = customer_named(conn, &mut known, &u.customer_code, &entry).await?;
        let stored: Option<i64> = sqlx::query_scalar(UPSERT_USER)
            .bind(u.user_id)
            .bind(customer)
            .bind(&u.email)
            .bind(&u.name)
            .bind(&u.mobile)
            .bind(flag(u.admin))
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
        if stored.is_none() {
            return Err(StoreError::Invalid(format!(
                "{entry}: userId already belongs to another customer"
            )));
        }
    }
    for (i, c) in data.credentials.iter().enumerate() {
        let entry = format!("credentials[{i}]");
        let customer = customer_named(conn, &mut known, &c.customer_code, &entry).await?;
        let stored: Option<String> = sqlx::query_scalar(UPSERT_CREDENTIAL)
            .bind(KeyHash::of(&c.key).as_str())
            .bind(customer)
            .bind(flag(c.admin))
            .bind(now)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error)?;
        if stored.is_none() {
            return Err(StoreError::Invalid(format!(
                "{entry}: this key is already registered to another customer"
            )));
        }
    }
    super::registry::import_registry(conn, data, &mut known).await?;
    Ok(ImportSummary {
        customers: data.customers.len() as u64,
        users: data.users.len() as u64,
        credentials: data.credentials.len() as u64,
        rooms: data.rooms.len() as u64,
        boxes: data.boxes.len() as u64,
        access_numbers: data.access_numbers.len() as u64,
    })
}

#[async_trait]
impl TenantStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all, fields(
        customers = data.customers.len(),
        users = data.users.len(),
        credentials = data.credentials.len(),
    ))]
    async fn import(&self, data: &ImportData, now: i64) -> StoreResult<ImportSummary> {
        data.validate().map_err(StoreError::Invalid)?;
        let mut tx = self.begin_write().await.map_err(db_error)?;
        // An error drops `tx`, which rolls everything back.
        let summary = import_into(&mut tx, data, now).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(summary)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn customer_count(&self) -> StoreResult<i64> {
        sqlx::query_scalar(CUSTOMER_COUNT)
            .fetch_one(&self.reader)
            .await
            .map_err(db_error)
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn customer_by_code(&self, code: &str) -> StoreResult<Option<Customer>> {
        let row: Option<CustomerRow> = sqlx::query_as(CUSTOMER_BY_CODE)
            .bind(code)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(row.map(Customer::from))
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn customer_by_key(&self, key: CustomerKey) -> StoreResult<Option<Customer>> {
        let row: Option<CustomerRow> = sqlx::query_as(CUSTOMER_BY_KEY)
            .bind(key)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(row.map(Customer::from))
    }

    #[tracing::instrument(level = "debug", skip(self, key_hash))]
    async fn add_credential(
        &self,
        customer_code: &str,
        key_hash: &str,
        admin: bool,
        now: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(ADD_CREDENTIAL)
            .bind(key_hash)
            .bind(customer_code)
            .bind(flag(admin))
            .bind(now)
            .execute(&self.writer)
            .await;
        match done {
            Ok(r) if r.rows_affected() == 0 => Err(unknown_customer("credential", customer_code)),
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Invalid("this key is already registered".into()))
            }
            Err(e) => Err(db_error(e)),
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn credential(&self, key_hash: &str) -> StoreResult<Option<Credential>> {
        let row: Option<CredentialRow> = sqlx::query_as(CREDENTIAL)
            .bind(key_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        let presented = KeyHash::from_stored(key_hash.to_owned());
        Ok(row
            .filter(|r| KeyHash::from_stored(r.key_hash.clone()).matches(&presented))
            .map(Credential::from))
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn user(&self, customer: CustomerKey, user_id: UserId) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(USER)
            .bind(user_id.get())
            .bind(customer)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(User::try_from).transpose()
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn rooms(&self, customer: CustomerKey) -> StoreResult<Vec<Room>> {
        self.registry_rooms(customer).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn boxes(&self, customer: CustomerKey) -> StoreResult<Vec<MeetingBox>> {
        self.registry_boxes(customer).await
    }

    #[tracing::instrument(level = "debug", skip(self))]
    async fn dial_in_numbers(&self, customer: CustomerKey) -> StoreResult<Vec<DialInNumber>> {
        self.registry_numbers(customer).await
    }

    #[tracing::instrument(level = "debug", skip(self, email))]
    async fn user_by_email(&self, customer: CustomerKey, email: &str) -> StoreResult<Option<User>> {
        let email = email.trim();
        if email.is_empty() {
            return Ok(None);
        }
        let row: Option<UserRow> = sqlx::query_as(USER_BY_EMAIL)
            .bind(customer)
            .bind(email)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(User::try_from).transpose()
    }
}
