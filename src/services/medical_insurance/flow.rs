//! The medical-insurance steps: asking, the account on three tabs, printing the statement.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::{Event, Holder, MedicalPort, Order, PrintProblem, PrintState, Problem, Statement};
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply};

/// The three parts of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The balance and the bar chart of monthly spending.
    Overview,
    /// The twelve months of contributions.
    Contributions,
    /// The spending records.
    Spending,
}

/// Where the citizen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The platform is being asked.
    Asking,
    /// The account on screen.
    Showing {
        /// The account (shared with the print order).
        statement: Arc<Statement>,
        /// The tab on screen.
        tab: Tab,
        /// Whether the statement can print now.
        print: PrintState,
        /// The last print failed (the button says why).
        failed: bool,
    },
    /// The statement is being laid out and printed.
    Printing {
        /// The account.
        statement: Arc<Statement>,
    },
    /// "Take your statement".
    Printed {
        /// Since when it shows (the session ends by itself after a while).
        since: Duration,
    },
    /// Nothing to show, and why.
    Problem(Problem),
}

/// A citizen looking at their medical-insurance account.
pub struct MedicalInsuranceFlow {
    step: Step,
    port: Rc<dyn MedicalPort>,
}

impl std::fmt::Debug for MedicalInsuranceFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The statement redacts itself; the step's shape is all a log needs.
        f.debug_tuple("MedicalInsuranceFlow")
            .field(&self.step)
            .finish()
    }
}

impl MedicalInsuranceFlow {
    /// The first step: the card holder's account is asked for at once.
    pub fn new(port: Rc<dyn MedicalPort>, cx: &mut Cx) -> Self {
        let holder = cx.session.citizen().and_then(|c| {
            Some(Holder {
                hash: c.case_holder.clone()?,
                name: c.name.clone(),
                masked_id: c.masked_id.clone(),
            })
        });
        let step = match holder {
            Some(holder) => {
                port.send(Reply {
                    token: cx.session.token(),
                    event: Order::Query(holder),
                });
                Step::Asking
            }
            None => Step::Problem(Problem::NoCard),
        };
        Self { step, port }
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// A tab.
    pub fn show_tab(&mut self, to: Tab) {
        if let Step::Showing { tab, .. } = &mut self.step {
            *tab = to;
        }
    }

    /// The print button: prints when the printer is ready; when it was not, asks it again
    /// (paper may have been put in meanwhile).
    pub fn print(&mut self, cx: &mut Cx) {
        let Step::Showing {
            statement,
            print,
            failed,
            ..
        } = &mut self.step
        else {
            return;
        };
        match print {
            PrintState::Ready => {
                let statement = statement.clone();
                self.port.send(Reply {
                    token: cx.session.token(),
                    event: Order::Print(statement.clone()),
                });
                self.step = Step::Printing { statement };
            }
            PrintState::Unavailable(_) => {
                *print = PrintState::Checking;
                *failed = false;
                self.port.send(Reply {
                    token: cx.session.token(),
                    event: Order::CheckPrinter,
                });
            }
            PrintState::Checking => {}
        }
    }
}

impl Flow for MedicalInsuranceFlow {
    type Event = Event;

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Problem(p) => Some(match p {
                Problem::NoRecord => "no_record",
                Problem::Unreachable => "unreachable",
                Problem::NoCard => "no_card",
            }),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt: the account comes at once. A printer found not ready
            // before any print is said on the button only.
            Step::Asking => return None,
            Step::Showing {
                failed: true,
                print: PrintState::Unavailable(p),
                ..
            } => match p {
                PrintProblem::PaperOut => "paper-out",
                PrintProblem::TonerOut => "toner-out",
                PrintProblem::Jam
                | PrintProblem::CoverOpen
                | PrintProblem::Offline
                | PrintProblem::Fault => "printer-fault",
                PrintProblem::NoPrinter => "medical-insurance-no-printer",
            },
            Step::Showing { .. } => return None,
            Step::Printing { .. } => "wait-printing",
            Step::Printed { .. } => "take-printout",
            Step::Problem(p) => match p {
                Problem::NoRecord => "medical-insurance-no-record",
                Problem::Unreachable => "unreachable",
                Problem::NoCard => "needs-card",
            },
        })
    }

    fn progress(&self) -> Option<Progress> {
        Some(match self.step {
            Step::Asking | Step::Showing { .. } => Progress::new(1, 2),
            Step::Printing { .. } | Step::Printed { .. } => Progress::new(2, 2),
            Step::Problem(_) => return None,
        })
    }

    fn chrome(&self) -> Chrome {
        match self.step {
            Step::Printing { .. } => Chrome::NONE,
            Step::Printed { .. } => Chrome::FINISH_ONLY,
            _ => Chrome::FULL,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match self.step {
            // Asking counts as idle: a citizen who walks away while the platform is slow
            // still has their session wiped. A job on the printer is not interrupted.
            Step::Printing { .. } => IdlePolicy::Paused,
            Step::Printed { since } => IdlePolicy::DoneSince(since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        match &self.step {
            // Another tab first goes back to the overview.
            Step::Showing { tab, .. } if *tab != Tab::Overview => {
                self.show_tab(Tab::Overview);
                Nav::Stay
            }
            Step::Printing { .. } => Nav::Stay,
            _ => Nav::Menu,
        }
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        match (&mut self.step, event) {
            (Step::Asking, Event::Answered(Ok(statement))) => {
                self.step = Step::Showing {
                    statement,
                    tab: Tab::Overview,
                    print: PrintState::Checking,
                    failed: false,
                };
                true
            }
            (Step::Asking, Event::Answered(Err(problem))) => {
                self.step = Step::Problem(problem);
                true
            }
            (Step::Showing { print, failed, .. }, Event::Printer(state)) => {
                // A failure stays said until the citizen asks again.
                if *failed {
                    return false;
                }
                *print = state;
                true
            }
            (Step::Printing { .. }, Event::Printed(Ok(()))) => {
                self.step = Step::Printed { since: cx.now };
                true
            }
            (Step::Printing { statement }, Event::Printed(Err(problem))) => {
                self.step = Step::Showing {
                    statement: statement.clone(),
                    tab: Tab::Overview,
                    print: PrintState::Unavailable(problem),
                    failed: true,
                };
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{MonthRow, PrintProblem};
    use super::*;
    use crate::app::{Citizen, Session};
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Order>>);
    impl MedicalPort for FakePort {
        fn send(&self, o: Reply<Order>) {
            self.0.borrow_mut().push(o.event);
        }
    }

    fn statement() -> Arc<Statement> {
        Arc::new(Statement {
            holder_name: "张伟".into(),
            masked_id: "110101********0015".into(),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            balance_fen: 328_640,
            months: vec![MonthRow {
                year: 2026,
                month: 12,
                paid: None,
            }],
            spending: Vec::new(),
        })
    }

    #[test]
    fn asks_with_the_holder_hash_shows_tabs_and_prints_when_the_printer_is_ready() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = MedicalInsuranceFlow::new(port.clone(), &mut cx);
        assert!(matches!(
            port.0.borrow().as_slice(),
            [Order::Query(Holder { hash, .. })] if hash == "holder-hash"
        ));
        assert_eq!(flow.idle(), IdlePolicy::Normal);
        assert!(flow.on_event(&mut cx, Event::Answered(Ok(statement()))));
        // Printing waits for the printer's state.
        flow.print(&mut cx);
        assert_eq!(port.0.borrow().len(), 1);
        flow.show_tab(Tab::Spending);
        assert!(flow.on_event(&mut cx, Event::Printer(PrintState::Ready)));
        assert_eq!(
            flow.back(&mut cx),
            Nav::Stay,
            "a tab goes back to the overview"
        );
        assert!(matches!(
            flow.step(),
            Step::Showing {
                tab: Tab::Overview,
                ..
            }
        ));
        flow.print(&mut cx);
        assert!(matches!(port.0.borrow().last(), Some(Order::Print(_))));
        assert_eq!(flow.chrome(), Chrome::NONE);
        cx.now = Duration::from_secs(7);
        assert!(flow.on_event(&mut cx, Event::Printed(Ok(()))));
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(7)));
        assert!(!format!("{flow:?}").contains("张伟"));
    }

    #[test]
    fn a_printer_fault_is_said_on_the_button_and_asked_again_on_touch() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = MedicalInsuranceFlow::new(port.clone(), &mut cx);
        flow.on_event(&mut cx, Event::Answered(Ok(statement())));
        let out = PrintState::Unavailable(PrintProblem::PaperOut);
        assert!(flow.on_event(&mut cx, Event::Printer(out)));
        flow.print(&mut cx);
        assert_eq!(port.0.borrow().last(), Some(&Order::CheckPrinter));
        assert!(flow.on_event(&mut cx, Event::Printer(PrintState::Ready)));
        flow.print(&mut cx);
        assert!(flow.on_event(&mut cx, Event::Printed(Err(PrintProblem::Offline))));
        assert!(matches!(
            flow.step(),
            Step::Showing {
                print: PrintState::Unavailable(PrintProblem::Offline),
                failed: true,
                ..
            }
        ));
        // A late "ready" does not hide the failure.
        assert!(!flow.on_event(&mut cx, Event::Printer(PrintState::Ready)));
    }

    #[test]
    fn no_record_and_no_card_are_problems() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = MedicalInsuranceFlow::new(port.clone(), &mut cx);
        assert!(flow.on_event(&mut cx, Event::Answered(Err(Problem::NoRecord))));
        assert_eq!(flow.step(), &Step::Problem(Problem::NoRecord));
        assert!(!flow.on_event(&mut cx, Event::Answered(Ok(statement()))));
        assert_eq!(flow.back(&mut cx), Nav::Menu);

        let mut anon = Session::serving(Citizen {
            case_holder: None,
            ..Citizen::sample()
        });
        let mut cx = Cx {
            session: &mut anon,
            now: Duration::ZERO,
        };
        let flow = MedicalInsuranceFlow::new(port.clone(), &mut cx);
        assert_eq!(flow.step(), &Step::Problem(Problem::NoCard));
    }
}
