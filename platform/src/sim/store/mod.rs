//! The simulator's SQLite store: schema migrations, seed data and every query.
//!
//! Each worker thread has its own connection; WAL lets readers (status, follow pages)
//! run beside a writer, and every write path starts an IMMEDIATE transaction so that
//! concurrent lease allocations serialise instead of failing with SQLITE_BUSY on upgrade.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use sha2::{Digest, Sha256};

use crate::api::{
    AreaStatus, BatchResult, CallResult, CaseList, CaseProgress, Catalog, Hall, Heartbeat,
    HeartbeatList, HeldTicket, Holdings, KioskHeartbeat, Lease, LeaseRequest, NewCase, QueueStatus,
    QueueTicketTx, ServiceArea, Transaction, TransactionBatch, TxResult, TxStatus,
    KIND_QUEUE_TICKET, MAX_LEASE_SIZE,
};

/// Hash of what a transaction says (kind, created_at, payload), to tell a replay of the
/// same upload from a different transaction reusing its key. `serde_json` keeps object
/// keys sorted, so the same content always hashes the same.
fn body_hash(t: &Transaction) -> String {
    let canonical = serde_json::json!({
        "kind": t.kind,
        "created_at": t.created_at.to_rfc3339(),
        "payload": t.payload,
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Schema migrations; migration `i` brings `PRAGMA user_version` from `i` to `i + 1`.
/// Append only: a released migration is never edited, so every existing database can
/// be brought forward.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema and the demo catalog.
    r#"
    CREATE TABLE kiosks (
        id  TEXT PRIMARY KEY,
        key BLOB NOT NULL
    );
    CREATE TABLE meta (
        k TEXT PRIMARY KEY,
        v TEXT NOT NULL
    );
    CREATE TABLE hall (
        code    TEXT PRIMARY KEY,
        name_zh TEXT NOT NULL,
        name_en TEXT NOT NULL
    );
    CREATE TABLE areas (
        code           TEXT PRIMARY KEY,
        position       INTEGER NOT NULL,
        name_zh        TEXT NOT NULL,
        name_en        TEXT NOT NULL,
        description_zh TEXT NOT NULL,
        description_en TEXT NOT NULL
    );
    -- Next free ticket number per area and day: the single source of truth that keeps
    -- leases of different kiosks disjoint.
    CREATE TABLE lease_counters (
        area_code   TEXT NOT NULL,
        service_day TEXT NOT NULL,
        next_number INTEGER NOT NULL,
        PRIMARY KEY (area_code, service_day)
    );
    CREATE TABLE leases (
        lease_id    TEXT PRIMARY KEY,
        kiosk_id    TEXT NOT NULL,
        area_code   TEXT NOT NULL,
        service_day TEXT NOT NULL,
        first       INTEGER NOT NULL,
        last        INTEGER NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX leases_by_kiosk ON leases (kiosk_id, area_code, service_day);
    -- Idempotency keys are scoped per kiosk: two kiosks can never shadow each other.
    CREATE TABLE transactions (
        kiosk_id        TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        kind            TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        received_at     TEXT NOT NULL,
        payload         TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, idempotency_key)
    );
    CREATE TABLE tickets (
        ticket_id       TEXT PRIMARY KEY,
        kiosk_id        TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        area_code       TEXT NOT NULL,
        service_day     TEXT NOT NULL,
        number          INTEGER NOT NULL,
        display_number  TEXT NOT NULL,
        issued_at       TEXT NOT NULL,
        lease_id        TEXT NOT NULL,
        called_at       TEXT,
        UNIQUE (area_code, service_day, number)
    );
    CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );

    INSERT INTO meta (k, v) VALUES ('catalog_version', 'demo-1');
    INSERT INTO hall (code, name_zh, name_en)
        VALUES ('demo-hall', '示范市政务服务中心', 'Demo City Government Service Center');
    INSERT INTO areas (code, position, name_zh, name_en, description_zh, description_en) VALUES
        ('A', 1, '综合受理', 'General Affairs',
         '各类事项的综合咨询与受理', 'Enquiries and applications for all general matters'),
        ('B', 2, '社保医保', 'Social & Medical Insurance',
         '社会保险、医疗保险的参保、转移与待遇', 'Enrolment, transfers and benefits of social and medical insurance'),
        ('C', 3, '户籍证照', 'Household & ID Documents',
         '户口登记、居民身份证与居住证办理', 'Household registration, resident ID cards and residence permits'),
        ('D', 4, '不动产登记', 'Real Estate Registration',
         '不动产权属登记与证明查询', 'Registration of property rights and certificates');
    "#,
    // 2: the body hash of each idempotency key (a repeated key with another body is
    // refused), and the last heartbeat of each kiosk.
    r#"
    ALTER TABLE transactions ADD COLUMN body_sha256 TEXT;
    CREATE TABLE heartbeats (
        kiosk_id    TEXT PRIMARY KEY,
        received_at TEXT NOT NULL,
        count       INTEGER NOT NULL,
        body        TEXT NOT NULL
    );
    "#,
    // 3: citizens' cases (progress lookup), keyed by number and by the holder's hash.
    r#"
    CREATE TABLE cases (
        case_number TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        body        TEXT NOT NULL
    );
    CREATE INDEX cases_by_holder ON cases (holder, updated_at);
    "#,
    // 4: nonces accepted within the replay window, so a restart does not forget them.
    r#"
    CREATE TABLE nonces (
        kiosk_id TEXT NOT NULL,
        nonce    TEXT NOT NULL,
        ts       INTEGER NOT NULL,
        PRIMARY KEY (kiosk_id, nonce)
    ) WITHOUT ROWID;
    CREATE INDEX nonces_by_ts ON nonces (ts);
    "#,
    // 5: queue counts kept up to date by uploads and calls, so the status every kiosk
    // polls is a lookup instead of a count over all of the day's tickets.
    r#"
    CREATE TABLE queue_counts (
        area_code   TEXT NOT NULL,
        service_day TEXT NOT NULL,
        waiting     INTEGER NOT NULL,
        last_called INTEGER,
        PRIMARY KEY (area_code, service_day)
    );
    INSERT INTO queue_counts (area_code, service_day, waiting, last_called)
        SELECT area_code, service_day,
               SUM(called_at IS NULL),
               MAX(CASE WHEN called_at IS NOT NULL THEN number END)
        FROM tickets GROUP BY area_code, service_day;
    "#,
];

/// Schema version this code knows.
pub(crate) const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// A failure that becomes a contract error response.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        // The detail goes to the log, not to the client.
        tracing::error!(error = %e, "platform sim: database error");
        ApiError::new(500, "internal", "database error")
    }
}

/// Opens a connection with the settings every connection needs.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // Workers wait for each other's short write transactions instead of failing.
    conn.busy_timeout(Duration::from_secs(10))?;
    let _mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    // NORMAL is durable across process crashes in WAL mode, which is what an outage
    // test simulates; only a power cut may lose the last transactions.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// Brings the schema to [`SCHEMA_VERSION`]; each migration is applied in its own
/// transaction together with its version bump. Returns the version found before.
pub(crate) fn migrate(conn: &mut Connection) -> Result<usize, crate::sim::SimError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    if found > SCHEMA_VERSION {
        return Err(crate::sim::SimError::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(found)
}

/// Inserts or updates the configured kiosks (the configuration wins over stored keys).
pub(crate) fn upsert_kiosks(
    conn: &mut Connection,
    kiosks: &[(String, Vec<u8>)],
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (id, key) in kiosks {
        tx.execute(
            "INSERT INTO kiosks (id, key) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET key = excluded.key",
            params![id, key],
        )?;
    }
    tx.commit()
}

/// All known kiosks and their keys.
pub(crate) fn kiosk_keys(conn: &Connection) -> rusqlite::Result<HashMap<String, Vec<u8>>> {
    let mut stmt = conn.prepare("SELECT id, key FROM kiosks")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
    })?;
    rows.collect()
}

fn areas(conn: &Connection) -> rusqlite::Result<Vec<ServiceArea>> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, name_zh, name_en, description_zh, description_en
         FROM areas ORDER BY position, code",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ServiceArea {
            code: r.get(0)?,
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            description_zh: r.get(3)?,
            description_en: r.get(4)?,
        })
    })?;
    rows.collect()
}

fn area_exists(conn: &Connection, code: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM areas WHERE code = ?1")?
        .exists([code])
}

/// The catalog.
pub(crate) fn catalog(conn: &Connection) -> Result<Catalog, ApiError> {
    let version: String = conn
        .query_row("SELECT v FROM meta WHERE k = 'catalog_version'", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or_default();
    let hall = conn
        .query_row("SELECT code, name_zh, name_en FROM hall LIMIT 1", [], |r| {
            Ok(Hall {
                code: r.get(0)?,
                name_zh: r.get(1)?,
                name_en: r.get(2)?,
            })
        })
        .optional()?
        .ok_or_else(|| ApiError::new(500, "internal", "no hall configured"))?;
    Ok(Catalog {
        version,
        hall,
        areas: areas(conn)?,
    })
}

/// Allocates the next block of numbers of an area and day to `kiosk_id`.
pub(crate) fn lease(
    conn: &mut Connection,
    kiosk_id: &str,
    req: &LeaseRequest,
) -> Result<Lease, ApiError> {
    if req.size == 0 || req.size > MAX_LEASE_SIZE {
        return Err(ApiError::new(
            400,
            "bad_size",
            format!("size must be 1..={MAX_LEASE_SIZE}"),
        ));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if !area_exists(&tx, &req.area_code)? {
        return Err(unknown_area(&req.area_code));
    }
    let day = req.service_day.to_string();
    let next: u32 = tx
        .query_row(
            "SELECT next_number FROM lease_counters WHERE area_code = ?1 AND service_day = ?2",
            params![req.area_code, day],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(1);
    let last = next
        .checked_add(req.size - 1)
        .filter(|l| l.checked_add(1).is_some())
        .ok_or_else(|| ApiError::new(409, "numbers_exhausted", "no more numbers for that day"))?;
    tx.execute(
        "INSERT INTO lease_counters (area_code, service_day, next_number) VALUES (?1, ?2, ?3)
         ON CONFLICT (area_code, service_day) DO UPDATE SET next_number = excluded.next_number",
        params![req.area_code, day, last + 1],
    )?;
    let lease = Lease {
        lease_id: uuid::Uuid::new_v4().to_string(),
        area_code: req.area_code.clone(),
        service_day: req.service_day,
        first: next,
        last,
    };
    tx.execute(
        "INSERT INTO leases (lease_id, kiosk_id, area_code, service_day, first, last, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            lease.lease_id,
            kiosk_id,
            lease.area_code,
            day,
            lease.first,
            lease.last,
            Utc::now().to_rfc3339()
        ],
    )?;
    tx.commit()?;
    Ok(lease)
}

fn unknown_area(code: &str) -> ApiError {
    ApiError::new(404, "unknown_area", format!("unknown area {code:?}"))
}

/// Queue counts of every area for `day`.
pub(crate) fn queue_status(conn: &Connection, day: NaiveDate) -> Result<QueueStatus, ApiError> {
    let day_s = day.to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT waiting, last_called FROM queue_counts WHERE area_code = ?1 AND service_day = ?2",
    )?;
    let mut out = Vec::new();
    for area in areas(conn)? {
        let (waiting, last_called) = stmt
            .query_row(params![area.code, day_s], |r| {
                Ok((r.get::<_, u32>(0)?, r.get::<_, Option<u32>>(1)?))
            })
            .optional()?
            .unwrap_or((0, None));
        out.push(AreaStatus {
            code: area.code,
            waiting,
            last_called,
        });
    }
    Ok(QueueStatus {
        service_day: day,
        areas: out,
    })
}

/// Calls the lowest waiting number of an area on `day`.
pub(crate) fn call_next(
    conn: &mut Connection,
    area_code: &str,
    day: NaiveDate,
) -> Result<CallResult, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if !area_exists(&tx, area_code)? {
        return Err(unknown_area(area_code));
    }
    let day_s = day.to_string();
    let next = tx
        .query_row(
            "SELECT ticket_id, number, display_number FROM tickets
             WHERE area_code = ?1 AND service_day = ?2 AND called_at IS NULL
             ORDER BY number LIMIT 1",
            params![area_code, day_s],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    let Some((ticket_id, number, display_number)) = next else {
        return Err(ApiError::new(
            404,
            "queue_empty",
            format!("nobody is waiting in area {area_code} on {day}"),
        ));
    };
    tx.execute(
        "UPDATE tickets SET called_at = ?2 WHERE ticket_id = ?1",
        params![ticket_id, Utc::now().to_rfc3339()],
    )?;
    tx.execute(
        "UPDATE queue_counts SET waiting = waiting - 1,
                last_called = max(coalesce(last_called, 0), ?3)
         WHERE area_code = ?1 AND service_day = ?2",
        params![area_code, day_s, number],
    )?;
    tx.commit()?;
    Ok(CallResult {
        area_code: area_code.to_owned(),
        service_day: day,
        number,
        display_number,
    })
}

/// Stores a batch: all its writes in one transaction, one result per input in order.
pub(crate) fn upload(
    conn: &mut Connection,
    kiosk_id: &str,
    batch: &TransactionBatch,
) -> Result<BatchResult, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = Utc::now().to_rfc3339();
    let mut results = Vec::with_capacity(batch.transactions.len());
    let mut duplicates = 0i64;
    for t in &batch.transactions {
        let hash = body_hash(t);
        let seen: Option<Option<String>> = tx
            .prepare_cached(
                "SELECT body_sha256 FROM transactions WHERE kiosk_id = ?1 AND idempotency_key = ?2",
            )?
            .query_row(params![kiosk_id, t.idempotency_key], |r| r.get(0))
            .optional()?;
        if let Some(Some(first)) = &seen {
            if *first != hash {
                // As Stripe does: a key is bound to its first body. Nothing of this batch
                // is stored (the transaction rolls back on drop).
                return Err(ApiError::new(
                    409,
                    "idempotency_conflict",
                    format!(
                        "idempotency_key {} was first used with a different body",
                        t.idempotency_key
                    ),
                ));
            }
        }
        let (status, reason) = if seen.is_some() {
            duplicates += 1;
            (TxStatus::Duplicate, None)
        } else if t.idempotency_key.is_empty() {
            (TxStatus::Rejected, Some("empty idempotency_key".to_owned()))
        } else if t.kind != KIND_QUEUE_TICKET {
            (
                TxStatus::Rejected,
                Some(format!("unknown kind {:?}", t.kind)),
            )
        } else {
            match check_ticket(&tx, kiosk_id, &t.payload)? {
                Err(reason) => (TxStatus::Rejected, Some(reason)),
                Ok(ticket) => {
                    tx.prepare_cached(
                        "INSERT INTO transactions
                           (kiosk_id, idempotency_key, kind, created_at, received_at, payload,
                            body_sha256)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute(params![
                        kiosk_id,
                        t.idempotency_key,
                        t.kind,
                        t.created_at.to_rfc3339(),
                        now,
                        t.payload.to_string(),
                        hash
                    ])?;
                    tx.prepare_cached(
                        "INSERT INTO tickets
                           (ticket_id, kiosk_id, idempotency_key, area_code, service_day,
                            number, display_number, issued_at, lease_id)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        ticket.ticket_id,
                        kiosk_id,
                        t.idempotency_key,
                        ticket.area_code,
                        ticket.service_day.to_string(),
                        ticket.number,
                        ticket.display_number,
                        ticket.issued_at.to_rfc3339(),
                        ticket.lease_id
                    ])?;
                    tx.prepare_cached(
                        "INSERT INTO queue_counts (area_code, service_day, waiting)
                         VALUES (?1, ?2, 1)
                         ON CONFLICT (area_code, service_day) DO UPDATE
                         SET waiting = waiting + 1",
                    )?
                    .execute(params![ticket.area_code, ticket.service_day.to_string()])?;
                    (TxStatus::Accepted, None)
                }
            }
        };
        results.push(TxResult {
            idempotency_key: t.idempotency_key.clone(),
            status,
            reason,
        });
    }
    if duplicates > 0 {
        tx.execute(
            "INSERT INTO counters (name, value) VALUES ('duplicates_refused', ?1)
             ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            [duplicates],
        )?;
    }
    tx.commit()?;
    Ok(BatchResult { results })
}

/// Validates a queue ticket payload; `Ok(Err(reason))` means rejected.
fn check_ticket(
    conn: &Connection,
    kiosk_id: &str,
    payload: &serde_json::Value,
) -> rusqlite::Result<Result<QueueTicketTx, String>> {
    let ticket: QueueTicketTx = match serde_json::from_value(payload.clone()) {
        Ok(t) => t,
        // serde's message names the field, never echoes values.
        Err(e) => return Ok(Err(format!("invalid queue_ticket payload: {e}"))),
    };
    if uuid::Uuid::parse_str(&ticket.ticket_id).is_err() {
        return Ok(Err("ticket_id is not a UUID".to_owned()));
    }
    if !area_exists(conn, &ticket.area_code)? {
        return Ok(Err(format!("unknown area {:?}", ticket.area_code)));
    }
    let day = ticket.service_day.to_string();
    let leased = conn
        .prepare_cached(
            "SELECT 1 FROM leases
             WHERE kiosk_id = ?1 AND area_code = ?2 AND service_day = ?3
               AND ?4 BETWEEN first AND last",
        )?
        .exists(params![kiosk_id, ticket.area_code, day, ticket.number])?;
    if !leased {
        return Ok(Err(format!(
            "number {} is outside every lease of this kiosk for area {} on {}",
            ticket.number, ticket.area_code, day
        )));
    }
    let id_taken = conn
        .prepare_cached("SELECT 1 FROM tickets WHERE ticket_id = ?1")?
        .exists([&ticket.ticket_id])?;
    if id_taken {
        return Ok(Err(
            "ticket_id already used by another transaction".to_owned()
        ));
    }
    let number_taken = conn
        .prepare_cached(
            "SELECT 1 FROM tickets WHERE area_code = ?1 AND service_day = ?2 AND number = ?3",
        )?
        .exists(params![ticket.area_code, day, ticket.number])?;
    if number_taken {
        return Ok(Err(format!(
            "number {} of area {} on {} is already held by another ticket",
            ticket.number, ticket.area_code, day
        )));
    }
    Ok(Ok(ticket))
}

/// Everything held.
pub(crate) fn holdings(conn: &Connection) -> Result<Holdings, ApiError> {
    let transactions: i64 =
        conn.query_row("SELECT COUNT(*) FROM transactions", [], |r| r.get(0))?;
    let duplicates: i64 = conn
        .query_row(
            "SELECT value FROM counters WHERE name = 'duplicates_refused'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let mut stmt = conn.prepare(
        "SELECT kiosk_id, ticket_id, display_number, area_code, number, service_day,
                called_at IS NOT NULL
         FROM tickets ORDER BY service_day, area_code, number",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            HeldTicket {
                kiosk_id: r.get(0)?,
                ticket_id: r.get(1)?,
                display_number: r.get(2)?,
                area_code: r.get(3)?,
                number: r.get(4)?,
                service_day: NaiveDate::MIN,
                called: r.get(6)?,
            },
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut tickets = Vec::new();
    for row in rows {
        let (mut t, day) = row?;
        t.service_day = parse_day(&day)?;
        tickets.push(t);
    }
    Ok(Holdings {
        transactions: transactions.max(0) as u64,
        tickets,
        duplicates_refused: duplicates.max(0) as u64,
    })
}

/// Keeps the last heartbeat of a kiosk.
pub(crate) fn record_heartbeat(
    conn: &mut Connection,
    kiosk_id: &str,
    beat: &Heartbeat,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let body = serde_json::to_string(beat)
        .map_err(|_| ApiError::new(500, "internal", "serialisation failed"))?;
    conn.execute(
        "INSERT INTO heartbeats (kiosk_id, received_at, count, body) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (kiosk_id) DO UPDATE
         SET received_at = excluded.received_at, count = count + 1, body = excluded.body",
        params![kiosk_id, now.to_rfc3339(), body],
    )?;
    Ok(())
}

/// The last heartbeat of every kiosk.
pub(crate) fn heartbeats(conn: &Connection) -> Result<HeartbeatList, ApiError> {
    let mut stmt = conn
        .prepare("SELECT kiosk_id, received_at, count, body FROM heartbeats ORDER BY kiosk_id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut kiosks = Vec::new();
    for row in rows {
        let (kiosk_id, at, count, body) = row?;
        let bad = |_| ApiError::new(500, "internal", "stored heartbeat unreadable");
        kiosks.push(KioskHeartbeat {
            kiosk_id,
            received_at: DateTime::parse_from_rfc3339(&at)
                .map_err(|e| bad(e.to_string()))?
                .with_timezone(&Utc),
            count: count.max(0) as u64,
            heartbeat: serde_json::from_str(&body).map_err(|e| bad(e.to_string()))?,
        });
    }
    Ok(HeartbeatList { kiosks })
}

fn parse_day(s: &str) -> rusqlite::Result<NaiveDate> {
    s.parse::<NaiveDate>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// What the follow page of a ticket shows.
#[derive(Debug)]
pub(crate) struct FollowInfo {
    pub display_number: String,
    pub area: ServiceArea,
    pub service_day: NaiveDate,
    pub called: bool,
    /// Waiting tickets with a lower number in the same area and day.
    pub ahead: u32,
    pub issued_at: Option<DateTime<Utc>>,
}

/// The follow view of a ticket, `None` if unknown.
pub(crate) fn follow(conn: &Connection, ticket_id: &str) -> Result<Option<FollowInfo>, ApiError> {
    let row = conn
        .query_row(
            "SELECT t.display_number, t.area_code, t.service_day, t.number,
                    t.called_at IS NOT NULL, t.issued_at
             FROM tickets t WHERE t.ticket_id = ?1",
            [ticket_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, String>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((display_number, area_code, day, number, called, issued_at)) = row else {
        return Ok(None);
    };
    let ahead: u32 = if called {
        0
    } else {
        conn.query_row(
            "SELECT COUNT(*) FROM tickets
             WHERE area_code = ?1 AND service_day = ?2 AND called_at IS NULL AND number < ?3",
            params![area_code, day, number],
            |r| r.get(0),
        )?
    };
    let area = areas(conn)?
        .into_iter()
        .find(|a| a.code == area_code)
        .unwrap_or(ServiceArea {
            code: area_code,
            name_zh: String::new(),
            name_en: String::new(),
            description_zh: String::new(),
            description_en: String::new(),
        });
    Ok(Some(FollowInfo {
        display_number,
        area,
        service_day: parse_day(&day)?,
        called,
        ahead,
        issued_at: DateTime::parse_from_rfc3339(&issued_at)
            .ok()
            .map(|d| d.with_timezone(&Utc)),
    }))
}

/// Stores a case (replacing one with the same number).
pub(crate) fn put_case(conn: &Connection, new: &NewCase) -> Result<(), ApiError> {
    let body = serde_json::to_string(&new.case)
        .map_err(|_| ApiError::new(500, "internal", "serialisation failed"))?;
    conn.execute(
        "INSERT INTO cases (case_number, holder, updated_at, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (case_number) DO UPDATE
         SET holder = excluded.holder, updated_at = excluded.updated_at, body = excluded.body",
        params![
            new.case.case_number.to_ascii_uppercase(),
            new.holder.to_ascii_lowercase(),
            new.case.updated_at.to_rfc3339(),
            body
        ],
    )?;
    Ok(())
}

/// Stores a case only when its number is not there yet (seeding at start).
pub(crate) fn seed_case(conn: &Connection, new: &NewCase) -> Result<(), ApiError> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM cases WHERE case_number = ?1")?
        .exists([new.case.case_number.to_ascii_uppercase()])?;
    if !exists {
        put_case(conn, new)?;
    }
    Ok(())
}

fn decode_case(body: &str) -> Result<CaseProgress, ApiError> {
    serde_json::from_str(body).map_err(|_| ApiError::new(500, "internal", "stored case unreadable"))
}

/// One case by number (case-insensitive), `None` if unknown.
pub(crate) fn case(conn: &Connection, case_number: &str) -> Result<Option<CaseProgress>, ApiError> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM cases WHERE case_number = ?1")?
        .query_row([case_number.to_ascii_uppercase()], |r| r.get(0))
        .optional()?;
    body.as_deref().map(decode_case).transpose()
}

/// The cases of a holder (by [`crate::api::holder_hash`]), newest change first.
pub(crate) fn cases_of_holder(conn: &Connection, holder: &str) -> Result<CaseList, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM cases WHERE holder = ?1 ORDER BY updated_at DESC, case_number",
    )?;
    let rows = stmt.query_map([holder.to_ascii_lowercase()], |r| r.get::<_, String>(0))?;
    let mut cases = Vec::new();
    for row in rows {
        cases.push(decode_case(&row?)?);
    }
    Ok(CaseList { cases })
}

/// Saves accepted nonces `(ts, kiosk, nonce)` in one transaction and forgets those older
/// than `forget_before` (unix seconds).
pub(crate) fn save_nonces(
    conn: &mut Connection,
    nonces: &[(i64, String, String)],
    forget_before: i64,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO nonces (kiosk_id, nonce, ts) VALUES (?1, ?2, ?3)",
        )?;
        for (ts, kiosk, nonce) in nonces {
            insert.execute(params![kiosk, nonce, ts])?;
        }
    }
    tx.execute("DELETE FROM nonces WHERE ts < ?1", [forget_before])?;
    tx.commit()
}

/// Nonces saved at or after `since` (unix seconds), oldest first, as `(ts, kiosk, nonce)`.
pub(crate) fn recent_nonces(
    conn: &Connection,
    since: i64,
) -> rusqlite::Result<Vec<(i64, String, String)>> {
    let mut stmt =
        conn.prepare("SELECT ts, kiosk_id, nonce FROM nonces WHERE ts >= ?1 ORDER BY ts")?;
    let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}
