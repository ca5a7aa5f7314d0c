//! The staff side of the store: the PIN pad's lock-out (survives a restart), the audit log
//! (each row also an `audit` outbox row, in one transaction), the remote commands carried
//! out (each id once), and today's figures for the staff screen.
//!
//! No personal data in any of it: roles, badge numbers, action codes, device names, counts.

use chrono::{DateTime, Utc};
use kiosk_platform::api::audit::{AuditTx, KIND_AUDIT};
use kiosk_platform::api::commands::CommandAck;
use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// The PIN pad's lock-out as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lockout {
    /// Wrong PINs in a row since the last right one or the last lock.
    pub wrong: u32,
    /// Locked until then (wall clock), when a lock was set.
    pub locked_until: Option<DateTime<Utc>>,
}

/// Today's figures on the staff screen: counts only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TodayFigures {
    /// Queue tickets issued today, by service-area code, by code.
    pub tickets_by_area: Vec<(String, u64)>,
    /// Transactions recorded today, by outbox kind (audit rows left out), by kind.
    pub services: Vec<(String, u64)>,
    /// Receipts printed today (queue tickets whose slip came out).
    pub prints: u64,
    /// Device faults recorded today.
    pub faults: u64,
    /// Ratings given today (`rating` outbox rows).
    pub ratings: u64,
}

fn parse_time(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

impl Store {
    /// The stored lock-out (none stored: no wrong PIN, no lock).
    pub fn lockout(&self) -> Result<Lockout, StoreError> {
        let row: Option<(u32, Option<String>)> = self
            .conn
            .query_row(
                "SELECT wrong, locked_until FROM staff_lockout WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((wrong, until)) = row else {
            return Ok(Lockout::default());
        };
        Ok(Lockout {
            wrong,
            locked_until: until.as_deref().map(parse_time).transpose()?,
        })
    }

    /// Stores the lock-out.
    pub fn save_lockout(&self, lockout: &Lockout) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO staff_lockout (id, wrong, locked_until) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET wrong = excluded.wrong,
                                            locked_until = excluded.locked_until",
            params![lockout.wrong, lockout.locked_until.map(|t| t.to_rfc3339())],
        )?;
        Ok(())
    }

    /// Writes one audit row and its `audit` outbox row, in one transaction.
    pub fn audit(&mut self, entry: &AuditTx) -> Result<(), StoreError> {
        let payload = serde_json::to_string(entry)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO audit_log (at, role, badge, action, result) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                entry.at.to_rfc3339(),
                entry.role,
                entry.badge,
                entry.action,
                entry.result
            ],
        )?;
        super::outbox::enqueue(&tx, &self.cipher, KIND_AUDIT, &payload, entry.at)?;
        tx.commit()?;
        Ok(())
    }

    /// The last `limit` audit rows, newest first.
    pub fn recent_audit(&self, limit: usize) -> Result<Vec<AuditTx>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT at, role, badge, action, result FROM audit_log ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(AuditTx {
                at: parse_time(&r.get::<_, String>(0)?)?,
                role: r.get(1)?,
                badge: r.get(2)?,
                action: r.get(3)?,
                result: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Remembers a remote command by its id before it is carried out. False when the id was
    /// seen before: the command must not be carried out again.
    pub fn remember_command(
        &self,
        id: &str,
        command: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO remote_commands (id, command, received_at) VALUES (?1, ?2, ?3)",
            params![id, command, now.to_rfc3339()],
        )?;
        Ok(n == 1)
    }

    /// Records how a remote command ended; it is acknowledged in the next heartbeat.
    pub fn finish_command(
        &self,
        id: &str,
        result: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE remote_commands SET done_at = ?2, result = ?3 WHERE id = ?1",
            params![id, now.to_rfc3339(), result],
        )?;
        Ok(())
    }

    /// Remote commands carried out and not yet acknowledged to the platform.
    pub fn unacked_commands(&self) -> Result<Vec<CommandAck>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, result, done_at FROM remote_commands
             WHERE acked = 0 AND done_at IS NOT NULL ORDER BY done_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CommandAck {
                id: r.get(0)?,
                result: r.get(1)?,
                done_at: parse_time(&r.get::<_, String>(2)?)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The platform took these acknowledgements (its heartbeat answer came).
    pub fn mark_acked(&self, ids: &[String]) -> Result<(), StoreError> {
        for id in ids {
            self.conn
                .execute("UPDATE remote_commands SET acked = 1 WHERE id = ?1", [id])?;
        }
        Ok(())
    }

    /// Today's figures since `start` (the hall day's midnight) for `day` (its service day).
    pub fn today_figures(
        &self,
        start: DateTime<Utc>,
        day: chrono::NaiveDate,
    ) -> Result<TodayFigures, StoreError> {
        let since = start.to_rfc3339();
        let counts = |sql: &str, arg: &str| -> Result<Vec<(String, u64)>, StoreError> {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map([arg], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let one = |sql: &str, arg: &str| -> Result<u64, StoreError> {
            let n: i64 = self.conn.query_row(sql, [arg], |r| r.get(0))?;
            Ok(n.max(0) as u64)
        };
        let services = counts(
            "SELECT kind, count(*) FROM outbox WHERE created_at >= ?1 AND kind <> 'audit'
             GROUP BY kind ORDER BY kind",
            &since,
        )?;
        let ratings = services
            .iter()
            .find(|(k, _)| k == "rating")
            .map_or(0, |(_, n)| *n);
        Ok(TodayFigures {
            tickets_by_area: counts(
                "SELECT area_code, count(*) FROM queue_tickets WHERE service_day = ?1
                 GROUP BY area_code ORDER BY area_code",
                &day.to_string(),
            )?,
            prints: one(
                "SELECT count(*) FROM queue_tickets WHERE printed_at >= ?1",
                &since,
            )?,
            faults: one(
                "SELECT count(*) FROM device_events WHERE at >= ?1 AND kind = 'fault'",
                &since,
            )?,
            services,
            ratings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditTx {
        AuditTx {
            role: "staff".into(),
            badge: "1001".into(),
            action: action.into(),
            result: "ok".into(),
            at: Utc::now(),
        }
    }

    #[test]
    fn an_audit_row_is_also_an_outbox_row() {
        let mut store = Store::open_in_memory().unwrap();
        store.audit(&entry("sign_in")).unwrap();
        store.audit(&entry("restock")).unwrap();
        let recent = store.recent_audit(50).unwrap();
        assert_eq!(
            recent.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
            ["restock", "sign_in"]
        );
        let due = store
            .due_outbox(Utc::now() + chrono::Duration::days(1), 10)
            .unwrap();
        assert_eq!(due.len(), 2);
        assert!(due.iter().all(|r| r.kind == KIND_AUDIT));
        let body: AuditTx = serde_json::from_str(&due[0].payload).unwrap();
        assert_eq!(body.action, "sign_in");
        // Audit rows are not citizens' services in today's figures.
        let start = Utc::now() - chrono::Duration::hours(1);
        let figures = store.today_figures(start, start.date_naive()).unwrap();
        assert!(figures.services.is_empty());
    }

    #[test]
    fn the_lockout_is_kept() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.lockout().unwrap(), Lockout::default());
        let until = DateTime::parse_from_rfc3339("2030-01-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let l = Lockout {
            wrong: 0,
            locked_until: Some(until),
        };
        store.save_lockout(&l).unwrap();
        assert_eq!(store.lockout().unwrap(), l);
        store
            .save_lockout(&Lockout {
                wrong: 2,
                locked_until: None,
            })
            .unwrap();
        assert_eq!(store.lockout().unwrap().wrong, 2);
    }

    #[test]
    fn a_command_id_is_remembered_once_and_acknowledged_once() {
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        assert!(store.remember_command("c1", "{}", now).unwrap());
        assert!(!store.remember_command("c1", "{}", now).unwrap());
        assert!(store.unacked_commands().unwrap().is_empty(), "not done yet");
        store.finish_command("c1", "ok", now).unwrap();
        let acks = store.unacked_commands().unwrap();
        assert_eq!(acks.len(), 1);
        assert_eq!((acks[0].id.as_str(), acks[0].result.as_str()), ("c1", "ok"));
        store.mark_acked(&["c1".into()]).unwrap();
        assert!(store.unacked_commands().unwrap().is_empty());
    }
}
