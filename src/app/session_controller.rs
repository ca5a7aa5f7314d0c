//! One citizen's session, from the swiped card to the printed ticket and back to the attract
//! screen; and what the screens show at each step.

use std::time::Duration;

use super::citizen::{mask_phone, Citizen};
use super::id_copy::{
    CardSide, CopyJob, CopyPrintProblem, CopyPrintState, CopyService, NoCopyService, ScanProblem,
    SideState, COPY_PURPOSES,
};
use super::idle_timer::{IdleState, IdleTimer};
use super::progress::{CaseEntry, CaseOutcome, CaseProblem, CaseQuery, CaseService, NoCaseService};
use super::RgbaImage;

/// The page on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// "Swipe your ID card": nobody is being served.
    Attract,
    /// Greeting and the services that work.
    Menu,
    /// Choose the service area.
    AreaSelect,
    /// Optional mobile number for the SMS.
    Phone,
    /// The ticket is being issued and printed.
    Printing,
    /// "Take your ticket".
    TicketDone,
    /// Something went wrong: what to do next.
    Problem,
    /// Follow an application: scan the receipt, use the card, or type the number.
    Progress,
    /// Type the case number.
    CaseEntry,
    /// The platform's answer about a case (or why there is none).
    ProgressResult,
    /// ID-card copy: what is the copy for.
    CopyPurpose,
    /// ID-card copy: scan a side.
    CopyScan,
    /// ID-card copy: the page before printing.
    CopyPreview,
    /// ID-card copy: printing and collecting.
    CopyDone,
}

/// What a scanned code is, as the session needs to know (the scanner thread classifies it
/// with the platform's rules and verifies receipt signatures before it gets here).
#[derive(Clone, PartialEq, Eq)]
pub enum ScannedCode {
    /// The hall's own receipt or certificate (signature verified), or a bare case number.
    Case(String),
    /// Looks like the hall's receipt but the signature does not verify.
    Forged,
    /// A queue ticket's follow-the-queue code.
    QueueTicket,
    /// Not one of the hall's codes.
    Foreign,
    /// The scanner read something it could not make into a code (garbled, cut short, too
    /// long): scan again.
    Unreadable,
}

impl std::fmt::Debug for ScannedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScannedCode::Case(_) => f.write_str("Case(<redacted>)"),
            ScannedCode::Forged => f.write_str("Forged"),
            ScannedCode::QueueTicket => f.write_str("QueueTicket"),
            ScannedCode::Foreign => f.write_str("Foreign"),
            ScannedCode::Unreadable => f.write_str("Unreadable"),
        }
    }
}

/// A service area as the citizen chooses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// Code printed before the number, e.g. `A`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Chinese description (which matters it serves).
    pub description_zh: String,
    /// English description.
    pub description_en: String,
    /// People waiting, if known.
    pub waiting: Option<u32>,
}

/// What the service thread is asked to do.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketOrder {
    /// Chosen area.
    pub area_code: String,
    /// Mobile number, if the citizen left one.
    pub phone: Option<String>,
    /// For the ticket.
    pub masked_id: String,
}

impl std::fmt::Debug for TicketOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketOrder")
            .field("area_code", &self.area_code)
            .field("phone", &self.phone.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// Issues and prints a ticket off the UI thread; the answer comes back through
/// [`SessionController::ticket_finished`].
pub trait TicketService {
    /// Starts issuing a ticket. Must not block.
    fn issue(&self, order: TicketOrder);
}

/// A printed (or at least issued) ticket, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketView {
    /// `A012`.
    pub display_number: String,
    /// Area code.
    pub area_code: String,
    /// People ahead.
    pub people_ahead: u32,
    /// Link that follows the queue on a phone (the ticket's QR code).
    pub follow_url: String,
}

/// Why a ticket could not be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketProblem {
    /// No leased numbers left and the platform unreachable.
    NoNumbers,
    /// The printer is out of paper: the ticket was issued and is kept; staff reprint it.
    PaperOut,
    /// The printer's cover is open, it is offline or unplugged.
    PrinterFault,
    /// The local database failed.
    Store,
}

/// The service thread's answer.
pub type TicketOutcome = Result<TicketView, (TicketProblem, Option<TicketView>)>;

/// A one-line message on the attract screen after a card could not start a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Nothing to say.
    None,
    /// The card could not be read: place it again.
    CardUnreadable,
    /// The card is expired.
    CardExpired,
    /// A scanned code looks like a receipt but was altered or forged.
    CodeForged,
    /// A scanned code is not one of the hall's.
    CodeForeign,
    /// A queue ticket's code was scanned: it follows the queue on a phone.
    CodeQueueTicket,
    /// The scanner could not read the code: hold it steady and scan again.
    CodeUnreadable,
}

/// Why a typed phone number is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Not 11 digits starting with 1.
    Invalid,
}

/// Drives one session at a time. Lives on the UI thread; the adapter re-renders from its
/// getters after every call.
pub struct SessionController<S: TicketService> {
    service: S,
    idle: IdleTimer,
    done_after: Duration,
    page: Page,
    notice: Notice,
    citizen: Option<Citizen>,
    areas: Vec<Area>,
    area_code: Option<String>,
    phone: String,
    phone_error: Option<PhoneError>,
    ticket: Option<TicketView>,
    problem: Option<TicketProblem>,
    done_since: Duration,
    notice_since: Duration,
    countdown: Option<u32>,
    now: Duration,
    cases: Box<dyn CaseService>,
    copier: Box<dyn CopyService>,
    case_entry: CaseEntry,
    /// `None` while the platform is being asked.
    case_outcome: Option<CaseOutcome>,
    copy: CopyJob,
}

/// How long an attract-screen notice (card unreadable, card expired) stays.
const NOTICE_FOR: Duration = Duration::from_secs(10);

/// Longest phone number accepted on the keypad.
const PHONE_LEN: usize = 11;

impl<S: TicketService> SessionController<S> {
    /// A controller showing the attract screen.
    pub fn new(
        service: S,
        idle_after: Duration,
        countdown: Duration,
        done_after: Duration,
    ) -> Self {
        Self {
            service,
            idle: IdleTimer::new(idle_after, countdown),
            done_after,
            page: Page::Attract,
            notice: Notice::None,
            citizen: None,
            areas: Vec::new(),
            area_code: None,
            phone: String::new(),
            phone_error: None,
            ticket: None,
            problem: None,
            done_since: Duration::ZERO,
            notice_since: Duration::ZERO,
            countdown: None,
            now: Duration::ZERO,
            cases: Box::new(NoCaseService),
            copier: Box::new(NoCopyService),
            case_entry: CaseEntry::default(),
            case_outcome: None,
            copy: CopyJob::default(),
        }
    }

    /// Where progress queries go.
    pub fn with_case_service(mut self, cases: impl CaseService + 'static) -> Self {
        self.cases = Box::new(cases);
        self
    }

    /// Where ID-card copies are scanned and printed.
    pub fn with_copy_service(mut self, copier: impl CopyService + 'static) -> Self {
        self.copier = Box::new(copier);
        self
    }

    // ---- what the screens show ----

    /// Current page.
    pub fn page(&self) -> Page {
        self.page
    }
    /// Attract-screen notice.
    pub fn notice(&self) -> Notice {
        self.notice
    }
    /// The citizen being served.
    pub fn citizen(&self) -> Option<&Citizen> {
        self.citizen.as_ref()
    }
    /// Areas from the catalog.
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }
    /// The chosen area.
    pub fn chosen_area(&self) -> Option<&Area> {
        let code = self.area_code.as_deref()?;
        self.areas.iter().find(|a| a.code == code)
    }
    /// The phone number as typed, masked for display except while typing.
    pub fn phone(&self) -> &str {
        &self.phone
    }
    /// Why the typed number was refused.
    pub fn phone_error(&self) -> Option<PhoneError> {
        self.phone_error
    }
    /// The ticket just issued.
    pub fn ticket(&self) -> Option<&TicketView> {
        self.ticket.as_ref()
    }
    /// What went wrong.
    pub fn problem(&self) -> Option<TicketProblem> {
        self.problem
    }
    /// Seconds left of the idle countdown, when it shows.
    pub fn countdown(&self) -> Option<u32> {
        self.countdown
    }
    /// The case number being typed.
    pub fn case_entry(&self) -> &CaseEntry {
        &self.case_entry
    }
    /// The platform's answer about a case; `None` while asking.
    pub fn case_outcome(&self) -> Option<&CaseOutcome> {
        self.case_outcome.as_ref()
    }
    /// The ID-card copy being made.
    pub fn copy_job(&self) -> &CopyJob {
        &self.copy
    }
    /// The service, for tests.
    pub fn service(&self) -> &S {
        &self.service
    }

    // ---- events ----

    /// The catalog changed (or came from the cache at start).
    pub fn set_areas(&mut self, areas: Vec<Area>) {
        self.areas = areas;
        if let Some(code) = &self.area_code {
            if !self.areas.iter().any(|a| &a.code == code) && self.page == Page::Phone {
                // The area vanished from the catalog while the citizen was typing.
                self.area_code = None;
                self.page = Page::AreaSelect;
            }
        }
    }

    /// A valid card was read. Starts a session only from the attract screen: a card read in
    /// the middle of someone's session is ignored.
    pub fn card_read(&mut self, citizen: Citizen, now: Duration) {
        if self.page != Page::Attract {
            return;
        }
        self.wipe();
        self.citizen = Some(citizen);
        self.page = Page::Menu;
        self.touch(now);
    }

    /// A card could not start a session. The notice clears by itself after a while, so the
    /// next citizen does not read the previous one's message.
    pub fn card_refused(&mut self, notice: Notice, now: Duration) {
        if self.page == Page::Attract {
            self.notice = notice;
            self.notice_since = now;
        }
    }

    /// Any touch.
    pub fn touch(&mut self, now: Duration) {
        self.now = now;
        self.idle.touch(now);
        self.countdown = None;
    }

    /// "Take a queue ticket".
    pub fn choose_queue_ticket(&mut self, now: Duration) {
        self.touch(now);
        if self.page == Page::Menu {
            self.page = Page::AreaSelect;
        }
    }

    /// An area tile.
    pub fn choose_area(&mut self, code: &str, now: Duration) {
        self.touch(now);
        if self.page == Page::AreaSelect && self.areas.iter().any(|a| a.code == code) {
            self.area_code = Some(code.to_owned());
            self.phone.clear();
            self.phone_error = None;
            self.page = Page::Phone;
        }
    }

    /// A keypad digit.
    pub fn phone_digit(&mut self, digit: char, now: Duration) {
        self.touch(now);
        if self.page == Page::Phone && digit.is_ascii_digit() && self.phone.len() < PHONE_LEN {
            self.phone.push(digit);
            self.phone_error = None;
        }
    }

    /// Keypad backspace.
    pub fn phone_backspace(&mut self, now: Duration) {
        self.touch(now);
        self.phone.pop();
        self.phone_error = None;
    }

    /// Confirm on the phone page: with a valid number, or with none (no SMS).
    pub fn confirm_ticket(&mut self, now: Duration) {
        self.touch(now);
        if self.page != Page::Phone {
            return;
        }
        let phone = match self.phone.as_str() {
            "" => None,
            p if is_mobile_number(p) => Some(p.to_owned()),
            _ => {
                self.phone_error = Some(PhoneError::Invalid);
                return;
            }
        };
        let (Some(area_code), Some(citizen)) = (self.area_code.clone(), &self.citizen) else {
            return;
        };
        self.page = Page::Printing;
        self.service.issue(TicketOrder {
            area_code,
            phone,
            masked_id: citizen.masked_id.clone(),
        });
    }

    /// The service thread's answer.
    pub fn ticket_finished(&mut self, outcome: TicketOutcome, now: Duration) {
        if self.page != Page::Printing {
            return;
        }
        self.touch(now);
        match outcome {
            Ok(view) => {
                self.ticket = Some(view);
                self.page = Page::TicketDone;
                self.done_since = now;
                // The citizen's data is no longer needed once the ticket is out.
                self.citizen = None;
                self.phone.clear();
            }
            Err((problem, view)) => {
                self.problem = Some(problem);
                self.ticket = view;
                self.page = Page::Problem;
            }
        }
    }

    // ---- progress of an application ----

    /// "Check the progress of an application" on the menu.
    pub fn choose_progress(&mut self, now: Duration) {
        self.touch(now);
        if self.page == Page::Menu {
            self.page = Page::Progress;
        }
    }

    /// "My applications": every case of the card holder.
    pub fn progress_by_card(&mut self, now: Duration) {
        self.touch(now);
        let Some(holder) = self.citizen.as_ref().and_then(|c| c.case_holder.clone()) else {
            return;
        };
        if self.page == Page::Progress {
            self.ask(CaseQuery::Holder(holder));
        }
    }

    /// "Type the case number".
    pub fn progress_type_number(&mut self, now: Duration) {
        self.touch(now);
        if self.page == Page::Progress {
            self.case_entry = CaseEntry::default();
            self.page = Page::CaseEntry;
        }
    }

    /// A prefix chip on the case-number page.
    pub fn case_prefix(&mut self, prefix: &str, now: Duration) {
        self.touch(now);
        if self.page == Page::CaseEntry {
            self.case_entry.set_prefix(prefix);
        }
    }

    /// A digit key on the case-number page.
    pub fn case_digit(&mut self, digit: char, now: Duration) {
        self.touch(now);
        if self.page == Page::CaseEntry {
            self.case_entry.digit(digit);
        }
    }

    /// Backspace on the case-number page.
    pub fn case_backspace(&mut self, now: Duration) {
        self.touch(now);
        if self.page == Page::CaseEntry {
            self.case_entry.backspace();
        }
    }

    /// "Look it up" on the case-number page.
    pub fn case_submit(&mut self, now: Duration) {
        self.touch(now);
        if self.page != Page::CaseEntry {
            return;
        }
        if let Some(number) = self.case_entry.complete() {
            self.ask(CaseQuery::Number(number));
        }
    }

    /// The code scanner read a code. On the attract screen a receipt starts a session of its
    /// own (no card needed to follow a case); on the progress pages it asks at once; anywhere
    /// else it is ignored so that it cannot hijack someone's ticket or copy.
    pub fn code_scanned(&mut self, code: ScannedCode, now: Duration) {
        let attract = self.page == Page::Attract;
        let progress = matches!(
            self.page,
            Page::Progress | Page::CaseEntry | Page::ProgressResult
        );
        if !attract && !progress {
            return;
        }
        let refused = |p: CaseProblem, n: Notice| (p, n);
        let problem = match code {
            ScannedCode::Case(number) => {
                if attract {
                    self.wipe();
                }
                self.touch(now);
                self.ask(CaseQuery::Number(number));
                return;
            }
            ScannedCode::Forged => refused(CaseProblem::ForgedCode, Notice::CodeForged),
            ScannedCode::Foreign => refused(CaseProblem::ForeignCode, Notice::CodeForeign),
            ScannedCode::QueueTicket => {
                refused(CaseProblem::QueueTicketCode, Notice::CodeQueueTicket)
            }
            ScannedCode::Unreadable => refused(CaseProblem::UnreadableCode, Notice::CodeUnreadable),
        };
        if attract {
            self.notice = problem.1;
            self.notice_since = now;
        } else {
            self.touch(now);
            self.case_outcome = Some(Err(problem.0));
            self.page = Page::ProgressResult;
        }
    }

    fn ask(&mut self, query: CaseQuery) {
        self.case_outcome = None;
        self.page = Page::ProgressResult;
        self.cases.query(query);
    }

    /// The platform's answer (or why there is none).
    pub fn case_answer(&mut self, outcome: CaseOutcome, now: Duration) {
        if self.page == Page::ProgressResult && self.case_outcome.is_none() {
            self.touch(now);
            self.case_outcome = Some(outcome);
        }
    }

    // ---- ID-card copy ----

    /// "Copy my ID card" on the menu.
    pub fn choose_copy(&mut self, now: Duration) {
        self.touch(now);
        if self.page == Page::Menu {
            self.copy = CopyJob::default();
            self.page = Page::CopyPurpose;
        }
    }

    /// The purpose the overlay will name (index into [`COPY_PURPOSES`]).
    pub fn copy_purpose(&mut self, index: usize, now: Duration) {
        self.touch(now);
        if self.page == Page::CopyPurpose && index < COPY_PURPOSES.len() {
            self.copy.purpose = Some(index);
            self.copy.side = CardSide::Front;
            self.page = Page::CopyScan;
        }
    }

    /// "Scan" (or "scan again") for the side on screen.
    pub fn copy_scan(&mut self, now: Duration) {
        self.touch(now);
        if self.page != Page::CopyScan {
            return;
        }
        let side = self.copy.side;
        let state = self.copy.side_state_mut(side);
        if *state != SideState::Scanning {
            *state = SideState::Scanning;
            self.copier.scan(side);
        }
    }

    /// The scanner's answer for `side`: the cropped card, or why not.
    pub fn copy_scanned(
        &mut self,
        side: CardSide,
        result: Result<RgbaImage, ScanProblem>,
        now: Duration,
    ) {
        if self.page != Page::CopyScan || self.copy.side_state(side) != &SideState::Scanning {
            return;
        }
        self.touch(now);
        *self.copy.side_state_mut(side) = match result {
            Ok(img) => SideState::Done(img),
            Err(p) => SideState::Failed(p),
        };
    }

    /// "Next": from the front to the back, from the back to the page preview.
    pub fn copy_next(&mut self, now: Duration) {
        self.touch(now);
        if self.page != Page::CopyScan
            || !matches!(self.copy.side_state(self.copy.side), SideState::Done(_))
        {
            return;
        }
        match self.copy.side {
            CardSide::Front => self.copy.side = CardSide::Back,
            CardSide::Back => self.page = Page::CopyPreview,
        }
    }

    /// "Print" on the preview.
    pub fn copy_print(&mut self, now: Duration) {
        self.touch(now);
        if self.page != Page::CopyPreview {
            return;
        }
        if let Some(order) = self.copy.order() {
            self.copy.print = CopyPrintState::Printing;
            self.page = Page::CopyDone;
            self.copier.print(order);
        }
    }

    /// The A4 printer's answer.
    pub fn copy_printed(&mut self, result: Result<(), CopyPrintProblem>, now: Duration) {
        if self.page != Page::CopyDone || self.copy.print != CopyPrintState::Printing {
            return;
        }
        self.touch(now);
        match result {
            Ok(()) => {
                self.copy.print = CopyPrintState::Printed;
                self.done_since = now;
                // Nothing of the card stays once the copy is out.
                self.copy.front = SideState::Waiting;
                self.copy.back = SideState::Waiting;
            }
            Err(p) => {
                // Staff must sort out the printer: the citizen is not kept waiting with their
                // card's images on the kiosk.
                self.copy.print = CopyPrintState::Failed(p);
                self.copy.front = SideState::Waiting;
                self.copy.back = SideState::Waiting;
            }
        }
    }

    /// "Back".
    pub fn back(&mut self, now: Duration) {
        self.touch(now);
        self.page = match self.page {
            Page::AreaSelect => Page::Menu,
            Page::Phone => Page::AreaSelect,
            Page::Progress if self.citizen.is_none() => {
                // A session started by scanning a receipt has no menu to go back to.
                self.wipe();
                Page::Attract
            }
            Page::Progress | Page::CopyPurpose => Page::Menu,
            Page::CaseEntry | Page::ProgressResult => Page::Progress,
            Page::CopyScan if self.copy.side == CardSide::Back => {
                self.copy.side = CardSide::Front;
                Page::CopyScan
            }
            Page::CopyScan => Page::CopyPurpose,
            Page::CopyPreview => {
                self.copy.side = CardSide::Back;
                Page::CopyScan
            }
            p => p,
        };
    }

    /// "Finish": wipe the session.
    pub fn finish(&mut self) {
        self.wipe();
    }

    /// The clock ticked. Returns true when anything on screen changed.
    pub fn tick(&mut self, now: Duration) -> bool {
        self.now = now;
        let before = (self.page, self.countdown, self.notice);
        match self.page {
            Page::Attract => {
                self.countdown = None;
                if now.saturating_sub(self.notice_since) >= NOTICE_FOR {
                    self.notice = Notice::None;
                }
            }
            Page::Printing => self.countdown = None,
            Page::CopyDone if self.copy.print == CopyPrintState::Printing => self.countdown = None,
            Page::CopyDone if self.copy.print == CopyPrintState::Printed => {
                if now.saturating_sub(self.done_since) >= self.done_after {
                    self.wipe();
                }
            }
            Page::TicketDone => {
                if now.saturating_sub(self.done_since) >= self.done_after {
                    self.wipe();
                }
            }
            _ => match self.idle.state(now) {
                IdleState::Active => self.countdown = None,
                IdleState::Countdown(left) => self.countdown = Some(left),
                IdleState::Expired => self.wipe(),
            },
        }
        before != (self.page, self.countdown, self.notice)
    }

    /// Forgets the citizen and everything they typed, and shows the attract screen.
    fn wipe(&mut self) {
        self.page = Page::Attract;
        self.notice = Notice::None;
        self.citizen = None;
        self.area_code = None;
        self.phone.clear();
        self.phone_error = None;
        self.ticket = None;
        self.problem = None;
        self.countdown = None;
        self.case_entry = CaseEntry::default();
        self.case_outcome = None;
        // The scans go with the session: nothing of the card is kept.
        self.copy = CopyJob::default();
    }

    /// The phone as shown on the ticket-done page.
    pub fn masked_phone(&self) -> String {
        mask_phone(&self.phone)
    }
}

/// Mainland mobile numbers: 11 digits, starting with 1 and a second digit 3–9.
pub fn is_mobile_number(s: &str) -> bool {
    s.len() == 11
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.as_bytes()[0] == b'1'
        && (b'3'..=b'9').contains(&s.as_bytes()[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakeService {
        orders: RefCell<Vec<TicketOrder>>,
    }
    impl TicketService for FakeService {
        fn issue(&self, order: TicketOrder) {
            self.orders.borrow_mut().push(order);
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn controller() -> SessionController<FakeService> {
        let mut c = SessionController::new(FakeService::default(), S(60), S(10), S(8));
        c.set_areas(vec![Area {
            code: "A".into(),
            name_zh: "综合受理".into(),
            name_en: "General Affairs".into(),
            description_zh: String::new(),
            description_en: String::new(),
            waiting: Some(3),
        }]);
        c
    }

    fn citizen() -> Citizen {
        Citizen {
            name: "张伟".into(),
            masked_id: "110101********1234".into(),
            photo: None,
            case_holder: None,
        }
    }

    fn to_phone_page(c: &mut SessionController<FakeService>) {
        c.card_read(citizen(), S(1));
        c.choose_queue_ticket(S(2));
        c.choose_area("A", S(3));
        assert_eq!(c.page(), Page::Phone);
    }

    #[test]
    fn a_ticket_end_to_end_with_a_phone_number() {
        let mut c = controller();
        to_phone_page(&mut c);
        for d in "13800138000".chars() {
            c.phone_digit(d, S(4));
        }
        c.phone_digit('9', S(4)); // the 12th digit is ignored
        c.confirm_ticket(S(5));
        assert_eq!(c.page(), Page::Printing);
        let orders = c.service().orders.borrow().clone();
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].phone.as_deref(), Some("13800138000"));
        assert_eq!(orders[0].area_code, "A");
        let view = TicketView {
            display_number: "A001".into(),
            area_code: "A".into(),
            people_ahead: 3,
            follow_url: "http://p/follow/1".into(),
        };
        c.ticket_finished(Ok(view.clone()), S(6));
        assert_eq!(c.page(), Page::TicketDone);
        assert_eq!(c.ticket(), Some(&view));
        assert!(
            c.citizen().is_none(),
            "citizen forgotten once the ticket is out"
        );
        // Back to the attract screen after the done delay.
        assert!(!c.tick(S(13)));
        assert!(c.tick(S(14)));
        assert_eq!(c.page(), Page::Attract);
        assert!(c.ticket().is_none());
    }

    #[test]
    fn a_bad_phone_number_is_refused_and_none_is_fine() {
        let mut c = controller();
        to_phone_page(&mut c);
        c.phone_digit('2', S(4));
        c.confirm_ticket(S(5));
        assert_eq!(c.phone_error(), Some(PhoneError::Invalid));
        assert_eq!(c.page(), Page::Phone);
        c.phone_backspace(S(6));
        c.confirm_ticket(S(7));
        assert_eq!(c.page(), Page::Printing);
        assert_eq!(c.service().orders.borrow()[0].phone, None);
    }

    #[test]
    fn idle_countdown_then_wipe() {
        let mut c = controller();
        to_phone_page(&mut c);
        c.phone_digit('1', S(3));
        assert!(!c.tick(S(62)));
        assert!(c.tick(S(63)));
        assert_eq!(c.countdown(), Some(10));
        c.tick(S(72));
        assert_eq!(c.countdown(), Some(1));
        assert!(c.tick(S(73)));
        assert_eq!(c.page(), Page::Attract);
        assert!(c.citizen().is_none());
        assert_eq!(c.phone(), "");
    }

    #[test]
    fn no_idle_timeout_while_printing() {
        let mut c = controller();
        to_phone_page(&mut c);
        c.confirm_ticket(S(3));
        c.tick(S(500));
        assert_eq!(c.page(), Page::Printing);
    }

    #[test]
    fn a_card_during_a_session_is_ignored() {
        let mut c = controller();
        to_phone_page(&mut c);
        c.card_read(
            Citizen {
                name: "李四".into(),
                masked_id: "x".into(),
                photo: None,
                case_holder: None,
            },
            S(4),
        );
        assert_eq!(c.page(), Page::Phone);
        assert_eq!(c.citizen().unwrap().name, "张伟");
    }

    #[test]
    fn printer_out_of_paper_shows_the_problem_with_the_number() {
        let mut c = controller();
        to_phone_page(&mut c);
        c.confirm_ticket(S(3));
        let view = TicketView {
            display_number: "A002".into(),
            area_code: "A".into(),
            people_ahead: 0,
            follow_url: "http://p/follow/2".into(),
        };
        c.ticket_finished(Err((TicketProblem::PaperOut, Some(view))), S(4));
        assert_eq!(c.page(), Page::Problem);
        assert_eq!(c.problem(), Some(TicketProblem::PaperOut));
        assert_eq!(c.ticket().unwrap().display_number, "A002");
        c.finish();
        assert_eq!(c.page(), Page::Attract);
    }

    #[test]
    fn a_refused_card_notice_clears_itself() {
        let mut c = controller();
        c.card_refused(Notice::CardExpired, S(100));
        assert_eq!(c.notice(), Notice::CardExpired);
        assert!(!c.tick(S(109)));
        assert!(c.tick(S(110)));
        assert_eq!(c.notice(), Notice::None);
        // A good card after a refused one starts a session with no notice left.
        c.card_refused(Notice::CardUnreadable, S(120));
        c.card_read(citizen(), S(121));
        assert_eq!(c.page(), Page::Menu);
        assert_eq!(c.notice(), Notice::None);
    }

    #[test]
    fn back_walks_back_one_page() {
        let mut c = controller();
        to_phone_page(&mut c);
        c.back(S(4));
        assert_eq!(c.page(), Page::AreaSelect);
        c.back(S(5));
        assert_eq!(c.page(), Page::Menu);
    }

    use crate::app::id_copy::{CopyOrder, SideState};
    use std::rc::Rc;

    #[derive(Default, Clone)]
    struct FakeCases(Rc<RefCell<Vec<CaseQuery>>>);
    impl CaseService for FakeCases {
        fn query(&self, q: CaseQuery) {
            self.0.borrow_mut().push(q);
        }
    }

    #[derive(Default, Clone)]
    struct FakeCopier {
        scans: Rc<RefCell<Vec<CardSide>>>,
        prints: Rc<RefCell<Vec<CopyOrder>>>,
    }
    impl CopyService for FakeCopier {
        fn scan(&self, side: CardSide) {
            self.scans.borrow_mut().push(side);
        }
        fn print(&self, order: CopyOrder) {
            self.prints.borrow_mut().push(order);
        }
    }

    fn card_holder() -> Citizen {
        Citizen {
            case_holder: Some("ab".repeat(32)),
            ..citizen()
        }
    }

    fn case_view(n: &str) -> crate::app::CaseView {
        crate::app::CaseView {
            case_number: n.into(),
            matter_zh: "居住证签注".into(),
            matter_en: "Residence permit".into(),
            state: crate::app::progress::CaseState::InReview,
            status_zh: "审核中".into(),
            status_en: "In review".into(),
            updated_at: "2026-11-24 09:00".into(),
            steps: Vec::new(),
            pickup_zh: String::new(),
            pickup_en: String::new(),
        }
    }

    #[test]
    fn progress_by_typed_number_by_card_and_back() {
        let cases = FakeCases::default();
        let mut c = controller().with_case_service(cases.clone());
        c.card_read(card_holder(), S(1));
        c.choose_progress(S(2));
        assert_eq!(c.page(), Page::Progress);
        c.progress_type_number(S(3));
        assert_eq!(c.page(), Page::CaseEntry);
        c.case_prefix("SB", S(4));
        for d in "2026112400004".chars() {
            c.case_digit(d, S(4));
        }
        c.case_submit(S(5));
        assert_eq!(c.page(), Page::CaseEntry, "13 digits are not a case number");
        c.case_digit('2', S(5));
        c.case_submit(S(6));
        assert_eq!(c.page(), Page::ProgressResult);
        assert!(c.case_outcome().is_none(), "loading");
        assert_eq!(
            cases.0.borrow().last(),
            Some(&CaseQuery::Number("SB-20261124-000042".into()))
        );
        c.case_answer(Ok(vec![case_view("SB-20261124-000042")]), S(7));
        assert_eq!(c.case_outcome().unwrap().as_ref().unwrap().len(), 1);
        // A late second answer does not replace the one on screen.
        c.case_answer(Err(CaseProblem::Unreachable), S(8));
        assert!(c.case_outcome().unwrap().is_ok());
        c.back(S(9));
        assert_eq!(c.page(), Page::Progress);
        c.progress_by_card(S(10));
        assert_eq!(
            cases.0.borrow().last(),
            Some(&CaseQuery::Holder("ab".repeat(32)))
        );
        c.case_answer(Err(CaseProblem::NoneForHolder), S(11));
        assert_eq!(c.case_outcome(), Some(&Err(CaseProblem::NoneForHolder)));
        c.finish();
        assert!(c.case_outcome().is_none());
        assert_eq!(c.case_entry().digits_len(), 0);
    }

    #[test]
    fn a_receipt_scanned_on_the_attract_screen_starts_a_query_without_a_card() {
        let cases = FakeCases::default();
        let mut c = controller().with_case_service(cases.clone());
        c.code_scanned(ScannedCode::Case("SB-20261124-000042".into()), S(1));
        assert_eq!(c.page(), Page::ProgressResult);
        assert!(c.citizen().is_none());
        assert_eq!(cases.0.borrow().len(), 1);
        // Back goes to the ways of asking, and back again ends the session.
        c.back(S(2));
        assert_eq!(c.page(), Page::Progress);
        c.back(S(3));
        assert_eq!(c.page(), Page::Attract);
    }

    #[test]
    fn forged_and_foreign_codes_are_refused_and_never_asked_about() {
        let cases = FakeCases::default();
        let mut c = controller().with_case_service(cases.clone());
        c.code_scanned(ScannedCode::Forged, S(1));
        assert_eq!(c.page(), Page::Attract);
        assert_eq!(c.notice(), Notice::CodeForged);
        c.code_scanned(ScannedCode::Foreign, S(2));
        assert_eq!(c.notice(), Notice::CodeForeign);
        c.card_read(citizen(), S(3));
        c.choose_progress(S(4));
        c.code_scanned(ScannedCode::QueueTicket, S(5));
        assert_eq!(c.page(), Page::ProgressResult);
        assert_eq!(c.case_outcome(), Some(&Err(CaseProblem::QueueTicketCode)));
        assert!(cases.0.borrow().is_empty());
    }

    #[test]
    fn a_scan_during_a_ticket_is_ignored() {
        let cases = FakeCases::default();
        let mut c = controller().with_case_service(cases.clone());
        to_phone_page(&mut c);
        c.code_scanned(ScannedCode::Case("SB-20261124-000042".into()), S(4));
        assert_eq!(c.page(), Page::Phone);
        assert!(cases.0.borrow().is_empty());
    }

    fn img(v: u8) -> RgbaImage {
        RgbaImage {
            width: 1,
            height: 1,
            pixels: vec![v, v, v, 255],
        }
    }

    #[test]
    fn an_id_copy_end_to_end_keeps_nothing() {
        let copier = FakeCopier::default();
        let mut c = controller().with_copy_service(copier.clone());
        c.card_read(citizen(), S(1));
        c.choose_copy(S(2));
        assert_eq!(c.page(), Page::CopyPurpose);
        c.copy_purpose(1, S(3));
        assert_eq!(c.page(), Page::CopyScan);
        c.copy_next(S(3));
        assert_eq!(c.copy_job().side, CardSide::Front, "nothing scanned yet");
        c.copy_scan(S(4));
        c.copy_scan(S(4));
        assert_eq!(
            *copier.scans.borrow(),
            vec![CardSide::Front],
            "one scan at a time"
        );
        c.copy_scanned(CardSide::Front, Err(ScanProblem::CoverOpen), S(5));
        assert_eq!(
            c.copy_job().front,
            SideState::Failed(ScanProblem::CoverOpen)
        );
        c.copy_scan(S(6));
        c.copy_scanned(CardSide::Front, Ok(img(1)), S(7));
        c.copy_next(S(8));
        assert_eq!(c.copy_job().side, CardSide::Back);
        c.copy_scan(S(9));
        c.copy_scanned(CardSide::Back, Ok(img(2)), S(10));
        c.copy_next(S(11));
        assert_eq!(c.page(), Page::CopyPreview);
        c.copy_print(S(12));
        assert_eq!(c.page(), Page::CopyDone);
        let prints = copier.prints.borrow().clone();
        assert_eq!(prints.len(), 1);
        assert_eq!(prints[0].purpose, COPY_PURPOSES[1].0);
        assert_eq!(prints[0].front, img(1));
        assert_eq!(prints[0].back, img(2));
        // No idle wipe while printing.
        assert!(!c.tick(S(300)));
        c.copy_printed(Ok(()), S(301));
        assert_eq!(c.copy_job().print, CopyPrintState::Printed);
        assert_eq!(c.copy_job().front, SideState::Waiting, "scans dropped");
        c.tick(S(309));
        assert_eq!(c.page(), Page::Attract);
        assert_eq!(c.copy_job(), &CopyJob::default());
    }

    #[test]
    fn a_failed_copy_drops_the_scans_and_back_walks_the_copy_pages() {
        let copier = FakeCopier::default();
        let mut c = controller().with_copy_service(copier.clone());
        c.card_read(citizen(), S(1));
        c.choose_copy(S(2));
        c.copy_purpose(0, S(3));
        c.copy_scan(S(4));
        c.copy_scanned(CardSide::Front, Ok(img(1)), S(5));
        c.copy_next(S(6));
        c.copy_scan(S(7));
        c.copy_scanned(CardSide::Back, Ok(img(2)), S(8));
        c.copy_next(S(9));
        c.back(S(10));
        assert_eq!(
            (c.page(), c.copy_job().side),
            (Page::CopyScan, CardSide::Back)
        );
        c.back(S(11));
        assert_eq!(
            (c.page(), c.copy_job().side),
            (Page::CopyScan, CardSide::Front)
        );
        c.copy_next(S(12));
        c.copy_next(S(13));
        c.copy_print(S(14));
        c.copy_printed(Err(CopyPrintProblem::PaperOut), S(15));
        assert_eq!(
            c.copy_job().print,
            CopyPrintState::Failed(CopyPrintProblem::PaperOut)
        );
        assert_eq!(c.copy_job().back, SideState::Waiting);
    }

    // A scan answer for a session that has ended is dropped.
    #[test]
    fn a_late_scan_does_not_reach_the_next_session() {
        let copier = FakeCopier::default();
        let mut c = controller().with_copy_service(copier.clone());
        c.card_read(citizen(), S(1));
        c.choose_copy(S(2));
        c.copy_purpose(0, S(3));
        c.copy_scan(S(4));
        c.finish();
        c.copy_scanned(CardSide::Front, Ok(img(1)), S(5));
        assert_eq!(c.copy_job().front, SideState::Waiting);
    }

    #[test]
    fn an_unreadable_scan_asks_to_scan_again() {
        let cases = FakeCases::default();
        let mut c = controller().with_case_service(cases.clone());
        c.code_scanned(ScannedCode::Unreadable, S(1));
        assert_eq!(c.notice(), Notice::CodeUnreadable);
        c.card_read(citizen(), S(2));
        c.choose_progress(S(3));
        c.code_scanned(ScannedCode::Unreadable, S(4));
        assert_eq!(c.case_outcome(), Some(&Err(CaseProblem::UnreadableCode)));
        assert!(cases.0.borrow().is_empty());
    }

    #[test]
    fn mobile_numbers() {
        assert!(is_mobile_number("13800138000"));
        assert!(!is_mobile_number("12800138000"));
        assert!(!is_mobile_number("1380013800"));
        assert!(!is_mobile_number("1380013800a"));
    }
}
