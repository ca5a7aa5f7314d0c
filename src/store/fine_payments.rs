//! Traffic-fine payment orders (migration 0005). The row is written before the platform
//! is asked for the order, under the idempotency key the order is created with, so a kiosk
//! that dies at any moment of a payment finds it at start-up and asks the platform where it
//! is. The fine's data is sealed (a plate, a decision number and a person's money); staff
//! see only counts, and reprint the last receipt.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// The fine as the citizen was shown it: what the receipt prints.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct FineRecord {
    /// The decision number (full: the receipt masks it).
    pub decision_number: String,
    /// The plate (full: the receipt masks it).
    pub plate: String,
    /// The offence, Chinese.
    pub offence_zh: String,
    /// The offence, English.
    pub offence_en: String,
    /// The day of the offence.
    pub occurred_on: NaiveDate,
    /// The fine, fen.
    pub amount_fen: i64,
    /// The late fee, fen.
    pub late_fee_fen: i64,
    /// What is paid, fen.
    pub total_fen: i64,
}

impl std::fmt::Debug for FineRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FineRecord(<redacted>)")
    }
}

/// A payment as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinePayment {
    /// The idempotency key.
    pub key: String,
    /// The platform's order id, once known.
    pub order_id: Option<String>,
    /// The fine, opened.
    pub fine: FineRecord,
    /// The payment serial, once paid.
    pub serial: Option<String>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// Paid after the citizen left.
    pub late: bool,
}

/// What staff are told about fine payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FineNotes {
    /// Paid after the citizen had left (or found paid at start-up) and not reprinted yet.
    pub late_unprinted: u64,
    /// Still open: the platform could not be asked yet.
    pub open: u64,
    /// Paid receipts that can be reprinted.
    pub receipts: u64,
}

/// A row as read: key, order id, sealed fine, serial, paid at, late.
type RawRow = (
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    bool,
);

fn aad(key: &str) -> String {
    format!("fine_payment|{key}")
}

impl Store {
    /// Records a payment about to be asked for, under `key`, before anything is sent.
    pub fn open_fine_payment(
        &self,
        key: &str,
        fine: &FineRecord,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sealed = self.cipher.seal(&serde_json::to_string(fine)?, &aad(key));
        self.conn.execute(
            "INSERT INTO fine_payments (key, fine, state, created_at) VALUES (?1, ?2, 'open', ?3)",
            params![key, sealed, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// The platform's order id for `key`.
    pub fn set_fine_order(
        &self,
        key: &str,
        order_id: &str,
        outcome: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE fine_payments SET order_id = ?2, outcome = ?3 WHERE key = ?1",
            params![key, order_id, outcome],
        )?;
        Ok(())
    }

    /// Records the payment as paid; `late` when the citizen is no longer there. Returns
    /// false when it was recorded paid already (nothing changed: print nothing again).
    pub fn fine_paid(
        &self,
        key: &str,
        serial: &str,
        paid_at: DateTime<Utc>,
        late: bool,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE fine_payments SET state = 'paid', outcome = 'paid', serial = ?2,
                 paid_at = ?3, late = ?4, closed_at = ?3
             WHERE key = ?1 AND state = 'open'",
            params![key, serial, paid_at.to_rfc3339(), late],
        )?;
        Ok(n == 1)
    }

    /// The receipt of `key` came out of the printer.
    pub fn fine_printed(&self, key: &str) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE fine_payments SET printed = 1 WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Closes an open payment that will never be paid (failed, expired, cancelled, refused).
    pub fn close_fine_payment(
        &self,
        key: &str,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE fine_payments SET state = 'closed', outcome = ?2, closed_at = ?3
             WHERE key = ?1 AND state = 'open'",
            params![key, outcome, now.to_rfc3339()],
        )?;
        Ok(())
    }

    fn fine_payment_row(&self, where_: &str, arg: &str) -> Result<Option<FinePayment>, StoreError> {
        let row: Option<RawRow> = self
            .conn
            .query_row(
                &format!(
                    "SELECT key, order_id, fine, serial, paid_at, late FROM fine_payments
                         WHERE {where_}"
                ),
                [arg],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((key, order_id, sealed, serial, paid_at, late)) = row else {
            return Ok(None);
        };
        let fine: FineRecord = serde_json::from_str(&self.cipher.open(&sealed, &aad(&key))?)?;
        Ok(Some(FinePayment {
            key,
            order_id,
            fine,
            serial,
            paid_at: paid_at
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
            late,
        }))
    }

    /// The payment under `key`.
    pub fn fine_payment(&self, key: &str) -> Result<Option<FinePayment>, StoreError> {
        self.fine_payment_row("key = ?1", key)
    }

    /// The keys of every payment still open, oldest first.
    pub fn open_fine_payments(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT key FROM fine_payments WHERE state = 'open' ORDER BY created_at, key",
        )?;
        let keys = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(keys)
    }

    /// The newest paid payment (what staff reprint), late ones not yet printed first.
    pub fn fine_receipt_to_reprint(&self) -> Result<Option<FinePayment>, StoreError> {
        self.fine_payment_row(
            "state = 'paid' AND ?1 = ?1 ORDER BY (late = 1 AND printed = 0) DESC, paid_at DESC
             LIMIT 1",
            "",
        )
    }

    /// Counts for the staff screen.
    pub fn fine_notes(&self) -> Result<FineNotes, StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            let n: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
            Ok(n.max(0) as u64)
        };
        Ok(FineNotes {
            late_unprinted: count(
                "SELECT count(*) FROM fine_payments WHERE state = 'paid' AND late = 1 AND printed = 0",
            )?,
            open: count("SELECT count(*) FROM fine_payments WHERE state = 'open'")?,
            receipts: count("SELECT count(*) FROM fine_payments WHERE state = 'paid'")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> FineRecord {
        FineRecord {
            decision_number: "1101051234567001".into(),
            plate: "京A12345".into(),
            offence_zh: "机动车违反规定停放".into(),
            offence_en: "Parking where it is not allowed".into(),
            occurred_on: NaiveDate::from_ymd_opt(2026, 11, 6).unwrap(),
            amount_fen: 20_000,
            late_fee_fen: 6_000,
            total_fen: 26_000,
        }
    }

    #[test]
    fn a_finished_payment_is_purged_after_the_retention_and_an_open_one_is_kept() {
        let mut s = Store::open_in_memory().unwrap();
        let then = Utc::now() - chrono::Duration::days(10);
        s.open_fine_payment("paid", &record(), then).unwrap();
        assert!(s.fine_paid("paid", "S1", then, false).unwrap());
        s.open_fine_payment("open", &record(), then).unwrap();
        let count = |s: &Store| -> i64 {
            s.conn
                .query_row("SELECT COUNT(*) FROM fine_payments", [], |r| r.get(0))
                .unwrap()
        };
        // Within the retention nothing goes.
        s.purge_sent(Utc::now(), chrono::Duration::days(30))
            .unwrap();
        assert_eq!(count(&s), 2);
        s.purge_sent(Utc::now(), chrono::Duration::days(7)).unwrap();
        assert_eq!(count(&s), 1);
        assert_eq!(s.open_fine_payments().unwrap(), vec!["open".to_owned()]);
    }

    #[test]
    fn a_payment_is_kept_sealed_paid_once_and_counted_for_staff() {
        let s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        s.open_fine_payment("k-1", &record(), now).unwrap();
        let raw: String = s
            .conn
            .query_row("SELECT fine FROM fine_payments", [], |r| r.get(0))
            .unwrap();
        assert!(!raw.contains("12345") && !raw.contains("26000"));
        assert_eq!(s.open_fine_payments().unwrap(), vec!["k-1".to_owned()]);
        s.set_fine_order("k-1", "PO1", "pending").unwrap();
        assert!(s.fine_paid("k-1", "S1", now, true).unwrap());
        // A second answer saying paid changes nothing: it is not printed twice.
        assert!(!s.fine_paid("k-1", "S1", now, false).unwrap());
        assert_eq!(
            s.fine_notes().unwrap(),
            FineNotes {
                late_unprinted: 1,
                open: 0,
                receipts: 1
            }
        );
        let p = s.fine_receipt_to_reprint().unwrap().unwrap();
        assert_eq!(
            (p.order_id.as_deref(), p.serial.as_deref(), p.late),
            (Some("PO1"), Some("S1"), true)
        );
        assert_eq!(p.fine, record());
        assert!(!format!("{p:?}").contains("12345"));
        s.fine_printed("k-1").unwrap();
        assert_eq!(s.fine_notes().unwrap().late_unprinted, 0);

        s.open_fine_payment("k-2", &record(), now).unwrap();
        s.close_fine_payment("k-2", "expired", now).unwrap();
        assert!(s.open_fine_payments().unwrap().is_empty());
        assert!(!s.fine_paid("k-2", "S2", now, false).unwrap());
    }
}
