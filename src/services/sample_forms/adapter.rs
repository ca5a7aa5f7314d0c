//! The sample-forms pages (`ui/services/sample_forms/`): maps the flow to
//! `SampleFormsAdapter` and wires its callbacks. The department and A–Z bars are pushed once
//! per library and language, the list only when the results change, the page image only
//! when another page arrives (its pixels were decoded on the worker thread).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use kiosk_platform::api::sample_forms::PageKind;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::flow::{Browse, KeyProblem, PageState, PrintChoice, SampleFormsFlow, Step};
use super::{Key, Library, PageImage, PageProblem, PrintProblem, PrintState};
use crate::app::{Cx, Lang, Router, Session};
use crate::devices::a4_printer::A4Problem;
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, FormsLetter, FormsNotice, FormsPageState,
    FormsPrintFailure, FormsPrintKind, FormsResult, FormsStep, KioskUi, SampleFormsAdapter,
};

/// What is on screen, so a render pushes only what changed.
#[derive(Default)]
struct Shown {
    /// The library (by identity) and language of the bars.
    bars: Option<(usize, Lang)>,
    /// The results and language of the list.
    list: Option<(Vec<usize>, Lang)>,
    /// The page image pushed.
    image: Option<PageImage>,
    /// The form whose QR code is pushed.
    qr: Option<String>,
}

/// The pages' state between renders.
#[derive(Default)]
pub struct Adapter {
    shown: RefCell<Shown>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut SampleFormsFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::SampleForms(flow) = flow {
            f(flow, cx)
        }
    });
}

fn first_char(s: &SharedString) -> Option<char> {
    s.chars().next()
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<SampleFormsAdapter>();
    a.on_choose_department(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, _| f.choose_department(usize::try_from(i).ok()))
    }));
    a.on_choose_letter(on_router_with(ui, |r, now, l: SharedString| {
        with_flow(r, now, |f, _| f.choose_letter(first_char(&l)))
    }));
    a.on_type_letter(on_router_with(ui, |r, now, l: SharedString| {
        with_flow(r, now, |f, _| {
            if let Some(c) = first_char(&l) {
                f.type_letter(c)
            }
        })
    }));
    a.on_pick_char(on_router_with(ui, |r, now, c: SharedString| {
        with_flow(r, now, |f, _| {
            if let Some(c) = first_char(&c) {
                f.pick_char(c)
            }
        })
    }));
    a.on_delete_key(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.delete_key())
    }));
    a.on_clear_keys(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.clear_keys())
    }));
    a.on_open(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, cx| {
            if let Ok(i) = usize::try_from(i) {
                f.open(cx, i)
            }
        })
    }));
    a.on_turn_page(on_router_with(ui, |r, now, d: i32| {
        with_flow(r, now, |f, cx| f.turn_page(cx, d))
    }));
    a.on_show_sample(on_router_with(ui, |r, now, sample: bool| {
        let kind = if sample {
            PageKind::Sample
        } else {
            PageKind::Blank
        };
        with_flow(r, now, |f, cx| f.show_kind(cx, kind))
    }));
    a.on_zoom_in(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.zoom_in())
    }));
    a.on_zoom_out(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.zoom_out())
    }));
    a.on_set_zoom(on_router_with(ui, |r, now, z: f32| {
        with_flow(r, now, |f, _| f.set_zoom(z * 100.0))
    }));
    a.on_print(on_router_with(ui, |r, now, what: i32| {
        let what = match what {
            0 => PrintChoice::Blank,
            1 => PrintChoice::Sample,
            _ => PrintChoice::Prefilled,
        };
        with_flow(r, now, |f, cx| f.print(cx, what))
    }));
}

/// The menu tile's title and subtitle in the language on screen; `printer_missing` when
/// the A4 printer is at fault (the tile still opens: browsing needs no printer).
pub fn tile(window: &AppWindow, printer_missing: bool) -> (SharedString, SharedString) {
    let a = window.global::<SampleFormsAdapter>();
    let subtitle = if printer_missing {
        a.get_subtitle_no_printer()
    } else {
        a.get_subtitle()
    };
    (a.get_title(), subtitle)
}

/// The search line as typed: characters as they are, letters in capitals.
pub fn typed(keys: &[Key]) -> String {
    keys.iter()
        .map(|k| match k {
            Key::Letter(l) => char::from(*l).to_ascii_uppercase(),
            Key::Char(c) => *c,
        })
        .collect()
}

fn print_kind(state: PrintState) -> FormsPrintKind {
    match state {
        PrintState::Checking => FormsPrintKind::Checking,
        PrintState::Ready => FormsPrintKind::Ready,
        PrintState::Unavailable(p) => match p {
            A4Problem::NoPrinter => FormsPrintKind::NoPrinter,
            A4Problem::PaperOut => FormsPrintKind::PaperOut,
            A4Problem::TonerOut => FormsPrintKind::TonerOut,
            A4Problem::Jam => FormsPrintKind::Jam,
            A4Problem::CoverOpen => FormsPrintKind::CoverOpen,
            A4Problem::Offline => FormsPrintKind::Offline,
            A4Problem::JobFailed => FormsPrintKind::Fault,
        },
    }
}

impl Adapter {
    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &SampleFormsFlow, session: &Session) {
        let a = window.global::<SampleFormsAdapter>();
        let lang = session.lang();
        match flow.step() {
            Step::Loading => a.set_step(FormsStep::Loading),
            Step::NoLibrary => a.set_step(FormsStep::NoLibrary),
            Step::Browse(b) => {
                if let Some(lib) = flow.library() {
                    self.browse(window, lib, b, lang);
                }
                a.set_step(FormsStep::Browse);
            }
            Step::Viewing(v) | Step::Printing(v) => {
                let Some(lib) = flow.library() else {
                    return;
                };
                let Some(form) = lib.forms.forms.get(v.form) else {
                    return;
                };
                a.set_form_name(form.name_zh.clone().into());
                a.set_form_id(form.id.clone().into());
                let dept = lib.forms.department(&form.department);
                a.set_form_department(
                    dept.map(|d| lang.pick(&d.name_zh, &d.name_en).to_owned())
                        .unwrap_or_default()
                        .into(),
                );
                a.set_page(i32::from(v.page));
                a.set_pages(i32::from(form.pages));
                a.set_sample(v.kind == PageKind::Sample);
                a.set_zoom(f32::from(v.zoom) / 100.0);
                let mut shown = self.shown.borrow_mut();
                match &v.image {
                    PageState::Loading => a.set_page_state(FormsPageState::Loading),
                    PageState::Missing(p) => a.set_page_state(match p {
                        PageProblem::NotCached => FormsPageState::NotCached,
                        PageProblem::Broken => FormsPageState::Broken,
                    }),
                    PageState::Shown(img) => {
                        if shown.image.as_ref() != Some(img) {
                            // A clone of the buffer shares its pixels: no copy here.
                            a.set_page_image(slint::Image::from_rgba8(img.0.clone()));
                            shown.image = Some(img.clone());
                        }
                        a.set_page_state(FormsPageState::Shown);
                    }
                }
                if shown.qr.as_deref() != Some(form.id.as_str()) {
                    if let Some(url) = flow.phone_url() {
                        a.set_qr(crate::ui::qr_image(&url));
                        shown.qr = Some(form.id.clone());
                    }
                }
                a.set_print_state(print_kind(v.print));
                a.set_print_failure(match v.failed {
                    None => FormsPrintFailure::None,
                    Some(PrintProblem::Printer(_)) => FormsPrintFailure::Printer,
                    Some(PrintProblem::PagesMissing) => FormsPrintFailure::PagesMissing,
                    Some(PrintProblem::Layout) => FormsPrintFailure::Layout,
                });
                a.set_can_prefill(session.citizen().is_some_and(|c| c.card.is_some()));
                a.set_step(if matches!(flow.step(), Step::Printing(_)) {
                    FormsStep::Printing
                } else {
                    FormsStep::Viewing
                });
            }
            Step::Printed { .. } => {
                self.clear(window);
                a.set_step(FormsStep::Printed);
            }
        }
    }

    fn browse(&self, window: &AppWindow, lib: &Arc<Library>, b: &Browse, lang: Lang) {
        let a = window.global::<SampleFormsAdapter>();
        let mut shown = self.shown.borrow_mut();
        let id = Arc::as_ptr(lib) as usize;
        if shown.bars != Some((id, lang)) {
            let depts: Vec<SharedString> = lib
                .forms
                .departments
                .iter()
                .map(|d| lang.pick(&d.name_zh, &d.name_en).into())
                .collect();
            a.set_departments(ModelRc::new(VecModel::from(depts)));
            let has = lib.index.first_letters();
            // No pinyin syllable starts with I, U or V: those keys are left out unless a
            // name does start with one. In two rows, so each key is a 20 mm target.
            let letters: Vec<FormsLetter> = (b'A'..=b'Z')
                .zip(has)
                .filter(|(l, enabled)| *enabled || !matches!(l, b'I' | b'U' | b'V'))
                .map(|(l, enabled)| FormsLetter {
                    letter: char::from(l).to_string().into(),
                    enabled,
                })
                .collect();
            let (first, second) = letters.split_at(letters.len().div_ceil(2));
            a.set_letters(ModelRc::new(VecModel::from(first.to_vec())));
            a.set_letters_more(ModelRc::new(VecModel::from(second.to_vec())));
            shown.bars = Some((id, lang));
            shown.list = None;
        }
        a.set_department(b.filter.department.map_or(-1, |d| d as i32));
        a.set_letter(
            b.filter
                .letter
                .map(|l| char::from(l).to_ascii_uppercase().to_string())
                .unwrap_or_default()
                .into(),
        );
        a.set_typed(typed(&b.keys).into());
        let candidates: Vec<SharedString> =
            b.candidates.iter().map(|c| c.to_string().into()).collect();
        a.set_candidates(ModelRc::new(VecModel::from(candidates)));
        a.set_notice(match b.notice {
            None => FormsNotice::None,
            Some(KeyProblem::TooLong) => FormsNotice::TooLong,
            Some(KeyProblem::NoMatch(k)) => {
                a.set_notice_key(typed(&[k]).into());
                FormsNotice::NoMatch
            }
        });
        if shown.list.as_ref() != Some(&(b.results.clone(), lang)) {
            let rows: Vec<FormsResult> = b
                .results
                .iter()
                .filter_map(|&i| {
                    let f = lib.forms.forms.get(i)?;
                    let d = lib.forms.department(&f.department);
                    Some(FormsResult {
                        index: i as i32,
                        name: f.name_zh.clone().into(),
                        department: d
                            .map(|d| lang.pick(&d.name_zh, &d.name_en).to_owned())
                            .unwrap_or_default()
                            .into(),
                        pages: i32::from(f.pages),
                    })
                })
                .collect();
            a.set_result_count(rows.len() as i32);
            a.set_results(ModelRc::new(VecModel::from(rows)));
            shown.list = Some((b.results.clone(), lang));
        }
    }

    /// The flow left the screen (or printed): the page image and QR go with it.
    pub fn clear(&self, window: &AppWindow) {
        let a = window.global::<SampleFormsAdapter>();
        a.set_page_image(slint::Image::default());
        a.set_qr(slint::Image::default());
        a.set_results(ModelRc::default());
        a.set_candidates(ModelRc::default());
        a.set_typed(SharedString::new());
        *self.shown.borrow_mut() = Shown::default();
    }
}
