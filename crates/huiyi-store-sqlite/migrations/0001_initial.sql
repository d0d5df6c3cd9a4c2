-- Column names and types match the PostgreSQL schema so both backends share their SQL text.
-- Every integer is INTEGER (i64) and every flag 0/1; STRICT makes SQLite enforce the types.

CREATE TABLE customers (
    key           INTEGER PRIMARY KEY AUTOINCREMENT,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    timezone      TEXT    NOT NULL,
    advance_hours INTEGER NOT NULL
) STRICT;

-- Vendor userIds are global, so user_id alone is the key; (customer, user_id) is unique too so
-- that bookings can reference a host of their own customer only.
CREATE TABLE users (
    user_id  INTEGER PRIMARY KEY,
    customer INTEGER NOT NULL REFERENCES customers (key),
    email    TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    mobile   TEXT    NOT NULL,
    admin    INTEGER NOT NULL CHECK (admin IN (0, 1)),
    UNIQUE (customer, user_id)
) STRICT;
CREATE INDEX users_by_email ON users (customer, lower(email));

-- Only the SHA-256 of a key is kept.
CREATE TABLE credentials (
    key_hash   TEXT    PRIMARY KEY,
    customer   INTEGER NOT NULL REFERENCES customers (key),
    admin      INTEGER NOT NULL CHECK (admin IN (0, 1)),
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- AUTOINCREMENT: event_id is the wire eventId and must never be handed out twice.
-- The length bound is huiyi_domain::MAX_LENGTH_MINUTES; listings rely on it.
CREATE TABLE bookings (
    event_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    conference_id  TEXT    NOT NULL UNIQUE,
    billing_code   TEXT    NOT NULL UNIQUE,
    customer       INTEGER NOT NULL,
    host_user_id   INTEGER NOT NULL,
    title          TEXT    NOT NULL,
    start_at       INTEGER NOT NULL,
    end_at         INTEGER NOT NULL,
    length_minutes INTEGER NOT NULL CHECK (length_minutes BETWEEN 0 AND 1440),
    timezone       TEXT    NOT NULL,
    password_type  INTEGER NOT NULL CHECK (password_type IN (0, 1)),
    pcode1         TEXT    NOT NULL,
    pcode2         TEXT    NOT NULL,
    host_link      TEXT    NOT NULL,
    attendee_link  TEXT    NOT NULL,
    wcall_link     TEXT    NOT NULL,
    invitees       TEXT    NOT NULL,
    details        TEXT    NOT NULL,
    cancelled_at   INTEGER,
    created_at     INTEGER NOT NULL,
    modified_at    INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    FOREIGN KEY (customer, host_user_id) REFERENCES users (customer, user_id)
) STRICT;
CREATE INDEX bookings_by_host ON bookings (customer, host_user_id, start_at);
CREATE INDEX bookings_by_customer_event ON bookings (customer, event_id);
CREATE INDEX bookings_by_customer_start ON bookings (customer, start_at);

-- Host pairs (owner_user) and booking pairs (owner_event) share one key space, so no passcode
-- is ever issued twice. A host has at most one pair.
CREATE TABLE passcodes (
    code        TEXT    PRIMARY KEY,
    customer    INTEGER NOT NULL REFERENCES customers (key),
    owner_event INTEGER REFERENCES bookings (event_id),
    owner_user  INTEGER REFERENCES users (user_id),
    role        INTEGER NOT NULL CHECK (role IN (1, 2)),
    CHECK ((owner_event IS NULL) <> (owner_user IS NULL)),
    UNIQUE (owner_user, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE links (
    code     TEXT    PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES bookings (event_id),
    role     TEXT    NOT NULL CHECK (role IN ('host', 'attendee', 'wcall'))
) STRICT, WITHOUT ROWID;
