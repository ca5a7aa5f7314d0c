//! The application's steps. The draft (the matter, the scans, what was typed) travels from
//! step to step inside the step; once it is handed to the worker the flow holds no scan, and
//! the whole flow goes with the session.

use std::rc::Rc;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_platform::api::apply::{
    age_on, Application, ApplyMatter, Delivery, FieldKind, MaterialHandedIn,
};

use super::{ApplyPort, Event, Order, Receipt, Scan, ScanProblem, Side, Submission, SubmitProblem};
use crate::app::citizen::is_mobile_number;
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Reply};

/// A side of the card, or a page, while scanning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SideState {
    /// Not scanned yet.
    Waiting,
    /// The scanner is at work.
    Scanning,
    /// Scanned and cropped.
    Done(Scan),
    /// Could not be scanned: why.
    Failed(ScanProblem),
}

/// A material as handed in so far.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MaterialState {
    /// Its pages, in order.
    pub pages: Vec<Scan>,
    /// The citizen brings it to the window instead.
    pub at_window: bool,
}

/// What the citizen has done so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The matter.
    pub matter: ApplyMatter,
    /// The card's front.
    pub front: SideState,
    /// The card's back.
    pub back: SideState,
    /// One answer per field of the matter.
    pub values: Vec<String>,
    /// One state per material of the matter.
    pub materials: Vec<MaterialState>,
    /// How the result reaches the citizen.
    pub delivery: Delivery,
}

/// Why a field's entry is refused, as the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldProblem {
    /// Not 11 digits starting with 1.
    NotAMobile,
    /// Nothing chosen.
    NothingChosen,
    /// Longer than the field takes.
    TooLong,
}

/// Why the service cannot go on, as the citizen is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No matter to apply for (no catalog cached yet).
    NoMatters,
    /// The session has no card data (identified otherwise).
    NoCard,
    /// Not stored: nothing was sent.
    NotSaved,
    /// The platform refused the application.
    Refused(String),
}

/// Where the citizen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Asking the worker for the matters.
    Loading,
    /// The matters to pick from.
    Matters {
        /// The catalog's.
        matters: Vec<ApplyMatter>,
        /// Today, for the age rule.
        today: NaiveDate,
    },
    /// The matter's rule says no (the senior citizen's card under 60).
    NotEligible {
        /// The matter.
        matter: ApplyMatter,
        /// The citizen's age.
        age: u32,
        /// The age the matter needs.
        min_age: u32,
    },
    /// What the matter needs and how it goes.
    Instructions(Box<Draft>),
    /// Scanning the card's sides.
    Card {
        /// The draft.
        draft: Box<Draft>,
        /// The side on screen.
        side: Side,
    },
    /// The form as filled from the card, with both sides.
    Form(Box<Draft>),
    /// One field on its keypad.
    Field {
        /// The draft.
        draft: Box<Draft>,
        /// Which field.
        index: usize,
        /// What is typed (or the chosen option's index, as text).
        typed: String,
        /// Why the last "next" was refused.
        problem: Option<FieldProblem>,
    },
    /// One material: its pages, scan, retake, delete, or "bring it to the window".
    Material {
        /// The draft.
        draft: Box<Draft>,
        /// Which material.
        index: usize,
        /// The scanner is at work; the page it is for (`None`: a new page).
        scanning: Option<Option<usize>>,
        /// Why the last scan gave nothing.
        problem: Option<ScanProblem>,
    },
    /// Window or post.
    Delivery(Box<Draft>),
    /// Everything on one page before submitting.
    Check(Box<Draft>),
    /// Sealing, sending, printing.
    Submitting,
    /// The receipt came out (or not), since then.
    Done {
        /// What came out.
        receipt: Receipt,
        /// When.
        since: Duration,
    },
    /// The service cannot go on.
    Problem(Problem),
}

/// A citizen applying for a matter.
pub struct ApplyFlow {
    step: Step,
    port: Rc<dyn ApplyPort>,
}

impl std::fmt::Debug for ApplyFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ApplyFlow").field(&self.step).finish()
    }
}

impl ApplyFlow {
    /// Asks the worker for the matters.
    pub fn new(port: Rc<dyn ApplyPort>, cx: &mut Cx) -> Self {
        let flow = Self {
            step: Step::Loading,
            port,
        };
        flow.order(cx, Order::Matters);
        flow
    }

    fn order(&self, cx: &mut Cx, order: Order) {
        self.port.send(Reply {
            token: cx.session.token(),
            event: order,
        });
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// A matter from the list: the rule is checked against the card's birth date.
    pub fn choose(&mut self, cx: &mut Cx, index: usize) {
        let Step::Matters { matters, today } = &self.step else {
            return;
        };
        let Some(matter) = matters.get(index).cloned() else {
            return;
        };
        let Some(card) = cx.session.citizen().and_then(|c| c.card.as_ref()) else {
            self.step = Step::Problem(Problem::NoCard);
            return;
        };
        let age = age_on(card.birth, *today);
        if let Some(min_age) = matter.min_age.filter(|min| age < *min) {
            self.step = Step::NotEligible {
                matter,
                age,
                min_age,
            };
            return;
        }
        self.step = Step::Instructions(Box::new(Draft {
            values: vec![String::new(); matter.fields.len()],
            materials: vec![MaterialState::default(); matter.materials.len()],
            delivery: matter.delivery.first().copied().unwrap_or(Delivery::Window),
            front: SideState::Waiting,
            back: SideState::Waiting,
            matter,
        }));
    }

    /// "Next" on the instructions, the card, the form, a field, a material, the delivery.
    pub fn next(&mut self) {
        let step = std::mem::replace(&mut self.step, Step::Submitting);
        self.step = match step {
            Step::Instructions(draft) => Step::Card {
                draft,
                side: Side::Front,
            },
            Step::Card {
                draft,
                side: Side::Front,
            } if matches!(draft.front, SideState::Done(_)) => Step::Card {
                draft,
                side: Side::Back,
            },
            Step::Card {
                draft,
                side: Side::Back,
            } if matches!(draft.back, SideState::Done(_)) => Step::Form(draft),
            Step::Form(draft) => field_or_material(draft, 0),
            Step::Field {
                mut draft,
                index,
                typed,
                ..
            } => match check_field(&draft.matter.fields[index].kind, &typed) {
                Ok(value) => {
                    draft.values[index] = value;
                    field_or_material(draft, index + 1)
                }
                Err(p) => Step::Field {
                    draft,
                    index,
                    typed,
                    problem: Some(p),
                },
            },
            Step::Material {
                draft,
                index,
                scanning: None,
                ..
            } if material_ready(&draft, index) => material_or_delivery(draft, index + 1),
            Step::Delivery(draft) => Step::Check(draft),
            other => other,
        };
    }

    /// "Scan" on the card's page, for the side on screen.
    pub fn scan_side(&mut self, cx: &mut Cx) {
        let Step::Card { draft, side } = &mut self.step else {
            return;
        };
        let state = match side {
            Side::Front => &mut draft.front,
            Side::Back => &mut draft.back,
        };
        if *state != SideState::Scanning {
            *state = SideState::Scanning;
            let side = *side;
            self.order(cx, Order::ScanCard(side));
        }
    }

    /// A key on the field's keypad (a digit, `-`), or an option's index for a choice.
    pub fn key(&mut self, key: &str) {
        let Step::Field {
            draft,
            index,
            typed,
            problem,
        } = &mut self.step
        else {
            return;
        };
        *problem = None;
        match &draft.matter.fields[*index].kind {
            FieldKind::Choice { .. } => *typed = key.to_owned(),
            FieldKind::Mobile => {
                if typed.len() < 11 && key.bytes().all(|b| b.is_ascii_digit()) {
                    typed.push_str(key);
                }
            }
            FieldKind::Text { max_len } => {
                if typed.chars().count() < *max_len as usize
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    typed.push_str(key);
                }
            }
        }
    }

    /// The keypad's "delete".
    pub fn backspace(&mut self) {
        if let Step::Field { typed, problem, .. } = &mut self.step {
            typed.pop();
            *problem = None;
        }
    }

    /// "Scan a page" (`page: None`) or "retake" page `page` of the material on screen.
    pub fn scan_page(&mut self, cx: &mut Cx, page: Option<usize>) {
        let Step::Material {
            draft,
            index,
            scanning,
            problem,
        } = &mut self.step
        else {
            return;
        };
        if scanning.is_some() || page.is_some_and(|p| p >= draft.materials[*index].pages.len()) {
            return;
        }
        draft.materials[*index].at_window = false;
        *scanning = Some(page);
        *problem = None;
        self.order(cx, Order::ScanPage);
    }

    /// "Delete" page `page` of the material on screen.
    pub fn delete_page(&mut self, page: usize) {
        if let Step::Material {
            draft,
            index,
            scanning: None,
            ..
        } = &mut self.step
        {
            let pages = &mut draft.materials[*index].pages;
            if page < pages.len() {
                pages.remove(page);
            }
        }
    }

    /// "I will bring it to the window", where the material allows it (its pages go).
    pub fn bring_to_window(&mut self) {
        if let Step::Material {
            draft,
            index,
            scanning: None,
            ..
        } = &mut self.step
        {
            if draft.matter.materials[*index].may_bring {
                let m = &mut draft.materials[*index];
                m.at_window = !m.at_window;
                if m.at_window {
                    m.pages.clear();
                }
            }
        }
    }

    /// Window or post (to the card's address).
    pub fn deliver(&mut self, delivery: Delivery) {
        if let Step::Delivery(draft) = &mut self.step {
            if draft.matter.delivery.contains(&delivery) {
                draft.delivery = delivery;
            }
        }
    }

    /// "Submit" on the check page: the key is made now, before anything is sent, and the
    /// scans leave the flow for the worker.
    pub fn submit(&mut self, cx: &mut Cx) {
        if !matches!(self.step, Step::Check(_)) {
            return;
        }
        let Some(citizen) = cx.session.citizen() else {
            return;
        };
        let (Some(card), Some(holder)) = (citizen.card.as_ref(), citizen.case_holder.clone())
        else {
            self.step = Step::Problem(Problem::NoCard);
            return;
        };
        let Step::Check(draft) = std::mem::replace(&mut self.step, Step::Submitting) else {
            return;
        };
        let (SideState::Done(front), SideState::Done(back)) = (&draft.front, &draft.back) else {
            return;
        };
        let mut parts = vec![front.png.clone(), back.png.clone()];
        let mut materials = Vec::new();
        let mut listed = Vec::new();
        for (m, state) in draft.matter.materials.iter().zip(&draft.materials) {
            let first = parts.len() as u32;
            parts.extend(state.pages.iter().map(|p| p.png.clone()));
            materials.push(MaterialHandedIn {
                code: m.code.clone(),
                pages: (first..parts.len() as u32).collect(),
                at_window: state.at_window,
            });
            listed.push((m.name_zh.clone(), state.pages.len(), state.at_window));
        }
        let fields: Vec<(String, String)> = draft
            .matter
            .fields
            .iter()
            .zip(&draft.values)
            .map(|(f, v)| (f.code.clone(), v.clone()))
            .collect();
        let mobile = draft
            .matter
            .fields
            .iter()
            .zip(&draft.values)
            .find(|(f, _)| f.kind == FieldKind::Mobile)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let application = Application {
            matter: draft.matter.code.clone(),
            holder,
            masked_id: citizen.masked_id.clone(),
            name: citizen.name.clone(),
            sex: card.sex.clone(),
            nation: card.nation.clone(),
            birth: card.birth,
            address: card.address.clone(),
            fields,
            mobile,
            delivery: draft.delivery,
            post_address: (draft.delivery == Delivery::Post).then(|| card.address.clone()),
            card_parts: [0, 1],
            materials,
            // The worker fills in the digests of what it seals.
            parts: Vec::new(),
            notify_sms: false,
        };
        let submission = Submission {
            key: uuid::Uuid::new_v4().to_string(),
            application,
            parts,
            matter_zh: draft.matter.name_zh.clone(),
            matter_en: draft.matter.name_en.clone(),
            materials: listed,
        };
        self.order(cx, Order::Submit(Box::new(submission)));
    }
}

/// The field at `index`, or the first material when the fields are done.
fn field_or_material(draft: Box<Draft>, index: usize) -> Step {
    if index < draft.matter.fields.len() {
        let typed = draft.values[index].clone();
        Step::Field {
            draft,
            index,
            typed,
            problem: None,
        }
    } else {
        material_or_delivery(draft, 0)
    }
}

/// The material at `index`, or the delivery when the materials are done.
fn material_or_delivery(draft: Box<Draft>, index: usize) -> Step {
    if index < draft.matter.materials.len() {
        Step::Material {
            draft,
            index,
            scanning: None,
            problem: None,
        }
    } else {
        Step::Delivery(draft)
    }
}

/// A required material has a page or is brought to the window.
fn material_ready(draft: &Draft, index: usize) -> bool {
    let state = &draft.materials[index];
    !draft.matter.materials[index].required || state.at_window || !state.pages.is_empty()
}

/// The entry as stored, or why it is refused.
pub fn check_field(kind: &FieldKind, typed: &str) -> Result<String, FieldProblem> {
    match kind {
        FieldKind::Mobile if is_mobile_number(typed) => Ok(typed.to_owned()),
        FieldKind::Mobile => Err(FieldProblem::NotAMobile),
        FieldKind::Choice { options_zh, .. } => typed
            .parse::<usize>()
            .ok()
            .and_then(|i| options_zh.get(i))
            .cloned()
            .ok_or(FieldProblem::NothingChosen),
        FieldKind::Text { max_len } if typed.chars().count() > *max_len as usize => {
            Err(FieldProblem::TooLong)
        }
        FieldKind::Text { .. } => Ok(typed.to_owned()),
    }
}

impl Flow for ApplyFlow {
    type Event = Event;

    fn chrome(&self) -> Chrome {
        match self.step {
            Step::Submitting => Chrome::NONE,
            // The receipt is out: "finish" only, no way back into a submitted application.
            Step::Done { .. } => Chrome::FINISH_ONLY,
            _ => Chrome::FULL,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match &self.step {
            // Sealing and sending: bounded by the client's timeouts, and nobody should be
            // timed out while the receipt is coming.
            Step::Submitting => IdlePolicy::Paused,
            Step::Done { since, .. } => IdlePolicy::DoneSince(*since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        let step = std::mem::replace(&mut self.step, Step::Loading);
        self.step = match step {
            Step::Loading
            | Step::Matters { .. }
            | Step::Problem(_)
            | Step::NotEligible { .. }
            | Step::Instructions(_) => return Nav::Menu,
            Step::Card {
                draft,
                side: Side::Back,
            } => Step::Card {
                draft,
                side: Side::Front,
            },
            Step::Card { draft, .. } => Step::Instructions(draft),
            Step::Form(draft) => Step::Card {
                draft,
                side: Side::Back,
            },
            Step::Field { draft, index, .. } => match index.checked_sub(1) {
                Some(i) => field_or_material(draft, i),
                None => Step::Form(draft),
            },
            Step::Material {
                draft,
                index,
                scanning: None,
                ..
            } => match index.checked_sub(1) {
                Some(i) => material_or_delivery(draft, i),
                None if draft.matter.fields.is_empty() => Step::Form(draft),
                None => {
                    let last = draft.matter.fields.len() - 1;
                    field_or_material(draft, last)
                }
            },
            Step::Delivery(draft) => match draft.matter.materials.len().checked_sub(1) {
                Some(i) => material_or_delivery(draft, i),
                None => Step::Form(draft),
            },
            Step::Check(draft) => Step::Delivery(draft),
            // Scanning, submitting, done: "back" is not offered or waits.
            other => other,
        };
        Nav::Stay
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        match (&mut self.step, event) {
            (Step::Loading, Event::Matters(matters, today)) => {
                self.step = if matters.is_empty() {
                    Step::Problem(Problem::NoMatters)
                } else {
                    Step::Matters { matters, today }
                };
                true
            }
            (Step::Card { draft, .. }, Event::CardScanned(side, result)) => {
                let state = match side {
                    Side::Front => &mut draft.front,
                    Side::Back => &mut draft.back,
                };
                if *state != SideState::Scanning {
                    return false;
                }
                *state = match result {
                    Ok(scan) => SideState::Done(scan),
                    Err(p) => SideState::Failed(p),
                };
                true
            }
            (
                Step::Material {
                    draft,
                    index,
                    scanning: scanning @ Some(_),
                    problem,
                },
                Event::PageScanned(result),
            ) => {
                let target = scanning.take().flatten();
                match result {
                    Ok(scan) => {
                        let pages = &mut draft.materials[*index].pages;
                        match target {
                            Some(p) if p < pages.len() => pages[p] = scan,
                            _ => pages.push(scan),
                        }
                    }
                    Err(p) => *problem = Some(p),
                }
                true
            }
            (Step::Submitting, Event::Submitted(result)) => {
                self.step = match result {
                    Ok(receipt) => Step::Done {
                        receipt,
                        since: cx.now,
                    },
                    Err(SubmitProblem::NotSaved) => Step::Problem(Problem::NotSaved),
                    Err(SubmitProblem::Refused(why)) => Step::Problem(Problem::Refused(why)),
                };
                true
            }
            _ => false,
        }
    }

    fn case_number(&self) -> Option<String> {
        match &self.step {
            Step::Done { receipt, .. } => receipt.case_number.clone(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::sync::Arc;

    use super::*;
    use crate::app::{Citizen, RgbaImage, Session};

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Order>>);
    impl ApplyPort for FakePort {
        fn send(&self, order: Reply<Order>) {
            self.0.borrow_mut().push(order.event);
        }
    }

    fn matter(min_age: Option<u32>) -> ApplyMatter {
        ApplyMatter {
            code: "LR01".into(),
            name_zh: "老人卡申办".into(),
            name_en: "Senior citizen's card".into(),
            instructions_zh: vec![],
            instructions_en: vec![],
            min_age,
            materials: vec![kiosk_platform::api::apply::ApplyMaterial {
                code: "photo".into(),
                name_zh: "照片".into(),
                name_en: "Photo".into(),
                required: true,
                may_bring: true,
            }],
            fields: vec![kiosk_platform::api::apply::ApplyField {
                code: "mobile".into(),
                label_zh: "手机号码".into(),
                label_en: "Mobile".into(),
                kind: FieldKind::Mobile,
            }],
            delivery: vec![Delivery::Window, Delivery::Post],
        }
    }

    fn scan() -> Scan {
        Scan {
            preview: RgbaImage {
                width: 1,
                height: 1,
                pixels: vec![0; 4],
            },
            png: Arc::new(vec![1, 2, 3]),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn under_the_age_the_card_is_refused_with_the_reason() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut f = ApplyFlow::new(port.clone(), &mut cx);
        assert!(f.on_event(&mut cx, Event::Matters(vec![matter(Some(60))], today())));
        f.choose(&mut cx, 0);
        assert!(matches!(
            f.step(),
            Step::NotEligible {
                min_age: 60,
                age: 36,
                ..
            }
        ));
    }

    #[test]
    fn a_whole_application_reaches_the_worker_with_its_parts_in_order() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut f = ApplyFlow::new(port.clone(), &mut cx);
        f.on_event(&mut cx, Event::Matters(vec![matter(None)], today()));
        f.choose(&mut cx, 0);
        f.next();
        for side in [Side::Front, Side::Back] {
            f.scan_side(&mut cx);
            assert!(f.on_event(&mut cx, Event::CardScanned(side, Ok(scan()))));
            f.next();
        }
        assert!(matches!(f.step(), Step::Form(_)));
        f.next();
        // A mobile number that is not one is refused with the reason; then a good one.
        for k in ["2", "3", "4"] {
            f.key(k);
        }
        f.next();
        assert!(matches!(
            f.step(),
            Step::Field {
                problem: Some(FieldProblem::NotAMobile),
                ..
            }
        ));
        for _ in 0..3 {
            f.backspace();
        }
        for k in "13800138000".chars() {
            f.key(&k.to_string());
        }
        f.next();
        // The material needs a page (or the window): two scanned, the first retaken, the
        // second deleted.
        f.next();
        assert!(matches!(f.step(), Step::Material { .. }));
        f.scan_page(&mut cx, None);
        assert!(f.on_event(&mut cx, Event::PageScanned(Err(ScanProblem::CoverOpen))));
        f.scan_page(&mut cx, None);
        f.on_event(&mut cx, Event::PageScanned(Ok(scan())));
        f.scan_page(&mut cx, None);
        f.on_event(&mut cx, Event::PageScanned(Ok(scan())));
        f.scan_page(&mut cx, Some(0));
        f.on_event(&mut cx, Event::PageScanned(Ok(scan())));
        f.delete_page(1);
        f.next();
        f.deliver(Delivery::Post);
        f.next();
        assert!(matches!(f.step(), Step::Check(_)));
        f.submit(&mut cx);
        assert_eq!(f.step(), &Step::Submitting);
        let orders = port.0.borrow();
        let Some(Order::Submit(sub)) = orders.last() else {
            panic!("{orders:?}")
        };
        assert_eq!(sub.parts.len(), 3, "front, back, one page");
        assert_eq!(sub.application.materials[0].pages, vec![2]);
        assert_eq!(sub.application.mobile, "13800138000");
        assert_eq!(sub.application.delivery, Delivery::Post);
        assert!(sub.application.post_address.is_some());
        drop(orders);
        f.on_event(
            &mut cx,
            Event::Submitted(Ok(Receipt {
                case_number: Some("LR-20261201-000101".into()),
                printed: true,
            })),
        );
        assert_eq!(f.case_number().as_deref(), Some("LR-20261201-000101"));
    }
}
