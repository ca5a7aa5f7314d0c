//! The application's steps. The draft (the matter, the scans, what was typed) travels from
//! step to step inside the step; once it is handed to the worker the flow holds no scan, and
//! the whole flow goes with the session.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_platform::api::apply::{
    age_on, Application, ApplyMatter, Delivery, FieldKind, Gazetteer, MaterialHandedIn,
    MAX_POST_ADDRESS_CHARS,
};

use super::{ApplyPort, Event, Order, Receipt, Scan, ScanProblem, Side, Submission, SubmitProblem};
use crate::app::citizen::is_mobile_number;
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply};
use crate::documents::apply_receipt::ReceivedMaterial;
use crate::pinyin::{self, Key};

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

/// A postal address the citizen typed: the district and the street picked from the
/// gazetteer, the house number on the keypad. Personal: its `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct PostAddress {
    /// `北京市`.
    pub city_zh: String,
    /// `朝阳区`.
    pub district_zh: String,
    /// The street, road or community (`建国路`).
    pub place_zh: String,
    /// House, building and room (`88号2号楼301室`).
    pub number: String,
    /// The district's postcode.
    pub postcode: String,
    /// The recipient's mobile, asked for when the matter asks for none of its own.
    pub mobile: Option<String>,
}

impl PostAddress {
    /// The address as the post reads it: `北京市朝阳区建国路88号2号楼301室`.
    pub fn full(&self) -> String {
        format!(
            "{}{}{}{}",
            self.city_zh, self.district_zh, self.place_zh, self.number
        )
    }

    /// As a screen or slip shows it where the whole is not needed: `北京市朝阳区****`.
    pub fn masked(&self) -> String {
        crate::app::masking::address(&self.full())
    }
}

impl std::fmt::Debug for PostAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostAddress(..)")
    }
}

/// Where a result by post goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostTo {
    /// The address on the ID card.
    Card,
    /// An address the citizen typed.
    Typed(Box<PostAddress>),
}

/// Why the delivery page cannot go where it was asked, as the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryProblem {
    /// "Another address" needs the gazetteer: none is cached and the platform is down.
    NoGazetteer,
}

/// Why a key or a "next" of the typed address is refused, as the citizen is told; what was
/// typed stays as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressProblem {
    /// No street of the district goes on with this letter (the letter, upper case).
    NoStreet(char),
    /// The search line is full.
    KeysFull,
    /// No house number (none typed, or no digit in it).
    EmptyNumber,
    /// The house number is as long as it may be.
    NumberTooLong,
    /// Not 11 digits starting with 1.
    NotAMobile,
}

/// Most pinyin initials the street search takes.
pub const MAX_STREET_KEYS: usize = 8;
/// Most characters of the house number (building, unit, room).
pub const MAX_NUMBER_CHARS: usize = 16;
/// The keys of the house-number keypad besides the digits.
pub const NUMBER_WORDS: &[&str] = &["号", "号楼", "单元", "室", "-"];

/// Where the citizen is in typing another address.
#[derive(Clone, PartialEq, Eq)]
pub enum AddressStep {
    /// The district, from a list.
    District,
    /// The street, by pinyin initials.
    Street {
        /// The district (its place in the gazetteer).
        district: usize,
        /// The letters typed.
        keys: Vec<Key>,
        /// Why the last key was refused.
        problem: Option<AddressProblem>,
    },
    /// The house number on the keypad.
    Number {
        /// The district.
        district: usize,
        /// The street (its place in the district).
        place: usize,
        /// What is typed.
        typed: String,
        /// Why the last key or "next" was refused.
        problem: Option<AddressProblem>,
    },
    /// The recipient's mobile, when the matter has none.
    Mobile {
        /// The address so far.
        address: Box<PostAddress>,
        /// Where it was picked, for "back".
        at: (usize, usize),
        /// What is typed.
        typed: String,
        /// Why "next" was refused.
        problem: Option<AddressProblem>,
    },
    /// The whole address, to check before going on.
    Check {
        /// The address.
        address: Box<PostAddress>,
        /// Where it was picked, for "back".
        at: (usize, usize),
    },
}

impl std::fmt::Debug for AddressStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // What was typed is personal: only the stage shows.
        f.write_str(match self {
            AddressStep::District => "District",
            AddressStep::Street { .. } => "Street",
            AddressStep::Number { .. } => "Number",
            AddressStep::Mobile { .. } => "Mobile",
            AddressStep::Check { .. } => "Check",
        })
    }
}

/// The district's streets that hold `keys` as consecutive initials: those whose names start
/// with them first, then the rest, each in the gazetteer's order.
pub fn streets(gazetteer: &Gazetteer, district: usize, keys: &[Key]) -> Vec<usize> {
    let Some(d) = gazetteer.districts.get(district) else {
        return Vec::new();
    };
    let mut starts = Vec::new();
    let mut inside = Vec::new();
    for (i, p) in d.places.iter().enumerate() {
        let chars: Vec<char> = p.name_zh.chars().collect();
        match pinyin::position(&chars, &pinyin::initials(&p.pinyin), keys) {
            Some(0) => starts.push(i),
            Some(_) => inside.push(i),
            None => {}
        }
    }
    starts.extend(inside);
    starts
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
    /// By post: to which address.
    pub post_to: PostTo,
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
    /// Window, or post to the card's address or another one.
    Delivery {
        /// The draft.
        draft: Box<Draft>,
        /// Why "another address" could not start.
        problem: Option<DeliveryProblem>,
    },
    /// Asking the worker for the gazetteer ("another address" was touched).
    GazetteerLoading(Box<Draft>),
    /// Typing another postal address, a stage at a time.
    Address {
        /// The draft.
        draft: Box<Draft>,
        /// The city's districts and streets.
        gazetteer: Arc<Gazetteer>,
        /// The stage.
        at: AddressStep,
    },
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
            post_to: PostTo::Card,
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
            Step::Delivery { draft, .. } => Step::Check(draft),
            Step::Address {
                draft,
                gazetteer,
                at,
            } => address_next(draft, gazetteer, at),
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

    /// A key on the field's keypad (a digit, `-`), or an option's index for a choice; on
    /// the typed address, a pinyin initial (the street), a digit or a word of the
    /// house-number keypad, a digit of the recipient's mobile.
    pub fn key(&mut self, key: &str) {
        if let Step::Address { gazetteer, at, .. } = &mut self.step {
            address_key(gazetteer, at, key);
            return;
        }
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

    /// The keypad's "delete" (a word of the house-number keypad goes whole).
    pub fn backspace(&mut self) {
        match &mut self.step {
            Step::Field { typed, problem, .. } => {
                typed.pop();
                *problem = None;
            }
            Step::Address { at, .. } => match at {
                AddressStep::Street { keys, problem, .. } => {
                    keys.pop();
                    *problem = None;
                }
                AddressStep::Number { typed, problem, .. } => {
                    match NUMBER_WORDS
                        .iter()
                        .find(|w| w.len() > 1 && typed.ends_with(*w))
                    {
                        Some(w) => typed.truncate(typed.len() - w.len()),
                        None => {
                            typed.pop();
                        }
                    }
                    *problem = None;
                }
                AddressStep::Mobile { typed, problem, .. } => {
                    typed.pop();
                    *problem = None;
                }
                AddressStep::District | AddressStep::Check { .. } => {}
            },
            _ => {}
        }
    }

    /// The street search's "clear".
    pub fn clear_keys(&mut self) {
        if let Step::Address {
            at: AddressStep::Street { keys, problem, .. },
            ..
        } = &mut self.step
        {
            keys.clear();
            *problem = None;
        }
    }

    /// A district from the list, or a street from the results (its place in the district).
    pub fn pick(&mut self, index: usize) {
        let Step::Address { gazetteer, at, .. } = &mut self.step else {
            return;
        };
        match at {
            AddressStep::District if index < gazetteer.districts.len() => {
                *at = AddressStep::Street {
                    district: index,
                    keys: Vec::new(),
                    problem: None,
                };
            }
            AddressStep::Street { district, .. }
                if index < gazetteer.districts[*district].places.len() =>
            {
                *at = AddressStep::Number {
                    district: *district,
                    place: index,
                    typed: String::new(),
                    problem: None,
                };
            }
            _ => {}
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

    /// Window, or post to the card's address.
    pub fn deliver(&mut self, delivery: Delivery) {
        if let Step::Delivery { draft, problem } = &mut self.step {
            if draft.matter.delivery.contains(&delivery) {
                draft.delivery = delivery;
                draft.post_to = PostTo::Card;
                *problem = None;
            }
        }
    }

    /// "By post to another address": the gazetteer is asked for, then the district.
    pub fn post_elsewhere(&mut self, cx: &mut Cx) {
        if !matches!(&self.step, Step::Delivery { draft, .. } if draft.matter.delivery.contains(&Delivery::Post))
        {
            return;
        }
        let Step::Delivery { draft, .. } = std::mem::replace(&mut self.step, Step::Loading) else {
            return;
        };
        self.step = Step::GazetteerLoading(draft);
        self.order(cx, Order::Gazetteer);
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
            listed.push(ReceivedMaterial {
                name_zh: m.name_zh.clone(),
                name_en: m.name_en.clone(),
                pages: state.pages.len(),
                at_window: state.at_window,
            });
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
            .filter(|v| !v.is_empty())
            .or_else(|| match &draft.post_to {
                PostTo::Typed(a) if draft.delivery == Delivery::Post => a.mobile.clone(),
                _ => None,
            })
            .unwrap_or_default();
        let post_address = match (&draft.delivery, &draft.post_to) {
            (Delivery::Window, _) => None,
            (Delivery::Post, PostTo::Card) => Some(card.address.clone()),
            (Delivery::Post, PostTo::Typed(a)) => Some(a.full()),
        };
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
            post_address,
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
        Step::Delivery {
            draft,
            problem: None,
        }
    }
}

/// A required material has a page or is brought to the window.
fn material_ready(draft: &Draft, index: usize) -> bool {
    let state = &draft.materials[index];
    !draft.matter.materials[index].required || state.at_window || !state.pages.is_empty()
}

/// The matter's own mobile number, when it asked for one and it was given.
fn matter_mobile(draft: &Draft) -> Option<&str> {
    draft
        .matter
        .fields
        .iter()
        .zip(&draft.values)
        .find(|(f, v)| f.kind == FieldKind::Mobile && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// A key on the typed address's stage.
fn address_key(gazetteer: &Gazetteer, at: &mut AddressStep, key: &str) {
    match at {
        AddressStep::Street {
            district,
            keys,
            problem,
        } => {
            let Some(k) = Key::letter(key) else {
                return;
            };
            if keys.len() >= MAX_STREET_KEYS {
                *problem = Some(AddressProblem::KeysFull);
                return;
            }
            keys.push(k);
            if streets(gazetteer, *district, keys).is_empty() {
                keys.pop();
                *problem = Some(AddressProblem::NoStreet(
                    key.chars().next().unwrap_or('?').to_ascii_uppercase(),
                ));
            } else {
                *problem = None;
            }
        }
        AddressStep::Number { typed, problem, .. } => {
            let ok = key.len() == 1 && key.bytes().all(|b| b.is_ascii_digit())
                || NUMBER_WORDS.contains(&key);
            if !ok {
                return;
            }
            if typed.chars().count() + key.chars().count() > MAX_NUMBER_CHARS {
                *problem = Some(AddressProblem::NumberTooLong);
            } else {
                typed.push_str(key);
                *problem = None;
            }
        }
        AddressStep::Mobile { typed, problem, .. } => {
            if typed.len() < 11 && key.len() == 1 && key.bytes().all(|b| b.is_ascii_digit()) {
                typed.push_str(key);
            }
            *problem = None;
        }
        AddressStep::District | AddressStep::Check { .. } => {}
    }
}

/// "Next" on a stage of the typed address.
fn address_next(draft: Box<Draft>, gazetteer: Arc<Gazetteer>, at: AddressStep) -> Step {
    let at = match at {
        AddressStep::Number {
            district,
            place,
            typed,
            ..
        } if !typed.bytes().any(|b| b.is_ascii_digit()) => AddressStep::Number {
            district,
            place,
            typed,
            problem: Some(AddressProblem::EmptyNumber),
        },
        AddressStep::Number {
            district,
            place,
            typed,
            problem,
        } => {
            let d = &gazetteer.districts[district];
            let address = Box::new(PostAddress {
                city_zh: gazetteer.city_zh.clone(),
                district_zh: d.name_zh.clone(),
                place_zh: d.places[place].name_zh.clone(),
                number: typed.clone(),
                postcode: d.postcode.clone(),
                mobile: None,
            });
            if address.full().chars().count() > MAX_POST_ADDRESS_CHARS {
                AddressStep::Number {
                    district,
                    place,
                    typed,
                    problem: Some(problem.unwrap_or(AddressProblem::NumberTooLong)),
                }
            } else if matter_mobile(&draft).is_some() {
                AddressStep::Check {
                    address,
                    at: (district, place),
                }
            } else {
                AddressStep::Mobile {
                    address,
                    at: (district, place),
                    typed: String::new(),
                    problem: None,
                }
            }
        }
        AddressStep::Mobile {
            mut address,
            at,
            typed,
            ..
        } if is_mobile_number(&typed) => {
            address.mobile = Some(typed);
            AddressStep::Check { address, at }
        }
        AddressStep::Mobile {
            address, at, typed, ..
        } => AddressStep::Mobile {
            address,
            at,
            typed,
            problem: Some(AddressProblem::NotAMobile),
        },
        AddressStep::Check { address, .. } => {
            let mut draft = draft;
            draft.delivery = Delivery::Post;
            draft.post_to = PostTo::Typed(address);
            return Step::Check(draft);
        }
        // The district and the street are picked, not confirmed.
        other => other,
    };
    Step::Address {
        draft,
        gazetteer,
        at,
    }
}

/// "Back" on a stage of the typed address: the stage before, or the delivery page.
fn address_back(draft: Box<Draft>, gazetteer: Arc<Gazetteer>, at: AddressStep) -> Step {
    let number = |(district, place): (usize, usize), address: &PostAddress| AddressStep::Number {
        district,
        place,
        typed: address.number.clone(),
        problem: None,
    };
    let at = match at {
        AddressStep::District => {
            return Step::Delivery {
                draft,
                problem: None,
            }
        }
        AddressStep::Street { .. } => AddressStep::District,
        AddressStep::Number { district, .. } => AddressStep::Street {
            district,
            keys: Vec::new(),
            problem: None,
        },
        AddressStep::Mobile { address, at, .. } => number(at, &address),
        AddressStep::Check { address, at } => match &address.mobile {
            Some(m) => AddressStep::Mobile {
                typed: m.clone(),
                address,
                at,
                problem: None,
            },
            None => number(at, &address),
        },
    };
    Step::Address {
        draft,
        gazetteer,
        at,
    }
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

    fn problem(&self) -> Option<&'static str> {
        match &self.step {
            Step::Problem(p) => Some(match p {
                Problem::NoMatters => "no_matters",
                Problem::NoCard => "no_card",
                Problem::NotSaved => "not_saved",
                Problem::Refused(_) => "refused",
            }),
            _ => None,
        }
    }

    fn prompt(&self) -> Option<&'static str> {
        // What the scanner's page says when a scan gave nothing (a card side or a page).
        fn scan(p: &ScanProblem) -> &'static str {
            match p {
                ScanProblem::NoCard => "apply-scan-nothing",
                ScanProblem::NotACard => "apply-scan-not-a-card",
                ScanProblem::CoverOpen => "apply-scan-cover-open",
                ScanProblem::ScannerFault => "apply-scanner-fault",
            }
        }
        // A refused key or "next" of the typed address.
        fn address(p: &AddressProblem) -> &'static str {
            match p {
                AddressProblem::NoStreet(_) => "apply-address-no-street",
                AddressProblem::KeysFull => "apply-address-keys-full",
                AddressProblem::EmptyNumber => "apply-address-empty-number",
                AddressProblem::NumberTooLong => "apply-address-number-too-long",
                AddressProblem::NotAMobile => "apply-not-a-mobile",
            }
        }
        Some(match &self.step {
            // The service's own prompt names the first choice (the matters come at once).
            Step::Loading | Step::Matters { .. } => return None,
            Step::NotEligible { .. } => "apply-not-eligible",
            Step::Instructions(_) => "apply-instructions",
            Step::Card { draft, side } => {
                let state = match side {
                    Side::Front => &draft.front,
                    Side::Back => &draft.back,
                };
                match state {
                    SideState::Waiting => match side {
                        Side::Front => "apply-card-front",
                        Side::Back => "apply-card-back",
                    },
                    SideState::Scanning => "apply-scanning",
                    SideState::Done(_) => "apply-card-scanned",
                    SideState::Failed(p) => scan(p),
                }
            }
            Step::Form(_) => "apply-form",
            Step::Field {
                problem: Some(p), ..
            } => match p {
                FieldProblem::NotAMobile => "apply-not-a-mobile",
                FieldProblem::NothingChosen => "apply-field-nothing-chosen",
                FieldProblem::TooLong => "apply-field-too-long",
            },
            Step::Field {
                draft,
                index,
                problem: None,
                ..
            } => match draft.matter.fields.get(*index).map(|f| &f.kind) {
                Some(FieldKind::Mobile) => "apply-field-mobile",
                Some(FieldKind::Choice { .. }) => "apply-field-choice",
                Some(FieldKind::Text { .. }) | None => "apply-field-text",
            },
            Step::Material {
                scanning: Some(_), ..
            } => "apply-scanning",
            Step::Material {
                problem: Some(p), ..
            } => scan(p),
            Step::Material {
                draft,
                index,
                scanning: None,
                problem: None,
            } => match draft.materials.get(*index) {
                Some(m) if m.at_window => "apply-material-at-window",
                Some(m) if !m.pages.is_empty() => "apply-material-scanned",
                _ => "apply-material",
            },
            Step::Delivery { problem: None, .. } => "apply-delivery",
            Step::Delivery {
                problem: Some(DeliveryProblem::NoGazetteer),
                ..
            } => "apply-no-gazetteer",
            Step::GazetteerLoading(_) => "apply-gazetteer-loading",
            Step::Address { at, .. } => match at {
                AddressStep::Street {
                    problem: Some(p), ..
                }
                | AddressStep::Number {
                    problem: Some(p), ..
                }
                | AddressStep::Mobile {
                    problem: Some(p), ..
                } => address(p),
                AddressStep::District => "apply-address-district",
                AddressStep::Street { problem: None, .. } => "apply-address-street",
                AddressStep::Number { problem: None, .. } => "apply-address-number",
                AddressStep::Mobile { problem: None, .. } => "apply-address-mobile",
                AddressStep::Check { .. } => "apply-address-check",
            },
            Step::Check(_) => "apply-check",
            Step::Submitting => "wait-sending",
            Step::Done { receipt, .. } => match (&receipt.case_number, receipt.printed) {
                (Some(_), true) => "apply-done",
                (Some(_), false) => "apply-done-no-receipt",
                (None, true) => "apply-done-sms",
                (None, false) => "apply-done-sms-no-receipt",
            },
            Step::Problem(p) => match p {
                Problem::NoMatters => "apply-no-matters",
                Problem::NoCard => "apply-no-card",
                Problem::NotSaved => "apply-not-saved",
                Problem::Refused(_) => "apply-refused",
            },
        })
    }

    fn progress(&self) -> Option<Progress> {
        // The matter, what to bring, the card, the form, the materials, delivery, the
        // check, the receipt.
        Some(match self.step {
            Step::Loading | Step::Matters { .. } | Step::NotEligible { .. } => Progress::new(1, 8),
            Step::Instructions(_) => Progress::new(2, 8),
            Step::Card { .. } => Progress::new(3, 8),
            Step::Form(_) | Step::Field { .. } => Progress::new(4, 8),
            Step::Material { .. } => Progress::new(5, 8),
            Step::Delivery { .. } | Step::GazetteerLoading(_) | Step::Address { .. } => {
                Progress::new(6, 8)
            }
            Step::Check(_) => Progress::new(7, 8),
            Step::Submitting | Step::Done { .. } => Progress::new(8, 8),
            Step::Problem(_) => return None,
        })
    }

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
            Step::Delivery { draft, .. } => match draft.matter.materials.len().checked_sub(1) {
                Some(i) => material_or_delivery(draft, i),
                None => Step::Form(draft),
            },
            Step::GazetteerLoading(draft) => Step::Delivery {
                draft,
                problem: None,
            },
            Step::Address {
                draft,
                gazetteer,
                at,
            } => address_back(draft, gazetteer, at),
            Step::Check(draft) => Step::Delivery {
                draft,
                problem: None,
            },
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
            (Step::GazetteerLoading(_), Event::Gazetteer(found)) => {
                let Step::GazetteerLoading(draft) =
                    std::mem::replace(&mut self.step, Step::Loading)
                else {
                    return false;
                };
                self.step = match found {
                    Some(gazetteer) => Step::Address {
                        draft,
                        gazetteer,
                        at: AddressStep::District,
                    },
                    None => Step::Delivery {
                        draft,
                        problem: Some(DeliveryProblem::NoGazetteer),
                    },
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

    fn gazetteer() -> Arc<Gazetteer> {
        use kiosk_platform::api::apply::{GazetteerDistrict, GazetteerPlace};
        let place = |zh: &str, py: &str| GazetteerPlace {
            name_zh: zh.into(),
            pinyin: py.split(' ').map(str::to_owned).collect(),
        };
        Arc::new(Gazetteer {
            city_zh: "北京市".into(),
            city_en: "Beijing".into(),
            districts: vec![
                GazetteerDistrict {
                    code: "110101".into(),
                    name_zh: "东城区".into(),
                    name_en: "Dongcheng".into(),
                    postcode: "100010".into(),
                    places: vec![place("景山前街", "jing shan qian jie")],
                },
                GazetteerDistrict {
                    code: "110105".into(),
                    name_zh: "朝阳区".into(),
                    name_en: "Chaoyang".into(),
                    postcode: "100020".into(),
                    places: vec![
                        place("光华路", "guang hua lu"),
                        place("建国门外大街", "jian guo men wai da jie"),
                        place("建国路", "jian guo lu"),
                        place("金台路", "jin tai lu"),
                    ],
                },
            ],
        })
    }

    /// A flow on the delivery page of `matter` (its mobile field filled when it has one).
    fn at_delivery(matter: ApplyMatter, port: &Rc<FakePort>, cx: &mut Cx) -> ApplyFlow {
        let mut f = ApplyFlow::new(port.clone(), cx);
        f.on_event(cx, Event::Matters(vec![matter], today()));
        f.choose(cx, 0);
        f.next();
        for side in [Side::Front, Side::Back] {
            f.scan_side(cx);
            f.on_event(cx, Event::CardScanned(side, Ok(scan())));
            f.next();
        }
        f.next();
        while let Step::Field { .. } = f.step() {
            for k in "13800138000".chars() {
                f.key(&k.to_string());
            }
            f.next();
        }
        while let Step::Material { .. } = f.step() {
            f.bring_to_window();
            f.next();
        }
        assert!(matches!(f.step(), Step::Delivery { .. }), "{:?}", f.step());
        f
    }

    fn stage(f: &ApplyFlow) -> String {
        match f.step() {
            Step::Address { at, .. } => format!("{at:?}"),
            other => format!("{other:?}").chars().take(20).collect(),
        }
    }

    #[test]
    fn a_typed_address_goes_district_street_number_check_and_reaches_the_worker() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut f = at_delivery(matter(None), &port, &mut cx);
        f.post_elsewhere(&mut cx);
        assert!(matches!(f.step(), Step::GazetteerLoading(_)));
        assert!(matches!(port.0.borrow().last(), Some(Order::Gazetteer)));
        assert!(f.on_event(&mut cx, Event::Gazetteer(Some(gazetteer()))));
        assert_eq!(stage(&f), "District");
        f.pick(1);
        assert_eq!(stage(&f), "Street");
        // J, G: 建国门外大街 and 建国路 (both start with it); X goes nowhere and is refused.
        f.key("J");
        f.key("G");
        let Step::Address {
            gazetteer: g,
            at: AddressStep::Street { keys, .. },
            ..
        } = f.step()
        else {
            panic!()
        };
        assert_eq!(streets(g, 1, keys), vec![1, 2]);
        f.key("X");
        assert!(matches!(
            f.step(),
            Step::Address {
                at: AddressStep::Street { problem: Some(AddressProblem::NoStreet('X')), ref keys, .. },
                ..
            } if keys.len() == 2
        ));
        f.key("L");
        f.pick(2);
        assert_eq!(stage(&f), "Number");
        // Nothing typed: refused with the reason; then a number, a word deleted whole.
        f.next();
        assert!(matches!(
            f.step(),
            Step::Address {
                at: AddressStep::Number {
                    problem: Some(AddressProblem::EmptyNumber),
                    ..
                },
                ..
            }
        ));
        for k in ["8", "8", "号", "2", "号楼", "单元"] {
            f.key(k);
        }
        f.backspace();
        for k in ["3", "0", "1", "室", "汉", "x"] {
            f.key(k);
        }
        // Too long: the key is refused, what was typed stays.
        for _ in 0..MAX_NUMBER_CHARS {
            f.key("9");
        }
        let Step::Address {
            at: AddressStep::Number { typed, problem, .. },
            ..
        } = f.step()
        else {
            panic!()
        };
        assert_eq!(problem, &Some(AddressProblem::NumberTooLong));
        assert_eq!(typed.chars().count(), MAX_NUMBER_CHARS);
        while !matches!(f.step(), Step::Address { at: AddressStep::Number { typed, .. }, .. } if typed.ends_with('室'))
        {
            f.backspace();
        }
        f.next();
        // The matter has a mobile: no recipient's mobile is asked; the whole address shows.
        let Step::Address {
            at: AddressStep::Check { address, .. },
            ..
        } = f.step()
        else {
            panic!("{:?}", f.step())
        };
        assert_eq!(address.full(), "北京市朝阳区建国路88号2号楼301室");
        assert_eq!(address.masked(), "北京市朝阳区****");
        assert_eq!(format!("{address:?}"), "PostAddress(..)");
        // Back at each stage, then forward again.
        f.back(&mut cx);
        assert_eq!(stage(&f), "Number");
        f.back(&mut cx);
        assert_eq!(stage(&f), "Street");
        f.back(&mut cx);
        assert_eq!(stage(&f), "District");
        f.pick(1);
        f.key("J");
        f.pick(2);
        f.key("8");
        f.key("8");
        f.key("号");
        f.next();
        f.next();
        let Step::Check(draft) = f.step() else {
            panic!("{:?}", f.step())
        };
        assert_eq!(draft.delivery, Delivery::Post);
        f.submit(&mut cx);
        let orders = port.0.borrow();
        let Some(Order::Submit(sub)) = orders.last() else {
            panic!("{orders:?}")
        };
        assert_eq!(
            sub.application.post_address.as_deref(),
            Some("北京市朝阳区建国路88号")
        );
        assert_eq!(sub.application.mobile, "13800138000");
        assert!(!format!("{sub:?}").contains("建国路"));
    }

    #[test]
    fn without_a_mobile_field_the_recipients_mobile_is_asked_for() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut m = matter(None);
        m.fields.clear();
        let mut f = at_delivery(m, &port, &mut cx);
        f.post_elsewhere(&mut cx);
        f.on_event(&mut cx, Event::Gazetteer(Some(gazetteer())));
        f.pick(0);
        f.pick(0);
        f.key("4");
        f.key("号");
        f.next();
        assert_eq!(stage(&f), "Mobile");
        f.key("2");
        f.next();
        assert!(matches!(
            f.step(),
            Step::Address {
                at: AddressStep::Mobile {
                    problem: Some(AddressProblem::NotAMobile),
                    ..
                },
                ..
            }
        ));
        f.backspace();
        for k in "13900139000".chars() {
            f.key(&k.to_string());
        }
        f.next();
        assert_eq!(stage(&f), "Check");
        f.back(&mut cx);
        assert_eq!(stage(&f), "Mobile");
        f.next();
        f.next();
        f.submit(&mut cx);
        let orders = port.0.borrow();
        let Some(Order::Submit(sub)) = orders.last() else {
            panic!("{orders:?}")
        };
        assert_eq!(sub.application.mobile, "13900139000");
        assert_eq!(
            sub.application.post_address.as_deref(),
            Some("北京市东城区景山前街4号")
        );
    }

    #[test]
    fn with_no_gazetteer_the_delivery_page_says_so_and_keeps_the_other_ways() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut f = at_delivery(matter(None), &port, &mut cx);
        f.post_elsewhere(&mut cx);
        assert!(f.on_event(&mut cx, Event::Gazetteer(None)));
        assert!(matches!(
            f.step(),
            Step::Delivery {
                problem: Some(DeliveryProblem::NoGazetteer),
                ..
            }
        ));
        // The card's address still goes.
        f.deliver(Delivery::Post);
        assert!(matches!(f.step(), Step::Delivery { problem: None, .. }));
        f.next();
        f.submit(&mut cx);
        let orders = port.0.borrow();
        let Some(Order::Submit(sub)) = orders.last() else {
            panic!("{orders:?}")
        };
        assert_eq!(
            sub.application.post_address.as_deref(),
            Some("北京市东城区示例路1号")
        );
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
