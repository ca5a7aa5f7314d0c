//! Copying the ID card: pick what the copy is for, scan the front, scan the back, look at the
//! page, print both sides 1:1 on one A4 sheet. The scans live in the flow only; nothing is
//! kept after it.
//!
//! - [`flow`]: the steps; [`worker`]: scanner, crop, A4 layout and printer, off the UI
//!   thread; [`adapter`]: the Slint glue (`ui/services/id_copy/`).

use std::rc::Rc;

use crate::app::{Cx, Reply, RgbaImage};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use flow::{IdCopyFlow, PrintState, SideState, Step};

/// Devices a copy needs.
pub const NEEDS: &[super::Device] = &[super::Device::DocScanner, super::Device::A4Printer];

/// A side of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardSide {
    /// The side with the photo.
    Front,
    /// The side with the national emblem.
    Back,
}

/// What a copy may be for: the words printed across it (Chinese, as on paper), and English
/// for the screen.
pub const COPY_PURPOSES: &[(&str, &str)] = &[
    ("办理社保业务", "Social insurance matters"),
    ("办理居住证", "Residence permit"),
    ("办理户籍业务", "Household registration"),
    ("办理不动产登记", "Real-estate registration"),
    ("办理银行业务", "Banking"),
    ("办理入学手续", "School enrolment"),
];

/// Why a side could not be scanned, as the citizen is told (the shared scanner's).
pub use crate::devices::doc_scanner::ScanProblem;

/// Why the page did not print, as the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyPrintProblem {
    /// The A4 printer is out of paper.
    PaperOut,
    /// The printer failed.
    PrinterFault,
    /// No A4 printer on this kiosk.
    NoPrinter,
}

/// Both sides and the purpose, to print.
#[derive(Clone, PartialEq, Eq)]
pub struct CopyOrder {
    /// The front, cropped.
    pub front: RgbaImage,
    /// The back, cropped.
    pub back: RgbaImage,
    /// The words across both sides, e.g. 办理居住证.
    pub purpose: String,
}

impl std::fmt::Debug for CopyOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyOrder")
            .field("front", &self.front)
            .field("back", &self.back)
            .finish_non_exhaustive()
    }
}

/// What the worker is asked to do.
#[derive(Debug, Clone)]
pub enum Job {
    /// Scan the glass for this side.
    Scan(CardSide),
    /// Lay out and print.
    Print(CopyOrder),
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// One side: the cropped card, or why not.
    Scanned(CardSide, Result<RgbaImage, ScanProblem>),
    /// The page printed, or why not.
    Printed(Result<(), CopyPrintProblem>),
}

/// Where copy jobs go (the worker in the kiosk, a fake in tests). Must not block.
pub trait CopyPort {
    /// Queues a job for session `job.token`.
    fn send(&self, job: Reply<Job>);
}

impl CopyPort for crate::worker::Orders<Reply<Job>> {
    fn send(&self, job: Reply<Job>) {
        crate::worker::Orders::send(self, job);
    }
}

/// The ID-card copy as the kiosk runs it.
pub struct Service {
    port: Rc<dyn CopyPort>,
    offered: bool,
}

impl Service {
    /// The service over `port`; `offered` is false when the kiosk has no document scanner or
    /// no A4 printer (the menu then does not list it).
    pub fn new(port: Rc<dyn CopyPort>, offered: bool) -> Self {
        Self { port, offered }
    }

    /// Whether the kiosk has the devices for it.
    pub fn offered(&self) -> bool {
        self.offered
    }

    /// A new flow for the session.
    pub fn start(&self, _cx: &mut Cx) -> IdCopyFlow {
        IdCopyFlow::new(self.port.clone())
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "id-copy-scan-front",
    "id-copy-scan-back",
    "id-copy-scanning",
    "id-copy-scanned",
    "id-copy-no-card",
    "id-copy-not-a-card",
    "id-copy-cover-open",
    "id-copy-scanner-fault",
    "id-copy-preview",
    "wait-printing",
    "id-copy-printed",
    "paper-out",
    "printer-fault",
    "id-copy-no-printer",
];
