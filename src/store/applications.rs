//! Applications for a matter (`applications`, `application_parts`, migration 0008): the
//! application and its scans sealed in one transaction before anything is sent, each part
//! marked once the platform acknowledged it, everything sealed deleted once the platform
//! answered with the case number.

use chrono::{DateTime, Utc};
use kiosk_platform::api::apply::{digest, Application};
use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// An application as stored: what to send, and which parts are still to go.
pub struct StoredApplication {
    /// The idempotency key.
    pub key: String,
    /// The application (its `notify_sms` as stored now).
    pub application: Application,
    /// Each part's number, digest and whether the platform has it.
    pub parts: Vec<(u32, String, bool)>,
}

impl std::fmt::Debug for StoredApplication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredApplication")
            .field("key", &self.key)
            .field("parts", &self.parts.len())
            .finish_non_exhaustive()
    }
}

/// How many applications are where (staff and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplicationCounts {
    /// Still to be sent.
    pub pending: u64,
    /// Answered with a case number.
    pub submitted: u64,
    /// Refused by the platform for good.
    pub failed: u64,
    /// Scans still held (sealed).
    pub sealed_parts: u64,
}

fn aad(key: &str) -> String {
    format!("application|{key}")
}

fn part_aad(key: &str, n: u32) -> String {
    format!("application_part|{key}|{n}")
}

impl Store {
    /// Seals the application and its parts (part `n` is `parts[n]`) under `key`, in one
    /// transaction, before anything is sent.
    pub fn save_application(
        &mut self,
        key: &str,
        application: &Application,
        parts: &[Vec<u8>],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sealed = self
            .cipher
            .seal(&serde_json::to_string(application)?, &aad(key));
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO applications (key, matter, state, sealed, notify_sms, created_at)
             VALUES (?1, ?2, 'pending', ?3, ?4, ?5)",
            params![
                key,
                application.matter,
                sealed,
                application.notify_sms,
                now.to_rfc3339()
            ],
        )?;
        for (n, bytes) in parts.iter().enumerate() {
            let n = n as u32;
            tx.execute(
                "INSERT INTO application_parts (key, n, sha256, size, sealed) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    key,
                    n,
                    digest(bytes),
                    bytes.len() as i64,
                    self.cipher.seal_bytes(bytes, &part_aad(key, n))
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The keys of applications still to be sent, oldest first.
    pub fn pending_applications(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key FROM applications WHERE state = 'pending' ORDER BY created_at, key",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A pending application, opened; `None` when it is not pending (any more).
    pub fn pending_application(&self, key: &str) -> Result<Option<StoredApplication>, StoreError> {
        let row: Option<(Option<String>, bool)> = self
            .conn
            .query_row(
                "SELECT sealed, notify_sms FROM applications WHERE key = ?1 AND state = 'pending'",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((Some(sealed), notify_sms)) = row else {
            return Ok(None);
        };
        let mut application: Application =
            serde_json::from_str(&self.cipher.open(&sealed, &aad(key))?)?;
        application.notify_sms = notify_sms;
        let mut stmt = self.conn.prepare_cached(
            "SELECT n, sha256, acked FROM application_parts WHERE key = ?1 ORDER BY n",
        )?;
        let parts = stmt
            .query_map([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(StoredApplication {
            key: key.to_owned(),
            application,
            parts,
        }))
    }

    /// Part `n`'s plain bytes, `None` once purged.
    pub fn application_part(&self, key: &str, n: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed: Option<Option<Vec<u8>>> = self
            .conn
            .query_row(
                "SELECT sealed FROM application_parts WHERE key = ?1 AND n = ?2",
                params![key, n],
                |r| r.get(0),
            )
            .optional()?;
        match sealed.flatten() {
            Some(s) => Ok(Some(self.cipher.open_bytes(&s, &part_aad(key, n))?)),
            None => Ok(None),
        }
    }

    /// The platform acknowledged part `n` with its digest.
    pub fn application_part_acked(&self, key: &str, n: u32) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE application_parts SET acked = 1 WHERE key = ?1 AND n = ?2",
            params![key, n],
        )?;
        Ok(())
    }

    /// The platform says it lacks a part: every part is sent again.
    pub fn application_parts_lost(&self, key: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE application_parts SET acked = 0 WHERE key = ?1",
            [key],
        )?;
        Ok(())
    }

    /// The receipt went out without a case number: the platform is to send it by SMS.
    pub fn application_notify_by_sms(&self, key: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE applications SET notify_sms = 1 WHERE key = ?1",
            [key],
        )?;
        Ok(())
    }

    /// A try that did not get through.
    pub fn application_attempt_failed(&self, key: &str, error: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE applications SET attempts = attempts + 1, last_error = ?2 WHERE key = ?1",
            params![key, error],
        )?;
        Ok(())
    }

    /// The platform opened case `case_number` for `key`: the sealed application and every
    /// scan are deleted in the same transaction.
    pub fn application_submitted(
        &mut self,
        key: &str,
        case_number: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE applications SET state = 'submitted', case_number = ?2, submitted_at = ?3,
                 sealed = NULL, last_error = NULL
             WHERE key = ?1",
            params![key, case_number, now.to_rfc3339()],
        )?;
        tx.execute(
            "UPDATE application_parts SET sealed = NULL WHERE key = ?1",
            [key],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The platform refused the application for good (it will never be taken): kept for
    /// staff as failed, its scans deleted.
    pub fn application_refused(&mut self, key: &str, error: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE applications SET state = 'failed', last_error = ?2, sealed = NULL WHERE key = ?1",
            params![key, error],
        )?;
        tx.execute(
            "UPDATE application_parts SET sealed = NULL WHERE key = ?1",
            [key],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The case number of a submitted application.
    pub fn application_case(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT case_number FROM applications WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// How many applications are where.
    pub fn application_counts(&self) -> Result<ApplicationCounts, StoreError> {
        let count = |state: &str| -> rusqlite::Result<u64> {
            self.conn
                .query_row(
                    "SELECT COUNT(*) FROM applications WHERE state = ?1",
                    [state],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n.max(0) as u64)
        };
        let sealed: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM application_parts WHERE sealed IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(ApplicationCounts {
            pending: count("pending")?,
            submitted: count("submitted")?,
            failed: count("failed")?,
            sealed_parts: sealed.max(0) as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_platform::api::apply::Delivery;

    fn app() -> Application {
        Application {
            matter: "LR01".into(),
            holder: "ab".repeat(32),
            masked_id: "510107********4228".into(),
            name: "赵秀英".into(),
            sex: "女".into(),
            nation: "汉".into(),
            birth: chrono::NaiveDate::from_ymd_opt(1955, 10, 8).unwrap(),
            address: "四川省成都市".into(),
            fields: vec![],
            mobile: "13900139000".into(),
            delivery: Delivery::Window,
            post_address: None,
            card_parts: [0, 1],
            materials: vec![],
            parts: vec![],
            notify_sms: false,
        }
    }

    #[test]
    fn an_application_is_sealed_until_submitted_then_its_scans_are_gone() {
        let mut s = Store::open_in_memory().unwrap();
        let parts = vec![b"front-scan".to_vec(), b"back-scan".to_vec()];
        s.save_application("k-1", &app(), &parts, Utc::now())
            .unwrap();
        let raw: String = s
            .conn
            .query_row("SELECT sealed FROM applications", [], |r| r.get(0))
            .unwrap();
        assert!(!raw.contains("赵秀英") && !raw.contains("13900139000"));
        let blob: Vec<u8> = s
            .conn
            .query_row(
                "SELECT sealed FROM application_parts WHERE n = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!blob.windows(10).any(|w| w == b"front-scan"));
        assert_eq!(s.pending_applications().unwrap(), vec!["k-1".to_owned()]);
        let stored = s.pending_application("k-1").unwrap().unwrap();
        assert_eq!(stored.application.name, "赵秀英");
        assert_eq!(stored.parts.len(), 2);
        assert_eq!(s.application_part("k-1", 1).unwrap().unwrap(), b"back-scan");
        s.application_part_acked("k-1", 0).unwrap();
        s.application_notify_by_sms("k-1").unwrap();
        let stored = s.pending_application("k-1").unwrap().unwrap();
        assert!(stored.parts[0].2 && !stored.parts[1].2);
        assert!(stored.application.notify_sms);
        assert_eq!(s.application_counts().unwrap().sealed_parts, 2);

        s.application_submitted("k-1", "LR-20261201-000101", Utc::now())
            .unwrap();
        let counts = s.application_counts().unwrap();
        assert_eq!(
            (counts.pending, counts.submitted, counts.sealed_parts),
            (0, 1, 0)
        );
        assert!(s.pending_application("k-1").unwrap().is_none());
        assert!(s.application_part("k-1", 0).unwrap().is_none());
        assert_eq!(
            s.application_case("k-1").unwrap().as_deref(),
            Some("LR-20261201-000101")
        );
    }
}
