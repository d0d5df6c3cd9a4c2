//! The real `huiyi` binary, started as a child process.

use std::process::{Child, Command, Output, Stdio};

pub fn huiyi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_huiyi"));
    c.env_remove("HUIYI_LISTEN")
        .env_remove("HUIYI_DATABASE_URL")
        .env_remove("HUIYI_PUBLIC_URL")
        .env_remove("HUIYI_MEDIA_SECRET")
        .env_remove("HUIYI_SESSION_GRACE_SECS")
        .env_remove("HUIYI_CONFIG")
        .env(
            "HUIYI_RECORDINGS_DIR",
            std::env::temp_dir().join("huiyi-test-recordings"),
        )
        .env("RUST_LOG", "warn");
    c
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start_server(database: &str, extra: &[&str]) -> Server {
    start_server_env(database, extra, &[]).await
}

/// As [`start_server`], with environment variables of its own.
pub async fn start_server_env(database: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let child = huiyi()
        .envs(env.iter().copied())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            database,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    super::wait_ready(&reqwest::Client::new(), &url).await;
    Server { child, url }
}

/// Asserts the command succeeded (showing what it wrote to stderr if not); its stdout.
pub fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts the command failed (showing its stdout if not); what it wrote to stderr.
pub fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}
