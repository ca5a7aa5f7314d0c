-- 0003: a damaged database moved aside at start is remembered here (staff screen and
-- heartbeat show it), with what was recovered from it. moved_to is unique: a file is read
-- back once, so its rows are queued once.
-- A shipped migration is never edited: add 0004_*.sql instead.

CREATE TABLE damaged_databases (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    moved_to   TEXT NOT NULL UNIQUE,
    finding    TEXT NOT NULL,
    recovered  INTEGER NOT NULL DEFAULT 0,
    unreadable INTEGER NOT NULL DEFAULT 0
);
