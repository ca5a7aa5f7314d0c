//! Certificates that failed to print, kept for staff to reprint: the PDF sealed like an
//! outbox payload (it carries the citizen's data), with an expiry after which the store's
//! maintenance ([`Store::purge_sent`]) deletes it whether or not it was reprinted.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// A kept certificate, as the staff service reprints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Reprint {
    /// Row id.
    pub id: i64,
    /// The printer's job name (kind and case number).
    pub job: String,
    /// The PDF, opened.
    pub pdf: Vec<u8>,
}

impl std::fmt::Debug for Reprint {
    // The PDF is the citizen's certificate.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The job name carries the case number.
        f.debug_struct("Reprint")
            .field("id", &self.id)
            .field("pdf_bytes", &self.pdf.len())
            .finish_non_exhaustive()
    }
}

fn aad(job: &str) -> String {
    format!("reprint|{job}")
}

impl Store {
    /// Keeps `pdf` for a reprint by staff until `expires_at`; returns its row id.
    pub fn keep_for_reprint(
        &self,
        job: &str,
        pdf: &[u8],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sealed = self.cipher.seal(&hex::encode(pdf), &aad(job));
        self.conn.execute(
            "INSERT INTO reprints (job, pdf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![job, sealed, now.to_rfc3339(), expires_at.to_rfc3339()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// How many kept certificates have not expired at `now`.
    pub fn reprints_waiting(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM reprints WHERE expires_at >= ?1",
            [now.to_rfc3339()],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// The oldest kept certificate that has not expired, opened.
    pub fn next_reprint(&self, now: DateTime<Utc>) -> Result<Option<Reprint>, StoreError> {
        let row: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT id, job, pdf FROM reprints WHERE expires_at >= ?1 ORDER BY id LIMIT 1",
                [now.to_rfc3339()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, job, sealed)) = row else {
            return Ok(None);
        };
        let hex_pdf = self.cipher.open(&sealed, &aad(&job))?;
        // Sealed by this code as hex: anything else is a damaged row, as a wrong key is.
        let pdf = hex::decode(hex_pdf).map_err(|_| StoreError::Crypto(super::CryptoError::Open))?;
        Ok(Some(Reprint { id, job, pdf }))
    }

    /// Forgets a kept certificate (it printed).
    pub fn drop_reprint(&self, id: i64) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM reprints WHERE id = ?1", [id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_certificate_is_sealed_reprinted_once_and_purged_when_it_expires() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let pdf = b"%PDF-1.3 \xe5\xbc\xa0\xe4\xbc\x9f 110101********0017".to_vec();
        let id = s
            .keep_for_reprint(
                "certificate-SB-1",
                &pdf,
                now,
                now + chrono::Duration::hours(8),
            )
            .unwrap();
        // Sealed at rest: neither the bytes nor their hex are in the table.
        let raw: String = s
            .conn
            .query_row("SELECT pdf FROM reprints", [], |r| r.get(0))
            .unwrap();
        assert!(!raw.contains("PDF") && !raw.contains(&hex::encode(&pdf)));
        assert_eq!(s.reprints_waiting(now).unwrap(), 1);
        let r = s.next_reprint(now).unwrap().unwrap();
        assert_eq!((r.id, r.pdf.as_slice()), (id, pdf.as_slice()));
        assert!(!format!("{r:?}").contains("0017"));
        s.drop_reprint(id).unwrap();
        assert_eq!(s.reprints_waiting(now).unwrap(), 0);

        // One not reprinted: not offered once expired, and gone after maintenance.
        s.keep_for_reprint(
            "certificate-SB-2",
            &pdf,
            now,
            now + chrono::Duration::hours(8),
        )
        .unwrap();
        let later = now + chrono::Duration::hours(9);
        assert_eq!(s.reprints_waiting(later).unwrap(), 0);
        assert!(s.next_reprint(later).unwrap().is_none());
        s.purge_sent(later, chrono::Duration::days(7)).unwrap();
        let left: i64 = s
            .conn
            .query_row("SELECT count(*) FROM reprints", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }
}
