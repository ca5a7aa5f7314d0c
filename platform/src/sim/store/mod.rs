//! The simulator's SQLite store: the database, schema migrations, kiosks, the batch
//! upload, heartbeats and nonces. Each citizen service keeps its tables' queries in its
//! own module below; a service with a transaction kind registers it in [`KINDS`], and
//! its tables come in as a migration appended to [`MIGRATIONS`].
//!
//! Each worker thread has its own connection; WAL lets readers (status, follow pages)
//! run beside a writer, and every write path starts an IMMEDIATE transaction so that
//! concurrent lease allocations serialise instead of failing with SQLITE_BUSY on upgrade.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::de::DeserializeOwned;

use sha2::{Digest, Sha256};

use crate::api::appointment::{KIND_APPOINTMENT_BOOK, KIND_APPOINTMENT_CANCEL};
use crate::api::{
    BatchResult, Heartbeat, HeartbeatList, Holdings, KioskHeartbeat, Transaction, TransactionBatch,
    TxResult, TxStatus, KIND_QUEUE_TICKET,
};

// The service registry: one line per citizen service.
pub(crate) mod apply;
pub(crate) mod appointment;
// Staff and remote management: the kiosks' audit log, the commands queued for them.
pub(crate) mod audit;
pub(crate) mod case_progress;
pub(crate) mod catalog;
pub(crate) mod certificate;
pub(crate) mod commands;
pub(crate) mod identity;
pub(crate) mod medical_insurance;
pub(crate) mod personal_documents;
pub(crate) mod queue_ticket;
pub(crate) mod rating;
pub(crate) mod sample_forms;
pub(crate) mod traffic_fine;

/// Stores one transaction of a service's kind, inside the batch's database transaction:
/// checks the payload against what the platform holds and, when it is valid, writes the
/// service's rows (the generic `transactions` row is the caller's). `Ok(Err(reason))`
/// refuses this row alone and must have written nothing but a record of the refusal that a
/// second send leaves as it is (the appointment's answer for its holder); `Err` is a database failure,
/// which fails the whole batch.
pub(crate) type StoreKind =
    fn(&Connection, &Upload<'_>, &serde_json::Value) -> rusqlite::Result<Result<(), String>>;

/// The transaction kinds the platform accepts, each with the service module that stores
/// it: one line per service that uploads transactions. Any other kind is refused per row
/// (`unknown kind "…"`), as `docs/platform-api.md` says, and the rest of the batch goes on.
pub(crate) const KINDS: &[(&str, StoreKind)] = &[
    (KIND_QUEUE_TICKET, queue_ticket::store),
    (KIND_APPOINTMENT_BOOK, appointment::store),
    (KIND_APPOINTMENT_CANCEL, appointment::store_cancel),
    (crate::api::rating::KIND_RATING, rating::store),
    (crate::api::audit::KIND_AUDIT, audit::store),
];

/// The service module that stores transactions of `kind`.
fn store_for(kind: &str) -> Option<StoreKind> {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, store)| *store)
}

/// The row of an upload being stored: who sent it, under which key.
pub(crate) struct Upload<'a> {
    /// The authenticated kiosk.
    pub kiosk_id: &'a str,
    /// The row's idempotency key (non-empty).
    pub idempotency_key: &'a str,
}

/// A transaction's payload as the type its kind says, or the per-row refusal
/// `invalid <kind> payload: …` (serde's message names the field, never echoes values).
pub(crate) fn payload<T: DeserializeOwned>(
    kind: &str,
    payload: &serde_json::Value,
) -> Result<T, String> {
    T::deserialize(payload).map_err(|e| format!("invalid {kind} payload: {e}"))
}

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
    // 3: citizens' cases (the case-progress service).
    case_progress::MIGRATION_3,
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
    // 5: queue counts (the queue-ticket service).
    queue_ticket::MIGRATION_5,
    // 6: matters, closed days and bookings (the appointment service).
    appointment::MIGRATION_6,
    // 7: the documents kept for each holder (the personal-documents service).
    personal_documents::MIGRATION,
    // 8: booking states, answers kept for the holder, priority tickets (appointments).
    appointment::MIGRATION_8,
    // 9: kinds of certificate and the certificates issued (the certificate service).
    certificate::MIGRATION_9,
    // 10: ratings (好差评); 11: the SMS gateway's messages; 12: the phone numbers left
    // with queue tickets, for silent calling.
    rating::MIGRATION,
    crate::sim::sms::MIGRATION,
    queue_ticket::MIGRATION_SILENT_CALLING,
    // 13: SMS codes, wrong tries and locks, e-ID codes (identification without the card).
    identity::MIGRATION_13,
    // 14, 15: the kiosks' audit log; remote commands and their acknowledgements.
    audit::MIGRATION,
    commands::MIGRATION,
    // 16: traffic fines and their payment orders (the traffic-fine service).
    traffic_fine::MIGRATION_16,
    // 17: the sample forms' library and their rendered page images.
    sample_forms::MIGRATION_17,
    // 18: applications and their parts (the apply service; 17 is the sample forms').
    apply::MIGRATION_18,
    // 19: the postal address kept with the case (the apply service's typed address).
    apply::MIGRATION_19,
    // 20: the diagnostic bundles kiosks uploaded for `upload_bundle` commands.
    commands::MIGRATION_BUNDLES,
    // 21: where each area is (floor, windows) and the hall's notices.
    catalog::MIGRATION_21,
    // 22: where the hall's service desk is.
    catalog::MIGRATION_22,
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
        } else if let Some(store) = store_for(&t.kind) {
            let upload = Upload {
                kiosk_id,
                idempotency_key: &t.idempotency_key,
            };
            match store(&tx, &upload, &t.payload)? {
                Err(reason) => (TxStatus::Rejected, Some(reason)),
                Ok(()) => {
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
                    (TxStatus::Accepted, None)
                }
            }
        } else {
            (
                TxStatus::Rejected,
                Some(format!("unknown kind {:?}", t.kind)),
            )
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
    Ok(Holdings {
        transactions: transactions.max(0) as u64,
        tickets: queue_ticket::held_tickets(conn)?,
        duplicates_refused: duplicates.max(0) as u64,
        appointments: appointment::held_appointments(conn)?,
        fine_payments: traffic_fine::held(conn)?,
        applications: apply::held(conn)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{LeaseRequest, QueueTicketTx};

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("platform.sqlite")).unwrap();
        migrate(&mut conn).unwrap();
        upsert_kiosks(&mut conn, &[("k".to_owned(), b"key".to_vec())]).unwrap();
        (dir, conn)
    }

    fn tx(key: &str, kind: &str, payload: serde_json::Value) -> Transaction {
        Transaction {
            idempotency_key: key.to_owned(),
            kind: kind.to_owned(),
            created_at: Utc::now(),
            payload,
        }
    }

    /// A kind no service registered is refused on its own row; the rows around it are
    /// stored, in order, as `docs/platform-api.md` promises.
    #[test]
    fn an_unknown_kind_is_refused_per_row_and_the_batch_goes_on() {
        let (_dir, mut conn) = db();
        let day = crate::api::hall_service_day(Utc::now());
        let lease = queue_ticket::lease(
            &mut conn,
            "k",
            &LeaseRequest {
                area_code: "A".to_owned(),
                service_day: day,
                size: 2,
            },
        )
        .unwrap();
        let ticket = |n: u32| {
            let t = QueueTicketTx {
                ticket_id: uuid::Uuid::new_v4().to_string(),
                area_code: "A".to_owned(),
                number: n,
                display_number: crate::api::display_number("A", n),
                service_day: day,
                issued_at: Utc::now(),
                phone: None,
                lease_id: lease.lease_id.clone(),
            };
            serde_json::to_value(t).unwrap()
        };
        let batch = TransactionBatch {
            transactions: vec![
                tx("k1", KIND_QUEUE_TICKET, ticket(lease.first)),
                tx("k2", "parking_permit", serde_json::json!({})),
                tx("k3", KIND_QUEUE_TICKET, ticket(lease.last)),
            ],
        };
        let r = upload(&mut conn, "k", &batch).unwrap();
        let got: Vec<_> = r
            .results
            .iter()
            .map(|r| (r.idempotency_key.as_str(), r.status, r.reason.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("k1", TxStatus::Accepted, None),
                (
                    "k2",
                    TxStatus::Rejected,
                    Some("unknown kind \"parking_permit\"")
                ),
                ("k3", TxStatus::Accepted, None),
            ]
        );
        let held = holdings(&conn).unwrap();
        assert_eq!(held.transactions, 2);
        assert_eq!(held.tickets.len(), 2);
    }

    /// Every registered kind reaches its service module: a payload of the wrong shape is
    /// refused by that module's own check (`invalid <kind> payload`), not as unknown.
    #[test]
    fn each_registered_kind_routes_to_its_service() {
        let (_dir, mut conn) = db();
        let mut names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len(), "a kind is registered twice");
        let batch = TransactionBatch {
            transactions: KINDS
                .iter()
                .enumerate()
                .map(|(i, (kind, _))| tx(&format!("k{i}"), kind, serde_json::json!([])))
                .collect(),
        };
        let r = upload(&mut conn, "k", &batch).unwrap();
        for ((kind, _), result) in KINDS.iter().zip(&r.results) {
            assert_eq!(result.status, TxStatus::Rejected, "{kind}");
            let reason = result.reason.as_deref().unwrap_or_default();
            assert!(
                reason.starts_with(&format!("invalid {kind} payload")),
                "{kind}: {reason}"
            );
        }
        assert_eq!(holdings(&conn).unwrap().transactions, 0);
    }
}
