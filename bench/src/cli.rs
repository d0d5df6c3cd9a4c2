//! Command-line interface. Parsing and validation only; nothing here does I/O.

use clap::{Args, Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "huiyi-bench",
    version,
    about = "Load benchmark of the huiyi server (loopback only)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Throughput and latency of each scenario against one server.
    Run(RunArgs),
    /// How listing latency grows with the number of stored bookings (SQLite).
    Scale(ScaleArgs),
    /// Listing a host's month with weekly series stored, against as many single meetings
    /// (SQLite).
    Series(SeriesArgs),
    /// Media event ingestion (signed batches of 50 on POST /media/v1/events) and getConfStatus
    /// on a meeting with 500 live participants against an empty one.
    Events(EventsArgs),
    /// Live WebSocket: 500 participants in one meeting, and how fast a join or leave reaches
    /// every one of them.
    Live(LiveArgs),
    /// Webhooks: how fast the delivery worker empties the outbox to a local receiver, and
    /// booking latency with one endpoint against none (SQLite).
    Webhooks(WebhooksArgs),
    /// Post-meeting reports: getReportData latency for sessions of 10, 1,000 and 10,000
    /// participants (10 facts each), against healthz (SQLite).
    Reports(ReportsArgs),
    /// Rooms: booking with a room (registry check, conflict check, holds) against the same
    /// booking without, and getPhoneAccessNum against healthz (SQLite).
    Rooms(RoomsArgs),
    /// Invitations: booking with 500 invitees told by email against the same booking untold,
    /// and the letters a server sends per second to a local SMTP server (SQLite; needs Python
    /// with aiosmtpd).
    Invitations(InvitationsArgs),
}

#[derive(Debug, Args)]
pub struct InvitationsArgs {
    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// The Python with aiosmtpd that runs the local SMTP server.
    #[arg(long, default_value = "python3")]
    pub python: String,

    /// Concurrent workers of each booking scenario.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// How long each scenario is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// Turns of booking without letters and with; the ratio compares their medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub rounds: u32,

    /// Bookings (501 letters each) whose delivery is timed.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub mail_bookings: u64,
}

#[derive(Debug, Args)]
pub struct RoomsArgs {
    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// Concurrent workers of each scenario.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// How long each scenario is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// Turns of booking without rooms and with; the ratios compare their medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub rounds: u32,
}

#[derive(Debug, Args)]
pub struct ReportsArgs {
    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// How long each size (and the baseline) is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,
}

#[derive(Debug, Args)]
pub struct WebhooksArgs {
    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// Concurrent workers of the `healthz` and booking scenarios.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// How long each scenario is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// Messages queued before the server starts, for the delivery rate.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub messages: u64,

    /// Turns of booking with no endpoint and with one; the ratio compares their medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub rounds: u32,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Benchmark a server that already runs at this loopback URL, e.g. http://127.0.0.1:8080.
    /// Needs --key and --user-id. Without it the bench starts its own server.
    #[arg(
        long,
        value_parser = loopback_url,
        conflicts_with_all = ["server_bin", "database"],
        requires_all = ["key", "user_id"]
    )]
    pub url: Option<String>,

    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// Database for the started server (`sqlite:///abs/path.db` or `postgres://…`)
    /// [default: a SQLite file in a temporary directory]. The bench imports its fixture into it.
    #[arg(long)]
    pub database: Option<String>,

    /// Concurrent workers, each looping request → response.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// How long each scenario is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// API key of the running server's customer (with --url).
    #[arg(long, env = "HUIYI_BENCH_KEY", hide_env_values = true)]
    pub key: Option<String>,

    /// The host whose bookings are created and read (with --url).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    pub user_id: Option<i64>,

    /// Bookings created before measuring, for edit, base_info and status to work on
    /// (raised to --concurrency if lower, so that no two workers edit the same booking).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub seed_bookings: u32,

    /// Backend name written into the BENCH line [default: from the database URL; `unknown`
    /// with --url].
    #[arg(long)]
    pub backend: Option<String>,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Numbers of stored bookings to measure, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        required = true,
        value_parser = clap::value_parser!(u64).range(100..=100_000_000)
    )]
    pub sizes: Vec<u64>,

    /// How long each scenario is measured, per size.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// Concurrent workers, each looping request → response.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SeriesArgs {
    /// Weekly series stored for the customer (and as many single meetings in the other
    /// database, or more if the listed host needs more).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub series: u64,

    /// How long each scenario is measured, per database.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// Concurrent workers, each looping request → response.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The bench always starts its own server (with a fresh media secret, \
passed in HUIYI_MEDIA_SECRET), books the meetings through the API to start within the next half \
hour, and measures in turn: healthz (the baseline), events (each worker posting signed batches \
of 50 joins, hands raised and lowered, and leaves over --meetings meetings), status_live_500 \
and status_empty (getConfStatus on a meeting with 500 present participants, and on one without \
a session). The last line of stdout is BENCH {json}; see bench/README.md."
)]
pub struct EventsArgs {
    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// Database for the started server (`sqlite:///abs/path.db` or `postgres://…`)
    /// [default: a SQLite file in a temporary directory]. The bench imports its fixture into it.
    #[arg(long)]
    pub database: Option<String>,

    /// Concurrent workers, each looping request → response.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// How long each scenario is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// Meetings booked for the ingestion load to spread its participants over (besides the
    /// two getConfStatus meetings).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub meetings: u32,

    /// Backend name written into the BENCH line [default: from the database URL].
    #[arg(long)]
    pub backend: Option<String>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The bench always starts its own server, books one meeting through the API to \
start within the next half hour, measures healthz (the baseline), then connects --participants \
WebSocket pages to /live/<code> of the meeting's attendee link, --connect-concurrency at a time, \
each pinging every 5 s. A probe page then joins and leaves --rounds times; every listener times \
the matching participant.joined / participant.left fact from the probe's send. After \
--hold-seconds it checks that nobody was dropped, and closes everything. The last line of \
stdout is BENCH {json}; see bench/README.md."
)]
pub struct LiveArgs {
    /// The `huiyi` binary to start [default: `huiyi` next to this executable].
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// Database for the started server (`sqlite:///abs/path.db` or `postgres://…`)
    /// [default: a SQLite file in a temporary directory]. The bench imports its fixture into it.
    #[arg(long)]
    pub database: Option<String>,

    /// Concurrent workers of the healthz baseline.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,

    /// How long the healthz baseline is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,

    /// WebSocket participants held in the meeting (the listeners).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub participants: u32,

    /// Pages connecting and joining at the same time while the meeting fills.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub connect_concurrency: u32,

    /// Fan-out rounds: each is one probe page joining, then leaving.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rounds: u32,

    /// How long the participants are held (pinging) after the rounds before the check that
    /// nobody was dropped; longer than the server's 15 s heartbeat by default.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub hold_seconds: u64,

    /// Backend name written into the BENCH line [default: from the database URL].
    #[arg(long)]
    pub backend: Option<String>,
}

impl LiveArgs {
    /// The backend label for the BENCH line.
    pub fn backend_label(&self) -> String {
        backend_label(self.backend.as_deref(), false, self.database.as_deref())
    }
}

impl EventsArgs {
    /// The backend label for the BENCH line.
    pub fn backend_label(&self) -> String {
        backend_label(self.backend.as_deref(), false, self.database.as_deref())
    }
}

impl RunArgs {
    /// The backend label for the BENCH line.
    pub fn backend_label(&self) -> String {
        backend_label(
            self.backend.as_deref(),
            self.url.is_some(),
            self.database.as_deref(),
        )
    }

    /// Bookings to seed: never fewer than workers, so each edit worker owns its own bookings.
    pub fn seed_count(&self) -> usize {
        self.seed_bookings.max(self.concurrency) as usize
    }
}

/// The backend label: as given; else `unknown` against a running server; else from the
/// database URL; else `sqlite` (the bench's own temporary file).
fn backend_label(given: Option<&str>, url: bool, database: Option<&str>) -> String {
    match (given, url, database) {
        (Some(b), _, _) => b.to_owned(),
        (None, true, _) => "unknown".to_owned(),
        (None, false, Some(db)) => backend_of(db).to_owned(),
        (None, false, None) => "sqlite".to_owned(),
    }
}

/// `sqlite` or `postgres` from a database URL's scheme.
pub fn backend_of(database_url: &str) -> &'static str {
    let scheme = database_url.split(':').next().unwrap_or("");
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => "postgres",
        "sqlite" => "sqlite",
        _ => "unknown",
    }
}

/// Accepts only `http://` URLs whose host is a loopback address literal, so that the bench can
/// never send load anywhere else. Answers the URL without a trailing slash.
pub fn loopback_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if url.scheme() != "http" {
        return Err("only http:// is supported (the server is reached on loopback)".into());
    }
    let host = url.host_str().unwrap_or("");
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| format!("host {host:?} is not an IP address; use 127.0.0.1 or [::1]"))?;
    if !ip.is_loopback() {
        return Err(format!(
            "{ip} is not a loopback address; the bench only targets 127.0.0.1 or ::1"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("give the server's base URL without query or fragment".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("huiyi-bench").chain(args.iter().copied()))
    }

    fn run(args: &[&str]) -> RunArgs {
        match parse(args).unwrap().command {
            Command::Run(r) => r,
            _ => panic!("expected run"),
        }
    }

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_defaults() {
        let r = run(&["run"]);
        assert_eq!(r.concurrency, 32);
        assert_eq!(r.seconds, 10);
        assert!(r.url.is_none() && r.server_bin.is_none() && r.database.is_none());
        assert_eq!(r.seed_count(), 300);
        assert_eq!(r.backend_label(), "sqlite");
    }

    #[test]
    fn run_against_a_running_server() {
        let r = run(&[
            "run",
            "--url",
            "http://127.0.0.1:8080/",
            "--key",
            "k",
            "--user-id",
            "7",
            "--concurrency",
            "4",
            "--seconds",
            "2",
        ]);
        assert_eq!(r.url.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!((r.key.as_deref(), r.user_id), (Some("k"), Some(7)));
        assert_eq!((r.concurrency, r.seconds), (4, 2));
        assert_eq!(r.backend_label(), "unknown");
    }

    #[test]
    fn url_needs_key_and_user_and_excludes_spawning() {
        assert!(parse(&["run", "--url", "http://127.0.0.1:1"]).is_err());
        assert!(parse(&["run", "--url", "http://127.0.0.1:1", "--key", "k"]).is_err());
        let both = [
            "run",
            "--url",
            "http://127.0.0.1:1",
            "--key",
            "k",
            "--user-id",
            "1",
        ];
        assert!(parse(&[&both[..], &["--server-bin", "/x"]].concat()).is_err());
        assert!(parse(&[&both[..], &["--database", "sqlite:///x.db"]].concat()).is_err());
        assert!(parse(&both).is_ok());
    }

    #[test]
    fn rejects_nonsense_numbers() {
        assert!(parse(&["run", "--concurrency", "0"]).is_err());
        assert!(parse(&["run", "--seconds", "0"]).is_err());
        assert!(parse(&["run", "--seconds", "ten"]).is_err());
    }

    #[test]
    fn seeds_at_least_one_booking_per_worker() {
        let r = run(&["run", "--concurrency", "500", "--seed-bookings", "10"]);
        assert_eq!(r.seed_count(), 500);
    }

    #[test]
    fn backend_follows_the_database() {
        assert_eq!(
            run(&["run", "--database", "postgres://u@127.0.0.1/db"]).backend_label(),
            "postgres"
        );
        assert_eq!(
            run(&["run", "--database", "sqlite:///tmp/a.db"]).backend_label(),
            "sqlite"
        );
        assert_eq!(run(&["run", "--backend", "pg16"]).backend_label(), "pg16");
    }

    #[test]
    fn scale_sizes_are_a_list() {
        let Command::Scale(s) = parse(&["scale", "--sizes", "10000,100000,1000000"])
            .unwrap()
            .command
        else {
            panic!("expected scale");
        };
        assert_eq!(s.sizes, vec![10_000, 100_000, 1_000_000]);
        assert_eq!((s.seconds, s.concurrency), (5, 32));
        assert!(parse(&["scale"]).is_err());
        assert!(parse(&["scale", "--sizes", "10,x"]).is_err());
    }

    #[test]
    fn series_defaults_and_bounds() {
        let Command::Series(s) = parse(&["series"]).unwrap().command else {
            panic!("expected series");
        };
        assert_eq!((s.series, s.seconds, s.concurrency), (1000, 5, 32));
        assert!(s.server_bin.is_none());
        let Command::Series(s) = parse(&[
            "series",
            "--series",
            "20",
            "--seconds",
            "2",
            "--concurrency",
            "4",
        ])
        .unwrap()
        .command
        else {
            panic!("expected series");
        };
        assert_eq!((s.series, s.seconds, s.concurrency), (20, 2, 4));
        assert!(parse(&["series", "--series", "0"]).is_err());
        assert!(parse(&["series", "--seconds", "0"]).is_err());
        assert!(parse(&["series", "--url", "http://127.0.0.1:1"]).is_err());
    }

    #[test]
    fn events_defaults_and_bounds() {
        let Command::Events(e) = parse(&["events"]).unwrap().command else {
            panic!("expected events");
        };
        assert_eq!((e.concurrency, e.seconds, e.meetings), (32, 10, 200));
        assert!(e.server_bin.is_none() && e.database.is_none());
        assert_eq!(e.backend_label(), "sqlite");
        let Command::Events(e) = parse(&[
            "events",
            "--database",
            "postgres://u@127.0.0.1/db",
            "--seconds",
            "5",
            "--meetings",
            "20",
        ])
        .unwrap()
        .command
        else {
            panic!("expected events");
        };
        assert_eq!((e.seconds, e.meetings), (5, 20));
        assert_eq!(e.backend_label(), "postgres");
        assert!(parse(&["events", "--meetings", "0"]).is_err());
        assert!(parse(&["events", "--seconds", "0"]).is_err());
        assert!(parse(&["events", "--url", "http://127.0.0.1:1"]).is_err());
    }

    #[test]
    fn live_defaults_and_bounds() {
        let Command::Live(l) = parse(&["live"]).unwrap().command else {
            panic!("expected live");
        };
        assert_eq!(
            (
                l.participants,
                l.rounds,
                l.hold_seconds,
                l.connect_concurrency
            ),
            (500, 20, 20, 50)
        );
        assert_eq!((l.concurrency, l.seconds), (32, 10));
        assert!(l.server_bin.is_none() && l.database.is_none());
        assert_eq!(l.backend_label(), "sqlite");
        let Command::Live(l) = parse(&[
            "live",
            "--participants",
            "20",
            "--rounds",
            "3",
            "--hold-seconds",
            "0",
            "--seconds",
            "2",
        ])
        .unwrap()
        .command
        else {
            panic!("expected live");
        };
        assert_eq!(
            (l.participants, l.rounds, l.hold_seconds, l.seconds),
            (20, 3, 0, 2)
        );
        assert!(parse(&["live", "--participants", "0"]).is_err());
        assert!(parse(&["live", "--rounds", "0"]).is_err());
        assert!(parse(&["live", "--connect-concurrency", "0"]).is_err());
        assert!(parse(&["live", "--url", "http://127.0.0.1:1"]).is_err());
    }

    #[test]
    fn only_loopback_targets() {
        assert_eq!(
            loopback_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            loopback_url(" http://127.0.0.1/ ").unwrap(),
            "http://127.0.0.1"
        );
        assert_eq!(
            loopback_url("http://[::1]:8080/").unwrap(),
            "http://[::1]:8080"
        );
        assert!(loopback_url("http://10.0.0.1:80").is_err());
        assert!(loopback_url("http://localhost:80").is_err());
        assert!(loopback_url("http://example.com").is_err());
        assert!(loopback_url("https://127.0.0.1").is_err());
        assert!(loopback_url("127.0.0.1:80").is_err());
    }
}
