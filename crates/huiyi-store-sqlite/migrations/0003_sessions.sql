-- Sessions: the actual runs of a booking, or of one occurrence of a series (`occurrence` is the
-- occurrence's original start in unix seconds, 0 for a single meeting). Times are unix
-- milliseconds, as the facts that open and close them carry.
CREATE TABLE sessions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    temp_conference_id TEXT    NOT NULL UNIQUE,
    customer           INTEGER NOT NULL REFERENCES customers (key),
    event_id           INTEGER NOT NULL REFERENCES bookings (event_id),
    occurrence         INTEGER NOT NULL,
    opened_ms          INTEGER NOT NULL,
    closed_ms          INTEGER,
    end_reason         TEXT,
    locked             INTEGER NOT NULL CHECK (locked IN (0, 1)),
    lock_ms            INTEGER,
    -- People in the session now: kept by the transaction that records their joins and leaves.
    attendees          INTEGER NOT NULL CHECK (attendees >= 0),
    -- When the last person left; the grace-period worker closes the session after it.
    empty_since_ms     INTEGER
) STRICT;
-- At most one open session per meeting: two replicas opening one at once collide here.
CREATE UNIQUE INDEX sessions_one_open ON sessions (event_id, occurrence) WHERE closed_ms IS NULL;
CREATE INDEX sessions_by_meeting ON sessions (event_id, occurrence, id);
CREATE INDEX sessions_idle ON sessions (empty_since_ms)
    WHERE closed_ms IS NULL AND empty_since_ms IS NOT NULL;

-- Live state of each participant, last-writer-wins by when each fact happened.
CREATE TABLE session_participants (
    session_id     INTEGER NOT NULL REFERENCES sessions (id),
    participant_id TEXT    NOT NULL,
    joined_ms      INTEGER,
    left_ms        INTEGER,
    present        INTEGER NOT NULL CHECK (present IN (0, 1)),
    voice          TEXT    NOT NULL,
    voice_ms       INTEGER,
    hand_up        INTEGER NOT NULL CHECK (hand_up IN (0, 1)),
    hand_ms        INTEGER,
    info           TEXT    NOT NULL,
    PRIMARY KEY (session_id, participant_id)
) STRICT, WITHOUT ROWID;

-- Append-only facts. `event_uid` is the producer's eventId (replays are ignored through its
-- uniqueness); NULL for facts the server records itself, such as a grace-period close.
CREATE TABLE session_facts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id     INTEGER NOT NULL REFERENCES sessions (id),
    event_uid      TEXT    UNIQUE,
    kind           TEXT    NOT NULL,
    participant_id TEXT,
    at_ms          INTEGER NOT NULL,
    recorded_ms    INTEGER NOT NULL,
    body           TEXT    NOT NULL
) STRICT;
CREATE INDEX session_facts_by_session ON session_facts (session_id, at_ms);
