//! Start-up check and housekeeping: `quick_check`, moving a damaged database aside, purging
//! sent rows after their retention.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags};

use super::{Store, StoreError};

/// Raised when the database at start was damaged and moved aside. The kiosk goes on with a
/// new, empty database; the old file is kept for a technician (its payloads are still sealed
/// under the same key). Nothing is ever recreated over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptAlarm {
    /// Where the damaged file now is.
    pub moved_to: PathBuf,
    /// What `quick_check` (or opening) reported, first line only.
    pub finding: String,
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
                tracing::error!(
                    moved_to = %moved_to.display(),
                    %finding,
                    "ALARM: the kiosk database failed its integrity check and was moved aside; \
                     starting with an empty database. Unsent transactions may be in the moved file: \
                     call a technician"
                );
                alarm = Some(CorruptAlarm { moved_to, finding });
            }
        }
        let store = Self::open(path)?;
        if let Some(a) = &alarm {
            store.record_device_event(
                "store",
                "corrupt_moved_aside",
                &format!("moved to {}: {}", a.moved_to.display(), a.finding),
                Utc::now(),
            )?;
        }
        Ok((store, alarm))
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
        tx.commit()?;
        if outbox_rows > 0 {
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
        let (_s, alarm) = Store::open_at_start(&db).unwrap();
        assert!(alarm.is_none());
    }
}
