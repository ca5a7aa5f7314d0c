//! The certificate's steps: kind, the platform's data (a moment), the page to check, printing,
//! "take your certificate".

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::{
    CertificatePort, Event, KindView, Order, PrepareOrder, Prepared, PrintFailure, PrintedView,
    Problem,
};
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply};

/// Where the citizen is.
#[derive(Clone, PartialEq, Eq)]
pub enum Step {
    /// The kinds are being read from the catalog.
    LoadingKinds,
    /// Choose the kind.
    ChooseKind,
    /// The platform is asked for the data; the page is laid out and rasterised.
    Preparing {
        /// The chosen kind.
        kind: Arc<KindView>,
    },
    /// The page as it will print: print it, or go back.
    Preview {
        /// The certificate.
        doc: Arc<Prepared>,
    },
    /// Printing the certificate, then the slip.
    Printing {
        /// The certificate (kept until the printer answered, for a reprint by staff).
        doc: Arc<Prepared>,
    },
    /// "Take your certificate and the slip".
    Done {
        /// What came out.
        printed: PrintedView,
        /// Since when it shows (the session ends by itself after a while).
        since: Duration,
    },
    /// Something went wrong: what to do next.
    Problem {
        /// What.
        problem: Problem,
        /// The kind asked for, when there was one (the page names it).
        kind: Option<Arc<KindView>>,
        /// The case number of a certificate that did not print and is kept for a reprint.
        case_number: Option<String>,
    },
}

impl std::fmt::Debug for Step {
    // The step's name and what is not personal: a case number ties a log line to a person.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::LoadingKinds => f.write_str("LoadingKinds"),
            Step::ChooseKind => f.write_str("ChooseKind"),
            Step::Preparing { kind } => write!(f, "Preparing({:?})", kind.kind),
            Step::Preview { doc } => write!(f, "Preview({doc:?})"),
            Step::Printing { doc } => write!(f, "Printing({doc:?})"),
            Step::Done { printed, .. } => write!(f, "Done({printed:?})"),
            Step::Problem { problem, .. } => write!(f, "Problem({problem:?})"),
        }
    }
}

/// A citizen printing a certificate.
pub struct CertificateFlow {
    step: Step,
    port: Rc<dyn CertificatePort>,
    kinds: Vec<Arc<KindView>>,
}

impl std::fmt::Debug for CertificateFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CertificateFlow").field(&self.step).finish()
    }
}

fn problem(problem: Problem, kind: Option<Arc<KindView>>) -> Step {
    Step::Problem {
        problem,
        kind,
        case_number: None,
    }
}

impl CertificateFlow {
    /// The first step; the kinds are asked for at once.
    pub fn new(port: Rc<dyn CertificatePort>, cx: &mut Cx) -> Self {
        port.send(Reply {
            token: cx.session.token(),
            event: Order::Kinds,
        });
        Self {
            step: Step::LoadingKinds,
            port,
            kinds: Vec::new(),
        }
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The kinds offered.
    pub fn kinds(&self) -> &[Arc<KindView>] {
        &self.kinds
    }

    /// A kind tile (by its index): the platform is asked for the citizen's data.
    pub fn choose_kind(&mut self, index: usize, cx: &mut Cx) {
        if self.step != Step::ChooseKind {
            return;
        }
        let Some(kind) = self.kinds.get(index).cloned() else {
            return;
        };
        let Some(citizen) = cx.session.citizen() else {
            return;
        };
        let Some(holder) = citizen.case_holder.clone() else {
            return;
        };
        let order = PrepareOrder {
            kind: kind.clone(),
            holder,
            name: citizen.name.clone(),
            masked_id: citizen.masked_id.clone(),
        };
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::Prepare(order),
        });
        self.step = Step::Preparing { kind };
    }

    /// "Print" on the preview.
    pub fn print(&mut self, cx: &mut Cx) {
        let Step::Preview { doc } = &self.step else {
            return;
        };
        let doc = doc.clone();
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::Print(doc.clone()),
        });
        self.step = Step::Printing { doc };
    }

    /// "Choose another certificate" after a problem with one kind.
    pub fn choose_again(&mut self) {
        if matches!(
            self.step,
            Step::Problem {
                problem: Problem::NoRecord,
                ..
            }
        ) {
            self.step = Step::ChooseKind;
        }
    }
}

impl Flow for CertificateFlow {
    type Event = Event;

    /// The rating after the session is linked to the certificate's case.
    fn case_number(&self) -> Option<String> {
        match &self.step {
            Step::Done { printed, .. } => Some(printed.case_number.clone()),
            Step::Problem { case_number, .. } => case_number.clone(),
            _ => None,
        }
    }

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Problem { problem, .. } => Some(match problem {
                Problem::NoKinds => "no_kinds",
                Problem::NoRecord => "no_record",
                Problem::Unreachable => "unreachable",
                Problem::PaperOut => "paper_out",
                Problem::TonerOut => "toner_out",
                Problem::A4Fault => "a4_fault",
                Problem::Document => "document",
            }),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt names the first choice (the kinds load first).
            Step::LoadingKinds | Step::ChooseKind => return None,
            Step::Preparing { .. } => "certificate-preparing",
            Step::Preview { .. } => "certificate-preview",
            Step::Printing { .. } => "wait-printing",
            Step::Done {
                printed: PrintedView { slip: true, .. },
                ..
            } => "certificate-done",
            Step::Done {
                printed: PrintedView { slip: false, .. },
                ..
            } => "certificate-done-no-slip",
            // A certificate kept for a reprint (its case number on the page) is printed at
            // the service desk; one not kept (the printer failed before it was issued, or it
            // could not be kept) is not.
            Step::Problem {
                problem,
                case_number,
                ..
            } => {
                let kept = case_number.is_some();
                match problem {
                    Problem::NoKinds => "certificate-no-kinds",
                    Problem::NoRecord => "certificate-no-record",
                    Problem::Unreachable => "unreachable",
                    Problem::PaperOut if kept => "certificate-paper-out",
                    Problem::PaperOut => "paper-out",
                    Problem::TonerOut if kept => "certificate-toner-out",
                    Problem::TonerOut => "toner-out",
                    Problem::A4Fault if kept => "certificate-printer-fault",
                    Problem::A4Fault => "printer-fault",
                    Problem::Document => "certificate-document",
                }
            }
        })
    }

    fn progress(&self) -> Option<Progress> {
        Some(match self.step {
            Step::LoadingKinds | Step::ChooseKind => Progress::new(1, 3),
            Step::Preparing { .. } | Step::Preview { .. } => Progress::new(2, 3),
            Step::Printing { .. } | Step::Done { .. } => Progress::new(3, 3),
            Step::Problem { .. } => return None,
        })
    }

    fn chrome(&self) -> Chrome {
        match self.step {
            // The preview takes the whole height (the page has its own Back and Print).
            Step::Preparing { .. }
            | Step::Preview { .. }
            | Step::Printing { .. }
            | Step::Done { .. }
            | Step::Problem { .. } => Chrome::NONE,
            _ => Chrome::FULL,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match &self.step {
            Step::Preparing { .. } | Step::Printing { .. } => IdlePolicy::Paused,
            Step::Done { since, .. } => IdlePolicy::DoneSince(*since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        self.step = match &self.step {
            Step::LoadingKinds | Step::ChooseKind => return Nav::Menu,
            // Back from the preview drops the certificate: nothing printed, nothing kept.
            Step::Preview { .. } => Step::ChooseKind,
            Step::Preparing { .. }
            | Step::Printing { .. }
            | Step::Done { .. }
            | Step::Problem { .. } => return Nav::Stay,
        };
        Nav::Stay
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        match (&self.step, event) {
            (Step::LoadingKinds, Event::Kinds(answer)) => {
                self.step = match answer {
                    Ok(kinds) if kinds.is_empty() => problem(Problem::NoKinds, None),
                    Ok(kinds) => {
                        self.kinds = kinds;
                        Step::ChooseKind
                    }
                    Err(p) => problem(p, None),
                };
            }
            (Step::Preparing { kind }, Event::Prepared(answer)) => {
                self.step = match answer {
                    Ok(doc) => Step::Preview { doc },
                    Err(p) => problem(p, Some(kind.clone())),
                };
            }
            (Step::Printing { doc }, Event::Printed(outcome)) => {
                self.step = match outcome {
                    Ok(printed) => {
                        // The certificate is on paper: the citizen's data is not needed.
                        cx.session.forget_citizen();
                        Step::Done {
                            printed,
                            since: cx.now,
                        }
                    }
                    Err(PrintFailure {
                        problem,
                        case_number,
                        kept,
                    }) => Step::Problem {
                        problem,
                        kind: Some(doc.kind.clone()),
                        // The page sends the citizen to the desk with it when staff can
                        // reprint it.
                        case_number: kept.then_some(case_number),
                    },
                };
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Citizen, RgbaImage, Session};
    use crate::documents::certificate::CertificateKind;
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Order>>);
    impl CertificatePort for FakePort {
        fn send(&self, order: Reply<Order>) {
            self.0.borrow_mut().push(order.event);
        }
    }

    fn kind(k: CertificateKind) -> Arc<KindView> {
        Arc::new(KindView {
            kind: k,
            name_zh: k.title().into(),
            name_en: "x".into(),
            use_zh: String::new(),
            use_en: String::new(),
        })
    }

    fn prepared(k: Arc<KindView>) -> Arc<Prepared> {
        Arc::new(Prepared {
            kind: k,
            case_number: "SB-20261124-000501".into(),
            issued_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            masked_id: "110101********0015".into(),
            pdf: b"%PDF-".to_vec(),
            preview: RgbaImage {
                width: 1,
                height: 1,
                pixels: vec![255; 4],
            },
        })
    }

    fn kinds() -> Vec<Arc<KindView>> {
        vec![
            kind(CertificateKind::SocialInsuranceContribution),
            kind(CertificateKind::NoHousingProperty),
        ]
    }

    #[test]
    fn kind_preview_and_print_then_the_citizen_is_forgotten() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::from_secs(2),
        };
        let mut flow = CertificateFlow::new(port.clone(), &mut cx);
        assert_eq!(port.0.borrow()[0], Order::Kinds);
        assert!(flow.on_event(&mut cx, Event::Kinds(Ok(kinds()))));
        flow.choose_kind(7, &mut cx);
        assert_eq!(flow.step(), &Step::ChooseKind, "no such tile");
        flow.choose_kind(1, &mut cx);
        assert!(matches!(flow.step(), Step::Preparing { .. }));
        assert_eq!(flow.idle(), IdlePolicy::Paused);
        {
            let orders = port.0.borrow();
            let Order::Prepare(p) = &orders[1] else {
                panic!("{:?}", orders[1])
            };
            assert_eq!(p.kind.kind, CertificateKind::NoHousingProperty);
            assert_eq!(p.holder, "holder-hash");
            assert!(!format!("{p:?}").contains(&p.name));
        }
        let doc = prepared(kinds()[1].clone());
        assert!(flow.on_event(&mut cx, Event::Prepared(Ok(doc.clone()))));
        assert!(matches!(flow.step(), Step::Preview { .. }));
        flow.print(&mut cx);
        assert_eq!(port.0.borrow()[2], Order::Print(doc.clone()));
        assert!(matches!(flow.step(), Step::Printing { .. }));
        assert_eq!(flow.back(&mut cx), Nav::Stay, "no way back while printing");
        assert!(flow.on_event(
            &mut cx,
            Event::Printed(Ok(PrintedView {
                kind: doc.kind.clone(),
                case_number: doc.case_number.clone(),
                slip: true,
            }))
        ));
        assert!(matches!(flow.step(), Step::Done { .. }));
        assert!(!format!("{flow:?}").contains("000501"), "{flow:?}");
        assert!(cx.session.citizen().is_none());
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(2)));
        // A late second answer is not taken.
        assert!(!flow.on_event(&mut cx, Event::Kinds(Ok(kinds()))));
    }

    #[test]
    fn no_record_names_the_kind_and_lets_the_citizen_choose_another() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = CertificateFlow::new(port.clone(), &mut cx);
        flow.on_event(&mut cx, Event::Kinds(Ok(kinds())));
        flow.choose_kind(0, &mut cx);
        assert!(flow.on_event(&mut cx, Event::Prepared(Err(Problem::NoRecord))));
        let Step::Problem { problem, kind, .. } = flow.step() else {
            panic!("{:?}", flow.step())
        };
        assert_eq!(*problem, Problem::NoRecord);
        assert_eq!(
            kind.as_ref().unwrap().kind,
            CertificateKind::SocialInsuranceContribution
        );
        flow.choose_again();
        assert_eq!(flow.step(), &Step::ChooseKind);
        assert!(cx.session.citizen().is_some());
    }

    #[test]
    fn a_failed_print_keeps_its_case_number_and_back_from_the_preview_drops_it() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = CertificateFlow::new(port.clone(), &mut cx);
        flow.on_event(&mut cx, Event::Kinds(Ok(kinds())));
        flow.choose_kind(0, &mut cx);
        flow.on_event(&mut cx, Event::Prepared(Ok(prepared(kinds()[0].clone()))));
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        assert_eq!(flow.step(), &Step::ChooseKind);
        flow.choose_kind(0, &mut cx);
        flow.on_event(&mut cx, Event::Prepared(Ok(prepared(kinds()[0].clone()))));
        flow.print(&mut cx);
        assert!(flow.on_event(
            &mut cx,
            Event::Printed(Err(PrintFailure {
                problem: Problem::PaperOut,
                case_number: "SB-20261124-000501".into(),
                kept: true,
            }))
        ));
        assert!(matches!(
            flow.step(),
            Step::Problem { problem: Problem::PaperOut, case_number: Some(c), .. } if c == "SB-20261124-000501"
        ));
        // Not a "choose another" problem.
        flow.choose_again();
        assert!(matches!(flow.step(), Step::Problem { .. }));
    }

    #[test]
    fn an_empty_catalog_says_so() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = CertificateFlow::new(port, &mut cx);
        assert!(flow.on_event(&mut cx, Event::Kinds(Ok(Vec::new()))));
        assert!(matches!(
            flow.step(),
            Step::Problem {
                problem: Problem::NoKinds,
                ..
            }
        ));
        assert_eq!(flow.back(&mut cx), Nav::Stay);
    }
}
