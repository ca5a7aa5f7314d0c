//! The medical-insurance pages (`ui/services/medical_insurance/`): maps the flow to
//! `MedicalInsuranceAdapter` and wires its callbacks. The tables and the chart are pushed
//! once per statement and language; a tab or the printer's state changes a property only.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{
    whole_yuan, yuan, MedicalInsuranceFlow, PrintProblem, PrintState, Problem, SpendKind,
    Statement, Step, Tab,
};
use crate::app::{Cx, Lang, Router};
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, KioskUi, MedicalBar, MedicalContribution,
    MedicalInsuranceAdapter, MedicalPrintKind, MedicalProblemKind, MedicalRecord, MedicalStep,
    MedicalTab,
};

/// How many of the tallest months have their amount written over the bar.
const LABELLED_BARS: usize = 3;

/// The statement (by identity) and language whose lists are on screen.
#[derive(Default)]
pub struct Adapter {
    shown: RefCell<Option<(Arc<Statement>, Lang)>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut MedicalInsuranceFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::MedicalInsurance(flow) = flow {
            f(flow, cx)
        }
    });
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<MedicalInsuranceAdapter>();
    a.on_show_tab(on_router_with(ui, |r, now, tab: MedicalTab| {
        let tab = match tab {
            MedicalTab::Overview => Tab::Overview,
            MedicalTab::Contributions => Tab::Contributions,
            MedicalTab::Spending => Tab::Spending,
        };
        with_flow(r, now, |f, _| f.show_tab(tab))
    }));
    a.on_print(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.print(cx))
    }));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<MedicalInsuranceAdapter>();
    (a.get_title(), a.get_subtitle())
}

/// A month's label under its bar: `3月` / `Mar`.
pub fn month_label(month: u32, lang: Lang) -> String {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match lang {
        Lang::Zh => format!("{month}月"),
        Lang::En => EN[(month.clamp(1, 12) - 1) as usize].to_owned(),
    }
}

fn kind_label(kind: SpendKind, lang: Lang) -> SharedString {
    lang.pick(kind.label_zh(), kind.label_en()).into()
}

impl Adapter {
    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &MedicalInsuranceFlow, lang: Lang) {
        let a = window.global::<MedicalInsuranceAdapter>();
        match flow.step() {
            Step::Asking => a.set_step(MedicalStep::Loading),
            Step::Showing {
                statement,
                tab,
                print,
                failed,
            } => {
                self.show(window, statement, lang);
                a.set_tab(match tab {
                    Tab::Overview => MedicalTab::Overview,
                    Tab::Contributions => MedicalTab::Contributions,
                    Tab::Spending => MedicalTab::Spending,
                });
                a.set_print_state(match print {
                    PrintState::Checking => MedicalPrintKind::Checking,
                    PrintState::Ready => MedicalPrintKind::Ready,
                    PrintState::Unavailable(p) => match p {
                        PrintProblem::PaperOut => MedicalPrintKind::PaperOut,
                        PrintProblem::TonerOut => MedicalPrintKind::TonerOut,
                        PrintProblem::Jam => MedicalPrintKind::Jam,
                        PrintProblem::CoverOpen => MedicalPrintKind::CoverOpen,
                        PrintProblem::Offline => MedicalPrintKind::Offline,
                        PrintProblem::Fault => MedicalPrintKind::Fault,
                        PrintProblem::NoPrinter => MedicalPrintKind::NoPrinter,
                    },
                });
                a.set_print_failed(*failed);
                a.set_step(MedicalStep::Account);
            }
            Step::Printing { .. } => a.set_step(MedicalStep::Printing),
            Step::Printed { .. } => {
                // The statement is on paper now: the screen lets go of it.
                self.clear(window);
                a.set_step(MedicalStep::Printed);
            }
            Step::Problem(p) => {
                a.set_problem(match p {
                    Problem::NoRecord => MedicalProblemKind::NoRecord,
                    Problem::Unreachable => MedicalProblemKind::Unreachable,
                    Problem::NoCard => MedicalProblemKind::NoCard,
                });
                a.set_step(MedicalStep::Problem);
            }
        }
    }

    /// The statement's lists, pushed only when the statement or the language changed.
    fn show(&self, window: &AppWindow, s: &Arc<Statement>, lang: Lang) {
        if let Some((shown, l)) = &*self.shown.borrow() {
            if Arc::ptr_eq(shown, s) && *l == lang {
                return;
            }
        }
        let a = window.global::<MedicalInsuranceAdapter>();
        let totals = s.totals();
        let (from, to) = s.period();
        a.set_balance(yuan(s.balance_fen).into());
        a.set_as_of(s.as_of.format("%Y-%m-%d").to_string().into());
        a.set_masked_id(s.masked_id.clone().into());
        a.set_period(format!("{from} — {to}").into());
        a.set_total_amount(yuan(totals.amount_fen).into());
        a.set_total_fund(yuan(totals.fund_fen).into());
        a.set_total_own(yuan(totals.own_fen).into());
        a.set_record_count(totals.count as i32);

        let months = s.monthly_spending();
        let max = months.iter().map(|m| m.amount_fen).max().unwrap_or(0);
        let mut ranked: Vec<i64> = months.iter().map(|m| m.amount_fen).collect();
        ranked.sort_unstable_by(|x, y| y.cmp(x));
        let tall_from = ranked.get(LABELLED_BARS - 1).copied().unwrap_or(0).max(1);
        let share = |fen: i64| {
            if max == 0 {
                0.0
            } else {
                fen as f32 / max as f32
            }
        };
        let bars: Vec<MedicalBar> = months
            .iter()
            .map(|m| MedicalBar {
                label: month_label(m.month, lang).into(),
                fund: share(m.fund_fen),
                own: share(m.own_fen),
                amount: yuan(m.amount_fen).into(),
                short: whole_yuan(m.amount_fen).into(),
                tall: m.amount_fen >= tall_from,
            })
            .collect();
        a.set_bars(ModelRc::new(VecModel::from(bars)));

        let contributions: Vec<MedicalContribution> = s
            .months
            .iter()
            .map(|m| match &m.paid {
                Some(p) => MedicalContribution {
                    month: m.label().into(),
                    paid: true,
                    base: yuan(p.base_fen).into(),
                    employer: yuan(p.employer_fen).into(),
                    personal: yuan(p.personal_fen).into(),
                    credited: yuan(p.credited_fen).into(),
                },
                None => MedicalContribution {
                    month: m.label().into(),
                    paid: false,
                    ..Default::default()
                },
            })
            .rev()
            .collect();
        a.set_contributions(ModelRc::new(VecModel::from(contributions)));

        let records: Vec<MedicalRecord> = s
            .spending
            .iter()
            .map(|r| MedicalRecord {
                date: r.date.format("%Y-%m-%d").to_string().into(),
                place: lang.pick(&r.place_zh, &r.place_en).into(),
                kind: kind_label(r.kind, lang),
                kind_code: match r.kind {
                    SpendKind::Outpatient => 0,
                    SpendKind::Inpatient => 1,
                    SpendKind::Pharmacy => 2,
                },
                amount: yuan(r.amount_fen).into(),
                fund: yuan(r.fund_fen).into(),
                own: yuan(r.own_fen).into(),
            })
            .collect();
        a.set_records(ModelRc::new(VecModel::from(records)));
        *self.shown.borrow_mut() = Some((s.clone(), lang));
    }

    /// The flow left the screen (or printed): the citizen's figures go with it.
    pub fn clear(&self, window: &AppWindow) {
        let a = window.global::<MedicalInsuranceAdapter>();
        a.set_bars(ModelRc::default());
        a.set_contributions(ModelRc::default());
        a.set_records(ModelRc::default());
        for set in [
            MedicalInsuranceAdapter::set_balance,
            MedicalInsuranceAdapter::set_masked_id,
            MedicalInsuranceAdapter::set_total_amount,
            MedicalInsuranceAdapter::set_total_fund,
            MedicalInsuranceAdapter::set_total_own,
            MedicalInsuranceAdapter::set_period,
            MedicalInsuranceAdapter::set_as_of,
        ] {
            set(&a, SharedString::new());
        }
        a.set_record_count(0);
        *self.shown.borrow_mut() = None;
    }
}
