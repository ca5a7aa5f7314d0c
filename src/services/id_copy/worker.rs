//! The ID-card copy: scans a side with the document scanner, finds the card on the glass and
//! crops it, and prints both sides on one A4 page. All of it on a thread of its own; the
//! images pass through and are never written anywhere (the demo's folder printer aside, which
//! stands in for paper).

use std::sync::Arc;

use super::{CopyOrder, CopyPrintProblem, Event, Job};
use crate::app::{EventSink, KioskEvent, Reply, RgbaImage};
use crate::devices::a4_printer::{A4Printer, A4Problem};
use crate::documents::id_copy::{self, IdCopy};
use crate::documents::pdf::RgbImage;
use crate::services::ServiceEvent;
use crate::worker::{Spawned, Worker};

pub use crate::devices::a4_printer::A4Output;
/// The document source a scanner wraps (moved to `devices::doc_scanner`, which the
/// application service shares).
pub use crate::devices::doc_scanner::{scan_problem, DocumentSource, SharedDocScanner};

/// What the thread needs.
pub struct CopyWorkerDeps {
    /// The document scanner (shared with the application service).
    pub scanner: SharedDocScanner,
    /// The A4 printer (shared with the other services that print A4).
    pub a4: A4Printer,
    /// Font for the PDF (the CJK font the UI embeds).
    pub font: &'static [u8],
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
}

/// Starts the copy worker.
pub fn spawn(deps: CopyWorkerDeps) -> std::io::Result<Spawned<Reply<Job>>> {
    Worker::spawn("id-copy", deps, |deps, job: Reply<Job>| {
        let event = match job.event {
            // Scans, finds the card and crops it (`SharedDocScanner::scan_card`).
            Job::Scan(side) => Event::Scanned(side, deps.scanner.scan_card()),
            Job::Print(order) => Event::Printed(print(deps, &order)),
        };
        deps.sink.send(KioskEvent::Service(Reply {
            token: job.token,
            event: ServiceEvent::IdCopy(event),
        }));
    })
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
