//! Applying for a matter (自助申报): pick a matter, read what it needs, the form filled from
//! the ID card with both sides of the card scanned and cropped, the other fields on keypads,
//! each material scanned (or brought to the window), the delivery, a check page, then the
//! application sealed in the store and uploaded in acknowledged parts; an acceptance receipt
//! (受理回执) with the case number, or, offline, with the promise of an SMS.
//!
//! - [`flow`]: the steps; [`worker`]: scanner, compression, store, upload, receipt, off the
//!   UI thread, and the retries of what could not be sent; [`adapter`]: the Slint glue
//!   (`ui/services/apply/`).

use std::rc::Rc;
use std::sync::Arc;

use crate::app::{Cx, Reply, RgbaImage};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use crate::devices::doc_scanner::ScanProblem;
pub use flow::{
    AddressProblem, AddressStep, ApplyFlow, DeliveryProblem, Draft, FieldProblem, PostAddress,
    PostTo, SideState, Step,
};
pub use kiosk_platform::api::apply::{ApplyMatter, Delivery, FieldKind, Gazetteer};

/// Devices an application needs: the card (its data fills the form), the document scanner
/// (the card's sides, the materials) and the receipt printer (the acceptance receipt).
pub const NEEDS: &[super::Device] = &[
    super::Device::IdCard,
    super::Device::DocScanner,
    super::Device::Printer,
];

/// A side of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The side with the photo.
    Front,
    /// The side with the national emblem.
    Back,
}

/// One scan: a small picture for the screen and the compressed image that is uploaded.
#[derive(Clone, PartialEq, Eq)]
pub struct Scan {
    /// For the screen (at most 480 px across).
    pub preview: RgbaImage,
    /// PNG: the card's sides in colour, a material's page in 8-bit grey.
    pub png: Arc<Vec<u8>>,
}

impl std::fmt::Debug for Scan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scan({:?}, {} bytes)", self.preview, self.png.len())
    }
}

/// What is handed to the worker to submit: the application (its parts numbered in
/// order: front, back, then each material's pages) and the words of the receipt.
#[derive(Clone)]
pub struct Submission {
    /// The idempotency key, made when "submit" was touched, before anything is sent.
    pub key: String,
    /// The application; the worker fills in the part digests.
    pub application: kiosk_platform::api::apply::Application,
    /// Every part's bytes, in part order.
    pub parts: Vec<Arc<Vec<u8>>>,
    /// The matter's names for the receipt.
    pub matter_zh: String,
    /// English.
    pub matter_en: String,
    /// The materials as the receipt lists them: name, pages scanned, at the window.
    pub materials: Vec<crate::documents::apply_receipt::ReceivedMaterial>,
}

impl std::fmt::Debug for Submission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("application", &self.application)
            .field("parts", &self.parts.len())
            .finish_non_exhaustive()
    }
}

/// What the worker is asked to do.
#[derive(Debug, Clone)]
pub enum Order {
    /// The matters of the cached catalog, and today's date (for the age rule).
    Matters,
    /// Scan one side of the card.
    ScanCard(Side),
    /// Scan one page of a material.
    ScanPage,
    /// The postal gazetteer: fetched (`If-None-Match` the cached one's ETag), else the cached
    /// one. Also sent once at start, so the cache is warm before the platform goes away.
    Gazetteer,
    /// Seal, upload, print the receipt.
    Submit(Box<Submission>),
    /// Send what is still pending (the ticker and the start; no citizen waits).
    Resume,
}

/// The acceptance receipt as it came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The case number; `None` when the platform could not be reached (it follows by SMS).
    pub case_number: Option<String>,
    /// The receipt printed.
    pub printed: bool,
}

/// Why an application was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitProblem {
    /// It could not be stored: nothing was sent; the citizen goes to the window.
    NotSaved,
    /// The platform refused it for good (its words, Chinese).
    Refused(String),
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The matters (empty when no catalog is cached yet) and today's date.
    Matters(Vec<ApplyMatter>, chrono::NaiveDate),
    /// A side of the card: cropped, or why not.
    CardScanned(Side, Result<Scan, ScanProblem>),
    /// A page of a material, or why not.
    PageScanned(Result<Scan, ScanProblem>),
    /// The postal gazetteer, or `None` when none is cached and the platform cannot be
    /// reached.
    Gazetteer(Option<Arc<Gazetteer>>),
    /// The application was sealed (and sent, when the platform answered).
    Submitted(Result<Receipt, SubmitProblem>),
}

/// Where orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait ApplyPort {
    /// Queues an order for session `order.token`.
    fn send(&self, order: Reply<Order>);
}

impl ApplyPort for crate::worker::Orders<Reply<Order>> {
    fn send(&self, order: Reply<Order>) {
        crate::worker::Orders::send(self, order);
    }
}

/// Applying for a matter as the kiosk runs it.
pub struct Service {
    port: Rc<dyn ApplyPort>,
    offered: bool,
}

impl Service {
    /// The service over `port`; `offered` is false when the kiosk has no document scanner.
    pub fn new(port: Rc<dyn ApplyPort>, offered: bool) -> Self {
        Self { port, offered }
    }

    /// Whether the kiosk has the devices for it.
    pub fn offered(&self) -> bool {
        self.offered
    }

    /// A new flow for the session: it asks its worker for the matters at once.
    pub fn start(&self, cx: &mut Cx) -> ApplyFlow {
        ApplyFlow::new(self.port.clone(), cx)
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "apply-not-eligible",
    "apply-instructions",
    "apply-card-front",
    "apply-card-back",
    "apply-scanning",
    "apply-card-scanned",
    "apply-scan-nothing",
    "apply-scan-not-a-card",
    "apply-scan-cover-open",
    "apply-scanner-fault",
    "apply-form",
    "apply-field-mobile",
    "apply-field-choice",
    "apply-field-text",
    "apply-not-a-mobile",
    "apply-field-nothing-chosen",
    "apply-field-too-long",
    "apply-material",
    "apply-material-scanned",
    "apply-material-at-window",
    "apply-delivery",
    "apply-no-gazetteer",
    "apply-gazetteer-loading",
    "apply-address-district",
    "apply-address-street",
    "apply-address-no-street",
    "apply-address-keys-full",
    "apply-address-number",
    "apply-address-empty-number",
    "apply-address-number-too-long",
    "apply-address-mobile",
    "apply-address-check",
    "apply-check",
    "wait-sending",
    "apply-done",
    "apply-done-no-receipt",
    "apply-done-sms",
    "apply-done-sms-no-receipt",
    "apply-no-matters",
    "apply-no-card",
    "apply-not-saved",
    "apply-refused",
];
