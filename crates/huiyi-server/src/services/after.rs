//! After the meeting: recordings (uploads, listings, deletion, downloads) and reports.
//!
//! Links to what huiyi serves (the replay page, the file, the report) carry an expiry and an
//! HMAC over it, made with a key kept in the database so every replica signs alike. Links in
//! webhooks are made when the message is sent, not when it was queued, so a late delivery
//! never carries a link that has already run out.

use super::sessions::Sessions;
use crate::adapters::files::{self, Files};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use huiyi_domain::report::{Report, ReportInput};
use huiyi_domain::session::{Fact, Recording};
use huiyi_domain::{Booking, ConferenceId, Customer, UserId};
use huiyi_store::{HeldSession, NewUpload, Store, Upload, UploadState};
use huiyi_wire::Code;
use huiyi_wire::answers::{self, HeldLinks, ReportAnswer};
use huiyi_wire::media::{UploadAnswer, UploadQuery};
use huiyi_wire::requests::{RecordsDeleteRequest, ReplayRequest};
use mini_moka::sync::Cache;
use sha2::Sha256;
use std::sync::Arc;
use tokio::sync::OnceCell;

type HmacSha256 = Hmac<Sha256>;

/// What a signed link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Replay,
    File,
    Report,
}

impl LinkKind {
    fn tag(self) -> &'static str {
        match self {
            LinkKind::Replay => "replay",
            LinkKind::File => "file",
            LinkKind::Report => "report",
        }
    }
}

/// Why a link is not honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Not a link this server made (or altered).
    Forged,
    Expired,
    /// The session or its file is gone (deleted).
    Gone,
}

/// A held session with the booking seen as the meeting it ran (an occurrence, for a series).
pub struct Held {
    pub view: Booking,
    pub held: HeldSession,
}

impl Held {
    fn of(held: HeldSession) -> Self {
        let occurrence = held.session.occurrence;
        let view = match held.booking.occurrence(occurrence) {
            Some(o) if held.booking.series.is_some() => held.booking.as_occurrence(&o),
            _ => held.booking.clone(),
        };
        Held { view, held }
    }

    /// The recording to list: the latest not deleted.
    pub fn recording(&self) -> Option<&Recording> {
        self.held.recording().map(|r| &r.recording)
    }
}

#[derive(Clone)]
pub struct After {
    store: Arc<dyn Store>,
    files: Files,
    sessions: Sessions,
    config: Arc<Config>,
    clock: Clock,
    key: Arc<OnceCell<Vec<u8>>>,
    /// Reports of ended sessions, by session, with the facts they were computed from.
    reports: Cache<i64, Arc<CachedReport>>,
}

/// A report as answered, and the fact stamp (`RecordingStore::fact_stamp`) it is current for.
pub struct CachedReport {
    stamp: (i64, i64),
    pub answer: ReportAnswer,
}

/// Facts the report cache holds at most, summed over its reports (about 100 MB of answers).
const REPORT_CACHE_FACTS: u64 = 1_000_000;

impl After {
    pub fn new(
        store: Arc<dyn Store>,
        files: Files,
        sessions: Sessions,
        config: Arc<Config>,
        clock: Clock,
    ) -> Self {
        After {
            store,
            files,
            sessions,
            config,
            clock,
            key: Arc::default(),
            reports: Cache::builder()
                .weigher(|_, r: &Arc<CachedReport>| {
                    u32::try_from(r.stamp.0.max(1)).unwrap_or(u32::MAX)
                })
                .max_capacity(REPORT_CACHE_FACTS)
                .build(),
        }
    }

    pub fn files(&self) -> &Files {
        &self.files
    }

    async fn key(&self) -> ApiResult<&[u8]> {
        let key = self
            .key
            .get_or_try_init(|| async {
                let fresh: [u8; 32] = rand::random();
                self.store.link_key(&fresh).await
            })
            .await?;
        Ok(key)
    }

    fn mac(key: &[u8], kind: LinkKind, temp: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(format!("{}\n{temp}\n{expires}", kind.tag()).as_bytes());
        mac
    }

    /// `?e=<expiry>&s=<signature>` for a link to `kind` of session `temp`.
    async fn sign(&self, kind: LinkKind, temp: &str) -> ApiResult<String> {
        let ttl = i64::try_from(self.config.link_ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let expires = self.clock.now().saturating_add(ttl);
        let tag = Self::mac(self.key().await?, kind, temp, expires)
            .finalize()
            .into_bytes();
        Ok(format!("e={expires}&s={}", URL_SAFE_NO_PAD.encode(tag)))
    }

    /// Checks a link's expiry and signature (in constant time).
    pub async fn check(
        &self,
        kind: LinkKind,
        temp: &str,
        expires: Option<&str>,
        signature: Option<&str>,
    ) -> ApiResult<Result<(), LinkRefusal>> {
        let (Some(e), Some(s)) = (expires, signature) else {
            return Ok(Err(LinkRefusal::Forged));
        };
        let (Ok(expires), Ok(tag)) = (e.parse::<i64>(), URL_SAFE_NO_PAD.decode(s)) else {
            return Ok(Err(LinkRefusal::Forged));
        };
        if Self::mac(self.key().await?, kind, temp, expires)
            .verify_slice(&tag)
            .is_err()
        {
            return Ok(Err(LinkRefusal::Forged));
        }
        if expires < self.clock.now() {
            return Ok(Err(LinkRefusal::Expired));
        }
        Ok(Ok(()))
    }

    /// The links of a held session, valid for the configured time from now.
    pub async fn links(&self, h: &Held) -> ApiResult<HeldLinks> {
        let temp = h.held.session.temp_conference_id.as_str();
        let base = &self.config.public_url;
        let report = format!(
            "{base}/reports/{temp}?{}",
            self.sign(LinkKind::Report, temp).await?
        );
        let Some(r) = h.recording() else {
            return Ok(HeldLinks {
                report,
                ..HeldLinks::default()
            });
        };
        let name = download_name(&h.view, h.held.session.opened_ms, &r.format);
        let name = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
        Ok(HeldLinks {
            replay: format!(
                "{base}/replay/{temp}?{}",
                self.sign(LinkKind::Replay, temp).await?
            ),
            download: format!(
                "{base}/files/{temp}/{name}?{}",
                self.sign(LinkKind::File, temp).await?
            ),
            report,
        })
    }

    /// A `recording.ready` or `report.ready` body with its links made now (valid for
    /// `link_ttl` from this moment); `None` when it names no session that still exists.
    pub async fn fill_links(&self, body: &str) -> Option<String> {
        let mut v: serde_json::Value = serde_json::from_str(body).ok()?;
        let temp = v["data"]["tempConferenceId"].as_str()?.to_owned();
        let h = match self.held(&temp).await {
            Ok(h) => h?,
            Err(e) => {
                tracing::warn!(error = %e.message, "links for a webhook could not be made");
                return None;
            }
        };
        let links = self.links(&h).await.ok()?;
        let data = v.get_mut("data")?.as_object_mut()?;
        if data.contains_key("replayUrl") {
            data.insert("replayUrl".into(), links.replay.into());
            data.insert("downloadUrl".into(), links.download.into());
        }
        data.insert("reportUrl".into(), links.report.into());
        Some(v.to_string())
    }

    /// A session by its id, ended or not, for a link already checked.
    pub async fn held(&self, temp: &str) -> ApiResult<Option<Held>> {
        Ok(self.store.held_session(None, temp).await?.map(Held::of))
    }

    /// 9: the ended sessions of these hosts' bookings over the dates asked for, by email.
    pub async fn replay_list(
        &self,
        customer: &Customer,
        req: &ReplayRequest,
    ) -> ApiResult<Vec<(String, Vec<Held>)>> {
        let zone = customer.zone;
        let (from, to) = match req.dates {
            Some(d) => d,
            None => {
                let today = zone.date(self.clock.now());
                let d = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d")
                    .map_err(|_| ApiError::new(Code::Internal, "today has no date"))?;
                (d, d)
            }
        };
        let midnight = |d: chrono::NaiveDate| {
            zone.instant(d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .or_else(|| zone.instant(d.and_hms_opt(1, 0, 0).unwrap_or_default()))
                .unwrap_or_default()
        };
        let from_ms = midnight(from) * 1000;
        let to_ms = midnight(to.succ_opt().unwrap_or(to)) * 1000;
        let mut hosts: Vec<(String, UserId)> = Vec::new();
        for email in &req.emails {
            if let Some(u) = self.store.user_by_email(customer.key, email).await? {
                hosts.push((email.clone(), u.user_id));
            }
        }
        let ids: Vec<UserId> = hosts.iter().map(|(_, u)| *u).collect();
        let sessions = self
            .store
            .ended_sessions(customer.key, &ids, from_ms, to_ms)
            .await?;
        let mut out: Vec<(String, Vec<Held>)> =
            hosts.iter().map(|(e, _)| (e.clone(), Vec::new())).collect();
        for s in sessions {
            if let Some(i) = hosts.iter().position(|(_, u)| *u == s.booking.host) {
                out[i].1.push(Held::of(s));
            }
        }
        Ok(out)
    }

    /// 19: the booking's session that ended last.
    pub async fn replay_by_id(&self, customer: &Customer, conference_id: &str) -> ApiResult<Held> {
        let booking = self.booking(customer, conference_id).await?;
        self.store
            .latest_ended_session(customer.key, booking.event_id)
            .await?
            .map(Held::of)
            .ok_or_else(|| not_held(conference_id))
    }

    async fn booking(&self, customer: &Customer, conference_id: &str) -> ApiResult<Booking> {
        let missing = || ApiError::conference_not_found(conference_id);
        let id = ConferenceId::parse(conference_id).map_err(|_| missing())?;
        self.store
            .booking(customer.key, &id)
            .await?
            .ok_or_else(missing)
    }

    /// 10: the report of the booking's latest ended session, or of the one named.
    pub async fn report_of(
        &self,
        customer: &Customer,
        conference_id: &str,
        temp: Option<&str>,
    ) -> ApiResult<Arc<CachedReport>> {
        let booking = self.booking(customer, conference_id).await?;
        let held = match temp {
            Some(t) => self
                .store
                .held_session(Some(customer.key), t)
                .await?
                .filter(|h| h.booking.event_id == booking.event_id)
                .map(Held::of)
                .ok_or_else(|| {
                    ApiError::conference_not_found(format!("{conference_id} (session {t})"))
                })?,
            None => self.replay_by_id(customer, conference_id).await?,
        };
        self.report_answer(&held).await
    }

    /// The report of a held session as answered. A report is computed from the session's facts;
    /// once the session has ended it is kept, and answered again while no fact has been added
    /// (a late fact, say a leave recorded after the end, makes it computed afresh). A running
    /// session's report changes with the clock, so it is always computed.
    pub async fn report_answer(&self, h: &Held) -> ApiResult<Arc<CachedReport>> {
        let id = h.held.session.id;
        let ended = h.held.session.closed_ms.is_some();
        let stamp = self.store.fact_stamp(id).await?;
        if ended
            && let Some(hit) = self.reports.get(&id)
            && hit.stamp == stamp
        {
            return Ok(hit);
        }
        let report = self.report(h).await?;
        let fresh = Arc::new(CachedReport {
            stamp,
            answer: answers::report(&report, h.view.zone),
        });
        if ended {
            self.reports.insert(id, fresh.clone());
        }
        Ok(fresh)
    }

    /// The report of a held session, from its facts.
    pub async fn report(&self, h: &Held) -> ApiResult<Report> {
        let facts = self.store.session_facts(h.held.session.id).await?;
        let facts: Vec<(i64, Fact)> = facts.into_iter().map(|f| (f.at_ms, f.fact)).collect();
        Ok(Report::compute(&ReportInput {
            title: &h.view.title,
            opened_ms: h.held.session.opened_ms,
            closed_ms: h.held.session.closed_ms,
            now_ms: self.clock.now_ms(),
            invitees: &h.view.invitees,
            facts: &facts,
        }))
    }

    /// 12: deletes the recordings of the host's sessions named, files too.
    pub async fn delete(&self, customer: &Customer, req: &RecordsDeleteRequest) -> ApiResult<()> {
        let host = UserId::new(req.user_id)
            .ok_or_else(|| ApiError::invalid("userId must be a positive integer"))?;
        if self.store.user(customer.key, host).await?.is_none() {
            return Err(ApiError::host_not_found(req.user_id));
        }
        let deleted = self
            .store
            .delete_recordings(
                customer.key,
                host,
                &req.temp_conference_ids,
                self.clock.now_ms(),
            )
            .await?;
        for r in deleted {
            if let Some(key) = r.recording.location.strip_prefix(files::KEPT)
                && let Err(e) = self.files.delete(key).await
            {
                // The row says deleted, so the file is no longer served; log to clean up.
                tracing::error!(recording = r.id, error = %e, "a deleted recording's file could not be removed");
            }
        }
        Ok(())
    }

    /// One request of `POST /media/v1/recordings`: a chunk (or, without `offset`, a question
    /// about the upload's progress).
    pub async fn upload(&self, q: &UploadQuery, body: Bytes) -> ApiResult<UploadAnswer> {
        let now_ms = self.clock.now_ms();
        let upload = match self.store.upload(&q.upload_id).await? {
            Some(u) => u,
            None => self.begin(q, now_ms).await?,
        };
        if upload.total_bytes != q.total {
            return Err(ApiError::invalid(format!(
                "upload {} is of {} bytes, not {}: an uploadId names one file",
                q.upload_id, upload.total_bytes, q.total
            )));
        }
        let upload = match (upload.state, q.offset) {
            (UploadState::Receiving, Some(offset)) => {
                self.chunk(upload, offset, body, now_ms).await?
            }
            _ => upload,
        };
        let (upload, done) = match upload.state {
            UploadState::Receiving if upload.is_complete() => {
                let done = self.finish(&upload).await?;
                // Putting it together settled it (done, or failed): answer its state now.
                let settled = self.store.upload(&q.upload_id).await?;
                (settled.unwrap_or(upload), done)
            }
            _ => (upload, None),
        };
        Ok(UploadAnswer {
            upload_id: upload.upload_id,
            temp_conference_id: upload.temp_conference_id,
            received: upload.received_bytes,
            total: upload.total_bytes,
            state: upload.state.as_str().to_owned(),
            sha256: done,
        })
    }

    async fn begin(&self, q: &UploadQuery, now_ms: i64) -> ApiResult<Upload> {
        let missing = || ApiError::conference_not_found(&q.conference_id);
        let id = ConferenceId::parse(&q.conference_id).map_err(|_| missing())?;
        let booking = self
            .store
            .booking_anywhere(&id)
            .await?
            .ok_or_else(missing)?;
        let session = self
            .store
            .latest_sessions(&[booking.event_id])
            .await?
            .into_iter()
            .filter(|s| q.occurrence.is_none_or(|o| s.occurrence == o))
            .max_by_key(|s| s.id)
            .ok_or_else(|| {
                ApiError::new(
                    Code::NoSession,
                    format!(
                        "conference {} has had no session{} to attach a recording to",
                        q.conference_id,
                        q.occurrence
                            .map(|o| format!(" in occurrence {o}"))
                            .unwrap_or_default()
                    ),
                )
            })?;
        Ok(self
            .store
            .begin_upload(&NewUpload {
                upload_id: q.upload_id.clone(),
                customer: booking.customer,
                session_id: session.id,
                temp_conference_id: session.temp_conference_id.to_string(),
                total_bytes: q.total,
                format: q.format.clone(),
                duration_secs: q.duration_secs,
                now_ms,
            })
            .await?)
    }

    async fn chunk(&self, u: Upload, offset: i64, body: Bytes, now_ms: i64) -> ApiResult<Upload> {
        let len = body.len() as i64;
        let mismatch = |received: i64| {
            ApiError::new(
                Code::UploadOffset,
                format!(
                    "upload {} has {received} of {} bytes: send the chunk that starts at offset {received}",
                    u.upload_id, u.total_bytes
                ),
            )
        };
        if offset != u.received_bytes {
            return Err(mismatch(u.received_bytes));
        }
        if len == 0 {
            return Ok(u);
        }
        if offset + len > u.total_bytes {
            return Err(ApiError::invalid(format!(
                "the chunk ends at byte {}, past the end of the file ({} bytes)",
                offset + len,
                u.total_bytes
            )));
        }
        self.files
            .put(&Files::chunk_key(&u.upload_id, offset), body)
            .await
            .map_err(files_error)?;
        match self
            .store
            .add_chunk(&u.upload_id, offset, len, now_ms)
            .await?
        {
            Some(u) => Ok(u),
            None => {
                let now = self.store.upload(&u.upload_id).await?;
                Err(mismatch(now.map_or(0, |n| n.received_bytes)))
            }
        }
    }

    /// Puts a complete upload together, records its `recording.produced`, and deletes its
    /// chunks. Safe to repeat (after a crash): the file is rewritten, the fact is recorded once.
    pub async fn finish(&self, u: &Upload) -> ApiResult<Option<String>> {
        let Some(h) = self.held(&u.temp_conference_id).await? else {
            return Ok(None);
        };
        let chunks: Vec<String> = u
            .chunks
            .iter()
            .map(|o| Files::chunk_key(&u.upload_id, *o))
            .collect();
        let key = Files::recording_key(&u.temp_conference_id, &u.upload_id, &u.format);
        let (size, sha) = self
            .files
            .assemble(&chunks, &key)
            .await
            .map_err(|e| {
                tracing::error!(upload = %u.upload_id, error = %e, "an upload could not be put together");
                ApiError::new(
                    Code::Internal,
                    "the recording could not be put together from its chunks; retry the last chunk",
                )
            })?;
        if size != u.total_bytes as u64 {
            tracing::error!(upload = %u.upload_id, size, total = u.total_bytes, "an upload's chunks do not add up");
            self.fail(u).await?;
            return Ok(None);
        }
        let fact = Fact::RecordingProduced {
            recording: Recording {
                location: format!("{}{key}", files::KEPT),
                size_bytes: u.total_bytes,
                duration_secs: u.duration_secs,
                format: u.format.clone(),
            },
        };
        self.sessions
            .record_one(
                &h.view,
                h.held.session.occurrence,
                format!("upload:{}", u.upload_id),
                self.clock.now_ms(),
                fact,
            )
            .await?;
        self.store
            .settle_upload(&u.upload_id, UploadState::Done, self.clock.now_ms())
            .await?;
        self.drop_chunks(u, &chunks).await;
        Ok(Some(sha))
    }

    async fn fail(&self, u: &Upload) -> ApiResult<()> {
        self.store
            .settle_upload(&u.upload_id, UploadState::Failed, self.clock.now_ms())
            .await?;
        let chunks: Vec<String> = u
            .chunks
            .iter()
            .map(|o| Files::chunk_key(&u.upload_id, *o))
            .collect();
        self.drop_chunks(u, &chunks).await;
        Ok(())
    }

    async fn drop_chunks(&self, u: &Upload, chunks: &[String]) {
        for c in chunks {
            if let Err(e) = self.files.delete(c).await {
                tracing::warn!(upload = %u.upload_id, error = %e, "an upload chunk could not be removed");
            }
        }
    }

    /// The upload worker's round: uploads that have all their bytes but were not put together
    /// (the server stopped in between) are finished; those quiet for longer than
    /// `upload_idle` are given up as failed. Answers (finished, failed).
    pub async fn sweep_uploads(&self) -> ApiResult<(usize, usize)> {
        let now = self.clock.now_ms();
        let idle_ms = i64::try_from(self.config.upload_idle.as_millis()).unwrap_or(i64::MAX / 2);
        let quiet = self
            .store
            .idle_uploads(now - SETTLE_MS.min(idle_ms), 100)
            .await?;
        let (mut finished, mut failed) = (0, 0);
        for u in quiet {
            let given_up = u.updated_ms <= now - idle_ms;
            if u.is_complete() {
                // One upload that cannot be put together (a chunk lost from the store) must not
                // hold up the others: it is tried again each round, and given up on with the
                // quiet ones.
                match self.finish(&u).await {
                    Ok(Some(_)) => {
                        finished += 1;
                        continue;
                    }
                    Ok(None) => continue,
                    Err(e) if !given_up => {
                        tracing::warn!(upload = %u.upload_id, error = %e.message, "a complete upload could not be put together; trying again next round");
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(upload = %u.upload_id, error = %e.message, "a complete upload could not be put together and is given up");
                    }
                }
            } else if !given_up {
                continue;
            } else {
                tracing::warn!(upload = %u.upload_id, received = u.received_bytes, total = u.total_bytes, "a recording upload went quiet and is given up");
            }
            self.fail(&u).await?;
            failed += 1;
        }
        Ok((finished, failed))
    }
}

/// An upload that has all its bytes and has not been touched for this long is finished by the
/// worker (its own request, had it still been running, would have done it by then).
const SETTLE_MS: i64 = 30_000;

fn not_held(conference_id: &str) -> ApiError {
    ApiError::new(
        Code::NoSession,
        format!("conference {conference_id} has no ended session yet: it has not been held"),
    )
}

fn files_error(e: object_store::Error) -> ApiError {
    tracing::error!(error = %e, "the recording store failed");
    ApiError::new(
        Code::Internal,
        "the recording store failed; retry the chunk",
    )
}

/// The file name a download is offered under: `<title>_<YYYYmmddHHMMSS>.<format>`, as the
/// vendor names its files, with characters no file system takes replaced.
pub fn download_name(view: &Booking, opened_ms: i64, format: &str) -> String {
    let stamp: String = view
        .zone
        .format(opened_ms.div_euclid(1000))
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let title: String = view
        .title
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("{title}_{stamp}.{format}")
}
