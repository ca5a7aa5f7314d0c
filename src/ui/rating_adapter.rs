//! The rating step's Slint glue (`RatingAdapter`, ui/pages/rating_page.slint): its page, the
//! level chosen, the reasons picked; and its touches, which go to the router.

use std::rc::Rc;

use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use super::app_adapter::{on_router, on_router_with};
use super::{AppWindow, KioskUi, RatingAdapter, RatingPageStep};
use crate::app::{Level, Rating, RatingStep, Reason};
use crate::services::ServiceId;

/// Shows `rating`; `service` is the rated service's tile title in the language on screen.
pub(super) fn render(window: &AppWindow, rating: &Rating<ServiceId>, service: SharedString) {
    let a = window.global::<RatingAdapter>();
    if a.get_service() != service {
        a.set_service(service);
    }
    match rating.step() {
        RatingStep::Choose => a.set_step(RatingPageStep::Choose),
        RatingStep::Reasons { level, picked } => {
            a.set_step(RatingPageStep::Reasons);
            a.set_level(Level::ALL.iter().position(|l| l == level).unwrap_or(0) as i32);
            let flags: Vec<bool> = Reason::ALL.iter().map(|r| picked.contains(r)).collect();
            let shown: Vec<bool> = a.get_picked().iter().collect();
            if shown != flags {
                a.set_picked(ModelRc::new(VecModel::from(flags)));
            }
        }
        RatingStep::Thanks => a.set_step(RatingPageStep::Thanks),
    }
}

/// Wires the page's touches to the router.
pub(super) fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<RatingAdapter>();
    a.set_picked(ModelRc::new(VecModel::from(vec![false; Reason::ALL.len()])));
    a.on_rate(on_router_with(ui, |r, now, i: i32| {
        if let Some(level) = usize::try_from(i).ok().and_then(|i| Level::ALL.get(i)) {
            r.rate(*level, now);
        }
    }));
    a.on_toggle(on_router_with(ui, |r, now, i: i32| {
        if let Some(reason) = usize::try_from(i).ok().and_then(|i| Reason::ALL.get(i)) {
            r.toggle_reason(*reason, now);
        }
    }));
    a.on_submit(on_router(ui, |r, now| r.submit_rating(now)));
    a.on_back(on_router(ui, |r, now| r.rating_back(now)));
    a.on_skip(on_router(ui, |r, _| r.skip_rating()));
}
