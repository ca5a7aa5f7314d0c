-- 0006: the staff side. The PIN pad's lock-out (one row: wrong PINs in a row, locked until),
-- so that restarting the kiosk does not lift it; the audit log of every staff, technician and
-- remote-command action (no personal data: a role, a badge number, an action code, a result);
-- and the remote commands carried out, by the platform's id, so each is carried out once and
-- acknowledged in the next heartbeat.
-- A shipped migration is never edited: add a new file instead.

CREATE TABLE staff_lockout (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    wrong        INTEGER NOT NULL,
    locked_until TEXT
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    role   TEXT NOT NULL,
    badge  TEXT NOT NULL,
    action TEXT NOT NULL,
    result TEXT NOT NULL
);
CREATE INDEX audit_log_by_at ON audit_log (at);

CREATE TABLE remote_commands (
    id          TEXT PRIMARY KEY,
    command     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    done_at     TEXT,
    result      TEXT,
    acked       INTEGER NOT NULL DEFAULT 0
);
