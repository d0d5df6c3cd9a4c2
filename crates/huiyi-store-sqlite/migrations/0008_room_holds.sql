-- Rooms in use: one row per room a booking holds for one of its meetings. SQLite has a single
-- writer, so the check for an overlapping hold and the insert run in one write transaction and
-- no two bookings can both pass it.
CREATE TABLE room_holds (
    room_id    INTEGER NOT NULL REFERENCES rooms (room_id),
    event_id   INTEGER NOT NULL REFERENCES bookings (event_id),
    occurrence INTEGER NOT NULL,
    start_at   INTEGER NOT NULL,
    end_at     INTEGER NOT NULL CHECK (end_at > start_at),
    PRIMARY KEY (event_id, room_id, occurrence)
) STRICT;
CREATE INDEX room_holds_by_room ON room_holds (room_id, start_at);

-- A room panel's key, stored only as its SHA-256 (hex); NULL until one is made.
ALTER TABLE rooms ADD COLUMN panel_key_hash TEXT;
