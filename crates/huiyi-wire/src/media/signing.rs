//! How a media server proves who it is: `x-huiyi-signature` is HMAC-SHA256 over the
//! `x-huiyi-timestamp` header followed by the body, with the shared media secret.

use crate::codes::{Code, WireError};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header carrying the unix time (seconds, decimal) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "x-huiyi-timestamp";
/// Header carrying `sha256=<hex HMAC-SHA256(secret, timestamp ++ body)>`.
pub const SIGNATURE_HEADER: &str = "x-huiyi-signature";
/// How far the timestamp may be from the server clock, either way.
pub const MAX_SKEW_SECS: i64 = 300;

const SIGNATURE_PREFIX: &str = "sha256=";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac
}

/// The signature header's value for `body` sent at `timestamp` (decimal unix seconds):
/// `sha256=` followed by the lowercase hex of HMAC-SHA256(secret, timestamp ++ body).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("{SIGNATURE_PREFIX}{}", hex::encode(tag))
}

/// Checks a media request: the timestamp header must be decimal unix seconds at most
/// [`MAX_SKEW_SECS`] from `now_unix`, and the signature header must be the HMAC of that
/// timestamp followed by the body (`sha256=<hex>` or bare hex, either case), compared in
/// constant time. An empty secret verifies nothing: [`Code::MediaDisabled`].
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), WireError> {
    if secret.is_empty() {
        return Err(WireError::new(
            Code::MediaDisabled,
            "the server has no media secret configured, so it takes no media events; set media_secret (HUIYI_MEDIA_SECRET)",
        ));
    }
    let timestamp = timestamp.ok_or_else(|| {
        WireError::new(
            Code::MediaTimestampRejected,
            format!(
                "the {TIMESTAMP_HEADER} header is missing; send the current unix time in seconds, and sign it together with the body"
            ),
        )
    })?;
    let at = parse_unix_seconds(timestamp).ok_or_else(|| {
        WireError::new(
            Code::MediaTimestampRejected,
            format!(
                "the {TIMESTAMP_HEADER} header is not unix seconds; send the current unix time as a decimal integer, e.g. 1700000000"
            ),
        )
    })?;
    let off = now_unix.abs_diff(at);
    if off > MAX_SKEW_SECS.unsigned_abs() {
        return Err(WireError::new(
            Code::MediaTimestampRejected,
            format!(
                "the {TIMESTAMP_HEADER} header is {off} seconds off the server clock (which reads {now_unix}); at most {MAX_SKEW_SECS} are accepted: sign each request when it is sent, and keep the media server's clock in sync (NTP)"
            ),
        ));
    }
    let signature = signature.ok_or_else(|| {
        WireError::new(
            Code::MediaSignatureRejected,
            format!(
                "the {SIGNATURE_HEADER} header is missing; send sha256=<hex of HMAC-SHA256(media secret, timestamp header + body)>"
            ),
        )
    })?;
    let tag = decode_signature(signature).ok_or_else(|| {
        WireError::new(
            Code::MediaSignatureRejected,
            format!(
                "the {SIGNATURE_HEADER} header is not sha256= followed by 64 hex digits; send the hex HMAC-SHA256 of the timestamp header followed by the body"
            ),
        )
    })?;
    mac(secret, timestamp, body).verify_slice(&tag).map_err(|_| {
        WireError::new(
            Code::MediaSignatureRejected,
            format!(
                "the {SIGNATURE_HEADER} header does not match: sign the {TIMESTAMP_HEADER} value followed by the exact body bytes with HMAC-SHA256, using the media secret the server is configured with"
            ),
        )
    })
}

fn parse_unix_seconds(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn decode_signature(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let hex_part = match s.get(..SIGNATURE_PREFIX.len()) {
        Some(p) if p.eq_ignore_ascii_case(SIGNATURE_PREFIX) => &s[SIGNATURE_PREFIX.len()..],
        _ => s,
    };
    if hex_part.len() != 64 {
        return None;
    }
    hex::decode(hex_part).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"secret";
    const NOW: i64 = 1_700_000_000;

    fn check(timestamp: Option<&str>, signature: Option<&str>, body: &[u8]) -> Result<(), Code> {
        verify(SECRET, timestamp, signature, body, NOW).map_err(|e| e.code)
    }

    #[test]
    fn a_known_vector() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"secret",b"1700000000{}",hashlib.sha256).hexdigest())'
        assert_eq!(
            sign(b"secret", "1700000000", b"{}"),
            "sha256=44ce8e0f7504556aeb153d9b759d97fc4cafca62b55071cd6609dcd5e1d77479"
        );
    }

    #[test]
    fn a_signed_request_verifies() {
        let body = br#"{"events":[]}"#;
        let sig = sign(SECRET, "1700000000", body);
        assert_eq!(check(Some("1700000000"), Some(&sig), body), Ok(()));
        // Bare hex, and upper case, are accepted too.
        let bare = sig.trim_start_matches("sha256=");
        assert_eq!(check(Some("1700000000"), Some(bare), body), Ok(()));
        let upper = sig.to_uppercase();
        assert_eq!(check(Some("1700000000"), Some(&upper), body), Ok(()));
        // Within the skew, either way.
        for ts in ["1699999700", "1700000300"] {
            let sig = sign(SECRET, ts, body);
            assert_eq!(check(Some(ts), Some(&sig), body), Ok(()), "{ts}");
        }
    }

    #[test]
    fn a_wrong_signature_is_rejected() {
        let body = br#"{"events":[]}"#;
        let ts = "1700000000";
        let wrong_secret = sign(b"other", ts, body);
        assert_eq!(
            check(Some(ts), Some(&wrong_secret), body),
            Err(Code::MediaSignatureRejected)
        );
        let sig = sign(SECRET, ts, body);
        assert_eq!(
            check(Some(ts), Some(&sig), br#"{"events":[1]}"#),
            Err(Code::MediaSignatureRejected),
            "tampered body"
        );
        // The timestamp is signed too: a replay under a fresh timestamp fails.
        assert_eq!(
            check(Some("1700000001"), Some(&sig), body),
            Err(Code::MediaSignatureRejected)
        );
        assert_eq!(
            check(Some(ts), None, body),
            Err(Code::MediaSignatureRejected)
        );
        for bad in [
            "",
            "sha256=",
            "sha256=abc",
            "md5=00",
            &format!("{}0", sig),
            "sha256=zz",
        ] {
            assert_eq!(
                check(Some(ts), Some(bad), body),
                Err(Code::MediaSignatureRejected),
                "{bad}"
            );
        }
        let e = verify(SECRET, Some(ts), Some(&wrong_secret), body, NOW).unwrap_err();
        assert!(
            !e.message.contains(&sig[7..]),
            "never echo the expected signature"
        );
    }

    #[test]
    fn a_bad_timestamp_is_rejected() {
        let body = b"{}";
        for ts in ["1699999699", "1700000301"] {
            let sig = sign(SECRET, ts, body);
            assert_eq!(
                check(Some(ts), Some(&sig), body),
                Err(Code::MediaTimestampRejected),
                "{ts}"
            );
        }
        let sig = sign(SECRET, "1700000000", body);
        assert_eq!(
            check(None, Some(&sig), body),
            Err(Code::MediaTimestampRejected)
        );
        assert_eq!(check(None, None, body), Err(Code::MediaTimestampRejected));
        for ts in [
            "",
            "abc",
            "1700000000.5",
            "-1700000000",
            "+1700000000",
            " 1700000000",
            "1700000000000000000000",
        ] {
            let sig = sign(SECRET, ts, body);
            assert_eq!(
                check(Some(ts), Some(&sig), body),
                Err(Code::MediaTimestampRejected),
                "{ts:?}"
            );
        }
    }

    #[test]
    fn an_empty_secret_verifies_nothing() {
        let sig = sign(b"", "1700000000", b"{}");
        let e = verify(b"", Some("1700000000"), Some(&sig), b"{}", NOW).unwrap_err();
        assert_eq!(e.code, Code::MediaDisabled);
    }
}
