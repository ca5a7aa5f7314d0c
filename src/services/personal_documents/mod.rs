//! Personal documents (个人空间 / 电子证照): after the ID card, the documents the platform
//! keeps for the citizen — electronic licences and certificates issued earlier — listed
//! with kind, issuer and date; one is previewed exactly as it prints (the A4 PDF with its
//! "仅供…使用" overlay, rasterised on the worker) and printed on the A4 printer. Online
//! only: the documents live on the platform and nothing of them is kept here.
//!
//! - [`flow`]: the steps; [`worker`]: the platform, the layout, the preview and the A4
//!   printer, off the UI thread; [`adapter`]: the Slint glue
//!   (`ui/services/personal_documents/`).

use std::rc::Rc;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::app::{Cx, Reply, RgbaImage};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use flow::{PersonalDocumentsFlow, Step};

/// Devices it needs: the card identifies the citizen, the A4 printer prints. It also needs
/// the platform, which keeps the documents.
pub const NEEDS: &[super::Device] = &[super::Device::IdCard, super::Device::A4Printer];

/// What a printed document may be for: the words of the overlay (Chinese, as on paper),
/// and English for the screen.
pub const PURPOSES: &[(&str, &str)] = &[
    ("办理银行业务", "Banking"),
    ("办理社保业务", "Social insurance matters"),
    ("办理入学手续", "School enrolment"),
    ("办理公积金业务", "Housing provident fund"),
    ("办理不动产登记", "Real-estate registration"),
    ("办理出入境业务", "Exit and entry matters"),
    ("求职应聘", "Job application"),
    ("办理户籍业务", "Household registration"),
];

/// One of the citizen's documents as the list shows it (no personal data: kind, issuer,
/// dates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentItem {
    /// The platform's id.
    pub id: String,
    /// A certificate issued earlier rather than a licence.
    pub certificate: bool,
    /// The platform's kind (`driving_licence`).
    pub kind: String,
    /// Title, Chinese.
    pub title_zh: String,
    /// Title, English.
    pub title_en: String,
    /// Issuer, Chinese.
    pub issuer_zh: String,
    /// Issuer, English.
    pub issuer_en: String,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// Last day of validity (`None`: no end or not applicable).
    pub valid_until: Option<NaiveDate>,
}

/// A laid-out page: the PDF that prints and the picture of it that shows.
#[derive(Clone, PartialEq, Eq)]
pub struct PagePreview {
    /// The A4 PDF, exactly what goes to the printer.
    pub pdf: Arc<Vec<u8>>,
    /// `pdf`'s first page rasterised.
    pub image: RgbaImage,
}

impl std::fmt::Debug for PagePreview {
    // The page shows the citizen's document: logs get its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PagePreview({} bytes, {}x{})",
            self.pdf.len(),
            self.image.width,
            self.image.height
        )
    }
}

/// Why the page did not print, as the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintProblem {
    /// Out of paper.
    PaperOut,
    /// Out of toner.
    TonerOut,
    /// Jammed, cover open, offline or the job failed: staff must look.
    PrinterFault,
    /// No A4 printer on this kiosk.
    NoPrinter,
}

/// Why the service cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No card was read in this session: the documents are looked up by the card.
    NoCard,
    /// The platform cannot be reached (or answered an error): try again later.
    Unreachable,
    /// The document is no longer on the platform.
    NotFound,
    /// The page could not be laid out or rasterised.
    Layout,
    /// The A4 printer is at fault (found before or while printing).
    Print(PrintProblem),
}

/// What the worker is asked to do.
#[derive(Clone, PartialEq, Eq)]
pub enum Order {
    /// The holder's list.
    List {
        /// The citizen's holder hash.
        holder: String,
    },
    /// Fetch one document, lay it out with the overlay and rasterise it.
    Preview {
        /// The citizen's holder hash.
        holder: String,
        /// The document.
        id: String,
        /// Index into [`PURPOSES`]; `None`: no overlay yet (not printable).
        purpose: Option<usize>,
    },
    /// Check the A4 printer, then print this PDF (the one previewed).
    Print {
        /// The page.
        pdf: Arc<Vec<u8>>,
    },
}

impl std::fmt::Debug for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The holder hash ties a log line to a person: logs get the kind only.
        match self {
            Order::List { .. } => f.write_str("List(<redacted>)"),
            Order::Preview { id, purpose, .. } => f
                .debug_struct("Preview")
                .field("id", id)
                .field("purpose", purpose)
                .finish_non_exhaustive(),
            Order::Print { pdf } => write!(f, "Print({} bytes)", pdf.len()),
        }
    }
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The holder's documents (empty: the platform keeps none), or why not.
    Listed(Result<Vec<DocumentItem>, Problem>),
    /// A page for `(id, purpose)`, or why not.
    Previewed {
        /// The document.
        id: String,
        /// The purpose it was laid out with.
        purpose: Option<usize>,
        /// The page.
        result: Result<PagePreview, Problem>,
    },
    /// Printed, or why not.
    Printed(Result<(), Problem>),
}

/// Where orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait DocumentsPort {
    /// Starts `order.event` for session `order.token`.
    fn send(&self, order: Reply<Order>);
}

impl DocumentsPort for crate::worker::Orders<Reply<Order>> {
    fn send(&self, order: Reply<Order>) {
        crate::worker::Orders::send(self, order);
    }
}

/// The service as the kiosk runs it: the worker's port.
pub struct Service {
    port: Rc<dyn DocumentsPort>,
    offered: bool,
}

impl Service {
    /// The service over `port`; `offered` is false when the kiosk has no A4 printer (the
    /// menu then does not list it).
    pub fn new(port: Rc<dyn DocumentsPort>, offered: bool) -> Self {
        Self { port, offered }
    }

    /// Whether the kiosk has the devices for it.
    pub fn offered(&self) -> bool {
        self.offered
    }

    /// A new flow for the session: it asks for the citizen's list at once.
    pub fn start(&self, cx: &mut Cx) -> PersonalDocumentsFlow {
        PersonalDocumentsFlow::new(self.port.clone(), cx)
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "personal-documents-empty",
    "personal-documents-purpose",
    "personal-documents-purpose-missing",
    "wait-printing",
    "take-printout",
    "personal-documents-no-card",
    "unreachable",
    "personal-documents-not-found",
    "personal-documents-layout",
    "paper-out",
    "toner-out",
    "printer-fault",
    "personal-documents-no-printer",
];
