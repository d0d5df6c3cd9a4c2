//! The server's integration tests, one binary (linking each file as its own binary cost
//! minutes on two cores): each module is one area, all on the harness in `common`.

mod after;
mod bad_input;
mod boxes;
mod cli;
mod common;
mod concurrency;
mod delivery_cli;
mod dialin;
mod editing;
mod joining;
mod links;
mod live;
mod mail;
mod media_cli;
mod ops;
mod pages;
mod panel;
mod replay;
mod rooms;
mod series;
mod sessions;
mod tenancy;
mod webhooks;
