//! Taking a queue ticket: choose the service area, leave a mobile number for the SMS (or
//! not), the ticket is written with its outbox row, printed, and taken.
//!
//! - [`flow`]: the steps; [`worker`]: store write then print, off the UI thread;
//!   [`adapter`]: the Slint glue (`ui/services/queue_ticket/`).

use std::rc::Rc;

use crate::app::{Cx, Reply};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use flow::{is_mobile_number, QueueTicketFlow, Step};

/// Devices a ticket needs.
pub const NEEDS: &[super::Device] = &[super::Device::Printer];

/// A service area as the citizen chooses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// Code printed before the number, e.g. `A`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Chinese description (which matters it serves).
    pub description_zh: String,
    /// English description.
    pub description_en: String,
    /// Where it is in the hall (floor, windows), Chinese; empty when the catalog does not
    /// say.
    pub location_zh: String,
    /// Where it is, English.
    pub location_en: String,
    /// People waiting, if known.
    pub waiting: Option<u32>,
}

/// What the worker is asked to do.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketOrder {
    /// Chosen area.
    pub area_code: String,
    /// Mobile number, if the citizen left one.
    pub phone: Option<String>,
    /// For the ticket.
    pub masked_id: String,
}

impl std::fmt::Debug for TicketOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketOrder")
            .field("area_code", &self.area_code)
            .field("phone", &self.phone.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// A printed (or at least issued) ticket, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketView {
    /// `A012`.
    pub display_number: String,
    /// Area code.
    pub area_code: String,
    /// People ahead.
    pub people_ahead: u32,
    /// Link that follows the queue on a phone (the ticket's QR code).
    pub follow_url: String,
}

/// Why a ticket could not be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketProblem {
    /// No leased numbers left and the platform unreachable.
    NoNumbers,
    /// The printer is out of paper: the ticket was issued and is kept; staff reprint it.
    PaperOut,
    /// The printer's cover is open, it is offline or unplugged.
    PrinterFault,
    /// The local database failed.
    Store,
}

/// A ticket that did not reach the citizen's hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFailure {
    /// What went wrong.
    pub problem: TicketProblem,
    /// The ticket, when it was issued (kept for staff to reprint) but not printed.
    pub issued: Option<TicketView>,
}

/// The worker's answer.
pub type TicketOutcome = Result<TicketView, TicketFailure>;

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// An order is done (or failed).
    Finished(TicketOutcome),
}

/// Where ticket orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait TicketPort {
    /// Starts issuing a ticket for session `order.token`.
    fn issue(&self, order: Reply<TicketOrder>);
}

impl TicketPort for crate::worker::Orders<Reply<TicketOrder>> {
    fn issue(&self, order: Reply<TicketOrder>) {
        self.send(order);
    }
}

/// The queue-ticket service as the kiosk runs it: the worker's port and the catalog's areas.
pub struct Service {
    port: Rc<dyn TicketPort>,
    areas: Vec<Area>,
    version: u64,
}

impl Service {
    /// The service over `port`.
    pub fn new(port: Rc<dyn TicketPort>) -> Self {
        Self {
            port,
            areas: Vec::new(),
            version: 0,
        }
    }

    /// The areas from the catalog.
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// Changes each time the areas do (the adapter rebuilds its list only then).
    pub fn areas_version(&self) -> u64 {
        self.version
    }

    /// The area with `code`.
    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code == code)
    }

    /// The catalog changed (or came from the cache at start); a flow on screen is told.
    pub fn set_areas(&mut self, areas: Vec<Area>, flow: Option<&mut QueueTicketFlow>) {
        if areas != self.areas {
            self.areas = areas;
            self.version += 1;
        }
        if let Some(flow) = flow {
            flow.areas_changed(&self.areas);
        }
    }

    /// A new flow for the session.
    pub fn start(&self, _cx: &mut Cx) -> QueueTicketFlow {
        QueueTicketFlow::new(self.port.clone())
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "queue-ticket-phone",
    "queue-ticket-phone-invalid",
    "wait-printing",
    "queue-ticket-done",
    "queue-ticket-no-numbers",
    "queue-ticket-paper-out",
    "queue-ticket-printer-fault",
    "store-fault",
];
