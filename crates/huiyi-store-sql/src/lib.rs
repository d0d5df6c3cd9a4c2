//! The SQL of huiyi's store, written once and compiled once per backend.
//!
//! `huiyi-store-sqlite` and `huiyi-store-postgres` both build this source tree as their library,
//! each with its own feature on (`sqlite` / `postgres`). The feature picks the `backend` module:
//! the database type, the connection setup, how a write transaction begins, the migrations
//! (which `sqlx::migrate!` finds beside each package's own manifest) and the backend's
//! [`CAPABILITIES`]. Everything else is plain Rust over one concrete database type, type-checked
//! for each backend: no macro writes the implementation, and no code is generic over sqlx's
//! database traits (whose higher-ranked executor bounds keep async functions from proving
//! `Send`).
//!
//! Each area of [`huiyi_store`] has a module of its own under `areas`, holding its statements,
//! the rows they return and its trait's implementation.

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("build this source as huiyi-store-sqlite or huiyi-store-postgres");

mod areas;
#[cfg(feature = "sqlite")]
#[path = "backend/sqlite.rs"]
mod backend;
#[cfg(feature = "postgres")]
#[path = "backend/postgres/mod.rs"]
mod backend;
pub mod capabilities;
mod combine;
mod store;
mod support;
#[cfg(feature = "testing")]
pub mod testing;

pub use backend::CAPABILITIES;
#[cfg(feature = "postgres")]
pub use backend::fanout;
#[cfg(feature = "postgres")]
pub use store::SqlStore as PgStore;
#[cfg(feature = "sqlite")]
pub use store::SqlStore as SqliteStore;
