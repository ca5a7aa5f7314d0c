-- 0004: a certificate that failed to print, kept for staff to reprint until it expires. The
-- PDF carries the citizen's data: it is sealed like an outbox payload, never logged, and
-- purged by the store's maintenance once expires_at has passed (reprinted or not).
-- A shipped migration is never edited: add 0005_*.sql instead.

CREATE TABLE reprints (
    id         INTEGER PRIMARY KEY,
    -- The printer's job name: a document kind and a case number, never a name.
    job        TEXT NOT NULL,
    pdf        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX reprints_by_expiry ON reprints (expires_at);
