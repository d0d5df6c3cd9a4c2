//! Configuration, layered: defaults → TOML file (`--config`) → `HUIYI_…` environment → flags.
//! clap merges the last two; the file fills whatever neither gave.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::Path;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://./data/huiyi.db";
pub const DEFAULT_SESSION_GRACE_SECS: u64 = 60;

/// The settings a server runs with, after layering. `Debug` shows the media secret as
/// `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub database_url: String,
    /// Base of every link handed out, without a trailing slash.
    pub public_url: String,
    /// Dial-in numbers shown with every meeting until numbers are administered per customer.
    pub access_numbers: Vec<AccessNumberConfig>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    pub log_json: bool,
    /// The shared secret media servers sign `/media/v1/events` with; `None` (or empty where
    /// given): the server takes no media events.
    pub media_secret: Option<SecretString>,
    /// How long a session stays open after everyone has left, in seconds.
    pub session_grace_secs: u64,
}

/// Equal settings; the media secrets are compared too (not in constant time: this is for
/// tests and reload checks, not for authenticating anyone).
impl PartialEq for Config {
    fn eq(&self, other: &Self) -> bool {
        self.listen == other.listen
            && self.database_url == other.database_url
            && self.public_url == other.public_url
            && self.access_numbers == other.access_numbers
            && self.max_body_bytes == other.max_body_bytes
            && self.log_json == other.log_json
            && self.media_secret.as_ref().map(ExposeSecret::expose_secret)
                == other.media_secret.as_ref().map(ExposeSecret::expose_secret)
            && self.session_grace_secs == other.session_grace_secs
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessNumberConfig {
    pub area: String,
    pub number: String,
}

/// The TOML file. Unknown keys are refused so a typo cannot pass silently.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    #[serde(default)]
    pub access_numbers: Vec<AccessNumberConfig>,
    pub max_body_bytes: Option<usize>,
    pub log_json: Option<bool>,
    pub media_secret: Option<SecretString>,
    pub session_grace_secs: Option<u64>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("config file {} is not valid: {e}", path.display()))
    }
}

/// What the command line and environment gave (clap has already merged those two).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub log_json: bool,
    pub media_secret: Option<SecretString>,
    pub session_grace_secs: Option<u64>,
}

impl Config {
    pub fn layer(file: FileConfig, over: Overrides) -> Self {
        let listen = over
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let public_url = over
            .public_url
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        Self {
            database_url: over
                .database_url
                .or(file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE.to_owned()),
            public_url: public_url.trim_end_matches('/').to_owned(),
            listen,
            access_numbers: file.access_numbers,
            max_body_bytes: file.max_body_bytes.unwrap_or(1024 * 1024),
            log_json: over.log_json || file.log_json.unwrap_or(false),
            media_secret: given(over.media_secret).or_else(|| given(file.media_secret)),
            session_grace_secs: over
                .session_grace_secs
                .or(file.session_grace_secs)
                .unwrap_or(DEFAULT_SESSION_GRACE_SECS),
        }
    }

    /// The media secret's bytes, if one is configured.
    pub fn media_secret_bytes(&self) -> Option<&[u8]> {
        self.media_secret
            .as_ref()
            .map(|s| s.expose_secret().as_bytes())
    }

    /// A configuration for tests and embedding: defaults with the given public URL.
    pub fn for_public_url(public_url: &str) -> Self {
        Self::layer(
            FileConfig::default(),
            Overrides {
                public_url: Some(public_url.to_owned()),
                ..Default::default()
            },
        )
    }
}

/// An empty secret is no secret: that layer did not configure one.
fn given(secret: Option<SecretString>) -> Option<SecretString> {
    secret.filter(|s| !s.expose_secret().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beats_defaults() {
        let file: FileConfig = toml::from_str(
            "listen = \"0.0.0.0:9000\"\ndatabase_url = \"sqlite:///tmp/x.db\"\n[[access_numbers]]\narea = \"ALL\"\nnumber = \"400-000\"\n",
        )
        .unwrap();
        let c = Config::layer(
            file.clone(),
            Overrides {
                database_url: Some("postgres://db".into()),
                ..Default::default()
            },
        );
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.database_url, "postgres://db");
        assert_eq!(c.public_url, "http://0.0.0.0:9000");
        assert_eq!(c.access_numbers.len(), 1);
        let d = Config::layer(FileConfig::default(), Overrides::default());
        assert_eq!(d.listen, DEFAULT_LISTEN);
        assert_eq!(d.database_url, DEFAULT_DATABASE);
        assert_eq!(d.public_url, "http://127.0.0.1:8080");
        assert!(d.media_secret.is_none());
        assert_eq!(d.session_grace_secs, DEFAULT_SESSION_GRACE_SECS);
    }

    #[test]
    fn media_settings_layer_and_the_secret_never_shows() {
        let file: FileConfig =
            toml::from_str("media_secret = \"from-file\"\nsession_grace_secs = 30\n").unwrap();
        assert!(!format!("{file:?}").contains("from-file"));
        let c = Config::layer(file.clone(), Overrides::default());
        assert_eq!(c.media_secret_bytes(), Some(&b"from-file"[..]));
        assert_eq!(c.session_grace_secs, 30);
        assert!(!format!("{c:?}").contains("from-file"), "{c:?}");
        let over = Overrides {
            media_secret: Some("from-flag".into()),
            session_grace_secs: Some(5),
            ..Default::default()
        };
        assert!(!format!("{over:?}").contains("from-flag"));
        let c = Config::layer(file.clone(), over);
        assert_eq!(c.media_secret_bytes(), Some(&b"from-flag"[..]));
        assert_eq!(c.session_grace_secs, 5);
        // An empty secret is not configured: it neither enables media events nor hides the
        // file's secret.
        let empty = Overrides {
            media_secret: Some("".into()),
            ..Default::default()
        };
        let c = Config::layer(file, empty.clone());
        assert_eq!(c.media_secret_bytes(), Some(&b"from-file"[..]));
        let file: FileConfig = toml::from_str("media_secret = \"\"\n").unwrap();
        assert!(Config::layer(file, empty).media_secret.is_none());
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    }
}
