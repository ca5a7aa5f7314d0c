//! Booking an appointment (办事预约): choose the matter (from the catalog, with what to
//! bring), a day among the next working days and a slot with places left, leave a mobile
//! number for the SMS; the booking goes into the outbox and, when the platform answers at
//! once, is confirmed; the slip prints either way ("pending confirmation" offline).
//!
//! - [`flow`]: the steps; [`worker`]: the catalog's matters, the platform's slots, the
//!   booking and the slip, off the UI thread; [`adapter`]: the Slint glue
//!   (`ui/services/appointment/`).

use std::rc::Rc;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};

use crate::app::{Cx, Reply};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use flow::{AppointmentFlow, Step};

/// Devices a booking needs (the slip). It also needs the platform for the slots.
pub const NEEDS: &[super::Device] = &[super::Device::Printer];

/// A matter as the citizen chooses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatterView {
    /// Catalog code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What to bring, Chinese.
    pub bring_zh: Vec<String>,
    /// What to bring, English.
    pub bring_en: Vec<String>,
    /// Area code where it is handled.
    pub area_code: String,
    /// The area's Chinese name (the code when the catalog has none).
    pub area_zh: String,
    /// The area's English name.
    pub area_en: String,
}

/// One slot of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotView {
    /// Hall-local start.
    pub start: NaiveTime,
    /// Hall-local end.
    pub end: NaiveTime,
    /// Places left; `0` is full (shown, not choosable).
    pub remaining: u32,
}

/// One open day and its slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayView {
    /// Hall-local date.
    pub date: NaiveDate,
    /// Its slots in time order.
    pub slots: Vec<SlotView>,
}

impl DayView {
    /// Whether any slot of the day has a place.
    pub fn has_room(&self) -> bool {
        self.slots.iter().any(|s| s.remaining > 0)
    }
}

/// What the citizen asked to book.
#[derive(Clone, PartialEq, Eq)]
pub struct BookOrder {
    /// The matter (shared: it travels from the catalog through every step to the slip).
    pub matter: Arc<MatterView>,
    /// The day.
    pub date: NaiveDate,
    /// The slot.
    pub slot: SlotView,
    /// Mobile number for the SMS (personal data).
    pub phone: String,
    /// For the slip.
    pub masked_id: String,
    /// The citizen's holder hash: the platform's "one citizen, one booking per time".
    pub holder: String,
}

impl std::fmt::Debug for BookOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookOrder")
            .field("matter", &self.matter.code)
            .field("date", &self.date)
            .field("slot", &self.slot.start)
            .finish_non_exhaustive()
    }
}

/// What the worker is asked to do.
#[derive(Clone, PartialEq, Eq)]
pub enum Order {
    /// The matters of the cached catalog.
    Matters,
    /// The citizen's confirmed upcoming appointments, from the platform.
    Upcoming {
        /// The citizen's holder hash.
        holder: String,
    },
    /// The open days and slots of a matter.
    Slots {
        /// Matter code.
        matter: String,
    },
    /// Book, then print the slip.
    Book(BookOrder),
    /// Cancel one of the citizen's appointments.
    Cancel {
        /// The booking.
        booking_id: String,
        /// The citizen's holder hash.
        holder: String,
    },
}

impl std::fmt::Debug for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The holder hash ties a log line to a person: logs get the kind only.
        match self {
            Order::Matters => f.write_str("Matters"),
            Order::Upcoming { .. } => f.write_str("Upcoming(<redacted>)"),
            Order::Slots { matter } => f.debug_struct("Slots").field("matter", matter).finish(),
            Order::Book(b) => f.debug_tuple("Book").field(b).finish(),
            Order::Cancel { booking_id, .. } => f
                .debug_struct("Cancel")
                .field("booking_id", booking_id)
                .finish_non_exhaustive(),
        }
    }
}

/// One of the citizen's confirmed upcoming appointments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpcomingView {
    /// Booking UUID (to cancel it).
    pub booking_id: String,
    /// Matter, Chinese (the code when the catalog has none).
    pub matter_zh: String,
    /// Matter, English.
    pub matter_en: String,
    /// Hall-local day.
    pub date: NaiveDate,
    /// Slot start.
    pub start: NaiveTime,
    /// Slot end.
    pub end: NaiveTime,
}

/// A booking as the screen and the slip show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipView {
    /// Booking UUID.
    pub booking_id: String,
    /// The matter (shared: it travels from the catalog through every step to the slip).
    pub matter: Arc<MatterView>,
    /// The day.
    pub date: NaiveDate,
    /// The slot.
    pub slot: SlotView,
    /// The platform confirmed it; `false`: queued in the outbox, an SMS follows.
    pub confirmed: bool,
    /// The booking's page on a phone (the slip's QR code).
    pub url: String,
}

/// Why the service cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The catalog lists no matter to book (or none was fetched yet).
    NoMatters,
    /// The platform cannot be reached for the slots.
    Unreachable,
    /// The platform offers no open day for the matter.
    NoDays,
    /// The slot filled up before the booking arrived: choose another.
    SlotTaken,
    /// The citizen already holds an appointment at that time.
    AlreadyBooked,
    /// The printer is out of paper (the booking stands).
    PaperOut,
    /// The printer is not working (the booking stands).
    PrinterFault,
    /// The local database failed (nothing booked).
    Store,
}

/// A booking that did not end with a slip in hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookFailure {
    /// What went wrong.
    pub problem: Problem,
    /// The booking, when it stands although the slip did not print.
    pub booked: Option<SlipView>,
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The matters.
    Matters(Result<Vec<Arc<MatterView>>, Problem>),
    /// The citizen's upcoming appointments as the platform holds them (a booking made
    /// while it was away shows here once it is confirmed).
    Upcoming(Vec<UpcomingView>),
    /// The open days of the matter asked for.
    Slots(Result<Vec<DayView>, Problem>),
    /// The booking and its slip.
    Booked(Result<SlipView, BookFailure>),
    /// The cancellation: `Ok(true)` the platform confirmed it, `Ok(false)` it is queued.
    Cancelled(Result<bool, Problem>),
}

/// Where orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait AppointmentPort {
    /// Starts `order.event` for session `order.token`.
    fn send(&self, order: Reply<Order>);
}

impl AppointmentPort for crate::worker::Orders<Reply<Order>> {
    fn send(&self, order: Reply<Order>) {
        crate::worker::Orders::send(self, order);
    }
}

/// The appointment service as the kiosk runs it: the worker's port.
pub struct Service {
    port: Rc<dyn AppointmentPort>,
}

impl Service {
    /// The service over `port`.
    pub fn new(port: Rc<dyn AppointmentPort>) -> Self {
        Self { port }
    }

    /// A new flow for the session: it asks for the matters at once.
    pub fn start(&self, cx: &mut Cx) -> AppointmentFlow {
        AppointmentFlow::new(self.port.clone(), cx)
    }
}
