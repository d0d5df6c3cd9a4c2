//! The statements both backends run. `$n` placeholders are understood by SQLite and PostgreSQL
//! alike; literals that reach a row are cast to BIGINT so PostgreSQL does not hand back INT4.

macro_rules! booking_columns {
    () => {
        "event_id, conference_id, billing_code, customer, host_user_id, title, start_at, end_at, \
         length_minutes, timezone, password_type, pcode1, pcode2, host_link, attendee_link, \
         wcall_link, invitees, details, cancelled_at, created_at, modified_at, version, series"
    };
}

macro_rules! user_columns {
    () => {
        "user_id, customer, email, name, mobile, admin"
    };
}

macro_rules! customer_columns {
    () => {
        "key, code, name, timezone, advance_hours"
    };
}

pub const PING: &str = "SELECT 1";

// ---- tenants ---------------------------------------------------------------------------------

pub const CUSTOMER_COUNT: &str = "SELECT COUNT(*) FROM customers";
pub const CUSTOMER_BY_CODE: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers WHERE code = $1"
);
pub const CUSTOMER_BY_KEY: &str = concat!(
    "SELECT ",
    customer_columns!(),
    " FROM customers WHERE key = $1"
);
pub const CUSTOMER_KEY: &str = "SELECT key FROM customers WHERE code = $1";

pub const UPSERT_CUSTOMER: &str = "INSERT INTO customers (code, name, timezone, advance_hours) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (code) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, \
     advance_hours = excluded.advance_hours \
     RETURNING key";

/// Returns no row when the user id belongs to another customer: users never change tenant.
pub const UPSERT_USER: &str = "INSERT INTO users (user_id, customer, email, name, mobile, admin) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, name = excluded.name, \
     mobile = excluded.mobile, admin = excluded.admin \
     WHERE users.customer = excluded.customer \
     RETURNING user_id";

/// Returns no row when the key is already registered to another customer.
pub const UPSERT_CREDENTIAL: &str = "INSERT INTO credentials \
     (key_hash, customer, admin, created_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (key_hash) DO UPDATE SET admin = excluded.admin \
     WHERE credentials.customer = excluded.customer \
     RETURNING key_hash";

pub const ADD_CREDENTIAL: &str = "INSERT INTO credentials (key_hash, customer, admin, created_at) \
     SELECT $1, key, $3, $4 FROM customers WHERE code = $2";

pub const CREDENTIAL: &str = "SELECT cr.key_hash, cr.admin, c.key, c.code, c.name, c.timezone, \
     c.advance_hours FROM credentials cr JOIN customers c ON c.key = cr.customer \
     WHERE cr.key_hash = $1";

pub const USER: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE user_id = $1 AND customer = $2"
);
pub const USER_BY_EMAIL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE customer = $1 AND lower(email) = lower($2) ORDER BY user_id LIMIT 1"
);

// ---- bookings --------------------------------------------------------------------------------

pub const BOOKING_BY_CONFERENCE: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE conference_id = $1 AND customer = $2"
);
pub const BOOKING_BY_EVENT: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE event_id = $1 AND customer = $2"
);

// A listing unites two kinds of booking. Single meetings are found by a range scan on their
// start, which the longest meeting bounds (`$3`/`$2` below: the window's start less that length).
// A series may have begun months before the window, so series are found through their own
// partial indexes by where their last occurrence ends. The branches are disjoint (`series IS
// NULL` / `IS NOT NULL`), so UNION ALL lists each booking once and paging by event id is exact.
// The unary `+` keeps a column out of index selection. Without `ANALYZE` statistics SQLite would
// otherwise serve the series branch from the index on start or on event id, which spares it a
// sort but reads every booking the host or customer ever had; PostgreSQL plans it well either way.

/// `$3` is the window's start less the longest meeting; `$4` and `$5` are its end and start.
pub const HOST_BOOKINGS: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE customer = $1 AND host_user_id = $2 AND series IS NULL \
     AND start_at >= $3 AND start_at < $4 AND end_at > $5 \
     UNION ALL SELECT ",
    booking_columns!(),
    " FROM bookings WHERE customer = $1 AND host_user_id = $2 AND series IS NOT NULL \
     AND span_end > $5 AND +span_start < $4 \
     ORDER BY start_at, event_id"
);
/// `$2` is the window's start less the longest meeting; `$3` and `$4` are its end and start.
pub const CUSTOMER_BOOKINGS: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE customer = $1 AND series IS NULL \
     AND start_at >= $2 AND start_at < $3 AND end_at > $4 AND event_id > $5 \
     UNION ALL SELECT ",
    booking_columns!(),
    " FROM bookings WHERE customer = $1 AND series IS NOT NULL \
     AND span_end > $4 AND +span_start < $3 AND +event_id > $5 \
     ORDER BY event_id LIMIT $6"
);

/// The media side serves every customer: these two look across them (both keys are unique).
pub const BOOKING_ANYWHERE: &str = concat!(
    "SELECT ",
    booking_columns!(),
    " FROM bookings WHERE conference_id = $1"
);
pub const PASSCODE_ANYWHERE: &str =
    "SELECT customer, owner_event, owner_user FROM passcodes WHERE code = $1";

/// The booking a short link code names (codes are unique across customers), with the role
/// of that link as `link_role`.
pub const LINK_TARGET: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", (SELECT role FROM links WHERE code = $1) AS link_role FROM bookings \
     WHERE event_id = (SELECT event_id FROM links WHERE code = $1)"
);

pub const PASSCODE_OWNER: &str =
    "SELECT owner_event, owner_user FROM passcodes WHERE code = $1 AND customer = $2";

/// An edit may turn a single meeting into a series or change its rule, so both are written.
pub const UPDATE_BOOKING: &str = concat!(
    "UPDATE bookings SET title = $1, start_at = $2, end_at = $3, length_minutes = $4, \
     timezone = $5, invitees = $6, details = $7, series = $8, span_end = $9, span_start = $10, \
     modified_at = $11, version = version + 1 \
     WHERE event_id = $12 AND customer = $13 AND version = $14 RETURNING ",
    booking_columns!()
);
/// Keeps the first cancellation time if a cancelled booking is cancelled again.
pub const CANCEL_BOOKING: &str = concat!(
    "UPDATE bookings SET cancelled_at = COALESCE(cancelled_at, $1), modified_at = $1, \
     version = version + 1 \
     WHERE event_id = $2 AND customer = $3 AND version = $4 RETURNING ",
    booking_columns!()
);

// Heads and tails of the statements `build` completes with one bind list per row.

pub const HOST_PAIRS_HEAD: &str =
    "SELECT owner_user, role, code FROM passcodes WHERE owner_user IN (";
pub const INSERT_BOOKINGS_HEAD: &str = "INSERT INTO bookings (conference_id, billing_code, \
     customer, host_user_id, title, start_at, end_at, length_minutes, timezone, password_type, \
     pcode1, pcode2, host_link, attendee_link, wcall_link, invitees, details, series, span_end, \
     span_start, created_at, modified_at, version) ";
pub const INSERT_BOOKINGS_TAIL: &str = " RETURNING event_id, conference_id";
pub const INSERT_PASSCODES_HEAD: &str =
    "INSERT INTO passcodes (code, customer, owner_event, owner_user, role) ";
pub const INSERT_LINKS_HEAD: &str = "INSERT INTO links (code, event_id, role) ";
