//! SQLite: migrations, outbox, catalog cache, queue-number leases, queue tickets.
//!
//! One [`Store`] per thread (SQLite connections are not shared across threads); WAL lets the
//! sync worker read and write while the service thread issues tickets. Every business write
//! and its outbox row go in one transaction, so a crash leaves either both or neither.

mod applications;
pub mod crypto;
mod fine_payments;
// The sample forms' library and page images (no personal data).
mod form_cache;
mod maintenance;
mod migrations;
mod outbox;
mod queue;
mod reprints;
// The staff side: lock-out, audit log, remote commands, today's figures.
mod staff;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

pub use applications::{ApplicationCounts, StoredApplication};
pub use crypto::{use_key_file, CryptoError, PayloadCipher};
pub use fine_payments::{FineNotes, FinePayment, FineRecord};
pub use form_cache::PageKey;
#[cfg(test)]
pub(crate) use maintenance::damage_an_index;
pub use maintenance::{CorruptAlarm, PurgeReport};
pub use outbox::{OutboxCounts, OutboxRow, OutboxState};
pub use queue::{IssuedTicket, LeaseInfo, NewTicket};
pub use reprints::Reprint;
pub use staff::{Lockout, TodayFigures};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored JSON value could not be read or written.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The database file belongs to a newer version of the kiosk.
    #[error("database schema version {found} is newer than this kiosk knows ({known})")]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Latest version this build knows.
        known: i64,
    },
    /// No leased queue number is left for that area today (and the platform is unreachable).
    #[error("no queue numbers left for area {area} on {day}")]
    NoNumbersLeft {
        /// Area code.
        area: String,
        /// Service day.
        day: chrono::NaiveDate,
    },
    /// The store key is missing or unreadable, or a payload does not decrypt.
    #[error("store encryption: {0}")]
    Crypto(#[from] CryptoError),
    /// A database file could not be moved aside.
    #[error("cannot move the damaged database {path} aside: {source}")]
    MoveAside {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The folder for the database could not be created.
    #[error("cannot create {path}: {source}")]
    Dir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl StoreError {
    /// SQLite could not write for want of space (`SQLITE_FULL`): the transaction was rolled
    /// back whole, and the kiosk's storage watch takes no new ones until space returns.
    pub fn is_full(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DiskFull
        )
    }
}

/// A connection to the kiosk's database.
pub struct Store {
    conn: Connection,
    cipher: Arc<PayloadCipher>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    /// Payloads are sealed under the key file named for it with [`use_key_file`], else
    /// `store.key` beside it (created 0600 when missing).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let cipher = PayloadCipher::load_or_create(&crypto::key_file_for(path))?;
        let conn = Connection::open(path)?;
        Self::from_connection(conn, Arc::new(cipher))
    }

    /// An in-memory database with a throw-away key, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::from_connection(
            Connection::open_in_memory()?,
            Arc::new(PayloadCipher::ephemeral()),
        )
    }

    fn from_connection(
        mut conn: Connection,
        cipher: Arc<PayloadCipher>,
    ) -> Result<Self, StoreError> {
        // Another thread may hold the write lock for a moment: wait rather than fail.
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a ticket the citizen holds in hand must survive a power cut.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Deleted rows are overwritten with zeros, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        migrations::apply(&mut conn)?;
        let mut store = Self { conn, cipher };
        store.seal_legacy_payloads()?;
        Ok(store)
    }

    /// The cached catalog JSON and its ETag, if one was ever fetched.
    pub fn cached_catalog(&self) -> Result<Option<(String, Option<String>)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT body, etag FROM catalog_cache WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// The cached catalog, parsed: what the services lay out (the hall's and areas' names in
    /// both languages, the matters). `None` when none was fetched yet, or when it cannot be
    /// read or parsed (logged: the sync fetches it again).
    pub fn catalog(&self) -> Option<kiosk_platform::api::Catalog> {
        let body = match self.cached_catalog() {
            Ok(Some((body, _))) => body,
            Ok(None) => return None,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the cached catalog");
                return None;
            }
        };
        serde_json::from_str(&body)
            .map_err(|e| tracing::warn!(error = %e, "the cached catalog does not parse"))
            .ok()
    }

    /// The hall the cached catalog names (its names in both languages); empty names when
    /// no catalog was fetched yet. What every receipt heads with.
    pub fn hall(&self) -> kiosk_platform::api::Hall {
        self.catalog().map(|c| c.hall).unwrap_or_default()
    }

    /// Replaces the cached catalog.
    pub fn save_catalog(
        &self,
        body: &str,
        etag: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO catalog_cache (id, etag, body, fetched_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET etag = ?1, body = ?2, fetched_at = ?3",
            rusqlite::params![etag, body, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Records a device event (faults, reconnects) for staff and technicians. The detail must
    /// hold no personal data.
    pub fn record_device_event(
        &self,
        device: &str,
        kind: &str,
        detail: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO device_events (at, device, kind, detail) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![now.to_rfc3339(), device, kind, detail],
        )?;
        Ok(())
    }

    /// Direct access for tests and diagnostics in this crate.
    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}
