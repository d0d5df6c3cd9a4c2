-- Recurring bookings. A series is one row: its rule, history and exceptions as JSON in `series`
-- (NULL for a single meeting), and in `span_end` the end of its last occurrence, which listings
-- compare windows against. For a single meeting span_end = end_at.
--
-- SQLite adds a NOT NULL column only with a constant default; every insert names span_end, and
-- the UPDATE gives the rows already stored their real value.
ALTER TABLE bookings ADD COLUMN series TEXT;
ALTER TABLE bookings ADD COLUMN span_end INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN span_start INTEGER NOT NULL DEFAULT 0;
UPDATE bookings SET span_end = end_at, span_start = start_at;

-- Series are few beside single meetings, and a listing must find one that began long before its
-- window, so they get indexes of their own, bounded by where each series ends.
CREATE INDEX bookings_series_by_host ON bookings (customer, host_user_id, span_end)
    WHERE series IS NOT NULL;
CREATE INDEX bookings_series_by_customer ON bookings (customer, span_end)
    WHERE series IS NOT NULL;
