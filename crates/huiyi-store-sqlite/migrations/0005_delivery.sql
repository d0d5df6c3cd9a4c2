-- Delivery: integrators' webhook endpoints, each customer's callback secret, and the outbox.
-- Messages are inserted in the transaction of the change that causes them, so a change that
-- rolls back sends nothing and one that commits is never lost. A worker claims due messages
-- with a lease (SQLite has one writer, so a claim is a plain UPDATE), settles them, and logs
-- every attempt.

-- Signing secrets are kept as they are: every request is signed with them. They are shown
-- once, when made, and never listed or logged.
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    customer        INTEGER NOT NULL REFERENCES customers (key),
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    previous_secret TEXT,
    previous_until  INTEGER,
    created_at      INTEGER NOT NULL,
    disabled_at     INTEGER,
    removed_at      INTEGER
) STRICT;
CREATE INDEX webhook_endpoints_by_customer ON webhook_endpoints (customer);

CREATE TABLE callback_secrets (
    customer        INTEGER PRIMARY KEY REFERENCES customers (key),
    secret          TEXT    NOT NULL,
    previous_secret TEXT,
    previous_until  INTEGER
) STRICT;

-- msg_id is 128 random bits: unique without an index to enforce it (a random-key index is the
-- dearest to write, and every booking writes one row here per endpoint). Looking one up, an
-- operator's command, goes through the customer's rows.
-- state: 'pending' until delivered or failed. A pending message is due at next_at (unix ms)
-- once no lease holds it (lease_until <= now). endpoint is NULL for a booking's callback.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id      TEXT    NOT NULL,
    customer    INTEGER NOT NULL REFERENCES customers (key),
    endpoint    INTEGER REFERENCES webhook_endpoints (id),
    url         TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    lease_until INTEGER NOT NULL,
    claim       TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'pending';
CREATE INDEX outbox_by_customer ON outbox (customer, id);

CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message     INTEGER NOT NULL REFERENCES outbox (id),
    at_ms       INTEGER NOT NULL,
    http_status INTEGER,
    latency_ms  INTEGER NOT NULL,
    error       TEXT
) STRICT;
CREATE INDEX delivery_attempts_by_message ON delivery_attempts (message, id);
