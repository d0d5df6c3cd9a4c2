-- Recurring bookings. A series is one row: its rule, history and exceptions as JSON in `series`
-- (NULL for a single meeting), and in `span_end` the end of its last occurrence, which listings
-- compare windows against. For a single meeting span_end = end_at.
--
-- No default is left behind: every insert names span_end, and a forgotten one fails loudly.
ALTER TABLE bookings ADD COLUMN series TEXT;
ALTER TABLE bookings ADD COLUMN span_end BIGINT;
ALTER TABLE bookings ADD COLUMN span_start BIGINT;
UPDATE bookings SET span_end = end_at, span_start = start_at;
ALTER TABLE bookings ALTER COLUMN span_end SET NOT NULL;
ALTER TABLE bookings ALTER COLUMN span_start SET NOT NULL;

-- Series are few beside single meetings, and a listing must find one that began long before its
-- window, so they get indexes of their own, bounded by where each series ends.
CREATE INDEX bookings_series_by_host ON bookings (customer, host_user_id, span_end)
    WHERE series IS NOT NULL;
CREATE INDEX bookings_series_by_customer ON bookings (customer, span_end)
    WHERE series IS NOT NULL;
