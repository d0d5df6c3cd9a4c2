//! One module per area of [`huiyi_store`], each holding its statements, the rows they return
//! and the implementation of its trait. Statements use `$n` placeholders, which SQLite and
//! PostgreSQL both understand; literals that reach a row are cast to BIGINT so PostgreSQL does
//! not hand back INT4.

pub mod bookings;
pub mod delivery;
pub mod join_tokens;
pub mod recordings;
pub mod registry;
pub mod rooms;
pub mod sessions;
pub mod tenants;

/// A connection of the backend, as a transaction dereferences to.
pub type Conn = <crate::backend::Db as sqlx::Database>::Connection;
