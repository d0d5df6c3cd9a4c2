//! Filling a fresh SQLite database straight through the store, bypassing HTTP (which would take
//! hours for a million bookings): the bench customer with its hosts and key, then bookings in
//! chunks. Shared by `scale` and `series`.

use crate::server::{CUSTOMER_CODE, HOST_USER_ID, sqlite_url};
use anyhow::{Context, Result, anyhow};
use huiyi_domain::time::Zone;
use huiyi_domain::{CustomerKey, Details, Invitee, NewBooking, PasswordType, Settings, UserId};
use huiyi_store::{
    BookingStore, ImportCredential, ImportCustomer, ImportData, ImportUser, TenantStore,
};
use huiyi_store_sqlite::SqliteStore;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Bookings per `Store::create_bookings` call.
pub const CHUNK: usize = 5_000;
/// A progress line every this many stored bookings.
const PROGRESS_EVERY: u64 = 100_000;

/// A well-mixed 64-bit hash of `i`: reproducible pseudo-random placement without a generator.
pub fn splitmix64(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The user id of host number `host` (0 is [`HOST_USER_ID`], the admin and listed host).
pub fn user_id(host: i64) -> UserId {
    UserId::new(HOST_USER_ID + host).expect("host ids are positive")
}

/// The import: customer `C1` (Asia/Shanghai), `hosts` hosts from [`HOST_USER_ID`] on, the first
/// one admin, and an admin credential with `key`.
pub fn import_data(key: &str, hosts: i64) -> ImportData {
    ImportData {
        customers: vec![ImportCustomer {
            customer_code: CUSTOMER_CODE.into(),
            name: "Bench".into(),
            timezone: "Asia/Shanghai".into(),
            advance_hours: 1,
            host_mail: true,
            mail_language: "zh-CN".into(),
        }],
        users: (0..hosts)
            .map(|h| ImportUser {
                user_id: HOST_USER_ID + h,
                customer_code: CUSTOMER_CODE.into(),
                email: format!("host{h}@bench.test"),
                name: format!("Host {h}"),
                mobile: String::new(),
                admin: h == 0,
            })
            .collect(),
        credentials: vec![ImportCredential {
            customer_code: CUSTOMER_CODE.into(),
            key: key.into(),
            admin: true,
        }],
        ..Default::default()
    }
}

pub fn store_error(what: &str) -> impl FnOnce(huiyi_store::StoreError) -> anyhow::Error + '_ {
    move |e| anyhow!("{what}: {e}")
}

/// The imported customer, as bookings need it.
#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub customer: CustomerKey,
    pub zone: Zone,
    pub hosts: i64,
    /// `created_at` of every booking.
    pub now: i64,
}

impl Fixture {
    /// The `i`-th booking, a single meeting of `host` (index from 0): notifications off, fixed
    /// passcodes, the next host and a guest invited.
    pub fn booking(&self, i: u64, host: i64, start: i64, length: i64) -> NewBooking {
        let colleague = (host + 1) % self.hosts;
        NewBooking {
            customer: self.customer,
            host: user_id(host),
            title: format!("Bench meeting {i}"),
            start,
            length_minutes: length,
            zone: self.zone,
            password_type: PasswordType::Fixed,
            invitees: vec![
                Invitee {
                    user_id: Some(user_id(colleague)),
                    name: format!("Host {colleague}"),
                    email: format!("host{colleague}@bench.test"),
                    mobile: String::new(),
                },
                Invitee {
                    user_id: None,
                    name: "Guest".into(),
                    email: "guest@bench.test".into(),
                    mobile: String::new(),
                },
            ],
            details: Details {
                source: "uc".into(),
                settings: Settings {
                    email_notify: Some(false),
                    sms_notify: Some(false),
                    ..Default::default()
                },
                ..Default::default()
            },
            created_at: self.now,
            series: None,
            notices: Vec::new(),
        }
    }
}

/// Opens `database` and imports the bench customer with `hosts` hosts and `key`.
pub async fn open(
    database: &str,
    key: &str,
    hosts: i64,
    now: i64,
) -> Result<(SqliteStore, Fixture)> {
    let store = SqliteStore::connect(database)
        .await
        .map_err(|e| anyhow!("cannot open {database}: {e}"))?;
    store
        .import(&import_data(key, hosts), now)
        .await
        .map_err(store_error("cannot import the bench customer"))?;
    let customer = store
        .customer_by_code(CUSTOMER_CODE)
        .await
        .map_err(store_error("cannot read the bench customer"))?
        .context("the imported customer is missing")?
        .key;
    let fixture = Fixture {
        customer,
        zone: Zone::default(),
        hosts,
        now,
    };
    Ok((store, fixture))
}

/// Stores `total` bookings in chunks of [`CHUNK`], with a progress line every 100,000.
pub async fn store_all(
    store: &SqliteStore,
    total: u64,
    mut booking: impl FnMut(u64) -> Result<NewBooking>,
) -> Result<()> {
    let mut batch = Vec::with_capacity(CHUNK.min(total as usize));
    let started = Instant::now();
    for i in 0..total {
        batch.push(booking(i)?);
        if batch.len() == CHUNK || i + 1 == total {
            store
                .create_bookings(&batch)
                .await
                .map_err(store_error("cannot store bookings"))?;
            batch.clear();
            if (i + 1).is_multiple_of(PROGRESS_EVERY) {
                eprintln!(
                    "huiyi-bench:   {} / {total} bookings ({:.0} s)",
                    i + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    Ok(())
}

/// An empty SQLite file `name` in `dir` (created up front so that neither the store nor the
/// server depends on the driver creating missing files), and its database URL.
pub fn fresh_database(dir: &Path, name: &str) -> Result<(PathBuf, String)> {
    let db = dir.join(name);
    std::fs::File::create(&db).with_context(|| format!("cannot create {}", db.display()))?;
    let url = sqlite_url(&db);
    Ok((db, url))
}

/// Removes a SQLite file and its journal files; what cannot be removed is left to the
/// temporary directory's own removal.
pub fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::random_key;

    #[test]
    fn the_import_is_valid() {
        let data = import_data(&random_key(), 50);
        data.validate().unwrap();
        assert_eq!(data.users.len(), 50);
        assert_eq!(data.users[0].user_id, HOST_USER_ID);
        assert!(data.users[0].admin && !data.users[1].admin);
    }

    #[test]
    fn bookings_invite_the_next_host() {
        let f = Fixture {
            customer: 1,
            zone: Zone::default(),
            hosts: 3,
            now: 1_704_038_400,
        };
        let b = f.booking(7, 2, 1_704_100_000, 45);
        assert_eq!(b.host, user_id(2));
        assert_eq!(b.invitees[0].user_id, Some(user_id(0)));
        assert_eq!((b.start, b.length_minutes), (1_704_100_000, 45));
        assert_eq!(b.title, "Bench meeting 7");
        assert!(b.series.is_none());
    }

    #[test]
    fn hashing_spreads() {
        assert_ne!(splitmix64(0), splitmix64(1));
        assert_eq!(splitmix64(42), splitmix64(42));
    }
}
