-- 0001: outbox, catalog cache, queue-number leases, queue tickets, device events.
-- A shipped migration is never edited: add 0002_*.sql instead.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed')),
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);

CREATE TABLE catalog_cache (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    etag       TEXT,
    body       TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);

CREATE TABLE number_leases (
    lease_id    TEXT PRIMARY KEY,
    area_code   TEXT NOT NULL,
    service_day TEXT NOT NULL,
    first       INTEGER NOT NULL,
    last        INTEGER NOT NULL,
    next        INTEGER NOT NULL,
    leased_at   TEXT NOT NULL,
    CHECK (first <= last AND next >= first AND next <= last + 1)
);
CREATE INDEX number_leases_area ON number_leases (area_code, service_day, first);

CREATE TABLE queue_status_cache (
    area_code   TEXT PRIMARY KEY,
    service_day TEXT NOT NULL,
    waiting     INTEGER NOT NULL,
    last_called INTEGER,
    fetched_at  TEXT NOT NULL
);

CREATE TABLE queue_tickets (
    ticket_id      TEXT PRIMARY KEY,
    area_code      TEXT NOT NULL,
    number         INTEGER NOT NULL,
    display_number TEXT NOT NULL,
    service_day    TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    lease_id       TEXT NOT NULL REFERENCES number_leases (lease_id),
    has_phone      INTEGER NOT NULL DEFAULT 0,
    printed_at     TEXT,
    print_error    TEXT,
    outbox_id      INTEGER NOT NULL REFERENCES outbox (id),
    UNIQUE (area_code, service_day, number)
);

CREATE TABLE device_events (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    device TEXT NOT NULL,
    kind   TEXT NOT NULL,
    detail TEXT NOT NULL
);
