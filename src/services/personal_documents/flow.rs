//! The personal documents' steps: the list, the page with its purpose, printing. The page
//! (PDF and picture) lives in the preview step only; once it is sent to the printer the
//! flow holds none of it, and the list goes with the flow at the session's end.

use std::rc::Rc;
use std::time::Duration;

use super::{
    DocumentItem, DocumentsPort, Event, Order, PagePreview, PrintProblem, Problem, PURPOSES,
};
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply};

/// Where the citizen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The platform is asked for the list.
    Loading,
    /// The list ([`PersonalDocumentsFlow::documents`]).
    List,
    /// The platform keeps no document for the citizen.
    Empty,
    /// One document's page, as it will print, and the purpose beside it.
    Preview {
        /// Index into the list.
        doc: usize,
        /// Index into [`PURPOSES`]; `None` until the citizen picks one.
        purpose: Option<usize>,
        /// The page laid out for `purpose` (`None` while the first one is being made).
        page: Option<PagePreview>,
        /// A page for `purpose` is being made: printing waits for it.
        rendering: bool,
        /// "Print" was touched with no purpose: the page says to pick one.
        need_purpose: bool,
    },
    /// The page is at the printer.
    Printing,
    /// Printed, since then (the session ends by itself after a while).
    Done {
        /// Since when it shows.
        since: Duration,
    },
    /// Something went wrong: what to do next.
    Problem(Problem),
}

/// A citizen looking at their documents.
pub struct PersonalDocumentsFlow {
    step: Step,
    port: Rc<dyn DocumentsPort>,
    documents: Vec<DocumentItem>,
}

impl std::fmt::Debug for PersonalDocumentsFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PersonalDocumentsFlow")
            .field(&self.step)
            .finish()
    }
}

fn holder(cx: &Cx) -> Option<String> {
    cx.session.citizen().and_then(|c| c.case_holder.clone())
}

impl PersonalDocumentsFlow {
    /// The first step: the list is asked for at once (by the card's holder hash; without a
    /// card there is nothing to look up).
    pub fn new(port: Rc<dyn DocumentsPort>, cx: &mut Cx) -> Self {
        let step = match holder(cx) {
            Some(holder) => {
                port.send(Reply {
                    token: cx.session.token(),
                    event: Order::List { holder },
                });
                Step::Loading
            }
            None => Step::Problem(Problem::NoCard),
        };
        Self {
            step,
            port,
            documents: Vec::new(),
        }
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The citizen's documents, once the platform answered.
    pub fn documents(&self) -> &[DocumentItem] {
        &self.documents
    }

    /// The document on the preview, if one is.
    pub fn previewed(&self) -> Option<&DocumentItem> {
        match &self.step {
            Step::Preview { doc, .. } => self.documents.get(*doc),
            _ => None,
        }
    }

    fn ask_page(&mut self, cx: &mut Cx, doc: usize, purpose: Option<usize>) -> bool {
        let (Some(holder), Some(d)) = (holder(cx), self.documents.get(doc)) else {
            return false;
        };
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::Preview {
                holder,
                id: d.id.clone(),
                purpose,
            },
        });
        true
    }

    /// A document of the list: its page is laid out (with no overlay yet).
    pub fn open(&mut self, index: usize, cx: &mut Cx) {
        if self.step != Step::List || !self.ask_page(cx, index, None) {
            return;
        }
        self.step = Step::Preview {
            doc: index,
            purpose: None,
            page: None,
            rendering: true,
            need_purpose: false,
        };
    }

    /// A purpose beside the page: the page is laid out again with its overlay.
    pub fn choose_purpose(&mut self, index: usize, cx: &mut Cx) {
        let Step::Preview { doc, purpose, .. } = &self.step else {
            return;
        };
        if index >= PURPOSES.len() || *purpose == Some(index) {
            return;
        }
        let doc = *doc;
        if self.ask_page(cx, doc, Some(index)) {
            if let Step::Preview {
                purpose,
                rendering,
                need_purpose,
                ..
            } = &mut self.step
            {
                *purpose = Some(index);
                *rendering = true;
                *need_purpose = false;
            }
        }
    }

    /// "Print": only the page on screen, only with an overlay; the page leaves the flow.
    pub fn print(&mut self, cx: &mut Cx) {
        let Step::Preview {
            purpose,
            page,
            rendering,
            need_purpose,
            ..
        } = &mut self.step
        else {
            return;
        };
        if purpose.is_none() {
            // Never a copy without its "仅供…使用": the citizen is asked to pick one.
            *need_purpose = true;
            return;
        }
        if *rendering {
            return;
        }
        let Some(page) = page.take() else {
            return;
        };
        self.port.send(Reply {
            token: cx.session.token(),
            event: Order::Print { pdf: page.pdf },
        });
        self.step = Step::Printing;
    }
}

impl Flow for PersonalDocumentsFlow {
    type Event = Event;

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Problem(p) => Some(match p {
                Problem::NoCard => "no_card",
                Problem::Unreachable => "unreachable",
                Problem::NotFound => "not_found",
                Problem::Layout => "layout",
                Problem::Print(_) => "a4_printer",
            }),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt names the first choice (the list comes at once).
            Step::Loading | Step::List => return None,
            Step::Empty => "personal-documents-empty",
            Step::Preview {
                need_purpose: false,
                ..
            } => "personal-documents-purpose",
            Step::Preview {
                need_purpose: true, ..
            } => "personal-documents-purpose-missing",
            Step::Printing => "wait-printing",
            Step::Done { .. } => "take-printout",
            Step::Problem(p) => match p {
                Problem::NoCard => "personal-documents-no-card",
                Problem::Unreachable => "unreachable",
                Problem::NotFound => "personal-documents-not-found",
                Problem::Layout => "personal-documents-layout",
                Problem::Print(PrintProblem::PaperOut) => "paper-out",
                Problem::Print(PrintProblem::TonerOut) => "toner-out",
                Problem::Print(PrintProblem::PrinterFault) => "printer-fault",
                Problem::Print(PrintProblem::NoPrinter) => "personal-documents-no-printer",
            },
        })
    }

    fn progress(&self) -> Option<Progress> {
        Some(match self.step {
            Step::Loading | Step::List | Step::Empty => Progress::new(1, 3),
            Step::Preview { .. } => Progress::new(2, 3),
            Step::Printing | Step::Done { .. } => Progress::new(3, 3),
            Step::Problem(_) => return None,
        })
    }

    fn chrome(&self) -> Chrome {
        match self.step {
            // The preview page is as tall as the screen allows and has its own buttons.
            Step::Preview { .. } | Step::Printing | Step::Done { .. } => Chrome::NONE,
            Step::Problem(Problem::Print(_)) => Chrome::FINISH_ONLY,
            _ => Chrome::FULL,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match self.step {
            // Loading counts as idle: an answer that never comes must not hold the session.
            Step::Printing => IdlePolicy::Paused,
            Step::Done { since } => IdlePolicy::DoneSince(since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        match self.step {
            Step::Preview { .. } => {
                self.step = Step::List;
                Nav::Stay
            }
            Step::Problem(Problem::NotFound | Problem::Layout) if !self.documents.is_empty() => {
                self.step = Step::List;
                Nav::Stay
            }
            Step::Printing | Step::Done { .. } | Step::Problem(Problem::Print(_)) => Nav::Stay,
            _ => Nav::Menu,
        }
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        match (&mut self.step, event) {
            (Step::Loading, Event::Listed(result)) => {
                self.step = match result {
                    Ok(list) if list.is_empty() => Step::Empty,
                    Ok(list) => {
                        self.documents = list;
                        Step::List
                    }
                    Err(p) => Step::Problem(p),
                };
                true
            }
            (
                Step::Preview {
                    doc,
                    purpose,
                    page,
                    rendering,
                    ..
                },
                Event::Previewed {
                    id,
                    purpose: made_for,
                    result,
                },
            ) => {
                // Only the page for what is on screen now: an older purpose's is dropped.
                let current = self.documents.get(*doc).is_some_and(|d| d.id == id);
                if !current || made_for != *purpose || !*rendering {
                    return false;
                }
                match result {
                    Ok(p) => {
                        *page = Some(p);
                        *rendering = false;
                    }
                    Err(p) => self.step = Step::Problem(p),
                }
                true
            }
            (Step::Printing, Event::Printed(result)) => {
                self.step = match result {
                    Ok(()) => Step::Done { since: cx.now },
                    Err(p) => Step::Problem(p),
                };
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::PrintProblem;
    use super::*;
    use crate::app::{Citizen, RgbaImage, Session};
    use std::cell::RefCell;
    use std::sync::Arc;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Order>>);
    impl DocumentsPort for FakePort {
        fn send(&self, order: Reply<Order>) {
            self.0.borrow_mut().push(order.event);
        }
    }

    fn item(id: &str) -> DocumentItem {
        DocumentItem {
            id: id.into(),
            certificate: false,
            kind: "driving_licence".into(),
            title_zh: "机动车驾驶证".into(),
            title_en: "Driving licence".into(),
            issuer_zh: "交警支队".into(),
            issuer_en: "Traffic police".into(),
            issued_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            valid_until: None,
        }
    }

    fn page(v: u8) -> PagePreview {
        PagePreview {
            pdf: Arc::new(vec![v; 8]),
            image: RgbaImage {
                width: 1,
                height: 1,
                pixels: vec![v, v, v, 255],
            },
        }
    }

    #[test]
    fn list_preview_purpose_print_and_the_page_leaves_the_flow() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::from_secs(3),
        };
        let mut flow = PersonalDocumentsFlow::new(port.clone(), &mut cx);
        assert!(matches!(port.0.borrow()[0], Order::List { .. }));
        assert!(flow.on_event(&mut cx, Event::Listed(Ok(vec![item("A"), item("B")]))));
        assert_eq!(flow.step(), &Step::List);
        flow.open(1, &mut cx);
        assert_eq!(flow.previewed().map(|d| d.id.as_str()), Some("B"));
        assert!(flow.on_event(
            &mut cx,
            Event::Previewed {
                id: "B".into(),
                purpose: None,
                result: Ok(page(1)),
            }
        ));
        // No purpose: print is refused and nothing is sent.
        let sent = port.0.borrow().len();
        flow.print(&mut cx);
        assert!(matches!(
            flow.step(),
            Step::Preview {
                need_purpose: true,
                ..
            }
        ));
        assert_eq!(port.0.borrow().len(), sent);
        flow.choose_purpose(2, &mut cx);
        // While the page for the purpose is made, print waits.
        flow.print(&mut cx);
        assert!(matches!(
            flow.step(),
            Step::Preview {
                rendering: true,
                ..
            }
        ));
        // A late page for no purpose is dropped.
        assert!(!flow.on_event(
            &mut cx,
            Event::Previewed {
                id: "B".into(),
                purpose: None,
                result: Ok(page(1)),
            }
        ));
        assert!(flow.on_event(
            &mut cx,
            Event::Previewed {
                id: "B".into(),
                purpose: Some(2),
                result: Ok(page(2)),
            }
        ));
        flow.print(&mut cx);
        assert_eq!(flow.step(), &Step::Printing);
        match port.0.borrow().last() {
            Some(Order::Print { pdf }) => assert_eq!(pdf.as_slice(), &[2; 8]),
            other => panic!("{other:?}"),
        }
        assert!(flow.on_event(&mut cx, Event::Printed(Ok(()))));
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(3)));
        assert!(!format!("{flow:?}").contains("pixels"));
    }

    #[test]
    fn no_card_empty_list_and_failures_say_why() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen {
            case_holder: None,
            ..Citizen::sample()
        });
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let flow = PersonalDocumentsFlow::new(port.clone(), &mut cx);
        assert_eq!(flow.step(), &Step::Problem(Problem::NoCard));
        assert!(port.0.borrow().is_empty());

        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = PersonalDocumentsFlow::new(port.clone(), &mut cx);
        assert!(flow.on_event(&mut cx, Event::Listed(Ok(vec![]))));
        assert_eq!(flow.step(), &Step::Empty);
        assert_eq!(flow.back(&mut cx), Nav::Menu);

        let mut flow = PersonalDocumentsFlow::new(port.clone(), &mut cx);
        assert!(flow.on_event(&mut cx, Event::Listed(Err(Problem::Unreachable))));
        assert_eq!(flow.step(), &Step::Problem(Problem::Unreachable));

        let mut flow = PersonalDocumentsFlow::new(port.clone(), &mut cx);
        flow.on_event(&mut cx, Event::Listed(Ok(vec![item("A")])));
        flow.open(0, &mut cx);
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        assert_eq!(flow.step(), &Step::List);
        flow.open(0, &mut cx);
        flow.choose_purpose(0, &mut cx);
        flow.on_event(
            &mut cx,
            Event::Previewed {
                id: "A".into(),
                purpose: Some(0),
                result: Ok(page(3)),
            },
        );
        flow.print(&mut cx);
        assert!(flow.on_event(
            &mut cx,
            Event::Printed(Err(Problem::Print(PrintProblem::PaperOut)))
        ));
        assert_eq!(
            flow.step(),
            &Step::Problem(Problem::Print(PrintProblem::PaperOut))
        );
        assert_eq!(flow.chrome(), Chrome::FINISH_ONLY);
    }
}
