//! Start-up check and housekeeping: `quick_check`, moving a damaged database aside (and
//! reading back the outbox rows still readable in it), purging sent rows after their
//! retention.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::{Store, StoreError};

/// Raised when the database at start was damaged and moved aside. The kiosk goes on with a
/// new database holding the outbox rows that could still be read from the old one (queued
/// again under their own idempotency keys, so the platform stores each once); the old file
/// is kept for a technician (its payloads are still sealed under the same key). Nothing is
/// ever recreated over it. The new database remembers it ([`Store::damaged_database`]) for
/// the staff screen and the heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptAlarm {
    /// Where the damaged file now is.
    pub moved_to: PathBuf,
    /// What `quick_check` (or opening) reported, first line only.
    pub finding: String,
    /// Pending or failed outbox rows read back and queued again.
    pub recovered: u64,
    /// Outbox rows that could not be read back (damaged pages, payloads that no longer
    /// decrypt).
    pub unreadable: u64,
}

/// An outbox row read back from a damaged file, payload still sealed.
struct SalvagedRow {
    idempotency_key: String,
    kind: String,
    payload: String,
    created_at: String,
    attempts: i64,
    last_error: Option<String>,
    state: String,
}

/// Most read errors tolerated while salvaging (each skips one row id): a badly damaged file
/// must not keep the kiosk from starting.
const SALVAGE_MAX_ERRORS: u64 = 100_000;

/// Reads the outbox rows that are still readable from a damaged file, row by row: a damaged
/// page loses the rows on it, not the rest. Sent rows are skipped (the platform has them).
/// Read-only, so the damaged file stays as it was for the technician. SQLite's `.recover`
/// is a shell command, not in the bundled library; this is its part that matters here.
fn salvage_outbox(path: &Path) -> (Vec<SalvagedRow>, u64) {
    let conn = match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(c) => c,
        Err(_) => return (Vec::new(), 0),
    };
    let mut rows = Vec::new();
    let mut unreadable = 0u64;
    let mut after: i64 = i64::MIN;
    let mut errors = 0u64;
    'scan: loop {
        let stmt = conn.prepare(
            "SELECT id, idempotency_key, kind, payload, created_at, attempts, last_error, state
             FROM outbox WHERE id > ?1 ORDER BY id",
        );
        let Ok(mut stmt) = stmt else {
            // No readable outbox table at all (the schema itself is gone).
            break;
        };
        let Ok(mut cursor) = stmt.query([after]) else {
            break;
        };
        loop {
            match cursor.next() {
                Ok(None) => break 'scan,
                Ok(Some(r)) => {
                    let id: i64 = match r.get(0) {
                        Ok(id) => id,
                        Err(_) => {
                            unreadable += 1;
                            errors += 1;
                            after = after.saturating_add(1);
                            continue 'scan;
                        }
                    };
                    after = id;
                    let row = (|| -> rusqlite::Result<SalvagedRow> {
                        Ok(SalvagedRow {
                            idempotency_key: r.get(1)?,
                            kind: r.get(2)?,
                            payload: r.get(3)?,
                            created_at: r.get(4)?,
                            attempts: r.get(5)?,
                            last_error: r.get(6)?,
                            state: r.get(7)?,
                        })
                    })();
                    match row {
                        Ok(row) if row.state == "sent" => {}
                        Ok(row) => rows.push(row),
                        Err(_) => unreadable += 1,
                    }
                }
                Err(_) => {
                    // A damaged page: skip one id past the last good one and look again.
                    unreadable += 1;
                    errors += 1;
                    if errors > SALVAGE_MAX_ERRORS || after == i64::MAX {
                        break 'scan;
                    }
                    after = after.saturating_add(1);
                    continue 'scan;
                }
            }
        }
    }
    (rows, unreadable)
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Outbox rows deleted.
    pub outbox_rows: usize,
    /// Ticket rows deleted with them.
    pub tickets: usize,
}

/// `PRAGMA quick_check` on the file; `Ok(None)` when sound.
fn check(path: &Path) -> Option<String> {
    let conn = match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE) {
        Ok(c) => c,
        Err(e) => return Some(format!("cannot open: {e}")),
    };
    let mut findings: Vec<String> = Vec::new();
    let result = conn.prepare("PRAGMA quick_check").and_then(|mut stmt| {
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for r in rows {
            findings.push(r?);
        }
        Ok(())
    });
    match result {
        Err(e) => Some(format!("quick_check failed: {e}")),
        Ok(()) if findings.len() == 1 && findings[0] == "ok" => None,
        Ok(()) => Some(
            findings
                .into_iter()
                .next()
                .unwrap_or_else(|| "no answer".into()),
        ),
    }
}

impl Store {
    /// Opens the database at start: runs `quick_check` on an existing file and, when it is
    /// damaged, moves it (with its `-wal` and `-shm`) aside as `<name>.corrupt-<UTC time>`,
    /// logs an alarm, records a `store`/`corrupt_moved_aside` device event in the new
    /// database and returns the alarm so the caller can show it to staff.
    pub fn open_at_start(path: &Path) -> Result<(Self, Option<CorruptAlarm>), StoreError> {
        let mut alarm = None;
        if path.exists() {
            if let Some(finding) = check(path) {
                let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
                let moved_to = PathBuf::from(format!("{}.corrupt-{stamp}", path.display()));
                for suffix in ["", "-wal", "-shm"] {
                    let from = PathBuf::from(format!("{}{suffix}", path.display()));
                    if from.exists() {
                        let to = PathBuf::from(format!("{}{suffix}", moved_to.display()));
                        std::fs::rename(&from, &to).map_err(|source| StoreError::MoveAside {
                            path: from.clone(),
                            source,
                        })?;
                    }
                }
                alarm = Some(CorruptAlarm {
                    moved_to,
                    finding,
                    recovered: 0,
                    unreadable: 0,
                });
            }
        }
        let mut store = Self::open(path)?;
        if let Some(a) = &mut alarm {
            let (rows, unreadable) = salvage_outbox(&a.moved_to);
            let (recovered, undecryptable) = store.requeue_salvaged(rows, a, Utc::now())?;
            a.recovered = recovered;
            a.unreadable = unreadable + undecryptable;
            tracing::error!(
                moved_to = %a.moved_to.display(),
                finding = %a.finding,
                recovered = a.recovered,
                unreadable = a.unreadable,
                "ALARM: the kiosk database failed its integrity check and was moved aside; \
                 the outbox rows still readable in it were queued again. Call a technician"
            );
            store.record_device_event(
                "store",
                "corrupt_moved_aside",
                &format!(
                    "moved to {}: {}; {} rows recovered, {} unreadable",
                    a.moved_to.display(),
                    a.finding,
                    a.recovered,
                    a.unreadable
                ),
                Utc::now(),
            )?;
        }
        Ok((store, alarm))
    }

    /// Queues salvaged rows again and remembers the damaged file, in one transaction (a
    /// crash here leaves the file not remembered and nothing queued, and the next start
    /// does not see the file again at the database's path: so rows are queued at most
    /// once; the idempotency keys make the platform store each at most once). Rows whose
    /// payload no longer decrypts, or whose key is already queued, are not queued.
    /// Returns (queued, undecryptable).
    fn requeue_salvaged(
        &mut self,
        rows: Vec<SalvagedRow>,
        alarm: &CorruptAlarm,
        now: DateTime<Utc>,
    ) -> Result<(u64, u64), StoreError> {
        let mut queued = 0u64;
        let mut bad = 0u64;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for row in rows {
            let plain_ok = self
                .cipher
                .open(&row.payload, &row.idempotency_key)
                .ok()
                .filter(|p| serde_json::from_str::<serde_json::Value>(p).is_ok())
                .is_some();
            let when_ok = DateTime::parse_from_rfc3339(&row.created_at).is_ok();
            let state_ok = matches!(row.state.as_str(), "pending" | "failed");
            if !(plain_ok && when_ok && state_ok) {
                bad += 1;
                continue;
            }
            queued += tx.execute(
                "INSERT OR IGNORE INTO outbox
                   (idempotency_key, kind, payload, created_at, attempts, next_attempt_at,
                    last_error, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    row.idempotency_key,
                    row.kind,
                    row.payload,
                    row.created_at,
                    row.attempts.max(0),
                    now.to_rfc3339(),
                    row.last_error,
                    row.state
                ],
            )? as u64;
        }
        tx.execute(
            "INSERT OR IGNORE INTO damaged_databases (at, moved_to, finding, recovered, unreadable)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                now.to_rfc3339(),
                alarm.moved_to.display().to_string(),
                alarm.finding,
                queued as i64,
                (bad + alarm.unreadable) as i64
            ],
        )?;
        tx.commit()?;
        Ok((queued, bad))
    }

    /// The last damaged database moved aside at start, if any: the staff screen and the
    /// heartbeat show it until a technician clears it ([`Store::clear_damaged_databases`]).
    pub fn damaged_database(&self) -> Result<Option<crate::sync::DamagedDatabase>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT at, moved_to, finding, recovered, unreadable FROM damaged_databases
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    let at: String = r.get(0)?;
                    Ok(crate::sync::DamagedDatabase {
                        at: DateTime::parse_from_rfc3339(&at)
                            .map(|t| t.with_timezone(&Utc))
                            .unwrap_or_default(),
                        moved_to: r.get(1)?,
                        finding: r.get(2)?,
                        recovered: r.get::<_, i64>(3)?.max(0) as u64,
                        unreadable: r.get::<_, i64>(4)?.max(0) as u64,
                    })
                },
            )
            .optional()?)
    }

    /// Forgets the damaged databases (a technician has dealt with them); returns how many.
    pub fn clear_damaged_databases(&self) -> Result<usize, StoreError> {
        Ok(self.conn.execute("DELETE FROM damaged_databases", [])?)
    }

    /// Deletes sent rows (and their tickets) sent before `now - retention`, then checkpoints
    /// the WAL so no old page lingers there. With `secure_delete` on (every connection), the
    /// freed pages are overwritten with zeros, not left in the free list.
    pub fn purge_sent(
        &mut self,
        now: DateTime<Utc>,
        retention: chrono::Duration,
    ) -> Result<PurgeReport, StoreError> {
        let cutoff = (now - retention).to_rfc3339();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let tickets = tx.execute(
            "DELETE FROM queue_tickets WHERE outbox_id IN
               (SELECT id FROM outbox WHERE state = 'sent' AND sent_at < ?1)",
            params![cutoff],
        )?;
        let outbox_rows = tx.execute(
            "DELETE FROM outbox WHERE state = 'sent' AND sent_at < ?1",
            params![cutoff],
        )?;
        // A fine's payment (sealed: the plate, the decision number, the money) goes with the
        // sent rows once it is over; an open one stays until the platform has said where it is.
        let fines = tx.execute(
            "DELETE FROM fine_payments WHERE state IN ('paid', 'closed') AND closed_at < ?1",
            params![cutoff],
        )?;
        // Certificates kept for a reprint go when their own time is up.
        let reprints = tx.execute(
            "DELETE FROM reprints WHERE expires_at < ?1",
            params![now.to_rfc3339()],
        )?;
        tx.commit()?;
        if reprints > 0 || fines > 0 {
            tracing::info!(reprints, fines, "expired reprints and fine payments purged");
        }
        if outbox_rows > 0 || reprints > 0 || fines > 0 {
            // Busy readers may keep part of the WAL; the next purge gets it.
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            tracing::info!(outbox_rows, tickets, "sent rows purged after retention");
        }
        Ok(PurgeReport {
            outbox_rows,
            tickets,
        })
    }

    /// Outbox depth for heartbeats and staff: (pending, failed).
    pub fn outbox_depth(&self) -> Result<(u64, u64), StoreError> {
        let c = self.outbox_counts()?;
        Ok((c.pending, c.failed))
    }

    /// The last event of each device, for the heartbeat (`device`, `kind`).
    pub fn device_health(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT device, kind FROM device_events e
             WHERE id = (SELECT max(id) FROM device_events WHERE device = e.device)
             ORDER BY device",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// Tests: damages the database file at `path` the way a bad sector would, in an index page
/// (so `quick_check` fails while the outbox's own rows stay readable). Every connection to
/// it must be closed.
#[cfg(test)]
pub(crate) fn damage_an_index(path: &Path) {
    let (root, page_size): (i64, i64) = {
        let conn = Connection::open(path).unwrap();
        // One file, no WAL, so the bytes written below are what SQLite reads.
        conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .unwrap();
        let root = conn
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'outbox_due'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let size = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        (root, size)
    };
    let mut bytes = std::fs::read(path).unwrap();
    let at = ((root - 1) * page_size) as usize;
    for b in &mut bytes[at..at + 16] {
        *b = 0xFF;
    }
    std::fs::write(path, bytes).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_rows_are_purged_after_retention_only() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let old = s.enqueue("test", "{}", now).unwrap();
        let recent = s.enqueue("test", "{}", now).unwrap();
        let pending = s.enqueue("test", "{}", now).unwrap();
        s.mark_sent(&[old], now - chrono::Duration::days(8))
            .unwrap();
        s.mark_sent(&[recent], now - chrono::Duration::days(1))
            .unwrap();
        let r = s.purge_sent(now, chrono::Duration::days(7)).unwrap();
        assert_eq!(r.outbox_rows, 1);
        assert!(s.outbox_row(old).unwrap().is_none());
        assert!(s.outbox_row(recent).unwrap().is_some());
        assert!(s.outbox_row(pending).unwrap().is_some());
        let sd: i64 = s
            .conn()
            .query_row("PRAGMA secure_delete", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sd, 1);
    }

    #[test]
    fn a_damaged_file_is_moved_aside_with_an_alarm_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.sqlite");
        std::fs::write(&db, b"this is not a database, but it is somebody's data").unwrap();
        let (store, alarm) = Store::open_at_start(&db).unwrap();
        let alarm = alarm.expect("alarm raised");
        assert_eq!(
            std::fs::read(&alarm.moved_to).unwrap(),
            b"this is not a database, but it is somebody's data"
        );
        assert_eq!(store.device_health().unwrap()[0].1, "corrupt_moved_aside");
        drop(store);
        // A sound database opens without an alarm.
        let (s, alarm) = Store::open_at_start(&db).unwrap();
        assert!(alarm.is_none());
        // ... and still remembers the one moved aside, for staff and the heartbeat.
        let remembered = s.damaged_database().unwrap().expect("remembered");
        assert_eq!((remembered.recovered, remembered.unreadable), (0, 0));
    }

    #[test]
    fn the_readable_rows_of_a_damaged_file_are_queued_again_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("kiosk.sqlite");
        let now = Utc::now();
        let (keys, sent_key) = {
            let mut s = Store::open(&db).unwrap();
            let ids: Vec<i64> = (0..5)
                .map(|i| {
                    s.enqueue("queue_ticket", &format!(r#"{{"n":{i}}}"#), now)
                        .unwrap()
                })
                .collect();
            s.mark_sent(&ids[..1], now).unwrap();
            s.mark_failed(ids[1], "refused").unwrap();
            let key = |id| s.outbox_row(id).unwrap().unwrap().idempotency_key;
            let keys: Vec<String> = ids[1..].iter().map(|id| key(*id)).collect();
            (keys, key(ids[0]))
        };
        damage_an_index(&db);
        let (s, alarm) = Store::open_at_start(&db).unwrap();
        let alarm = alarm.expect("damage found");
        assert_eq!((alarm.recovered, alarm.unreadable), (4, 0));
        let counts = s.outbox_counts().unwrap();
        assert_eq!((counts.pending, counts.failed, counts.sent), (3, 1, 0));
        // Same keys (the platform recognises what it already has), same payloads.
        let due = s.due_outbox(Utc::now(), 10).unwrap();
        let got: Vec<String> = due.iter().map(|r| r.idempotency_key.clone()).collect();
        assert_eq!(&got[..], &keys[1..]);
        assert!(!got.contains(&sent_key));
        assert_eq!(due[0].payload, r#"{"n":2}"#);
        let remembered = s.damaged_database().unwrap().expect("remembered");
        assert_eq!(remembered.recovered, 4);
        assert_eq!(remembered.moved_to, alarm.moved_to.display().to_string());
        drop(s);
        // The next start neither alarms nor queues them again.
        let (s, alarm) = Store::open_at_start(&db).unwrap();
        assert!(alarm.is_none());
        assert_eq!(s.outbox_counts().unwrap().pending, 3);
        assert_eq!(s.clear_damaged_databases().unwrap(), 1);
        assert!(s.damaged_database().unwrap().is_none());
    }
}
