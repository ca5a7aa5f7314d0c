//! The technicians' diagnostics, in plain Rust: used by the technician screen (through its
//! worker) and by `kiosk diag …` alike.
//!
//! # Layout
//! - [`protocol_log`]: each device's ring buffer of its last exchanges (hex, times), masked
//!   when recorded, fed by [`protocol_log::TappedPort`] around the port a manager opens.
//! - [`link`]: the platform link step by step: DNS, TCP, TLS, HTTP, with their times.
//! - [`devices`]: each device's identity and self-test, opened from the configuration.
//! - [`bundle`]: the diagnostic bundle (a zip with no personal data) and where it goes (a
//!   file, or a mounted USB stick).
//! - [`zip`]: the bundle's zip writer (deflate, on flate2) and its reader for checks.
//! - [`console`]: the technician screen's controller (no Slint, no I/O).
//! - [`worker`]: the technician screen's worker thread: the checks the console asks for.
//! - [`upload`]: the bundle the platform asks for (`upload_bundle`), made and sent.

pub mod bundle;
pub mod console;
pub mod devices;
pub mod link;
pub mod protocol_log;
pub mod upload;
pub mod worker;
pub mod zip;

/// How one check went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It worked; what it found.
    Pass(String),
    /// It failed, and why (in a technician's words).
    Fail(String),
    /// Not tried, and why (a simulated device; plain http has no TLS; an earlier step
    /// failed; no test card on the reader).
    Skipped(String),
}

impl Outcome {
    /// Whether the check failed.
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Fail(_))
    }

    /// `ok`, `FAIL` or `skip`, and the text.
    pub fn parts(&self) -> (&'static str, &str) {
        match self {
            Outcome::Pass(t) => ("ok", t),
            Outcome::Fail(t) => ("FAIL", t),
            Outcome::Skipped(t) => ("skip", t),
        }
    }
}
