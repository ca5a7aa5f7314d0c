//! Pages of a citizen's session: attract, menu, area, phone, ticket, problem.

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{
    AppWindow, AreaAdapter, AreaItem, AttractAdapter, AttractNotice, MenuAdapter, PhoneAdapter,
    TicketAdapter, TicketProblemKind,
};
use crate::app::SessionController;
use crate::app::{Notice, TicketProblem, TicketService};

/// Wires the session pages' callbacks to the controller.
pub fn connect<S: TicketService + 'static>(
    window: &AppWindow,
    ui: &std::rc::Rc<super::KioskUi<S>>,
) {
    let menu = window.global::<MenuAdapter>();
    let weak = std::rc::Rc::downgrade(ui);
    menu.on_take_ticket(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, now| c.choose_queue_ticket(now));
        }
    });

    let area = window.global::<AreaAdapter>();
    let weak = std::rc::Rc::downgrade(ui);
    area.on_choose(move |code| {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, now| c.choose_area(&code, now));
        }
    });

    let phone = window.global::<PhoneAdapter>();
    let weak = std::rc::Rc::downgrade(ui);
    phone.on_digit(move |d| {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, now| {
                for ch in d.chars() {
                    c.phone_digit(ch, now);
                }
            });
        }
    });
    let weak = std::rc::Rc::downgrade(ui);
    phone.on_backspace(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, now| c.phone_backspace(now));
        }
    });
    let weak = std::rc::Rc::downgrade(ui);
    phone.on_confirm(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, now| c.confirm_ticket(now));
        }
    });
    let weak = std::rc::Rc::downgrade(ui);
    phone.on_skip(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|c, now| {
                while !c.phone().is_empty() {
                    c.phone_backspace(now);
                }
                c.confirm_ticket(now);
            });
        }
    });
}

/// Pushes the controller's state into the session pages' globals.
pub fn render<S: TicketService>(window: &AppWindow, c: &SessionController<S>, english: bool) {
    let attract = window.global::<AttractAdapter>();
    attract.set_notice(match c.notice() {
        Notice::None => AttractNotice::None,
        Notice::CardUnreadable => AttractNotice::CardUnreadable,
        Notice::CardExpired => AttractNotice::CardExpired,
        Notice::CodeForged => AttractNotice::CodeForged,
        Notice::CodeForeign => AttractNotice::CodeForeign,
        Notice::CodeQueueTicket => AttractNotice::CodeQueueTicket,
        Notice::CodeUnreadable => AttractNotice::CodeUnreadable,
    });

    let menu = window.global::<MenuAdapter>();
    let (name, masked) = c
        .citizen()
        .map(|z| (z.name.clone(), z.masked_id.clone()))
        .unwrap_or_default();
    menu.set_citizen_name(name.into());
    menu.set_masked_id(masked.into());
    match c.citizen().and_then(|z| z.photo.as_ref()) {
        Some(img) => {
            menu.set_photo(super::slint_image(img));
            menu.set_has_photo(true);
        }
        None => {
            // The image goes with the session: nothing of the last citizen stays in the UI.
            menu.set_photo(slint::Image::default());
            menu.set_has_photo(false);
        }
    }

    let items: Vec<AreaItem> = c
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
    window
        .global::<AreaAdapter>()
        .set_areas(ModelRc::new(VecModel::from(items)));

    let area_label: SharedString = c
        .chosen_area()
        .map(|a| {
            format!(
                "{}  {}",
                a.code,
                if english { &a.name_en } else { &a.name_zh }
            )
        })
        .unwrap_or_default()
        .into();
    let phone = window.global::<PhoneAdapter>();
    phone.set_area_label(area_label.clone());
    phone.set_phone(c.phone().into());
    phone.set_invalid(c.phone_error().is_some());

    let ticket = window.global::<TicketAdapter>();
    match c.ticket() {
        Some(t) => {
            ticket.set_number(t.display_number.clone().into());
            ticket.set_people_ahead(t.people_ahead as i32);
            let area = c.areas().iter().find(|a| a.code == t.area_code);
            ticket.set_area_label(
                area.map(|a| {
                    if english {
                        a.name_en.clone()
                    } else {
                        a.name_zh.clone()
                    }
                })
                .unwrap_or_else(|| t.area_code.clone())
                .into(),
            );
        }
        None => {
            ticket.set_number(SharedString::new());
            ticket.set_people_ahead(0);
            ticket.set_area_label(SharedString::new());
        }
    }
    ticket.set_problem(match c.problem() {
        None => TicketProblemKind::None,
        Some(TicketProblem::NoNumbers) => TicketProblemKind::NoNumbers,
        Some(TicketProblem::PaperOut) => TicketProblemKind::PaperOut,
        Some(TicketProblem::PrinterFault) => TicketProblemKind::PrinterFault,
        Some(TicketProblem::Store) => TicketProblemKind::Store,
    });
}
