//! Configuration, layered: defaults → TOML file (`--config`) → `HUIYI_…` environment → flags.
//! clap merges the last two; the file fills whatever neither gave.

use serde::Deserialize;
use std::path::Path;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://./data/huiyi.db";

/// The settings a server runs with, after layering.
#[derive(Debug, Clone, PartialEq)]
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
        }
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
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    }
}
