//! The sample-forms steps: the library loading, browsing and searching it, a form open in
//! the viewer (page, blank or sample, zoom), printing, "take your form".

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use kiosk_platform::api::sample_forms::{phone_path, CardField, PageKind, SampleForm};

use super::search::{Filter, Key};
use super::{
    Event, Library, Order, PageImage, PageProblem, PrintProblem, PrintState, PrintWhat,
    SampleFormsPort,
};
use crate::app::citizen::CardDetails;
use crate::app::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Reply};
use crate::devices::a4_printer::A4Problem;
use crate::documents::form::FormFill;

/// Most keys the search line takes (the longest name has 12 characters).
pub const MAX_KEYS: usize = 12;
/// The zoom steps of the +/− buttons, in percent; a pinch may stop anywhere between.
pub const ZOOM_STEPS: [u16; 5] = [100, 150, 200, 300, 400];
/// Least and most zoom, percent.
pub const ZOOM_RANGE: (u16, u16) = (100, 400);

/// Why a typed key was not taken (the search line keeps what it had).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// No form's name goes on with this key: nothing would be left to show.
    NoMatch(Key),
    /// The line is full.
    TooLong,
}

/// The list being browsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    /// Department and initial chosen.
    pub filter: Filter,
    /// What was typed.
    pub keys: Vec<Key>,
    /// The forms that match, positions in the library, best first.
    pub results: Vec<usize>,
    /// The candidate characters for the last typed letter.
    pub candidates: Vec<char>,
    /// Why the last key was refused.
    pub notice: Option<KeyProblem>,
}

/// The page on screen.
#[derive(Debug, Clone, PartialEq)]
pub enum PageState {
    /// Being fetched and decoded.
    Loading,
    /// Shown.
    Shown(PageImage),
    /// Cannot be shown, and why.
    Missing(PageProblem),
}

/// A form open in the viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewer {
    /// Its position in the library.
    pub form: usize,
    /// Blank or sample.
    pub kind: PageKind,
    /// From 1.
    pub page: u8,
    /// Percent, within [`ZOOM_RANGE`].
    pub zoom: u16,
    /// The page image.
    pub image: PageState,
    /// Whether the A4 printer could print.
    pub print: PrintState,
    /// The last print did not come out, and why.
    pub failed: Option<PrintProblem>,
    /// The list to go back to.
    pub browse: Browse,
}

/// Where the citizen is.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The library is being fetched (or read from the store).
    Loading,
    /// The list, the search line, the filters.
    Browse(Browse),
    /// A form open.
    Viewing(Box<Viewer>),
    /// The form is being printed.
    Printing(Box<Viewer>),
    /// "Take your form".
    Printed {
        /// Since when it shows.
        since: Duration,
    },
    /// No library: never fetched and the platform cannot be reached.
    NoLibrary,
}

/// A citizen at the sample-form library.
pub struct SampleFormsFlow {
    step: Step,
    library: Option<Arc<Library>>,
    port: Rc<dyn SampleFormsPort>,
    phone_base: String,
}

impl std::fmt::Debug for SampleFormsFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Nothing personal is held (the card's values are read at print time only).
        f.debug_tuple("SampleFormsFlow").field(&self.step).finish()
    }
}

impl SampleFormsFlow {
    /// The first step: the library is asked for at once.
    pub fn new(port: Rc<dyn SampleFormsPort>, phone_base: &str, cx: &mut Cx) -> Self {
        port.send(Reply {
            token: cx.session.token(),
            event: Order::Library,
        });
        Self {
            step: Step::Loading,
            library: None,
            port,
            phone_base: phone_base.to_owned(),
        }
    }

    /// The step on screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The library, once it came.
    pub fn library(&self) -> Option<&Arc<Library>> {
        self.library.as_ref()
    }

    /// The form at a position of the library.
    pub fn form(&self, i: usize) -> Option<&SampleForm> {
        self.library.as_ref()?.forms.forms.get(i)
    }

    /// What the take-home QR code opens for the form in the viewer.
    pub fn phone_url(&self) -> Option<String> {
        let Step::Viewing(v) = &self.step else {
            return None;
        };
        let form = self.form(v.form)?;
        Some(format!("{}{}", self.phone_base, phone_path(&form.id)))
    }

    fn send(&self, cx: &Cx, order: Order) {
        self.port.send(Reply {
            token: cx.session.token(),
            event: order,
        });
    }

    fn browse_mut(&mut self) -> Option<(&mut Browse, &Library)> {
        let lib = self.library.as_deref()?;
        match &mut self.step {
            Step::Browse(b) => Some((b, lib)),
            _ => None,
        }
    }

    fn refresh(b: &mut Browse, lib: &Library) {
        b.results = lib.index.search(b.filter, &b.keys);
        b.candidates = lib.index.candidates(b.filter, &b.keys);
    }

    /// Tries `keys` on the list: taken when something is left to show, else refused.
    fn try_keys(&mut self, keys: Vec<Key>, key: Key) {
        let Some((b, lib)) = self.browse_mut() else {
            return;
        };
        if keys.len() > MAX_KEYS {
            b.notice = Some(KeyProblem::TooLong);
            return;
        }
        if lib.index.search(b.filter, &keys).is_empty() {
            b.notice = Some(KeyProblem::NoMatch(key));
            return;
        }
        b.keys = keys;
        b.notice = None;
        Self::refresh(b, lib);
    }

    /// A letter key of the pinyin keyboard (`a`–`z`, either case).
    pub fn type_letter(&mut self, letter: char) {
        if !letter.is_ascii_alphabetic() {
            return;
        }
        let key = Key::Letter(letter.to_ascii_lowercase() as u8);
        let Step::Browse(b) = &self.step else {
            return;
        };
        let mut keys = b.keys.clone();
        keys.push(key);
        self.try_keys(keys, key);
    }

    /// A character of the candidate row: it takes the place of the letter typed last.
    pub fn pick_char(&mut self, c: char) {
        let Step::Browse(b) = &self.step else {
            return;
        };
        let mut keys = b.keys.clone();
        if matches!(keys.last(), Some(Key::Letter(_))) {
            keys.pop();
        }
        keys.push(Key::Char(c));
        self.try_keys(keys, Key::Char(c));
    }

    /// Deletes the last key.
    pub fn delete_key(&mut self) {
        if let Some((b, lib)) = self.browse_mut() {
            b.keys.pop();
            b.notice = None;
            Self::refresh(b, lib);
        }
    }

    /// Empties the search line.
    pub fn clear_keys(&mut self) {
        if let Some((b, lib)) = self.browse_mut() {
            b.keys.clear();
            b.notice = None;
            Self::refresh(b, lib);
        }
    }

    /// A department tab (`None`: all departments). The typed keys stay when something
    /// still matches them, else they are cleared.
    pub fn choose_department(&mut self, department: Option<usize>) {
        self.choose_filter(|f| f.department = department);
    }

    /// An A–Z initial of the bar (`None`: every initial).
    pub fn choose_letter(&mut self, letter: Option<char>) {
        let letter = letter
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase() as u8);
        self.choose_filter(|f| f.letter = letter);
    }

    fn choose_filter(&mut self, change: impl FnOnce(&mut Filter)) {
        if let Some((b, lib)) = self.browse_mut() {
            change(&mut b.filter);
            b.notice = None;
            if lib.index.search(b.filter, &b.keys).is_empty() {
                b.keys.clear();
            }
            Self::refresh(b, lib);
        }
    }

    /// Opens the form at position `form` of the library (from the list).
    pub fn open(&mut self, cx: &mut Cx, form: usize) {
        let Step::Browse(b) = &self.step else {
            return;
        };
        if self.form(form).is_none() {
            return;
        }
        let viewer = Viewer {
            form,
            kind: PageKind::Sample,
            page: 1,
            zoom: ZOOM_RANGE.0,
            image: PageState::Loading,
            print: PrintState::Checking,
            failed: None,
            browse: b.clone(),
        };
        self.step = Step::Viewing(Box::new(viewer));
        self.ask_page(cx);
        self.send(cx, Order::CheckPrinter);
    }

    fn ask_page(&mut self, cx: &Cx) {
        let Step::Viewing(v) = &mut self.step else {
            return;
        };
        v.image = PageState::Loading;
        let (kind, page, form) = (v.kind, v.page, v.form);
        if let Some(f) = self.form(form) {
            let order = Order::Page {
                form_id: f.id.clone(),
                kind,
                page,
            };
            self.send(cx, order);
        }
    }

    fn viewer_mut(&mut self) -> Option<&mut Viewer> {
        match &mut self.step {
            Step::Viewing(v) => Some(v),
            _ => None,
        }
    }

    /// Another page (`delta` ±1); nothing past the first or last.
    pub fn turn_page(&mut self, cx: &mut Cx, delta: i32) {
        let Step::Viewing(v) = &self.step else {
            return;
        };
        let pages = self.form(v.form).map(|f| f.pages).unwrap_or(1);
        let to = i32::from(v.page) + delta;
        if to < 1 || to > i32::from(pages) || to == i32::from(v.page) {
            return;
        }
        if let Some(v) = self.viewer_mut() {
            v.page = to as u8;
        }
        self.ask_page(cx);
    }

    /// The blank form or the filled-in sample.
    pub fn show_kind(&mut self, cx: &mut Cx, kind: PageKind) {
        match self.viewer_mut() {
            Some(v) if v.kind != kind => v.kind = kind,
            _ => return,
        }
        self.ask_page(cx);
    }

    /// The + button: the next zoom step up.
    pub fn zoom_in(&mut self) {
        if let Some(v) = self.viewer_mut() {
            v.zoom = ZOOM_STEPS
                .into_iter()
                .find(|z| *z > v.zoom)
                .unwrap_or(ZOOM_RANGE.1);
        }
    }

    /// The − button: the next zoom step down.
    pub fn zoom_out(&mut self) {
        if let Some(v) = self.viewer_mut() {
            v.zoom = ZOOM_STEPS
                .into_iter()
                .rev()
                .find(|z| *z < v.zoom)
                .unwrap_or(ZOOM_RANGE.0);
        }
    }

    /// A pinch or a double tap: any zoom within [`ZOOM_RANGE`].
    pub fn set_zoom(&mut self, percent: f32) {
        if let Some(v) = self.viewer_mut() {
            let p = if percent.is_finite() { percent } else { 100.0 };
            v.zoom = (p.round() as i64).clamp(ZOOM_RANGE.0.into(), ZOOM_RANGE.1.into()) as u16;
        }
    }

    /// Whether the session's citizen brought a card whose values can fill the form.
    pub fn can_prefill(cx: &Cx) -> bool {
        cx.session.citizen().is_some_and(|c| c.card.is_some())
    }

    /// A print button: prints when the printer is ready; when it was not, asks it again.
    pub fn print(&mut self, cx: &mut Cx, what: PrintChoice) {
        let Some(v) = self.viewer_mut() else {
            return;
        };
        match v.print {
            PrintState::Checking => return,
            PrintState::Unavailable(_) => {
                v.print = PrintState::Checking;
                v.failed = None;
                self.send(cx, Order::CheckPrinter);
                return;
            }
            PrintState::Ready => {}
        }
        let form_pos = v.form;
        let Some(lib) = self.library.clone() else {
            return;
        };
        let Some(form) = lib.forms.forms.get(form_pos).cloned() else {
            return;
        };
        let department = lib
            .forms
            .department(&form.department)
            .map(|d| d.name_zh.clone())
            .unwrap_or_default();
        let what = match what {
            PrintChoice::Blank => PrintWhat::Blank,
            PrintChoice::Sample => PrintWhat::Sample,
            PrintChoice::Prefilled => {
                let Some(card) = cx
                    .session
                    .citizen()
                    .and_then(|c| c.card.as_ref().map(|card| (c.name.clone(), card.clone())))
                else {
                    return;
                };
                PrintWhat::Prefilled(fill(&form, &card.0, &card.1))
            }
        };
        let Step::Viewing(v) = std::mem::replace(&mut self.step, Step::Loading) else {
            return;
        };
        self.step = Step::Printing(v);
        self.send(
            cx,
            Order::Print {
                form,
                department,
                what,
            },
        );
    }
}

/// What a print button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintChoice {
    /// The blank form.
    Blank,
    /// The filled-in sample.
    Sample,
    /// Pre-filled with the card's values.
    Prefilled,
}

/// The card's values for the form's boxes that the card can fill, by field key.
pub fn fill(form: &SampleForm, name: &str, card: &CardDetails) -> FormFill {
    let mut f = FormFill::blank();
    for field in &form.fields {
        let Some(c) = field.card else {
            continue;
        };
        let birth = card.birth.format("%Y年%m月%d日").to_string();
        let value = match c {
            CardField::Name => name,
            CardField::Sex => &card.sex,
            CardField::Nation => &card.nation,
            CardField::Birth => &birth,
            CardField::Address => &card.address,
            CardField::IdNumber => &card.id_number,
        };
        f = f.set(field_key(c), value);
    }
    f
}

/// The key a card field goes by in a [`FormFill`] and a pre-filled form's template.
pub fn field_key(c: CardField) -> &'static str {
    match c {
        CardField::Name => "name",
        CardField::Sex => "sex",
        CardField::Nation => "nation",
        CardField::Birth => "birth",
        CardField::Address => "address",
        CardField::IdNumber => "id_number",
    }
}

impl Flow for SampleFormsFlow {
    type Event = Event;

    fn prompt(&self) -> Option<&'static str> {
        Some(match &self.step {
            // The service's own prompt names the first choice (the library comes at once).
            Step::Loading => return None,
            Step::Browse(b) => match b.notice {
                Some(KeyProblem::TooLong) => "sample-forms-keys-full",
                Some(KeyProblem::NoMatch(_)) => "sample-forms-no-match",
                None if b.results.is_empty() => "sample-forms-none",
                None => return None,
            },
            // A print that did not come out first, then a page that cannot show; a printer
            // found not ready before any print is said on the page only.
            Step::Viewing(v) => match (&v.failed, &v.image) {
                (Some(f), _) => match f {
                    PrintProblem::Printer(p) => match p {
                        A4Problem::PaperOut => "paper-out",
                        A4Problem::TonerOut => "toner-out",
                        A4Problem::Jam
                        | A4Problem::CoverOpen
                        | A4Problem::Offline
                        | A4Problem::JobFailed => "printer-fault",
                        A4Problem::NoPrinter => "sample-forms-no-printer",
                    },
                    PrintProblem::PagesMissing => "sample-forms-pages-missing",
                    PrintProblem::Layout => "sample-forms-layout",
                },
                (None, PageState::Missing(p)) => match p {
                    PageProblem::NotCached => "sample-forms-page-not-cached",
                    PageProblem::Broken => "sample-forms-page-broken",
                },
                (None, PageState::Loading | PageState::Shown(_)) => "sample-forms-viewing",
            },
            Step::Printing(_) => "wait-printing",
            Step::Printed { .. } => "sample-forms-printed",
            Step::NoLibrary => "sample-forms-no-library",
        })
    }

    fn progress(&self) -> Option<Progress> {
        Some(match self.step {
            Step::Loading | Step::Browse(_) => Progress::new(1, 3),
            Step::Viewing(_) => Progress::new(2, 3),
            Step::Printing(_) | Step::Printed { .. } => Progress::new(3, 3),
            Step::NoLibrary => return None,
        })
    }

    fn chrome(&self) -> Chrome {
        match self.step {
            Step::Printing(_) => Chrome::NONE,
            Step::Printed { .. } => Chrome::FINISH_ONLY,
            _ => Chrome::FULL,
        }
    }

    fn idle(&self) -> IdlePolicy {
        match self.step {
            // A job on the printer is not interrupted.
            Step::Printing(_) => IdlePolicy::Paused,
            Step::Printed { since } => IdlePolicy::DoneSince(since),
            _ => IdlePolicy::Normal,
        }
    }

    fn back(&mut self, _cx: &mut Cx) -> Nav {
        match &self.step {
            Step::Viewing(v) => {
                self.step = Step::Browse(v.browse.clone());
                Nav::Stay
            }
            Step::Printing(_) => Nav::Stay,
            _ => Nav::Menu,
        }
    }

    fn on_event(&mut self, cx: &mut Cx, event: Event) -> bool {
        match (&mut self.step, event) {
            (Step::Loading, Event::Library(Some(lib))) => {
                let mut b = Browse {
                    filter: Filter::default(),
                    keys: Vec::new(),
                    results: Vec::new(),
                    candidates: Vec::new(),
                    notice: None,
                };
                Self::refresh(&mut b, &lib);
                self.library = Some(lib);
                self.step = Step::Browse(b);
                true
            }
            (Step::Loading, Event::Library(None)) => {
                self.step = Step::NoLibrary;
                true
            }
            (
                Step::Viewing(v),
                Event::Page {
                    form_id,
                    kind,
                    page,
                    image,
                },
            ) => {
                let current = self
                    .library
                    .as_ref()
                    .and_then(|l| l.forms.forms.get(v.form));
                // A page asked for before the citizen turned on is dropped.
                if current.is_none_or(|f| f.id != form_id) || v.kind != kind || v.page != page {
                    return false;
                }
                v.image = match image {
                    Ok(img) => PageState::Shown(img),
                    Err(p) => PageState::Missing(p),
                };
                true
            }
            (Step::Viewing(v), Event::Printer(state)) => {
                if v.failed.is_some() {
                    // A failure stays said until the citizen asks again.
                    return false;
                }
                v.print = state;
                true
            }
            (Step::Printing(_), Event::Printed(Ok(()))) => {
                self.step = Step::Printed { since: cx.now };
                true
            }
            (Step::Printing(v), Event::Printed(Err(problem))) => {
                let mut v = v.clone();
                v.failed = Some(problem);
                v.print = match problem {
                    PrintProblem::Printer(p) => PrintState::Unavailable(p),
                    _ => PrintState::Ready,
                };
                self.step = Step::Viewing(v);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::PageImage;
    use super::*;
    use crate::app::{Citizen, Session};
    use crate::devices::a4_printer::A4Problem;
    use kiosk_platform::api::sample_forms::{Department, FormField, FormLibrary};
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<Order>>);
    impl SampleFormsPort for FakePort {
        fn send(&self, o: Reply<Order>) {
            self.0.borrow_mut().push(o.event);
        }
    }

    fn library() -> Arc<Library> {
        let form = |id: &str, name: &str, pinyin: &str, pages| SampleForm {
            id: id.into(),
            name_zh: name.into(),
            pinyin: pinyin.split(' ').map(str::to_owned).collect(),
            department: "ps".into(),
            pages,
            fields: vec![
                FormField {
                    label_zh: "姓名".into(),
                    card: Some(CardField::Name),
                    lines: 1,
                },
                FormField {
                    label_zh: "公民身份号码".into(),
                    card: Some(CardField::IdNumber),
                    lines: 1,
                },
                FormField {
                    label_zh: "联系电话".into(),
                    card: None,
                    lines: 1,
                },
            ],
        };
        Arc::new(Library::new(FormLibrary {
            departments: vec![Department {
                code: "ps".into(),
                name_zh: "公安".into(),
                name_en: "Public security".into(),
            }],
            forms: vec![
                form("F1", "居住证申请表", "ju zhu zheng shen qing biao", 2),
                form("F2", "户籍证明登记表", "hu ji zheng ming deng ji biao", 1),
            ],
        }))
    }

    fn image() -> PageImage {
        PageImage(slint::SharedPixelBuffer::new(2, 3))
    }

    fn open_flow(port: &Rc<FakePort>, cx: &mut Cx) -> SampleFormsFlow {
        let mut flow = SampleFormsFlow::new(port.clone(), "http://hall.example", cx);
        assert!(matches!(port.0.borrow().as_slice(), [Order::Library]));
        assert!(flow.on_event(cx, Event::Library(Some(library()))));
        flow
    }

    #[test]
    fn typing_narrows_the_list_a_candidate_replaces_its_letter_and_a_dead_end_is_refused() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = open_flow(&port, &mut cx);
        let Step::Browse(b) = flow.step() else {
            panic!()
        };
        assert_eq!(b.results, vec![0, 1]);
        flow.type_letter('J');
        let Step::Browse(b) = flow.step() else {
            panic!()
        };
        // "j": 居 starts F1; 籍 is inside F2.
        assert_eq!(b.results, vec![0, 1]);
        assert!(b.candidates.contains(&'居') && b.candidates.contains(&'籍'));
        flow.pick_char('居');
        let Step::Browse(b) = flow.step() else {
            panic!()
        };
        assert_eq!(b.keys, vec![Key::Char('居')]);
        assert_eq!(b.results, vec![0]);
        // 居 then "q": no name goes on so; refused, the line keeps 居.
        flow.type_letter('q');
        let Step::Browse(b) = flow.step() else {
            panic!()
        };
        assert_eq!(b.notice, Some(KeyProblem::NoMatch(Key::Letter(b'q'))));
        assert_eq!(b.keys, vec![Key::Char('居')]);
        assert_eq!(b.results, vec![0]);
        flow.delete_key();
        let Step::Browse(b) = flow.step() else {
            panic!()
        };
        assert!(b.keys.is_empty() && b.notice.is_none());
        flow.choose_letter(Some('H'));
        let Step::Browse(b) = flow.step() else {
            panic!()
        };
        assert_eq!(b.results, vec![1]);
        assert_eq!(flow.back(&mut cx), Nav::Menu);
    }

    #[test]
    fn the_viewer_pages_zooms_and_drops_a_page_the_citizen_turned_away_from() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = open_flow(&port, &mut cx);
        flow.open(&mut cx, 0);
        assert!(matches!(
            &port.0.borrow()[1..],
            [Order::Page { form_id, kind: PageKind::Sample, page: 1 }, Order::CheckPrinter]
                if form_id == "F1"
        ));
        assert_eq!(
            flow.phone_url().as_deref(),
            Some("http://hall.example/m/forms/F1")
        );
        flow.turn_page(&mut cx, 1);
        // Page 1 arrives late: not shown.
        let late = Event::Page {
            form_id: "F1".into(),
            kind: PageKind::Sample,
            page: 1,
            image: Ok(image()),
        };
        assert!(!flow.on_event(&mut cx, late));
        let page2 = Event::Page {
            form_id: "F1".into(),
            kind: PageKind::Sample,
            page: 2,
            image: Ok(image()),
        };
        assert!(flow.on_event(&mut cx, page2));
        flow.turn_page(&mut cx, 1);
        let Step::Viewing(v) = flow.step() else {
            panic!()
        };
        assert_eq!(v.page, 2, "no page 3");
        assert!(matches!(v.image, PageState::Shown(_)));
        for (action, want) in [(1, 150), (1, 200), (1, 300), (1, 400), (1, 400), (-1, 300)] {
            if action > 0 {
                flow.zoom_in()
            } else {
                flow.zoom_out()
            }
            let Step::Viewing(v) = flow.step() else {
                panic!()
            };
            assert_eq!(v.zoom, want);
        }
        flow.set_zoom(1000.0);
        flow.set_zoom(f32::NAN);
        let Step::Viewing(v) = flow.step() else {
            panic!()
        };
        assert_eq!(v.zoom, 100);
        flow.show_kind(&mut cx, PageKind::Blank);
        let missing = Event::Page {
            form_id: "F1".into(),
            kind: PageKind::Blank,
            page: 2,
            image: Err(PageProblem::NotCached),
        };
        assert!(flow.on_event(&mut cx, missing));
        let Step::Viewing(v) = flow.step() else {
            panic!()
        };
        assert_eq!(v.image, PageState::Missing(PageProblem::NotCached));
        assert_eq!(flow.back(&mut cx), Nav::Stay);
        assert!(matches!(flow.step(), Step::Browse(_)));
    }

    #[test]
    fn printing_prefilled_carries_the_card_and_a_printer_fault_is_said_and_asked_again() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen::sample());
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = open_flow(&port, &mut cx);
        flow.open(&mut cx, 0);
        // Not yet known whether the printer can: nothing is sent.
        let sent = port.0.borrow().len();
        flow.print(&mut cx, PrintChoice::Blank);
        assert_eq!(port.0.borrow().len(), sent);
        let out = PrintState::Unavailable(A4Problem::PaperOut);
        assert!(flow.on_event(&mut cx, Event::Printer(out)));
        flow.print(&mut cx, PrintChoice::Blank);
        assert!(matches!(port.0.borrow().last(), Some(Order::CheckPrinter)));
        assert!(flow.on_event(&mut cx, Event::Printer(PrintState::Ready)));
        assert!(SampleFormsFlow::can_prefill(&cx));
        flow.print(&mut cx, PrintChoice::Prefilled);
        let fill = match port.0.borrow().last() {
            Some(Order::Print {
                what: PrintWhat::Prefilled(fill),
                ..
            }) => fill.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fill.get("name"), Some("张伟"));
        assert_eq!(fill.get("id_number"), Some("11010119900101001X"));
        assert_eq!(fill.get("sex"), None, "the form has no such box");
        assert_eq!(flow.chrome(), Chrome::NONE);
        assert_eq!(flow.idle(), IdlePolicy::Paused);
        let jam = Err(PrintProblem::Printer(A4Problem::Jam));
        assert!(flow.on_event(&mut cx, Event::Printed(jam)));
        let Step::Viewing(v) = flow.step() else {
            panic!()
        };
        assert_eq!(v.failed, Some(PrintProblem::Printer(A4Problem::Jam)));
        assert!(!flow.on_event(&mut cx, Event::Printer(PrintState::Ready)));
        flow.print(&mut cx, PrintChoice::Sample);
        assert!(flow.on_event(&mut cx, Event::Printer(PrintState::Ready)));
        flow.print(&mut cx, PrintChoice::Sample);
        cx.now = Duration::from_secs(9);
        assert!(flow.on_event(&mut cx, Event::Printed(Ok(()))));
        assert_eq!(flow.idle(), IdlePolicy::DoneSince(Duration::from_secs(9)));
        assert!(!format!("{flow:?}").contains("张伟"));
    }

    #[test]
    fn no_library_is_said_and_a_typed_citizen_cannot_prefill() {
        let port = Rc::new(FakePort::default());
        let mut s = Session::serving(Citizen {
            card: None,
            ..Citizen::sample()
        });
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        assert!(!SampleFormsFlow::can_prefill(&cx));
        let mut flow = SampleFormsFlow::new(port.clone(), "", &mut cx);
        assert!(flow.on_event(&mut cx, Event::Library(None)));
        assert_eq!(flow.step(), &Step::NoLibrary);
        assert_eq!(flow.back(&mut cx), Nav::Menu);
    }
}
