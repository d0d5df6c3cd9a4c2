//! The vendor's wire format. Everything lenient about it lives here: bodies as JSON or form,
//! numbers as strings, stray whitespace, URL-encoded text. What leaves this crate is strict.
//! Answer shapes follow the reference's examples per endpoint, key for key and type for type.

pub mod answers;
pub mod body;
pub mod codes;
pub mod envelope;
pub mod joining;
pub mod launch;
pub mod lenient;
pub mod live;
pub mod media;
pub mod requests;
pub mod shape;

pub use codes::{Code, WireError};
pub use envelope::{Envelope, Family};
