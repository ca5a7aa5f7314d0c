//! Following a case (`ui/services/case_progress/`): maps the flow to `CaseProgressAdapter`
//! and wires its callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{CaseOutcome, CaseProblem, CaseProgressFlow, CaseState, Step, CASE_PREFIXES};
use crate::app::{Cx, Lang, Router, Session};
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, CaseItem, CaseProgressAdapter, CaseProgressStep,
    CaseResultKind, CaseStepItem, KioskUi, PrefixItem,
};

/// What was last pushed: the prefix chips (per language) and the answer's list.
#[derive(Default)]
pub struct Adapter {
    prefixes: RefCell<Option<Lang>>,
    answer: RefCell<Option<(CaseOutcome, Lang)>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut CaseProgressFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::CaseProgress(flow) = flow {
            f(flow, cx)
        }
    });
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let p = window.global::<CaseProgressAdapter>();
    p.on_by_card(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.by_card(cx))
    }));
    p.on_type_number(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.type_number())
    }));
    p.on_prefix(on_router_with(ui, |r, now, code: SharedString| {
        with_flow(r, now, |f, _| f.edit(|e| e.set_prefix(&code)))
    }));
    p.on_digit(on_router_with(ui, |r, now, d: SharedString| {
        with_flow(r, now, |f, _| {
            f.edit(|e| d.chars().for_each(|c| e.digit(c)))
        })
    }));
    p.on_backspace(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.edit(|e| e.backspace()))
    }));
    p.on_submit(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.submit(cx))
    }));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<CaseProgressAdapter>();
    (a.get_title(), a.get_subtitle())
}

fn pick(lang: Lang, zh: &str, en: &str) -> SharedString {
    lang.pick(zh, en).into()
}

impl Adapter {
    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &CaseProgressFlow, session: &Session) {
        let lang = session.lang();
        let p = window.global::<CaseProgressAdapter>();
        match flow.step() {
            Step::Start => {
                p.set_step(CaseProgressStep::Start);
                // "My applications" needs the card's holder key (none after a scanned receipt).
                p.set_has_card(session.citizen().is_some_and(|c| c.case_holder.is_some()));
            }
            Step::Entry(entry) => {
                p.set_step(CaseProgressStep::Entry);
                if *self.prefixes.borrow() != Some(lang) {
                    let prefixes: Vec<PrefixItem> = CASE_PREFIXES
                        .iter()
                        .map(|(code, zh, en)| PrefixItem {
                            code: (*code).into(),
                            name: pick(lang, zh, en),
                        })
                        .collect();
                    p.set_prefixes(ModelRc::new(VecModel::from(prefixes)));
                    *self.prefixes.borrow_mut() = Some(lang);
                }
                p.set_chosen_prefix(entry.prefix().into());
                p.set_case_display(entry.display().into());
                p.set_can_submit(entry.complete().is_some());
            }
            Step::Asking => {
                p.set_step(CaseProgressStep::Result);
                p.set_result(CaseResultKind::Loading);
            }
            Step::Answered(outcome) => {
                p.set_step(CaseProgressStep::Result);
                let key = Some((outcome.clone(), lang));
                if *self.answer.borrow() != key {
                    self.show(window, outcome, lang);
                    *self.answer.borrow_mut() = key;
                }
            }
        }
    }

    fn show(&self, window: &AppWindow, outcome: &CaseOutcome, lang: Lang) {
        let p = window.global::<CaseProgressAdapter>();
        let (kind, cases) = match outcome {
            Ok(list) => (
                CaseResultKind::Found,
                list.iter()
                    .map(|v| CaseItem {
                        number: v.case_number.clone().into(),
                        matter: pick(lang, &v.matter_zh, &v.matter_en),
                        status: pick(lang, &v.status_zh, &v.status_en),
                        state: match v.state {
                            CaseState::Received => 0,
                            CaseState::InReview => 1,
                            CaseState::Approved => 2,
                            CaseState::ReadyForPickup => 3,
                            CaseState::Rejected => 4,
                        },
                        updated: v.updated_at.clone().into(),
                        pickup: pick(lang, &v.pickup_zh, &v.pickup_en),
                        steps: ModelRc::new(VecModel::from(
                            v.steps
                                .iter()
                                .map(|s| CaseStepItem {
                                    name: pick(lang, &s.name_zh, &s.name_en),
                                    at: s.at.clone().into(),
                                    done: s.done,
                                })
                                .collect::<Vec<_>>(),
                        )),
                    })
                    .collect(),
            ),
            Err(problem) => (
                match problem {
                    CaseProblem::NotFound => CaseResultKind::NotFound,
                    CaseProblem::NoneForHolder => CaseResultKind::NoneForHolder,
                    CaseProblem::Unreachable => CaseResultKind::Unreachable,
                    CaseProblem::ForgedCode => CaseResultKind::Forged,
                    CaseProblem::ForeignCode => CaseResultKind::Foreign,
                    CaseProblem::QueueTicketCode => CaseResultKind::QueueTicket,
                    CaseProblem::UnreadableCode => CaseResultKind::Unreadable,
                },
                Vec::new(),
            ),
        };
        p.set_result(kind);
        p.set_cases(ModelRc::new(VecModel::from(cases)));
    }

    /// The flow left the screen: the cases shown go with it.
    pub fn clear(&self, window: &AppWindow) {
        let p = window.global::<CaseProgressAdapter>();
        p.set_cases(ModelRc::default());
        p.set_case_display(SharedString::new());
        *self.answer.borrow_mut() = None;
    }
}
