//! Sync with the platform: outbox upload, catalog pull, queue-number leases, queue status.

pub mod backoff;
pub mod worker;

pub use worker::{SyncKick, SyncWorker};
