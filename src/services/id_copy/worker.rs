//! The ID-card copy: scans a side with the document scanner, finds the card on the glass and
//! crops it, and prints both sides on one A4 page. All of it on a thread of its own; the
//! images pass through and are never written anywhere (the demo's folder printer aside, which
//! stands in for paper).

use std::path::PathBuf;
use std::sync::Arc;

use scanner::sane::{DocScanner, ScanError, ScannedImage};

use super::{CopyOrder, CopyPrintProblem, Event, Job, ScanProblem};
use crate::app::{EventSink, KioskEvent, Reply, RgbaImage};
use crate::devices::a4_printer::{A4Printer, A4Problem};
use crate::devices::health::{DeviceId, DeviceState, HealthBoard, HealthCell};
use crate::documents::id_copy::{self, IdCopy};
use crate::documents::pdf::RgbImage;
use crate::services::ServiceEvent;
use crate::store::Store;
use crate::worker::{Spawned, Worker};

/// Something that scans the glass: the SANE scanner, or the demo's simulated one.
pub trait DocumentSource: Send {
    /// One scan of the configured area.
    fn scan(&mut self) -> Result<ScannedImage, ScanError>;
}

impl DocumentSource for DocScanner {
    fn scan(&mut self) -> Result<ScannedImage, ScanError> {
        DocScanner::scan(self)
    }
}

pub use crate::devices::a4_printer::A4Output;

/// What the thread needs.
pub struct CopyWorkerDeps {
    /// The document scanner (`None`: the kiosk has none; scans fail as a scanner fault).
    pub source: Option<Box<dyn DocumentSource>>,
    /// The A4 printer (shared with the other services that print A4).
    pub a4: A4Printer,
    /// Font for the PDF (the CJK font the UI embeds).
    pub font: &'static [u8],
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
    /// Database file: device faults are recorded in `device_events` (staff and the
    /// heartbeat read them from there).
    pub db_path: PathBuf,
    /// The kiosk's health board: the document scanner and A4 printer go on it.
    pub health: Arc<HealthBoard>,
}

/// The document scanner's health: kept on the health board (staff and the heartbeat read it
/// there) and, on every change, in the store's `device_events`. (The A4 printer keeps its own:
/// [`A4Printer`].)
struct Health {
    store: Option<Store>,
    doc_scanner: HealthCell,
}

impl Health {
    fn new(store: Option<Store>, board: &Arc<HealthBoard>) -> Self {
        Self {
            store,
            doc_scanner: board.cell(DeviceId::DocScanner),
        }
    }

    fn record(&mut self, device: DeviceId, new: DeviceState) {
        let cell = match device {
            DeviceId::DocScanner => &self.doc_scanner,
            // The copy worker keeps the scanner's health only.
            _ => return,
        };
        if cell.set(new.clone()).is_none() {
            // No change: nothing new for the device log.
            return;
        }
        if let Some(store) = &self.store {
            let (kind, detail) = match new.reason() {
                Some(why) if new.is_fault() => ("fault", why.as_str()),
                _ => ("ok", ""),
            };
            if let Err(e) =
                store.record_device_event(device.name(), kind, detail, chrono::Utc::now())
            {
                tracing::warn!(error = %e, "recording a device event");
            }
        }
    }
    fn ok(&mut self, device: DeviceId) {
        self.record(device, DeviceState::Ok);
    }
    fn fault(&mut self, device: DeviceId, why: &str) {
        self.record(device, DeviceState::fault(why));
    }
}

const DOC_SCANNER: DeviceId = DeviceId::DocScanner;

/// Starts the copy worker.
pub fn spawn(deps: CopyWorkerDeps) -> std::io::Result<Spawned<Reply<Job>>> {
    let store = Store::open(&deps.db_path)
        .map_err(|e| tracing::error!(error = %e, "copy worker: no store"))
        .ok();
    let health = Health::new(store, &deps.health);
    let state = (deps, health);
    Worker::spawn("id-copy", state, |(deps, health), job: Reply<Job>| {
        let event = match job.event {
            Job::Scan(side) => Event::Scanned(side, scan_side(deps, health)),
            Job::Print(order) => Event::Printed(print(deps, &order)),
        };
        deps.sink.send(KioskEvent::Service(Reply {
            token: job.token,
            event: ServiceEvent::IdCopy(event),
        }));
    })
}

/// Scans, finds the card and crops it. Device faults go to staff (health) and are told to the
/// citizen as "ask staff"; problems the citizen can fix (lid, placement) are told as such.
fn scan_side(deps: &mut CopyWorkerDeps, health: &mut Health) -> Result<RgbaImage, ScanProblem> {
    let Some(source) = deps.source.as_mut() else {
        return Err(ScanProblem::ScannerFault);
    };
    let img = match source.scan() {
        Ok(img) => {
            health.ok(DOC_SCANNER);
            img
        }
        Err(e) => {
            let problem = scan_problem(&e);
            if problem == ScanProblem::ScannerFault {
                tracing::warn!(error = %e, "document scanner fault");
                health.fault(DOC_SCANNER, &e.to_string());
            } else {
                health.ok(DOC_SCANNER);
            }
            return Err(problem);
        }
    };
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

/// What the citizen is told for a scanner error.
pub fn scan_problem(e: &ScanError) -> ScanProblem {
    match e {
        // A flatbed with nothing under the lid may say "no docs": lay the card.
        ScanError::NoDocument => ScanProblem::NoCard,
        ScanError::CoverOpen => ScanProblem::CoverOpen,
        _ => ScanProblem::ScannerFault,
    }
}

fn to_rgba(img: &ScannedImage) -> RgbaImage {
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

fn to_rgb(img: &RgbaImage) -> RgbImage {
    let mut rgb = Vec::with_capacity(img.pixels.len() / 4 * 3);
    for px in img.pixels.chunks_exact(4) {
        rgb.extend_from_slice(&px[..3]);
    }
    RgbImage {
        width: img.width,
        height: img.height,
        rgb,
    }
}

fn print(deps: &CopyWorkerDeps, order: &CopyOrder) -> Result<(), CopyPrintProblem> {
    let copy = IdCopy {
        front: to_rgb(&order.front),
        back: to_rgb(&order.back),
        purpose: order.purpose.clone(),
    };
    let pdf = id_copy::render(&copy, deps.font).map_err(|e| {
        tracing::error!(error = %e, "ID copy layout failed");
        CopyPrintProblem::PrinterFault
    })?;
    deps.a4.print(&pdf, "id-copy").map_err(|p| match p {
        A4Problem::NoPrinter => CopyPrintProblem::NoPrinter,
        A4Problem::PaperOut => CopyPrintProblem::PaperOut,
        _ => CopyPrintProblem::PrinterFault,
    })
}
