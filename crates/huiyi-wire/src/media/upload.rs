//! Recording uploads, `POST /media/v1/recordings` (`docs/recordings.md`): chunked and resumable.
//!
//! Every request carries the upload's parameters in its query and one chunk as its body, and is
//! signed like media events, except that the signed message also holds the request target:
//! `HMAC-SHA256(secret, timestamp ++ path-and-query ++ body)`, so a captured chunk cannot be
//! replayed at another offset or into another upload.

use crate::codes::WireError;
use serde::{Deserialize, Serialize};

/// The path uploads are posted to.
pub const RECORDINGS_PATH: &str = "/media/v1/recordings";
/// The formats a recording may have.
pub const FORMATS: [&str; 2] = ["mp4", "webm"];
/// The longest upload id.
pub const MAX_UPLOAD_ID_CHARS: usize = 64;

/// The message an upload request's signature covers: the request target, then the body.
pub fn upload_message(path_and_query: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(path_and_query.len() + body.len());
    m.extend_from_slice(path_and_query.as_bytes());
    m.extend_from_slice(body);
    m
}

/// The query of one upload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadQuery {
    /// The uploader's id for this upload, the same on every request of it (1–64 of
    /// `A-Z a-z 0-9 - _`).
    pub upload_id: String,
    /// The booking whose latest session (of `occurrence`, for a series) the recording is of.
    pub conference_id: String,
    pub occurrence: Option<i64>,
    /// Where this chunk starts. Absent: no chunk, just the upload's progress.
    pub offset: Option<i64>,
    /// The whole file's size.
    pub total: i64,
    pub format: String,
    pub duration_secs: i64,
}

impl UploadQuery {
    pub fn parse(query: Option<&str>) -> Result<Self, WireError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|_| WireError::invalid("the query string is not form-encoded"))?;
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let int = |k: &str| -> Result<Option<i64>, WireError> {
            get(k)
                .map(|v| {
                    v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                        WireError::invalid(format!(
                            "{k} must be a whole number of 0 or more; got {v:?}"
                        ))
                    })
                })
                .transpose()
        };
        let upload_id = get("uploadId")
            .ok_or_else(|| WireError::invalid("uploadId is required: your id for this upload"))?;
        if upload_id.len() > MAX_UPLOAD_ID_CHARS
            || !upload_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(WireError::invalid(format!(
                "uploadId must be 1 to {MAX_UPLOAD_ID_CHARS} of A-Z, a-z, 0-9, - and _"
            )));
        }
        let conference_id = get("conferenceId")
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| WireError::invalid("conferenceId (digits) is required"))?;
        let total = int("total")?.filter(|t| *t > 0).ok_or_else(|| {
            WireError::invalid("total (the file's size in bytes, > 0) is required")
        })?;
        let format = get("format")
            .unwrap_or_else(|| "mp4".to_owned())
            .to_lowercase();
        if !FORMATS.contains(&format.as_str()) {
            return Err(WireError::invalid(format!(
                "format must be one of {}; got {format:?}",
                FORMATS.join(", ")
            )));
        }
        let offset = int("offset")?;
        if offset.is_some_and(|o| o > total) {
            return Err(WireError::invalid(format!(
                "offset lies beyond the end of the file ({total} bytes)"
            )));
        }
        Ok(Self {
            upload_id,
            conference_id,
            occurrence: int("occurrence")?,
            offset,
            total,
            format,
            duration_secs: int("durationSecs")?.unwrap_or(0),
        })
    }

    /// The query string of these parameters (what the `huiyi media upload` command sends).
    pub fn encode(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("uploadId", self.upload_id.clone()),
            ("conferenceId", self.conference_id.clone()),
            ("total", self.total.to_string()),
            ("format", self.format.clone()),
            ("durationSecs", self.duration_secs.to_string()),
        ];
        if let Some(o) = self.occurrence {
            pairs.push(("occurrence", o.to_string()));
        }
        if let Some(o) = self.offset {
            pairs.push(("offset", o.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// What the server answers an upload request with (the envelope's `result`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadAnswer {
    pub upload_id: String,
    pub temp_conference_id: String,
    /// Bytes stored so far: the offset of the next chunk.
    pub received: i64,
    pub total: i64,
    /// `receiving`, `done` (the recording is listed) or `failed`.
    pub state: String,
    /// Where the recording is kept, once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_round_trip_and_refuse_bad_values() {
        let q = UploadQuery::parse(Some(
            "uploadId=u-1&conferenceId=123456789&offset=0&total=10&format=MP4",
        ))
        .unwrap();
        assert_eq!(q.format, "mp4");
        assert_eq!(q.offset, Some(0));
        assert_eq!(UploadQuery::parse(Some(&q.encode())).unwrap(), q);
        for bad in [
            "conferenceId=1&total=1",
            "uploadId=a/b&conferenceId=1&total=1",
            "uploadId=a&conferenceId=x&total=1",
            "uploadId=a&conferenceId=1&total=0",
            "uploadId=a&conferenceId=1&total=5&offset=6",
            "uploadId=a&conferenceId=1&total=5&format=avi",
            "uploadId=a&conferenceId=1&total=5&offset=-1",
        ] {
            assert!(UploadQuery::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
