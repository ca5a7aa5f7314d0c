//! The traffic-fine pages (`ui/services/traffic_fine/`): maps the flow to
//! `TrafficFineAdapter` and wires its callbacks. The list is pushed once per answer and
//! language; the QR image once per order. Plates and decision numbers on screen are
//! masked, but for what the citizen is typing.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use kiosk_platform::api::traffic_fine::{mask_decision_number, mask_plate, PlateError};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::flow::{InputError, ListNotice};
use super::{Ended, Entry, Fine, Problem, Step, TrafficFineFlow, VehicleType};
use crate::app::{Cx, Lang, Router};
use crate::documents::medical_statement::yuan;
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, FineEntry, FineInputError, FineNotice, FineProblem,
    FineRow, FineStep, KioskUi, TrafficFineAdapter,
};

/// What is on screen already: the list (by identity) in a language, the order's QR.
#[derive(Default)]
pub struct Adapter {
    shown: RefCell<Option<(Arc<Vec<Fine>>, Lang)>>,
    qr_for: RefCell<Option<String>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut TrafficFineFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::TrafficFine(flow) = flow {
            f(flow, cx)
        }
    });
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<TrafficFineAdapter>();
    a.on_choose(on_router_with(ui, |r, now, e: FineEntry| {
        let entry = match e {
            FineEntry::Decision => Entry::Decision,
            FineEntry::Plate => Entry::Plate,
        };
        with_flow(r, now, |f, _| f.choose(entry))
    }));
    a.on_vehicle(on_router_with(ui, |r, now, i: i32| {
        if let Some(v) = usize::try_from(i)
            .ok()
            .and_then(|i| VehicleType::ALL.get(i))
        {
            with_flow(r, now, |f, _| f.set_vehicle(*v))
        }
    }));
    a.on_key(on_router_with(ui, |r, now, k: SharedString| {
        with_flow(r, now, |f, _| f.key(&k))
    }));
    a.on_delete(on_router(ui, |r, now| with_flow(r, now, |f, _| f.delete())));
    a.on_search(on_router(ui, |r, now| with_flow(r, now, |f, _| f.search())));
    a.on_pay(on_router_with(ui, |r, now, i: i32| {
        if let Ok(i) = usize::try_from(i) {
            with_flow(r, now, |f, _| f.pay(i))
        }
    }));
    a.on_cancel(on_router(ui, |r, now| with_flow(r, now, |f, _| f.cancel())));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<TrafficFineAdapter>();
    (a.get_title(), a.get_subtitle())
}

fn input_error(e: Option<InputError>) -> FineInputError {
    match e {
        None => FineInputError::None,
        Some(InputError::DecisionLength) => FineInputError::DecisionLength,
        Some(InputError::Plate(p)) => match p {
            PlateError::Province => FineInputError::Province,
            PlateError::Office => FineInputError::Office,
            PlateError::Character => FineInputError::Character,
            PlateError::Length => FineInputError::Length,
            PlateError::NewEnergyMark => FineInputError::NewEnergyMark,
        },
    }
}

fn notice(n: Option<ListNotice>) -> FineNotice {
    match n {
        None => FineNotice::None,
        Some(ListNotice::Ended(e)) => match e {
            Ended::Failed => FineNotice::Failed,
            Ended::Expired => FineNotice::Expired,
            Ended::Cancelled => FineNotice::Cancelled,
            Ended::Unknown => FineNotice::Unknown,
        },
        Some(ListNotice::Refused(p)) => match p {
            Problem::AlreadyPaid => FineNotice::AlreadyPaid,
            Problem::AmountChanged => FineNotice::AmountChanged,
            _ => FineNotice::Unknown,
        },
    }
}

impl Adapter {
    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &TrafficFineFlow, lang: Lang) {
        let a = window.global::<TrafficFineAdapter>();
        match flow.step() {
            Step::Choose => a.set_step(FineStep::Choose),
            Step::Typing {
                entry,
                vehicle,
                typed,
                error,
            } => {
                a.set_entry(match entry {
                    Entry::Decision => FineEntry::Decision,
                    Entry::Plate => FineEntry::Plate,
                });
                let index = VehicleType::ALL
                    .iter()
                    .position(|v| v == vehicle)
                    .unwrap_or(0);
                a.set_vehicle_index(index as i32);
                a.set_typed(typed.as_str().into());
                a.set_input_error(input_error(*error));
                a.set_step(FineStep::Typing);
            }
            Step::Searching => a.set_step(FineStep::Searching),
            Step::List { fines, notice: n } => {
                self.show(window, fines, lang);
                a.set_notice(notice(*n));
                a.set_step(FineStep::List);
            }
            Step::Ordering { .. } => a.set_step(FineStep::Ordering),
            Step::Paying { order, .. } => {
                if self.qr_for.borrow().as_deref() != Some(order.order_id.as_str()) {
                    a.set_qr(crate::ui::qr_image(&order.qr_payload));
                    a.set_order_amount(yuan(order.amount_fen).into());
                    a.set_expires_in(order.expires_in_secs.min(i32::MAX as u64) as i32);
                    *self.qr_for.borrow_mut() = Some(order.order_id.clone());
                }
                a.set_step(FineStep::Paying);
            }
            Step::Cancelling { .. } => a.set_step(FineStep::Cancelling),
            Step::Paid { paid, printed, .. } => {
                // The list and the QR code go: what is left is the receipt's number.
                self.clear(window);
                a.set_serial(paid.serial.as_str().into());
                a.set_paid_amount(yuan(paid.total_fen).into());
                a.set_paid_decision(paid.masked_decision.as_str().into());
                a.set_printed(*printed);
                a.set_step(FineStep::Paid);
            }
            Step::Problem(p) => {
                a.set_problem(match p {
                    Problem::NoCard => FineProblem::NoCard,
                    _ => FineProblem::Unreachable,
                });
                a.set_step(FineStep::Problem);
            }
        }
    }

    fn show(&self, window: &AppWindow, fines: &Arc<Vec<Fine>>, lang: Lang) {
        if let Some((shown, l)) = &*self.shown.borrow() {
            if Arc::ptr_eq(shown, fines) && *l == lang {
                return;
            }
        }
        let a = window.global::<TrafficFineAdapter>();
        let rows: Vec<FineRow> = fines
            .iter()
            .map(|f| FineRow {
                offence: lang.pick(&f.offence_zh, &f.offence_en).into(),
                place: lang.pick(&f.place_zh, &f.place_en).into(),
                date: f.occurred_on.format("%Y-%m-%d").to_string().into(),
                due: f.due_on.format("%Y-%m-%d").to_string().into(),
                plate: mask_plate(&f.plate).into(),
                decision: mask_decision_number(&f.decision_number).into(),
                amount: yuan(f.amount_fen).into(),
                late_fee: yuan(f.late_fee_fen).into(),
                total: yuan(f.total_fen).into(),
                points: i32::from(f.points),
                paid: f.paid.is_some(),
                overdue: f.late_fee_fen > 0,
            })
            .collect();
        let unpaid: i64 = fines
            .iter()
            .filter(|f| f.paid.is_none())
            .map(|f| f.total_fen)
            .sum();
        a.set_unpaid_total(yuan(unpaid).into());
        a.set_unpaid_count(fines.iter().filter(|f| f.paid.is_none()).count() as i32);
        a.set_fines(ModelRc::new(VecModel::from(rows)));
        *self.shown.borrow_mut() = Some((fines.clone(), lang));
    }

    /// The flow left the screen (or the fine is paid): the citizen's data goes with it.
    pub fn clear(&self, window: &AppWindow) {
        let a = window.global::<TrafficFineAdapter>();
        a.set_fines(ModelRc::default());
        a.set_qr(slint::Image::default());
        for set in [
            TrafficFineAdapter::set_typed,
            TrafficFineAdapter::set_unpaid_total,
            TrafficFineAdapter::set_order_amount,
            TrafficFineAdapter::set_serial,
            TrafficFineAdapter::set_paid_amount,
            TrafficFineAdapter::set_paid_decision,
        ] {
            set(&a, SharedString::new());
        }
        a.set_unpaid_count(0);
        *self.shown.borrow_mut() = None;
        *self.qr_for.borrow_mut() = None;
    }
}
