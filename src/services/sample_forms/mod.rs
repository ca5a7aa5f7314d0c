//! Sample forms (样表机): the hall's library of forms. The citizen finds one by department,
//! by the A–Z initial of its pinyin name, or by typing pinyin initials and picking
//! characters on the on-screen keyboard; opens it page by page, zooms (+/−, pinch, 1×–4×)
//! and pans; takes it home with a QR code that opens the form on a phone; prints it blank,
//! as the filled-in sample, or pre-filled with the ID card's fields (A4 over IPP).
//!
//! The library is the platform's (`GET /v1/forms`, with an ETag) and is kept in the store
//! (migration 0007), so browsing works offline; page images are fetched when first shown
//! and kept under a size cap ([`worker::PAGE_CACHE_BYTES`], least recently shown dropped
//! first); a page never fetched says so while the platform cannot be reached. PNGs are
//! decoded on the worker thread into a `slint::SharedPixelBuffer` (which is `Send`), so the
//! UI thread only wraps it in an image.
//!
//! Devices: none to browse. The A4 printer is for printing only: when it is at fault the
//! tile stays usable and says printing is not possible ([`Services::missing`]), and the
//! print buttons say why.
//!
//! [`Services::missing`]: crate::services::Services::missing

use std::rc::Rc;
use std::sync::Arc;

use kiosk_platform::api::sample_forms::{FormLibrary, PageKind, SampleForm};

use crate::app::{Cx, Reply};
use crate::devices::a4_printer::A4Problem;
use crate::documents::form::FormFill;

pub mod adapter;
pub mod flow;
pub mod search;
pub mod worker;

pub use flow::{SampleFormsFlow, Step};
pub use search::{Filter, FormIndex, Key};

/// Devices the service needs to be offered: none (the A4 printer only for printing).
pub const NEEDS: &[super::Device] = &[];

/// The library with its search index, built once per library version.
#[derive(Debug)]
pub struct Library {
    /// The forms and departments.
    pub forms: FormLibrary,
    /// The index over their names.
    pub index: FormIndex,
}

impl Library {
    /// Indexes `forms`.
    pub fn new(forms: FormLibrary) -> Self {
        let index = FormIndex::new(&forms);
        Self { forms, index }
    }
}

/// A decoded page image, RGBA, ready for the screen.
#[derive(Clone)]
pub struct PageImage(pub slint::SharedPixelBuffer<slint::Rgba8Pixel>);

impl std::fmt::Debug for PageImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PageImage({}x{})", self.0.width(), self.0.height())
    }
}

impl PartialEq for PageImage {
    fn eq(&self, other: &Self) -> bool {
        // The same decoded buffer (a clone shares it); pixels are never compared.
        self.0.as_bytes().as_ptr() == other.0.as_bytes().as_ptr()
    }
}

/// What to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintWhat {
    /// The blank form, every page.
    Blank,
    /// The filled-in sample, every page.
    Sample,
    /// The form laid out with the card's values in its boxes (personal: `FormFill` redacts
    /// itself).
    Prefilled(FormFill),
}

/// What the worker is asked to do.
#[derive(Debug, Clone)]
pub enum Order {
    /// The library: from the platform when its ETag changed, else the cached one.
    Library,
    /// One page image, decoded.
    Page {
        /// The form's id.
        form_id: String,
        /// Blank or sample.
        kind: PageKind,
        /// From 1.
        page: u8,
    },
    /// Whether the A4 printer could print now.
    CheckPrinter,
    /// Print the form.
    Print {
        /// The form.
        form: SampleForm,
        /// Its department's name (on the pre-filled form).
        department: String,
        /// What to print.
        what: PrintWhat,
    },
}

/// Why a page cannot be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageProblem {
    /// Never fetched, and the platform cannot be reached now.
    NotCached,
    /// The platform answered with something that is not this page.
    Broken,
}

/// Whether the A4 printer can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintState {
    /// Being asked.
    Checking,
    /// It can.
    Ready,
    /// It cannot, and why.
    Unavailable(A4Problem),
}

/// Why a print job did not come out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintProblem {
    /// The printer's problem.
    Printer(A4Problem),
    /// A page of the form is not cached and the platform cannot be reached.
    PagesMissing,
    /// The layout failed.
    Layout,
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The library, or `None` when none was ever fetched and the platform cannot be reached.
    Library(Option<Arc<Library>>),
    /// A page image, or why not.
    Page {
        /// The form's id.
        form_id: String,
        /// Blank or sample.
        kind: PageKind,
        /// From 1.
        page: u8,
        /// The image.
        image: Result<PageImage, PageProblem>,
    },
    /// The A4 printer's state.
    Printer(PrintState),
    /// The job came out, or why not.
    Printed(Result<(), PrintProblem>),
}

/// Where orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait SampleFormsPort {
    /// Starts `order.event` for session `order.token`.
    fn send(&self, order: Reply<Order>);
}

impl SampleFormsPort for crate::worker::Orders<Reply<Order>> {
    fn send(&self, order: Reply<Order>) {
        crate::worker::Orders::send(self, order);
    }
}

/// The sample-forms service as the kiosk runs it: the worker's port and the base of the
/// phone pages (what the take-home QR code holds).
pub struct Service {
    port: Rc<dyn SampleFormsPort>,
    phone_base: String,
}

impl Service {
    /// The service over `port`; QR codes open `{phone_base}/m/forms/{id}`.
    pub fn new(port: Rc<dyn SampleFormsPort>, phone_base: &str) -> Self {
        Self {
            port,
            phone_base: phone_base.trim_end_matches('/').to_owned(),
        }
    }

    /// A new flow: the library is asked for at once.
    pub fn start(&self, cx: &mut Cx) -> SampleFormsFlow {
        SampleFormsFlow::new(self.port.clone(), &self.phone_base, cx)
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "sample-forms-keys-full",
    "sample-forms-no-match",
    "sample-forms-none",
    "paper-out",
    "toner-out",
    "printer-fault",
    "sample-forms-no-printer",
    "sample-forms-pages-missing",
    "sample-forms-layout",
    "sample-forms-page-not-cached",
    "sample-forms-page-broken",
    "sample-forms-viewing",
    "wait-printing",
    "sample-forms-printed",
    "sample-forms-no-library",
];
