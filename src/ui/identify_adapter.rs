//! The identifying page's Slint glue: maps [`IdentifyFlow`]'s step to `IdentifyAdapter`
//! and its keys back to the router. The typed number reaches Slint only grouped on the
//! typing step; [`clear`] wipes every property when the page leaves the screen.

use std::rc::Rc;

use slint::{ComponentHandle, SharedString};

use super::app_adapter::KioskUi;
use super::{AppWindow, IdentifyAdapter, IdentifyProblem as UiProblem, IdentifyStep as UiStep};
use crate::app::id_number::{self, IdProblem};
use crate::app::identify::{CodeProblem, EidRefusal, IdentifyFlow, IdentifyProblem, IdentifyStep};

fn id_problem(p: IdProblem) -> UiProblem {
    match p {
        IdProblem::Area => UiProblem::Area,
        IdProblem::BirthYear => UiProblem::BirthYear,
        IdProblem::BirthMonth => UiProblem::BirthMonth,
        IdProblem::BirthDate => UiProblem::BirthDate,
        IdProblem::BirthInFuture => UiProblem::BirthFuture,
        IdProblem::XNotLast => UiProblem::XNotLast,
        IdProblem::CheckDigit => UiProblem::CheckDigit,
    }
}

/// Pushes the step on screen.
pub fn render(window: &AppWindow, flow: &IdentifyFlow) {
    let a = window.global::<IdentifyAdapter>();
    a.set_can_start_over(flow.can_start_over());
    match flow.step() {
        IdentifyStep::TypingId { typed, problem } => {
            a.set_step(UiStep::TypingId);
            a.set_typed(id_number::grouped(typed).into());
            a.set_typed_count(typed.len() as i32);
            a.set_problem(problem.map_or(UiProblem::None, id_problem));
            a.set_masked_id(SharedString::new());
            a.set_code(SharedString::new());
        }
        IdentifyStep::SendingCode(_) => {
            a.set_step(UiStep::SendingCode);
            // The number typed leaves the page as soon as it is confirmed.
            a.set_typed(SharedString::new());
            a.set_typed_count(0);
        }
        IdentifyStep::TypingCode {
            id,
            masked_phone,
            code,
            problem,
        } => {
            a.set_step(UiStep::TypingCode);
            a.set_typed(SharedString::new());
            a.set_masked_id(id.masked_id.as_str().into());
            a.set_masked_phone(masked_phone.as_str().into());
            a.set_code(code.as_str().into());
            a.set_problem(match problem {
                None => UiProblem::None,
                Some(CodeProblem::Wrong(left)) => {
                    a.set_tries_left(*left as i32);
                    UiProblem::WrongCode
                }
                Some(CodeProblem::Expired) => UiProblem::CodeExpired,
                Some(CodeProblem::NoCode) => UiProblem::NoCode,
                Some(CodeProblem::Unreachable) => UiProblem::Unreachable,
            });
        }
        IdentifyStep::CheckingCode { .. } => {
            a.set_step(UiStep::CheckingCode);
            a.set_code(SharedString::new());
        }
        IdentifyStep::CheckingEid => a.set_step(UiStep::CheckingEid),
        IdentifyStep::Stopped(p) => {
            a.set_step(UiStep::Stopped);
            a.set_typed(SharedString::new());
            a.set_code(SharedString::new());
            a.set_problem(match p {
                IdentifyProblem::NoPhone => UiProblem::NoPhone,
                IdentifyProblem::Locked { minutes } => {
                    a.set_minutes_left(*minutes as i32);
                    UiProblem::Locked
                }
                IdentifyProblem::Eid(EidRefusal::Expired) => UiProblem::EidExpired,
                IdentifyProblem::Eid(EidRefusal::Used) => UiProblem::EidUsed,
                IdentifyProblem::Eid(EidRefusal::Invalid) => UiProblem::EidInvalid,
                IdentifyProblem::Unreachable => UiProblem::Unreachable,
            });
        }
    }
}

/// Forgets everything the page showed (the session ended or went on to the menu).
pub fn clear(window: &AppWindow) {
    let a = window.global::<IdentifyAdapter>();
    a.set_step(UiStep::TypingId);
    a.set_typed(SharedString::new());
    a.set_typed_count(0);
    a.set_masked_id(SharedString::new());
    a.set_masked_phone(SharedString::new());
    a.set_code(SharedString::new());
    a.set_problem(UiProblem::None);
}

/// Wires the page's keys to the router.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<IdentifyAdapter>();
    a.on_key(super::on_router_with(ui, |r, now, key: SharedString| {
        if let Some(c) = key.chars().next() {
            r.with_identify(now, |f, _, _| f.key(c));
        }
    }));
    a.on_delete(super::on_router(ui, |r, now| {
        r.with_identify(now, |f, _, _| f.delete());
    }));
    a.on_confirm(super::on_router(ui, |r, now| {
        r.with_identify(now, |f, port, cx| f.confirm(port, cx));
    }));
    a.on_resend(super::on_router(ui, |r, now| {
        r.with_identify(now, |f, port, cx| f.resend(port, cx));
    }));
    a.on_start_over(super::on_router(ui, |r, now| {
        r.with_identify(now, |f, _, _| f.start_over());
    }));
}
