//! Queue numbers: leased blocks from the platform, tickets issued from them.
//!
//! Numbers come only from blocks the platform leased to this kiosk, so two kiosks never print
//! the same number, online or not; the platform learns of each ticket through the outbox.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};

use super::{outbox, Store, StoreError};

/// What the citizen asked for.
#[derive(Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// Service area code, e.g. `A`.
    pub area_code: String,
    /// Mobile number for the SMS when the turn is near (personal data).
    pub phone: Option<String>,
    /// The hall's service day (local date).
    pub service_day: NaiveDate,
}

impl std::fmt::Debug for NewTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTicket")
            .field("area_code", &self.area_code)
            .field("phone", &self.phone.as_ref().map(|_| "<redacted>"))
            .field("service_day", &self.service_day)
            .finish()
    }
}

/// A ticket written to the store (and its outbox row), ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    /// Unique id; the follow-the-queue QR carries it.
    pub ticket_id: String,
    /// Area code.
    pub area_code: String,
    /// Number within the area and day.
    pub number: u32,
    /// What is printed: area code and three digits, e.g. `A012`.
    pub display_number: String,
    /// People waiting before this ticket, as far as the kiosk knows.
    pub people_ahead: u32,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Service day.
    pub service_day: NaiveDate,
    /// Its outbox row.
    pub outbox_id: i64,
}

/// A leased block as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    /// Platform's lease id.
    pub lease_id: String,
    /// Area.
    pub area_code: String,
    /// Day.
    pub service_day: NaiveDate,
    /// First number.
    pub first: u32,
    /// Last number.
    pub last: u32,
}

use kiosk_platform::api::display_number;

impl Store {
    /// Stores a block the platform leased to this kiosk.
    pub fn add_lease(&self, lease: &LeaseInfo, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO number_leases
             (lease_id, area_code, service_day, first, last, next, leased_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6)",
            params![
                lease.lease_id,
                lease.area_code,
                lease.service_day.to_string(),
                lease.first,
                lease.last,
                now.to_rfc3339()
            ],
        )?;
        Ok(())
    }

    /// Numbers still unused for the area on the day.
    pub fn numbers_left(&self, area_code: &str, day: NaiveDate) -> Result<u32, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT coalesce(sum(last + 1 - next), 0) FROM number_leases
             WHERE area_code = ?1 AND service_day = ?2",
            params![area_code, day.to_string()],
            |r| r.get(0),
        )?;
        Ok(n as u32)
    }

    /// Caches the platform's view of the queue for one area.
    pub fn save_queue_status(
        &self,
        area_code: &str,
        day: NaiveDate,
        waiting: u32,
        last_called: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO queue_status_cache (area_code, service_day, waiting, last_called, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (area_code) DO UPDATE
             SET service_day = ?2, waiting = ?3, last_called = ?4, fetched_at = ?5",
            params![area_code, day.to_string(), waiting, last_called, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// People waiting per area on `day`, from the last queue status the platform gave.
    pub fn queue_waiting(&self, day: NaiveDate) -> Result<Vec<(String, u32)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT area_code, waiting FROM queue_status_cache WHERE service_day = ?1",
        )?;
        let rows = stmt
            .query_map([day.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Issues the next leased number: the ticket and its outbox row in one transaction.
    pub fn issue_ticket(
        &mut self,
        req: &NewTicket,
        now: DateTime<Utc>,
    ) -> Result<IssuedTicket, StoreError> {
        let day = req.service_day.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let lease: Option<(String, u32)> = tx
            .query_row(
                "SELECT lease_id, next FROM number_leases
                 WHERE area_code = ?1 AND service_day = ?2 AND next <= last
                 ORDER BY first LIMIT 1",
                params![req.area_code, day],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((lease_id, number)) = lease else {
            return Err(StoreError::NoNumbersLeft {
                area: req.area_code.clone(),
                day: req.service_day,
            });
        };
        tx.execute(
            "UPDATE number_leases SET next = next + 1 WHERE lease_id = ?1",
            [&lease_id],
        )?;

        // The platform's count (as of the last sync) plus this kiosk's tickets it has not
        // heard of yet.
        let cached: u32 = tx
            .query_row(
                "SELECT waiting FROM queue_status_cache WHERE area_code = ?1 AND service_day = ?2",
                params![req.area_code, day],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let unsynced: u32 = tx.query_row(
            "SELECT count(*) FROM queue_tickets t JOIN outbox o ON o.id = t.outbox_id
             WHERE t.area_code = ?1 AND t.service_day = ?2 AND o.state = 'pending'",
            params![req.area_code, day],
            |r| r.get(0),
        )?;

        let ticket_id = uuid::Uuid::new_v4().to_string();
        let display = display_number(&req.area_code, number);
        let payload = kiosk_platform::api::QueueTicketTx {
            ticket_id: ticket_id.clone(),
            area_code: req.area_code.clone(),
            number,
            display_number: display.clone(),
            service_day: req.service_day,
            issued_at: now,
            phone: req.phone.clone(),
            lease_id: lease_id.clone(),
        };
        let outbox_id = outbox::enqueue(
            &tx,
            &self.cipher,
            kiosk_platform::api::KIND_QUEUE_TICKET,
            &serde_json::to_string(&payload)?,
            now,
        )?;
        tx.execute(
            "INSERT INTO queue_tickets
             (ticket_id, area_code, number, display_number, service_day, issued_at, lease_id,
              has_phone, outbox_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                ticket_id,
                req.area_code,
                number,
                display,
                day,
                now.to_rfc3339(),
                lease_id,
                req.phone.is_some(),
                outbox_id
            ],
        )?;
        tx.commit()?;
        Ok(IssuedTicket {
            ticket_id,
            area_code: req.area_code.clone(),
            number,
            display_number: display,
            people_ahead: cached + unsynced,
            issued_at: now,
            service_day: req.service_day,
            outbox_id,
        })
    }

    /// Records the outcome of printing a ticket (for staff: a ticket issued but not printed).
    pub fn record_ticket_print(
        &self,
        ticket_id: &str,
        result: Result<DateTime<Utc>, &str>,
    ) -> Result<(), StoreError> {
        match result {
            Ok(at) => self.conn.execute(
                "UPDATE queue_tickets SET printed_at = ?2, print_error = NULL WHERE ticket_id = ?1",
                params![ticket_id, at.to_rfc3339()],
            )?,
            Err(e) => self.conn.execute(
                "UPDATE queue_tickets SET print_error = ?2 WHERE ticket_id = ?1",
                params![ticket_id, e],
            )?,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }

    fn lease(id: &str, first: u32, last: u32) -> LeaseInfo {
        LeaseInfo {
            lease_id: id.into(),
            area_code: "A".into(),
            service_day: day(),
            first,
            last,
        }
    }

    fn req() -> NewTicket {
        NewTicket {
            area_code: "A".into(),
            phone: Some("13800138000".into()),
            service_day: day(),
        }
    }

    #[test]
    fn a_full_disk_fails_a_ticket_whole_and_the_next_one_works_when_space_returns() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("kiosk.db")).unwrap();
        let now = Utc::now();
        s.add_lease(&lease("l1", 1, 500), now).unwrap();
        s.issue_ticket(&req(), now).unwrap();
        let before = s.outbox_counts().unwrap();
        // SQLite's own "database or disk is full": the file may not grow by another page.
        let pages: i64 = s
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        s.conn.pragma_update(None, "max_page_count", pages).unwrap();
        let mut failed = None;
        for _ in 0..400 {
            match s.issue_ticket(&req(), now) {
                Ok(_) => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let e = failed.expect("the file cannot grow: a write fails");
        assert!(e.is_full(), "{e}");
        // Nothing half-written: every ticket that was issued has its outbox row, and the
        // refused one has neither.
        let issued: i64 = s
            .conn
            .query_row("SELECT COUNT(*) FROM queue_tickets", [], |r| r.get(0))
            .unwrap();
        let counts = s.outbox_counts().unwrap();
        assert_eq!(counts.pending as i64, issued);
        assert!(counts.pending > before.pending);
        // Space returns: the next ticket is the next number.
        s.conn
            .pragma_update(None, "max_page_count", 1_000_000)
            .unwrap();
        let next = s.issue_ticket(&req(), now).unwrap();
        assert_eq!(next.display_number, format!("A{:03}", issued + 1));
    }

    #[test]
    fn numbers_come_from_leases_in_order_and_run_out() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        s.add_lease(&lease("l2", 41, 42), now).unwrap();
        s.add_lease(&lease("l1", 11, 11), now).unwrap();
        assert_eq!(s.numbers_left("A", day()).unwrap(), 3);
        let got: Vec<String> = (0..3)
            .map(|_| s.issue_ticket(&req(), now).unwrap().display_number)
            .collect();
        assert_eq!(got, ["A011", "A041", "A042"]);
        assert!(matches!(
            s.issue_ticket(&req(), now),
            Err(StoreError::NoNumbersLeft { .. })
        ));
        // Each ticket has exactly one outbox row.
        assert_eq!(s.outbox_counts().unwrap().pending, 3);
    }

    #[test]
    fn people_ahead_counts_the_platform_queue_and_unsynced_tickets() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        s.add_lease(&lease("l1", 1, 20), now).unwrap();
        s.save_queue_status("A", day(), 7, Some(3), now).unwrap();
        assert_eq!(s.issue_ticket(&req(), now).unwrap().people_ahead, 7);
        assert_eq!(s.issue_ticket(&req(), now).unwrap().people_ahead, 8);
    }

    #[test]
    fn the_outbox_payload_is_the_platform_contract() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        s.add_lease(&lease("l1", 5, 9), now).unwrap();
        let t = s.issue_ticket(&req(), now).unwrap();
        let row = s.outbox_row(t.outbox_id).unwrap().unwrap();
        assert_eq!(row.kind, kiosk_platform::api::KIND_QUEUE_TICKET);
        let tx: kiosk_platform::api::QueueTicketTx = serde_json::from_str(&row.payload).unwrap();
        assert_eq!(tx.number, 5);
        assert_eq!(tx.display_number, "A005");
        assert_eq!(tx.lease_id, "l1");
        // The table itself keeps no phone number, only whether one was given.
        let n: i64 = s
            .conn()
            .query_row("SELECT has_phone FROM queue_tickets", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn debug_of_a_request_hides_the_phone() {
        assert!(!format!("{:?}", req()).contains("13800138000"));
    }
}
