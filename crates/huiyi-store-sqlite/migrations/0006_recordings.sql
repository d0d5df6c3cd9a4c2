-- After the meeting: the recordings sessions produced, the uploads that bring recording files to
-- huiyi, and the key that signs download links.

-- One row per recording.produced fact, written in the transaction that records the fact.
-- `location` is where the file is: `huiyi:<key>` for a file huiyi keeps in its object store,
-- otherwise the media side's URL.
CREATE TABLE recordings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id    INTEGER NOT NULL REFERENCES sessions (id),
    location      TEXT    NOT NULL,
    size_bytes    INTEGER NOT NULL,
    duration_secs INTEGER NOT NULL,
    format        TEXT    NOT NULL,
    produced_ms   INTEGER NOT NULL,
    deleted_ms    INTEGER
) STRICT;
CREATE INDEX recordings_by_session ON recordings (session_id, id);

-- Ended sessions are listed by when they opened.
CREATE INDEX sessions_ended_by_opening ON sessions (customer, opened_ms) WHERE closed_ms IS NOT NULL;

-- Resumable uploads. The uploader names the upload; each chunk is stored as an object of its
-- own, counted here once stored, so a retry after a dropped connection or a restart resumes at
-- `received_bytes`.
CREATE TABLE recording_uploads (
    upload_id      TEXT    PRIMARY KEY,
    customer       INTEGER NOT NULL REFERENCES customers (key),
    session_id     INTEGER NOT NULL REFERENCES sessions (id),
    temp_conference_id TEXT NOT NULL,
    total_bytes    INTEGER NOT NULL CHECK (total_bytes > 0),
    received_bytes INTEGER NOT NULL CHECK (received_bytes >= 0),
    format         TEXT    NOT NULL,
    duration_secs  INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('receiving', 'done', 'failed')),
    created_ms     INTEGER NOT NULL,
    updated_ms     INTEGER NOT NULL
) STRICT;
CREATE INDEX recording_uploads_idle ON recording_uploads (updated_ms) WHERE state = 'receiving';

CREATE TABLE recording_upload_chunks (
    upload_id   TEXT    NOT NULL REFERENCES recording_uploads (upload_id),
    offset_bytes INTEGER NOT NULL,
    len_bytes   INTEGER NOT NULL,
    PRIMARY KEY (upload_id, offset_bytes)
) STRICT, WITHOUT ROWID;

-- Keys the server keeps for itself (the link-signing key), made once and shared by replicas.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    key  BLOB NOT NULL
) STRICT;
