//! Printing a certificate (证明打印): the citizen, identified by the card, picks the kind
//! (those the hall's catalog lists and the kiosk has a layout for), the platform supplies the
//! data and issues a case number with a signed verification QR, the kiosk shows the very page
//! it will print (the PDF rasterised on the worker thread), prints it on the A4 printer (its
//! state read first) and a receipt slip with the case number on the receipt printer.
//!
//! - [`flow`]: the steps; [`worker`]: catalog, platform, layout, preview and printers, off
//!   the UI thread; [`adapter`]: the Slint glue (`ui/services/certificate/`).
//!
//! The citizen's certificate (its PDF and preview) lives in the flow's preview and printing
//! steps only; the worker keeps nothing between orders.

use std::rc::Rc;
use std::sync::Arc;

use crate::app::{Cx, Reply, RgbaImage};
use crate::documents::certificate::CertificateKind;

pub mod adapter;
pub mod flow;
pub mod worker;

pub use flow::{CertificateFlow, Step};

/// Devices a certificate needs: the card reader (who it is for), the A4 printer (the
/// certificate) and the receipt printer (the slip). It also needs the platform.
pub const NEEDS: &[super::Device] = &[
    super::Device::IdCard,
    super::Device::A4Printer,
    super::Device::Printer,
];

/// A kind as the citizen chooses it: the catalog's names, and the kiosk's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindView {
    /// The layout (and the platform's code, [`CertificateKind::code`]).
    pub kind: CertificateKind,
    /// Chinese name, from the catalog.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What it is used for, Chinese.
    pub use_zh: String,
    /// The same in English.
    pub use_en: String,
}

/// What to ask the platform for.
#[derive(Clone, PartialEq, Eq)]
pub struct PrepareOrder {
    /// The kind.
    pub kind: Arc<KindView>,
    /// The citizen's holder hash.
    pub holder: String,
    /// The citizen's name as on the card (printed in full: the certificate is about them).
    pub name: String,
    /// The ID number, masked.
    pub masked_id: String,
}

impl std::fmt::Debug for PrepareOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrepareOrder")
            .field("kind", &self.kind.kind)
            .finish_non_exhaustive()
    }
}

/// A certificate ready to print: the PDF that prints and the picture of it that the
/// citizen checks first. Personal: it lives in the flow's preview and printing steps only.
#[derive(Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The kind.
    pub kind: Arc<KindView>,
    /// Case number of the issue.
    pub case_number: String,
    /// Issue date.
    pub issued_on: chrono::NaiveDate,
    /// The ID number, masked (for the slip).
    pub masked_id: String,
    /// The PDF, exactly as it prints.
    pub pdf: Vec<u8>,
    /// Its first page, rasterised from that PDF.
    pub preview: RgbaImage,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A case number ties a log line to a person: logs get the kind and the size only.
        f.debug_struct("Prepared")
            .field("kind", &self.kind.kind)
            .field("pdf_bytes", &self.pdf.len())
            .finish_non_exhaustive()
    }
}

/// What the worker is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// The kinds offered: the cached catalog's, those with a layout.
    Kinds,
    /// Ask the platform for the data, lay the certificate out and rasterise it.
    Prepare(PrepareOrder),
    /// Print it on the A4 printer, then the slip.
    Print(Arc<Prepared>),
}

/// Why the service cannot go on, as the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The catalog lists no kind this kiosk can print (or none was fetched yet).
    NoKinds,
    /// The platform holds no record of this kind for the citizen.
    NoRecord,
    /// The platform cannot be reached.
    Unreachable,
    /// The A4 printer is out of paper.
    PaperOut,
    /// The A4 printer is out of toner.
    TonerOut,
    /// The A4 printer is offline, jammed, open or failed the job: staff must come.
    A4Fault,
    /// The certificate could not be laid out or previewed.
    Document,
}

/// What came out.
#[derive(Clone, PartialEq, Eq)]
pub struct PrintedView {
    /// The kind.
    pub kind: Arc<KindView>,
    /// Case number.
    pub case_number: String,
    /// The receipt slip printed too (`false`: the receipt printer failed; the certificate
    /// is out, the case number is on it).
    pub slip: bool,
}

/// A print that did not end with the certificate in hand.
#[derive(Clone, PartialEq, Eq)]
pub struct PrintFailure {
    /// What went wrong.
    pub problem: Problem,
    /// Case number of the certificate that did not print.
    pub case_number: String,
    /// It is kept (sealed, until it expires) for staff to reprint at the service desk.
    pub kept: bool,
}

impl std::fmt::Debug for PrintedView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintedView")
            .field("kind", &self.kind.kind)
            .field("slip", &self.slip)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PrintFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintFailure")
            .field("problem", &self.problem)
            .field("kept", &self.kept)
            .finish_non_exhaustive()
    }
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The kinds offered.
    Kinds(Result<Vec<Arc<KindView>>, Problem>),
    /// The certificate, ready to check (shared: the flow hands it back to print).
    Prepared(Result<Arc<Prepared>, Problem>),
    /// The print.
    Printed(Result<PrintedView, PrintFailure>),
}

/// Where orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait CertificatePort {
    /// Starts `order.event` for session `order.token`.
    fn send(&self, order: Reply<Order>);
}

impl CertificatePort for crate::worker::Orders<Reply<Order>> {
    fn send(&self, order: Reply<Order>) {
        crate::worker::Orders::send(self, order);
    }
}

/// The certificate service as the kiosk runs it: the worker's port, and whether the kiosk
/// has an A4 printer at all.
pub struct Service {
    port: Rc<dyn CertificatePort>,
    offered: bool,
}

impl Service {
    /// The service over `port`; `offered` is false when the kiosk has no A4 printer (the
    /// menu then does not list it).
    pub fn new(port: Rc<dyn CertificatePort>, offered: bool) -> Self {
        Self { port, offered }
    }

    /// Whether the kiosk has the devices for it.
    pub fn offered(&self) -> bool {
        self.offered
    }

    /// A new flow for the session: it asks for the kinds at once.
    pub fn start(&self, cx: &mut Cx) -> CertificateFlow {
        CertificateFlow::new(self.port.clone(), cx)
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "certificate-preparing",
    "certificate-preview",
    "wait-printing",
    "certificate-done",
    "certificate-done-no-slip",
    "certificate-no-kinds",
    "certificate-no-record",
    "unreachable",
    "certificate-paper-out",
    "paper-out",
    "certificate-toner-out",
    "toner-out",
    "certificate-printer-fault",
    "printer-fault",
    "certificate-document",
];
