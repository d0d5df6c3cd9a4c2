//! The huiyi server. `routes/` names each path and calls one service; `services/` hold the
//! use-cases; storage is behind `huiyi_store::Store`.

pub mod adapters;
pub mod admin_webhook;
pub mod app;
pub mod call;
pub mod clock;
pub mod config;
pub mod error;
pub mod media_cli;
pub mod media_upload;
pub mod metrics;
pub mod routes;
pub mod services;
pub mod store;
pub mod workers;

pub use app::{AppState, router, serve};
pub use config::Config;
