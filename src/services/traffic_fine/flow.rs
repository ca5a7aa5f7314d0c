//! The traffic-fine steps: how to look up, the keypad, the fines, the payment QR code, the
//! receipt. The idempotency key of a payment is made here, when the citizen touches "pay",
//! so a cancel or an abandoned session always names the order, even before it is issued.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use kiosk_platform::api::traffic_fine::{
    check_plate_prefix, parse_decision_number, parse_plate, DecisionError, PlateError,
    DECISION_DIGITS,
};

use super::VehicleType;
use super::{Ended, Event, Fine, FinePort, FineQuery, Order, OrderView, PaidView, Problem};
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply, SessionToken};

/// How the citizen looks fines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// The decision number on the penalty notice.
    Decision,
    /// Plate and vehicle type.
    Plate,
}

/// What is wrong with what was typed, said under the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    /// A plate: see [`PlateError`].
    Plate(PlateError),
    /// A decision number: too short (the keypad takes digits only, at most 16).
    DecisionLength,
}

/// A message over the list of fines after a payment did not go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListNotice {
    /// The order ended unpaid.
    Ended(Ended),
    /// The platform refused to start the payment.
    Refused(Problem),
}

/// Where the citizen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// By decision number, or by plate.
    Choose,
    /// Typing on the keypad.
    Typing {
        /// What is typed.
        entry: Entry,
        /// For a plate: the vehicle type.
        vehicle: VehicleType,
        /// The characters so far.
        typed: String,
        /// The last key or "search" broke a rule.
        error: Option<InputError>,
    },
    /// The platform is being asked.
    Searching,
    /// The fines found (maybe none).
    List {
        /// Unpaid first.
        fines: Arc<Vec<Fine>>,
        /// Why the last payment did not go through.
        notice: Option<ListNotice>,
    },
    /// The order is being created.
    Ordering {
        /// The list to come back to.
        fines: Arc<Vec<Fine>>,
        /// The order's idempotency key.
        key: String,
    },
    /// The QR code with its countdown; the worker polls the order.
    Paying {
        /// The list to come back to.
        fines: Arc<Vec<Fine>>,
        /// The order.
        order: OrderView,
        /// When it expires, on the session clock.
        deadline: Duration,
    },
    /// "Cancel" was touched; the platform is being told.
    Cancelling {
        /// The list to come back to.
        fines: Arc<Vec<Fine>>,
        /// The order's key.
        key: String,
    },
    /// Paid: the receipt printed, or staff can print it.
    Paid {
        /// What is shown.
        paid: PaidView,
        /// The receipt came out.
        printed: bool,
        /// Since when (the session ends by itself after a while).
        since: Duration,
    },
    /// Nothing to show, and why.
    Problem(Problem),
}

/// A citizen looking up and paying traffic fines.
pub struct TrafficFineFlow {
    step: Step,
    port: Rc<dyn FinePort>,
    token: SessionToken,
    holder: Option<String>,
}

impl std::fmt::Debug for TrafficFineFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // What is typed is a plate or a decision number: the step's name only.
        let name = match &self.step {
            Step::Choose => "Choose",
            Step::Typing { .. } => "Typing",
            Step::Searching => "Searching",
            Step::List { .. } => "List",
            Step::Ordering { .. } => "Ordering",
            Step::Paying { .. } => "Paying",
            Step::Cancelling { .. } => "Cancelling",
            Step::Paid { .. } => "Paid",
            Step::Problem(_) => "Problem",
        };
        f.debug_tuple("TrafficFineFlow").field(&name).finish()
    }
}

impl TrafficFineFlow {
    /// The first step: how to look up. A session with no card holder cannot pay.
    pub fn new(port: Rc<dyn FinePort>, cx: &mut Cx) -> Self {
        let holder = cx.session.citizen().and_then(|c| c.case_holder.clone());
        let step = if holder.is_some() {
            Step::Choose
        } else {
            Step::Problem(Problem::NoCard)
        };
        Self {
            step,
            port,
            token: cx.session.token(),
            holder,
        }
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    fn send(&self, event: Order) {
        self.port.send(Reply {
            token: self.token,
            event,
        });
    }

    /// "By decision number" or "by plate".
    pub fn choose(&mut self, entry: Entry) {
        if matches!(self.step, Step::Choose | Step::List { .. }) {
            self.step = Step::Typing {
                entry,
                vehicle: VehicleType::SmallCar,
                typed: String::new(),
                error: None,
            };
        }
    }

    /// A vehicle type (the plate keypad's tabs).
    pub fn set_vehicle(&mut self, v: VehicleType) {
        if let Step::Typing { vehicle, error, .. } = &mut self.step {
            *vehicle = v;
            *error = None;
        }
    }

    /// A key of the keypad: a digit, a letter or a province. Checked as typed: a key that
    /// cannot lead to a valid entry is not taken, and the reason shows.
    pub fn key(&mut self, key: &str) {
        let Step::Typing {
            entry,
            typed,
            error,
            ..
        } = &mut self.step
        else {
            return;
        };
        let next = format!("{typed}{key}");
        let ok = match entry {
            Entry::Decision => {
                // The keypad has digits only; more than 16 is never a decision number.
                if key.chars().all(|c| c.is_ascii_digit())
                    && next.chars().count() <= *DECISION_DIGITS.end()
                {
                    Ok(())
                } else {
                    Err(InputError::DecisionLength)
                }
            }
            Entry::Plate => check_plate_prefix(&next).map_err(InputError::Plate),
        };
        match ok {
            Ok(()) => {
                *typed = next;
                *error = None;
            }
            Err(e) => *error = Some(e),
        }
    }

    /// The delete key.
    pub fn delete(&mut self) {
        if let Step::Typing { typed, error, .. } = &mut self.step {
            typed.pop();
            *error = None;
        }
    }

    /// "Search": the whole entry is checked, then the platform asked.
    pub fn search(&mut self) {
        let Step::Typing {
            entry,
            vehicle,
            typed,
            error,
        } = &mut self.step
        else {
            return;
        };
        let query = match entry {
            Entry::Decision => match parse_decision_number(typed) {
                Ok(decision_number) => FineQuery::Decision { decision_number },
                Err(DecisionError::Length | DecisionError::NotDigits) => {
                    *error = Some(InputError::DecisionLength);
                    return;
                }
            },
            Entry::Plate => match parse_plate(typed, *vehicle) {
                Ok(plate) => FineQuery::Plate {
                    plate,
                    vehicle: *vehicle,
                },
                Err(e) => {
                    *error = Some(InputError::Plate(e));
                    return;
                }
            },
        };
        self.send(Order::Lookup(query));
        self.step = Step::Searching;
    }

    /// "Pay" on fine `index` of the list: an unpaid fine only.
    pub fn pay(&mut self, index: usize) {
        let Step::List { fines, .. } = &self.step else {
            return;
        };
        let (Some(fine), Some(holder)) = (fines.get(index), self.holder.clone()) else {
            return;
        };
        if fine.paid.is_some() {
            return;
        }
        let fines = fines.clone();
        let fine = Arc::new(fine.clone());
        let key = uuid::Uuid::new_v4().to_string();
        self.send(Order::Pay {
            key: key.clone(),
            fine,
            holder,
        });
        self.step = Step::Ordering { fines, key };
    }

    /// "Cancel" on the QR page: one touch; the platform is told.
    pub fn cancel(&mut self) {
        let (fines, key) = match &self.step {
            Step::Paying { fines, order, .. } => (fines.clone(), order.key.clone()),
            Step::Ordering { fines, key } => (fines.clone(), key.clone()),
            _ => return,
        };
        self.send(Order::Cancel { key: key.clone() });
        self.step = Step::Cancelling { fines, key };
    }

    /// The order waiting for the citizen's phone, if any (its key).
    fn open_key(&self) -> Option<&str> {
        match &self.step {
            Step::Ordering { key, .. } | Step::Cancelling { key, .. } => Some(key),
            Step::Paying { order, .. } => Some(&order.key),
            _ => None,
        }
    }
}

impl Drop for TrafficFineFlow {
    fn drop(&mut self) {
        // The session ended (finish, card removed, idle, out of service) with an order
        // open: the worker cancels it at the platform, and a payment that came first is
        // recorded for staff, never printed for the next citizen.
        if let Some(key) = self.open_key().map(str::to_owned) {
            self.send(Order::Abandon { key });
        }
    }
}

impl Flow for TrafficFineFlow {
    type Event = Event;

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Problem(p) => Some(p.name()),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt names the first choice.
            Step::Choose => return None,
            Step::Typing {
                entry: Entry::Decision,
                error: None,
                ..
            } => "traffic-fine-decision",
            Step::Typing {
                entry: Entry::Plate,
                error: None,
                ..
            } => "traffic-fine-plate",
            Step::Typing { error: Some(e), .. } => match e {
                InputError::DecisionLength => "traffic-fine-decision-invalid",
                InputError::Plate(p) => match p {
                    PlateError::Province => "traffic-fine-plate-province",
                    PlateError::Office => "traffic-fine-plate-office",
                    PlateError::Character => "traffic-fine-plate-character",
                    PlateError::Length => "traffic-fine-plate-length",
                    PlateError::NewEnergyMark => "traffic-fine-plate-new-energy",
                },
            },
            Step::Searching => "wait-asking",
            Step::List {
                notice: Some(n), ..
            } => match n {
                ListNotice::Ended(e) => match e {
                    Ended::Failed => "traffic-fine-pay-failed",
                    Ended::Expired => "traffic-fine-pay-expired",
                    Ended::Cancelled => "traffic-fine-pay-cancelled",
                    Ended::Unknown => "traffic-fine-pay-unknown",
                },
                ListNotice::Refused(p) => match p {
                    Problem::AlreadyPaid => "traffic-fine-already-paid",
                    Problem::AmountChanged => "traffic-fine-amount-changed",
                    // The page says it as it says an unknown end.
                    Problem::Unreachable | Problem::NoCard => "traffic-fine-pay-unknown",
                },
            },
            Step::List {
                fines,
                notice: None,
            } => {
                if fines.is_empty() {
                    "traffic-fine-none-found"
                } else if fines.iter().all(|f| f.paid.is_some()) {
                    "traffic-fine-all-paid"
                } else {
                    "traffic-fine-list"
                }
            }
            Step::Ordering { .. } => "traffic-fine-ordering",
            Step::Paying { .. } => "traffic-fine-scan",
            Step::Cancelling { .. } => "traffic-fine-cancelling",
            Step::Paid { printed: true, .. } => "traffic-fine-paid",
            Step::Paid { printed: false, .. } => "traffic-fine-paid-no-receipt",
            Step::Problem(p) => match p {
                Problem::NoCard => "needs-card",
                // The page says "cannot be reached, nothing was paid" for all of these.
                Problem::Unreachable | Problem::AlreadyPaid | Problem::AmountChanged => {
                    "traffic-fine-unreachable"
                }
            },
        })
    }

    fn progress(&self) -> Option<Progress> {
        // How to look up, the plate (skipped with the card), the fines, paying, paid.
        Some(match self.step {
            Step::Choose => Progress::new(1, 5),
            Step::Typing { .. } => Progress::new(2, 5),
            Step::Searching | Step::List { .. } => Progress::new(3, 5),
            Step::Ordering { .. } | Step::Paying { .. } | Step::Cancelling { .. } => {
                Progress::new(4, 5)
            }
            Step::Paid { .. } => Progress::new(5, 5),
            Step::Problem(_) => return None,
        })
    }

    fn chrome(&self) -> Chrome {
        match self.step {
            Step::Ordering { .. } | Step::Paying { .. } | Step::Cancelling { .. } => Chrome::NONE,
            Step::Paid { .. } => Chrome::FINISH_ONLY,
            _ => Chrome::FULL,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match self.step {
            // The citizen is busy with a phone; the order's own expiry ends the wait (the
            // worker gives up on it shortly after, when the platform cannot be asked).
            Step::Ordering { .. } | Step::Paying { .. } | Step::Cancelling { .. } => {
                IdlePolicy::Paused
            }
            Step::Paid { since, .. } => IdlePolicy::DoneSince(since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        match &self.step {
            Step::Typing { .. } | Step::List { .. } | Step::Searching => {
                self.step = Step::Choose;
                Nav::Stay
            }
            Step::Ordering { .. } | Step::Paying { .. } | Step::Cancelling { .. } => Nav::Stay,
            _ => Nav::Menu,
        }
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        let step = std::mem::replace(&mut self.step, Step::Searching);
        let (next, taken) = match (step, event) {
            (Step::Searching, Event::Found(Ok(fines))) => (
                Step::List {
                    fines,
                    notice: None,
                },
                true,
            ),
            (Step::Searching, Event::Found(Err(p))) => (Step::Problem(p), true),
            (Step::Ordering { fines, .. }, Event::Issued(Ok(order))) => {
                let deadline = cx.now + Duration::from_secs(order.expires_in_secs);
                (
                    Step::Paying {
                        fines,
                        order,
                        deadline,
                    },
                    true,
                )
            }
            (Step::Ordering { .. }, Event::Issued(Err(Problem::Unreachable))) => {
                (Step::Problem(Problem::Unreachable), true)
            }
            (Step::Ordering { fines, .. }, Event::Issued(Err(p))) => (
                Step::List {
                    fines,
                    notice: Some(ListNotice::Refused(p)),
                },
                true,
            ),
            (
                Step::Ordering { .. } | Step::Paying { .. } | Step::Cancelling { .. },
                Event::Paid { paid, printed },
            ) => (
                Step::Paid {
                    paid,
                    printed,
                    since: cx.now,
                },
                true,
            ),
            (Step::Paying { fines, .. } | Step::Cancelling { fines, .. }, Event::Ended(e)) => (
                Step::List {
                    fines,
                    notice: Some(ListNotice::Ended(e)),
                },
                true,
            ),
            (step, _) => (step, false),
        };
        self.step = next;
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Citizen, Session};
    use chrono::NaiveDate;
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Order>>);
    impl FinePort for FakePort {
        fn send(&self, o: Reply<Order>) {
            self.0.borrow_mut().push(o.event);
        }
    }

    fn fine(paid: bool) -> Fine {
        let day = NaiveDate::from_ymd_opt(2026, 11, 6).unwrap();
        Fine {
            decision_number: "1101051234567002".into(),
            plate: "京A12345".into(),
            vehicle: VehicleType::SmallCar,
            offence_zh: "违停".into(),
            offence_en: "Parking".into(),
            place_zh: "东直门".into(),
            place_en: "Dongzhimen".into(),
            occurred_on: day,
            due_on: day,
            points: 0,
            amount_fen: 20_000,
            late_fee_fen: 6_000,
            total_fen: if paid { 0 } else { 26_000 },
            paid: paid.then(|| kiosk_platform::api::traffic_fine::FinePaid {
                serial: "S".into(),
                paid_at: chrono::Utc::now(),
            }),
        }
    }

    fn order(key: &str) -> OrderView {
        OrderView {
            key: key.into(),
            order_id: "PO1".into(),
            qr_payload: "http://x/pay/PO1".into(),
            expires_in_secs: 180,
            amount_fen: 26_000,
        }
    }

    #[test]
    fn a_plate_is_checked_as_typed_then_the_fine_paid() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = TrafficFineFlow::new(port.clone(), &mut cx);
        flow.choose(Entry::Plate);
        flow.key("A");
        assert!(matches!(
            flow.step(),
            Step::Typing { typed, error: Some(InputError::Plate(PlateError::Province)), .. } if typed.is_empty()
        ));
        for k in ["京", "A", "1", "2", "3", "4"] {
            flow.key(k);
        }
        flow.search();
        assert!(matches!(
            flow.step(),
            Step::Typing {
                error: Some(InputError::Plate(PlateError::Length)),
                ..
            }
        ));
        flow.key("5");
        flow.search();
        assert!(matches!(
            port.0.borrow().as_slice(),
            [Order::Lookup(FineQuery::Plate { plate, .. })] if plate == "京A12345"
        ));
        let fines = Arc::new(vec![fine(false), fine(true)]);
        assert!(flow.on_event(&mut cx, Event::Found(Ok(fines))));
        // A paid fine has no pay button.
        flow.pay(1);
        assert_eq!(port.0.borrow().len(), 1);
        flow.pay(0);
        let key = match port.0.borrow().last() {
            Some(Order::Pay { key, holder, .. }) => {
                assert_eq!(holder, "holder-hash");
                key.clone()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(flow.chrome(), Chrome::NONE);
        assert_eq!(flow.idle(), IdlePolicy::Paused);
        assert!(flow.on_event(&mut cx, Event::Issued(Ok(order(&key)))));
        assert!(
            matches!(flow.step(), Step::Paying { deadline, .. } if *deadline == Duration::from_secs(180))
        );
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        cx.now = Duration::from_secs(30);
        let paid = PaidView {
            serial: "S1".into(),
            total_fen: 26_000,
            masked_decision: "1101********7002".into(),
        };
        assert!(flow.on_event(
            &mut cx,
            Event::Paid {
                paid,
                printed: true
            }
        ));
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(30)));
        drop(flow);
        // Paid: nothing is abandoned.
        assert!(!matches!(
            port.0.borrow().last(),
            Some(Order::Abandon { .. })
        ));
    }

    #[test]
    fn cancel_is_one_touch_and_leaving_abandons_the_open_order() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = TrafficFineFlow::new(port.clone(), &mut cx);
        flow.choose(Entry::Decision);
        for d in "110105123456700".chars() {
            flow.key(&d.to_string());
        }
        flow.key("2");
        flow.key("9");
        assert!(
            matches!(flow.step(), Step::Typing { typed, error: Some(InputError::DecisionLength), .. } if typed.len() == 16)
        );
        flow.search();
        flow.on_event(&mut cx, Event::Found(Ok(Arc::new(vec![fine(false)]))));
        flow.pay(0);
        let key = match port.0.borrow().last() {
            Some(Order::Pay { key, .. }) => key.clone(),
            other => panic!("{other:?}"),
        };
        flow.on_event(&mut cx, Event::Issued(Ok(order(&key))));
        flow.cancel();
        assert!(matches!(port.0.borrow().last(), Some(Order::Cancel { key: k }) if *k == key));
        assert!(flow.on_event(&mut cx, Event::Ended(Ended::Cancelled)));
        assert!(matches!(
            flow.step(),
            Step::List {
                notice: Some(ListNotice::Ended(Ended::Cancelled)),
                ..
            }
        ));
        // Pay again, and the session ends while the QR code shows.
        flow.pay(0);
        let key2 = match port.0.borrow().last() {
            Some(Order::Pay { key, .. }) => key.clone(),
            other => panic!("{other:?}"),
        };
        assert_ne!(key, key2, "a new order, a new key");
        flow.on_event(&mut cx, Event::Issued(Ok(order(&key2))));
        assert!(!format!("{flow:?}").contains("PO1"));
        drop(flow);
        assert!(matches!(port.0.borrow().last(), Some(Order::Abandon { key }) if *key == key2));
    }

    #[test]
    fn a_refused_payment_says_why_and_no_card_is_a_problem() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = TrafficFineFlow::new(port.clone(), &mut cx);
        flow.choose(Entry::Decision);
        for d in "1101051234567002".chars() {
            flow.key(&d.to_string());
        }
        flow.search();
        flow.on_event(&mut cx, Event::Found(Ok(Arc::new(vec![fine(false)]))));
        flow.pay(0);
        assert!(flow.on_event(&mut cx, Event::Issued(Err(Problem::AlreadyPaid))));
        assert!(matches!(
            flow.step(),
            Step::List {
                notice: Some(ListNotice::Refused(Problem::AlreadyPaid)),
                ..
            }
        ));
        // A stale answer is dropped.
        assert!(!flow.on_event(&mut cx, Event::Ended(Ended::Expired)));

        let mut anon = Session::serving(Citizen {
            case_holder: None,
            ..Citizen::sample()
        });
        let mut cx = Cx {
            session: &mut anon,
            now: Duration::ZERO,
        };
        let flow = TrafficFineFlow::new(port, &mut cx);
        assert_eq!(flow.step(), &Step::Problem(Problem::NoCard));
    }
}
