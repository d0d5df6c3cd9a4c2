//! `huiyi admin webhook …`: register and remove a customer's endpoints, rotate their secrets,
//! read the delivery log, ask for a message again, and show or rotate the customer's secret
//! for booking recording callbacks (`recordCallbackUrl`).

use crate::adapters::webhook::parse_target;
use crate::config::DatabaseArg;
use crate::store;
use clap::Subcommand;
use huiyi_domain::delivery::{EventFilter, new_signing_secret, rfc3339_ms};
use huiyi_domain::{Customer, time::now_unix};
use huiyi_store::{NewEndpoint, Store, StoreError, Target};
use std::process::ExitCode;
use std::sync::Arc;

/// How long a rotated-out secret still signs, so receivers can switch over.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register an endpoint; prints its id and its signing secret, once.
    Add {
        #[arg(long)]
        customer: String,
        /// Where events are POSTed (http or https).
        #[arg(long)]
        url: String,
        /// Event types to send, comma-separated [default: all].
        #[arg(long, default_value = "")]
        events: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// The customer's endpoints (never their secrets).
    List {
        #[arg(long)]
        customer: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Remove an endpoint; its messages still pending are marked failed.
    Remove {
        #[arg(long)]
        customer: String,
        /// The endpoint id `add` printed.
        id: i64,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Give an endpoint a new signing secret (printed once); the old one still signs for 24
    /// hours, so both signatures are sent meanwhile.
    Rotate {
        #[arg(long)]
        customer: String,
        id: i64,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// The customer's latest messages, newest first, with every attempt.
    Deliveries {
        #[arg(long)]
        customer: String,
        /// Only this endpoint's messages.
        #[arg(long)]
        endpoint: Option<i64>,
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Send messages again, now, with a fresh retry schedule (a disabled endpoint is enabled
    /// again).
    Redeliver {
        #[arg(long)]
        customer: String,
        /// Message ids (`msg_…`) as `deliveries` shows them.
        #[arg(required = true)]
        msg_ids: Vec<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Show the secret recording callbacks of the customer's bookings are signed with
    /// (created on first use); with --rotate, replace it (the old one signs for 24 hours more).
    Secret {
        #[arg(long)]
        customer: String,
        #[arg(long)]
        rotate: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

/// The database the command names, and the customer `code` in it.
pub async fn open_for(db: &DatabaseArg, code: &str) -> anyhow::Result<(Arc<dyn Store>, Customer)> {
    let store = store::open(&db.database_url).await?;
    let c = store
        .customer_by_code(code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no customer {code:?}; import it first"))?;
    Ok((store, c))
}

fn not_found(what: String) -> impl FnOnce(StoreError) -> anyhow::Error {
    move |e| match e {
        StoreError::NotFound => anyhow::anyhow!("{what}"),
        other => other.into(),
    }
}

/// Runs one command; errors are printed by the caller and exit 1.
pub async fn run(command: WebhookCommand) -> anyhow::Result<ExitCode> {
    let now_ms = now_unix() * 1000;
    match command {
        WebhookCommand::Add {
            customer: code,
            url,
            events,
            db,
        } => {
            parse_target(&url).map_err(|e| anyhow::anyhow!("--url: {e}"))?;
            let events =
                EventFilter::parse_list(&events).map_err(|e| anyhow::anyhow!("--events: {e}"))?;
            let (s, c) = open_for(&db, &code).await?;
            let secret = new_signing_secret();
            let e = s
                .add_endpoint(NewEndpoint {
                    customer: c.key,
                    url,
                    events,
                    secret: secret.clone(),
                    created_at: now_ms,
                })
                .await?;
            println!("endpoint {}", e.id);
            println!("secret {secret}");
            eprintln!("The secret is shown once. Verify the webhook-signature header with it.");
        }
        WebhookCommand::List { customer: code, db } => {
            let (s, c) = open_for(&db, &code).await?;
            for e in s.endpoints(c.key).await? {
                let state = match e.disabled_at {
                    Some(at) => format!("disabled (410 Gone) since {}", rfc3339_ms(at)),
                    None => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{state}\tadded {}",
                    e.id,
                    e.url,
                    match &e.events {
                        EventFilter::All => "all events".to_owned(),
                        only => only.to_stored(),
                    },
                    rfc3339_ms(e.created_at)
                );
            }
        }
        WebhookCommand::Remove {
            customer: code,
            id,
            db,
        } => {
            let (s, c) = open_for(&db, &code).await?;
            s.remove_endpoint(c.key, id, now_ms)
                .await
                .map_err(not_found(format!("customer {code} has no endpoint {id}")))?;
            println!("removed endpoint {id}");
        }
        WebhookCommand::Rotate {
            customer: code,
            id,
            db,
        } => {
            let (s, c) = open_for(&db, &code).await?;
            let secret = new_signing_secret();
            s.rotate_endpoint_secret(c.key, id, &secret, now_ms + ROTATION_OVERLAP_MS)
                .await
                .map_err(not_found(format!("customer {code} has no endpoint {id}")))?;
            println!("secret {secret}");
            eprintln!("The old secret signs too for 24 hours; switch receivers over by then.");
        }
        WebhookCommand::Deliveries {
            customer: code,
            endpoint,
            limit,
            db,
        } => {
            let (s, c) = open_for(&db, &code).await?;
            for m in s.messages(c.key, endpoint, limit).await? {
                let to = match m.target {
                    Target::Endpoint(id) => format!("endpoint {id}"),
                    Target::Callback => "recording callback".to_owned(),
                    Target::Mail => format!("letter to {}", m.url),
                    Target::Sms => format!("text to {}", m.url),
                    Target::Notices => "invitations to write".to_owned(),
                };
                let next = if m.state == huiyi_store::MessageState::Pending {
                    format!(", next attempt {}", rfc3339_ms(m.next_ms))
                } else {
                    String::new()
                };
                println!(
                    "{}\t{}\t{to}\t{}\t{}\t{} attempts{next}",
                    m.msg_id,
                    m.kind,
                    m.url,
                    m.state.as_str(),
                    m.attempts.len()
                );
                for a in &m.attempts {
                    let status = a
                        .status
                        .map_or("no answer".to_owned(), |s| format!("HTTP {s}"));
                    println!(
                        "  {}\t{status}\t{} ms\t{}",
                        rfc3339_ms(a.at_ms),
                        a.latency_ms,
                        a.error.as_deref().unwrap_or("ok")
                    );
                }
            }
        }
        WebhookCommand::Redeliver {
            customer: code,
            msg_ids,
            db,
        } => {
            let (s, c) = open_for(&db, &code).await?;
            for id in &msg_ids {
                s.redeliver(c.key, id, now_ms)
                    .await
                    .map_err(not_found(format!("customer {code} has no message {id}")))?;
                println!("queued {id}");
            }
        }
        WebhookCommand::Secret {
            customer: code,
            rotate,
            db,
        } => {
            let (s, c) = open_for(&db, &code).await?;
            let secret = s
                .callback_secret(
                    c.key,
                    &new_signing_secret(),
                    rotate,
                    now_ms + ROTATION_OVERLAP_MS,
                )
                .await?;
            println!("{secret}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
