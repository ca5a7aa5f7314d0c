//! Drivers for the kiosk's scanners.
//!
//! - Code scanners (QR codes and barcodes): serial / virtual COM line mode ([`line`]), USB HID
//!   keyboard mode through evdev ([`hid`]), and a simulator on a pseudo-terminal ([`sim`]).
//! - Document scanners through SANE ([`sane`]), and finding the card on a scanned page
//!   ([`crop`]).
//!
//! A code scanner is read through [`CodeScanner::read_scan`], whichever its connection: open a
//! [`SerialScanner`] ([`SerialConfig`]) or, on Linux, a [`hid::HidScanner`] ([`hid::HidConfig`]);
//! a [`ScanError`] that [`needs_reopen`](ScanError::needs_reopen) means: drop it and reopen the
//! same path with backoff. The device docs are `docs/devices/scanner.md`.
//!
//! What a scanned code *means* (the kiosk's own receipt QR, a case number, …) is the platform
//! contract's business, not the driver's: see `kiosk_platform::codes`.

pub mod crop;
#[cfg(target_os = "linux")]
pub mod hid;
pub mod line;
pub mod sane;
#[cfg(feature = "sim")]
pub mod sim;

pub use line::{
    CodeScanner, Encoding, LineConfig, LineError, LineFramer, Scan, ScanError, SerialConfig,
    SerialScanner,
};
