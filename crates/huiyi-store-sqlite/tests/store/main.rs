//! The SQLite store's integration tests, in one binary: the shared conformance suite, the
//! SQLite-only checks beside it, and the bulk-load benchmark.

mod bulk_rate;
mod conformance;
