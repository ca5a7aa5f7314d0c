//! The verification URL printed as a QR code on every certificate: it carries the case number,
//! the issue date and an HMAC-SHA256 signature over both, so anyone who scans it lands on the
//! platform's check page and a forged or altered certificate does not verify.
//!
//! The scheme lives in [`kiosk_platform::codes`], next to the classification of scanned codes
//! that reads it back; this module re-exports it so the document layouts keep their path.

pub use kiosk_platform::codes::{verification_url, verify_url};
