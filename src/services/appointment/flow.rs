//! The appointment's steps: matter, day, slot, phone, booking, slip; and check-in on the
//! day: the priority ticket, or why not with an ordinary ticket one touch away.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::{
    AppointmentPort, BookFailure, BookOrder, CheckInRefusal, CheckInRefused, DayView, Event,
    MatterView, Order, Problem, SlipView, TicketOut, UpcomingView,
};
use crate::app::citizen::is_mobile_number;
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply, ScannedCode};

/// Longest phone number accepted on the keypad.
const PHONE_LEN: usize = 11;

/// Where the citizen is in booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The matters are being read from the catalog.
    LoadingMatters,
    /// Choose the matter.
    ChooseMatter,
    /// The platform is asked for the matter's slots.
    LoadingSlots {
        /// The chosen matter.
        matter: Arc<MatterView>,
    },
    /// Choose the day.
    ChooseDay {
        /// The chosen matter.
        matter: Arc<MatterView>,
    },
    /// Choose the slot of the day.
    ChooseSlot {
        /// The chosen matter.
        matter: Arc<MatterView>,
        /// Index into the days.
        day: usize,
    },
    /// The mobile number for the confirmation and the reminder.
    Phone {
        /// The chosen matter.
        matter: Arc<MatterView>,
        /// Index into the days.
        day: usize,
        /// Index into that day's slots.
        slot: usize,
        /// Digits typed so far.
        typed: String,
        /// The number was refused (not a mainland mobile number).
        invalid: bool,
    },
    /// Booking and printing the slip.
    Booking {
        /// The chosen matter.
        matter: Arc<MatterView>,
    },
    /// "Cancel this appointment?": the citizen confirms.
    ConfirmCancel {
        /// The appointment.
        appointment: UpcomingView,
    },
    /// The cancellation is being sent.
    Cancelling,
    /// Cancelled (`true`: the platform confirmed; `false`: queued, an SMS follows).
    Cancelled {
        /// Confirmed by the platform.
        confirmed: bool,
        /// Since when it shows.
        since: Duration,
    },
    /// "Take your slip".
    Done {
        /// The booking.
        slip: SlipView,
        /// Since when it shows (the session ends by itself after a while).
        since: Duration,
    },
    /// Something went wrong: what to do next.
    Problem(BookFailure),
    /// Checking in with the platform (and printing the priority ticket).
    CheckingIn,
    /// Checked in: the priority ticket (or, when it did not print, its number).
    CheckedIn {
        /// The ticket.
        ticket: TicketOut,
        /// Since when it shows.
        since: Duration,
    },
    /// No priority ticket: why, and an ordinary ticket offered.
    CheckInRefused(CheckInRefused),
    /// Issuing and printing the ordinary ticket.
    IssuingTicket,
    /// The ordinary ticket is out (or why not).
    TicketIssued {
        /// The ticket, or why there is none.
        ticket: Result<TicketOut, Problem>,
        /// Since when it shows.
        since: Duration,
    },
}

/// A citizen booking an appointment.
pub struct AppointmentFlow {
    step: Step,
    port: Rc<dyn AppointmentPort>,
    matters: Vec<Arc<MatterView>>,
    days: Vec<DayView>,
    /// The matter whose days are held (to ask again after a slot was taken).
    chosen: Option<Arc<MatterView>>,
    /// The citizen's upcoming appointments, once the platform said.
    upcoming: Vec<UpcomingView>,
}

impl std::fmt::Debug for AppointmentFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AppointmentFlow").field(&self.step).finish()
    }
}

fn problem(problem: Problem) -> Step {
    Step::Problem(BookFailure {
        problem,
        booked: None,
    })
}

impl AppointmentFlow {
    /// The first step; the matters and the citizen's appointments are asked for at once.
    pub fn new(port: Rc<dyn AppointmentPort>, cx: &mut Cx) -> Self {
        port.send(Reply {
            token: cx.session.token(),
            event: Order::Matters,
        });
        if let Some(holder) = cx.session.citizen().and_then(|c| c.case_holder.clone()) {
            port.send(Reply {
                token: cx.session.token(),
                event: Order::Upcoming { holder },
            });
        }
        Self {
            step: Step::LoadingMatters,
            port,
            matters: Vec::new(),
            days: Vec::new(),
            chosen: None,
            upcoming: Vec::new(),
        }
    }

    /// A session started by scanning a slip on the attract screen: checks in at once.
    pub fn checking_in(port: Rc<dyn AppointmentPort>, cx: &mut Cx, booking_id: String) -> Self {
        let mut flow = Self {
            step: Step::LoadingMatters,
            port,
            matters: Vec::new(),
            days: Vec::new(),
            chosen: None,
            upcoming: Vec::new(),
        };
        flow.send_check_in(cx, booking_id);
        flow
    }

    fn send_check_in(&mut self, cx: &mut Cx, booking_id: String) {
        let masked_id = cx
            .session
            .citizen()
            .map(|c| c.masked_id.clone())
            .unwrap_or_default();
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::CheckIn {
                booking_id,
                masked_id,
            },
        });
        self.step = Step::CheckingIn;
    }

    /// "签到" beside one of today's appointments on the matter page.
    pub fn check_in(&mut self, index: usize, cx: &mut Cx) {
        if self.step != Step::ChooseMatter {
            return;
        }
        if let Some(a) = self.upcoming.get(index).filter(|a| a.today) {
            let id = a.booking_id.clone();
            self.send_check_in(cx, id);
        }
    }

    /// "Take an ordinary ticket" after a refused check-in.
    pub fn ordinary_ticket(&mut self, cx: &mut Cx) {
        let Step::CheckInRefused(refused) = &self.step else {
            return;
        };
        let masked_id = cx
            .session
            .citizen()
            .map(|c| c.masked_id.clone())
            .unwrap_or_default();
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::OrdinaryTicket {
                area_code: refused.area.code.clone(),
                masked_id,
            },
        });
        self.step = Step::IssuingTicket;
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The matters offered.
    pub fn matters(&self) -> &[Arc<MatterView>] {
        &self.matters
    }

    /// The citizen's upcoming appointments (empty until the platform answered).
    pub fn upcoming(&self) -> &[UpcomingView] {
        &self.upcoming
    }

    /// The open days of the chosen matter.
    pub fn days(&self) -> &[DayView] {
        &self.days
    }

    /// A matter tile.
    pub fn choose_matter(&mut self, code: &str, cx: &mut Cx) {
        if self.step != Step::ChooseMatter {
            return;
        }
        let Some(matter) = self.matters.iter().find(|m| m.code == code).cloned() else {
            return;
        };
        self.ask_slots(matter, cx);
    }

    fn ask_slots(&mut self, matter: Arc<MatterView>, cx: &mut Cx) {
        self.days.clear();
        self.chosen = Some(matter.clone());
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::Slots {
                matter: matter.code.clone(),
            },
        });
        self.step = Step::LoadingSlots { matter };
    }

    /// "Cancel" beside one of the citizen's appointments on the matter page.
    pub fn ask_cancel(&mut self, index: usize) {
        if self.step == Step::ChooseMatter {
            if let Some(a) = self.upcoming.get(index) {
                self.step = Step::ConfirmCancel {
                    appointment: a.clone(),
                };
            }
        }
    }

    /// "Yes, cancel it".
    pub fn confirm_cancel(&mut self, cx: &mut Cx) {
        let Step::ConfirmCancel { appointment } = &self.step else {
            return;
        };
        let Some(holder) = cx.session.citizen().and_then(|c| c.case_holder.clone()) else {
            return;
        };
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::Cancel {
                booking_id: appointment.booking_id.clone(),
                holder,
            },
        });
        self.step = Step::Cancelling;
    }

    /// A day tile; a day without a free place cannot be chosen.
    pub fn choose_day(&mut self, day: usize) {
        if let Step::ChooseDay { matter } = &self.step {
            if self.days.get(day).is_some_and(DayView::has_room) {
                self.step = Step::ChooseSlot {
                    matter: matter.clone(),
                    day,
                };
            }
        }
    }

    /// A slot tile; a full slot cannot be chosen.
    pub fn choose_slot(&mut self, slot: usize) {
        if let Step::ChooseSlot { matter, day } = &self.step {
            let free = self
                .days
                .get(*day)
                .and_then(|d| d.slots.get(slot))
                .is_some_and(|s| s.remaining > 0);
            if free {
                self.step = Step::Phone {
                    matter: matter.clone(),
                    day: *day,
                    slot,
                    typed: String::new(),
                    invalid: false,
                };
            }
        }
    }

    /// A keypad digit.
    pub fn phone_digit(&mut self, digit: char) {
        if let Step::Phone { typed, invalid, .. } = &mut self.step {
            if digit.is_ascii_digit() && typed.len() < PHONE_LEN {
                typed.push(digit);
                *invalid = false;
            }
        }
    }

    /// Keypad backspace.
    pub fn phone_backspace(&mut self) {
        if let Step::Phone { typed, invalid, .. } = &mut self.step {
            typed.pop();
            *invalid = false;
        }
    }

    /// Confirm: with a valid mobile number the booking is sent; otherwise the number is
    /// refused and nothing is sent.
    pub fn confirm(&mut self, cx: &mut Cx) {
        let Step::Phone {
            matter,
            day,
            slot,
            typed,
            invalid,
        } = &mut self.step
        else {
            return;
        };
        if !is_mobile_number(typed) {
            *invalid = true;
            return;
        }
        let Some((date, slot)) = self
            .days
            .get(*day)
            .and_then(|d| Some((d.date, *d.slots.get(*slot)?)))
        else {
            return;
        };
        let Some(citizen) = cx.session.citizen() else {
            return;
        };
        let Some(holder) = citizen.case_holder.clone() else {
            return;
        };
        let order = BookOrder {
            matter: matter.clone(),
            date,
            slot,
            phone: std::mem::take(typed),
            masked_id: citizen.masked_id.clone(),
            holder,
        };
        self.step = Step::Booking {
            matter: matter.clone(),
        };
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::Book(order),
        });
    }

    /// "Choose another time" after the slot was taken: the slots are asked for again.
    pub fn choose_again(&mut self, cx: &mut Cx) {
        let Step::Problem(BookFailure {
            problem: Problem::SlotTaken | Problem::AlreadyBooked,
            booked: None,
        }) = &self.step
        else {
            return;
        };
        // The matter of the failed booking is the one whose slots are still held.
        if let Some(matter) = self.chosen.clone() {
            self.ask_slots(matter, cx);
        }
    }
}

impl Flow for AppointmentFlow {
    type Event = Event;

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Problem(f) => Some(f.problem.name()),
            Step::TicketIssued { ticket: Err(p), .. } => Some(p.name()),
            Step::CheckInRefused(r) => Some(r.refusal.name()),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt names the first choice (the matters load first).
            Step::LoadingMatters | Step::ChooseMatter => return None,
            Step::LoadingSlots { .. } => "wait-asking",
            Step::ChooseDay { .. } => "appointment-day",
            Step::ChooseSlot { .. } => "appointment-slot",
            Step::Phone { invalid: false, .. } => "appointment-phone",
            Step::Phone { invalid: true, .. } => "appointment-phone-invalid",
            Step::Booking { .. } => "appointment-booking",
            Step::ConfirmCancel { .. } => "appointment-confirm-cancel",
            Step::Cancelling => "wait-sending",
            Step::Cancelled {
                confirmed: true, ..
            } => "appointment-cancelled",
            Step::Cancelled {
                confirmed: false, ..
            } => "appointment-cancel-queued",
            Step::Done {
                slip: SlipView {
                    confirmed: true, ..
                },
                ..
            } => "appointment-booked",
            Step::Done {
                slip: SlipView {
                    confirmed: false, ..
                },
                ..
            } => "appointment-pending",
            // The slip's printer problems come with the booking standing (it is on screen).
            Step::Problem(f) => match f.problem {
                Problem::NoMatters => "appointment-no-matters",
                Problem::Unreachable => "unreachable",
                Problem::NoDays => "appointment-no-days",
                Problem::SlotTaken => "appointment-slot-taken",
                Problem::AlreadyBooked => "appointment-already-booked",
                Problem::PaperOut => "appointment-paper-out",
                Problem::PrinterFault => "appointment-printer-fault",
                Problem::Store => "store-fault",
                Problem::NoNumbers => "appointment-no-numbers",
            },
            Step::CheckingIn => "appointment-checking-in",
            Step::CheckedIn {
                ticket:
                    TicketOut {
                        print_problem: None,
                        ..
                    },
                ..
            } => "appointment-checked-in",
            Step::CheckedIn {
                ticket:
                    TicketOut {
                        print_problem: Some(_),
                        ..
                    },
                ..
            } => "appointment-checked-in-unprinted",
            Step::CheckInRefused(r) => match r.refusal {
                CheckInRefusal::TooEarly(_) => "appointment-too-early",
                CheckInRefusal::TooLate(_) => "appointment-too-late",
                CheckInRefusal::Cancelled => "appointment-check-in-cancelled",
                CheckInRefusal::NotToday => "appointment-not-today",
                CheckInRefusal::Unknown => "appointment-check-in-unknown",
                CheckInRefusal::Unreachable => "appointment-check-in-unreachable",
            },
            Step::IssuingTicket => "wait-printing",
            Step::TicketIssued {
                ticket:
                    Ok(TicketOut {
                        print_problem: None,
                        ..
                    }),
                ..
            } => "appointment-ticket-issued",
            Step::TicketIssued {
                ticket:
                    Ok(TicketOut {
                        print_problem: Some(_),
                        ..
                    }),
                ..
            } => "appointment-ticket-unprinted",
            // The page sends the citizen to the desk or another kiosk for a ticket.
            Step::TicketIssued { ticket: Err(p), .. } => match p {
                Problem::NoNumbers => "appointment-no-numbers",
                Problem::NoMatters
                | Problem::Unreachable
                | Problem::NoDays
                | Problem::SlotTaken
                | Problem::AlreadyBooked
                | Problem::PaperOut
                | Problem::PrinterFault
                | Problem::Store => "appointment-ticket-fault",
            },
        })
    }

    fn progress(&self) -> Option<Progress> {
        // Booking: matter, day, time, phone, the slip. Cancelling and checking in are side
        // ways with no numbers.
        Some(match self.step {
            Step::LoadingMatters | Step::ChooseMatter => Progress::new(1, 5),
            Step::LoadingSlots { .. } | Step::ChooseDay { .. } => Progress::new(2, 5),
            Step::ChooseSlot { .. } => Progress::new(3, 5),
            Step::Phone { .. } => Progress::new(4, 5),
            Step::Booking { .. } | Step::Done { .. } => Progress::new(5, 5),
            _ => return None,
        })
    }

    fn chrome(&self) -> Chrome {
        match self.step {
            Step::Booking { .. }
            | Step::Done { .. }
            | Step::Problem(_)
            | Step::Cancelling
            | Step::Cancelled { .. }
            | Step::CheckingIn
            | Step::CheckedIn { .. }
            | Step::CheckInRefused(_)
            | Step::IssuingTicket
            | Step::TicketIssued { .. } => Chrome::NONE,
            _ => Chrome::FULL,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match &self.step {
            Step::Booking { .. } | Step::Cancelling | Step::CheckingIn | Step::IssuingTicket => {
                IdlePolicy::Paused
            }
            Step::Done { since, .. }
            | Step::Cancelled { since, .. }
            | Step::CheckedIn { since, .. }
            | Step::TicketIssued { since, .. } => IdlePolicy::DoneSince(*since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        self.step = match &self.step {
            Step::LoadingMatters | Step::ChooseMatter => return Nav::Menu,
            Step::LoadingSlots { .. } | Step::ChooseDay { .. } | Step::ConfirmCancel { .. } => {
                Step::ChooseMatter
            }
            Step::ChooseSlot { matter, .. } => Step::ChooseDay {
                matter: matter.clone(),
            },
            Step::Phone { matter, day, .. } => Step::ChooseSlot {
                matter: matter.clone(),
                day: *day,
            },
            Step::Booking { .. }
            | Step::Done { .. }
            | Step::Problem(_)
            | Step::Cancelling
            | Step::Cancelled { .. }
            | Step::CheckingIn
            | Step::CheckedIn { .. }
            | Step::CheckInRefused(_)
            | Step::IssuingTicket
            | Step::TicketIssued { .. } => return Nav::Stay,
        };
        Nav::Stay
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        match (&self.step, event) {
            (Step::CheckingIn, Event::CheckedIn(answer)) => {
                self.step = match answer {
                    Ok(ticket) => {
                        // The ticket is out: the citizen's data is no longer needed.
                        cx.session.forget_citizen();
                        Step::CheckedIn {
                            ticket,
                            since: cx.now,
                        }
                    }
                    Err(refused) => Step::CheckInRefused(refused),
                };
            }
            (Step::IssuingTicket, Event::OrdinaryTicket(ticket)) => {
                cx.session.forget_citizen();
                self.step = Step::TicketIssued {
                    ticket,
                    since: cx.now,
                };
            }
            (
                Step::Done { .. }
                | Step::Problem(_)
                | Step::Cancelling
                | Step::Cancelled { .. }
                | Step::CheckingIn
                | Step::CheckedIn { .. }
                | Step::CheckInRefused(_)
                | Step::IssuingTicket
                | Step::TicketIssued { .. },
                Event::Upcoming(_),
            ) => return false,
            (_, Event::Upcoming(list)) => self.upcoming = list,
            (Step::Cancelling, Event::Cancelled(answer)) => {
                self.step = match answer {
                    Ok(confirmed) => {
                        cx.session.forget_citizen();
                        Step::Cancelled {
                            confirmed,
                            since: cx.now,
                        }
                    }
                    Err(p) => problem(p),
                };
            }
            (Step::LoadingMatters, Event::Matters(answer)) => {
                self.step = match answer {
                    Ok(matters) if matters.is_empty() => problem(Problem::NoMatters),
                    Ok(matters) => {
                        self.matters = matters;
                        Step::ChooseMatter
                    }
                    Err(p) => problem(p),
                };
            }
            (Step::LoadingSlots { matter }, Event::Slots(answer)) => {
                self.step = match answer {
                    Ok(days) if days.is_empty() => problem(Problem::NoDays),
                    Ok(days) => {
                        self.days = days;
                        Step::ChooseDay {
                            matter: matter.clone(),
                        }
                    }
                    Err(p) => problem(p),
                };
            }
            (Step::Booking { .. }, Event::Booked(outcome)) => {
                self.step = match outcome {
                    Ok(slip) => {
                        // The citizen's data is no longer needed once the slip is out.
                        cx.session.forget_citizen();
                        Step::Done {
                            slip,
                            since: cx.now,
                        }
                    }
                    Err(failure) => Step::Problem(failure),
                };
            }
            _ => return false,
        }
        true
    }

    /// The slip's QR code on the matter page checks in; other codes are not taken.
    fn on_code(&mut self, cx: &mut Cx, code: &ScannedCode) -> bool {
        match (code, &self.step) {
            (ScannedCode::Appointment(id), Step::LoadingMatters | Step::ChooseMatter) => {
                self.send_check_in(cx, id.clone());
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Citizen, Session};
    use crate::services::appointment::SlotView;
    use chrono::{NaiveDate, NaiveTime};
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Order>>);
    impl AppointmentPort for FakePort {
        fn send(&self, order: Reply<Order>) {
            self.0.borrow_mut().push(order.event);
        }
    }

    fn matter() -> Arc<MatterView> {
        Arc::new(MatterView {
            code: "M02".into(),
            name_zh: "社保卡补办".into(),
            name_en: "Replace a social security card".into(),
            bring_zh: vec!["居民身份证原件".into()],
            bring_en: vec!["Your ID card".into()],
            area_code: "B".into(),
            area_zh: "社保医保".into(),
            area_en: "Social & Medical Insurance".into(),
        })
    }

    fn slot(h: u32, remaining: u32) -> SlotView {
        SlotView {
            start: NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(h, 30, 0).unwrap(),
            remaining,
        }
    }

    fn days() -> Vec<DayView> {
        vec![
            DayView {
                date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
                slots: vec![slot(9, 0), slot(10, 2)],
            },
            DayView {
                date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
                slots: vec![slot(9, 0)],
            },
        ]
    }

    fn to_slots(flow: &mut AppointmentFlow, cx: &mut Cx) {
        assert!(flow.on_event(cx, Event::Matters(Ok(vec![matter()]))));
        let mine = UpcomingView {
            booking_id: "b0".into(),
            matter_zh: "社保卡补办".into(),
            matter_en: String::new(),
            date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            today: false,
            checked_in: false,
        };
        assert!(flow.on_event(cx, Event::Upcoming(vec![mine])));
        assert_eq!(flow.upcoming().len(), 1);
        flow.choose_matter("M02", cx);
        assert!(matches!(flow.step(), Step::LoadingSlots { .. }));
        assert!(flow.on_event(cx, Event::Slots(Ok(days()))));
    }

    #[test]
    fn matter_day_slot_and_phone_make_one_booking_and_full_ones_cannot_be_chosen() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = AppointmentFlow::new(port.clone(), &mut cx);
        assert_eq!(port.0.borrow()[0], Order::Matters);
        assert!(
            matches!(&port.0.borrow()[1], Order::Upcoming { holder } if holder == "holder-hash")
        );
        to_slots(&mut flow, &mut cx);
        assert_eq!(
            port.0.borrow()[2],
            Order::Slots {
                matter: "M02".into()
            }
        );
        // The second day is full: not choosable.
        flow.choose_day(1);
        assert!(matches!(flow.step(), Step::ChooseDay { .. }));
        flow.choose_day(0);
        // The 09:00 slot is full: not choosable; 10:00 is.
        flow.choose_slot(0);
        assert!(matches!(flow.step(), Step::ChooseSlot { .. }));
        flow.choose_slot(1);
        assert!(matches!(flow.step(), Step::Phone { slot: 1, .. }));
        for d in "1230".chars() {
            flow.phone_digit(d);
        }
        flow.confirm(&mut cx);
        assert!(matches!(flow.step(), Step::Phone { invalid: true, .. }));
        assert_eq!(port.0.borrow().len(), 3);
        for _ in 0..4 {
            flow.phone_backspace();
        }
        for d in "138001380009".chars() {
            flow.phone_digit(d);
        }
        flow.confirm(&mut cx);
        assert_eq!(flow.idle(), IdlePolicy::Paused);
        let orders = port.0.borrow();
        let Order::Book(b) = &orders[3] else {
            panic!("{:?}", orders[3])
        };
        assert_eq!(b.phone, "13800138000");
        assert_eq!(b.slot.start, NaiveTime::from_hms_opt(10, 0, 0).unwrap());
        assert_eq!(b.date, NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        assert_eq!(b.holder, "holder-hash");
        assert!(!format!("{b:?}").contains("13800138000"));
    }

    #[test]
    fn a_slip_forgets_the_citizen_and_a_taken_slot_asks_for_the_slots_again() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::from_secs(3),
        };
        let mut flow = AppointmentFlow::new(port.clone(), &mut cx);
        to_slots(&mut flow, &mut cx);
        flow.choose_day(0);
        flow.choose_slot(1);
        "13800138000".chars().for_each(|d| flow.phone_digit(d));
        flow.confirm(&mut cx);
        assert!(flow.on_event(
            &mut cx,
            Event::Booked(Err(BookFailure {
                problem: Problem::SlotTaken,
                booked: None
            }))
        ));
        flow.choose_again(&mut cx);
        assert!(matches!(flow.step(), Step::LoadingSlots { .. }));
        assert_eq!(port.0.borrow().len(), 5);
        assert!(flow.on_event(&mut cx, Event::Slots(Ok(days()))));
        flow.choose_day(0);
        flow.choose_slot(1);
        "13800138000".chars().for_each(|d| flow.phone_digit(d));
        flow.confirm(&mut cx);
        let slip = SlipView {
            booking_id: "b".into(),
            matter: matter(),
            date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            slot: slot(10, 1),
            confirmed: false,
            url: "http://x/appointment/b".into(),
        };
        assert!(flow.on_event(&mut cx, Event::Booked(Ok(slip))));
        assert!(cx.session.citizen().is_none());
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(3)));
        // A late or second answer is not taken.
        assert!(!flow.on_event(&mut cx, Event::Slots(Ok(days()))));
    }

    #[test]
    fn an_appointment_is_cancelled_after_a_confirmation() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::from_secs(1),
        };
        let mut flow = AppointmentFlow::new(port.clone(), &mut cx);
        to_slots(&mut flow, &mut cx);
        flow.back(&mut cx);
        assert_eq!(flow.step(), &Step::ChooseMatter);
        flow.ask_cancel(5);
        assert_eq!(flow.step(), &Step::ChooseMatter);
        flow.ask_cancel(0);
        assert!(matches!(flow.step(), Step::ConfirmCancel { .. }));
        flow.back(&mut cx);
        assert_eq!(flow.step(), &Step::ChooseMatter);
        flow.ask_cancel(0);
        flow.confirm_cancel(&mut cx);
        assert_eq!(flow.step(), &Step::Cancelling);
        assert!(matches!(
            port.0.borrow().last(),
            Some(Order::Cancel { booking_id, holder }) if booking_id == "b0" && holder == "holder-hash"
        ));
        assert!(flow.on_event(&mut cx, Event::Cancelled(Ok(false))));
        assert!(matches!(
            flow.step(),
            Step::Cancelled {
                confirmed: false,
                ..
            }
        ));
        assert!(cx.session.citizen().is_none());
    }

    #[test]
    fn back_walks_the_steps_and_leaves_from_the_first() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = AppointmentFlow::new(port, &mut cx);
        to_slots(&mut flow, &mut cx);
        flow.choose_day(0);
        flow.choose_slot(1);
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        assert!(matches!(flow.step(), Step::ChooseSlot { .. }));
        flow.back(&mut cx);
        assert!(matches!(flow.step(), Step::ChooseDay { .. }));
        flow.back(&mut cx);
        assert_eq!(flow.step(), &Step::ChooseMatter);
        assert_eq!(flow.back(&mut cx), Nav::Menu);
    }

    fn area() -> crate::services::appointment::AreaView {
        crate::services::appointment::AreaView {
            code: "B".into(),
            zh: "社保医保".into(),
            en: "Social & Medical Insurance".into(),
        }
    }

    fn today_and_next_week() -> Vec<UpcomingView> {
        let at = |d, today| UpcomingView {
            booking_id: format!("b{d}"),
            matter_zh: "社保卡补办".into(),
            matter_en: String::new(),
            date: NaiveDate::from_ymd_opt(2026, 12, d).unwrap(),
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            today,
            checked_in: false,
        };
        vec![at(2, true), at(9, false)]
    }

    fn priority() -> TicketOut {
        TicketOut {
            display_number: "B-Y001".into(),
            area: area(),
            people_ahead: 0,
            priority: true,
            booked: None,
            print_problem: None,
        }
    }

    #[test]
    fn todays_appointment_checks_in_for_a_priority_ticket_and_forgets_the_citizen() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::from_secs(2),
        };
        let mut flow = AppointmentFlow::new(port.clone(), &mut cx);
        assert!(flow.on_event(&mut cx, Event::Matters(Ok(vec![matter()]))));
        assert!(flow.on_event(&mut cx, Event::Upcoming(today_and_next_week())));
        // Next week's cannot be checked in for.
        flow.check_in(1, &mut cx);
        assert_eq!(flow.step(), &Step::ChooseMatter);
        flow.check_in(0, &mut cx);
        assert_eq!(flow.step(), &Step::CheckingIn);
        assert_eq!(flow.idle(), IdlePolicy::Paused);
        assert!(matches!(
            port.0.borrow().last(),
            Some(Order::CheckIn { booking_id, masked_id })
                if booking_id == "b2" && masked_id == &Citizen::sample().masked_id
        ));
        assert!(!format!("{:?}", port.0.borrow().last()).contains("holder"));
        assert!(flow.on_event(&mut cx, Event::CheckedIn(Ok(priority()))));
        assert!(matches!(flow.step(), Step::CheckedIn { .. }));
        assert!(cx.session.citizen().is_none());
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(2)));
        assert_eq!(flow.back(&mut cx), Nav::Stay);
    }

    #[test]
    fn a_refused_check_in_offers_an_ordinary_ticket_in_one_touch() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = AppointmentFlow::new(port.clone(), &mut cx);
        assert!(flow.on_event(&mut cx, Event::Matters(Ok(vec![matter()]))));
        assert!(flow.on_event(&mut cx, Event::Upcoming(today_and_next_week())));
        flow.check_in(0, &mut cx);
        let refused = CheckInRefused {
            refusal: crate::services::appointment::CheckInRefusal::TooEarly(
                NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
            ),
            booked: None,
            area: area(),
        };
        assert!(flow.on_event(&mut cx, Event::CheckedIn(Err(refused))));
        assert!(matches!(flow.step(), Step::CheckInRefused(_)));
        assert_eq!(flow.chrome(), Chrome::NONE);
        flow.ordinary_ticket(&mut cx);
        assert_eq!(flow.step(), &Step::IssuingTicket);
        assert!(matches!(
            port.0.borrow().last(),
            Some(Order::OrdinaryTicket { area_code, .. }) if area_code == "B"
        ));
        // A second touch sends nothing more.
        let sent = port.0.borrow().len();
        flow.ordinary_ticket(&mut cx);
        assert_eq!(port.0.borrow().len(), sent);
        let mut ordinary = priority();
        ordinary.display_number = "B012".into();
        ordinary.priority = false;
        assert!(flow.on_event(&mut cx, Event::OrdinaryTicket(Ok(ordinary))));
        assert!(matches!(
            flow.step(),
            Step::TicketIssued { ticket: Ok(_), .. }
        ));
        assert!(cx.session.citizen().is_none());
    }

    #[test]
    fn a_scanned_slip_checks_in_on_the_attract_screen_and_on_the_matter_page_only() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::new(Duration::from_secs(60), Duration::from_secs(10));
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        // No card: the ticket carries no ID.
        let flow = AppointmentFlow::checking_in(port.clone(), &mut cx, "b7".into());
        assert_eq!(flow.step(), &Step::CheckingIn);
        assert!(matches!(
            port.0.borrow().last(),
            Some(Order::CheckIn { booking_id, masked_id }) if booking_id == "b7" && masked_id.is_empty()
        ));
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = AppointmentFlow::new(port.clone(), &mut cx);
        assert!(flow.on_event(&mut cx, Event::Matters(Ok(vec![matter()]))));
        flow.choose_matter("M02", &mut cx);
        let slip = ScannedCode::Appointment("b8".into());
        assert!(!flow.on_code(&mut cx, &slip), "not while choosing a time");
        flow.back(&mut cx);
        assert!(!flow.on_code(&mut cx, &ScannedCode::QueueTicket));
        assert!(flow.on_code(&mut cx, &slip));
        assert_eq!(flow.step(), &Step::CheckingIn);
    }

    #[test]
    fn answers_go_on_the_menu_once_and_are_marked_seen() {
        use crate::services::appointment::{NoticeView, Service};
        use kiosk_platform::api::appointment::NoticeOutcome;
        let port = Rc::new(FakePort::default());
        let service = Service::new(port.clone());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        service.on_identified(&mut cx);
        assert!(
            matches!(port.0.borrow().last(), Some(Order::Notices { holder }) if holder == "holder-hash")
        );
        // Other events are the flow's.
        assert!(service
            .take_event(&mut cx, Event::Cancelled(Ok(true)))
            .is_some());
        assert!(service
            .take_event(&mut cx, Event::Notices(vec![]))
            .is_none());
        assert!(cx.session.menu_notice().is_none());
        let list = vec![NoticeView {
            booking_id: "b1".into(),
            matter_zh: "户口迁入".into(),
            matter_en: "Move a household registration in".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            outcome: NoticeOutcome::Confirmed,
        }];
        assert!(!format!("{:?}", Event::Notices(list.clone())).contains("holder"));
        assert!(service.take_event(&mut cx, Event::Notices(list)).is_none());
        let notice = cx.session.menu_notice().unwrap();
        assert!(
            notice.zh.starts_with("您 12月3日 09:00 的预约已确认"),
            "{}",
            notice.zh
        );
        assert!(matches!(
            port.0.borrow().last(),
            Some(Order::NoticesSeen { holder, booking_ids }) if holder == "holder-hash" && booking_ids == &["b1".to_owned()]
        ));
    }
}
