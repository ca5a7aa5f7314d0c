//! Opening a keyboard-mode scanner: what fails is reported as an open error the caller retries,
//! never a panic. (Reading real events needs a device; the decoding is tested in
//! `hid_decoder.rs` from recorded sequences.)

#![cfg(target_os = "linux")]

use scanner::hid::{HidConfig, HidScanner};
use scanner::ScanError;

#[test]
fn missing_device_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = HidConfig::new(dir.path().join("usb-Scanner-event-kbd"));
    let err = HidScanner::open(&config).unwrap_err();
    assert!(matches!(err, ScanError::Open { .. }), "{err:?}");
    assert!(err.needs_reopen());
    assert!(err.to_string().contains("cannot open code scanner"));
}

#[test]
fn a_file_that_is_not_an_input_device_is_an_open_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let err = HidScanner::open(&HidConfig::new(file.path())).unwrap_err();
    assert!(matches!(err, ScanError::Open { .. }), "{err:?}");
}
