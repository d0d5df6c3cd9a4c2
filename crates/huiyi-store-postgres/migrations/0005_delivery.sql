-- Delivery: integrators' webhook endpoints, each customer's callback secret, and the outbox.
-- Messages are inserted in the transaction of the change that causes them, so a change that
-- rolls back sends nothing and one that commits is never lost. A worker claims due messages
-- with a lease (with FOR UPDATE SKIP LOCKED, so replicas split the due messages), settles them, and logs
-- every attempt.

-- Signing secrets are kept as they are: every request is signed with them. They are shown
-- once, when made, and never listed or logged.
CREATE TABLE webhook_endpoints (
    id              BIGSERIAL PRIMARY KEY,
    customer        BIGINT  NOT NULL REFERENCES customers (key),
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    previous_secret TEXT,
    previous_until  BIGINT ,
    created_at      BIGINT  NOT NULL,
    disabled_at     BIGINT ,
    removed_at      BIGINT 
);
CREATE INDEX webhook_endpoints_by_customer ON webhook_endpoints (customer);

CREATE TABLE callback_secrets (
    customer        BIGINT PRIMARY KEY REFERENCES customers (key),
    secret          TEXT    NOT NULL,
    previous_secret TEXT,
    previous_until  BIGINT 
);

-- msg_id is 128 random bits: unique without an index to enforce it (a random-key index is the
-- dearest to write, and every booking writes one row here per endpoint). Looking one up, an
-- operator's command, goes through the customer's rows.
-- state: 'pending' until delivered or failed. A pending message is due at next_at (unix ms)
-- once no lease holds it (lease_until <= now). endpoint is NULL for a booking's callback.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    msg_id      TEXT    NOT NULL,
    customer    BIGINT  NOT NULL REFERENCES customers (key),
    endpoint    BIGINT  REFERENCES webhook_endpoints (id),
    url         TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts    BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    next_at     BIGINT  NOT NULL,
    lease_until BIGINT  NOT NULL,
    claim       TEXT
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'pending';
CREATE INDEX outbox_by_customer ON outbox (customer, id);

CREATE TABLE delivery_attempts (
    id          BIGSERIAL PRIMARY KEY,
    message     BIGINT  NOT NULL REFERENCES outbox (id),
    at_ms       BIGINT  NOT NULL,
    http_status BIGINT ,
    latency_ms  BIGINT  NOT NULL,
    error       TEXT
);
CREATE INDEX delivery_attempts_by_message ON delivery_attempts (message, id);
