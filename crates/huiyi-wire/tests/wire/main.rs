//! The wire crate's integration tests, one binary: answers against the reference's examples,
//! and launch strings.

mod examples;
mod golden_answers;
mod launch;
