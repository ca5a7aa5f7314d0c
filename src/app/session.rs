//! One citizen's session as the shell keeps it: who is served, in which language, the idle
//! timer and its countdown, the attract screen's notice, and a token that names the session
//! so an answer meant for an earlier one is recognised and dropped.

use std::time::Duration;

use super::citizen::Citizen;
use super::idle_timer::{IdleState, IdleTimer};

/// Names one session. Every order a flow gives a worker carries it, and so does the answer;
/// the router drops an answer whose token is not the current session's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionToken(u64);

/// An answer from a service's worker, tagged with the session it belongs to.
#[derive(Debug, Clone)]
pub struct Reply<E> {
    /// The session that gave the order.
    pub token: SessionToken,
    /// What the worker has to say.
    pub event: E,
}

/// The language on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese, the default: every session starts in it.
    #[default]
    Zh,
    /// English, on the header's toggle.
    En,
}

impl Lang {
    /// The text of a Chinese/English pair in this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// A one-line message on the attract screen after a card or a code could not start a session.
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
    /// An appointment slip, and no check-in here now (no printer for the priority ticket,
    /// a full disk, or appointments switched off): the service desk checks in.
    CheckInUnavailable,
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
    /// An appointment slip's code: the booking's id (check-in on the day).
    Appointment(String),
    /// An electronic ID's code from the citizen's phone: its token (only the platform can
    /// say whom it names).
    ElectronicId(String),
    /// Not one of the hall's codes.
    Foreign,
    /// The scanner read something it could not make into a code (garbled, cut short, too
    /// long): scan again.
    Unreadable,
}

impl ScannedCode {
    /// The attract screen's notice for a code no service claimed.
    pub fn notice(&self) -> Notice {
        match self {
            ScannedCode::Appointment(_) => Notice::CheckInUnavailable,
            ScannedCode::Case(_) | ScannedCode::ElectronicId(_) | ScannedCode::Foreign => {
                Notice::CodeForeign
            }
            ScannedCode::Forged => Notice::CodeForged,
            ScannedCode::QueueTicket => Notice::CodeQueueTicket,
            ScannedCode::Unreadable => Notice::CodeUnreadable,
        }
    }
}

impl std::fmt::Debug for ScannedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScannedCode::Case(_) => f.write_str("Case(<redacted>)"),
            ScannedCode::Forged => f.write_str("Forged"),
            ScannedCode::QueueTicket => f.write_str("QueueTicket"),
            ScannedCode::Appointment(_) => f.write_str("Appointment(<redacted>)"),
            ScannedCode::ElectronicId(_) => f.write_str("ElectronicId(<redacted>)"),
            ScannedCode::Foreign => f.write_str("Foreign"),
            ScannedCode::Unreadable => f.write_str("Unreadable"),
        }
    }
}

/// A message for the citizen on the menu, from a service that had something to tell them
/// when they identified (the answer to a booking made while the platform was away). The
/// service words it in both languages; the session keeps it until it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuNotice {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
    /// Bad news (shown in the warning colour).
    pub warn: bool,
}

/// How long an attract-screen notice (card unreadable, card expired) stays.
pub const NOTICE_FOR: Duration = Duration::from_secs(10);

/// The session: what the shell knows of the citizen, whatever service they use.
#[derive(Debug)]
pub struct Session {
    citizen: Option<Citizen>,
    lang: Lang,
    idle: IdleTimer,
    countdown: Option<u32>,
    notice: Notice,
    notice_since: Duration,
    menu_notice: Option<MenuNotice>,
    token: SessionToken,
    /// Elderly mode (长辈模式) for this session.
    elderly: bool,
    /// High contrast for this session.
    high_contrast: bool,
    /// The citizen turned the spoken prompts off for this session.
    muted: bool,
    /// The kiosk's default contrast (`[session] high_contrast`), back after every wipe.
    contrast_default: bool,
    /// The idle timing in normal and in elderly mode.
    timing: Timing,
}

/// The idle timer's two settings: normal and elderly mode (longer, and a slower countdown).
#[derive(Debug, Clone, Copy)]
struct Timing {
    normal: (Duration, Duration),
    elderly: (Duration, Duration),
}

impl Session {
    /// Nobody served yet.
    pub fn new(idle_after: Duration, countdown: Duration) -> Self {
        Self {
            citizen: None,
            lang: Lang::Zh,
            idle: IdleTimer::new(idle_after, countdown),
            countdown: None,
            notice: Notice::None,
            notice_since: Duration::ZERO,
            menu_notice: None,
            token: SessionToken(0),
            elderly: false,
            high_contrast: false,
            muted: false,
            contrast_default: false,
            timing: Timing {
                normal: (idle_after, countdown),
                elderly: (idle_after, countdown),
            },
        }
    }

    /// Elderly mode's idle time and countdown (config keys `elderly_idle_secs`,
    /// `elderly_countdown_secs`).
    pub fn set_elderly_timing(&mut self, idle_after: Duration, countdown: Duration) {
        self.timing.elderly = (idle_after, countdown);
    }

    /// The kiosk's default contrast; each session starts with it.
    pub fn set_contrast_default(&mut self, high: bool) {
        self.contrast_default = high;
        self.high_contrast = high;
    }

    /// Elderly mode (长辈模式): larger text and targets, fewer tiles, more time, voice on.
    pub fn elderly(&self) -> bool {
        self.elderly
    }

    /// Elderly mode on or off, from the attract screen or the menu; the idle timer takes
    /// its timing at once.
    pub fn toggle_elderly(&mut self) {
        self.elderly = !self.elderly;
        // Elderly mode speaks.
        if self.elderly {
            self.muted = false;
        }
        let (idle, countdown) = if self.elderly {
            self.timing.elderly
        } else {
            self.timing.normal
        };
        self.idle.set_limits(idle, countdown);
    }

    /// The idle time and the countdown's length now.
    pub fn idle_limits(&self) -> (Duration, Duration) {
        self.idle.limits()
    }

    /// Something was chosen for the next session (language, elderly mode, contrast).
    pub(super) fn chosen_on_attract(&self) -> bool {
        self.lang != Lang::Zh
            || self.elderly
            || self.muted
            || self.high_contrast != self.contrast_default
    }

    /// Whether the spoken prompts are off for this session.
    pub fn muted(&self) -> bool {
        self.muted
    }

    /// The header's voice on/off.
    pub fn toggle_muted(&mut self) {
        self.muted = !self.muted;
    }

    /// High contrast on screen.
    pub fn high_contrast(&self) -> bool {
        self.high_contrast
    }

    /// The session's contrast toggle.
    pub fn toggle_contrast(&mut self) {
        self.high_contrast = !self.high_contrast;
    }

    /// The citizen being served (none in a session started by scanning a receipt, and none
    /// once a service no longer needs their data).
    pub fn citizen(&self) -> Option<&Citizen> {
        self.citizen.as_ref()
    }

    /// Forgets the citizen's data while the session goes on (a ticket is out: the name and
    /// number are no longer needed on screen).
    pub fn forget_citizen(&mut self) {
        self.citizen = None;
    }

    /// The language on screen.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The header's toggle.
    pub fn toggle_lang(&mut self) {
        self.lang = match self.lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        };
    }

    /// Shows `lang` again after a wipe that did not end a citizen's session (a code no
    /// service took, on the attract screen).
    pub(super) fn keep_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    /// This session's token.
    pub fn token(&self) -> SessionToken {
        self.token
    }

    /// Seconds left of the idle countdown, when it shows.
    pub fn countdown(&self) -> Option<u32> {
        self.countdown
    }

    /// The attract screen's notice.
    pub fn notice(&self) -> Notice {
        self.notice
    }

    /// The menu's message for this citizen, if a service left one.
    pub fn menu_notice(&self) -> Option<&MenuNotice> {
        self.menu_notice.as_ref()
    }

    /// Leaves a message on the menu for the rest of the session.
    pub fn set_menu_notice(&mut self, notice: MenuNotice) {
        self.menu_notice = Some(notice);
    }

    /// Any touch: the idle timer starts again and the countdown goes.
    pub fn touch(&mut self, now: Duration) {
        self.idle.touch(now);
        self.countdown = None;
    }

    /// Shows `notice` on the attract screen from `now` on.
    pub fn set_notice(&mut self, notice: Notice, now: Duration) {
        self.notice = notice;
        self.notice_since = now;
    }

    /// The notice clears by itself after a while, so the next citizen does not read the
    /// previous one's message.
    pub(super) fn expire_notice(&mut self, now: Duration) {
        if now.saturating_sub(self.notice_since) >= NOTICE_FOR {
            self.notice = Notice::None;
        }
    }

    /// Where the idle timer stands; keeps the countdown for the screen.
    pub(super) fn idle_state(&mut self, now: Duration) -> IdleState {
        let state = self.idle.state(now);
        self.countdown = match state {
            IdleState::Countdown(left) => Some(left),
            _ => None,
        };
        state
    }

    /// How long until the session ends by itself at `now` if nobody touches the screen.
    pub fn idle_left(&self, now: Duration) -> Duration {
        self.idle.left(now)
    }

    /// No countdown while the step waits on a device or shows its own timer.
    pub(super) fn hide_countdown(&mut self) {
        self.countdown = None;
    }

    /// A session serving `citizen`, for unit tests of flows.
    #[cfg(test)]
    pub fn serving(citizen: Citizen) -> Self {
        let mut s = Session::new(Duration::from_secs(60), Duration::from_secs(10));
        s.begin(Some(citizen), Duration::ZERO);
        s
    }

    /// A new session for `citizen` (or for nobody: started by a scanned code).
    pub(super) fn begin(&mut self, citizen: Option<Citizen>, now: Duration) {
        // A language, elderly mode or contrast chosen on the attract screen holds for the
        // session it starts.
        let (lang, elderly, contrast, muted) =
            (self.lang, self.elderly, self.high_contrast, self.muted);
        self.wipe();
        self.lang = lang;
        if elderly {
            self.toggle_elderly();
        }
        self.high_contrast = contrast;
        self.muted = muted;
        self.citizen = citizen;
        self.touch(now);
    }

    /// Forgets everything of the session; the next one gets a new token, so answers still
    /// on their way to this one are dropped.
    pub(super) fn wipe(&mut self) {
        self.citizen = None;
        self.lang = Lang::Zh;
        self.countdown = None;
        self.notice = Notice::None;
        self.menu_notice = None;
        self.token = SessionToken(self.token.0.wrapping_add(1));
        if self.elderly {
            self.toggle_elderly();
        }
        self.high_contrast = self.contrast_default;
        self.muted = false;
    }
}
