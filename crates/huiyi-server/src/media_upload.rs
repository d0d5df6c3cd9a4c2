//! `huiyi media upload`: sends a recording file to `POST /media/v1/recordings` in signed
//! chunks (`docs/recordings.md`), resuming where the server got to. The upload id comes from the
//! meeting and the file's contents, so running the command again after it was cut off resumes
//! the same upload instead of starting over.
//!
//! Output: `uploaded <bytes> bytes to session <tempConferenceId>: done, sha256 <hex>`.

use clap::Args;
use huiyi_wire::media::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER, UploadAnswer, UploadQuery};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct UploadArgs {
    #[command(flatten)]
    pub target: super::media_cli::Target,
    /// The booked meeting's conferenceId (digits): the recording is of its latest session.
    #[arg(long, value_name = "ID", value_parser = super::media_cli::parse_digits)]
    pub conference: String,
    /// For a recurring booking, the occurrence's original start (unix seconds).
    #[arg(long, value_name = "START")]
    pub occurrence: Option<i64>,
    /// Bytes per chunk.
    #[arg(long, value_name = "BYTES", default_value_t = 8 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub chunk_bytes: u64,
    /// The recording's length in seconds, if known.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub duration_secs: i64,
    /// The recording: an .mp4 or a .webm file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// How often a chunk is tried before the command gives up.
const TRIES: u32 = 6;

enum Sent {
    Answer(UploadAnswer),
    /// The server says the upload is elsewhere (52004): ask and go on from there.
    Elsewhere,
    Refused(String, String),
    Broken(String),
}

pub async fn run(args: UploadArgs, secret: SecretString, client: reqwest::Client) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return ExitCode::FAILURE;
        }
    };
    if bytes.is_empty() {
        eprintln!("error: {} is empty", args.file.display());
        return ExitCode::from(2);
    }
    let format = match args
        .file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("webm") => "webm",
        Some("mp4") | Some("m4v") => "mp4",
        _ => {
            eprintln!("error: give an .mp4 or a .webm file");
            return ExitCode::from(2);
        }
    };
    let digest = Sha256::digest(&bytes);
    let id_seed = format!(
        "{}:{}:{}",
        args.conference,
        args.occurrence.unwrap_or(0),
        hex::encode(digest)
    );
    let upload_id = format!(
        "cli-{}",
        &hex::encode(Sha256::digest(id_seed.as_bytes()))[..40]
    );
    let base = UploadQuery {
        upload_id,
        conference_id: args.conference.clone(),
        occurrence: args.occurrence,
        offset: None,
        total: bytes.len() as i64,
        format: format.to_owned(),
        duration_secs: args.duration_secs,
    };
    let server = args.target.server.trim_end_matches('/').to_owned();
    let post = async |offset: Option<i64>, body: Vec<u8>| -> Sent {
        let q = UploadQuery {
            offset,
            ..base.clone()
        };
        let target = format!("{}?{}", media::RECORDINGS_PATH, q.encode());
        let ts = huiyi_domain::time::now_unix().to_string();
        let sig = media::sign(
            secret.expose_secret().as_bytes(),
            &ts,
            &media::upload_message(&target, &body),
        );
        let sent = client
            .post(format!("{server}{target}"))
            .header(TIMESTAMP_HEADER, ts)
            .header(SIGNATURE_HEADER, sig)
            .body(body)
            .send()
            .await;
        let r = match sent {
            Ok(r) => r,
            Err(e) => return Sent::Broken(e.to_string()),
        };
        let http = r.status().as_u16();
        let env: serde_json::Value = match r.json().await {
            Ok(v) => v,
            Err(e) => {
                return Sent::Broken(format!("the answer (HTTP {http}) could not be read: {e}"));
            }
        };
        match env["status"].as_i64() {
            Some(0) => match serde_json::from_value(env["result"].clone()) {
                Ok(a) => Sent::Answer(a),
                Err(e) => Sent::Refused("0".into(), format!("unexpected answer: {e}")),
            },
            Some(52004) => Sent::Elsewhere,
            Some(s) => Sent::Refused(s.to_string(), env["msg"].as_str().unwrap_or("").to_owned()),
            None => Sent::Refused(http.to_string(), env.to_string()),
        }
    };
    let mut failures = 0u32;
    let mut at: Option<i64> = None;
    loop {
        // Where the server has got to, when not known from the last answer.
        let offset = match at {
            Some(o) => o,
            None => match post(None, Vec::new()).await {
                Sent::Answer(a) if a.state == "done" => return done(&a),
                Sent::Answer(a) if a.state == "failed" => {
                    eprintln!("error: the server gave this upload up as failed");
                    return ExitCode::FAILURE;
                }
                Sent::Answer(a) => a.received,
                Sent::Refused(status, msg) => {
                    eprintln!("error {status}: {msg}");
                    return ExitCode::FAILURE;
                }
                Sent::Elsewhere | Sent::Broken(_) if failures < TRIES => {
                    failures += 1;
                    tokio::time::sleep(Duration::from_millis(200 << failures)).await;
                    continue;
                }
                Sent::Elsewhere | Sent::Broken(_) => {
                    eprintln!("error: the server cannot be reached at {server}");
                    return ExitCode::FAILURE;
                }
            },
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let end = (start + args.chunk_bytes as usize).min(bytes.len());
        match post(Some(offset), bytes[start..end].to_vec()).await {
            Sent::Answer(a) if a.state == "done" => return done(&a),
            Sent::Answer(a) => {
                failures = 0;
                at = Some(a.received);
            }
            Sent::Refused(status, msg) => {
                eprintln!("error {status}: {msg}");
                return ExitCode::FAILURE;
            }
            Sent::Elsewhere => at = None,
            Sent::Broken(e) if failures < TRIES => {
                failures += 1;
                eprintln!("retrying after a failed chunk: {e}");
                tokio::time::sleep(Duration::from_millis(200 << failures)).await;
                at = None;
            }
            Sent::Broken(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
}

/// Prints the finished upload's line.
fn done(a: &UploadAnswer) -> ExitCode {
    println!(
        "uploaded {} bytes to session {}: done{}",
        a.total,
        a.temp_conference_id,
        a.sha256
            .as_deref()
            .map(|s| format!(", sha256 {s}"))
            .unwrap_or_default()
    );
    ExitCode::SUCCESS
}
