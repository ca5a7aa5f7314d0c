//! The queue ticket's steps.

use std::rc::Rc;
use std::time::Duration;

use super::{Area, Event, TicketFailure, TicketOrder, TicketPort, TicketProblem, TicketView};
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply};

/// Longest phone number accepted on the keypad.
const PHONE_LEN: usize = 11;

/// Where the citizen is in taking a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Choose the service area.
    ChooseArea,
    /// An optional mobile number for the SMS.
    Phone {
        /// The chosen area.
        area: Area,
        /// Digits typed so far.
        typed: String,
        /// The number was refused (not a mainland mobile number).
        invalid: bool,
    },
    /// The ticket is being issued and printed.
    Printing {
        /// The chosen area.
        area: Area,
    },
    /// "Take your ticket".
    Done {
        /// The ticket.
        ticket: TicketView,
        /// Since when it shows (the session ends by itself after a while).
        since: Duration,
    },
    /// Something went wrong: what to do next.
    Problem(TicketFailure),
}

/// A citizen taking a queue ticket.
pub struct QueueTicketFlow {
    step: Step,
    port: Rc<dyn TicketPort>,
}

impl std::fmt::Debug for QueueTicketFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("QueueTicketFlow").field(&self.step).finish()
    }
}

impl QueueTicketFlow {
    /// The first step.
    pub fn new(port: Rc<dyn TicketPort>) -> Self {
        Self {
            step: Step::ChooseArea,
            port,
        }
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// An area tile.
    pub fn choose_area(&mut self, area: &Area) {
        if self.step == Step::ChooseArea {
            self.step = Step::Phone {
                area: area.clone(),
                typed: String::new(),
                invalid: false,
            };
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

    /// "No SMS": the number typed so far is dropped and the ticket issued.
    pub fn skip_phone(&mut self, cx: &mut Cx) {
        if let Step::Phone { typed, .. } = &mut self.step {
            typed.clear();
        }
        self.confirm(cx);
    }

    /// Confirm on the phone page: with a valid number, or with none (no SMS).
    pub fn confirm(&mut self, cx: &mut Cx) {
        let Step::Phone {
            area,
            typed,
            invalid,
        } = &mut self.step
        else {
            return;
        };
        let phone = match typed.as_str() {
            "" => None,
            p if is_mobile_number(p) => Some(p.to_owned()),
            _ => {
                *invalid = true;
                return;
            }
        };
        let Some(citizen) = cx.session.citizen() else {
            return;
        };
        let order = TicketOrder {
            area_code: area.code.clone(),
            phone,
            masked_id: citizen.masked_id.clone(),
        };
        self.step = Step::Printing { area: area.clone() };
        self.port.issue(Reply {
            token: cx.session.token(),
            event: order,
        });
    }

    /// The catalog changed: an area that vanished while the citizen was typing sends them
    /// back to choose again.
    pub fn areas_changed(&mut self, areas: &[Area]) {
        if let Step::Phone { area, .. } = &self.step {
            if !areas.iter().any(|a| a.code == area.code) {
                self.step = Step::ChooseArea;
            }
        }
    }
}

impl Flow for QueueTicketFlow {
    type Event = Event;

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Problem(f) => Some(match f.problem {
                TicketProblem::NoNumbers => "no_numbers",
                TicketProblem::PaperOut => "paper_out",
                TicketProblem::PrinterFault => "printer_fault",
                TicketProblem::Store => "store",
            }),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt names the first choice.
            Step::ChooseArea => return None,
            Step::Phone { invalid: false, .. } => "queue-ticket-phone",
            Step::Phone { invalid: true, .. } => "queue-ticket-phone-invalid",
            Step::Printing { .. } => "wait-printing",
            Step::Done { .. } => "queue-ticket-done",
            Step::Problem(f) => match f.problem {
                TicketProblem::NoNumbers => "queue-ticket-no-numbers",
                TicketProblem::PaperOut => "queue-ticket-paper-out",
                TicketProblem::PrinterFault => "queue-ticket-printer-fault",
                TicketProblem::Store => "store-fault",
            },
        })
    }

    fn progress(&self) -> Option<Progress> {
        Some(match self.step {
            Step::ChooseArea => Progress::new(1, 3),
            Step::Phone { .. } => Progress::new(2, 3),
            Step::Printing { .. } | Step::Done { .. } => Progress::new(3, 3),
            Step::Problem(_) => return None,
        })
    }

    fn chrome(&self) -> Chrome {
        match self.step {
            Step::ChooseArea | Step::Phone { .. } => Chrome::FULL,
            // These pages have their own buttons, or wait for the printer.
            Step::Printing { .. } | Step::Done { .. } | Step::Problem(_) => Chrome::NONE,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match &self.step {
            Step::Printing { .. } => IdlePolicy::Paused,
            Step::Done { since, .. } => IdlePolicy::DoneSince(*since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        match self.step {
            Step::ChooseArea => Nav::Menu,
            Step::Phone { .. } => {
                self.step = Step::ChooseArea;
                Nav::Stay
            }
            _ => Nav::Stay,
        }
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        let Event::Finished(outcome) = event;
        if !matches!(self.step, Step::Printing { .. }) {
            return false;
        }
        self.step = match outcome {
            Ok(ticket) => {
                // The citizen's data is no longer needed once the ticket is out.
                cx.session.forget_citizen();
                Step::Done {
                    ticket,
                    since: cx.now,
                }
            }
            Err(failure) => Step::Problem(failure),
        };
        true
    }
}

impl TicketProblem {
    /// Whether the ticket exists although it did not print (staff reprint it).
    pub fn keeps_ticket(self) -> bool {
        matches!(self, TicketProblem::PaperOut | TicketProblem::PrinterFault)
    }
}

/// Mainland mobile numbers (shared with every service that asks for one).
pub use crate::app::citizen::is_mobile_number;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Citizen, Session};
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Reply<TicketOrder>>>);
    impl TicketPort for FakePort {
        fn issue(&self, order: Reply<TicketOrder>) {
            self.0.borrow_mut().push(order);
        }
    }

    fn area(code: &str) -> Area {
        Area {
            code: code.into(),
            name_zh: "综合受理".into(),
            name_en: "General".into(),
            description_zh: String::new(),
            description_en: String::new(),
            location_zh: String::new(),
            location_en: String::new(),
            waiting: Some(2),
        }
    }

    fn session() -> Session {
        Session::serving(Citizen::sample())
    }

    #[test]
    fn a_valid_number_or_none_issues_the_ticket_and_a_bad_one_is_refused() {
        let port = Rc::new(FakePort::default());
        let mut flow = QueueTicketFlow::new(port.clone());
        let mut s = session();
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        flow.choose_area(&area("A"));
        for d in "1230".chars() {
            flow.phone_digit(d);
        }
        flow.confirm(&mut cx);
        assert!(matches!(flow.step(), Step::Phone { invalid: true, .. }));
        assert!(port.0.borrow().is_empty());
        for _ in 0..4 {
            flow.phone_backspace();
        }
        for d in "138001380009".chars() {
            flow.phone_digit(d);
        }
        flow.confirm(&mut cx);
        let orders = port.0.borrow();
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].event.phone.as_deref(), Some("13800138000"));
        assert_eq!(orders[0].event.area_code, "A");
        assert_eq!(flow.idle(), IdlePolicy::Paused);
    }

    #[test]
    fn a_printed_ticket_forgets_the_citizen_and_a_paper_out_keeps_the_ticket() {
        let port = Rc::new(FakePort::default());
        let mut s = session();
        let mut cx = Cx {
            session: &mut s,
            now: Duration::from_secs(5),
        };
        let mut flow = QueueTicketFlow::new(port.clone());
        flow.choose_area(&area("A"));
        flow.skip_phone(&mut cx);
        let view = TicketView {
            display_number: "A001".into(),
            area_code: "A".into(),
            people_ahead: 0,
            follow_url: "http://x/follow/1".into(),
        };
        let mut failed = QueueTicketFlow::new(port.clone());
        failed.choose_area(&area("A"));
        failed.skip_phone(&mut cx);
        assert!(failed.on_event(
            &mut cx,
            Event::Finished(Err(TicketFailure {
                problem: TicketProblem::PaperOut,
                issued: Some(view.clone()),
            }))
        ));
        assert!(matches!(failed.step(), Step::Problem(f) if f.issued.is_some()));
        assert!(cx.session.citizen().is_some());
        assert!(flow.on_event(&mut cx, Event::Finished(Ok(view))));
        assert!(cx.session.citizen().is_none());
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(5)));
        // A second answer is not waited for.
        assert!(!flow.on_event(
            &mut cx,
            Event::Finished(Err(TicketFailure {
                problem: TicketProblem::Store,
                issued: None,
            }))
        ));
    }

    #[test]
    fn an_area_that_vanishes_while_typing_sends_the_citizen_back() {
        let mut flow = QueueTicketFlow::new(Rc::new(FakePort::default()));
        flow.choose_area(&area("B"));
        flow.areas_changed(&[area("A")]);
        assert_eq!(flow.step(), &Step::ChooseArea);
    }

    #[test]
    fn mobile_numbers() {
        assert!(is_mobile_number("13800138000"));
        assert!(!is_mobile_number("12800138000"));
        assert!(!is_mobile_number("1380013800"));
        assert!(!is_mobile_number("1380013800a"));
    }
}
