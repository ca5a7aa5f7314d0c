//! The certificate's pages (`ui/services/certificate/`): maps the flow to
//! `CertificateAdapter` and wires its callbacks. The preview image is made from the worker's
//! pixels once per certificate and dropped when the flow leaves the preview.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{CertificateFlow, KindView, Problem, Step};
use crate::app::{Cx, Lang, Router};
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, CertificateAdapter, CertificateKindItem,
    CertificateProblemKind, CertificateStep, KioskUi,
};

/// What was last pushed: the kinds' language, and the case whose preview is on screen.
#[derive(Default)]
pub struct Adapter {
    kinds: RefCell<Option<(Lang, usize)>>,
    preview: RefCell<Option<String>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut CertificateFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::Certificate(flow) = flow {
            f(flow, cx)
        }
    });
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<CertificateAdapter>();
    a.on_choose_kind(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, cx| f.choose_kind(i.max(0) as usize, cx))
    }));
    a.on_print(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.print(cx))
    }));
    a.on_back(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| {
            crate::app::Flow::back(f, cx);
        })
    }));
    a.on_choose_again(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.choose_again())
    }));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<CertificateAdapter>();
    (a.get_title(), a.get_subtitle())
}

fn name(k: &KindView, lang: Lang) -> SharedString {
    lang.pick(&k.name_zh, &k.name_en).into()
}

fn problem_kind(p: Problem) -> CertificateProblemKind {
    match p {
        Problem::NoKinds => CertificateProblemKind::NoKinds,
        Problem::NoRecord => CertificateProblemKind::NoRecord,
        Problem::Unreachable => CertificateProblemKind::Unreachable,
        Problem::PaperOut => CertificateProblemKind::PaperOut,
        Problem::TonerOut => CertificateProblemKind::TonerOut,
        Problem::A4Fault => CertificateProblemKind::A4Fault,
        Problem::Document => CertificateProblemKind::Document,
    }
}

impl Adapter {
    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &CertificateFlow, lang: Lang) {
        let a = window.global::<CertificateAdapter>();
        match flow.step() {
            Step::LoadingKinds => a.set_step(CertificateStep::Loading),
            Step::ChooseKind => {
                self.forget_preview(window);
                a.set_step(CertificateStep::Kind);
                let key = (lang, flow.kinds().len());
                if *self.kinds.borrow() != Some(key) {
                    let items: Vec<CertificateKindItem> = flow
                        .kinds()
                        .iter()
                        .map(|k| CertificateKindItem {
                            name: name(k, lang),
                            purpose: lang.pick(&k.use_zh, &k.use_en).into(),
                        })
                        .collect();
                    a.set_kinds(ModelRc::new(VecModel::from(items)));
                    *self.kinds.borrow_mut() = Some(key);
                }
            }
            Step::Preparing { kind } => {
                a.set_step(CertificateStep::Preparing);
                a.set_kind_label(name(kind, lang));
            }
            Step::Preview { doc } => {
                a.set_step(CertificateStep::Preview);
                a.set_kind_label(name(&doc.kind, lang));
                a.set_case_number(doc.case_number.as_str().into());
                if self.preview.borrow().as_deref() != Some(doc.case_number.as_str()) {
                    a.set_preview(crate::ui::slint_image(&doc.preview));
                    *self.preview.borrow_mut() = Some(doc.case_number.clone());
                }
            }
            Step::Printing { doc } => {
                // The page went to the printer: its picture leaves the UI.
                self.forget_preview(window);
                a.set_step(CertificateStep::Printing);
                a.set_kind_label(name(&doc.kind, lang));
            }
            Step::Done { printed, .. } => {
                a.set_step(CertificateStep::Done);
                a.set_kind_label(name(&printed.kind, lang));
                a.set_case_number(printed.case_number.as_str().into());
                a.set_slip(printed.slip);
            }
            Step::Problem {
                problem,
                kind,
                case_number,
            } => {
                self.forget_preview(window);
                a.set_step(CertificateStep::Problem);
                a.set_problem(problem_kind(*problem));
                a.set_kind_label(kind.as_ref().map(|k| name(k, lang)).unwrap_or_default());
                a.set_case_number(case_number.as_deref().unwrap_or("").into());
            }
        }
    }

    fn forget_preview(&self, window: &AppWindow) {
        if self.preview.borrow_mut().take().is_some() {
            window
                .global::<CertificateAdapter>()
                .set_preview(slint::Image::default());
        }
    }

    /// The flow left the screen: the preview, the kind and the case number go with it.
    pub fn clear(&self, window: &AppWindow) {
        let a = window.global::<CertificateAdapter>();
        a.set_preview(slint::Image::default());
        a.set_kind_label(SharedString::new());
        a.set_case_number(SharedString::new());
        a.set_problem(CertificateProblemKind::None);
        a.set_kinds(ModelRc::default());
        *self.preview.borrow_mut() = None;
        *self.kinds.borrow_mut() = None;
    }
}
