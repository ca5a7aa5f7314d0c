//! One citizen's session, from the swiped card to the printed ticket and back to the attract
//! screen; and what the screens show at each step.

use std::time::Duration;

use super::citizen::{mask_phone, Citizen};
use super::idle_timer::{IdleState, IdleTimer};

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
        }
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

    /// "Back".
    pub fn back(&mut self, now: Duration) {
        self.touch(now);
        self.page = match self.page {
            Page::AreaSelect => Page::Menu,
            Page::Phone => Page::AreaSelect,
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

    #[test]
    fn mobile_numbers() {
        assert!(is_mobile_number("13800138000"));
        assert!(!is_mobile_number("12800138000"));
        assert!(!is_mobile_number("1380013800"));
        assert!(!is_mobile_number("1380013800a"));
    }
}
