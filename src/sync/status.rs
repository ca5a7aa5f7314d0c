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
    /// The TLS handshake refused the platform's certificate: not signed by a trusted
    /// authority (`[platform] ca_file`), none of `[platform] pins`, expired, or for another
    /// name. Someone may be between the kiosk and the platform, or the platform changed its
    /// certificate: a technician has to look. Rows stay pending and are retried with backoff.
    CertificateRefused,
    /// The platform refuses the kiosk's signed requests because the two clocks disagree by
    /// more than [`kiosk_platform::sign::MAX_CLOCK_SKEW_SECS`]: the kiosk's time sync
    /// (chrony or systemd-timesyncd) to fix. Rows stay pending and are retried with backoff.
    ClockSkew,
}

/// Past this skew (ms; half the signed-request limit) the kiosk's clock is a fault for staff
/// and technicians: requests still pass, but not for long.
pub const CLOCK_FAULT_MS: i64 = kiosk_platform::sign::MAX_CLOCK_SKEW_SECS * 1000 / 2;

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
    /// The kiosk's clock minus the platform's, ms: measured at the last heartbeat, or read
    /// from the platform's `clock_skew` refusal (technicians and staff see it; past the
    /// signed-request limit the platform refuses every request).
    pub clock_skew_ms: Option<i64>,
}

impl SyncStatus {
    /// The kiosk's clock is off the platform's past [`CLOCK_FAULT_MS`], or the platform
    /// refused a request for it.
    pub fn clock_fault(&self) -> bool {
        self.link == LinkState::ClockSkew
            || self
                .clock_skew_ms
                .is_some_and(|ms| ms.abs() > CLOCK_FAULT_MS)
    }
}
