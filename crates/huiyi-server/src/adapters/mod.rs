//! Outside systems, each behind the service or worker that uses it.

pub mod files;
pub mod mail;
pub mod webhook;
