//! Issuing a queue ticket: write ticket + outbox row (one transaction), print, report.
//!
//! The write comes first, so a ticket the platform must know of is never lost to a printer
//! fault; a ticket that did not print is marked so staff can reprint it.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;

use super::{Event, TicketFailure, TicketOrder, TicketOutcome, TicketProblem, TicketView};
use crate::app::citizen::mask_phone;
use crate::app::{EventSink, KioskEvent, Reply};
use crate::devices::printer_manager::{PrintFault, PrinterHandle};
use crate::documents::queue_ticket::{self, TicketPrint};
use crate::services::ServiceEvent;
use crate::store::{NewTicket, Store, StoreError};
use crate::sync::SyncKick;
use crate::worker::{Spawned, Worker};

/// What the thread needs.
pub struct TicketWorkerDeps {
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

/// Opens the worker's own store connection and starts it.
pub fn spawn(deps: TicketWorkerDeps) -> anyhow::Result<Spawned<Reply<TicketOrder>>> {
    let store = Store::open(&deps.db_path)?;
    Ok(Worker::spawn(
        "queue-ticket",
        (store, deps),
        |(store, deps), order: Reply<TicketOrder>| {
            let outcome = issue(store, deps, &order.event);
            deps.sink.send(KioskEvent::Service(Reply {
                token: order.token,
                event: ServiceEvent::QueueTicket(Event::Finished(outcome)),
            }));
        },
    )?)
}

/// What the ticket says of the hall and the area, from the cached catalog.
struct Names {
    /// The hall, Chinese and English.
    hall: (String, String),
    /// The area, Chinese and English (its code when the catalog has none).
    area: (String, String),
    /// Where the area is, Chinese and English (empty when the catalog does not say).
    location: (String, String),
}

fn names(store: &Store, area_code: &str) -> Names {
    let catalog = store.catalog();
    let area = catalog
        .as_ref()
        .and_then(|c| c.areas.iter().find(|a| a.code == area_code));
    Names {
        hall: catalog
            .as_ref()
            .map(|c| (c.hall.name_zh.clone(), c.hall.name_en.clone()))
            .unwrap_or_default(),
        area: area.map_or_else(
            || (area_code.to_owned(), area_code.to_owned()),
            |a| (a.name_zh.clone(), a.name_en.clone()),
        ),
        location: area
            .map(|a| (a.location_zh.clone(), a.location_en.clone()))
            .unwrap_or_default(),
    }
}

fn issue(store: &mut Store, deps: &TicketWorkerDeps, order: &TicketOrder) -> TicketOutcome {
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
            return Err(TicketFailure {
                problem: TicketProblem::NoNumbers,
                issued: None,
            });
        }
        Err(e) => {
            tracing::error!("cannot store ticket: {e}");
            return Err(TicketFailure {
                problem: TicketProblem::Store,
                issued: None,
            });
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
    let names = names(store, &ticket.area_code);
    let bytes = queue_ticket::render(&TicketPrint {
        hall_name: names.hall.0,
        hall_name_en: names.hall.1,
        area_name: names.area.0,
        area_name_en: names.area.1,
        location_zh: names.location.0,
        location_en: names.location.1,
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
        Err(PrintFault::PaperOut) => Err(TicketFailure {
            problem: TicketProblem::PaperOut,
            issued: Some(view),
        }),
        Err(PrintFault::Device(_)) => Err(TicketFailure {
            problem: TicketProblem::PrinterFault,
            issued: Some(view),
        }),
    }
}
