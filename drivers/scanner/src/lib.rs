//! Drivers for the kiosk's scanners.
//!
//! - Code scanners (QR codes and barcodes): serial / virtual COM line mode ([`line`]), USB HID
//!   keyboard mode through evdev ([`hid`]), and a simulator on a pseudo-terminal ([`sim`]).
//! - Document scanners through SANE ([`sane`]), and finding the card on a scanned page
//!   ([`crop`]).
//!
//! What a scanned code *means* (the kiosk's own receipt QR, a case number, …) is the platform
//! contract's business, not the driver's: see `kiosk_platform::codes`.

pub mod crop;
#[cfg(target_os = "linux")]
pub mod hid;
pub mod line;
pub mod sane;
pub mod sim;
