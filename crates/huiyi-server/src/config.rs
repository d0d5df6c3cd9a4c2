//! Configuration, layered: defaults → TOML file (`--config`) → `HUIYI_…` environment → flags.
//!
//! [`Config`] is the one list of settings. Each field is a flag (`--session-grace-secs`), an
//! environment variable (`HUIYI_SESSION_GRACE_SECS`) and a TOML key (`session_grace_secs`).
//! clap already orders flags over the environment over an argument's default, so the file is
//! layered in by making its values the defaults of the arguments they name
//! ([`with_file_defaults`]); nothing here lists the fields a second time.

use clap::{ArgMatches, Args, Command, FromArgMatches};
use huiyi_domain::delivery::{Backoff, DEFAULT_BACKOFF};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://./data/huiyi.db";
pub const DEFAULT_SESSION_GRACE_SECS: u64 = 60;

/// The settings a server runs with. `Debug` shows the media secret as `[REDACTED]`.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HUIYI_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: String,
    /// sqlite://PATH (created if missing) or postgres://…
    #[arg(long = "database", id = "database_url", env = "HUIYI_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database_url: String,
    /// Base URL of the links handed out, without a trailing slash [default: http://<listen>]
    #[arg(
        long,
        env = "HUIYI_PUBLIC_URL",
        default_value = "",
        hide_default_value = true
    )]
    pub public_url: String,
    /// Dial-in numbers shown with every meeting, as a JSON list of {"area", "number"} (in
    /// the file: `[[access_numbers]]` tables).
    #[arg(long, env = "HUIYI_ACCESS_NUMBERS", default_value = "[]", value_parser = json_value::<AccessNumbers>)]
    pub access_numbers: AccessNumbers,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "HUIYI_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Log as JSON lines.
    #[arg(long, env = "HUIYI_LOG_JSON", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub log_json: bool,
    /// Shared secret media servers sign POST /media/v1/events with; unset or empty: media
    /// events are refused (52003). Prefer the environment or the config file: a flag shows in
    /// the process list.
    #[arg(long, env = "HUIYI_MEDIA_SECRET", hide_env_values = true, hide_default_value = true, value_name = "SECRET", value_parser = crate::media_cli::parse_secret)]
    pub media_secret: Option<SecretString>,
    /// Seconds a session stays open after everyone has left.
    #[arg(long, env = "HUIYI_SESSION_GRACE_SECS", value_name = "SECS", default_value_t = DEFAULT_SESSION_GRACE_SECS)]
    pub session_grace_secs: u64,
    /// Milliseconds of silence after which a live page counts as gone; pages ping three times
    /// in that span. A closed tab counts at once.
    #[arg(long, env = "HUIYI_HEARTBEAT_MS", value_name = "MS", default_value_t = 15_000, value_parser = clap::value_parser!(u64).range(30..))]
    pub heartbeat_ms: u64,
    /// How often the session worker looks for sessions to close, in milliseconds [default: a
    /// quarter of the grace period, between 100 ms and 5 s]
    #[arg(long, env = "HUIYI_WORKER_TICK_MS", value_name = "MS", value_parser = clap::value_parser!(u64).range(10..))]
    pub worker_tick_ms: Option<u64>,
    /// When failed webhook and callback deliveries are tried again: comma-separated delays,
    /// each after the attempt before it (jitter adds up to a quarter). A message that has used
    /// them all is marked failed.
    #[arg(long, env = "HUIYI_DELIVERY_BACKOFF", value_name = "DELAYS", default_value = DEFAULT_BACKOFF, value_parser = Backoff::parse)]
    pub delivery_backoff: Backoff,
    /// How often each server looks for messages due, in milliseconds.
    #[arg(long, env = "HUIYI_DELIVERY_TICK_MS", value_name = "MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..))]
    pub delivery_tick_ms: u64,
    /// How long one webhook attempt may take, in milliseconds.
    #[arg(long, env = "HUIYI_WEBHOOK_TIMEOUT_MS", value_name = "MS", default_value_t = 15_000, value_parser = clap::value_parser!(u64).range(100..))]
    pub webhook_timeout_ms: u64,
    /// Let webhooks and callbacks reach loopback, private and link-local addresses (refused
    /// by default: callers choose the URLs).
    #[arg(long, env = "HUIYI_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub webhook_allow_private: bool,
    /// Directory recording files are kept in, when no recordings_url is set.
    #[arg(
        long,
        env = "HUIYI_RECORDINGS_DIR",
        value_name = "DIR",
        default_value = "./data/recordings"
    )]
    pub recordings_dir: PathBuf,
    /// An S3-compatible bucket to keep recording files in instead (s3://bucket/prefix), with
    /// the usual AWS_* variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
    /// AWS_ENDPOINT, AWS_ALLOW_HTTP). Replicas need one: they share no disk.
    #[arg(long, env = "HUIYI_RECORDINGS_URL", value_name = "URL")]
    pub recordings_url: Option<String>,
    /// How long replay, download and report links stay valid, e.g. 7d or 12h.
    #[arg(long, env = "HUIYI_LINK_TTL", value_name = "DURATION", default_value = "7d", value_parser = humantime::parse_duration)]
    pub link_ttl: std::time::Duration,
    /// How long an unfinished recording upload may go quiet before it is given up as failed.
    #[arg(long, env = "HUIYI_UPLOAD_IDLE", value_name = "DURATION", default_value = "24h", value_parser = humantime::parse_duration)]
    pub upload_idle: std::time::Duration,
    /// Largest recording upload chunk, in bytes.
    #[arg(long, env = "HUIYI_MAX_CHUNK_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_chunk_bytes: usize,
    /// The SMTP server invitations go through: smtp://host:port, smtp://host:port?tls=required
    /// (STARTTLS or fail), smtps://host:port (implicit TLS); credentials may be in the URL.
    /// Unset: no email is sent.
    #[arg(long, env = "HUIYI_SMTP_URL", hide_env_values = true, hide_default_value = true, value_name = "URL", value_parser = crate::media_cli::parse_secret)]
    pub smtp_url: Option<SecretString>,
    /// The SMTP user, when not in the URL.
    #[arg(long, env = "HUIYI_SMTP_USER", value_name = "USER")]
    pub smtp_user: Option<String>,
    /// The SMTP password, when not in the URL. Prefer the environment or the config file.
    #[arg(long, env = "HUIYI_SMTP_PASSWORD", hide_env_values = true, hide_default_value = true, value_name = "PASSWORD", value_parser = crate::media_cli::parse_secret)]
    pub smtp_password: Option<SecretString>,
    /// The sender of invitations, e.g. "会议 huiyi <meetings@example.com>".
    #[arg(long, env = "HUIYI_MAIL_FROM", value_name = "MAILBOX")]
    pub mail_from: Option<String>,
    /// The SMS gateway invitation texts are posted to (signed; `huiyi admin sms secret` shows
    /// the secret). Unset: no text is sent.
    #[arg(long, env = "HUIYI_SMS_WEBHOOK_URL", value_name = "URL")]
    pub sms_webhook_url: Option<String>,
}

/// What the operator commands need of the configuration: the database, from a flag, the
/// environment or the same file `serve` reads.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArg {
    /// sqlite://PATH (created if missing) or postgres://…
    #[arg(long = "database", id = "database_url", env = "HUIYI_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database_url: String,
    /// TOML configuration file (its database_url is used; other keys are checked, not used).
    #[arg(long = "config", id = "config", env = "HUIYI_CONFIG")]
    pub config_file: Option<PathBuf>,
}

/// `access_numbers`: one type so clap reads the whole list from one value.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct AccessNumbers(pub Vec<AccessNumberConfig>);

impl std::ops::Deref for AccessNumbers {
    type Target = Vec<AccessNumberConfig>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for AccessNumbers {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessNumberConfig {
    pub area: String,
    pub number: String,
}

fn json_value<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_str(s).map_err(|e| format!("not valid JSON for this setting: {e}"))
}

impl Config {
    /// The configuration an argument list gives (without the program name), after
    /// [`Config::finish`]. Tests and embedders use this; the binary parses its own commands.
    pub fn from_args<I, S>(file: Option<&Path>, args: I) -> anyhow::Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        let mut cmd = Config::augment_args(Command::new("huiyi").no_binary_name(true));
        if let Some(path) = file {
            cmd = with_file_defaults(cmd, &load_file(path)?)?;
        }
        let matches = cmd.try_get_matches_from(args)?;
        Ok(Self::from_arg_matches(&matches)?.finish())
    }

    /// Derived defaults: the public URL from the listen address, no trailing slash; an empty
    /// media secret is no secret.
    pub fn finish(mut self) -> Self {
        if self.public_url.is_empty() {
            self.public_url = format!("http://{}", self.listen);
        }
        self.public_url = self.public_url.trim_end_matches('/').to_owned();
        self.media_secret = self.media_secret.filter(|s| !s.expose_secret().is_empty());
        self.smtp_url = self
            .smtp_url
            .filter(|s| !s.expose_secret().trim().is_empty());
        self.smtp_password = self.smtp_password.filter(|s| !s.expose_secret().is_empty());
        self.sms_webhook_url = self.sms_webhook_url.filter(|u| !u.trim().is_empty());
        self
    }

    /// The media secret's bytes, if one is configured.
    pub fn media_secret_bytes(&self) -> Option<&[u8]> {
        self.media_secret
            .as_ref()
            .map(|s| s.expose_secret().as_bytes())
    }

    /// The built-in defaults (no file, no environment, no flags) with the given public URL.
    pub fn for_public_url(public_url: &str) -> Self {
        let cmd = Config::augment_args(Command::new("huiyi").no_binary_name(true))
            .mut_args(|a| a.env(None));
        let matches = cmd
            .try_get_matches_from(["--public-url", public_url])
            .expect("the built-in defaults parse");
        Self::from_arg_matches(&matches)
            .expect("the built-in defaults parse")
            .finish()
    }
}

/// Reads the TOML file. Its keys are checked against the settings by [`with_file_defaults`].
pub fn load_file(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config file {} is not valid TOML: {e}", path.display()))
}

/// Installs the file's values as the defaults of the arguments they name, in `cmd` and every
/// subcommand that has them, so flags and the environment still win. A key that names no
/// setting is refused, so a typo cannot pass silently; a value of the wrong type is refused
/// when the command line is parsed, naming the setting.
pub fn with_file_defaults(cmd: Command, file: &toml::Table) -> anyhow::Result<Command> {
    let known = Config::augment_args(Command::new("settings"));
    for key in file.keys() {
        if !known.get_arguments().any(|a| a.get_id() == key.as_str()) {
            anyhow::bail!(
                "config file: unknown key {key:?}; see `huiyi serve --help` for the settings"
            );
        }
    }
    Ok(apply_defaults(cmd, file))
}

fn apply_defaults(mut cmd: Command, file: &toml::Table) -> Command {
    for (key, value) in file {
        if cmd.get_arguments().any(|a| a.get_id() == key.as_str()) {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                // Lists and tables reach their parser as JSON; numbers and booleans as written.
                other => serde_json::to_string(other).unwrap_or_default(),
            };
            cmd = cmd.mut_arg(key, |a| a.default_value(text));
        }
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |s| apply_defaults(s, file));
    }
    cmd
}

/// The `--config` (or `HUIYI_CONFIG`) a command line names, found before the real parse so
/// the file can be layered in: a first pass that ignores every other error.
pub fn config_path(cmd: &Command, args: &[std::ffi::OsString]) -> Option<PathBuf> {
    let matches = cmd
        .clone()
        .ignore_errors(true)
        .try_get_matches_from(args)
        .ok()?;
    find_config(&matches)
}

fn find_config(m: &ArgMatches) -> Option<PathBuf> {
    if let Ok(Some(p)) = m.try_get_one::<PathBuf>("config") {
        return Some(p.clone());
    }
    m.subcommand().and_then(|(_, sub)| find_config(sub))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn flags_beat_file_beats_defaults() {
        let f = file(
            "listen = \"0.0.0.0:9000\"\ndatabase_url = \"sqlite:///tmp/x.db\"\nsession_grace_secs = 30\nlog_json = true\n[[access_numbers]]\narea = \"ALL\"\nnumber = \"400-000\"\n",
        );
        let c = Config::from_args(Some(f.path()), ["--database", "postgres://db"]).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.database_url, "postgres://db");
        assert_eq!(c.public_url, "http://0.0.0.0:9000");
        assert_eq!(c.session_grace_secs, 30);
        assert!(c.log_json);
        assert_eq!(c.access_numbers.len(), 1);
        assert_eq!(c.access_numbers[0].number, "400-000");
        let d = Config::for_public_url("http://h:1/");
        assert_eq!(d.listen, DEFAULT_LISTEN);
        assert_eq!(d.database_url, DEFAULT_DATABASE);
        assert_eq!(d.public_url, "http://h:1", "no trailing slash");
        assert!(d.media_secret.is_none());
        assert!(!d.log_json);
        assert_eq!(d.session_grace_secs, DEFAULT_SESSION_GRACE_SECS);
        assert_eq!(d.heartbeat_ms, 15_000);
        assert_eq!(d.worker_tick_ms, None);
        assert!(d.access_numbers.is_empty());
    }

    #[test]
    fn smtp_settings_come_from_the_file_and_their_secrets_never_show() {
        let f = file(
            "smtp_url = \"smtps://mail.example.com:465\"\nsmtp_user = \"huiyi\"\n\
             smtp_password = \"pw-from-file\"\nmail_from = \"会议 <m@example.com>\"\n",
        );
        let c = Config::from_args(Some(f.path()), Vec::<String>::new()).unwrap();
        let url = c.smtp_url.as_ref().map(|u| u.expose_secret().to_owned());
        assert_eq!(url.as_deref(), Some("smtps://mail.example.com:465"));
        assert_eq!(c.smtp_user.as_deref(), Some("huiyi"));
        assert_eq!(c.mail_from.as_deref(), Some("会议 <m@example.com>"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("pw-from-file") && !shown.contains("mail.example.com:465"));
        // A flag wins over the file; an empty URL is no mail at all.
        let c = Config::from_args(Some(f.path()), ["--smtp-url", ""]).unwrap();
        assert!(c.smtp_url.is_none());
    }

    #[test]
    fn media_settings_layer_and_the_secret_never_shows() {
        let f = file("media_secret = \"from-file\"\nsession_grace_secs = 30\n");
        let c = Config::from_args(Some(f.path()), Vec::<String>::new()).unwrap();
        assert_eq!(c.media_secret_bytes(), Some(&b"from-file"[..]));
        assert_eq!(c.session_grace_secs, 30);
        assert!(!format!("{c:?}").contains("from-file"), "{c:?}");
        // A secret from the file becomes the flag's default: help never shows it.
        let mut cmd = with_file_defaults(
            Config::augment_args(Command::new("huiyi")),
            &load_file(f.path()).unwrap(),
        )
        .unwrap();
        assert!(!cmd.render_long_help().to_string().contains("from-file"));
        let c = Config::from_args(
            Some(f.path()),
            ["--media-secret", "from-flag", "--session-grace-secs", "5"],
        )
        .unwrap();
        assert_eq!(c.media_secret_bytes(), Some(&b"from-flag"[..]));
        assert_eq!(c.session_grace_secs, 5);
        assert!(!format!("{c:?}").contains("from-flag"));
        // An empty secret is no secret: it does not enable media events.
        let empty = file("media_secret = \"\"\n");
        assert!(
            Config::from_args(Some(empty.path()), Vec::<String>::new())
                .unwrap()
                .media_secret
                .is_none()
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_by_name() {
        let typo = file("lisen = \"x\"");
        let e = Config::from_args(Some(typo.path()), Vec::<String>::new()).unwrap_err();
        assert!(e.to_string().contains("\"lisen\""), "{e}");
        let bad = file("session_grace_secs = \"soon\"");
        let e = Config::from_args(Some(bad.path()), Vec::<String>::new()).unwrap_err();
        assert!(e.to_string().contains("session-grace-secs"), "{e}");
        let numbers = file("[[access_numbers]]\narea = \"ALL\"\n");
        let e = Config::from_args(Some(numbers.path()), Vec::<String>::new()).unwrap_err();
        assert!(e.to_string().contains("number"), "{e}");
        assert!(Config::from_args(None, ["--heartbeat-ms", "0"]).is_err());
    }
}
