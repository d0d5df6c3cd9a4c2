//! The PostgreSQL store's integration tests, in one binary: the shared conformance suite, the
//! PostgreSQL-only checks beside it, and the races only concurrent writers can have. Each test
//! runs in a database of its own on the server named by `HUIYI_TEST_POSTGRES_URL`; without it
//! the tests say so and pass.

mod conformance;
mod races;
