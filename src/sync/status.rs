//! What the sync thread tells the header's dot and the staff screen: the platform link (and
//! which kind of trouble it is in), the outbox, the numbers left, and a damaged database the
//! store moved aside at start. No personal data.

use chrono::{DateTime, Utc};

/// The platform link as the last rounds found it. Staff act differently on each: a link
/// problem is the hall's network (or a proxy, or a wrong address) and usually goes away by
/// itself; a misbehaving platform is the platform operators' to fix; refused rows (counted
/// in [`SyncStatus::failed`]) need a person and "retry".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkState {
    /// No round has finished yet.
    #[default]
    Unknown,
    /// The last round reached the platform and every due row it sent was acknowledged.
    Online,
    /// No usable answer: no connection, a timeout, 5xx, 401/408/429, or an answer that is
    /// not the platform's (an HTML error or login page from a proxy or captive portal, a
    /// redirect, garbage). Rows stay pending and are retried with backoff.
    LinkProblem,
    /// The platform answered in the contract's form but broke it: an undecodable success
    /// body, or a batch answer that is empty, short or names transactions that were not
    /// sent. Rows stay pending and are retried with backoff.
    PlatformMisbehaving,
}

/// A damaged database the store moved aside at start, remembered in the new database until
/// a technician has dealt with it (see docs/operations.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedDatabase {
    /// When it was moved aside.
    pub at: DateTime<Utc>,
    /// Where the damaged file now is.
    pub moved_to: String,
    /// What the integrity check reported (first line; no data).
    pub finding: String,
    /// Outbox rows read back from it and queued for upload again (once).
    pub recovered: u64,
    /// Outbox rows found in it that could not be read back.
    pub unreadable: u64,
}

/// What the sync thread knows of the platform link and the outbox. No personal data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncStatus {
    /// The last round reached the platform and nothing it sent is waiting on a failed
    /// upload (`link == LinkState::Online`).
    pub online: bool,
    /// Which kind of trouble the link is in, if any.
    pub link: LinkState,
    /// When the platform last answered a whole round.
    pub last_contact: Option<DateTime<Utc>>,
    /// The last error and when (short; never a payload).
    pub last_error: Option<(DateTime<Utc>, String)>,
    /// Outbox rows waiting.
    pub pending: u64,
    /// Outbox rows acknowledged (until purged).
    pub sent: u64,
    /// Outbox rows refused for good by the platform (need a person).
    pub failed: u64,
    /// Leased queue numbers left today, per area code.
    pub numbers_left: Vec<(String, u32)>,
    /// A damaged database moved aside at start, if any.
    pub damaged_db: Option<DamagedDatabase>,
    /// The kiosk's clock minus the platform's at the last heartbeat, ms (technicians see it;
    /// past the signed-request limit the platform refuses every request).
    pub clock_skew_ms: Option<i64>,
}
