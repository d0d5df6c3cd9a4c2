-- The registry an operator imports: meeting rooms with their equipment, hardware boxes, and
-- dial-in numbers (customer NULL: shared by every customer).
CREATE TABLE rooms (
    room_id        INTEGER PRIMARY KEY,
    customer       INTEGER NOT NULL REFERENCES customers (key),
    name           TEXT    NOT NULL,
    city           TEXT    NOT NULL,
    location       TEXT    NOT NULL,
    floor          INTEGER NOT NULL,
    capacity       INTEGER NOT NULL CHECK (capacity >= 0),
    needs_approval INTEGER NOT NULL CHECK (needs_approval IN (0, 1))
) STRICT;
CREATE INDEX rooms_by_customer ON rooms (customer, room_id);

CREATE TABLE room_equipment (
    equip_id INTEGER PRIMARY KEY,
    room_id  INTEGER NOT NULL REFERENCES rooms (room_id),
    name     TEXT    NOT NULL
) STRICT;
CREATE INDEX room_equipment_by_room ON room_equipment (room_id, equip_id);

CREATE TABLE meeting_boxes (
    box_id   TEXT    PRIMARY KEY,
    customer INTEGER NOT NULL REFERENCES customers (key),
    name     TEXT    NOT NULL,
    room_id  INTEGER REFERENCES rooms (room_id),
    address  TEXT    NOT NULL
) STRICT;
CREATE INDEX meeting_boxes_by_customer ON meeting_boxes (customer, box_id);

CREATE TABLE dial_in_numbers (
    access_id TEXT    PRIMARY KEY,
    number    TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    platform  TEXT    NOT NULL,
    customer  INTEGER REFERENCES customers (key),
    display   TEXT    NOT NULL
) STRICT;
