//! Starting and stopping a `huiyi` server of our own, with the bench's fixture imported.

use crate::load::Target;
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CUSTOMER_CODE: &str = "C1";
/// The host every booking of `run` belongs to, and the listed host of `scale`.
pub const HOST_USER_ID: i64 = 9_100_001;
const READY_WITHIN: Duration = Duration::from_secs(60);
const STOP_WITHIN: Duration = Duration::from_secs(10);

/// `huiyi` next to this executable: `target/release/huiyi` for a release build of the bench.
pub fn server_bin(given: Option<&Path>) -> Result<PathBuf> {
    let bin = match given {
        Some(p) => p.to_path_buf(),
        None => {
            let exe = std::env::current_exe().context("cannot find this executable's path")?;
            exe.with_file_name(format!("huiyi{}", std::env::consts::EXE_SUFFIX))
        }
    };
    if !bin.is_file() {
        bail!(
            "server binary {} not found; build it with `cargo build --release -p huiyi-server` \
             or name it with --server-bin",
            bin.display()
        );
    }
    Ok(bin)
}

/// A key for this run only: 54 characters from the OS-seeded hasher keys, never reused.
pub fn random_key() -> String {
    use std::hash::{BuildHasher, RandomState};
    let mut key = String::from("bench-");
    for i in 0..3u8 {
        key.push_str(&format!("{:016x}", RandomState::new().hash_one(i)));
    }
    key
}

/// The import file: one customer, its admin host and a credential with `key`.
pub fn fixture(key: &str) -> serde_json::Value {
    serde_json::json!({
        "customers": [{"customerCode": CUSTOMER_CODE, "name": "Bench", "timezone": "Asia/Shanghai", "advanceHours": 1}],
        "users": [{"userId": HOST_USER_ID, "customerCode": CUSTOMER_CODE, "email": "host@bench.test", "name": "Host", "mobile": "", "admin": true}],
        "credentials": [{"customerCode": CUSTOMER_CODE, "key": key, "admin": true}],
    })
}

/// `sqlite:///abs/path.db` for a file path.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Runs `huiyi admin import FILE --database URL`.
pub fn admin_import(bin: &Path, file: &Path, database: &str) -> Result<()> {
    let out = Command::new(bin)
        .args(["admin", "import"])
        .arg(file)
        .args(["--database", database])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "`huiyi admin import` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A server of our own with its temporary directory; the server is stopped before the
/// directory is removed (fields drop in order).
pub struct Owned {
    _server: Server,
    _dir: tempfile::TempDir,
}

impl Owned {
    /// The server's process id (to read its memory use from `/proc`).
    pub fn pid(&self) -> u32 {
        self._server.pid()
    }
}

/// Starts a server of our own, as `run` and `events` do: a temporary directory, the fixture
/// (with a fresh key) imported into `database` (default: a new SQLite file in that directory),
/// then `huiyi serve` with `env` added to its environment. Answers the server, to keep alive
/// while measuring, and where to send load.
pub async fn start_own(
    server_bin: Option<&Path>,
    database: Option<&str>,
    env: &[(&str, &str)],
) -> Result<(Owned, Target)> {
    let bin = self::server_bin(server_bin)?;
    let dir = tempfile::Builder::new()
        .prefix("huiyi-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let database = match database {
        Some(db) => db.to_owned(),
        None => {
            // Created empty so that neither the import nor the server depends on the driver
            // creating missing files.
            let db = dir.path().join("bench.db");
            File::create(&db).with_context(|| format!("cannot create {}", db.display()))?;
            sqlite_url(&db)
        }
    };
    let key = random_key();
    let fixture = dir.path().join("fixture.json");
    std::fs::write(&fixture, serde_json::to_vec_pretty(&self::fixture(&key))?)?;
    admin_import(&bin, &fixture, &database)?;
    let log = dir.path().join("server.log");
    let server = Server::start_with_env(&bin, &database, &log, env).await?;
    let target = Target {
        base: server.url.clone(),
        key,
        user_id: HOST_USER_ID,
    };
    Ok((
        Owned {
            _server: server,
            _dir: dir,
        },
        target,
    ))
}

/// A free loopback port: bind port 0, note what the OS gave, release it.
pub fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind a loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// A running `huiyi serve`. Dropping it stops the server (SIGTERM, then SIGKILL after 10 s),
/// on success, on error and while unwinding from a panic alike.
pub struct Server {
    child: Child,
    pub url: String,
    log: PathBuf,
}

impl Server {
    /// Starts `huiyi serve` on a free loopback port, its output going to `log`, and waits until
    /// `/readyz` answers 200 (at most a minute).
    pub async fn start(bin: &Path, database: &str, log: &Path) -> Result<Server> {
        Self::start_with_env(bin, database, log, &[]).await
    }

    /// As [`Server::start`], with `env` added to the server's environment (for settings that
    /// must not show in the process list, such as `HUIYI_MEDIA_SECRET`).
    pub async fn start_with_env(
        bin: &Path,
        database: &str,
        log: &Path,
        env: &[(&str, &str)],
    ) -> Result<Server> {
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let out = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let child = Command::new(bin)
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database", database])
            .args(["--public-url", &url])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut server = Server {
            child,
            url,
            log: log.to_path_buf(),
        };
        server.wait_ready().await?;
        Ok(server)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let client = crate::load::http_client(1, Duration::from_secs(2))?;
        let readyz = format!("{}/readyz", self.url);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before it was ready; its log:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(resp) = client.get(&readyz).send().await
                && resp.status() == reqwest::StatusCode::OK
            {
                return Ok(());
            }
            if started.elapsed() > READY_WITHIN {
                bail!(
                    "the server did not answer 200 on /readyz within {} s; its log:\n{}",
                    READY_WITHIN.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The last lines the server wrote, for error messages.
    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        terminate(&self.child);
        let asked = Instant::now();
        while asked.elapsed() < STOP_WITHIN {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "huiyi-bench: the server ignored SIGTERM for {} s; killing it",
            STOP_WITHIN.as_secs()
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(unix)]
fn terminate(child: &Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a pid we spawned and have not yet reaped; it touches no memory.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

#[cfg(not(unix))]
fn terminate(_child: &Child) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_and_fresh() {
        let (a, b) = (random_key(), random_key());
        assert!(a.len() >= 32 && a.is_ascii());
        assert_ne!(a, b);
    }

    #[test]
    fn fixture_is_a_valid_import_file() {
        let data: huiyi_store::ImportData = serde_json::from_value(fixture(&random_key())).unwrap();
        data.validate().unwrap();
        assert_eq!(data.users[0].user_id, HOST_USER_ID);
    }

    #[test]
    fn sqlite_urls_have_three_slashes() {
        assert_eq!(
            sqlite_url(Path::new("/tmp/x/bench.db")),
            "sqlite:///tmp/x/bench.db"
        );
    }

    #[test]
    fn a_free_port_is_free() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }
}
