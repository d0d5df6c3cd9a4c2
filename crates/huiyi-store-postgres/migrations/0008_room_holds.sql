-- Rooms in use: one row per room a booking holds for one of its meetings. The exclusion
-- constraint makes two overlapping holds of one room impossible, whichever replica writes them
-- and however they race; the store's own check before it only finds the other booking's name.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE room_holds (
    room_id    BIGINT NOT NULL REFERENCES rooms (room_id),
    event_id   BIGINT NOT NULL REFERENCES bookings (event_id),
    occurrence BIGINT NOT NULL,
    start_at   BIGINT NOT NULL,
    end_at     BIGINT NOT NULL CHECK (end_at > start_at),
    PRIMARY KEY (event_id, room_id, occurrence),
    CONSTRAINT room_holds_no_overlap
        EXCLUDE USING gist (room_id WITH =, int8range(start_at, end_at) WITH &&)
);
CREATE INDEX room_holds_by_room ON room_holds (room_id, start_at);

-- A room panel's key, stored only as its SHA-256 (hex); NULL until one is made.
ALTER TABLE rooms ADD COLUMN panel_key_hash TEXT;
