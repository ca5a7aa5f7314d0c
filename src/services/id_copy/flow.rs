//! The ID-card copy's steps. The scanned sides live in the steps that need them and go with
//! the step: once the page is sent to the printer the flow holds no image.

use std::rc::Rc;
use std::time::Duration;

use super::{
    CardSide, CopyOrder, CopyPort, CopyPrintProblem, Event, Job, ScanProblem, COPY_PURPOSES,
};
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply, RgbaImage};

/// One side of the card while scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SideState {
    /// Not scanned yet.
    Waiting,
    /// The scanner is at work.
    Scanning,
    /// Scanned and cropped.
    Done(RgbaImage),
    /// Could not be scanned: why.
    Failed(ScanProblem),
}

/// The printing step's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintState {
    /// The printer is at work.
    Printing,
    /// Printed, since then (the session ends by itself after a while).
    Printed(Duration),
    /// Did not print: why (staff sort out the printer).
    Failed(CopyPrintProblem),
}

/// Where the citizen is in copying the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// What the copy is for.
    Purpose,
    /// Scanning a side.
    Scan {
        /// Index into [`COPY_PURPOSES`].
        purpose: usize,
        /// The side on screen.
        side: CardSide,
        /// The front.
        front: SideState,
        /// The back.
        back: SideState,
    },
    /// The page before printing.
    Preview {
        /// Index into [`COPY_PURPOSES`].
        purpose: usize,
        /// The front, cropped.
        front: RgbaImage,
        /// The back, cropped.
        back: RgbaImage,
    },
    /// Printing and collecting.
    Done(PrintState),
}

/// A citizen copying their ID card.
pub struct IdCopyFlow {
    step: Step,
    port: Rc<dyn CopyPort>,
}

impl std::fmt::Debug for IdCopyFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("IdCopyFlow").field(&self.step).finish()
    }
}

impl IdCopyFlow {
    /// The first step.
    pub fn new(port: Rc<dyn CopyPort>) -> Self {
        Self {
            step: Step::Purpose,
            port,
        }
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The purpose's words as printed (Chinese).
    pub fn purpose_zh(&self) -> Option<&'static str> {
        let i = match &self.step {
            Step::Scan { purpose, .. } | Step::Preview { purpose, .. } => *purpose,
            _ => return None,
        };
        COPY_PURPOSES.get(i).map(|p| p.0)
    }

    /// A purpose on the first page (index into [`COPY_PURPOSES`]).
    pub fn choose_purpose(&mut self, index: usize) {
        if self.step == Step::Purpose && index < COPY_PURPOSES.len() {
            self.step = Step::Scan {
                purpose: index,
                side: CardSide::Front,
                front: SideState::Waiting,
                back: SideState::Waiting,
            };
        }
    }

    /// "Scan" (or "scan again") for the side on screen.
    pub fn scan(&mut self, cx: &mut Cx) {
        let Step::Scan {
            side, front, back, ..
        } = &mut self.step
        else {
            return;
        };
        let state = match side {
            CardSide::Front => front,
            CardSide::Back => back,
        };
        if *state != SideState::Scanning {
            *state = SideState::Scanning;
            self.port.send(Reply {
                token: cx.session.token(),
                event: Job::Scan(*side),
            });
        }
    }

    /// "Next": from the front to the back, from the back to the page preview.
    pub fn next(&mut self) {
        let Step::Scan {
            purpose,
            side,
            front,
            back,
        } = &mut self.step
        else {
            return;
        };
        match (side, &*front, &*back) {
            (side @ CardSide::Front, SideState::Done(_), _) => *side = CardSide::Back,
            (CardSide::Back, SideState::Done(f), SideState::Done(b)) => {
                self.step = Step::Preview {
                    purpose: *purpose,
                    front: f.clone(),
                    back: b.clone(),
                }
            }
            _ => {}
        }
    }

    /// "Print" on the preview: the images go to the worker and leave the flow.
    pub fn print(&mut self, cx: &mut Cx) {
        let Step::Preview {
            purpose,
            front,
            back,
        } = std::mem::replace(&mut self.step, Step::Done(PrintState::Printing))
        else {
            return;
        };
        let order = CopyOrder {
            front,
            back,
            purpose: COPY_PURPOSES[purpose].0.to_owned(),
        };
        self.port.send(Reply {
            token: cx.session.token(),
            event: Job::Print(order),
        });
    }
}

impl Flow for IdCopyFlow {
    type Event = Event;

    fn card_on_glass(&self) -> bool {
        !matches!(self.step, Step::Purpose)
    }

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Done(PrintState::Failed(_)) => Some("print_failed"),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt names the first choice.
            Step::Purpose => return None,
            Step::Scan {
                side, front, back, ..
            } => {
                let state = match side {
                    CardSide::Front => front,
                    CardSide::Back => back,
                };
                match (side, state) {
                    (CardSide::Front, SideState::Waiting) => "id-copy-scan-front",
                    (CardSide::Back, SideState::Waiting) => "id-copy-scan-back",
                    (_, SideState::Scanning) => "id-copy-scanning",
                    (_, SideState::Done(_)) => "id-copy-scanned",
                    (_, SideState::Failed(p)) => match p {
                        ScanProblem::NoCard => "id-copy-no-card",
                        ScanProblem::NotACard => "id-copy-not-a-card",
                        ScanProblem::CoverOpen => "id-copy-cover-open",
                        ScanProblem::ScannerFault => "id-copy-scanner-fault",
                    },
                }
            }
            Step::Preview { .. } => "id-copy-preview",
            Step::Done(PrintState::Printing) => "wait-printing",
            Step::Done(PrintState::Printed(_)) => "id-copy-printed",
            Step::Done(PrintState::Failed(p)) => match p {
                CopyPrintProblem::PaperOut => "paper-out",
                CopyPrintProblem::PrinterFault => "printer-fault",
                CopyPrintProblem::NoPrinter => "id-copy-no-printer",
            },
        })
    }

    fn progress(&self) -> Option<Progress> {
        Some(match &self.step {
            Step::Purpose => Progress::new(1, 5),
            Step::Scan {
                side: CardSide::Front,
                ..
            } => Progress::new(2, 5),
            Step::Scan { .. } => Progress::new(3, 5),
            Step::Preview { .. } => Progress::new(4, 5),
            Step::Done(_) => Progress::new(5, 5),
        })
    }

    fn chrome(&self) -> Chrome {
        match self.step {
            // The last page has its own "finish".
            Step::Done(_) => Chrome::NONE,
            _ => Chrome::FULL,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match self.step {
            Step::Done(PrintState::Printing) => IdlePolicy::Paused,
            Step::Done(PrintState::Printed(since)) => IdlePolicy::DoneSince(since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        let step = std::mem::replace(&mut self.step, Step::Purpose);
        self.step = match step {
            Step::Purpose => return Nav::Menu,
            Step::Scan {
                purpose,
                side: CardSide::Back,
                front,
                back,
            } => Step::Scan {
                purpose,
                side: CardSide::Front,
                front,
                back,
            },
            Step::Scan { .. } => Step::Purpose,
            Step::Preview {
                purpose,
                front,
                back,
            } => Step::Scan {
                purpose,
                side: CardSide::Back,
                front: SideState::Done(front),
                back: SideState::Done(back),
            },
            done @ Step::Done(_) => done,
        };
        Nav::Stay
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        match (&mut self.step, event) {
            (Step::Scan { front, back, .. }, Event::Scanned(side, result)) => {
                let state = match side {
                    CardSide::Front => front,
                    CardSide::Back => back,
                };
                if *state != SideState::Scanning {
                    return false;
                }
                *state = match result {
                    Ok(img) => SideState::Done(img),
                    Err(p) => SideState::Failed(p),
                };
                true
            }
            (Step::Done(state @ PrintState::Printing), Event::Printed(result)) => {
                // Printed or not, nothing of the card is on the kiosk any more; on a failure
                // staff sort out the printer and the citizen is not kept waiting.
                *state = match result {
                    Ok(()) => PrintState::Printed(cx.now),
                    Err(p) => PrintState::Failed(p),
                };
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
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Job>>);
    impl CopyPort for FakePort {
        fn send(&self, job: Reply<Job>) {
            self.0.borrow_mut().push(job.event);
        }
    }

    fn img(v: u8) -> RgbaImage {
        RgbaImage {
            width: 1,
            height: 1,
            pixels: vec![v, v, v, 255],
        }
    }

    #[test]
    fn scan_both_sides_preview_print_and_no_image_stays() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::from_secs(1),
        };
        let mut flow = IdCopyFlow::new(port.clone());
        flow.choose_purpose(1);
        flow.next(); // nothing scanned: stays
        flow.scan(&mut cx);
        flow.scan(&mut cx); // already scanning: one job
        assert_eq!(port.0.borrow().len(), 1);
        assert!(flow.on_event(&mut cx, Event::Scanned(CardSide::Front, Ok(img(1)))));
        assert!(!flow.on_event(&mut cx, Event::Scanned(CardSide::Back, Ok(img(9)))));
        flow.next();
        flow.scan(&mut cx);
        assert!(flow.on_event(
            &mut cx,
            Event::Scanned(CardSide::Back, Err(ScanProblem::NoCard))
        ));
        flow.next(); // the back failed: stays
        assert!(matches!(
            flow.step(),
            Step::Scan {
                side: CardSide::Back,
                ..
            }
        ));
        flow.scan(&mut cx);
        assert!(flow.on_event(&mut cx, Event::Scanned(CardSide::Back, Ok(img(2)))));
        flow.next();
        assert!(matches!(flow.step(), Step::Preview { .. }));
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        flow.next();
        flow.print(&mut cx);
        assert_eq!(flow.step(), &Step::Done(PrintState::Printing));
        assert_eq!(flow.idle(), IdlePolicy::Paused);
        match port.0.borrow().last() {
            Some(Job::Print(order)) => assert_eq!(order.purpose, "办理居住证"),
            other => panic!("{other:?}"),
        }
        assert!(flow.on_event(&mut cx, Event::Printed(Ok(()))));
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(1)));
        assert!(!format!("{flow:?}").contains("pixels"));
    }

    #[test]
    fn back_walks_the_steps_backwards_to_the_menu() {
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = IdCopyFlow::new(Rc::new(FakePort::default()));
        flow.choose_purpose(0);
        flow.scan(&mut cx);
        flow.on_event(&mut cx, Event::Scanned(CardSide::Front, Ok(img(1))));
        flow.next();
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        assert!(matches!(
            flow.step(),
            Step::Scan {
                side: CardSide::Front,
                front: SideState::Done(_),
                ..
            }
        ));
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        assert_eq!(flow.step(), &Step::Purpose);
        assert_eq!(flow.back(&mut cx), Nav::Menu);
    }
}
