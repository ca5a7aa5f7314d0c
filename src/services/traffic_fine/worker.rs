//! The traffic-fine worker: the fine query, payment orders, the polling of the open order
//! and the receipt, all off the UI thread.
//!
//! Exactly once: the row of a payment (its idempotency key and the fine, sealed) is in the
//! store before the order is asked for; every answer that ends an order goes through
//! [`conclude`], on this one thread, which records "paid" once (`Store::fine_paid` changes
//! an open row only) and prints only for a citizen still at the screen. At start-up the
//! first order the worker runs is [`Order::Reconcile`]: every row left open by a kiosk that
//! died is asked about (by order id, or by key when the answer never came) and, the citizen
//! being gone, cancelled; a payment that came first is recorded for staff, not printed.
//!
//! The order is polled by a small ticker thread that only queues [`Order::Poll`] here, one
//! at a time, so a slow platform never piles polls up and "cancel" is never stuck behind a
//! sleep.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::Utc;
use kiosk_platform::api::traffic_fine::{
    mask_decision_number, PaymentOrder, PaymentRequest, ALREADY_PAID, AMOUNT_CHANGED,
};
use kiosk_platform::client::{ClientError, PlatformClient};

use super::{Ended, Event, Order, OrderView, PaidView, PaymentState, Problem};
use crate::app::{EventSink, KioskEvent, Reply, SessionToken};
use crate::devices::printer_manager::PrinterHandle;
use crate::documents::fine_receipt::{self, FineReceipt};
use crate::services::ServiceEvent;
use crate::store::{FinePayment, FineRecord, Store};
use crate::worker::{Life, Orders, Spawned, Worker};

/// How often the open order is asked about.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// How long past its expiry an order that cannot be asked about is still waited for before
/// the citizen is told the kiosk will find out later.
pub const GRACE: chrono::Duration = chrono::Duration::seconds(20);

/// What the thread needs.
pub struct FineWorkerDeps {
    /// The platform.
    pub client: PlatformClient,
    /// The receipt printer.
    pub printer: PrinterHandle,
    /// Database file (its own connection): the open orders, the hall's name.
    pub db_path: PathBuf,
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
    /// How often the open order is polled ([`POLL_EVERY`]).
    pub poll_every: Duration,
}

/// The order the citizen on screen is paying.
struct Current {
    key: String,
    token: SessionToken,
    order: PaymentOrder,
    /// Ends the ticker.
    stop: Arc<AtomicBool>,
    /// A poll is queued: the ticker waits for it to be done.
    queued: Arc<AtomicBool>,
}

struct State {
    deps: FineWorkerDeps,
    store: Option<Store>,
    me: Arc<OnceLock<(Orders<Reply<Order>>, Life)>>,
    current: Option<Current>,
}

/// Starts the worker; the first thing it does is [`Order::Reconcile`].
pub fn spawn(deps: FineWorkerDeps) -> std::io::Result<Spawned<Reply<Order>>> {
    let store = Store::open(&deps.db_path)
        .map_err(|e| tracing::error!(error = %e, "traffic-fine worker: no store"))
        .ok();
    let me = Arc::new(OnceLock::new());
    let state = State {
        deps,
        store,
        me: me.clone(),
        current: None,
    };
    let (worker, orders) = Worker::spawn("traffic-fine", state, handle)?;
    let _ = me.set((orders.clone(), worker.life()));
    // Queued before the UI can send anything: open orders are settled first.
    orders.send(Reply {
        token: crate::app::Session::new(Duration::ZERO, Duration::ZERO).token(),
        event: Order::Reconcile,
    });
    Ok((worker, orders))
}

fn handle(s: &mut State, order: Reply<Order>) {
    let token = order.token;
    match order.event {
        Order::Lookup(q) => {
            let answer = match s.deps.client.traffic_fines(&q) {
                Ok(fines) => Ok(Arc::new(fines)),
                Err(e) => {
                    log_refusal("traffic-fine query", &e);
                    Err(Problem::Unreachable)
                }
            };
            send(s, token, Event::Found(answer));
        }
        Order::Pay { key, fine, holder } => {
            // Anything a dead kiosk left open goes first.
            reconcile(s);
            let answer = pay(s, token, &key, &fine, holder);
            if let Some(answer) = answer {
                send(s, token, Event::Issued(answer));
            }
        }
        Order::Poll { key } => poll(s, &key),
        Order::Cancel { key } => give_up(s, token, &key, true),
        Order::Abandon { key } => give_up(s, token, &key, false),
        Order::Reconcile => reconcile(s),
    }
}

fn send(s: &State, token: SessionToken, event: Event) {
    s.deps.sink.send(KioskEvent::Service(Reply {
        token,
        event: ServiceEvent::TrafficFine(event),
    }));
}

/// The class of a failure only: a transport error's text may quote a URL with an order id
/// or a key, which is not personal, but the request body never is logged.
fn log_refusal(what: &str, e: &ClientError) {
    match e {
        ClientError::Http { status, code, .. } => {
            tracing::warn!(
                status,
                code = code.as_deref().unwrap_or(""),
                "{what} refused"
            )
        }
        ClientError::Network(_) | ClientError::Certificate(_) => {
            tracing::warn!("{what}: platform unreachable")
        }
        ClientError::Decode(_) => tracing::warn!("{what}: answer breaks the contract"),
    }
}

fn record(fine: &super::Fine) -> FineRecord {
    FineRecord {
        decision_number: fine.decision_number.clone(),
        plate: fine.plate.clone(),
        offence_zh: fine.offence_zh.clone(),
        offence_en: fine.offence_en.clone(),
        occurred_on: fine.occurred_on,
        amount_fen: fine.amount_fen,
        late_fee_fen: fine.late_fee_fen,
        total_fen: fine.total_fen,
    }
}

/// Creates the order; `None` when [`conclude`] already answered (it was settled at once).
fn pay(
    s: &mut State,
    token: SessionToken,
    key: &str,
    fine: &super::Fine,
    holder: String,
) -> Option<Result<OrderView, Problem>> {
    let Some(store) = &s.store else {
        // No row, no promise that a crash finds the order again: no payment.
        return Some(Err(Problem::Unreachable));
    };
    if let Err(e) = store.open_fine_payment(key, &record(fine), Utc::now()) {
        tracing::error!(error = %e, "traffic-fine: the payment could not be kept");
        return Some(Err(Problem::Unreachable));
    }
    let req = PaymentRequest {
        idempotency_key: key.to_owned(),
        decision_number: fine.decision_number.clone(),
        amount_fen: fine.total_fen,
        holder,
    };
    let created = match s.deps.client.create_fine_payment(&req) {
        Ok(order) => Ok(Some(order)),
        Err(ClientError::Http {
            status: 409,
            code: Some(code),
            ..
        }) if code == ALREADY_PAID || code == AMOUNT_CHANGED => {
            close(s, key, "refused");
            return Some(Err(if code == ALREADY_PAID {
                Problem::AlreadyPaid
            } else {
                Problem::AmountChanged
            }));
        }
        Err(e) if e.is_retryable() => {
            log_refusal("traffic-fine payment", &e);
            // The order may exist with no answer having come back: ask by the key.
            s.deps.client.fine_payment_by_key(key).map_err(|_| ())
        }
        Err(e) => {
            log_refusal("traffic-fine payment", &e);
            close(s, key, "refused");
            return Some(Err(Problem::Unreachable));
        }
    };
    match created {
        Ok(Some(order)) => {
            if let Some(store) = &s.store {
                let _ = store.set_fine_order(key, &order.order_id, order.state.as_str());
            }
            if order.state.is_open() {
                let view = OrderView {
                    key: key.to_owned(),
                    order_id: order.order_id.clone(),
                    qr_payload: order.qr_payload.clone(),
                    expires_in_secs: (order.expires_at - Utc::now()).num_seconds().max(0) as u64,
                    amount_fen: order.amount_fen,
                };
                start_ticker(s, key, token, order);
                Some(Ok(view))
            } else {
                conclude(s, token, key, &order, true);
                None
            }
        }
        Ok(None) => {
            // The platform never got it: nothing can be paid on it.
            close(s, key, "refused");
            Some(Err(Problem::Unreachable))
        }
        // Left open: the next reconcile asks again.
        Err(()) => Some(Err(Problem::Unreachable)),
    }
}

fn close(s: &State, key: &str, outcome: &str) {
    if let Some(store) = &s.store {
        if let Err(e) = store.close_fine_payment(key, outcome, Utc::now()) {
            tracing::error!(error = %e, "traffic-fine: could not close a payment");
        }
    }
}

fn start_ticker(s: &mut State, key: &str, token: SessionToken, order: PaymentOrder) {
    let stop = Arc::new(AtomicBool::new(false));
    let queued = Arc::new(AtomicBool::new(false));
    if let Some((orders, life)) = s.me.get().cloned() {
        let (stop2, queued2, key2, every) = (
            stop.clone(),
            queued.clone(),
            key.to_owned(),
            s.deps.poll_every,
        );
        let started = std::thread::Builder::new()
            .name("traffic-fine-poll".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                if stop2.load(Ordering::SeqCst) || !life.is_alive() {
                    break;
                }
                if !queued2.swap(true, Ordering::SeqCst) {
                    orders.send(Reply {
                        token,
                        event: Order::Poll { key: key2.clone() },
                    });
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "traffic-fine: no poll thread");
        }
    }
    s.current = Some(Current {
        key: key.to_owned(),
        token,
        order,
        stop,
        queued,
    });
}

fn take_current(s: &mut State, key: &str) -> Option<Current> {
    if s.current.as_ref().is_some_and(|c| c.key == key) {
        let c = s.current.take()?;
        c.stop.store(true, Ordering::SeqCst);
        Some(c)
    } else {
        None
    }
}

fn poll(s: &mut State, key: &str) {
    let Some(c) = s.current.as_ref().filter(|c| c.key == key) else {
        return;
    };
    c.queued.store(false, Ordering::SeqCst);
    let (token, order_id, expires_at) = (c.token, c.order.order_id.clone(), c.order.expires_at);
    match s.deps.client.fine_payment(&order_id) {
        Ok(order) if order.state.is_open() => {}
        Ok(order) => {
            take_current(s, key);
            conclude(s, token, key, &order, true);
        }
        Err(e) => {
            log_refusal("traffic-fine poll", &e);
            if Utc::now() > expires_at + GRACE {
                // The row stays open: the next reconcile learns how it ended.
                take_current(s, key);
                send(s, token, Event::Ended(Ended::Unknown));
            }
        }
    }
}

/// "Cancel" (`present`) or the session ended: the platform is told; a payment that came
/// first is recorded (and printed only for a citizen still there).
fn give_up(s: &mut State, token: SessionToken, key: &str, present: bool) {
    take_current(s, key);
    let row = s
        .store
        .as_ref()
        .and_then(|st| st.fine_payment(key).ok().flatten());
    let Some(row) = row else {
        if present {
            send(s, token, Event::Ended(Ended::Cancelled));
        }
        return;
    };
    let order_id = match &row.order_id {
        Some(id) => Some(id.clone()),
        None => match s.deps.client.fine_payment_by_key(key) {
            Ok(found) => found.map(|o| o.order_id),
            Err(e) => {
                log_refusal("traffic-fine cancel", &e);
                if present {
                    send(s, token, Event::Ended(Ended::Unknown));
                }
                return;
            }
        },
    };
    let Some(order_id) = order_id else {
        close(s, key, "cancelled");
        if present {
            send(s, token, Event::Ended(Ended::Cancelled));
        }
        return;
    };
    match s.deps.client.cancel_fine_payment(&order_id) {
        Ok(order) => conclude(s, token, key, &order, present),
        Err(e) => {
            log_refusal("traffic-fine cancel", &e);
            if present {
                send(s, token, Event::Ended(Ended::Unknown));
            }
        }
    }
}

/// Every row left open (a kiosk that died, a cancel the platform did not hear): asked
/// about, and cancelled when still pending, the citizen being gone.
fn reconcile(s: &mut State) {
    let keys = match s.store.as_ref().map(Store::open_fine_payments) {
        Some(Ok(keys)) => keys,
        Some(Err(e)) => {
            tracing::error!(error = %e, "traffic-fine: open payments unreadable");
            return;
        }
        None => return,
    };
    let token = crate::app::Session::new(Duration::ZERO, Duration::ZERO).token();
    for key in keys {
        if s.current.as_ref().is_some_and(|c| c.key == key) {
            continue;
        }
        tracing::info!("traffic-fine: asking about a payment left open");
        give_up(s, token, &key, false);
    }
}

/// An order's final answer: recorded once; printed for a citizen still there.
fn conclude(s: &mut State, token: SessionToken, key: &str, order: &PaymentOrder, present: bool) {
    let Some(store) = &s.store else {
        return;
    };
    match order.state {
        PaymentState::Pending => {}
        PaymentState::Paid => {
            let serial = order
                .serial
                .clone()
                .unwrap_or_else(|| order.order_id.clone());
            let paid_at = order.paid_at.unwrap_or_else(Utc::now);
            let newly = match store.fine_paid(key, &serial, paid_at, !present) {
                Ok(newly) => newly,
                Err(e) => {
                    tracing::error!(error = %e, "traffic-fine: a payment could not be recorded");
                    false
                }
            };
            if !newly {
                return;
            }
            if !present {
                tracing::warn!(
                    order = %order.order_id,
                    "traffic-fine: paid after the citizen left; recorded for staff, not printed"
                );
                return;
            }
            let row = store.fine_payment(key).ok().flatten();
            let printed = row
                .as_ref()
                .map(|row| print_receipt(store, &s.deps.printer, row, false))
                .unwrap_or(false);
            if printed {
                let _ = store.fine_printed(key);
            }
            let paid = PaidView {
                serial,
                total_fen: order.amount_fen,
                masked_decision: mask_decision_number(&order.decision_number),
            };
            send(s, token, Event::Paid { paid, printed });
        }
        state => {
            close(s, key, state.as_str());
            if present {
                let ended = match state {
                    PaymentState::Failed => Ended::Failed,
                    PaymentState::Expired => Ended::Expired,
                    _ => Ended::Cancelled,
                };
                send(s, token, Event::Ended(ended));
            }
        }
    }
}

/// The receipt of a paid row, laid out and printed; true when it came out.
pub fn print_receipt(
    store: &Store,
    printer: &PrinterHandle,
    row: &FinePayment,
    reprint: bool,
) -> bool {
    let (hall_name, hall_name_en) = hall_name(store);
    let receipt = FineReceipt {
        hall_name,
        hall_name_en,
        serial: row.serial.clone().unwrap_or_default(),
        order_id: row.order_id.clone().unwrap_or_default(),
        decision_number: row.fine.decision_number.clone(),
        plate: row.fine.plate.clone(),
        offence_zh: row.fine.offence_zh.clone(),
        offence_en: row.fine.offence_en.clone(),
        occurred_on: row.fine.occurred_on,
        amount_fen: row.fine.amount_fen,
        late_fee_fen: row.fine.late_fee_fen,
        total_fen: row.fine.total_fen,
        paid_at: row.paid_at.unwrap_or_else(Utc::now),
        reprint,
    };
    match printer.print(fine_receipt::render(&receipt)) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "traffic-fine receipt did not print");
            false
        }
    }
}

/// The hall's name from the cached catalog; a generic title when none was fetched yet.
fn hall_name(store: &Store) -> (String, String) {
    store
        .catalog()
        .map(|c| (c.hall.name_zh, c.hall.name_en))
        .unwrap_or_else(|| {
            (
                "政务服务中心".to_owned(),
                "Government Service Center".to_owned(),
            )
        })
}
