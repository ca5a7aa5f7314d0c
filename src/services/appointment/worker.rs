//! The appointment worker: the matters from the cached catalog, the slots from the
//! platform, and the booking — its outbox row written first (so a booking the citizen was
//! told of is never lost), then sent at once so the slip can say "confirmed"; when the
//! platform cannot be reached the row stays for the sync worker and the slip says
//! "pending confirmation". Then the slip prints.
//!
//! Check-in asks the platform and prints its priority ticket (the queue ticket's layout
//! with the appointment's mark); an ordinary ticket instead is issued from the kiosk's
//! leased numbers like the queue-ticket service's. The answers to bookings the citizen was
//! not told of are fetched when a card is read; one the citizen saw on screen at booking is
//! marked seen at once, so it is not told again.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use kiosk_platform::api::appointment::{
    appointment_url, AppointmentBookTx, AppointmentCancelTx, BookingState, CheckInOutcome,
    NoticesSeen, KIND_APPOINTMENT_BOOK, KIND_APPOINTMENT_CANCEL, REASON_ALREADY_BOOKED,
    REASON_SLOT_TAKEN,
};
use kiosk_platform::api::{Catalog, Transaction, TransactionBatch, TxStatus};
use kiosk_platform::client::{ClientError, PlatformClient};

use super::{
    AreaView, BookFailure, BookOrder, BookedView, CheckInRefusal, CheckInRefused, DayView, Event,
    MatterView, NoticeView, Order, Problem, SlipView, SlotView, TicketOut, UpcomingView,
};
use crate::app::citizen::mask_phone;
use crate::app::{EventSink, KioskEvent, Reply};
use crate::devices::printer_manager::{PrintFault, PrinterHandle};
use crate::documents::appointment_slip::{self, SlipPrint};
use crate::documents::queue_ticket::{self, TicketPrint};
use crate::services::ServiceEvent;
use crate::store::{NewTicket, Store, StoreError};
use crate::sync::SyncKick;
use crate::worker::{Spawned, Worker};

/// What the thread needs.
pub struct AppointmentWorkerDeps {
    /// Database file.
    pub db_path: PathBuf,
    /// The platform (slots, and the booking's first attempt).
    pub client: PlatformClient,
    /// Receipt printer.
    pub printer: PrinterHandle,
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
    /// Wakes the sync worker when a booking is left for it.
    pub kick: SyncKick,
    /// Base of the appointment page (`{base}/appointment/{booking_id}`).
    pub page_base: String,
}

/// Opens the worker's own store connection and starts it.
pub fn spawn(deps: AppointmentWorkerDeps) -> anyhow::Result<Spawned<Reply<Order>>> {
    let store = Store::open(&deps.db_path)?;
    Ok(Worker::spawn(
        "appointment",
        (store, deps),
        |(store, deps), order: Reply<Order>| {
            let event = match order.event {
                Order::Matters => Event::Matters(matters(store)),
                Order::Upcoming { holder } => {
                    Event::Upcoming(upcoming(store, &deps.client, &holder))
                }
                Order::Slots { matter } => Event::Slots(slots(&deps.client, &matter)),
                Order::Book(b) => Event::Booked(book(store, deps, &b)),
                Order::Cancel { booking_id, holder } => {
                    Event::Cancelled(cancel(store, deps, &booking_id, &holder))
                }
                Order::CheckIn {
                    booking_id,
                    masked_id,
                } => {
                    Event::CheckedIn(check_in(store, deps, &booking_id, &masked_id).map_err(|r| *r))
                }
                Order::OrdinaryTicket {
                    area_code,
                    masked_id,
                } => Event::OrdinaryTicket(ordinary_ticket(store, deps, &area_code, &masked_id)),
                Order::Notices { holder } => Event::Notices(notices(store, &deps.client, &holder)),
                Order::NoticesSeen {
                    holder,
                    booking_ids,
                } => {
                    mark_seen(&deps.client, holder, booking_ids);
                    return;
                }
            };
            deps.sink.send(KioskEvent::Service(Reply {
                token: order.token,
                event: ServiceEvent::Appointment(event),
            }));
        },
    )?)
}

/// The matters of the cached catalog, each with its area's names.
pub fn matters(store: &Store) -> Result<Vec<Arc<MatterView>>, Problem> {
    let Some(catalog) = store.catalog() else {
        return Err(Problem::NoMatters);
    };
    Ok(catalog
        .matters
        .iter()
        .map(|m| {
            let area = catalog.areas.iter().find(|a| a.code == m.area_code);
            Arc::new(MatterView {
                code: m.code.clone(),
                name_zh: m.name_zh.clone(),
                name_en: m.name_en.clone(),
                bring_zh: m.bring_zh.clone(),
                bring_en: m.bring_en.clone(),
                area_code: m.area_code.clone(),
                area_zh: area.map_or_else(|| m.area_code.clone(), |a| a.name_zh.clone()),
                area_en: area.map_or_else(|| m.area_code.clone(), |a| a.name_en.clone()),
            })
        })
        .collect())
}

/// The citizen's confirmed upcoming appointments, named from the cached catalog. Without
/// the platform the list is simply not shown (empty): booking does not depend on it.
pub fn upcoming(store: &Store, client: &PlatformClient, holder: &str) -> Vec<UpcomingView> {
    let list = match client.appointments_of_holder(holder) {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(error = %e, "the citizen's appointments are unavailable");
            return Vec::new();
        }
    };
    let catalog = store.catalog();
    let today = kiosk_platform::api::hall_service_day(Utc::now());
    list.into_iter()
        .map(|a| {
            let (matter_zh, matter_en) = matter_names(catalog.as_ref(), &a.matter_code);
            UpcomingView {
                booking_id: a.booking_id,
                matter_zh,
                matter_en,
                date: a.date,
                start: a.start,
                end: a.end,
                today: a.date == today,
                checked_in: a.state == BookingState::CheckedIn,
            }
        })
        .collect()
}

/// A matter's names from the catalog (its code when the catalog has none).
fn matter_names(catalog: Option<&Catalog>, code: &str) -> (String, String) {
    match catalog.and_then(|c| c.matters.iter().find(|m| m.code == code)) {
        Some(m) => (m.name_zh.clone(), m.name_en.clone()),
        None => (code.to_owned(), code.to_owned()),
    }
}

/// An area's names from the catalog; with no code, the catalog's first area (where the
/// hall takes any matter).
/// Where area `code` is (Chinese, English), as the catalog says; empty when it does not.
fn area_location(catalog: Option<&Catalog>, code: &str) -> (String, String) {
    catalog
        .and_then(|c| c.areas.iter().find(|a| a.code == code))
        .map(|a| (a.location_zh.clone(), a.location_en.clone()))
        .unwrap_or_default()
}

fn area_view(catalog: Option<&Catalog>, code: Option<&str>) -> AreaView {
    let area = catalog.and_then(|c| match code {
        Some(code) => c.areas.iter().find(|a| a.code == code),
        None => c.areas.first(),
    });
    match area {
        Some(a) => AreaView {
            code: a.code.clone(),
            zh: a.name_zh.clone(),
            en: a.name_en.clone(),
        },
        None => {
            let code = code.unwrap_or("A").to_owned();
            AreaView {
                zh: code.clone(),
                en: code.clone(),
                code,
            }
        }
    }
}

/// Checks in with the platform; on a priority ticket, prints it.
fn check_in(
    store: &mut Store,
    deps: &AppointmentWorkerDeps,
    booking_id: &str,
    masked_id: &str,
) -> Result<TicketOut, Box<CheckInRefused>> {
    let catalog = store.catalog();
    let refused = |refusal, booked, area: Option<&str>| {
        Box::new(CheckInRefused {
            refusal,
            booked,
            area: area_view(catalog.as_ref(), area),
        })
    };
    let answer = match deps.client.check_in(booking_id) {
        Ok(a) => a,
        Err(ClientError::Http { status: 404, .. }) => {
            return Err(refused(CheckInRefusal::Unknown, None, None))
        }
        Err(e) => {
            tracing::warn!(error = %e, "check-in: the platform did not answer");
            return Err(refused(CheckInRefusal::Unreachable, None, None));
        }
    };
    let b = &answer.booking;
    let (matter_zh, matter_en) = matter_names(catalog.as_ref(), &b.matter_code);
    let booked = BookedView {
        matter_zh,
        matter_en,
        date: b.date,
        start: b.start,
        end: b.end,
    };
    let area = Some(b.area_code.as_str());
    let refusal = match answer.outcome {
        CheckInOutcome::CheckedIn => None,
        CheckInOutcome::TooEarly => {
            Some(CheckInRefusal::TooEarly(answer.opens_at.unwrap_or(b.start)))
        }
        CheckInOutcome::TooLate => {
            Some(CheckInRefusal::TooLate(answer.closes_at.unwrap_or(b.start)))
        }
        CheckInOutcome::Cancelled => Some(CheckInRefusal::Cancelled),
        CheckInOutcome::NotToday => Some(CheckInRefusal::NotToday),
    };
    if let Some(refusal) = refusal {
        tracing::info!(?refusal, "check-in refused");
        return Err(refused(refusal, Some(booked), area));
    }
    let Some(ticket) = answer.ticket else {
        // Checked in long ago with no ticket on record: nothing to print, say so plainly.
        return Err(refused(CheckInRefusal::Unknown, Some(booked), area));
    };
    let area = area_view(catalog.as_ref(), Some(&ticket.area_code));
    let (location_zh, location_en) = area_location(catalog.as_ref(), &ticket.area_code);
    let local = Utc::now().with_timezone(&crate::clock::hall_offset());
    let hall = catalog.as_ref().map(|c| c.hall.clone()).unwrap_or_default();
    let print = TicketPrint {
        location_zh,
        location_en,
        hall_name: hall.name_zh,
        hall_name_en: hall.name_en,
        area_name: area.zh.clone(),
        area_name_en: area.en.clone(),
        display_number: ticket.display_number.clone(),
        people_ahead: ticket.people_ahead,
        issued_at: local.naive_local(),
        masked_id: masked_id.to_owned(),
        masked_phone: None,
        follow_url: kiosk_platform::api::follow_url(&deps.page_base, &ticket.ticket_id),
    };
    let line = queue_ticket::Booked {
        slot: format!(
            "{}-{}",
            booked.start.format("%H:%M"),
            booked.end.format("%H:%M")
        ),
        matter_zh: booked.matter_zh.clone(),
        matter_en: booked.matter_en.clone(),
    };
    let print_problem = print_or_say(store, deps, queue_ticket::render_appointment(&print, &line));
    tracing::info!(number = %ticket.display_number, "checked in: priority ticket");
    Ok(TicketOut {
        display_number: ticket.display_number,
        area,
        people_ahead: ticket.people_ahead,
        priority: true,
        booked: Some(booked),
        print_problem,
    })
}

/// Prints `bytes`; on a fault, records it for staff and says which.
fn print_or_say(
    store: &mut Store,
    deps: &AppointmentWorkerDeps,
    bytes: Vec<u8>,
) -> Option<Problem> {
    match deps.printer.print(bytes) {
        Ok(()) => None,
        Err(e) => {
            let printer = crate::devices::health::DeviceId::Printer.name();
            if let Err(err) =
                store.record_device_event(printer, "fault", &e.to_string(), Utc::now())
            {
                tracing::error!("cannot record the printer fault: {err}");
            }
            Some(match e {
                PrintFault::PaperOut => Problem::PaperOut,
                PrintFault::Device(_) => Problem::PrinterFault,
            })
        }
    }
}

/// An ordinary ticket of `area_code` from the kiosk's leased numbers (the ticket and its
/// outbox row in one transaction, as the queue-ticket service issues them), printed.
fn ordinary_ticket(
    store: &mut Store,
    deps: &AppointmentWorkerDeps,
    area_code: &str,
    masked_id: &str,
) -> Result<TicketOut, Problem> {
    let now = Utc::now();
    let local = now.with_timezone(&crate::clock::hall_offset());
    let ticket = store
        .issue_ticket(
            &NewTicket {
                area_code: area_code.to_owned(),
                phone: None,
                service_day: local.date_naive(),
            },
            now,
        )
        .map_err(|e| match e {
            StoreError::NoNumbersLeft { .. } => Problem::NoNumbers,
            e => {
                tracing::error!("cannot store the ticket: {e}");
                Problem::Store
            }
        })?;
    deps.kick.kick();
    let catalog = store.catalog();
    let area = area_view(catalog.as_ref(), Some(area_code));
    let (location_zh, location_en) = area_location(catalog.as_ref(), area_code);
    let hall = catalog.map(|c| c.hall).unwrap_or_default();
    let bytes = queue_ticket::render(&TicketPrint {
        location_zh,
        location_en,
        hall_name: hall.name_zh,
        hall_name_en: hall.name_en,
        area_name: area.zh.clone(),
        area_name_en: area.en.clone(),
        display_number: ticket.display_number.clone(),
        people_ahead: ticket.people_ahead,
        issued_at: local.naive_local(),
        masked_id: masked_id.to_owned(),
        masked_phone: None,
        follow_url: kiosk_platform::api::follow_url(&deps.page_base, &ticket.ticket_id),
    });
    let print_problem = print_or_say(store, deps, bytes);
    let record = match print_problem {
        None => store.record_ticket_print(&ticket.ticket_id, Ok(Utc::now())),
        Some(p) => store.record_ticket_print(&ticket.ticket_id, Err(&format!("{p:?}"))),
    };
    if let Err(e) = record {
        tracing::error!("cannot record the print outcome: {e}");
    }
    Ok(TicketOut {
        display_number: ticket.display_number,
        area,
        people_ahead: ticket.people_ahead,
        priority: false,
        booked: None,
        print_problem,
    })
}

/// The platform's answers to the holder's booking requests not told yet; none when it
/// cannot be reached (they wait for the next identification).
fn notices(store: &Store, client: &PlatformClient, holder: &str) -> Vec<NoticeView> {
    let list = match client.appointment_notices(holder) {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(error = %e, "appointment notices unavailable");
            return Vec::new();
        }
    };
    let catalog = store.catalog();
    list.into_iter()
        .map(|n| {
            let (matter_zh, matter_en) = matter_names(catalog.as_ref(), &n.matter_code);
            NoticeView {
                booking_id: n.booking_id,
                matter_zh,
                matter_en,
                date: n.date,
                start: n.start,
                outcome: n.outcome,
            }
        })
        .collect()
}

/// Tells the platform the citizen saw these answers. A failure only means they may be told
/// once more.
fn mark_seen(client: &PlatformClient, holder: String, booking_ids: Vec<String>) {
    if let Err(e) = client.appointment_notices_seen(&NoticesSeen {
        holder,
        booking_ids,
    }) {
        tracing::warn!(error = %e, "cannot mark appointment notices seen");
    }
}

/// The platform's open days for `matter`. Slots are live data and are not cached: without
/// the platform the citizen is told so, not shown places that may be gone.
pub fn slots(client: &PlatformClient, matter: &str) -> Result<Vec<DayView>, Problem> {
    match client.appointment_slots(matter, None) {
        Ok(list) => Ok(list
            .days
            .into_iter()
            .map(|d| DayView {
                date: d.date,
                slots: d
                    .slots
                    .into_iter()
                    .map(|s| SlotView {
                        start: s.start,
                        end: s.end,
                        remaining: s.remaining,
                    })
                    .collect(),
            })
            .collect()),
        Err(e) => {
            tracing::warn!(error = %e, "appointment slots unavailable");
            Err(Problem::Unreachable)
        }
    }
}

/// What the platform said to the booking's first attempt.
enum Answer {
    Confirmed,
    Refused(Problem),
    /// Not reachable (or not answering for this row): the sync worker sends it later.
    Later,
}

fn first_attempt(store: &mut Store, client: &PlatformClient, outbox_id: i64) -> Answer {
    let row = match store.outbox_row(outbox_id) {
        Ok(Some(row)) => row,
        _ => return Answer::Later,
    };
    let Ok(payload) = serde_json::from_str(&row.payload) else {
        return Answer::Later;
    };
    // Exactly what the sync worker would send for this row, so a second send of it (by
    // either) is the same body under the same key: one booking.
    let batch = TransactionBatch {
        transactions: vec![Transaction {
            idempotency_key: row.idempotency_key.clone(),
            kind: row.kind.clone(),
            created_at: row.created_at,
            payload,
        }],
    };
    let result = match client.upload(&batch) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "booking queued: the platform did not answer");
            return Answer::Later;
        }
    };
    let Some(res) = result
        .results
        .into_iter()
        .find(|r| r.idempotency_key == row.idempotency_key)
    else {
        return Answer::Later;
    };
    let answer = match res.status {
        TxStatus::Accepted | TxStatus::Duplicate => Answer::Confirmed,
        TxStatus::Rejected => {
            let reason = res.reason.unwrap_or_default();
            tracing::info!(%reason, "booking refused by the platform");
            if reason.starts_with(REASON_ALREADY_BOOKED) {
                Answer::Refused(Problem::AlreadyBooked)
            } else if reason.starts_with(REASON_SLOT_TAKEN) {
                Answer::Refused(Problem::SlotTaken)
            } else {
                // Any other refusal also means this time cannot be had: choose again.
                Answer::Refused(Problem::SlotTaken)
            }
        }
    };
    // Answered for good either way: nothing is left to send, and marking it sent scrubs
    // the phone number from the local copy at once. A refused booking is the citizen's
    // to choose again on screen, not a row for staff.
    if let Err(e) = store.mark_sent(&[outbox_id], Utc::now()) {
        tracing::error!("cannot mark the booking sent: {e}");
    }
    answer
}

/// Cancels a booking like any other transaction: the outbox row first, then one attempt
/// at once; queued when the platform is away.
fn cancel(
    store: &mut Store,
    deps: &AppointmentWorkerDeps,
    booking_id: &str,
    holder: &str,
) -> Result<bool, Problem> {
    let now = Utc::now();
    let payload = serde_json::to_string(&AppointmentCancelTx {
        booking_id: booking_id.to_owned(),
        holder: holder.to_owned(),
        cancelled_at: now,
    })
    .map_err(|_| Problem::Store)?;
    let outbox_id = store
        .enqueue(KIND_APPOINTMENT_CANCEL, &payload, now)
        .map_err(|e| {
            tracing::error!("cannot store the cancellation: {e}");
            Problem::Store
        })?;
    match first_attempt(store, &deps.client, outbox_id) {
        Answer::Confirmed => Ok(true),
        // Already gone (cancelled at another kiosk meanwhile): what the citizen wanted.
        Answer::Refused(_) => Ok(true),
        Answer::Later => {
            deps.kick.kick();
            Ok(false)
        }
    }
}

fn book(
    store: &mut Store,
    deps: &AppointmentWorkerDeps,
    order: &BookOrder,
) -> Result<SlipView, BookFailure> {
    let now = Utc::now();
    let booking = AppointmentBookTx {
        booking_id: uuid::Uuid::new_v4().to_string(),
        matter_code: order.matter.code.clone(),
        date: order.date,
        start: order.slot.start,
        holder: order.holder.clone(),
        phone: order.phone.clone(),
        requested_at: now,
    };
    let fail = |problem| BookFailure {
        problem,
        booked: None,
    };
    let payload = serde_json::to_string(&booking).map_err(|_| fail(Problem::Store))?;
    // The outbox row is the booking until the platform holds it: sealed like every
    // payload, and it is what the platform receives, once, whoever sends it.
    let outbox_id = match store.enqueue(KIND_APPOINTMENT_BOOK, &payload, now) {
        Ok(id) => id,
        Err(e) => {
            tracing::error!("cannot store the booking: {e}");
            return Err(fail(Problem::Store));
        }
    };
    let answered = first_attempt(store, &deps.client, outbox_id);
    if !matches!(answered, Answer::Later) {
        // The citizen sees this answer now: not again at the next identification.
        mark_seen(
            &deps.client,
            booking.holder.clone(),
            vec![booking.booking_id.clone()],
        );
    }
    let confirmed = match answered {
        Answer::Confirmed => true,
        Answer::Refused(problem) => return Err(fail(problem)),
        Answer::Later => {
            deps.kick.kick();
            false
        }
    };
    let slip = SlipView {
        booking_id: booking.booking_id.clone(),
        matter: order.matter.clone(),
        date: order.date,
        slot: order.slot,
        confirmed,
        url: appointment_url(&deps.page_base, &booking.booking_id),
    };
    let hall = store.hall();
    let bytes = appointment_slip::render(&SlipPrint {
        hall_name: hall.name_zh,
        hall_name_en: hall.name_en,
        confirmed,
        matter_zh: order.matter.name_zh.clone(),
        matter_en: order.matter.name_en.clone(),
        date: order.date,
        start: order.slot.start,
        end: order.slot.end,
        area: format!("{} {}", order.matter.area_code, order.matter.area_zh),
        area_en: format!("{} {}", order.matter.area_code, order.matter.area_en),
        bring_zh: order.matter.bring_zh.clone(),
        bring_en: order.matter.bring_en.clone(),
        masked_id: order.masked_id.clone(),
        masked_phone: mask_phone(&order.phone),
        url: slip.url.clone(),
    });
    match deps.printer.print(bytes) {
        Ok(()) => {
            tracing::info!(matter = %order.matter.code, confirmed, "appointment slip printed");
            Ok(slip)
        }
        Err(e) => {
            if let Err(err) =
                store.record_device_event("printer", "fault", &e.to_string(), Utc::now())
            {
                tracing::error!("cannot record the printer fault: {err}");
            }
            Err(BookFailure {
                problem: match e {
                    PrintFault::PaperOut => Problem::PaperOut,
                    PrintFault::Device(_) => Problem::PrinterFault,
                },
                booked: Some(slip),
            })
        }
    }
}
