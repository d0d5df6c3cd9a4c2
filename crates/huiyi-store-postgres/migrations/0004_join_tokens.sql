-- Tokens of secure links (endpoint 7), login-free links (21), client logins (22), and the
-- passes join pages give their live sockets once the page load has spent a link's use. Only the
-- SHA-256 of a token is kept. A use is taken by one conditional UPDATE (`uses_left > 0 AND
-- expires_at > now`): concurrent UPDATEs of the row wait for each other and re-check the
-- condition, so opens on any number of replicas never exceed the uses.
-- A login token names no booking; every other token names exactly one.
CREATE TABLE join_tokens (
    token_hash TEXT   PRIMARY KEY,
    kind       TEXT   NOT NULL CHECK (kind IN ('secure', 'nosecret', 'login', 'page')),
    customer   BIGINT NOT NULL REFERENCES customers (key),
    event_id   BIGINT REFERENCES bookings (event_id),
    user_id    BIGINT,
    role       TEXT   NOT NULL CHECK (role IN ('host', 'attendee', 'wcall')),
    name       TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    uses_left  BIGINT NOT NULL CHECK (uses_left >= 0),
    created_at BIGINT NOT NULL,
    CHECK ((kind = 'login') = (event_id IS NULL)),
    -- The token's user is a user of the token's customer.
    FOREIGN KEY (customer, user_id) REFERENCES users (customer, user_id)
);
