//! `huiyi`: the server and its operator commands.

use clap::{Args, Parser, Subcommand};
use huiyi_domain::secrets::NewApiKey;
use huiyi_server::config::{Config, DEFAULT_DATABASE, FileConfig, Overrides};
use huiyi_server::media_cli::{self, MediaCommand};
use huiyi_server::services::{demo_tenant, import_file};
use huiyi_server::{AppState, app, store};
use secrecy::SecretString;
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
    Serve(ServeArgs),
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
    /// Address to listen on.
    #[arg(long, env = "HUIYI_LISTEN")]
    listen: Option<String>,
    /// sqlite://PATH (created if missing) or postgres://… [default: sqlite://./data/huiyi.db]
    #[arg(long = "database", env = "HUIYI_DATABASE_URL")]
    database: Option<String>,
    /// Base URL of the links handed out [default: http://<listen>]
    #[arg(long, env = "HUIYI_PUBLIC_URL")]
    public_url: Option<String>,
    /// TOML configuration file; flags and environment override it.
    #[arg(long, env = "HUIYI_CONFIG")]
    config: Option<PathBuf>,
    /// When the database holds no customer yet, import a demo tenant and print its key.
    #[arg(long)]
    demo: bool,
    /// Log as JSON lines.
    #[arg(long, env = "HUIYI_LOG_JSON")]
    log_json: bool,
    /// Shared secret media servers sign POST /media/v1/events with; unset or empty: media
    /// events are refused (52003). Prefer the environment or the config file: a flag shows in
    /// the process list.
    #[arg(long, env = "HUIYI_MEDIA_SECRET", hide_env_values = true, value_name = "SECRET", value_parser = media_cli::parse_secret)]
    media_secret: Option<SecretString>,
    /// Seconds a session stays open after everyone has left [default: 60]
    #[arg(long, env = "HUIYI_SESSION_GRACE_SECS", value_name = "SECS")]
    session_grace_secs: Option<u64>,
}

#[derive(Args)]
struct DatabaseArg {
    #[arg(long = "database", env = "HUIYI_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    database: String,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Upsert customers, users and credentials from a JSON file (all or nothing).
    Import {
        file: PathBuf,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
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

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Command::Serve(args) => serve(args).await?,
        Command::Migrate(db) => {
            init_logging(false);
            store::open(&db.database).await?;
            println!("database is migrated");
        }
        Command::Admin(AdminCommand::Import { file, db }) => {
            init_logging(false);
            let s = store::open(&db.database).await?;
            let n = import_file(s.as_ref(), &file).await?;
            println!(
                "imported {} customers, {} users, {} credentials",
                n.customers, n.users, n.credentials
            );
        }
        Command::Admin(AdminCommand::Key(KeyCommand::Create {
            customer,
            admin,
            db,
        })) => {
            init_logging(false);
            let s = store::open(&db.database).await?;
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

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let config = Config::layer(
        file,
        Overrides {
            listen: args.listen,
            database_url: args.database,
            public_url: args.public_url,
            log_json: args.log_json,
            media_secret: args.media_secret,
            session_grace_secs: args.session_grace_secs,
        },
    );
    init_logging(config.log_json);
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
