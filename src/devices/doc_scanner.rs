//! The one document scanner, shared by the services that scan (the ID-card copy, the
//! application's card sides and materials), and its settings: a configured SANE scanner as
//! the driver's [`DocScannerConfig`]. Each service worker holds a clone of
//! [`SharedDocScanner`] and scans on its own thread; one citizen at a time uses the kiosk, so
//! the lock is never held against another.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scanner::sane::{ColorMode, DocScanner, DocScannerConfig, ScanError, ScannedImage};

use crate::app::RgbaImage;
use crate::config::DocScannerDevice;
use crate::devices::health::{DeviceId, DeviceState, HealthBoard, HealthCell};
use crate::store::Store;

/// Something that scans the glass: the SANE scanner, or the demo's simulated one.
pub trait DocumentSource: Send {
    /// One scan of the configured area.
    fn scan(&mut self) -> Result<ScannedImage, ScanError>;

    /// Staff's reset: find the device again (after a replug it may have a new name).
    /// `Ok(Some(name))`: found under a new name; `Ok(None)`: there as it was.
    fn reopen(&mut self) -> Result<Option<String>, ScanError>;
}

impl DocumentSource for DocScanner {
    fn scan(&mut self) -> Result<ScannedImage, ScanError> {
        DocScanner::scan(self)
    }

    fn reopen(&mut self) -> Result<Option<String>, ScanError> {
        self.refind()
    }
}

/// Why a scan gave nothing usable, as the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanProblem {
    /// Nothing on the glass: lay the card (or the page).
    NoCard,
    /// Something on the glass, but not a card: lay the card alone, flat.
    NotACard,
    /// The lid is open.
    CoverOpen,
    /// The scanner is at fault: staff must look.
    ScannerFault,
}

/// What the citizen is told for a scanner error.
pub fn scan_problem(e: &ScanError) -> ScanProblem {
    match e {
        // A flatbed with nothing under the lid may say "no docs": lay the card.
        ScanError::NoDocument => ScanProblem::NoCard,
        ScanError::CoverOpen => ScanProblem::CoverOpen,
        _ => ScanProblem::ScannerFault,
    }
}

struct Inner {
    source: Option<Box<dyn DocumentSource>>,
    cell: HealthCell,
    store: Option<Store>,
}

/// The kiosk's document scanner (or none), with its health: kept on the health board (staff
/// and the heartbeat read it there) and, on every change, in the store's `device_events`.
#[derive(Clone)]
pub struct SharedDocScanner {
    inner: Arc<Mutex<Inner>>,
    present: bool,
}

impl SharedDocScanner {
    /// The scanner over `source` (`None`: the kiosk has none; scans fail as a scanner
    /// fault); faults are recorded in the database at `db` when given.
    pub fn new(
        source: Option<Box<dyn DocumentSource>>,
        board: &Arc<HealthBoard>,
        db: Option<&Path>,
    ) -> Self {
        let store = db.and_then(|db| {
            Store::open(db)
                .map_err(|e| tracing::error!(error = %e, "document scanner: no store"))
                .ok()
        });
        Self {
            present: source.is_some(),
            inner: Arc::new(Mutex::new(Inner {
                source,
                cell: board.cell(DeviceId::DocScanner),
                store,
            })),
        }
    }

    /// Whether the kiosk has a document scanner.
    pub fn is_present(&self) -> bool {
        self.present
    }

    /// One scan of the glass. Device faults go to staff (health) and are told to the citizen
    /// as "ask staff"; problems the citizen can fix (lid, nothing laid) are told as such.
    pub fn scan(&self) -> Result<ScannedImage, ScanProblem> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Some(source) = inner.source.as_mut() else {
            return Err(ScanProblem::ScannerFault);
        };
        match source.scan() {
            Ok(img) => {
                inner.record(DeviceState::Ok);
                Ok(img)
            }
            Err(e) => {
                let problem = scan_problem(&e);
                if problem == ScanProblem::ScannerFault {
                    tracing::warn!(error = %e, "document scanner fault");
                    inner.record(DeviceState::fault(&e.to_string()));
                } else {
                    inner.record(DeviceState::Ok);
                }
                Err(problem)
            }
        }
    }

    /// Staff's reset order: SANE opens the device afresh for every scan, so there is no
    /// port to close; a reset finds the device again ([`DocumentSource::reopen`]: after a
    /// replug a USB scanner has a new bus address, which scans would fail on for ever) and
    /// puts the answer on the health board. Runs on the caller's thread (the staff worker)
    /// and can take a few seconds (`scanimage -L` probes the backends).
    pub fn reset_order(&self) -> super::reset::ResetOrder {
        let me = self.clone();
        Arc::new(move || me.reopen())
    }

    fn reopen(&self) -> Result<(), String> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Some(source) = inner.source.as_mut() else {
            return Err("no document scanner".into());
        };
        match source.reopen() {
            Ok(renamed) => {
                match renamed {
                    Some(name) => {
                        tracing::info!(device = %name, "document scanner reset: found under a new name")
                    }
                    None => tracing::info!("document scanner reset: found"),
                }
                inner.record(DeviceState::Ok);
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "document scanner reset: not found");
                inner.record(DeviceState::fault(&e.to_string()));
                Err(e.to_string())
            }
        }
    }

    /// Scans, finds the ID card on the glass and crops it (the copy's and the application's
    /// card sides).
    pub fn scan_card(&self) -> Result<RgbaImage, ScanProblem> {
        let img = self.scan()?;
        match scanner::crop::crop_card(&img, &scanner::crop::CropOptions::default()) {
            Ok(card) => Ok(to_rgba(&card.image)),
            Err(e) => {
                tracing::info!(reason = %e, "no card found on the scan");
                Err(match e {
                    scanner::crop::CropError::NoCardFound => ScanProblem::NoCard,
                    _ => ScanProblem::NotACard,
                })
            }
        }
    }
}

impl Inner {
    fn record(&mut self, new: DeviceState) {
        if self.cell.set(new.clone()).is_none() {
            // No change: nothing new for the device log.
            return;
        }
        if let Some(store) = &self.store {
            let (kind, detail) = match new.reason() {
                Some(why) if new.is_fault() => ("fault", why.as_str()),
                _ => ("ok", ""),
            };
            if let Err(e) = store.record_device_event(
                DeviceId::DocScanner.name(),
                kind,
                detail,
                chrono::Utc::now(),
            ) {
                tracing::warn!(error = %e, "recording a device event");
            }
        }
    }
}

/// A scan as an RGBA image for the screen.
pub fn to_rgba(img: &ScannedImage) -> RgbaImage {
    let mut pixels = Vec::with_capacity(img.rgb.len() / 3 * 4);
    for px in img.rgb.chunks_exact(3) {
        pixels.extend_from_slice(&[px[0], px[1], px[2], 255]);
    }
    RgbaImage {
        width: img.width,
        height: img.height,
        pixels,
    }
}

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
