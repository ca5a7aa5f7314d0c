//! Following a case: the steps.

use std::rc::Rc;

use super::{CaseEntry, CaseOutcome, CasePort, CaseProblem, CaseQuery, Event};
use crate::app::{Chrome, Cx, Flow, Nav, Progress, Reply, ScannedCode};

/// Where the citizen is in following a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Scan the receipt, use the card, or type the number.
    Start,
    /// Typing the case number.
    Entry(CaseEntry),
    /// The platform is being asked.
    Asking,
    /// The platform's answer, or why there is none.
    Answered(CaseOutcome),
}

/// A citizen following an application.
pub struct CaseProgressFlow {
    step: Step,
    port: Rc<dyn CasePort>,
}

impl std::fmt::Debug for CaseProgressFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Case numbers tie a log line to a person: the step's kind only.
        let kind = match self.step {
            Step::Start => "Start",
            Step::Entry(_) => "Entry",
            Step::Asking => "Asking",
            Step::Answered(_) => "Answered",
        };
        f.debug_tuple("CaseProgressFlow").field(&kind).finish()
    }
}

impl CaseProgressFlow {
    /// The first step.
    pub fn new(port: Rc<dyn CasePort>) -> Self {
        Self {
            step: Step::Start,
            port,
        }
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The platform's answer once there is one.
    pub fn outcome(&self) -> Option<&CaseOutcome> {
        match &self.step {
            Step::Answered(o) => Some(o),
            _ => None,
        }
    }

    /// Asks the platform; the answer comes back as [`Event::Answered`].
    pub fn ask(&mut self, cx: &mut Cx, query: CaseQuery) {
        self.step = Step::Asking;
        self.port.query(Reply {
            token: cx.session.token(),
            event: query,
        });
    }

    /// "My applications": every case of the card holder.
    pub fn by_card(&mut self, cx: &mut Cx) {
        let holder = cx.session.citizen().and_then(|c| c.case_holder.clone());
        if let (Step::Start, Some(holder)) = (&self.step, holder) {
            self.ask(cx, CaseQuery::Holder(holder));
        }
    }

    /// "Type the case number".
    pub fn type_number(&mut self) {
        if self.step == Step::Start {
            self.step = Step::Entry(CaseEntry::default());
        }
    }

    /// The case-number keypad: a prefix chip, a digit, backspace.
    pub fn edit(&mut self, f: impl FnOnce(&mut CaseEntry)) {
        if let Step::Entry(entry) = &mut self.step {
            f(entry);
        }
    }

    /// "Look it up" on the case-number page.
    pub fn submit(&mut self, cx: &mut Cx) {
        if let Step::Entry(entry) = &self.step {
            if let Some(number) = entry.complete() {
                self.ask(cx, CaseQuery::Number(number));
            }
        }
    }
}

impl Flow for CaseProgressFlow {
    type Event = Event;

    /// The rating after the session is linked to the case followed, when it was one.
    fn case_number(&self) -> Option<String> {
        match &self.step {
            Step::Answered(Ok(cases)) if cases.len() == 1 => Some(cases[0].case_number.clone()),
            _ => None,
        }
    }

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Answered(Err(p)) => Some(match p {
                CaseProblem::NotFound => "not_found",
                CaseProblem::NoneForHolder => "none_for_holder",
                CaseProblem::Unreachable => "unreachable",
                CaseProblem::ForgedCode => "forged_code",
                CaseProblem::ForeignCode => "foreign_code",
                CaseProblem::QueueTicketCode => "queue_ticket_code",
                CaseProblem::UnreadableCode => "unreadable_code",
            }),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt names the first choice.
            Step::Start => return None,
            Step::Entry(_) => "case-progress-entry",
            Step::Asking => "wait-asking",
            Step::Answered(Ok(_)) => "case-progress-found",
            Step::Answered(Err(p)) => match p {
                CaseProblem::NotFound => "case-progress-not-found",
                CaseProblem::NoneForHolder => "case-progress-none-for-holder",
                CaseProblem::Unreachable => "unreachable",
                CaseProblem::ForgedCode => "case-progress-forged-code",
                CaseProblem::ForeignCode => "case-progress-foreign-code",
                CaseProblem::QueueTicketCode => "case-progress-queue-ticket-code",
                CaseProblem::UnreadableCode => "case-progress-unreadable-code",
            },
        })
    }

    fn progress(&self) -> Option<Progress> {
        // How to find the case, the number (skipped with a card or a receipt), the answer.
        Some(match self.step {
            Step::Start => Progress::new(1, 3),
            Step::Entry(_) => Progress::new(2, 3),
            Step::Asking | Step::Answered(_) => Progress::new(3, 3),
        })
    }

    fn chrome(&self) -> Chrome {
        Chrome::FULL
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        match self.step {
            Step::Start => Nav::Menu,
            _ => {
                self.step = Step::Start;
                Nav::Stay
            }
        }
    }

    fn on_event(&mut self, _cx: &mut Cx, event: Event) -> bool {
        let Event::Answered(outcome) = event;
        if self.step != Step::Asking {
            return false;
        }
        self.step = Step::Answered(outcome);
        true
    }

    /// A receipt asks at once, whichever step is on screen; any other code says what it was.
    fn on_code(&mut self, cx: &mut Cx, code: &ScannedCode) -> bool {
        let problem = match code {
            ScannedCode::Case(number) => {
                self.ask(cx, CaseQuery::Number(number.clone()));
                return true;
            }
            ScannedCode::Forged => CaseProblem::ForgedCode,
            // An appointment slip is the appointment service's (claimed on the attract
            // screen); here it is not a case.
            ScannedCode::Foreign | ScannedCode::Appointment(_) | ScannedCode::ElectronicId(_) => {
                CaseProblem::ForeignCode
            }
            ScannedCode::QueueTicket => CaseProblem::QueueTicketCode,
            ScannedCode::Unreadable => CaseProblem::UnreadableCode,
        };
        self.step = Step::Answered(Err(problem));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Citizen, Session};
    use std::cell::RefCell;
    use std::time::Duration;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<CaseQuery>>);
    impl CasePort for FakePort {
        fn query(&self, q: Reply<CaseQuery>) {
            self.0.borrow_mut().push(q.event);
        }
    }

    #[test]
    fn typed_number_is_asked_and_the_answer_shows_once() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = CaseProgressFlow::new(port.clone());
        flow.type_number();
        flow.edit(|e| e.set_prefix("SB"));
        for d in "20261124000042".chars() {
            flow.edit(|e| e.digit(d));
        }
        flow.submit(&mut cx);
        assert_eq!(
            port.0.borrow().as_slice(),
            &[CaseQuery::Number("SB-20261124-000042".into())]
        );
        assert!(flow.on_event(&mut cx, Event::Answered(Err(CaseProblem::NotFound))));
        assert!(!flow.on_event(&mut cx, Event::Answered(Ok(Vec::new()))));
        assert_eq!(flow.outcome(), Some(&Err(CaseProblem::NotFound)));
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        assert_eq!(flow.back(&mut cx), Nav::Menu);
    }

    #[test]
    fn by_card_asks_with_the_holder_key_and_a_forged_code_is_refused() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = CaseProgressFlow::new(port.clone());
        flow.by_card(&mut cx);
        assert_eq!(
            port.0.borrow().as_slice(),
            &[CaseQuery::Holder("holder-hash".into())]
        );
        assert!(flow.on_code(&mut cx, &ScannedCode::Forged));
        assert_eq!(flow.outcome(), Some(&Err(CaseProblem::ForgedCode)));
        assert!(!format!("{flow:?}").contains("holder"));
    }
}
