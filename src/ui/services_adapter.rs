//! Pages of the services beyond the ticket: following an application, copying the ID card.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{
    AppWindow, CaseItem, CaseResultKind, CaseStepItem, CopyAdapter, CopyPrintStateKind,
    CopyScanProblem, CopySideState, MenuAdapter, PrefixItem, ProgressAdapter,
};
use crate::app::id_copy::{CardSide, CopyPrintState, SideState, COPY_PURPOSES};
use crate::app::progress::{CaseState, CASE_PREFIXES};
use crate::app::{
    CaseProblem, CopyPrintProblem, RgbaImage, ScanProblem, SessionController, TicketService,
};

/// Wires the pages' callbacks to the controller.
pub fn connect<S: TicketService + 'static>(window: &AppWindow, ui: &Rc<super::KioskUi<S>>) {
    // Each callback upgrades a weak handle and runs one controller method with the time.
    macro_rules! on {
        ($global:expr, $setter:ident, |$c:ident, $now:ident $(, $arg:ident)*| $body:expr) => {{
            let weak = Rc::downgrade(ui);
            $global.$setter(move |$($arg),*| {
                if let Some(ui) = weak.upgrade() {
                    ui.update(|$c, $now| $body);
                }
            });
        }};
    }
    let menu = window.global::<MenuAdapter>();
    on!(menu, on_progress, |c, now| c.choose_progress(now));
    on!(menu, on_copy_id_card, |c, now| c.choose_copy(now));

    let p = window.global::<ProgressAdapter>();
    on!(p, on_by_card, |c, now| c.progress_by_card(now));
    on!(p, on_type_number, |c, now| c.progress_type_number(now));
    on!(p, on_prefix, |c, now, code| c.case_prefix(&code, now));
    on!(p, on_digit, |c, now, d| {
        for ch in d.chars() {
            c.case_digit(ch, now);
        }
    });
    on!(p, on_backspace, |c, now| c.case_backspace(now));
    on!(p, on_submit, |c, now| c.case_submit(now));

    let copy = window.global::<CopyAdapter>();
    on!(copy, on_purpose, |c, now, i| c
        .copy_purpose(usize::try_from(i).unwrap_or(usize::MAX), now));
    on!(copy, on_scan, |c, now| c.copy_scan(now));
    on!(copy, on_next, |c, now| c.copy_next(now));
    on!(copy, on_print, |c, now| c.copy_print(now));
}

thread_local! {
    // The scanned sides as Slint images, made once per scan rather than on every re-render
    // (each touch re-renders; a side is ~2.5 MB of pixels). At most the two sides.
    static CARD_IMAGES: std::cell::RefCell<Vec<(RgbaImage, slint::Image)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn card_image(img: &RgbaImage) -> slint::Image {
    CARD_IMAGES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, made)) = cache.iter().find(|(i, _)| i == img) {
            return made.clone();
        }
        let made = super::slint_image(img);
        cache.push((img.clone(), made.clone()));
        if cache.len() > 2 {
            cache.remove(0);
        }
        made
    })
}

fn pick(english: bool, zh: &str, en: &str) -> SharedString {
    if english { en } else { zh }.into()
}

/// Pushes the controller's state into the pages' globals.
pub fn render<S: TicketService>(window: &AppWindow, c: &SessionController<S>, english: bool) {
    let p = window.global::<ProgressAdapter>();
    p.set_has_card(c.citizen().is_some_and(|z| z.case_holder.is_some()));
    let prefixes: Vec<PrefixItem> = CASE_PREFIXES
        .iter()
        .map(|(code, zh, en)| PrefixItem {
            code: (*code).into(),
            name: pick(english, zh, en),
        })
        .collect();
    p.set_prefixes(ModelRc::new(VecModel::from(prefixes)));
    let entry = c.case_entry();
    p.set_chosen_prefix(entry.prefix().into());
    p.set_case_display(entry.display().into());
    p.set_can_submit(entry.complete().is_some());
    let (kind, cases) = match c.case_outcome() {
        None => (CaseResultKind::Loading, Vec::new()),
        Some(Ok(list)) => (
            CaseResultKind::Found,
            list.iter()
                .map(|v| CaseItem {
                    number: v.case_number.clone().into(),
                    matter: pick(english, &v.matter_zh, &v.matter_en),
                    status: pick(english, &v.status_zh, &v.status_en),
                    state: match v.state {
                        CaseState::Received => 0,
                        CaseState::InReview => 1,
                        CaseState::Approved => 2,
                        CaseState::ReadyForPickup => 3,
                        CaseState::Rejected => 4,
                    },
                    updated: v.updated_at.clone().into(),
                    pickup: pick(english, &v.pickup_zh, &v.pickup_en),
                    steps: ModelRc::new(VecModel::from(
                        v.steps
                            .iter()
                            .map(|s| CaseStepItem {
                                name: pick(english, &s.name_zh, &s.name_en),
                                at: s.at.clone().into(),
                                done: s.done,
                            })
                            .collect::<Vec<_>>(),
                    )),
                })
                .collect(),
        ),
        Some(Err(problem)) => (
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

    let copy = window.global::<CopyAdapter>();
    let job = c.copy_job();
    let purposes: Vec<SharedString> = COPY_PURPOSES
        .iter()
        .map(|(zh, en)| pick(english, zh, en))
        .collect();
    copy.set_purposes(ModelRc::new(VecModel::from(purposes)));
    copy.set_back_side(job.side == CardSide::Back);
    let state = job.side_state(job.side);
    copy.set_side_state(match state {
        SideState::Waiting => CopySideState::Waiting,
        SideState::Scanning => CopySideState::Scanning,
        SideState::Done(_) => CopySideState::Done,
        SideState::Failed(_) => CopySideState::Failed,
    });
    copy.set_problem(match state {
        SideState::Failed(ScanProblem::NoCard) => CopyScanProblem::NoCard,
        SideState::Failed(ScanProblem::NotACard) => CopyScanProblem::NotACard,
        SideState::Failed(ScanProblem::CoverOpen) => CopyScanProblem::CoverOpen,
        SideState::Failed(ScanProblem::ScannerFault) => CopyScanProblem::ScannerFault,
        _ => CopyScanProblem::None,
    });
    let image = |s: &SideState| match s {
        SideState::Done(img) => card_image(img),
        _ => slint::Image::default(),
    };
    if !matches!(job.front, SideState::Done(_)) && !matches!(job.back, SideState::Done(_)) {
        // The images go with the session: the cache too.
        CARD_IMAGES.with(|c| c.borrow_mut().clear());
    }
    copy.set_side_image(image(state));
    copy.set_front_image(image(&job.front));
    copy.set_back_image(image(&job.back));
    copy.set_overlay(
        job.purpose_zh()
            .map(|p| format!("仅供{p}使用"))
            .unwrap_or_default()
            .into(),
    );
    copy.set_print_state(match job.print {
        CopyPrintState::NotYet | CopyPrintState::Printing => CopyPrintStateKind::Printing,
        CopyPrintState::Printed => CopyPrintStateKind::Printed,
        CopyPrintState::Failed(CopyPrintProblem::PaperOut) => CopyPrintStateKind::PaperOut,
        CopyPrintState::Failed(CopyPrintProblem::NoPrinter) => CopyPrintStateKind::NoPrinter,
        CopyPrintState::Failed(CopyPrintProblem::PrinterFault) => CopyPrintStateKind::PrinterFault,
    });
}
