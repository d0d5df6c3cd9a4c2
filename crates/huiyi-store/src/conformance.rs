//! The behaviour every backend must show, in the `conformance` feature only. Each test takes a
//! fresh, empty store; a backend's own tests run the whole suite with
//! [`conformance_tests!`](crate::conformance_tests):
//!
//! ```ignore
//! async fn fresh() -> Option<Fixture> { /* store, its inspector, a cleanup guard */ }
//! huiyi_store::conformance_tests!(fresh);
//! ```
//!
//! Returning `None` skips the test (e.g. no database server configured).

mod bookings;
mod delivery;
mod listings;
mod recordings;
mod registry;
mod rooms;
mod series;
mod sessions;
mod tenants;
mod tokens;

pub use bookings::*;
pub use delivery::*;
pub use listings::*;
pub use recordings::*;
pub use registry::*;
pub use rooms::*;
pub use series::*;
pub use sessions::*;
pub use tenants::*;
pub use tokens::*;

use crate::testing::Inspect;
use crate::{ImportCredential, ImportCustomer, ImportData, ImportUser, Store};
use huiyi_domain::time::Zone;
use huiyi_domain::{Customer, Details, Invitee, NewBooking, PasswordType, Settings, UserId};
use std::sync::Arc;

pub type SharedStore = Arc<dyn Store>;

/// What one test runs on.
pub struct Fixture {
    /// A fresh, empty store of the backend under test.
    pub store: SharedStore,
    /// Reads of that store's rows which the contract does not offer.
    pub rows: Arc<dyn Inspect>,
    /// Whatever must live as long as the test: a temporary directory, a database to drop.
    pub guard: Box<dyn std::any::Any + Send>,
}

/// One `#[tokio::test]` per suite function, each on a [`Fixture`] from `$fresh`.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:path) => {
        $crate::conformance_tests!(@rows $fresh;
            facts_open_a_session_and_keep_live_counts,
        );
        $crate::conformance_tests!(@store $fresh;
            import_upserts_and_is_idempotent,
            import_with_a_bad_entry_changes_nothing,
            credentials_are_found_by_hash,
            users_are_found_within_their_customer_only,
            created_booking_reads_back,
            fixed_passcodes_are_the_hosts_own_pair,
            concurrent_creates_allocate_distinct_ids,
            a_bad_booking_in_a_burst_fails_alone,
            stale_update_conflicts,
            cancel_marks_the_booking,
            overlong_booking_is_refused,
            host_bookings_overlap_the_window,
            customer_bookings_page_through_every_booking_once,
            bulk_create_stores_every_booking,
            series_round_trips_through_create_read_update,
            series_are_listed_by_any_window_their_span_overlaps,
            shortening_a_series_moves_its_span_end,
            customer_bookings_page_through_singles_and_series_once,
            a_refused_batch_stores_nothing,
            an_idle_session_is_closed_once_by_racing_closers,
            a_booking_is_read_with_the_latest_session_of_each_meeting,
            link_codes_name_their_booking_and_role,
            join_tokens_round_trip,
            concurrent_consumes_never_exceed_the_uses,
            expired_join_tokens_are_never_consumed,
            join_tokens_of_another_kind_are_never_consumed,
            bookings_enqueue_for_the_endpoints_that_want_them,
            a_refused_booking_enqueues_nothing,
            a_claim_holds_its_messages_for_its_lease,
            concurrent_claims_never_share_a_message,
            retries_wait_failures_stay_and_410_disables,
            endpoints_are_the_customers_own,
            secrets_rotate_with_an_overlap,
            recordings_are_kept_with_their_session_and_deleted_by_the_host,
            uploads_count_chunks_only_at_their_offset,
            the_fact_stamp_moves_with_every_fact_and_the_link_key_is_made_once,
            the_registry_imports_with_its_customer_all_or_nothing,
            a_room_is_held_once_and_freed_by_a_cancel,
            concurrent_bookings_of_a_room_hold_it_once,
            panel_keys_are_kept_as_hashes_per_room,
        );
    };
    (@store $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(fixture) = $fresh().await else {
                    return;
                };
                $crate::conformance::$name(fixture.store.clone()).await;
                drop(fixture);
            }
        )*
    };
    (@rows $fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(fixture) = $fresh().await else {
                    return;
                };
                $crate::conformance::$name(fixture.store.clone(), fixture.rows.clone()).await;
                drop(fixture);
            }
        )*
    };
}

pub const ACME_APP_KEY: &str = "acme-app-key-0123456789";
pub const ACME_ADMIN_KEY: &str = "acme-admin-key-0123456789";
pub const GLOBEX_APP_KEY: &str = "globex-app-key-0123456789";
pub const ALICE: i64 = 1001;
pub const BOB: i64 = 1002;
pub const CAROL: i64 = 2001;
/// 2030-01-01T00:00:00Z: a fixed instant keeps the listings tests readable.
pub const T0: i64 = 1_893_456_000;
/// When the suite's imports and credentials are made: a day before [`T0`].
pub const IMPORTED_AT: i64 = T0 - 86_400;

/// Two customers: ACME (alice, bob) and GLOBEX (carol), with one key each and an ACME admin key.
pub fn fixture() -> ImportData {
    let customer = |code: &str, name: &str, timezone: &str| ImportCustomer {
        customer_code: code.into(),
        name: name.into(),
        timezone: timezone.into(),
        advance_hours: 1,
        host_mail: true,
        mail_language: "zh-CN".into(),
    };
    let user = |user_id, code: &str, email: &str, name: &str, admin| ImportUser {
        user_id,
        customer_code: code.into(),
        email: email.into(),
        name: name.into(),
        mobile: String::new(),
        admin,
    };
    let credential = |code: &str, key: &str, admin| ImportCredential {
        customer_code: code.into(),
        key: key.into(),
        admin,
    };
    ImportData {
        customers: vec![
            customer("ACME", "Acme Corp", "Asia/Shanghai"),
            customer("GLOBEX", "Globex", "Europe/Berlin"),
        ],
        users: vec![
            user(ALICE, "ACME", "alice@acme.example", "Alice", true),
            user(BOB, "ACME", "bob@acme.example", "Bob", false),
            user(CAROL, "GLOBEX", "carol@globex.example", "Carol", false),
        ],
        credentials: vec![
            credential("ACME", ACME_APP_KEY, false),
            credential("ACME", ACME_ADMIN_KEY, true),
            credential("GLOBEX", GLOBEX_APP_KEY, false),
        ],
        ..Default::default()
    }
}

/// Imports [`fixture`] and returns (ACME, GLOBEX).
pub async fn tenants(store: &SharedStore) -> (Customer, Customer) {
    store
        .import(&fixture(), IMPORTED_AT)
        .await
        .expect("import the fixture");
    let acme = store.customer_by_code("ACME").await.unwrap().expect("ACME");
    let globex = store
        .customer_by_code("GLOBEX")
        .await
        .unwrap()
        .expect("GLOBEX");
    (acme, globex)
}

/// An import of bare users (hosts) for the customer with this code.
pub fn hosts_of(customer_code: &str, user_ids: &[i64]) -> ImportData {
    let users = user_ids
        .iter()
        .map(|&user_id| ImportUser {
            user_id,
            customer_code: customer_code.into(),
            email: format!("host{user_id}@example.com"),
            name: format!("Host {user_id}"),
            mobile: String::new(),
            admin: false,
        })
        .collect();
    ImportData {
        users,
        ..Default::default()
    }
}

pub fn uid(v: i64) -> UserId {
    UserId::new(v).expect("positive user id")
}

/// A booking with invitees and settings, so that the documents round-trip too.
pub fn new_booking(
    customer: &Customer,
    host: i64,
    start: i64,
    minutes: i64,
    pt: PasswordType,
) -> NewBooking {
    NewBooking {
        customer: customer.key,
        host: uid(host),
        title: format!("Weekly sync {start}"),
        start,
        length_minutes: minutes,
        zone: customer.zone,
        password_type: pt,
        invitees: vec![Invitee {
            user_id: Some(uid(BOB)),
            name: "Bob".into(),
            email: "bob@acme.example".into(),
            mobile: "13800000000".into(),
        }],
        details: Details {
            summary: "Quarterly numbers".into(),
            location: "Room 4".into(),
            source: "uc".into(),
            settings: Settings {
                show_info: Some(true),
                auto_video: Some(2),
                event_watchword: Some("秘密".into()),
                extra_info: Some(serde_json::json!({"k": [1, "two", {"three": null}]})),
                ..Default::default()
            },
            boxes: Vec::new(),
        },
        created_at: T0 - 86_400,
        series: None,
        notices: Vec::new(),
    }
}
