//! Sync with the platform: outbox upload, catalog pull, queue-number leases, queue status.
//!
//! - `worker`: the sync thread and how it treats each class of platform answer
//!   (docs/platform-api.md, "How the kiosk treats answers").
//! - `status`: [`SyncStatus`], what the thread reports to the header and the staff screen.
//! - `backoff`: full-jitter backoff with a capped `Retry-After`.

pub mod backoff;
pub mod status;
pub mod worker;

pub use status::{DamagedDatabase, LinkState, SyncStatus};
pub use worker::{SyncKick, SyncWorker};
