//! The ID-card copy's pages (`ui/services/id_copy/`): maps the flow to `IdCopyAdapter` and
//! wires its callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{
    CardSide, CopyPrintProblem, IdCopyFlow, PrintState, ScanProblem, SideState, Step, COPY_PURPOSES,
};
use crate::app::{Cx, Lang, RgbaImage, Router};
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, CopyPrintStateKind, CopyScanProblem, CopySideState,
    IdCopyAdapter, IdCopyStep, KioskUi,
};

/// What was last pushed: the purposes (per language) and the scanned sides as Slint images,
/// made once per scan rather than on every render (a side is ~2.5 MB of pixels).
#[derive(Default)]
pub struct Adapter {
    purposes: RefCell<Option<Lang>>,
    images: RefCell<Vec<(RgbaImage, slint::Image)>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut IdCopyFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::IdCopy(flow) = flow {
            f(flow, cx)
        }
    });
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let copy = window.global::<IdCopyAdapter>();
    copy.on_purpose(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, _| {
            f.choose_purpose(usize::try_from(i).unwrap_or(usize::MAX))
        })
    }));
    copy.on_scan(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.scan(cx))
    }));
    copy.on_next(on_router(ui, |r, now| with_flow(r, now, |f, _| f.next())));
    copy.on_print(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.print(cx))
    }));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<IdCopyAdapter>();
    (a.get_title(), a.get_subtitle())
}

impl Adapter {
    fn image(&self, img: &RgbaImage) -> slint::Image {
        let mut cache = self.images.borrow_mut();
        if let Some((_, made)) = cache.iter().find(|(i, _)| i == img) {
            return made.clone();
        }
        let made = crate::ui::slint_image(img);
        cache.push((img.clone(), made.clone()));
        if cache.len() > 2 {
            cache.remove(0);
        }
        made
    }

    fn side_image(&self, s: &SideState) -> slint::Image {
        match s {
            SideState::Done(img) => self.image(img),
            _ => slint::Image::default(),
        }
    }

    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &IdCopyFlow, lang: Lang) {
        let copy = window.global::<IdCopyAdapter>();
        copy.set_overlay(
            flow.purpose_zh()
                .map(|p| format!("仅供{p}使用"))
                .unwrap_or_default()
                .into(),
        );
        match flow.step() {
            Step::Purpose => {
                copy.set_step(IdCopyStep::Purpose);
                if *self.purposes.borrow() != Some(lang) {
                    let purposes: Vec<SharedString> = COPY_PURPOSES
                        .iter()
                        .map(|(zh, en)| lang.pick(zh, en).into())
                        .collect();
                    copy.set_purposes(ModelRc::new(VecModel::from(purposes)));
                    *self.purposes.borrow_mut() = Some(lang);
                }
            }
            Step::Scan {
                side, front, back, ..
            } => {
                copy.set_step(IdCopyStep::Scan);
                copy.set_back_side(*side == CardSide::Back);
                let state = match side {
                    CardSide::Front => front,
                    CardSide::Back => back,
                };
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
                copy.set_side_image(self.side_image(state));
                copy.set_front_image(self.side_image(front));
                copy.set_back_image(self.side_image(back));
            }
            Step::Preview { front, back, .. } => {
                copy.set_step(IdCopyStep::Preview);
                copy.set_front_image(self.image(front));
                copy.set_back_image(self.image(back));
            }
            Step::Done(state) => {
                copy.set_step(IdCopyStep::Done);
                // The page went to the printer: no image of the card stays in the UI.
                self.forget_images(window);
                copy.set_print_state(match state {
                    PrintState::Printing => CopyPrintStateKind::Printing,
                    PrintState::Printed(_) => CopyPrintStateKind::Printed,
                    PrintState::Failed(CopyPrintProblem::PaperOut) => CopyPrintStateKind::PaperOut,
                    PrintState::Failed(CopyPrintProblem::NoPrinter) => {
                        CopyPrintStateKind::NoPrinter
                    }
                    PrintState::Failed(CopyPrintProblem::PrinterFault) => {
                        CopyPrintStateKind::PrinterFault
                    }
                });
            }
        }
    }

    fn forget_images(&self, window: &AppWindow) {
        let copy = window.global::<IdCopyAdapter>();
        copy.set_side_image(slint::Image::default());
        copy.set_front_image(slint::Image::default());
        copy.set_back_image(slint::Image::default());
        self.images.borrow_mut().clear();
    }

    /// The flow left the screen: the images go with it.
    pub fn clear(&self, window: &AppWindow) {
        self.forget_images(window);
        window
            .global::<IdCopyAdapter>()
            .set_overlay(SharedString::new());
    }
}
