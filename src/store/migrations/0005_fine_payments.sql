-- 0005: traffic-fine payment orders, written BEFORE the kiosk asks the platform for the order,
-- so a kiosk killed at any moment finds the open order again at start-up and asks the
-- platform where it is before doing anything else. The fine's data (decision number, plate,
-- amounts: a person's data and money) is sealed like an outbox payload in `fine`; the
-- columns in clear say only where the payment is.
-- A shipped migration is never edited: add 0006_*.sql instead.

CREATE TABLE fine_payments (
    -- The idempotency key the order is created with (a UUID): one key, one order.
    key        TEXT PRIMARY KEY,
    -- The platform's order id, once its answer arrived.
    order_id   TEXT,
    -- Sealed JSON: the fine as the citizen was shown it (the receipt's data).
    fine       TEXT NOT NULL,
    -- open (the platform may still take the payment), paid, closed.
    state      TEXT NOT NULL CHECK (state IN ('open', 'paid', 'closed')),
    -- The platform's last word: pending, paid, failed, expired, cancelled, refused.
    outcome    TEXT,
    -- The payment serial, once paid (not personal: the platform's receipt number).
    serial     TEXT,
    paid_at    TEXT,
    -- The receipt came out of the printer at least once.
    printed    INTEGER NOT NULL DEFAULT 0,
    -- Paid after the citizen had left (or found at start-up): printed for nobody, shown to
    -- staff until a reprint.
    late       INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    closed_at  TEXT
);
CREATE INDEX fine_payments_open ON fine_payments (state);
