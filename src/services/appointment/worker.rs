//! The appointment worker: the matters from the cached catalog, the slots from the
//! platform, and the booking — its outbox row written first (so a booking the citizen was
//! told of is never lost), then sent at once so the slip can say "confirmed"; when the
//! platform cannot be reached the row stays for the sync worker and the slip says
//! "pending confirmation". Then the slip prints.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use kiosk_platform::api::appointment::{
    appointment_url, AppointmentBookTx, AppointmentCancelTx, KIND_APPOINTMENT_BOOK,
    KIND_APPOINTMENT_CANCEL, REASON_ALREADY_BOOKED, REASON_SLOT_TAKEN,
};
use kiosk_platform::api::{Catalog, Transaction, TransactionBatch, TxStatus};
use kiosk_platform::client::PlatformClient;

use super::{
    BookFailure, BookOrder, DayView, Event, MatterView, Order, Problem, SlipView, SlotView,
    UpcomingView,
};
use crate::app::citizen::mask_phone;
use crate::app::{EventSink, KioskEvent, Reply};
use crate::devices::printer_manager::{PrintFault, PrinterHandle};
use crate::documents::appointment_slip::{self, SlipPrint};
use crate::services::ServiceEvent;
use crate::store::Store;
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
            };
            deps.sink.send(KioskEvent::Service(Reply {
                token: order.token,
                event: ServiceEvent::Appointment(event),
            }));
        },
    )?)
}

fn cached_catalog(store: &Store) -> Option<Catalog> {
    store
        .cached_catalog()
        .ok()
        .flatten()
        .and_then(|(body, _)| serde_json::from_str(&body).ok())
}

/// The matters of the cached catalog, each with its area's names.
pub fn matters(store: &Store) -> Result<Vec<Arc<MatterView>>, Problem> {
    let Some(catalog) = cached_catalog(store) else {
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
    let catalog = cached_catalog(store);
    list.into_iter()
        .map(|a| {
            let m = catalog
                .as_ref()
                .and_then(|c| c.matters.iter().find(|m| m.code == a.matter_code));
            UpcomingView {
                booking_id: a.booking_id,
                matter_zh: m.map_or_else(|| a.matter_code.clone(), |m| m.name_zh.clone()),
                matter_en: m.map_or_else(|| a.matter_code.clone(), |m| m.name_en.clone()),
                date: a.date,
                start: a.start,
                end: a.end,
            }
        })
        .collect()
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
    let confirmed = match first_attempt(store, &deps.client, outbox_id) {
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
    let hall_name = cached_catalog(store)
        .map(|c| c.hall.name_zh)
        .unwrap_or_default();
    let bytes = appointment_slip::render(&SlipPrint {
        hall_name,
        confirmed,
        matter_zh: order.matter.name_zh.clone(),
        matter_en: order.matter.name_en.clone(),
        date: order.date,
        start: order.slot.start,
        end: order.slot.end,
        area: format!("{} {}", order.matter.area_code, order.matter.area_zh),
        bring_zh: order.matter.bring_zh.clone(),
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
