//! Traffic fines and fees (交通罚款缴纳): look a fine up by the decision number on the
//! penalty notice or by plate and vehicle type, see its amount and the platform's late fee,
//! and pay it by scanning the platform's payment QR code with a phone; a receipt prints.
//!
//! Paid exactly once: the worker keeps the order's idempotency key in the store before it
//! asks the platform for the order (`Store::open_fine_payment`), so a kiosk killed at any
//! moment finds the open order at start-up and asks the platform where it is before
//! anything else; the platform refuses a fine that is paid already; a "paid" that arrives
//! after the citizen left prints nothing, is recorded and shown to staff, who can reprint
//! the receipt. Online only: offline the tile says the platform cannot be reached. Money is
//! integer fen throughout. Identification: the ID card only (payments take no typed
//! identity).
//!
//! - [`flow`]: the steps; [`worker`]: the platform, the store and the receipt printer, off
//!   the UI thread (its polling of an order too); [`adapter`]: the Slint glue
//!   (`ui/services/traffic_fine/`).

use std::rc::Rc;
use std::sync::Arc;

use crate::app::{Cx, Reply};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use flow::{Entry, Step, TrafficFineFlow};
pub use kiosk_platform::api::traffic_fine::{Fine, FineQuery, PaymentState, VehicleType};

/// Devices the service needs to be offered at all: the card reader (payments are made by a
/// card holder) and the receipt printer (a payment without its receipt is not offered).
pub const NEEDS: &[super::Device] = &[super::Device::IdCard, super::Device::Printer];

/// A payment order on screen: what the QR holds and how long it waits.
#[derive(Clone, PartialEq, Eq)]
pub struct OrderView {
    /// The idempotency key the worker keeps it under.
    pub key: String,
    /// The platform's order id.
    pub order_id: String,
    /// What the QR code holds.
    pub qr_payload: String,
    /// Seconds until it expires, as the worker reckoned when it arrived.
    pub expires_in_secs: u64,
    /// What is paid, fen.
    pub amount_fen: i64,
}

impl std::fmt::Debug for OrderView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderView")
            .field("order_id", &self.order_id)
            .field("expires_in_secs", &self.expires_in_secs)
            .finish_non_exhaustive()
    }
}

/// A paid fine, as the "paid" page shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct PaidView {
    /// The payment serial.
    pub serial: String,
    /// Paid, fen.
    pub total_fen: i64,
    /// The decision number, masked.
    pub masked_decision: String,
}

impl std::fmt::Debug for PaidView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaidView")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// What the worker is asked to do.
#[derive(Debug, Clone)]
pub enum Order {
    /// Find fines.
    Lookup(FineQuery),
    /// Create the payment order for a fine (shown at `total_fen`), for the card holder.
    Pay {
        /// The idempotency key, made by the flow (kept in the store before the request).
        key: String,
        /// The fine as shown.
        fine: Arc<Fine>,
        /// The card holder's hash.
        holder: String,
    },
    /// The citizen touched "cancel": the platform is told.
    Cancel {
        /// The order's key.
        key: String,
    },
    /// The citizen left while paying (the session ended): cancel at the platform; a
    /// payment that came first is recorded, not printed, and shown to staff.
    Abandon {
        /// The order's key.
        key: String,
    },
    /// Ask the platform where the open order is (sent by the worker's own ticker).
    Poll {
        /// The order's key.
        key: String,
    },
    /// Ask the platform about every order left open (first thing after start-up).
    Reconcile,
}

/// Why there is nothing to show, or a payment could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The platform cannot be reached, or answered wrongly.
    Unreachable,
    /// The fine is paid already (the platform refused a second payment).
    AlreadyPaid,
    /// The total changed since it was shown (the late fee grew at midnight): look again.
    AmountChanged,
    /// The session has no card holder.
    NoCard,
}

impl Problem {
    /// Its name in the log.
    pub fn name(&self) -> &'static str {
        match self {
            Problem::Unreachable => "unreachable",
            Problem::AlreadyPaid => "already_paid",
            Problem::AmountChanged => "amount_changed",
            Problem::NoCard => "no_card",
        }
    }
}

/// How an order ended without a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The payment app refused it.
    Failed,
    /// Not paid in time.
    Expired,
    /// Cancelled.
    Cancelled,
    /// The platform could not be asked; the kiosk asks again later (staff see it).
    Unknown,
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The fines found (an empty list: none), or why not.
    Found(Result<Arc<Vec<Fine>>, Problem>),
    /// The order is issued: show its QR code.
    Issued(Result<OrderView, Problem>),
    /// Paid; the receipt printed (`true`) or not.
    Paid {
        /// What the page shows.
        paid: PaidView,
        /// The receipt came out.
        printed: bool,
    },
    /// The order ended unpaid.
    Ended(Ended),
}

/// Where orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait FinePort {
    /// Starts `order.event` for session `order.token`.
    fn send(&self, order: Reply<Order>);
}

impl FinePort for crate::worker::Orders<Reply<Order>> {
    fn send(&self, order: Reply<Order>) {
        crate::worker::Orders::send(self, order);
    }
}

/// The traffic-fine service as the kiosk runs it: the worker's port.
pub struct Service {
    port: Rc<dyn FinePort>,
}

impl Service {
    /// The service over `port`.
    pub fn new(port: Rc<dyn FinePort>) -> Self {
        Self { port }
    }

    /// A new flow for the session: the choice of how to look fines up.
    pub fn start(&self, cx: &mut Cx) -> TrafficFineFlow {
        TrafficFineFlow::new(self.port.clone(), cx)
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "traffic-fine-decision",
    "traffic-fine-plate",
    "traffic-fine-decision-invalid",
    "traffic-fine-plate-province",
    "traffic-fine-plate-office",
    "traffic-fine-plate-character",
    "traffic-fine-plate-length",
    "traffic-fine-plate-new-energy",
    "wait-asking",
    "traffic-fine-pay-failed",
    "traffic-fine-pay-expired",
    "traffic-fine-pay-cancelled",
    "traffic-fine-pay-unknown",
    "traffic-fine-already-paid",
    "traffic-fine-amount-changed",
    "traffic-fine-none-found",
    "traffic-fine-all-paid",
    "traffic-fine-list",
    "traffic-fine-ordering",
    "traffic-fine-scan",
    "traffic-fine-cancelling",
    "traffic-fine-paid",
    "traffic-fine-paid-no-receipt",
    "needs-card",
    "traffic-fine-unreachable",
];
