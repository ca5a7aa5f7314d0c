//! The application's pages (`ui/services/apply/`): maps the flow to `ApplyAdapter` and wires
//! its callbacks. The ID number is shown masked (6 + 4), the mobile number masked on the
//! check page; the card's address in full on the form, masked to its district on the
//! delivery and check pages; a typed postal address in full only while it is typed and
//! checked, masked to its district afterwards.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::flow::{streets, Draft, MaterialState, Problem};
use super::{
    AddressProblem, AddressStep, ApplyFlow, Delivery, DeliveryProblem, FieldKind, FieldProblem,
    PostTo, Scan, ScanProblem, Side, SideState, Step,
};
use crate::app::masking;
use crate::app::{Cx, Lang, Router, Session};
use crate::pinyin::Key;
use crate::services::{ActiveFlow, Services};
use crate::ui::{
    on_router, on_router_with, AppWindow, ApplyAdapter, ApplyAddressProblem, ApplyAddressStage,
    ApplyDeliveryProblem, ApplyFieldKind, ApplyFieldProblem, ApplyMatterItem, ApplyProblem,
    ApplyRow, ApplyScanProblem, ApplyScanState, ApplyStep, ApplyStreet, KioskUi,
};

/// How many streets the result list shows (the best first; typing narrows it).
const STREETS_SHOWN: usize = 8;

/// The Slint images made of the scans on screen, kept by scan so a render does not make
/// them again (made once per scan).
#[derive(Default)]
pub struct Adapter {
    images: RefCell<Vec<(Arc<Vec<u8>>, slint::Image)>>,
}

fn with_flow(
    r: &mut Router<Services>,
    now: std::time::Duration,
    f: impl FnOnce(&mut ApplyFlow, &mut Cx),
) {
    r.with_flow(now, |flow, cx| {
        if let ActiveFlow::Apply(flow) = flow {
            f(flow, cx)
        }
    });
}

fn index(i: i32) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

/// Wires the pages' callbacks to the flow.
pub fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
    let a = window.global::<ApplyAdapter>();
    a.on_choose(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, cx| f.choose(cx, index(i)))
    }));
    a.on_next(on_router(ui, |r, now| with_flow(r, now, |f, _| f.next())));
    a.on_scan(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.scan_side(cx))
    }));
    a.on_key(on_router_with(ui, |r, now, k: SharedString| {
        with_flow(r, now, |f, _| f.key(&k))
    }));
    a.on_backspace(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.backspace())
    }));
    a.on_scan_page(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.scan_page(cx, None))
    }));
    a.on_retake(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, cx| f.scan_page(cx, Some(index(i))))
    }));
    a.on_delete_page(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, _| f.delete_page(index(i)))
    }));
    a.on_bring(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.bring_to_window())
    }));
    a.on_deliver(on_router_with(ui, |r, now, post: bool| {
        with_flow(r, now, |f, _| {
            f.deliver(if post {
                Delivery::Post
            } else {
                Delivery::Window
            })
        })
    }));
    a.on_post_elsewhere(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.post_elsewhere(cx))
    }));
    a.on_pick(on_router_with(ui, |r, now, i: i32| {
        with_flow(r, now, |f, _| f.pick(index(i)))
    }));
    a.on_clear_keys(on_router(ui, |r, now| {
        with_flow(r, now, |f, _| f.clear_keys())
    }));
    a.on_submit(on_router(ui, |r, now| {
        with_flow(r, now, |f, cx| f.submit(cx))
    }));
}

/// The menu tile's title and subtitle, in the language on screen.
pub fn tile(window: &AppWindow) -> (SharedString, SharedString) {
    let a = window.global::<ApplyAdapter>();
    (a.get_title(), a.get_subtitle())
}

fn rows(rows: Vec<(String, String)>) -> ModelRc<ApplyRow> {
    ModelRc::new(VecModel::from(
        rows.into_iter()
            .map(|(label, value)| ApplyRow {
                label: label.into(),
                value: value.into(),
            })
            .collect::<Vec<_>>(),
    ))
}

fn strings(v: &[String]) -> ModelRc<SharedString> {
    ModelRc::new(VecModel::from(
        v.iter().map(SharedString::from).collect::<Vec<_>>(),
    ))
}

fn scan_problem(p: Option<ScanProblem>) -> ApplyScanProblem {
    match p {
        None => ApplyScanProblem::None,
        Some(ScanProblem::NoCard) => ApplyScanProblem::NoCard,
        Some(ScanProblem::NotACard) => ApplyScanProblem::NotACard,
        Some(ScanProblem::CoverOpen) => ApplyScanProblem::CoverOpen,
        Some(ScanProblem::ScannerFault) => ApplyScanProblem::ScannerFault,
    }
}

/// What each material needs (instructions) or how it was handed in (check page).
fn materials(
    draft_or_matter: &kiosk_platform::api::apply::ApplyMatter,
    states: Option<&[MaterialState]>,
    lang: Lang,
) -> Vec<(String, String)> {
    draft_or_matter
        .materials
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let name = lang.pick(&m.name_zh, &m.name_en).to_owned();
            let value = match states.and_then(|s| s.get(i)) {
                Some(s) if s.at_window => lang.pick("到窗口补交", "At the window").to_owned(),
                Some(s) if s.pages.is_empty() => lang.pick("未提交", "None").to_owned(),
                Some(s) => match lang {
                    Lang::Zh => format!("已扫描 {} 页", s.pages.len()),
                    Lang::En => format!("{} page(s) scanned", s.pages.len()),
                },
                None => match (m.required, m.may_bring) {
                    (true, true) => lang.pick(
                        "必交，可到窗口补交",
                        "Required; may be brought to the window",
                    ),
                    (true, false) => lang.pick("必交，请在本机扫描", "Required; scan it here"),
                    (false, _) => lang.pick("如有请提交", "If you have it"),
                }
                .to_owned(),
            };
            (name, value)
        })
        .collect()
}

/// The form as filled from the card.
fn card_rows(session: &Session, lang: Lang) -> Vec<(String, String)> {
    let Some(c) = session.citizen() else {
        return Vec::new();
    };
    let mut out = vec![(lang.pick("姓名", "Name").to_owned(), c.name.clone())];
    if let Some(card) = &c.card {
        out.push((lang.pick("性别", "Sex").to_owned(), card.sex.clone()));
        out.push((lang.pick("民族", "Nation").to_owned(), card.nation.clone()));
        out.push((
            lang.pick("出生日期", "Born").to_owned(),
            card.birth.format("%Y-%m-%d").to_string(),
        ));
        out.push((
            lang.pick("住址", "Address").to_owned(),
            card.address.clone(),
        ));
    }
    out.push((
        lang.pick("公民身份号码", "ID number").to_owned(),
        c.masked_id.clone(),
    ));
    out
}

impl Adapter {
    fn image(&self, scan: &Scan) -> slint::Image {
        let mut cache = self.images.borrow_mut();
        if let Some((_, made)) = cache.iter().find(|(p, _)| Arc::ptr_eq(p, &scan.png)) {
            return made.clone();
        }
        let made = crate::ui::slint_image(&scan.preview);
        cache.push((scan.png.clone(), made.clone()));
        // The two sides and a material's pages at most.
        if cache.len() > 24 {
            cache.remove(0);
        }
        made
    }

    fn side(&self, s: &SideState) -> slint::Image {
        match s {
            SideState::Done(scan) => self.image(scan),
            _ => slint::Image::default(),
        }
    }

    /// Pushes the step on screen.
    pub fn render(&self, window: &AppWindow, flow: &ApplyFlow, session: &Session) {
        let lang = session.lang();
        let a = window.global::<ApplyAdapter>();
        let matter_name = |d: &Draft| lang.pick(&d.matter.name_zh, &d.matter.name_en).to_owned();
        match flow.step() {
            Step::Loading | Step::Submitting => {
                a.set_step(if matches!(flow.step(), Step::Loading) {
                    ApplyStep::Loading
                } else {
                    ApplyStep::Submitting
                });
                // The scans went to the worker: none stays on screen.
                self.forget(window);
            }
            Step::Matters { matters, .. } => {
                a.set_step(ApplyStep::Matters);
                let items: Vec<ApplyMatterItem> = matters
                    .iter()
                    .map(|m| ApplyMatterItem {
                        name: lang.pick(&m.name_zh, &m.name_en).into(),
                        note: match (m.min_age, lang) {
                            (Some(n), Lang::Zh) => format!("年满 {n} 周岁"),
                            (Some(n), Lang::En) => format!("Aged {n} or over"),
                            (None, _) => String::new(),
                        }
                        .into(),
                    })
                    .collect();
                a.set_matters(ModelRc::new(VecModel::from(items)));
            }
            Step::NotEligible {
                matter,
                age,
                min_age,
            } => {
                a.set_step(ApplyStep::NotEligible);
                a.set_matter(lang.pick(&matter.name_zh, &matter.name_en).into());
                a.set_age(*age as i32);
                a.set_min_age(*min_age as i32);
            }
            Step::Instructions(d) => {
                a.set_step(ApplyStep::Instructions);
                a.set_matter(matter_name(d).into());
                a.set_instructions(strings(match lang {
                    Lang::Zh => &d.matter.instructions_zh,
                    Lang::En => &d.matter.instructions_en,
                }));
                a.set_materials(rows(materials(&d.matter, None, lang)));
            }
            Step::Card { draft, side } => {
                a.set_step(ApplyStep::Card);
                a.set_back_side(*side == Side::Back);
                let state = match side {
                    Side::Front => &draft.front,
                    Side::Back => &draft.back,
                };
                a.set_scan_state(match state {
                    SideState::Waiting => ApplyScanState::Waiting,
                    SideState::Scanning => ApplyScanState::Scanning,
                    SideState::Done(_) => ApplyScanState::Done,
                    SideState::Failed(_) => ApplyScanState::Failed,
                });
                a.set_scan_problem(scan_problem(match state {
                    SideState::Failed(p) => Some(*p),
                    _ => None,
                }));
                a.set_side_image(self.side(state));
            }
            Step::Form(d) => {
                a.set_step(ApplyStep::Form);
                a.set_rows(rows(card_rows(session, lang)));
                a.set_front_image(self.side(&d.front));
                a.set_back_image(self.side(&d.back));
            }
            Step::Field {
                draft,
                index,
                typed,
                problem,
            } => {
                a.set_step(ApplyStep::Field);
                let field = &draft.matter.fields[*index];
                a.set_field_label(lang.pick(&field.label_zh, &field.label_en).into());
                a.set_progress(format!("{} / {}", index + 1, draft.matter.fields.len()).into());
                a.set_typed(typed.as_str().into());
                a.set_field_problem(match problem {
                    None => ApplyFieldProblem::None,
                    Some(FieldProblem::NotAMobile) => ApplyFieldProblem::NotAMobile,
                    Some(FieldProblem::NothingChosen) => ApplyFieldProblem::NothingChosen,
                    Some(FieldProblem::TooLong) => ApplyFieldProblem::TooLong,
                });
                match &field.kind {
                    FieldKind::Mobile => a.set_field_kind(ApplyFieldKind::Mobile),
                    FieldKind::Text { .. } => a.set_field_kind(ApplyFieldKind::Text),
                    FieldKind::Choice {
                        options_zh,
                        options_en,
                    } => {
                        a.set_field_kind(ApplyFieldKind::Choice);
                        a.set_options(strings(match lang {
                            Lang::Zh => options_zh,
                            Lang::En => options_en,
                        }));
                        a.set_chosen(typed.parse::<i32>().unwrap_or(-1));
                    }
                }
            }
            Step::Material {
                draft,
                index,
                scanning,
                problem,
            } => {
                a.set_step(ApplyStep::Material);
                let m = &draft.matter.materials[*index];
                let state = &draft.materials[*index];
                a.set_material(lang.pick(&m.name_zh, &m.name_en).into());
                a.set_progress(format!("{} / {}", index + 1, draft.matter.materials.len()).into());
                a.set_required(m.required);
                a.set_may_bring(m.may_bring);
                a.set_at_window(state.at_window);
                a.set_scanning(scanning.is_some());
                a.set_scan_problem(scan_problem(*problem));
                a.set_ready(!m.required || state.at_window || !state.pages.is_empty());
                let pages: Vec<slint::Image> = state.pages.iter().map(|p| self.image(p)).collect();
                a.set_pages(ModelRc::new(VecModel::from(pages)));
            }
            Step::Delivery { draft: d, problem } => {
                a.set_step(ApplyStep::Delivery);
                a.set_post(d.delivery == Delivery::Post);
                a.set_may_post(d.matter.delivery.contains(&Delivery::Post));
                a.set_post_address(
                    session
                        .citizen()
                        .and_then(|c| c.card.as_ref())
                        .map(|c| masking::address(&c.address))
                        .unwrap_or_default()
                        .into(),
                );
                let typed = match &d.post_to {
                    PostTo::Typed(t) => Some(t.masked()),
                    PostTo::Card => None,
                };
                a.set_post_other(typed.is_some());
                a.set_post_other_address(typed.unwrap_or_default().into());
                a.set_delivery_problem(match problem {
                    None => ApplyDeliveryProblem::None,
                    Some(DeliveryProblem::NoGazetteer) => ApplyDeliveryProblem::NoGazetteer,
                });
                self.forget_address(window);
            }
            Step::GazetteerLoading(_) => {
                a.set_step(ApplyStep::Address);
                a.set_address_stage(ApplyAddressStage::Loading);
            }
            Step::Address { gazetteer, at, .. } => {
                a.set_step(ApplyStep::Address);
                let problem = |p: &Option<AddressProblem>| {
                    a.set_address_problem(match p {
                        None => ApplyAddressProblem::None,
                        Some(AddressProblem::NoStreet(_)) => ApplyAddressProblem::NoStreet,
                        Some(AddressProblem::KeysFull) => ApplyAddressProblem::KeysFull,
                        Some(AddressProblem::EmptyNumber) => ApplyAddressProblem::EmptyNumber,
                        Some(AddressProblem::NumberTooLong) => ApplyAddressProblem::NumberTooLong,
                        Some(AddressProblem::NotAMobile) => ApplyAddressProblem::NotAMobile,
                    });
                    a.set_address_problem_key(match p {
                        Some(AddressProblem::NoStreet(c)) => c.to_string().into(),
                        _ => SharedString::new(),
                    });
                };
                let district_name = |i: usize| {
                    gazetteer
                        .districts
                        .get(i)
                        .map(|d| lang.pick(&d.name_zh, &d.name_en).to_owned())
                        .unwrap_or_default()
                };
                match at {
                    AddressStep::District => {
                        a.set_address_stage(ApplyAddressStage::District);
                        let names: Vec<String> =
                            (0..gazetteer.districts.len()).map(district_name).collect();
                        a.set_districts(strings(&names));
                        problem(&None);
                    }
                    AddressStep::Street {
                        district,
                        keys,
                        problem: p,
                    } => {
                        a.set_address_stage(ApplyAddressStage::Street);
                        a.set_address_district(district_name(*district).into());
                        let shown: String = keys
                            .iter()
                            .map(|k| match k {
                                Key::Letter(l) => char::from(l.to_ascii_uppercase()),
                                Key::Char(c) => *c,
                            })
                            .collect();
                        a.set_street_keys(shown.into());
                        let places = &gazetteer.districts[*district].places;
                        let found: Vec<ApplyStreet> = streets(gazetteer, *district, keys)
                            .into_iter()
                            .take(STREETS_SHOWN)
                            .map(|i| ApplyStreet {
                                name: places[i].name_zh.as_str().into(),
                                index: i as i32,
                            })
                            .collect();
                        a.set_streets(ModelRc::new(VecModel::from(found)));
                        problem(p);
                    }
                    AddressStep::Number {
                        district,
                        place,
                        typed,
                        problem: p,
                    } => {
                        a.set_address_stage(ApplyAddressStage::Number);
                        a.set_address_district(
                            gazetteer.districts[*district].name_zh.as_str().into(),
                        );
                        a.set_address_street(
                            gazetteer.districts[*district].places[*place]
                                .name_zh
                                .as_str()
                                .into(),
                        );
                        a.set_address_typed(typed.as_str().into());
                        problem(p);
                    }
                    AddressStep::Mobile {
                        typed, problem: p, ..
                    } => {
                        a.set_address_stage(ApplyAddressStage::Mobile);
                        a.set_address_typed(typed.as_str().into());
                        problem(p);
                    }
                    AddressStep::Check { address, .. } => {
                        a.set_address_stage(ApplyAddressStage::Check);
                        a.set_address_full(address.full().into());
                        a.set_address_postcode(address.postcode.as_str().into());
                        a.set_address_mobile(
                            address
                                .mobile
                                .as_deref()
                                .map(masking::phone)
                                .unwrap_or_default()
                                .into(),
                        );
                        a.set_address_typed(SharedString::new());
                    }
                }
            }
            Step::Check(d) => {
                a.set_step(ApplyStep::Check);
                self.forget_address(window);
                let mut r = vec![(lang.pick("申报事项", "Matter").to_owned(), matter_name(d))];
                r.extend(card_rows(session, lang));
                for (f, v) in d.matter.fields.iter().zip(&d.values) {
                    let shown = match f.kind {
                        FieldKind::Mobile => crate::app::citizen::mask_phone(v),
                        _ if v.is_empty() => lang.pick("（未填）", "(empty)").to_owned(),
                        _ => v.clone(),
                    };
                    r.push((lang.pick(&f.label_zh, &f.label_en).to_owned(), shown));
                }
                let card_address = session
                    .citizen()
                    .and_then(|c| c.card.as_ref())
                    .map(|c| masking::address(&c.address))
                    .unwrap_or_default();
                r.push((
                    lang.pick("领取方式", "Delivery").to_owned(),
                    match (d.delivery, &d.post_to) {
                        (Delivery::Window, _) => lang.pick("窗口领取", "At the window").to_owned(),
                        (Delivery::Post, PostTo::Card) => format!(
                            "{} {card_address}",
                            lang.pick("邮寄到身份证地址", "By post to the card's address")
                        ),
                        (Delivery::Post, PostTo::Typed(t)) => {
                            format!("{} {}", lang.pick("邮寄到", "By post to"), t.masked())
                        }
                    },
                ));
                if let (Delivery::Post, PostTo::Typed(t)) = (d.delivery, &d.post_to) {
                    if let Some(m) = &t.mobile {
                        r.push((
                            lang.pick("收件人手机", "Recipient's mobile").to_owned(),
                            masking::phone(m),
                        ));
                    }
                }
                a.set_rows(rows(r));
                a.set_materials(rows(materials(&d.matter, Some(&d.materials), lang)));
            }
            Step::Done { receipt, .. } => {
                a.set_step(ApplyStep::Done);
                self.forget(window);
                a.set_case_number(receipt.case_number.clone().unwrap_or_default().into());
                a.set_printed(receipt.printed);
            }
            Step::Problem(p) => {
                a.set_step(ApplyStep::Problem);
                self.forget(window);
                a.set_problem(match p {
                    Problem::NoMatters => ApplyProblem::NoMatters,
                    Problem::NoCard => ApplyProblem::NoCard,
                    Problem::NotSaved => ApplyProblem::NotSaved,
                    Problem::Refused(_) => ApplyProblem::Refused,
                });
                a.set_problem_text(match p {
                    Problem::Refused(why) => why.as_str().into(),
                    _ => SharedString::new(),
                });
            }
        }
    }

    fn forget(&self, window: &AppWindow) {
        let a = window.global::<ApplyAdapter>();
        a.set_side_image(slint::Image::default());
        a.set_front_image(slint::Image::default());
        a.set_back_image(slint::Image::default());
        a.set_pages(ModelRc::default());
        self.images.borrow_mut().clear();
        self.forget_address(window);
    }

    /// What was typed of another address leaves the screen.
    fn forget_address(&self, window: &AppWindow) {
        let a = window.global::<ApplyAdapter>();
        a.set_address_full(SharedString::new());
        a.set_address_typed(SharedString::new());
        a.set_address_mobile(SharedString::new());
        a.set_street_keys(SharedString::new());
        a.set_address_street(SharedString::new());
        a.set_streets(ModelRc::default());
    }

    /// The flow left the screen: scans and the citizen's data go with it.
    pub fn clear(&self, window: &AppWindow) {
        self.forget(window);
        self.forget_address(window);
        let a = window.global::<ApplyAdapter>();
        a.set_rows(ModelRc::default());
        a.set_typed(SharedString::new());
        a.set_case_number(SharedString::new());
        a.set_post_address(SharedString::new());
        a.set_post_other_address(SharedString::new());
    }
}
