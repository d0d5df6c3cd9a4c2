//! `huiyi`: the server and its operator commands.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use huiyi_domain::secrets::NewApiKey;
use huiyi_server::admin_webhook::{self, WebhookCommand};
use huiyi_server::config::{self, Config, DatabaseArg};
use huiyi_server::media_cli::{self, MediaCommand};
use huiyi_server::services::{demo_tenant, import_file};
use huiyi_server::{AppState, app, store};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "huiyi",
    version,
    about = "Self-hosted conference-management server speaking the vendor's OpenAPI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve(Box<ServeArgs>),
    /// Create or upgrade the database schema, then exit.
    Migrate(DatabaseArg),
    /// Operator commands: tenants, users and keys.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Media server tools: post signed events to a server's media event interface
    /// (docs/media-events.md).
    #[command(subcommand)]
    Media(MediaCommand),
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    config: Config,
    /// TOML configuration file; the environment and flags override it.
    #[arg(long = "config", id = "config", env = "HUIYI_CONFIG")]
    config_file: Option<PathBuf>,
    /// When the database holds no customer yet, import a demo tenant and print its key.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Upsert customers, users, credentials, rooms, boxes and dial-in numbers from a JSON file
    /// (all or nothing).
    Import {
        file: PathBuf,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Webhook endpoints, the delivery log, and the recording callback's secret
    /// (docs/webhooks.md).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// A customer's meeting rooms and their equipment.
    #[command(subcommand)]
    Rooms(RegistryCommand),
    /// A customer's hardware meeting boxes.
    #[command(subcommand)]
    Boxes(RegistryCommand),
    /// The dial-in numbers a customer may use (its own, then the shared ones).
    #[command(subcommand)]
    Numbers(RegistryCommand),
    /// One room: decide on a booking of a room that needs approval, or make its panel key.
    #[command(subcommand)]
    Room(RoomCommand),
    /// The SMS gateway's side of invitation texts.
    #[command(subcommand)]
    Sms(SmsCommand),
}

#[derive(Subcommand)]
enum SmsCommand {
    /// Print the secret invitation texts are signed with (made on first use), for the SMS
    /// gateway to verify them (docs/invitations.md).
    Secret {
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum RoomCommand {
    /// Approve the room for the booking (ApprovalStatus 2).
    Approve(RoomDecision),
    /// Refuse the room for the booking (ApprovalStatus 1): the room is no longer held for it.
    Reject(RoomDecision),
    /// Make a new key for the room's panel page and print the page's address once; only the
    /// key's hash is stored, and an earlier key stops working.
    PanelKey {
        #[arg(long)]
        room: i64,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Args)]
struct RoomDecision {
    /// The booking's conferenceId.
    #[arg(long)]
    conference: String,
    /// The room's roomId.
    #[arg(long)]
    room: i64,
    #[command(flatten)]
    db: DatabaseArg,
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// One line per entry, tab-separated.
    List {
        #[arg(long)]
        customer: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a key for a customer and print it once; only its hash is stored.
    Create {
        #[arg(long)]
        customer: String,
        /// An admin key (may use admin-only endpoints such as listByAdmin).
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

/// Parses the command line with the `--config` file layered under the environment and flags.
fn parse_cli() -> anyhow::Result<Cli> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cmd = Cli::command();
    if let Some(path) = config::config_path(&cmd, &args) {
        cmd = config::with_file_defaults(cmd, &config::load_file(&path)?)?;
    }
    let matches = cmd.try_get_matches_from(args).unwrap_or_else(|e| e.exit());
    Ok(Cli::from_arg_matches(&matches)?)
}

fn main() -> ExitCode {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        // Prints its own outcome and chooses its exit code (1 refused, 2 usage).
        Command::Media(media) => return Ok(media_cli::run(media).await),
        Command::Serve(args) => serve(*args).await?,
        Command::Migrate(db) => {
            init_logging(false);
            store::open(&db.database_url).await?;
            println!("database is migrated");
        }
        Command::Admin(AdminCommand::Import { file, db }) => {
            init_logging(false);
            let s = store::open(&db.database_url).await?;
            let n = import_file(s.as_ref(), &file).await?;
            println!(
                "imported {} customers, {} users, {} credentials, {} rooms, {} boxes, {} dial-in numbers",
                n.customers, n.users, n.credentials, n.rooms, n.boxes, n.access_numbers
            );
        }
        Command::Admin(AdminCommand::Rooms(RegistryCommand::List { customer, db })) => {
            init_logging(false);
            let (s, c) = admin_webhook::open_for(&db, &customer).await?;
            for r in s.rooms(c.key).await? {
                let equipment: Vec<String> = r
                    .equipment
                    .iter()
                    .map(|e| format!("{}:{}", e.equip_id, e.name))
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}\tfloor {}\tcapacity {}\t{}\t{}",
                    r.room_id,
                    r.name,
                    r.city,
                    r.location,
                    r.floor,
                    r.capacity,
                    if r.needs_approval { "approval" } else { "open" },
                    equipment.join(",")
                );
            }
        }
        Command::Admin(AdminCommand::Boxes(RegistryCommand::List { customer, db })) => {
            init_logging(false);
            let (s, c) = admin_webhook::open_for(&db, &customer).await?;
            for b in s.boxes(c.key).await? {
                let room = b.room_id.map_or_else(|| "-".to_owned(), |r| r.to_string());
                println!("{}\t{}\t{room}\t{}", b.box_id, b.name, b.address);
            }
        }
        Command::Admin(AdminCommand::Numbers(RegistryCommand::List { customer, db })) => {
            init_logging(false);
            let (s, c) = admin_webhook::open_for(&db, &customer).await?;
            for n in s.dial_in_numbers(c.key).await? {
                let scope = if n.customer.is_some() {
                    "own"
                } else {
                    "shared"
                };
                println!(
                    "{}\t{}\t{}\ttype {}\t{}\t{scope}",
                    n.access_id, n.number, n.display, n.kind, n.platform
                );
            }
        }
        Command::Admin(AdminCommand::Sms(SmsCommand::Secret { db })) => {
            init_logging(false);
            let s = store::open(&db.database_url).await?;
            let secret = s
                .sms_secret(&huiyi_domain::delivery::new_signing_secret())
                .await?;
            println!("{secret}");
        }
        Command::Admin(AdminCommand::Room(command)) => {
            init_logging(false);
            return room_command(command).await;
        }
        Command::Admin(AdminCommand::Webhook(command)) => {
            init_logging(false);
            return admin_webhook::run(command).await;
        }
        Command::Admin(AdminCommand::Key(KeyCommand::Create {
            customer,
            admin,
            db,
        })) => {
            init_logging(false);
            let s = store::open(&db.database_url).await?;
            let key = NewApiKey::generate();
            let now = huiyi_domain::time::now_unix();
            s.add_credential(&customer, key.hash().as_str(), admin, now)
                .await?;
            println!("{}", key.reveal());
            eprintln!("This key is shown once; only its hash is stored. Keep it safe.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `huiyi admin room …`: 1 when refused (an unknown room or booking), with the reason.
async fn room_command(command: RoomCommand) -> anyhow::Result<ExitCode> {
    let (db, room, decision) = match &command {
        RoomCommand::Approve(d) => (&d.db, d.room, Some((d.conference.as_str(), true))),
        RoomCommand::Reject(d) => (&d.db, d.room, Some((d.conference.as_str(), false))),
        RoomCommand::PanelKey { room, db } => (db, *room, None),
    };
    let s = store::open(&db.database_url).await?;
    let Some((found, _)) = s.panel_room(room).await? else {
        eprintln!("error: there is no room {room}");
        return Ok(ExitCode::FAILURE);
    };
    match decision {
        Some((conference, approve)) => {
            let rooms = huiyi_server::services::Rooms::new(
                s.clone(),
                huiyi_server::services::Meetings::new(s.clone()),
                huiyi_server::clock::Clock::system(),
                Vec::new(),
            );
            match rooms
                .decide(found.customer, conference, room, approve)
                .await
            {
                Ok(_) => println!(
                    "room {room} {} for conference {conference}",
                    if approve { "approved" } else { "rejected" }
                ),
                Err(e) => {
                    eprintln!("error: {}", e.message);
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        None => {
            let key = NewApiKey::generate();
            s.set_panel_key(room, key.hash().as_str()).await?;
            println!("{}", key.reveal());
            eprintln!(
                "The panel is at <public_url>/rooms/{room}/panel?key=<this key>. The key is \
                 shown once; only its hash is stored, and the room's earlier key no longer works."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.config.finish();
    init_logging(config.log_json);
    // A recording store that cannot be opened (a directory not writable, a malformed
    // recordings_url) stops the server here, saying why, rather than failing every upload.
    huiyi_server::adapters::files::Files::from_config(&config)?;
    let store = store::open(&config.database_url).await?;
    tracing::info!(backend = store.backend(), "database ready");
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    if args.demo {
        demo(store.as_ref(), &config).await?;
    }
    tracing::info!(listen = %config.listen, public_url = %config.public_url, "serving");
    let state = AppState::for_database(store, config).await?;
    app::serve(listener, state, app::shutdown_signal()).await?;
    Ok(())
}

async fn demo(store: &dyn huiyi_store::Store, config: &Config) -> anyhow::Result<()> {
    if store.customer_count().await? > 0 {
        println!(
            "Demo: the database already holds customers, so no demo tenant was added. \
             Create a key with: huiyi admin key create --customer DEMO"
        );
        return Ok(());
    }
    let (data, key) = demo_tenant();
    store.import(&data, huiyi_domain::time::now_unix()).await?;
    let start = chrono_like_tomorrow();
    println!("Demo tenant imported: customer DEMO, host userId 10001, admin userId 10002.");
    println!("API key (shown once): {}", key.reveal());
    println!("Book a meeting:");
    println!(
        "curl -s -X POST {}/conference/conference/reservConference2 -H 'token: {}' -H 'Content-Type: application/json' \
         -d '{{\"userId\": 10001, \"title\": \"Weekly sync\", \"starttime\": \"{start}\", \"length\": 60}}'",
        config.public_url,
        key.reveal()
    );
    Ok(())
}

/// Tomorrow 10:00 in the demo customer's zone, as the vendor writes local times.
fn chrono_like_tomorrow() -> String {
    let zone = huiyi_domain::time::Zone::default();
    let tomorrow = huiyi_domain::time::now_unix() + 86_400;
    format!("{} 10:00:00", zone.date(tomorrow))
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
