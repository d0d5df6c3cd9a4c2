//! Outside systems, each behind the service or worker that uses it.

pub mod files;
pub mod webhook;
