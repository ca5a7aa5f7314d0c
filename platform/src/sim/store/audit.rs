//! The kiosks' audit log: one row per staff, technician or remote-command action, stored
//! from `audit` transactions ([`crate::api::audit::AuditTx`]).

use rusqlite::{params, Connection};

use super::{payload, ApiError, Upload};
use crate::api::audit::{AuditTx, KIND_AUDIT};

/// Migration: the audit rows the kiosks uploaded.
/// Released: never edit it; a change is a new migration in `super::MIGRATIONS`.
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE audit_log (
        kiosk_id        TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        at              TEXT NOT NULL,
        role            TEXT NOT NULL,
        badge           TEXT NOT NULL,
        action          TEXT NOT NULL,
        result          TEXT NOT NULL,
        PRIMARY KEY (kiosk_id, idempotency_key)
    );
    "#;

/// Stores one `audit` transaction ([`super::StoreKind`]).
pub(crate) fn store(
    conn: &Connection,
    up: &Upload<'_>,
    body: &serde_json::Value,
) -> rusqlite::Result<Result<(), String>> {
    let tx: AuditTx = match payload(KIND_AUDIT, body) {
        Ok(tx) => tx,
        Err(why) => return Ok(Err(why)),
    };
    if let Err(why) = tx.check() {
        return Ok(Err(format!("invalid audit payload: {why}")));
    }
    conn.execute(
        "INSERT OR IGNORE INTO audit_log
             (kiosk_id, idempotency_key, at, role, badge, action, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            up.kiosk_id,
            up.idempotency_key,
            tx.at.to_rfc3339(),
            tx.role,
            tx.badge,
            tx.action,
            tx.result
        ],
    )?;
    Ok(Ok(()))
}

/// Every audit row of `kiosk_id`, oldest first (the operators' view and the tests).
pub(crate) fn audit_of(conn: &Connection, kiosk_id: &str) -> Result<Vec<AuditTx>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT at, role, badge, action, result FROM audit_log
         WHERE kiosk_id = ?1 ORDER BY at, rowid",
    )?;
    let rows = stmt.query_map([kiosk_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            AuditTx {
                role: r.get(1)?,
                badge: r.get(2)?,
                action: r.get(3)?,
                result: r.get(4)?,
                at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, mut tx) = row?;
        tx.at = chrono::DateTime::parse_from_rfc3339(&at)
            .map_err(|_| ApiError::new(500, "internal", "stored audit time unreadable"))?
            .with_timezone(&chrono::Utc);
        out.push(tx);
    }
    Ok(out)
}
