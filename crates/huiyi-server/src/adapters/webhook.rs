//! Sending one signed message over HTTP: Standard Webhooks headers, a 15-second timeout
//! (`webhook_timeout_ms`),
//! rustls for HTTPS, no redirects and no proxy, and a guard against server-side request
//! forgery: the addresses a URL names or resolves to must be public unless the operator allows
//! private ones (`webhook_allow_private`).
//!
//! What an answer means for the message (delivered, retried, failed, endpoint gone) is decided
//! here too, since it depends on the answer alone; when to retry is the schedule's.

use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use hmac::{Hmac, Mac};
use huiyi_domain::delivery::is_public_address;
use huiyi_store::{Attempt, ClaimedMessage, Signing};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one attempt may take by default, connection and answer together.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// The longest error excerpt kept in the delivery log.
const EXCERPT_CHARS: usize = 300;
/// The longest `Retry-After` honoured: a day (the schedule goes on after it).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the base64-decoded part of the
/// `whsec_` secret. `None` for a secret that is not of that form.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = BASE64_STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        BASE64_STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` value: one signature per secret in use, separated by spaces
/// (during a rotation both the new and the old secret sign).
pub fn signature_header(s: &Signing, msg_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut parts = vec![sign(&s.current, msg_id, timestamp, body)?];
    if let Some(old) = &s.previous {
        parts.extend(sign(old, msg_id, timestamp, body));
    }
    Some(parts.join(" "))
}

/// What an attempt's answer means for its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again; at the time the receiver asked for (`Retry-After`), if it did.
    Retry {
        after: Option<Duration>,
    },
    /// Trying again cannot help (the URL is not one huiyi may or can send to).
    Failed,
    /// `410 Gone`: the endpoint does not want more.
    Gone,
}

/// An attempt and what it means.
#[derive(Debug, Clone)]
pub struct Sent {
    pub attempt: Attempt,
    pub verdict: Verdict,
}

/// Resolves names as the system does, then keeps only addresses messages may go to.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public_address(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused(format!(
                    "{host} resolves only to private, loopback or link-local addresses, which \
                     webhooks may not reach (set webhook_allow_private to allow them)"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// A URL messages can be sent to at all: http or https, with a host. Whether its address is
/// allowed is decided when a message goes out.
pub fn parse_target(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "{url:?}: only http and https URLs receive webhooks"
        ));
    }
    if parsed.host().is_none() {
        return Err(format!("{url:?} names no host"));
    }
    Ok(parsed)
}

/// Sends messages. Cheap to clone.
#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    allow_private: bool,
}

impl WebhookSender {
    pub fn new(allow_private: bool, timeout: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .user_agent(concat!("huiyi-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the webhook HTTP client: {e}"))?;
        Ok(Self {
            client,
            allow_private,
        })
    }

    /// Checks a URL before any request: http or https, a host, and (when the host is an IP
    /// address, which no resolver sees) a public one.
    fn check(&self, url: &str) -> Result<reqwest::Url, String> {
        let parsed = parse_target(url)?;
        let ip = match parsed.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) | None => None,
        };
        if let Some(ip) = ip
            && !self.allow_private
            && !is_public_address(ip)
        {
            return Err(format!(
                "{ip} is a private, loopback or link-local address, which webhooks may not \
                 reach (set webhook_allow_private to allow it)"
            ));
        }
        Ok(parsed)
    }

    /// One attempt at `m`, signed at `now_unix`.
    pub async fn send(&self, m: &ClaimedMessage, now_ms: i64) -> Sent {
        let started = Instant::now();
        let failed = |error: String, verdict: Verdict| Sent {
            attempt: Attempt {
                at_ms: now_ms,
                status: None,
                latency_ms: 0,
                error: Some(excerpt(&error)),
            },
            verdict,
        };
        let url = match self.check(&m.url) {
            Ok(u) => u,
            Err(e) => return failed(e, Verdict::Failed),
        };
        let timestamp = now_ms.div_euclid(1000);
        let Some(signature) = signature_header(&m.signing, &m.msg_id, timestamp, m.body.as_bytes())
        else {
            return failed(
                "the signing secret is not a whsec_ secret; rotate it".into(),
                Verdict::Failed,
            );
        };
        let result = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ID_HEADER, m.msg_id.as_str())
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(m.body.clone())
            .send()
            .await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match result {
            Ok(r) => {
                let status = r.status();
                let retry_after = retry_after(r.headers(), now_ms);
                let (verdict, error) = if status.is_success() {
                    (Verdict::Delivered, None)
                } else {
                    // The start of the answer says what went wrong.
                    let text = r.text().await.unwrap_or_default();
                    let error = Some(excerpt(&format!("HTTP {status}: {text}")));
                    if status == reqwest::StatusCode::GONE {
                        (Verdict::Gone, error)
                    } else {
                        (Verdict::Retry { after: retry_after }, error)
                    }
                };
                Sent {
                    attempt: Attempt {
                        at_ms: now_ms,
                        status: Some(status.as_u16()),
                        latency_ms,
                        error,
                    },
                    verdict,
                }
            }
            Err(e) => {
                // A URL may carry a token of the receiver's: it stays out of logs.
                let e = e.without_url();
                let mut text = e.to_string();
                let mut refused = false;
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    refused |= s.downcast_ref::<Refused>().is_some();
                    text.push_str(": ");
                    text.push_str(&s.to_string());
                    source = s.source();
                }
                Sent {
                    attempt: Attempt {
                        at_ms: now_ms,
                        status: None,
                        latency_ms,
                        error: Some(excerpt(&text)),
                    },
                    // A name that resolves only to private addresses is refused as an address
                    // is: retrying would only repeat the refusal.
                    verdict: if refused {
                        Verdict::Failed
                    } else {
                        Verdict::Retry { after: None }
                    },
                }
            }
        }
    }
}

/// `Retry-After` as seconds or an HTTP date, at most [`MAX_RETRY_AFTER`].
fn retry_after(headers: &reqwest::header::HeaderMap, now_ms: i64) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let after = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(v).ok()?;
            let now = std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(now_ms).ok()?);
            at.duration_since(now).unwrap_or_default()
        }
    };
    Some(after.min(MAX_RETRY_AFTER))
}

pub(crate) fn excerpt(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(EXCERPT_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("whsec_not base64!", "m", 1, b""), None);
    }

    #[test]
    fn a_rotation_sends_both_signatures() {
        let s = Signing {
            current: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            previous: Some("whsec_dGVzdC1rZXktYnl0ZXM=".into()),
        };
        let h = signature_header(&s, "msg_1", 5, b"{}").unwrap();
        let parts: Vec<&str> = h.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.starts_with("v1,")));
        assert_ne!(parts[0], parts[1]);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_bounded() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "120".parse().unwrap());
        assert_eq!(retry_after(&h, 0), Some(Duration::from_secs(120)));
        h.insert(
            "retry-after",
            "Thu, 01 Jan 1970 00:10:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, 60_000), Some(Duration::from_secs(540)));
        h.insert("retry-after", "99999999".parse().unwrap());
        assert_eq!(retry_after(&h, 0), Some(MAX_RETRY_AFTER));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h, 0), None);
    }

    #[test]
    fn urls_are_checked_before_sending() {
        let strict = WebhookSender::new(false, TIMEOUT).unwrap();
        for bad in [
            "ftp://example.com/x",
            "not a url",
            "http://127.0.0.1:9/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5/hook",
        ] {
            assert!(strict.check(bad).is_err(), "{bad}");
        }
        assert!(strict.check("https://example.com/hook").is_ok());
        let open = WebhookSender::new(true, TIMEOUT).unwrap();
        assert!(open.check("http://127.0.0.1:9/x").is_ok());
    }
}
