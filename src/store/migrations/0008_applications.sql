-- 0008: applications for a matter (自助申报), written whole BEFORE anything is sent, so a kiosk
-- killed at any moment finds them again and goes on where it stopped. The application (the
-- card's data, the mobile number, the fields) and every scan are sealed like an outbox
-- payload; the columns in clear say only where the upload is. Once the platform has answered
-- with the case number, the sealed application and the scans are deleted (secure_delete is
-- on), and what stays is the key, the matter and the case number.
-- A shipped migration is never edited: add a new one instead.

CREATE TABLE applications (
    -- The idempotency key (a UUID), made before the first byte goes out: one key, one case.
    key          TEXT PRIMARY KEY,
    -- The matter's code (not personal).
    matter       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'submitted', 'failed')),
    -- Sealed JSON of the application; NULL once submitted.
    sealed       TEXT,
    -- The platform's case number, once it answered.
    case_number  TEXT,
    -- The receipt printed without a case number: the platform sends it by SMS.
    notify_sms   INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    submitted_at TEXT
);
CREATE INDEX applications_by_state ON applications (state, created_at);

CREATE TABLE application_parts (
    key    TEXT NOT NULL REFERENCES applications (key),
    n      INTEGER NOT NULL,
    -- SHA-256 of the part's plain bytes (what the platform acknowledges).
    sha256 TEXT NOT NULL,
    size   INTEGER NOT NULL,
    -- The sealed scan; NULL once the application was submitted.
    sealed BLOB,
    -- The platform acknowledged this part with its digest.
    acked  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, n)
);
