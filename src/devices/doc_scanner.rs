//! The document scanner's settings: a configured SANE scanner as the driver's
//! [`DocScannerConfig`]. The scanning itself runs on the copy service's thread.

use std::time::Duration;

use scanner::sane::{ColorMode, DocScannerConfig};

use crate::config::DocScannerDevice;

/// The driver's settings for a SANE device; `None` for the simulator (the demo rig hands the
/// kiosk its own).
pub fn sane_config(dev: &DocScannerDevice) -> Option<DocScannerConfig> {
    let DocScannerDevice::Sane {
        device,
        mode,
        resolution_dpi,
        area_mm,
        timeout_secs,
        scanimage,
        extra_args,
    } = dev
    else {
        return None;
    };
    let mut c = DocScannerConfig::new(device.clone());
    if mode
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("gray"))
    {
        c.mode = ColorMode::Gray;
    }
    c.resolution_dpi = *resolution_dpi;
    c.area_mm = area_mm.map(|[l, t, w, h]| (l, t, w, h));
    c.timeout = Duration::from_secs(*timeout_secs);
    if let Some(p) = scanimage {
        c.scanimage = p.clone();
    }
    c.extra_args = extra_args.clone();
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_configs_sane_scanner() {
        let cfg = crate::config::Config::parse(include_str!("../../kiosk.example.toml"))
            .expect("kiosk.example.toml parses");
        let sane = cfg
            .devices
            .doc_scanner
            .as_ref()
            .and_then(sane_config)
            .expect("SANE scanner in the example");
        assert_eq!(sane.resolution_dpi, 300);
        assert_eq!(sane.area_mm, Some((2.0, 2.0, 146.0, 206.0)));
        assert!(sane_config(&DocScannerDevice::Simulated).is_none());
    }
}
