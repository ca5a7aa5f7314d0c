//! Issuing a queue ticket: write ticket + outbox row (one transaction), print, report.
//!
//! The write comes first, so a ticket the platform must know of is never lost to a printer
//! fault; a ticket that did not print is marked so staff can reprint it.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use chrono::Utc;

use crate::app::citizen::mask_phone;
use crate::app::{EventSink, KioskEvent, TicketOrder, TicketProblem, TicketService, TicketView};
use crate::devices::printer_manager::{PrintFault, PrinterHandle};
use crate::documents::queue_ticket::{self, TicketPrint};
use crate::store::{NewTicket, Store, StoreError};
use crate::sync::SyncKick;

/// [`TicketService`] for the controller: hands orders to the service thread.
pub struct ChannelTicketService {
    orders: Sender<TicketOrder>,
}

impl TicketService for ChannelTicketService {
    fn issue(&self, order: TicketOrder) {
        if self.orders.send(order).is_err() {
            tracing::error!("ticket service thread is gone");
        }
    }
}

/// The running service thread; it ends when the [`ChannelTicketService`] is dropped.
pub struct TicketServiceThread {
    thread: Option<JoinHandle<()>>,
}

/// What the thread needs.
pub struct TicketServiceDeps {
    /// Database file.
    pub db_path: PathBuf,
    /// Receipt printer.
    pub printer: PrinterHandle,
    /// Where outcomes go.
    pub sink: Arc<dyn EventSink>,
    /// Wakes the sync worker after a write.
    pub kick: SyncKick,
    /// Base of the follow-the-queue link (`{base}/follow/{ticket_id}`).
    pub follow_base: String,
}

impl TicketServiceThread {
    /// Opens the store and starts the thread.
    pub fn spawn(deps: TicketServiceDeps) -> Result<(Self, ChannelTicketService), StoreError> {
        let store = Store::open(&deps.db_path)?;
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ticket-service".into())
            .spawn(move || run(store, deps, rx))
            .expect("spawn ticket service");
        Ok((
            Self {
                thread: Some(thread),
            },
            ChannelTicketService { orders: tx },
        ))
    }
}

impl Drop for TicketServiceThread {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

fn run(mut store: Store, deps: TicketServiceDeps, orders: Receiver<TicketOrder>) {
    for order in orders {
        let outcome = issue(&mut store, &deps, &order);
        deps.sink.send(KioskEvent::TicketFinished(outcome));
    }
}

/// Names from the cached catalog: (hall, area), Chinese, falling back to the code.
fn names(store: &Store, area_code: &str) -> (String, String) {
    let catalog: Option<kiosk_platform::api::Catalog> = store
        .cached_catalog()
        .ok()
        .flatten()
        .and_then(|(body, _)| serde_json::from_str(&body).ok());
    match catalog {
        Some(c) => {
            let area = c
                .areas
                .iter()
                .find(|a| a.code == area_code)
                .map(|a| a.name_zh.clone())
                .unwrap_or_else(|| area_code.to_owned());
            (c.hall.name_zh, area)
        }
        None => (String::new(), area_code.to_owned()),
    }
}

fn issue(
    store: &mut Store,
    deps: &TicketServiceDeps,
    order: &TicketOrder,
) -> crate::app::TicketOutcome {
    let now = Utc::now();
    let local = now.with_timezone(&crate::clock::hall_offset());
    let issued = store.issue_ticket(
        &NewTicket {
            area_code: order.area_code.clone(),
            phone: order.phone.clone(),
            service_day: local.date_naive(),
        },
        now,
    );
    let ticket = match issued {
        Ok(t) => t,
        Err(StoreError::NoNumbersLeft { area, day }) => {
            tracing::error!(area, %day, "no leased queue numbers left");
            return Err((TicketProblem::NoNumbers, None));
        }
        Err(e) => {
            tracing::error!("cannot store ticket: {e}");
            return Err((TicketProblem::Store, None));
        }
    };
    // The platform learns of the ticket as soon as possible.
    deps.kick.kick();

    let follow_url = kiosk_platform::api::follow_url(&deps.follow_base, &ticket.ticket_id);
    let view = TicketView {
        display_number: ticket.display_number.clone(),
        area_code: ticket.area_code.clone(),
        people_ahead: ticket.people_ahead,
        follow_url: follow_url.clone(),
    };
    let (hall_name, area_name) = names(store, &ticket.area_code);
    let bytes = queue_ticket::render(&TicketPrint {
        hall_name,
        area_name,
        display_number: ticket.display_number.clone(),
        people_ahead: ticket.people_ahead,
        issued_at: local.naive_local(),
        masked_id: order.masked_id.clone(),
        masked_phone: order.phone.as_deref().map(mask_phone),
        follow_url,
    });
    let printed = deps.printer.print(bytes);
    let record = match &printed {
        Ok(()) => store.record_ticket_print(&ticket.ticket_id, Ok(Utc::now())),
        Err(e) => store
            .record_ticket_print(&ticket.ticket_id, Err(&e.to_string()))
            .and_then(|()| {
                // For the staff screen: the printer needs a person.
                let printer = crate::devices::health::DeviceId::Printer.name();
                store.record_device_event(printer, "fault", &e.to_string(), Utc::now())
            }),
    };
    if let Err(e) = record {
        tracing::error!("cannot record print outcome: {e}");
    }
    match printed {
        Ok(()) => {
            tracing::info!(number = %ticket.display_number, "ticket printed");
            Ok(view)
        }
        Err(PrintFault::PaperOut) => Err((TicketProblem::PaperOut, Some(view))),
        Err(PrintFault::Device(_)) => Err((TicketProblem::PrinterFault, Some(view))),
    }
}
