//! After the meeting: the sessions that have ended, the recording files each produced, the
//! uploads that bring those files to huiyi, and the key that signs their download links.
//!
//! A recording row is written by the transaction that records its `recording.produced` fact
//! (`SessionStore::record_facts`), so a recording is listed exactly when its fact is stored.

use crate::StoreResult;
use async_trait::async_trait;
use huiyi_domain::session::Recording;
use huiyi_domain::{Booking, CustomerKey, EventId, SessionState, UserId};

/// A session with the booking it ran (the stored booking: a series as a whole) and its
/// recordings, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldSession {
    pub booking: Booking,
    pub session: SessionState,
    pub recordings: Vec<RecordingFile>,
    /// An upload of a recording of this session is still arriving.
    pub uploading: bool,
}

impl HeldSession {
    /// The recording lists show: the latest one not deleted.
    pub fn recording(&self) -> Option<&RecordingFile> {
        self.recordings
            .iter()
            .rev()
            .find(|r| r.deleted_ms.is_none())
    }
}

/// A recording as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingFile {
    pub id: i64,
    pub session_id: i64,
    pub recording: Recording,
    pub produced_ms: i64,
    /// When `recordsDelete` removed it.
    pub deleted_ms: Option<i64>,
}

/// An upload to start (or to find, when its id is known already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    /// The uploader's id for the upload, the same on every retry.
    pub upload_id: String,
    pub customer: CustomerKey,
    pub session_id: i64,
    pub temp_conference_id: String,
    pub total_bytes: i64,
    pub format: String,
    pub duration_secs: i64,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// Chunks are arriving (or all have, and the file is being put together).
    Receiving,
    /// The file is complete and its `recording.produced` fact recorded.
    Done,
    /// Given up on: it went quiet for too long. Its chunks are deleted.
    Failed,
}

impl UploadState {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Receiving => "receiving",
            UploadState::Done => "done",
            UploadState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "receiving" => UploadState::Receiving,
            "done" => UploadState::Done,
            "failed" => UploadState::Failed,
            _ => return None,
        })
    }
}

/// An upload as kept: chunk `i` holds the bytes from the offset the upload had before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub upload_id: String,
    pub customer: CustomerKey,
    pub session_id: i64,
    pub temp_conference_id: String,
    pub total_bytes: i64,
    pub received_bytes: i64,
    /// Byte offsets at which the chunks received so far start, in order.
    pub chunks: Vec<i64>,
    pub format: String,
    pub duration_secs: i64,
    pub state: UploadState,
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Upload {
    pub fn is_complete(&self) -> bool {
        self.received_bytes >= self.total_bytes
    }
}

#[async_trait]
pub trait RecordingStore: Send + Sync + 'static {
    /// How many facts a session has, and the id of its newest: a report computed from them is
    /// current while these are unchanged (facts are only ever added).
    async fn fact_stamp(&self, session_id: i64) -> StoreResult<(i64, i64)>;
    /// The key download links are signed with: `fresh` is stored when there is none yet, and
    /// whichever key was stored first is answered, so every replica signs alike.
    async fn link_key(&self, fresh: &[u8]) -> StoreResult<Vec<u8>>;
    /// Ended sessions of bookings these users host, opened in `[from_ms, to_ms)`, newest first.
    async fn ended_sessions(
        &self,
        customer: CustomerKey,
        hosts: &[UserId],
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<HeldSession>>;
    /// A session by its tempConferenceId, ended or not; `customer` `None` looks in every
    /// customer (for links whose signature already proves them).
    async fn held_session(
        &self,
        customer: Option<CustomerKey>,
        temp_conference_id: &str,
    ) -> StoreResult<Option<HeldSession>>;
    /// The booking's session that ended last.
    async fn latest_ended_session(
        &self,
        customer: CustomerKey,
        event_id: EventId,
    ) -> StoreResult<Option<HeldSession>>;
    /// Marks the recordings of these sessions (of bookings `host` hosts) deleted, and answers
    /// those it marked now. Deleting again marks nothing.
    async fn delete_recordings(
        &self,
        customer: CustomerKey,
        host: UserId,
        temp_conference_ids: &[String],
        now_ms: i64,
    ) -> StoreResult<Vec<RecordingFile>>;
    /// The upload with this id, or a new one as `new` says. An existing upload is answered as it
    /// is, whatever `new` says.
    async fn begin_upload(&self, new: &NewUpload) -> StoreResult<Upload>;
    async fn upload(&self, upload_id: &str) -> StoreResult<Option<Upload>>;
    /// Counts a chunk of `len` bytes stored at `offset`: only when `offset` is what the upload
    /// has received so far and it is still receiving. `None` otherwise (nothing changes).
    async fn add_chunk(
        &self,
        upload_id: &str,
        offset: i64,
        len: i64,
        now_ms: i64,
    ) -> StoreResult<Option<Upload>>;
    /// Moves a receiving upload to `state`. Answers whether it moved.
    async fn settle_upload(
        &self,
        upload_id: &str,
        state: UploadState,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Receiving uploads last touched at or before `idle_before_ms`, oldest first.
    async fn idle_uploads(&self, idle_before_ms: i64, limit: i64) -> StoreResult<Vec<Upload>>;
}
