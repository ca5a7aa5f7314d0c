//! What every citizen service's flow gives the shell: what the footer shows, how idle time
//! counts, where "back" goes, and how it takes its worker's answers and scanned codes. The
//! shell ([`super::Router`]) owns back, finish, tick and wipe; a flow never wipes a session.

use std::time::Duration;

use super::session::{ScannedCode, Session};

/// Where "back" leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// The flow went to an earlier step of its own.
    Stay,
    /// Out of the flow, to the menu (or, in a session with no citizen, to the attract screen).
    Menu,
}

/// How idle time counts on the step on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdlePolicy {
    /// The idle timer runs: a countdown, then the session ends.
    Normal,
    /// The step waits on a device or the network: no countdown.
    Paused,
    /// The step's work is done since this instant: the session ends on its own after the
    /// kiosk's "done" time ("take your ticket").
    DoneSince(Duration),
}

/// What the shell's footer offers on the step on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chrome {
    /// The footer shows at all ("finish and exit").
    pub footer: bool,
    /// It has a "back" button.
    pub back: bool,
}

impl Chrome {
    /// Footer with back and finish.
    pub const FULL: Chrome = Chrome {
        footer: true,
        back: true,
    };
    /// Footer with finish only.
    pub const FINISH_ONLY: Chrome = Chrome {
        footer: true,
        back: false,
    };
    /// No footer: the page has its own buttons, or waits.
    pub const NONE: Chrome = Chrome {
        footer: false,
        back: false,
    };
}

/// Where the citizen is in a service: step `at` of `of` (the footer's "step 2 of 4"). A
/// service counts the steps of its longest way through; a way that skips one (a card read
/// instead of a typed number) jumps over its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// This step, from 1.
    pub at: u8,
    /// The steps in all.
    pub of: u8,
}

impl Progress {
    /// Step `at` of `of`.
    pub const fn new(at: u8, of: u8) -> Self {
        Self { at, of }
    }
}

/// What a flow is handed with every call: the session and the time.
pub struct Cx<'a> {
    /// The session (citizen, language, token).
    pub session: &'a mut Session,
    /// Now, on the session clock.
    pub now: Duration,
}

/// One citizen service's steps. Implemented by each service's flow (its steps an enum whose
/// variants carry their data) and by the registry's enum of them, which only delegates.
pub trait Flow {
    /// What the service's worker answers.
    type Event;
    /// What the footer shows now.
    fn chrome(&self) -> Chrome;
    /// Which step of the service this is, if it is one of its numbered steps (a problem
    /// page or a side way such as cancelling is not). Default: none.
    fn progress(&self) -> Option<Progress> {
        None
    }
    /// The error on screen, if this step is one: its name for the log (a variant name, never
    /// the citizen's data). The shell gives each error shown a reference code. Default: none.
    fn problem(&self) -> Option<&'static str> {
        None
    }
    /// What this step says aloud: an id of `assets/voice/prompts.toml`, one the service
    /// lists in its `PROMPTS` (the voice test checks each has both languages' files). A new
    /// step or error speaks its prompt once as it shows; the header's button replays it.
    /// Default: none, the service's own prompt (it names the service and its first choice).
    fn prompt(&self) -> Option<&'static str> {
        None
    }
    /// How idle time counts now.
    fn idle(&self) -> IdlePolicy {
        IdlePolicy::Normal
    }
    /// "Back" on the footer.
    fn back(&mut self, cx: &mut Cx) -> Nav;
    /// The worker's answer for this session. Returns false when the step on screen was not
    /// waiting for it (it is dropped).
    fn on_event(&mut self, cx: &mut Cx, event: Self::Event) -> bool;
    /// A scanned code while the flow is on screen. Returns false when the flow ignores it
    /// (the default: a scan must not hijack someone's ticket or copy).
    fn on_code(&mut self, _cx: &mut Cx, _code: &ScannedCode) -> bool {
        false
    }
    /// The case this flow opened or followed, if any: the rating that follows the session
    /// is linked to it. Default: none.
    fn case_number(&self) -> Option<String> {
        None
    }
    /// Whether the citizen's ID card may lie on the document scanner's glass now (an ID
    /// copy once its scanning began): the session's end then asks them to take it from
    /// there. Default: no.
    fn card_on_glass(&self) -> bool {
        false
    }
}

/// The citizen services the shell can start: the menu's tiles, and a scanned code on the
/// attract screen.
pub trait Registry {
    /// Names a service.
    type Id: Copy + Eq + std::fmt::Debug;
    /// A running flow of any service.
    type Flow: Flow;
    /// Starts service `id` for the session, or `None` when it cannot be used now.
    fn start(&mut self, id: Self::Id, cx: &mut Cx) -> Option<Self::Flow>;
    /// On the attract screen: a service that takes this code starts a session of its own
    /// (a receipt follows its case with no card).
    fn claim(&mut self, code: &ScannedCode, cx: &mut Cx) -> Option<Self::Flow>;
    /// The service a flow belongs to (what a rating names).
    fn id_of(flow: &Self::Flow) -> Self::Id;
    /// A card started the session (the menu shows): a service may ask its worker whether
    /// it has something to tell this citizen. Default: nothing.
    fn on_identified(&mut self, _cx: &mut Cx) {}
    /// A worker's answer for this session, before the flow on screen (if any) sees it: a
    /// service may take it for the session as a whole (a [`super::MenuNotice`]). Returns
    /// the answer when it is not taken. Default: not taken.
    fn take_event(
        &mut self,
        _cx: &mut Cx,
        event: <Self::Flow as Flow>::Event,
    ) -> Option<<Self::Flow as Flow>::Event> {
        Some(event)
    }
}
