//! The queue ticket's pages (`ui/services/queue_ticket/`): maps the flow to
//! `QueueTicketAdapter` and wires its callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{QueueTicketFlow, Service, Step, TicketProblem};
use crate::app::{Cx, Lang, Router};
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, AreaItem, KioskUi, QueueTicketAdapter, QueueTicketStep,
    TicketProblemKind,
};

/// What was last pushed: the area list (rebuilt only when the catalog or the language
/// changes) and the follow-the-queue QR (drawn once per ticket).
#[derive(Default)]
pub struct Adapter {
    areas: RefCell<Option<(u64, Lang)>>,
    follow_qr: RefCell<Option<String>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut QueueTicketFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::QueueTicket(flow) = flow {
            f(flow, cx)
        }
    });
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<QueueTicketAdapter>();
    a.on_choose(on_router_with(ui, |r, now, code: SharedString| {
        let Some(area) = r.registry().queue_ticket.area(&code).cloned() else {
            return;
        };
        with_flow(r, now, |f, _| f.choose_area(&area));
    }));
    a.on_digit(on_router_with(ui, |r, now, d: SharedString| {
        with_flow(r, now, |f, _| d.chars().for_each(|c| f.phone_digit(c)))
    }));
    a.on_backspace(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.phone_backspace())
    }));
    a.on_confirm(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.confirm(cx))
    }));
    a.on_skip(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.skip_phone(cx))
    }));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<QueueTicketAdapter>();
    (a.get_title(), a.get_subtitle())
}

fn area_name(service: &Service, code: &str, lang: Lang) -> String {
    service
        .area(code)
        .map(|a| lang.pick(&a.name_zh, &a.name_en).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

impl Adapter {
    /// Pushes the step on screen.
    pub fn render(
        &self,
        window: &AppWindow,
        flow: &QueueTicketFlow,
        service: &Service,
        lang: Lang,
    ) {
        let a = window.global::<QueueTicketAdapter>();
        match flow.step() {
            Step::ChooseArea => {
                a.set_step(QueueTicketStep::Area);
                let key = (service.areas_version(), lang);
                if *self.areas.borrow() != Some(key) {
                    let items: Vec<AreaItem> = service
                        .areas()
                        .iter()
                        .map(|a| AreaItem {
                            code: a.code.clone().into(),
                            name_zh: a.name_zh.clone().into(),
                            name_en: a.name_en.clone().into(),
                            description_zh: a.description_zh.clone().into(),
                            description_en: a.description_en.clone().into(),
                            waiting: a.waiting.map(|w| w as i32).unwrap_or(-1),
                        })
                        .collect();
                    a.set_areas(ModelRc::new(VecModel::from(items)));
                    *self.areas.borrow_mut() = Some(key);
                }
            }
            Step::Phone {
                area,
                typed,
                invalid,
            } => {
                a.set_step(QueueTicketStep::Phone);
                a.set_area_label(
                    format!("{}  {}", area.code, lang.pick(&area.name_zh, &area.name_en)).into(),
                );
                a.set_phone(typed.as_str().into());
                a.set_invalid(*invalid);
            }
            Step::Printing { .. } => {
                a.set_step(QueueTicketStep::Printing);
                a.set_phone(SharedString::new());
            }
            Step::Done { ticket, .. } => {
                a.set_step(QueueTicketStep::Done);
                self.show_ticket(window, Some(ticket), service, lang);
            }
            Step::Problem(failure) => {
                a.set_step(QueueTicketStep::Problem);
                a.set_problem(match failure.problem {
                    TicketProblem::NoNumbers => TicketProblemKind::NoNumbers,
                    TicketProblem::PaperOut => TicketProblemKind::PaperOut,
                    TicketProblem::PrinterFault => TicketProblemKind::PrinterFault,
                    TicketProblem::Store => TicketProblemKind::Store,
                });
                self.show_ticket(window, failure.issued.as_ref(), service, lang);
            }
        }
    }

    fn show_ticket(
        &self,
        window: &AppWindow,
        ticket: Option<&super::TicketView>,
        service: &Service,
        lang: Lang,
    ) {
        let a = window.global::<QueueTicketAdapter>();
        let Some(t) = ticket else {
            a.set_number(SharedString::new());
            a.set_people_ahead(0);
            a.set_ticket_area(SharedString::new());
            a.set_ticket_location(SharedString::new());
            return;
        };
        a.set_number(t.display_number.as_str().into());
        a.set_people_ahead(t.people_ahead as i32);
        a.set_ticket_area(area_name(service, &t.area_code, lang).into());
        a.set_ticket_location(
            service
                .area(&t.area_code)
                .map(|a| lang.pick(&a.location_zh, &a.location_en).to_owned())
                .unwrap_or_default()
                .into(),
        );
        if self.follow_qr.borrow().as_deref() != Some(t.follow_url.as_str()) {
            a.set_follow_qr(crate::ui::qr_image(&t.follow_url));
            *self.follow_qr.borrow_mut() = Some(t.follow_url.clone());
        }
    }

    /// The flow left the screen: the ticket and the typed number go with it.
    pub fn clear(&self, window: &AppWindow) {
        let a = window.global::<QueueTicketAdapter>();
        a.set_phone(SharedString::new());
        a.set_number(SharedString::new());
        a.set_ticket_area(SharedString::new());
        a.set_ticket_location(SharedString::new());
        a.set_people_ahead(0);
        a.set_problem(TicketProblemKind::None);
        a.set_follow_qr(slint::Image::default());
        *self.follow_qr.borrow_mut() = None;
    }
}
