//! The outbox: every transaction the platform must receive, in creation order.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::{PayloadCipher, Store, StoreError};

/// Where a row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting to be sent (or to be retried).
    Pending,
    /// Acknowledged by the platform.
    Sent,
    /// Refused by the platform for a reason a retry will not fix; a person must look.
    Failed,
}

impl OutboxState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Local row id (creation order).
    pub id: i64,
    /// Sent with the row; the platform de-duplicates by it.
    pub idempotency_key: String,
    /// Transaction kind, e.g. `queue_ticket`.
    pub kind: String,
    /// JSON payload (decrypted; sealed in the database).
    pub payload: String,
    /// When the business write happened.
    pub created_at: DateTime<Utc>,
    /// Send attempts so far.
    pub attempts: u32,
    /// Last error, for staff.
    pub last_error: Option<String>,
    /// Where it stands.
    pub state: OutboxState,
}

/// How many rows stand where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting.
    pub pending: u64,
    /// Acknowledged.
    pub sent: u64,
    /// Needing a person.
    pub failed: u64,
}

/// Adds a row inside the caller's transaction (with the business write it belongs to).
/// The payload is sealed before it reaches SQLite.
pub(crate) fn enqueue(
    tx: &Transaction<'_>,
    cipher: &PayloadCipher,
    kind: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let key = uuid::Uuid::new_v4().to_string();
    let sealed = cipher.seal(payload, &key);
    tx.prepare_cached(
        "INSERT INTO outbox (idempotency_key, kind, payload, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![key, kind, sealed, now.to_rfc3339()])?;
    Ok(tx.last_insert_rowid())
}

fn row_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    let created: String = r.get(4)?;
    let state: String = r.get(7)?;
    Ok(OutboxRow {
        id: r.get(0)?,
        idempotency_key: r.get(1)?,
        kind: r.get(2)?,
        payload: r.get(3)?,
        created_at: DateTime::parse_from_rfc3339(&created)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
            })?,
        attempts: r.get(5)?,
        last_error: r.get(6)?,
        state: OutboxState::parse(&state),
    })
}

impl Store {
    /// Durably adds one outbox row in its own transaction (for transactions that have no
    /// other business write; ticket issuing uses the ticket's transaction instead).
    pub fn enqueue(
        &mut self,
        kind: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let id = enqueue(&tx, &self.cipher, kind, payload, now)?;
        tx.commit()?;
        Ok(id)
    }

    fn unseal(&self, mut row: OutboxRow) -> Result<OutboxRow, StoreError> {
        row.payload = self.cipher.open(&row.payload, &row.idempotency_key)?;
        Ok(row)
    }

    /// Seals payloads written before encryption existed (a database from an older build).
    pub(super) fn seal_legacy_payloads(&mut self) -> Result<(), StoreError> {
        // Usually there is nothing to do: check without taking the write lock.
        let unsealed: i64 = self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE substr(payload, 1, 3) <> 'x1:'",
            [],
            |r| r.get(0),
        )?;
        if unsealed == 0 {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let rows: Vec<(i64, String, String)> = {
            let mut stmt = tx.prepare("SELECT id, idempotency_key, payload FROM outbox")?;
            let all = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            all.into_iter()
                .filter(|(_, _, p): &(i64, String, String)| !PayloadCipher::is_sealed(p))
                .collect()
        };
        for (id, key, payload) in &rows {
            tx.execute(
                "UPDATE outbox SET payload = ?2 WHERE id = ?1",
                params![id, self.cipher.seal(payload, key)],
            )?;
        }
        tx.commit()?;
        if !rows.is_empty() {
            tracing::info!(rows = rows.len(), "outbox payloads sealed");
        }
        Ok(())
    }

    /// Pending rows that are due at `now`, oldest first.
    ///
    /// Order matters: once an older row is waiting for its backoff, younger rows wait too, so
    /// the platform sees transactions in the order citizens made them.
    pub fn due_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, idempotency_key, kind, payload, created_at, attempts, last_error, state
             FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], row_from)?
            .collect::<Result<Vec<_>, _>>()?;
        drop(stmt);
        let first_due = self.conn.query_row(
            "SELECT next_attempt_at <= ?1 FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 1",
            [now.to_rfc3339()],
            |r| r.get::<_, bool>(0),
        );
        match first_due {
            Ok(true) => rows.into_iter().map(|r| self.unseal(r)).collect(),
            Ok(false) | Err(rusqlite::Error::QueryReturnedNoRows) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Marks rows acknowledged by the platform. Personal data the platform now holds is
    /// scrubbed from the local payload at once (the rest is purged after the retention).
    pub fn mark_sent(&mut self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut read = tx.prepare_cached(
                "SELECT idempotency_key, payload FROM outbox WHERE id = ?1 AND state = 'pending'",
            )?;
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL,
                 attempts = attempts + 1, payload = ?3
                 WHERE id = ?1 AND state = 'pending'",
            )?;
            for id in ids {
                let row: Option<(String, String)> = read
                    .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let Some((key, stored)) = row else { continue };
                let plain = self.cipher.open(&stored, &key)?;
                let scrubbed = match serde_json::from_str::<serde_json::Value>(&plain) {
                    Ok(serde_json::Value::Object(mut m)) => {
                        m.remove("phone");
                        serde_json::Value::Object(m).to_string()
                    }
                    _ => plain,
                };
                stmt.execute(params![
                    id,
                    now.to_rfc3339(),
                    self.cipher.seal(&scrubbed, &key)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks a row refused for good: staff see it with the platform's reason.
    pub fn mark_failed(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET state = 'failed', last_error = ?2, attempts = attempts + 1
             WHERE id = ?1",
            params![id, reason],
        )?;
        Ok(())
    }

    /// Records a failed attempt for rows that stay pending, and when to try again.
    pub fn mark_retry(
        &mut self,
        ids: &[i64],
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
                 WHERE id = ?1 AND state = 'pending'",
            )?;
            for id in ids {
                stmt.execute(params![id, error, next_attempt_at.to_rfc3339()])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Brings every pending row whose next attempt is after `latest` forward to `latest`;
    /// returns how many. The sync worker calls it at start with the longest wait any answer
    /// can now cause, so a row parked far in the future by an older build (which trusted a
    /// huge `Retry-After`) neither waits forever nor holds back the rows after it.
    pub fn clamp_next_attempts(&self, latest: DateTime<Utc>) -> Result<usize, StoreError> {
        let rows: Vec<(i64, String)> = {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id, next_attempt_at FROM outbox WHERE state = 'pending'")?;
            let all = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            all
        };
        let mut moved = 0;
        for (id, next) in rows {
            // Parsed, not compared as text: a year past 9999 is written with a sign and
            // would sort before every ordinary date.
            let too_late = match DateTime::parse_from_rfc3339(&next) {
                Ok(t) => t.with_timezone(&Utc) > latest,
                Err(_) => true,
            };
            if too_late {
                moved += self.conn.execute(
                    "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1 AND state = 'pending'",
                    params![id, latest.to_rfc3339()],
                )?;
            }
        }
        Ok(moved)
    }

    /// Marks rows refused for good, all with the same reason (a whole batch the platform
    /// refused with a final 4xx).
    pub fn mark_all_failed(&mut self, ids: &[i64], reason: &str) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET state = 'failed', last_error = ?2, attempts = attempts + 1
                 WHERE id = ?1 AND state = 'pending'",
            )?;
            for id in ids {
                stmt.execute(params![id, reason])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Puts every failed row back in the queue (staff fixed the cause); returns how many.
    pub fn retry_all_failed(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?1 WHERE state = 'failed'",
            params![now.to_rfc3339()],
        )?)
    }

    /// Failed rows for staff: id, kind, reason (no payload: it may hold personal data).
    pub fn failed_outbox(&self) -> Result<Vec<(i64, String, Option<String>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, last_error FROM outbox WHERE state = 'failed' ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Puts a failed row back in the queue (a person decided to retry it).
    pub fn retry_failed(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?2 WHERE id = ?1 AND state = 'failed'",
            params![id, now.to_rfc3339()],
        )?;
        Ok(n == 1)
    }

    /// Counts by state.
    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let mut counts = OutboxCounts::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, count(*) FROM outbox GROUP BY state")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let state: String = r.get(0)?;
            let n: u64 = r.get(1)?;
            match OutboxState::parse(&state) {
                OutboxState::Pending => counts.pending = n,
                OutboxState::Sent => counts.sent = n,
                OutboxState::Failed => counts.failed = n,
            }
        }
        Ok(counts)
    }

    /// One row by id.
    pub fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT id, idempotency_key, kind, payload, created_at, attempts, last_error, state
                 FROM outbox WHERE id = ?1",
                [id],
                row_from,
            )
            .optional()?;
        row.map(|r| self.unseal(r)).transpose()
    }
}

impl OutboxState {
    /// The stored spelling, for display to staff.
    pub fn label(self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(store: &mut Store, payload: &str, now: DateTime<Utc>) -> i64 {
        store.enqueue("test", payload, now).unwrap()
    }

    #[test]
    fn rows_come_out_in_creation_order_and_leave_when_sent() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let a = add(&mut s, r#"{"n":1}"#, now);
        let b = add(&mut s, r#"{"n":2}"#, now);
        let due = s.due_outbox(now, 10).unwrap();
        assert_eq!(due.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a, b]);
        assert_ne!(due[0].idempotency_key, due[1].idempotency_key);
        s.mark_sent(&[a], now).unwrap();
        let due = s.due_outbox(now, 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            s.outbox_counts().unwrap(),
            OutboxCounts {
                pending: 1,
                sent: 1,
                failed: 0
            }
        );
    }

    #[test]
    fn a_row_in_backoff_holds_back_the_rows_after_it() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let a = add(&mut s, "{}", now);
        add(&mut s, "{}", now);
        s.mark_retry(
            &[a],
            "connection refused",
            now + chrono::Duration::seconds(30),
        )
        .unwrap();
        assert!(s.due_outbox(now, 10).unwrap().is_empty());
        let later = now + chrono::Duration::seconds(31);
        assert_eq!(s.due_outbox(later, 10).unwrap().len(), 2);
        let row = s.outbox_row(a).unwrap().unwrap();
        assert_eq!(row.attempts, 1);
        assert_eq!(row.last_error.as_deref(), Some("connection refused"));
    }

    #[test]
    fn a_row_parked_far_away_is_brought_forward() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let a = add(&mut s, "{}", now);
        add(&mut s, "{}", now);
        // What an older build wrote after `Retry-After: 9999999999`.
        s.conn()
            .execute(
                "UPDATE outbox SET next_attempt_at = '9999-12-31T23:59:59+00:00' WHERE id = ?1",
                [a],
            )
            .unwrap();
        assert!(s.due_outbox(now, 10).unwrap().is_empty());
        let latest = now + chrono::Duration::seconds(600);
        assert_eq!(s.clamp_next_attempts(latest).unwrap(), 1);
        assert_eq!(s.clamp_next_attempts(latest).unwrap(), 0);
        assert_eq!(s.due_outbox(latest, 10).unwrap().len(), 2);
    }

    #[test]
    fn failed_rows_wait_for_a_person_and_can_be_retried() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let a = add(&mut s, "{}", now);
        s.mark_failed(a, "unknown area").unwrap();
        assert!(s.due_outbox(now, 10).unwrap().is_empty());
        assert_eq!(s.outbox_counts().unwrap().failed, 1);
        assert!(s.retry_failed(a, now).unwrap());
        assert_eq!(s.due_outbox(now, 10).unwrap().len(), 1);
    }

    #[test]
    fn a_refused_batch_fails_together_and_staff_can_retry_it() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let a = add(&mut s, "{}", now);
        let b = add(&mut s, "{}", now);
        s.mark_all_failed(&[a, b], "HTTP 400 bad_request").unwrap();
        let failed = s.failed_outbox().unwrap();
        assert_eq!(failed.len(), 2);
        assert_eq!(failed[0].2.as_deref(), Some("HTTP 400 bad_request"));
        assert_eq!(s.retry_all_failed(now).unwrap(), 2);
        assert_eq!(s.due_outbox(now, 10).unwrap().len(), 2);
    }

    #[test]
    fn payloads_are_sealed_in_the_table() {
        let mut s = Store::open_in_memory().unwrap();
        let a = add(&mut s, r#"{"phone":"13800138000"}"#, Utc::now());
        let raw: String = s
            .conn
            .query_row("SELECT payload FROM outbox WHERE id = ?1", [a], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(PayloadCipher::is_sealed(&raw));
        assert!(!raw.contains("13800138000"));
        assert!(s
            .outbox_row(a)
            .unwrap()
            .unwrap()
            .payload
            .contains("13800138000"));
    }

    #[test]
    fn the_phone_number_is_scrubbed_once_sent() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let a = add(&mut s, r#"{"phone":"13800138000","area_code":"A"}"#, now);
        s.mark_sent(&[a], now).unwrap();
        let row = s.outbox_row(a).unwrap().unwrap();
        assert!(!row.payload.contains("13800138000"), "{}", row.payload);
        assert!(row.payload.contains("area_code"));
    }
}
