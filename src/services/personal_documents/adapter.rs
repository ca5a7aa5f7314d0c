//! The personal documents' pages (`ui/services/personal_documents/`): maps the flow to
//! `DocumentsAdapter` and wires its callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{DocumentItem, PersonalDocumentsFlow, PrintProblem, Problem, Step, PURPOSES};
use crate::app::{Cx, Lang, RgbaImage, Router};
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, DocumentRow, DocumentsAdapter, DocumentsProblemKind,
    DocumentsStep, KioskUi,
};

/// What was last pushed, so a render rebuilds only what changed: the list and purposes per
/// language, and the page picture (made once per page, not on every render).
#[derive(Default)]
pub struct Adapter {
    lists: RefCell<Option<(Lang, usize)>>,
    page: RefCell<Option<(RgbaImage, slint::Image)>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut PersonalDocumentsFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::PersonalDocuments(flow) = flow {
            f(flow, cx)
        }
    });
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<DocumentsAdapter>();
    a.on_open(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, cx| {
            f.open(usize::try_from(i).unwrap_or(usize::MAX), cx)
        })
    }));
    a.on_choose_purpose(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, cx| {
            f.choose_purpose(usize::try_from(i).unwrap_or(usize::MAX), cx)
        })
    }));
    a.on_print(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.print(cx))
    }));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<DocumentsAdapter>();
    (a.get_title(), a.get_subtitle())
}

/// `2026年03月02日` / `2 Mar 2026`.
pub fn date_label(d: chrono::NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => d.format("%Y年%m月%d日").to_string(),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

/// One row of the list, in the language on screen (the tests find documents by `title`).
pub fn row(d: &DocumentItem, lang: Lang) -> DocumentRow {
    let mut date = date_label(d.issued_on, lang);
    if let Some(until) = d.valid_until {
        date.push_str(&match lang {
            Lang::Zh => format!("（有效期至{}）", date_label(until, lang)),
            Lang::En => format!(" (valid to {})", date_label(until, lang)),
        });
    }
    DocumentRow {
        title: lang.pick(&d.title_zh, &d.title_en).into(),
        category: match (d.certificate, lang) {
            (false, Lang::Zh) => "电子证照",
            (false, Lang::En) => "Electronic licence",
            (true, Lang::Zh) => "证明",
            (true, Lang::En) => "Certificate",
        }
        .into(),
        issuer: lang.pick(&d.issuer_zh, &d.issuer_en).into(),
        date: date.into(),
    }
}

fn problem_kind(p: Problem) -> DocumentsProblemKind {
    match p {
        Problem::NoCard => DocumentsProblemKind::NoCard,
        Problem::Unreachable => DocumentsProblemKind::Unreachable,
        Problem::NotFound => DocumentsProblemKind::NotFound,
        Problem::Layout => DocumentsProblemKind::Layout,
        Problem::Print(PrintProblem::PaperOut) => DocumentsProblemKind::PaperOut,
        Problem::Print(PrintProblem::TonerOut) => DocumentsProblemKind::TonerOut,
        Problem::Print(PrintProblem::PrinterFault) => DocumentsProblemKind::PrinterFault,
        Problem::Print(PrintProblem::NoPrinter) => DocumentsProblemKind::NoPrinter,
    }
}

impl Adapter {
    fn lists(&self, window: &AppWindow, flow: &PersonalDocumentsFlow, lang: Lang) {
        let key = (lang, flow.documents().len());
        if *self.lists.borrow() == Some(key) {
            return;
        }
        let a = window.global::<DocumentsAdapter>();
        let rows: Vec<DocumentRow> = flow.documents().iter().map(|d| row(d, lang)).collect();
        a.set_documents(ModelRc::new(VecModel::from(rows)));
        let purposes: Vec<SharedString> = PURPOSES
            .iter()
            .map(|(zh, en)| lang.pick(zh, en).into())
            .collect();
        a.set_purposes(ModelRc::new(VecModel::from(purposes)));
        *self.lists.borrow_mut() = Some(key);
    }

    fn page_image(&self, img: Option<&RgbaImage>) -> slint::Image {
        let Some(img) = img else {
            return slint::Image::default();
        };
        let mut cache = self.page.borrow_mut();
        if let Some((i, made)) = cache.as_ref() {
            if i == img {
                return made.clone();
            }
        }
        let made = crate::ui::slint_image(img);
        *cache = Some((img.clone(), made.clone()));
        made
    }

    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &PersonalDocumentsFlow, lang: Lang) {
        self.lists(window, flow, lang);
        let a = window.global::<DocumentsAdapter>();
        match flow.step() {
            Step::Loading => a.set_step(DocumentsStep::Loading),
            Step::List => a.set_step(DocumentsStep::List),
            Step::Empty => a.set_step(DocumentsStep::Empty),
            Step::Preview {
                purpose,
                page,
                rendering,
                need_purpose,
                ..
            } => {
                a.set_step(DocumentsStep::Preview);
                if let Some(d) = flow.previewed() {
                    a.set_document_title(lang.pick(&d.title_zh, &d.title_en).into());
                }
                a.set_page(self.page_image(page.as_ref().map(|p| &p.image)));
                a.set_rendering(*rendering);
                a.set_purpose(purpose.map_or(-1, |p| p as i32));
                a.set_need_purpose(*need_purpose);
            }
            Step::Printing => {
                a.set_step(DocumentsStep::Printing);
                // The page went to the printer: no picture of it stays in the UI.
                self.forget_page(window);
            }
            Step::Done { .. } => {
                a.set_step(DocumentsStep::Done);
                self.forget_page(window);
            }
            Step::Problem(p) => {
                a.set_step(DocumentsStep::Problem);
                a.set_problem(problem_kind(*p));
                self.forget_page(window);
            }
        }
    }

    fn forget_page(&self, window: &AppWindow) {
        window
            .global::<DocumentsAdapter>()
            .set_page(slint::Image::default());
        *self.page.borrow_mut() = None;
    }

    /// The flow left the screen: the list and the page go with it.
    pub fn clear(&self, window: &AppWindow) {
        self.forget_page(window);
        let a = window.global::<DocumentsAdapter>();
        a.set_documents(ModelRc::new(VecModel::from(Vec::<DocumentRow>::new())));
        a.set_document_title(SharedString::new());
        *self.lists.borrow_mut() = None;
    }
}
