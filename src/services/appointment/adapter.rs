//! The appointment's pages (`ui/services/appointment/`): maps the flow to
//! `AppointmentAdapter` and wires its callbacks.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::{Datelike, NaiveDate};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{
    AppointmentFlow, BookedView, CheckInRefusal, DayView, MatterView, Problem, SlotView, Step,
    TicketOut,
};
use crate::app::{Cx, Lang, Router};
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, AppointmentAdapter, AppointmentProblemKind,
    AppointmentStep, CheckInRefusalKind, DayItem, KioskUi, MatterItem, SlotItem, UpcomingItem,
};

/// What list the pages hold, so a render rebuilds a list only when it changes: the step's
/// kind, the language and the day whose slots show.
#[derive(Default)]
pub struct Adapter {
    lists: RefCell<Option<(u8, Lang, usize, usize)>>,
    qr: RefCell<Option<String>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut AppointmentFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::Appointment(flow) = flow {
            f(flow, cx)
        }
    });
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<AppointmentAdapter>();
    a.on_choose_matter(on_router_with(ui, |r, now, code: SharedString| {
        with_flow(r, now, |f, cx| f.choose_matter(&code, cx))
    }));
    a.on_choose_day(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, _| f.choose_day(i.max(0) as usize))
    }));
    a.on_choose_slot(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, _| f.choose_slot(i.max(0) as usize))
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
    a.on_cancel(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, _| f.ask_cancel(i.max(0) as usize))
    }));
    a.on_confirm_cancel(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.confirm_cancel(cx))
    }));
    a.on_choose_again(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.choose_again(cx))
    }));
    a.on_check_in(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, cx| f.check_in(i.max(0) as usize, cx))
    }));
    a.on_ordinary_ticket(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.ordinary_ticket(cx))
    }));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<AppointmentAdapter>();
    (a.get_title(), a.get_subtitle())
}

/// `2026年12月2日 星期三` / `Wed 2 Dec 2026`: the day tiles' labels (the tests find them).
pub fn day_label(d: NaiveDate, lang: Lang) -> String {
    const DAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    match lang {
        Lang::Zh => format!(
            "{}年{}月{}日 星期{}",
            d.year(),
            d.month(),
            d.day(),
            DAYS[d.weekday().num_days_from_monday() as usize]
        ),
        Lang::En => d.format("%a %-d %b %Y").to_string(),
    }
}

/// `09:30-10:00`: the slot tiles' labels.
pub fn slot_label(s: &SlotView) -> String {
    format!("{}-{}", s.start.format("%H:%M"), s.end.format("%H:%M"))
}

/// `2026年12月2日 星期三 09:30-10:00 社保卡补办`: one of the citizen's appointments.
pub fn upcoming_line(u: &super::UpcomingView, lang: Lang) -> String {
    format!(
        "{} {}-{} {}",
        day_label(u.date, lang),
        u.start.format("%H:%M"),
        u.end.format("%H:%M"),
        lang.pick(&u.matter_zh, &u.matter_en)
    )
}

fn bring(m: &MatterView, lang: Lang) -> String {
    match lang {
        Lang::Zh => m.bring_zh.join("、"),
        Lang::En => m.bring_en.join(", "),
    }
}

fn area(m: &MatterView, lang: Lang) -> String {
    format!("{} {}", m.area_code, lang.pick(&m.area_zh, &m.area_en))
}

fn problem_kind(p: Problem) -> AppointmentProblemKind {
    match p {
        Problem::NoMatters => AppointmentProblemKind::NoMatters,
        Problem::Unreachable => AppointmentProblemKind::Unreachable,
        Problem::NoDays => AppointmentProblemKind::NoDays,
        Problem::SlotTaken => AppointmentProblemKind::SlotTaken,
        Problem::AlreadyBooked => AppointmentProblemKind::AlreadyBooked,
        Problem::PaperOut => AppointmentProblemKind::PaperOut,
        Problem::PrinterFault => AppointmentProblemKind::PrinterFault,
        Problem::Store => AppointmentProblemKind::Store,
        Problem::NoNumbers => AppointmentProblemKind::NoNumbers,
    }
}

/// `2026年12月2日 星期三 09:30-10:00 社保卡补办`: the booking a check-in is about.
pub fn booked_line(b: &BookedView, lang: Lang) -> String {
    format!(
        "{} {}-{} {}",
        day_label(b.date, lang),
        b.start.format("%H:%M"),
        b.end.format("%H:%M"),
        lang.pick(&b.matter_zh, &b.matter_en)
    )
}

fn show_ticket(a: &AppointmentAdapter<'_>, t: &TicketOut, lang: Lang) {
    a.set_ticket_number(t.display_number.as_str().into());
    a.set_ticket_area(format!("{} {}", t.area.code, lang.pick(&t.area.zh, &t.area.en)).into());
    a.set_ticket_ahead(t.people_ahead as i32);
    a.set_ticket_printed(t.print_problem.is_none());
    a.set_booked_label(
        t.booked
            .as_ref()
            .map(|b| booked_line(b, lang))
            .unwrap_or_default()
            .into(),
    );
}

impl Adapter {
    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &AppointmentFlow, lang: Lang) {
        let a = window.global::<AppointmentAdapter>();
        let (kind, day) = match flow.step() {
            Step::LoadingMatters | Step::LoadingSlots { .. } => (0, 0),
            Step::ChooseMatter => (1, 0),
            Step::ChooseDay { .. } => (2, 0),
            Step::ChooseSlot { day, .. } => (3, *day),
            _ => (4, 0),
        };
        let key = (kind, lang, day, flow.upcoming().len());
        let fresh = *self.lists.borrow() != Some(key);
        *self.lists.borrow_mut() = Some(key);
        let label = |m: &MatterView| SharedString::from(lang.pick(&m.name_zh, &m.name_en));
        match flow.step() {
            Step::LoadingMatters | Step::LoadingSlots { .. } => {
                a.set_step(AppointmentStep::Loading)
            }
            Step::ChooseMatter => {
                a.set_step(AppointmentStep::Matter);
                if fresh {
                    let items: Vec<MatterItem> = flow
                        .matters()
                        .iter()
                        .map(|m| MatterItem {
                            code: m.code.as_str().into(),
                            name: label(m),
                            area: area(m, lang).into(),
                            bring: bring(m, lang).into(),
                        })
                        .collect();
                    a.set_matters(ModelRc::new(VecModel::from(items)));
                    let upcoming: Vec<UpcomingItem> = flow
                        .upcoming()
                        .iter()
                        .map(|u| UpcomingItem {
                            line: upcoming_line(u, lang).into(),
                            today: u.today,
                            checked_in: u.checked_in,
                        })
                        .collect();
                    a.set_upcoming(ModelRc::new(VecModel::from(upcoming)));
                }
            }
            Step::ChooseDay { matter } => {
                a.set_step(AppointmentStep::Day);
                a.set_matter_label(label(matter));
                if fresh {
                    let items: Vec<DayItem> = flow
                        .days()
                        .iter()
                        .map(|d: &DayView| DayItem {
                            label: day_label(d.date, lang).into(),
                            free: d.has_room(),
                        })
                        .collect();
                    a.set_days(ModelRc::new(VecModel::from(items)));
                }
            }
            Step::ChooseSlot { matter, day } => {
                a.set_step(AppointmentStep::Slot);
                a.set_matter_label(label(matter));
                if let Some(d) = flow.days().get(*day) {
                    a.set_day_label(day_label(d.date, lang).into());
                    if fresh {
                        let items: Vec<SlotItem> = d
                            .slots
                            .iter()
                            .map(|s| SlotItem {
                                label: slot_label(s).into(),
                                remaining: s.remaining as i32,
                            })
                            .collect();
                        a.set_slots(ModelRc::new(VecModel::from(items)));
                    }
                }
            }
            Step::Phone {
                matter,
                day,
                slot,
                typed,
                invalid,
            } => {
                a.set_step(AppointmentStep::Phone);
                a.set_matter_label(label(matter));
                if let Some(d) = flow.days().get(*day) {
                    a.set_day_label(day_label(d.date, lang).into());
                    if let Some(s) = d.slots.get(*slot) {
                        a.set_slot_label(slot_label(s).into());
                    }
                }
                a.set_phone(typed.as_str().into());
                a.set_invalid(*invalid);
            }
            Step::ConfirmCancel { appointment } => {
                a.set_step(AppointmentStep::ConfirmCancel);
                a.set_cancel_label(upcoming_line(appointment, lang).into());
            }
            Step::Cancelling => a.set_step(AppointmentStep::Booking),
            Step::Cancelled { confirmed, .. } => {
                a.set_step(AppointmentStep::Cancelled);
                a.set_confirmed(*confirmed);
            }
            Step::Booking { .. } => {
                a.set_step(AppointmentStep::Booking);
                a.set_phone(SharedString::new());
            }
            Step::Done { slip, .. } => {
                a.set_step(AppointmentStep::Done);
                self.show_slip(window, Some(slip), lang);
            }
            Step::Problem(failure) => {
                a.set_step(AppointmentStep::Problem);
                a.set_problem(problem_kind(failure.problem));
                self.show_slip(window, failure.booked.as_ref(), lang);
            }
            Step::CheckingIn => a.set_step(AppointmentStep::CheckingIn),
            Step::IssuingTicket => a.set_step(AppointmentStep::IssuingTicket),
            Step::CheckedIn { ticket, .. } => {
                a.set_step(AppointmentStep::CheckedIn);
                show_ticket(&a, ticket, lang);
            }
            Step::CheckInRefused(refused) => {
                a.set_step(AppointmentStep::CheckInRefused);
                let (kind, time) = match refused.refusal {
                    CheckInRefusal::TooEarly(t) => (CheckInRefusalKind::TooEarly, Some(t)),
                    CheckInRefusal::TooLate(t) => (CheckInRefusalKind::TooLate, Some(t)),
                    CheckInRefusal::Cancelled => (CheckInRefusalKind::Cancelled, None),
                    CheckInRefusal::NotToday => (CheckInRefusalKind::NotToday, None),
                    CheckInRefusal::Unknown => (CheckInRefusalKind::Unknown, None),
                    CheckInRefusal::Unreachable => (CheckInRefusalKind::Unreachable, None),
                };
                a.set_refusal(kind);
                a.set_refusal_time(
                    time.map(|t| t.format("%H:%M").to_string())
                        .unwrap_or_default()
                        .into(),
                );
                a.set_booked_label(
                    refused
                        .booked
                        .as_ref()
                        .map(|b| booked_line(b, lang))
                        .unwrap_or_default()
                        .into(),
                );
                let area = &refused.area;
                a.set_ticket_area(
                    format!("{} {}", area.code, lang.pick(&area.zh, &area.en)).into(),
                );
            }
            Step::TicketIssued { ticket, .. } => {
                a.set_step(AppointmentStep::TicketIssued);
                match ticket {
                    Ok(t) => {
                        a.set_problem(AppointmentProblemKind::None);
                        show_ticket(&a, t, lang);
                    }
                    Err(p) => a.set_problem(problem_kind(*p)),
                }
            }
        }
    }

    fn show_slip(&self, window: &AppWindow, slip: Option<&super::SlipView>, lang: Lang) {
        let a = window.global::<AppointmentAdapter>();
        a.set_booked(slip.is_some());
        let Some(s) = slip else {
            return;
        };
        a.set_confirmed(s.confirmed);
        a.set_matter_label(lang.pick(&s.matter.name_zh, &s.matter.name_en).into());
        a.set_day_label(day_label(s.date, lang).into());
        a.set_slot_label(slot_label(&s.slot).into());
        a.set_area_label(area(&s.matter, lang).into());
        a.set_bring_label(bring(&s.matter, lang).into());
        if self.qr.borrow().as_deref() != Some(s.url.as_str()) {
            a.set_slip_qr(crate::ui::qr_image(&s.url));
            *self.qr.borrow_mut() = Some(s.url.clone());
        }
    }

    /// The flow left the screen: the number, the booking and its QR go with it.
    pub fn clear(&self, window: &AppWindow) {
        let a = window.global::<AppointmentAdapter>();
        a.set_phone(SharedString::new());
        a.set_matter_label(SharedString::new());
        a.set_day_label(SharedString::new());
        a.set_slot_label(SharedString::new());
        a.set_area_label(SharedString::new());
        a.set_bring_label(SharedString::new());
        a.set_booked(false);
        a.set_cancel_label(SharedString::new());
        a.set_problem(AppointmentProblemKind::None);
        a.set_slip_qr(slint::Image::default());
        a.set_upcoming(ModelRc::default());
        a.set_ticket_number(SharedString::new());
        a.set_ticket_area(SharedString::new());
        a.set_booked_label(SharedString::new());
        a.set_refusal(CheckInRefusalKind::None);
        *self.qr.borrow_mut() = None;
        *self.lists.borrow_mut() = None;
    }
}
