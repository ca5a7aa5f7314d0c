//! The shell: which screen shows (attract, menu, or one service's flow), and the rules that
//! hold for every service alike — a session starts with a card (or a claimed code), "back"
//! from a flow's first step leads to the menu, "finish", idle expiry and the "done" time wipe
//! the session, and an answer for an ended session or another service is dropped. After a
//! session that used a service ends by "finish", its done time or "back" out of a session
//! with no citizen, the rating step shows (idle expiry goes straight to the attract screen:
//! the citizen has left); it comes after the wipe, so it never keeps their data or delays
//! the end. When the session used the ID card and the card is still on the reader (or on
//! the scanner's glass), "take your ID card" shows first, after the wipe too: the card, then
//! the rating.

use std::rc::Rc;
use std::time::Duration;

use chrono::NaiveDate;

use super::citizen::Citizen;
use super::flow::{Cx, Flow, IdlePolicy, Nav, Progress, Registry};
use super::identify::{IdentifyFlow, IdentityEvent, IdentityPort, Outcome};
use super::idle_timer::IdleState;
use super::rating::{Level, Rated, Rating, RatingDone, RatingPort, Reason};
use super::session::{Lang, Notice, Reply, ScannedCode, Session};
use super::take_card::{CardPlace, TakeCard};

/// What is on screen.
#[derive(Debug)]
pub enum Screen<F, I> {
    /// "Swipe your ID card": nobody is being served.
    Attract,
    /// Identifying without the card (typed number and SMS code, or an e-ID code).
    Identify(IdentifyFlow),
    /// The greeting and the services' tiles.
    Menu,
    /// A service's flow.
    Service(F),
    /// "How was the service?", after the session ended (nobody's data is held).
    Rating(Rating<I>),
    /// "Take your ID card", after the session ended (nobody's data is held).
    TakeCard(TakeCard<I>),
}

/// The session shell over a registry of services.
pub struct Router<R: Registry> {
    registry: R,
    session: Session,
    screen: Screen<R::Flow, R::Id>,
    done_after: Duration,
    /// The service the session used last (its flow took an answer), and its case.
    used: Option<(R::Id, Option<String>)>,
    /// Where ratings go; none: no rating step.
    ratings: Option<Rc<dyn RatingPort<R::Id>>>,
    identity: Option<Box<dyn IdentityPort>>,
    /// The reader sees a card (read or refused) and has not yet said it is gone.
    card_present: bool,
    /// How long "take your ID card" waits for a citizen who walked away; none: no such page.
    take_card_for: Option<Duration>,
}

impl<R: Registry> Router<R> {
    /// The attract screen, nobody served.
    pub fn new(
        registry: R,
        idle_after: Duration,
        countdown: Duration,
        done_after: Duration,
    ) -> Self {
        Self {
            registry,
            session: Session::new(idle_after, countdown),
            screen: Screen::Attract,
            done_after,
            used: None,
            ratings: None,
            identity: None,
            card_present: false,
            take_card_for: None,
        }
    }

    /// Shows "take your ID card" at the end of a session while the card is still there,
    /// for at most `limit` (the citizen may have walked away).
    pub fn with_take_card(mut self, limit: Duration) -> Self {
        self.take_card_for = Some(limit);
        self
    }

    /// Elderly mode's idle time and countdown (longer than the normal ones).
    pub fn with_elderly_timing(mut self, idle_after: Duration, countdown: Duration) -> Self {
        self.session.set_elderly_timing(idle_after, countdown);
        self
    }

    /// High contrast as the kiosk's default (each session may toggle it).
    pub fn with_high_contrast(mut self, high: bool) -> Self {
        self.session.set_contrast_default(high);
        self
    }

    /// Elderly mode's toggle (attract screen, menu): for this session only.
    pub fn toggle_elderly(&mut self, now: Duration) {
        self.session.toggle_elderly();
        self.session.touch(now);
    }

    /// The header's voice on/off: for this session only.
    pub fn toggle_muted(&mut self, now: Duration) {
        self.session.toggle_muted();
        self.session.touch(now);
    }

    /// High contrast's toggle (attract screen, menu): for this session only.
    pub fn toggle_contrast(&mut self, now: Duration) {
        self.session.toggle_contrast();
        self.session.touch(now);
    }

    /// Whether the reader sees a card now.
    pub fn card_present(&self) -> bool {
        self.card_present
    }

    /// Offers the rating step after each session that used a service, sending ratings to
    /// `port`.
    pub fn with_ratings(mut self, port: Rc<dyn RatingPort<R::Id>>) -> Self {
        self.ratings = Some(port);
        self
    }

    /// Identifying without the card goes through `port` (the identity worker); without
    /// one, only the card identifies.
    pub fn with_identity(mut self, port: Box<dyn IdentityPort>) -> Self {
        self.identity = Some(port);
        self
    }

    /// Whether the attract screen offers other ways to identify.
    pub fn identifies_without_card(&self) -> bool {
        self.identity.is_some()
    }

    /// "Other ways to identify" on the attract screen: the keypad for the ID number.
    /// `today` is the hall's date (it bounds a birth date).
    pub fn identify(&mut self, now: Duration, today: NaiveDate) {
        if matches!(self.screen, Screen::Attract) && self.identity.is_some() {
            self.session.begin(None, now);
            self.screen = Screen::Identify(IdentifyFlow::typing(today));
        }
    }

    /// Runs `f` on the identifying page (a touch on it), with the identity port.
    pub fn with_identify<T>(
        &mut self,
        now: Duration,
        f: impl FnOnce(&mut IdentifyFlow, &dyn IdentityPort, &mut Cx) -> T,
    ) -> Option<T> {
        self.session.touch(now);
        let (Screen::Identify(flow), Some(port)) = (&mut self.screen, &self.identity) else {
            return None;
        };
        let mut cx = Cx {
            session: &mut self.session,
            now,
        };
        Some(f(flow, port.as_ref(), &mut cx))
    }

    /// The identity worker's answer. Dropped when its session has ended or nobody is
    /// identifying; a confirmed identity goes on like a card read.
    pub fn identity_reply(&mut self, reply: Reply<IdentityEvent>, now: Duration) -> bool {
        if reply.token != self.session.token() {
            return false;
        }
        let Screen::Identify(flow) = &mut self.screen else {
            return false;
        };
        match flow.on_event(reply.event) {
            Outcome::Ignored => false,
            Outcome::Changed => {
                self.session.touch(now);
                true
            }
            Outcome::Identified(citizen) => {
                self.identified(citizen, now);
                true
            }
        }
    }

    /// A session for `citizen` on the menu, however they identified.
    fn identified(&mut self, citizen: Citizen, now: Duration) {
        self.session.begin(Some(citizen), now);
        self.screen = Screen::Menu;
        let mut cx = Cx {
            session: &mut self.session,
            now,
        };
        self.registry.on_identified(&mut cx);
    }

    /// An e-ID code on the attract screen or the identifying page: asks the platform.
    fn check_eid(&mut self, token: String, now: Duration) {
        let Some(port) = &self.identity else {
            return;
        };
        if matches!(self.screen, Screen::Attract) {
            self.session.begin(None, now);
        }
        self.session.touch(now);
        let mut cx = Cx {
            session: &mut self.session,
            now,
        };
        self.screen = Screen::Identify(IdentifyFlow::checking_eid(port.as_ref(), &mut cx, token));
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The services.
    pub fn registry(&self) -> &R {
        &self.registry
    }

    /// Gives the services back (the router is done with).
    pub fn into_registry(self) -> R {
        self.registry
    }

    /// The services, to change what they keep between sessions (the catalog).
    pub fn registry_mut(&mut self) -> &mut R {
        &mut self.registry
    }

    /// What is on screen.
    pub fn screen(&self) -> &Screen<R::Flow, R::Id> {
        &self.screen
    }

    /// The flow on screen, if a service is.
    pub fn flow(&self) -> Option<&R::Flow> {
        match &self.screen {
            Screen::Service(f) => Some(f),
            _ => None,
        }
    }

    /// The error on screen, if the service's step is one: the service and the error's name.
    pub fn problem(&self) -> Option<(R::Id, &'static str)> {
        let flow = self.flow()?;
        Some((R::id_of(flow), flow.problem()?))
    }

    /// The error on the identify page, if it shows one: its name.
    pub fn identify_problem(&self) -> Option<&'static str> {
        match &self.screen {
            Screen::Identify(flow) => flow.problem(),
            _ => None,
        }
    }

    /// The step of the service on screen, if it is a numbered one.
    pub fn progress(&self) -> Option<Progress> {
        self.flow().and_then(Flow::progress)
    }

    /// Whole seconds until the session ends by itself if nobody touches the screen, on
    /// the screens where the idle timer runs (the menu, a service's step that waits for
    /// the citizen, identifying); `None` where it does not (the attract screen, a step
    /// waiting on a device or the platform, a done page, which ends on its own time).
    pub fn session_left(&self, now: Duration) -> Option<u32> {
        let runs = match &self.screen {
            Screen::Menu => true,
            Screen::Identify(flow) => flow.idle() != IdlePolicy::Paused,
            Screen::Service(flow) => flow.idle() == IdlePolicy::Normal,
            Screen::Attract | Screen::Rating(_) | Screen::TakeCard(_) => false,
        };
        runs.then(|| self.session.idle_left(now).as_millis().div_ceil(1000) as u32)
    }

    /// Whether "main menu" leads anywhere: a service on screen in a citizen's session,
    /// on a step that waits for the citizen (not for a device or the platform) and with
    /// no card on the scanner's glass (the copy's own steps take it back first).
    pub fn can_go_home(&self) -> bool {
        matches!(&self.screen, Screen::Service(f)
            if f.idle() != IdlePolicy::Paused && !f.card_on_glass())
            && self.session.citizen().is_some()
    }

    /// "Main menu" on the footer: out of the service to the menu, the session going on
    /// (what "back" from a service's first step does, from any step).
    pub fn home(&mut self, now: Duration) {
        self.session.touch(now);
        if self.can_go_home() {
            self.screen = Screen::Menu;
        }
    }

    /// Runs `f` on the flow on screen (a touch on one of its pages), with the session.
    pub fn with_flow<T>(
        &mut self,
        now: Duration,
        f: impl FnOnce(&mut R::Flow, &mut Cx) -> T,
    ) -> Option<T> {
        self.session.touch(now);
        let Screen::Service(flow) = &mut self.screen else {
            return None;
        };
        let mut cx = Cx {
            session: &mut self.session,
            now,
        };
        Some(f(flow, &mut cx))
    }

    /// Runs `f` on the registry and the flow on screen (a catalog change the flow must see).
    pub fn with_registry<T>(&mut self, f: impl FnOnce(&mut R, Option<&mut R::Flow>) -> T) -> T {
        let flow = match &mut self.screen {
            Screen::Service(flow) => Some(flow),
            _ => None,
        };
        f(&mut self.registry, flow)
    }

    /// Any touch.
    pub fn touch(&mut self, now: Duration) {
        self.session.touch(now);
    }

    /// The header's language toggle.
    pub fn toggle_lang(&mut self, now: Duration) {
        self.session.toggle_lang();
        self.session.touch(now);
    }

    /// A valid card was read. Starts a session only from the attract screen: a card read in
    /// the middle of someone's session is ignored.
    pub fn card_read(&mut self, citizen: Citizen, now: Duration) {
        self.card_present = true;
        self.leave_rating();
        // A card on the reader while the glass page waits: that citizen has their card. The
        // session it starts is in Chinese, as after every session (the last one's language
        // was kept only for its take-your-card page).
        if matches!(self.screen, Screen::TakeCard(_)) {
            self.session.keep_lang(Lang::Zh);
            self.screen = Screen::Attract;
        }
        // On the identifying page the card is the better way: it takes over.
        if matches!(self.screen, Screen::Attract | Screen::Identify(_)) {
            self.identified(citizen, now);
        }
    }

    /// A card could not start a session: a notice on the attract screen.
    pub fn card_refused(&mut self, notice: Notice, now: Duration) {
        self.card_present = true;
        self.leave_rating();
        if matches!(self.screen, Screen::Attract) {
            self.session.set_notice(notice, now);
        }
    }

    /// The reader no longer sees a card: "take your ID card" on the reader is done.
    pub fn card_gone(&mut self, now: Duration) {
        self.card_present = false;
        if let Screen::TakeCard(t) = &self.screen {
            if t.place() == CardPlace::Reader {
                self.card_taken(now);
            }
        }
    }

    /// "I have taken my card" on the take-card page (the scanner's glass cannot tell).
    pub fn take_card_done(&mut self, now: Duration) {
        if matches!(self.screen, Screen::TakeCard(_)) {
            self.card_taken(now);
        }
    }

    /// The card is back with its holder: the rating step if the session earned one, else
    /// the attract screen (in Chinese, as after every session).
    fn card_taken(&mut self, now: Duration) {
        let Screen::TakeCard(t) = &mut self.screen else {
            return;
        };
        let rate = t.take_rating();
        self.session.keep_lang(Lang::Zh);
        self.screen = match (rate, &self.ratings) {
            (Some((service, case)), Some(_)) => {
                Screen::Rating(Rating::new(service, case, Some(now)))
            }
            _ => Screen::Attract,
        };
    }

    /// A scanned code: on the attract screen a service may claim it (and a session starts
    /// for it), else a notice says what it was; in a flow, the flow decides; on the menu it
    /// is ignored.
    pub fn code_scanned(&mut self, code: ScannedCode, now: Duration) {
        self.leave_rating();
        // An e-ID code identifies from the attract screen or the identifying page.
        if let ScannedCode::ElectronicId(token) = &code {
            if self.identity.is_some()
                && matches!(self.screen, Screen::Attract | Screen::Identify(_))
            {
                return self.check_eid(token.clone(), now);
            }
        }
        match &mut self.screen {
            Screen::Attract => {
                self.session.begin(None, now);
                let mut cx = Cx {
                    session: &mut self.session,
                    now,
                };
                match self.registry.claim(&code, &mut cx) {
                    Some(flow) => self.screen = Screen::Service(flow),
                    None => {
                        // No session after all: the attract screen says what the code was,
                        // in the language it showed.
                        let lang = self.session.lang();
                        self.session.wipe();
                        self.session.keep_lang(lang);
                        self.session.set_notice(code.notice(), now);
                    }
                }
            }
            Screen::Service(flow) => {
                let mut cx = Cx {
                    session: &mut self.session,
                    now,
                };
                if flow.on_code(&mut cx, &code) {
                    self.session.touch(now);
                }
            }
            Screen::Menu | Screen::Rating(_) | Screen::Identify(_) | Screen::TakeCard(_) => {}
        }
    }

    /// A menu tile.
    pub fn choose(&mut self, id: R::Id, now: Duration) {
        self.session.touch(now);
        if !matches!(self.screen, Screen::Menu) {
            return;
        }
        let mut cx = Cx {
            session: &mut self.session,
            now,
        };
        if let Some(flow) = self.registry.start(id, &mut cx) {
            self.screen = Screen::Service(flow);
        }
    }

    /// A worker's answer. Dropped when its session has ended; the registry may take it for
    /// the session (a menu notice); otherwise dropped when no service is on screen or when
    /// the flow on screen was not waiting for it.
    pub fn reply(&mut self, reply: Reply<<R::Flow as Flow>::Event>, now: Duration) -> bool {
        if reply.token != self.session.token() {
            return false;
        }
        let mut cx = Cx {
            session: &mut self.session,
            now,
        };
        let Some(event) = self.registry.take_event(&mut cx, reply.event) else {
            return true;
        };
        let Screen::Service(flow) = &mut self.screen else {
            return false;
        };
        let taken = flow.on_event(&mut cx, event);
        if taken {
            // The service did something for the citizen: the session is worth rating.
            self.used = Some((R::id_of(flow), flow.case_number()));
            self.session.touch(now);
        }
        taken
    }

    /// "Back" on the footer.
    pub fn back(&mut self, now: Duration) {
        self.session.touch(now);
        if let Screen::Identify(flow) = &mut self.screen {
            if flow.back() == Nav::Menu {
                self.wipe();
            }
            return;
        }
        let Screen::Service(flow) = &mut self.screen else {
            return;
        };
        let mut cx = Cx {
            session: &mut self.session,
            now,
        };
        if flow.back(&mut cx) == Nav::Menu {
            if self.session.citizen().is_some() {
                self.screen = Screen::Menu;
            } else {
                // A session with no citizen (started by a scanned receipt) has no menu.
                self.end(Some(now));
            }
        }
    }

    /// "Finish": the session ends (and the rating step shows if it used a service). On
    /// the rating step itself, "finish" is "skip".
    pub fn finish(&mut self) {
        if matches!(self.screen, Screen::Rating(_)) {
            self.skip_rating();
            return;
        }
        self.end(None);
    }

    /// A level on the rating step.
    pub fn rate(&mut self, level: Level, now: Duration) {
        if let Screen::Rating(r) = &mut self.screen {
            let rated = r.choose(level, now);
            self.send(rated);
        }
    }

    /// A reason on the rating step's second page: picked, or unpicked.
    pub fn toggle_reason(&mut self, reason: Reason, now: Duration) {
        if let Screen::Rating(r) = &mut self.screen {
            r.toggle(reason, now);
        }
    }

    /// "Submit" on the reasons page.
    pub fn submit_rating(&mut self, now: Duration) {
        if let Screen::Rating(r) = &mut self.screen {
            let rated = r.submit(now);
            self.send(rated);
        }
    }

    /// "Back" on the reasons page: the levels again.
    pub fn rating_back(&mut self, now: Duration) {
        if let Screen::Rating(r) = &mut self.screen {
            r.back(now);
        }
    }

    /// "Skip": one touch, nothing sent, the attract screen.
    pub fn skip_rating(&mut self) {
        if matches!(self.screen, Screen::Rating(_)) {
            self.rating_over();
        }
    }

    /// The clock ticked. Returns true when anything on screen changed.
    pub fn tick(&mut self, now: Duration) -> bool {
        let before = (
            std::mem::discriminant(&self.screen),
            self.session.countdown(),
            self.session.notice(),
            self.session.token(),
            self.session.elderly(),
            self.session.high_contrast(),
        );
        match &mut self.screen {
            Screen::Attract => {
                // Choices made on the attract screen by someone who then left do not wait
                // for the next citizen.
                if self.session.chosen_on_attract()
                    && self.session.idle_state(now) == IdleState::Expired
                {
                    self.session.wipe();
                }
                self.session.hide_countdown();
                self.session.expire_notice(now);
            }
            Screen::Rating(r) => {
                self.session.hide_countdown();
                if let RatingDone::Leave(rated) = r.tick(now) {
                    self.rating_over();
                    self.send(rated);
                }
            }
            Screen::TakeCard(t) => {
                self.session.hide_countdown();
                let limit = self.take_card_for.unwrap_or_default();
                if t.timed_out(now, limit) {
                    // The citizen walked away: no rating, the attract screen.
                    self.session.keep_lang(Lang::Zh);
                    self.screen = Screen::Attract;
                }
            }
            Screen::Menu => self.idle(now),
            Screen::Identify(flow) => match flow.idle() {
                IdlePolicy::Paused => self.session.hide_countdown(),
                _ => self.idle(now),
            },
            Screen::Service(flow) => match flow.idle() {
                IdlePolicy::Normal => self.idle(now),
                IdlePolicy::Paused => self.session.hide_countdown(),
                IdlePolicy::DoneSince(since) => {
                    self.session.hide_countdown();
                    if now.saturating_sub(since) >= self.done_after {
                        self.end(Some(now));
                    }
                }
            },
        }
        before
            != (
                std::mem::discriminant(&self.screen),
                self.session.countdown(),
                self.session.notice(),
                self.session.token(),
                self.session.elderly(),
                self.session.high_contrast(),
            )
    }

    fn idle(&mut self, now: Duration) {
        if self.session.idle_state(now) == IdleState::Expired {
            let place = self.card_left();
            self.wipe();
            // The citizen has left (no rating), perhaps without the card.
            self.take_card(place, Some(now), None);
        }
    }

    /// Where the citizen's card still lies, if the kiosk must ask them to take it.
    fn card_left(&self) -> Option<CardPlace> {
        self.take_card_for?;
        let on_glass = matches!(&self.screen, Screen::Service(f) if f.card_on_glass());
        if on_glass {
            Some(CardPlace::Glass)
        } else if self.card_present {
            Some(CardPlace::Reader)
        } else {
            None
        }
    }

    /// After the wipe: "take your ID card" when it is still there.
    fn take_card(
        &mut self,
        place: Option<CardPlace>,
        now: Option<Duration>,
        then_rate: Option<(R::Id, Option<String>)>,
    ) {
        if let Some(place) = place {
            self.screen = Screen::TakeCard(TakeCard::new(place, now, then_rate));
        }
    }

    /// Forgets the citizen, the flow and everything in it, and shows the attract screen.
    fn wipe(&mut self) {
        self.screen = Screen::Attract;
        self.session.wipe();
        self.used = None;
    }

    /// The session ends as the citizen meant it to (finish, done, back out): wiped as
    /// ever, then the rating step for the service it used, if it used one.
    fn end(&mut self, now: Option<Duration>) {
        let mut used = self.used.take();
        if let (Screen::Service(flow), Some((id, case))) = (&self.screen, &mut used) {
            // The case may have come with a touch after the last answer.
            if R::id_of(flow) == *id {
                *case = flow.case_number().or(case.take());
            }
        }
        let place = self.card_left();
        let lang = self.session.lang();
        // Chinese again, as after every wipe: the rating step is the attract screen's
        // neighbour (a language chosen on it holds for the next card, as there).
        self.wipe();
        if place.is_some() {
            // The card first, in the language the citizen chose; the rating after it.
            self.session.keep_lang(lang);
            let rate = used.filter(|_| self.ratings.is_some());
            self.take_card(place, now, rate);
            return;
        }
        if let (Some((service, case)), Some(_)) = (used, &self.ratings) {
            self.screen = Screen::Rating(Rating::new(service, case, now));
        }
    }

    /// The rating step gives way (a card, a code): a level already chosen is sent.
    fn leave_rating(&mut self) {
        if let Screen::Rating(r) = &self.screen {
            let rated = r.abandon();
            self.rating_over();
            self.send(rated);
        }
    }

    /// The rating step is over: the attract screen, in the language on screen.
    fn rating_over(&mut self) {
        self.screen = Screen::Attract;
    }

    fn send(&self, rated: Option<Rated<R::Id>>) {
        if let (Some(rated), Some(port)) = (rated, &self.ratings) {
            port.rate(rated);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::flow::{Chrome, Cx, Flow, IdlePolicy, Nav, Registry};
    use crate::app::session::Lang;
    use crate::app::{Level, Rated, RatingPort, Reason};

    /// A one-step service that waits for a number from its worker.
    #[derive(Debug)]
    struct Waiting(Option<u32>);
    impl Flow for Waiting {
        type Event = u32;
        fn chrome(&self) -> Chrome {
            Chrome::FULL
        }
        fn idle(&self) -> IdlePolicy {
            match self.0 {
                Some(_) => IdlePolicy::DoneSince(Duration::from_secs(100)),
                None => IdlePolicy::Normal,
            }
        }
        fn back(&mut self, _: &mut Cx) -> Nav {
            Nav::Menu
        }
        fn on_event(&mut self, _: &mut Cx, n: u32) -> bool {
            self.0.replace(n).is_none()
        }
        fn card_on_glass(&self) -> bool {
            self.0 == Some(ON_GLASS)
        }
    }
    /// The answer after which [`Waiting`] has the card on the scanner's glass (a copy).
    const ON_GLASS: u32 = 42;
    struct One;
    impl Registry for One {
        type Id = ();
        type Flow = Waiting;
        fn start(&mut self, _: (), _: &mut Cx) -> Option<Waiting> {
            Some(Waiting(None))
        }
        fn claim(&mut self, code: &ScannedCode, _: &mut Cx) -> Option<Waiting> {
            matches!(code, ScannedCode::Case(_)).then_some(Waiting(None))
        }
        fn id_of(_: &Waiting) {}
    }
    /// A registry that asks something when a card is read and takes the answer `0` for
    /// the session as a menu notice.
    struct Telling(u32);
    impl Registry for Telling {
        type Id = ();
        type Flow = Waiting;
        fn start(&mut self, _: (), _: &mut Cx) -> Option<Waiting> {
            Some(Waiting(None))
        }
        fn claim(&mut self, _: &ScannedCode, _: &mut Cx) -> Option<Waiting> {
            None
        }
        fn id_of(_: &Waiting) {}
        fn on_identified(&mut self, _: &mut Cx) {
            self.0 += 1;
        }
        fn take_event(&mut self, cx: &mut Cx, n: u32) -> Option<u32> {
            if n != 0 {
                return Some(n);
            }
            cx.session.set_menu_notice(crate::app::MenuNotice {
                zh: "预约已确认".into(),
                en: "confirmed".into(),
                warn: false,
            });
            None
        }
    }

    #[test]
    fn a_service_told_of_the_card_leaves_a_menu_notice_that_goes_with_the_session() {
        let mut r = Router::new(Telling(0), S(60), S(10), S(8));
        r.card_read(citizen(), S(0));
        assert_eq!(r.registry().0, 1, "asked once the card started the session");
        let token = r.session().token();
        // Taken on the menu, where no flow waits for it.
        assert!(r.reply(Reply { token, event: 0 }, S(1)));
        assert_eq!(r.session().menu_notice().unwrap().zh, "预约已确认");
        // Anything else still goes to the flow (none on screen: dropped).
        assert!(!r.reply(Reply { token, event: 5 }, S(1)));
        r.choose((), S(2));
        assert!(r.reply(Reply { token, event: 5 }, S(2)));
        r.finish();
        assert!(
            r.session().menu_notice().is_none(),
            "wiped with the session"
        );
        // A stale answer does not bring it back.
        assert!(!r.reply(Reply { token, event: 0 }, S(3)));
        assert!(r.session().menu_notice().is_none());
    }

    const S: fn(u64) -> Duration = Duration::from_secs;
    fn router() -> Router<One> {
        Router::new(One, S(60), S(10), S(8))
    }
    fn citizen() -> Citizen {
        Citizen::sample()
    }

    #[test]
    fn main_menu_leaves_a_service_for_the_menu_and_the_time_left_runs_on_waiting_screens() {
        let mut r = router();
        assert_eq!(
            r.session_left(S(0)),
            None,
            "the attract screen has no session"
        );
        r.card_read(citizen(), S(0));
        assert_eq!(
            r.session_left(S(30)),
            Some(40),
            "60 s idle and a 10 s countdown"
        );
        r.choose((), S(40));
        assert!(r.can_go_home());
        assert_eq!(
            r.session_left(S(41)),
            Some(69),
            "the tile's touch filled it again"
        );
        r.home(S(45));
        assert!(matches!(r.screen(), Screen::Menu));
        assert!(r.session().citizen().is_some(), "the session goes on");
        assert!(!r.can_go_home(), "already there");
        // With the card on the glass the copy's own steps lead out, not the footer.
        r.choose((), S(46));
        let token = r.session().token();
        assert!(r.reply(
            Reply {
                token,
                event: ON_GLASS
            },
            S(47)
        ));
        assert!(!r.can_go_home());
        r.home(S(48));
        assert!(matches!(r.screen(), Screen::Service(_)));
        assert_eq!(
            r.session_left(S(48)),
            None,
            "a done page ends on its own time"
        );
        // A session with no citizen (a scanned receipt) has no menu to go to.
        r.finish();
        r.code_scanned(ScannedCode::Case("C1".into()), S(200));
        assert!(matches!(r.screen(), Screen::Service(_)));
        assert!(!r.can_go_home());
    }

    #[test]
    fn a_card_during_a_session_is_ignored_and_a_refused_card_shows_a_notice_for_a_while() {
        let mut r = router();
        r.card_refused(Notice::CardExpired, S(0));
        assert_eq!(r.session().notice(), Notice::CardExpired);
        r.tick(NOTICE);
        assert_eq!(r.session().notice(), Notice::None);
        r.card_read(citizen(), S(20));
        let token = r.session().token();
        r.card_read(citizen(), S(21));
        assert_eq!(
            r.session().token(),
            token,
            "a second card does not start a session"
        );
        r.card_refused(Notice::CardUnreadable, S(22));
        assert_eq!(r.session().notice(), Notice::None);
    }
    const NOTICE: Duration = crate::app::session::NOTICE_FOR;

    #[test]
    fn the_done_time_ends_the_session_and_the_language_returns_to_chinese() {
        let mut r = router();
        r.toggle_lang(S(0));
        r.card_read(citizen(), S(0));
        assert_eq!(r.session().lang(), Lang::En, "chosen before the card, kept");
        r.choose((), S(0));
        let token = r.session().token();
        assert!(r.reply(Reply { token, event: 7 }, S(1)));
        assert!(!r.reply(Reply { token, event: 8 }, S(1)), "not waited for");
        assert!(!r.tick(S(107)));
        assert!(r.tick(S(108)));
        assert!(matches!(r.screen(), Screen::Attract));
        assert_eq!(r.session().lang(), Lang::Zh);
    }

    #[test]
    fn a_claimed_code_starts_a_session_without_a_card_and_back_ends_it() {
        let mut r = router();
        r.toggle_lang(S(0));
        r.code_scanned(ScannedCode::Forged, S(0));
        assert!(matches!(r.screen(), Screen::Attract));
        assert_eq!(r.session().notice(), Notice::CodeForged);
        assert_eq!(
            r.session().lang(),
            Lang::En,
            "a refused code keeps the language"
        );
        r.code_scanned(ScannedCode::Case("SB-1".into()), S(1));
        assert!(matches!(r.screen(), Screen::Service(_)));
        assert!(r.session().citizen().is_none());
        r.back(S(2));
        assert!(
            matches!(r.screen(), Screen::Attract),
            "no menu without a citizen"
        );
    }

    /// Keeps what the router sends.
    #[derive(Default)]
    struct Ratings(std::cell::RefCell<Vec<Rated<()>>>);
    impl RatingPort<()> for Ratings {
        fn rate(&self, rated: Rated<()>) {
            self.0.borrow_mut().push(rated);
        }
    }
    fn rating_router() -> (Router<One>, Rc<Ratings>) {
        let port = Rc::new(Ratings::default());
        (router().with_ratings(port.clone()), port)
    }
    /// A session that used the service: its answer was taken.
    fn used(r: &mut Router<One>, now: Duration) -> crate::app::SessionToken {
        r.card_read(citizen(), now);
        r.choose((), now);
        let token = r.session().token();
        assert!(r.reply(Reply { token, event: 1 }, now));
        token
    }
    fn rating_step(r: &Router<One>) -> Option<&crate::app::RatingStep> {
        match r.screen() {
            Screen::Rating(rating) => Some(rating.step()),
            _ => None,
        }
    }

    #[test]
    fn finish_wipes_first_then_asks_and_an_upper_level_is_sent_once() {
        let (mut r, port) = rating_router();
        let token = used(&mut r, S(0));
        r.finish();
        assert_eq!(rating_step(&r), Some(&crate::app::RatingStep::Choose));
        assert!(r.session().citizen().is_none(), "wiped before the rating");
        assert_ne!(
            r.session().token(),
            token,
            "a new token: old answers are dropped"
        );
        assert!(!r.reply(Reply { token, event: 2 }, S(1)));
        r.rate(Level::VerySatisfied, S(2));
        assert_eq!(rating_step(&r), Some(&crate::app::RatingStep::Thanks));
        r.rate(Level::Satisfied, S(2));
        assert_eq!(port.0.borrow().len(), 1, "one rating per session");
        assert_eq!(port.0.borrow()[0].level, Level::VerySatisfied);
        r.tick(S(2) + crate::app::rating::THANKS_FOR);
        assert!(matches!(r.screen(), Screen::Attract));
    }

    #[test]
    fn skip_is_one_touch_and_sends_nothing() {
        let (mut r, port) = rating_router();
        used(&mut r, S(0));
        // The done time ends the session as before; the rating follows.
        assert!(r.tick(S(108)));
        assert!(rating_step(&r).is_some());
        r.skip_rating();
        assert!(matches!(r.screen(), Screen::Attract));
        assert!(port.0.borrow().is_empty());
    }

    #[test]
    fn no_rating_after_idle_expiry_nor_after_a_session_that_used_nothing() {
        let (mut r, port) = rating_router();
        r.card_read(citizen(), S(0));
        r.choose((), S(0));
        r.finish();
        assert!(matches!(r.screen(), Screen::Attract), "nothing was done");
        used(&mut r, S(10));
        r.back(S(11));
        r.tick(S(11) + S(60) + S(10));
        assert!(
            matches!(r.screen(), Screen::Attract),
            "the citizen walked away"
        );
        assert!(port.0.borrow().is_empty());
        // With no port, no rating step at all.
        let mut plain = router();
        used(&mut plain, S(0));
        plain.finish();
        assert!(matches!(plain.screen(), Screen::Attract));
    }

    #[test]
    fn the_rating_is_asked_in_chinese_like_the_attract_screen_and_the_next_card_takes_over() {
        let (mut r, port) = rating_router();
        r.toggle_lang(S(0));
        used(&mut r, S(0));
        r.finish();
        assert_eq!(r.session().lang(), Lang::Zh, "wiped, language too");
        r.toggle_lang(S(1));
        r.rate(Level::Unsatisfied, S(1));
        r.toggle_reason(Reason::LongWait, S(2));
        assert!(
            port.0.borrow().is_empty(),
            "not yet: reasons are being picked"
        );
        // The next citizen's card: the level chosen is sent; the language chosen on the
        // rating step holds for the session, as one chosen on the attract screen does.
        r.card_read(citizen(), S(3));
        assert!(matches!(r.screen(), Screen::Menu));
        assert_eq!(r.session().lang(), Lang::En);
        let sent = port.0.borrow();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (sent[0].level, sent[0].reasons.clone()),
            (Level::Unsatisfied, vec![Reason::LongWait])
        );
    }

    #[test]
    fn the_rating_step_gives_way_after_a_while_without_a_touch() {
        let (mut r, port) = rating_router();
        used(&mut r, S(0));
        r.finish();
        r.tick(S(50));
        assert!(rating_step(&r).is_some());
        r.tick(S(50) + crate::app::rating::RATING_IDLE);
        assert!(matches!(r.screen(), Screen::Attract));
        assert!(port.0.borrow().is_empty());
    }

    /// Records the identity orders.
    #[derive(Default, Clone)]
    struct FakeIdentity(std::rc::Rc<std::cell::RefCell<Vec<Reply<IdentityOrder>>>>);
    impl IdentityPort for FakeIdentity {
        fn send(&self, order: Reply<IdentityOrder>) {
            self.0.borrow_mut().push(order);
        }
    }
    use crate::app::identify::{IdentifyStep, IdentityOrder};

    #[test]
    fn an_eid_code_on_the_attract_screen_identifies_and_a_stale_answer_is_dropped() {
        let mut r = router();
        r.code_scanned(ScannedCode::ElectronicId("tok".into()), S(0));
        assert!(
            matches!(r.screen(), Screen::Attract),
            "no identity worker: only the card identifies"
        );
        let port = FakeIdentity::default();
        let mut r = router().with_identity(Box::new(port.clone()));
        r.code_scanned(ScannedCode::ElectronicId("tok".into()), S(0));
        assert!(matches!(r.screen(), Screen::Identify(_)));
        let order = port.0.borrow_mut().remove(0);
        assert_eq!(
            order.event,
            IdentityOrder::CheckEid {
                token: "tok".into()
            }
        );
        let verified = IdentityEvent::EidVerified {
            holder: "h".into(),
            name: "刘洋".into(),
            masked_id: "310104********127X".into(),
        };
        assert!(!r.identity_reply(
            Reply {
                token: SessionTokenOf::other(order.token),
                event: verified.clone()
            },
            S(1)
        ));
        assert!(r.identity_reply(
            Reply {
                token: order.token,
                event: verified
            },
            S(1)
        ));
        assert!(matches!(r.screen(), Screen::Menu));
        assert_eq!(
            r.session().citizen().map(|c| c.by),
            Some(crate::app::citizen::IdentifiedBy::Eid)
        );
        // An e-ID code on the menu is ignored: the citizen is identified already.
        r.code_scanned(ScannedCode::ElectronicId("tok2".into()), S(2));
        assert!(matches!(r.screen(), Screen::Menu));
        assert!(port.0.borrow().is_empty());
    }

    #[test]
    fn the_keypad_opens_from_the_attract_screen_and_back_or_idle_wipes_it() {
        let port = FakeIdentity::default();
        let mut r = router().with_identity(Box::new(port));
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        r.identify(S(0), today);
        r.with_identify(S(1), |f, _, _| f.key('1'));
        assert!(matches!(
            r.screen(),
            Screen::Identify(f) if matches!(f.step(), IdentifyStep::TypingId { typed, .. } if typed == "1")
        ));
        r.back(S(2));
        assert!(matches!(r.screen(), Screen::Attract));
        r.identify(S(3), today);
        r.tick(S(3 + 60 + 10));
        assert!(matches!(r.screen(), Screen::Attract), "idle ends it");
        // A card on the keypad page is the better way: it takes over.
        r.identify(S(100), today);
        r.card_read(citizen(), S(101));
        assert!(matches!(r.screen(), Screen::Menu));
    }

    /// A token that is not `t` (tokens are opaque; a wiped session gets a new one).
    struct SessionTokenOf;
    impl SessionTokenOf {
        fn other(t: crate::app::SessionToken) -> crate::app::SessionToken {
            let mut s = Session::new(S(60), S(10));
            while s.token() == t {
                s.wipe();
            }
            s.token()
        }
    }

    #[test]
    fn codes_on_the_menu_are_ignored() {
        let mut r = router();
        r.card_read(citizen(), S(0));
        r.code_scanned(ScannedCode::Case("SB-1".into()), S(1));
        assert!(matches!(r.screen(), Screen::Menu));
    }

    fn take_card_router() -> (Router<One>, Rc<Ratings>) {
        let port = Rc::new(Ratings::default());
        let r = router().with_ratings(port.clone()).with_take_card(S(30));
        (r, port)
    }
    fn taking_from(r: &Router<One>) -> Option<CardPlace> {
        match r.screen() {
            Screen::TakeCard(t) => Some(t.place()),
            _ => None,
        }
    }

    #[test]
    fn a_card_laid_while_the_glass_page_waits_starts_a_chinese_session() {
        let (mut r, _) = take_card_router();
        r.card_read(Citizen::sample(), S(0));
        r.toggle_lang(S(0));
        assert_eq!(r.session().lang(), Lang::En);
        r.card_gone(S(0));
        r.screen = Screen::TakeCard(TakeCard::new(CardPlace::Glass, Some(S(1)), None));
        // The next citizen's card, the glass page still up.
        r.card_read(Citizen::sample(), S(2));
        assert!(matches!(r.screen(), Screen::Menu));
        assert_eq!(r.session().lang(), Lang::Zh);
    }

    #[test]
    fn finish_with_the_card_on_the_reader_asks_for_it_first_then_the_rating() {
        let (mut r, port) = take_card_router();
        r.toggle_lang(S(0));
        let token = used(&mut r, S(0));
        r.finish();
        assert_eq!(taking_from(&r), Some(CardPlace::Reader));
        assert!(r.session().citizen().is_none(), "wiped before it shows");
        assert_ne!(r.session().token(), token);
        assert_eq!(r.session().lang(), Lang::En, "in the citizen's language");
        r.tick(S(20));
        assert_eq!(
            taking_from(&r),
            Some(CardPlace::Reader),
            "until the card goes"
        );
        r.card_gone(S(21));
        assert_eq!(rating_step(&r), Some(&crate::app::RatingStep::Choose));
        assert_eq!(
            r.session().lang(),
            Lang::Zh,
            "the rating in Chinese, as before"
        );
        r.skip_rating();
        assert!(port.0.borrow().is_empty());
        assert!(!r.card_present());
    }

    #[test]
    fn the_done_time_and_the_idle_wipe_ask_for_the_card_too_and_a_walk_away_times_out() {
        let (mut r, _) = take_card_router();
        used(&mut r, S(0));
        // The flow's done time (100 s after the answer, then 8 s).
        r.tick(S(108));
        assert_eq!(taking_from(&r), Some(CardPlace::Reader));
        r.card_gone(S(110));
        assert!(rating_step(&r).is_some());
        r.skip_rating();

        // Idle: the citizen left, perhaps without the card; no rating after it.
        r.card_read(citizen(), S(200));
        r.tick(S(200) + S(60) + S(10));
        assert_eq!(taking_from(&r), Some(CardPlace::Reader));
        r.tick(S(270) + S(29));
        assert!(taking_from(&r).is_some());
        r.tick(S(270) + S(30));
        assert!(
            matches!(r.screen(), Screen::Attract),
            "walked away: the attract screen"
        );
        // The card is still there: the next one who takes it ends nothing.
        r.card_gone(S(400));
        assert!(matches!(r.screen(), Screen::Attract));
    }

    #[test]
    fn a_card_already_taken_or_never_used_needs_no_page() {
        let (mut r, _) = take_card_router();
        r.card_read(citizen(), S(0));
        r.card_gone(S(1));
        r.finish();
        assert!(matches!(r.screen(), Screen::Attract));
        // A session started by a scanned receipt never saw a card.
        r.code_scanned(ScannedCode::Case("SB-1".into()), S(5));
        r.finish();
        assert!(matches!(r.screen(), Screen::Attract));
        // Without the option, the card on the reader changes nothing.
        let mut plain = router();
        plain.card_read(citizen(), S(0));
        plain.finish();
        assert!(matches!(plain.screen(), Screen::Attract));
    }

    #[test]
    fn a_card_on_the_scanner_glass_is_confirmed_with_done_and_the_reader_cannot_end_it() {
        let (mut r, _) = take_card_router();
        r.card_read(citizen(), S(0));
        r.choose((), S(0));
        // Moved from the reader to the glass.
        r.card_gone(S(1));
        let token = r.session().token();
        assert!(r.reply(
            Reply {
                token,
                event: ON_GLASS
            },
            S(2)
        ));
        r.finish();
        assert_eq!(taking_from(&r), Some(CardPlace::Glass));
        r.card_gone(S(3));
        assert_eq!(
            taking_from(&r),
            Some(CardPlace::Glass),
            "the reader knows nothing"
        );
        r.code_scanned(ScannedCode::Case("SB-1".into()), S(4));
        assert_eq!(
            taking_from(&r),
            Some(CardPlace::Glass),
            "a code does not end it"
        );
        r.take_card_done(S(5));
        assert!(rating_step(&r).is_some(), "then the rating");
        r.skip_rating();
        // A card placed on the reader while the glass page waits starts a session.
        r.card_read(citizen(), S(10));
        r.choose((), S(10));
        let token = r.session().token();
        assert!(r.reply(
            Reply {
                token,
                event: ON_GLASS
            },
            S(11)
        ));
        r.card_gone(S(11));
        r.finish();
        r.card_read(citizen(), S(12));
        assert!(matches!(r.screen(), Screen::Menu));
    }

    #[test]
    fn elderly_mode_holds_for_one_session_with_its_longer_timing_and_voice_on() {
        let mut r = router().with_elderly_timing(S(180), S(30));
        r.toggle_muted(S(0));
        r.toggle_elderly(S(0));
        assert!(r.session().elderly());
        assert!(!r.session().muted(), "elderly mode speaks");
        r.card_read(citizen(), S(1));
        assert!(r.session().elderly(), "chosen on the attract screen: kept");
        assert_eq!(r.session().idle_limits(), (S(180), S(30)));
        r.tick(S(1) + S(61));
        assert_eq!(
            r.session().countdown(),
            None,
            "the normal idle time is not enough"
        );
        r.tick(S(1) + S(180));
        assert_eq!(r.session().countdown(), Some(30), "a longer countdown");
        r.tick(S(1) + S(210));
        assert!(matches!(r.screen(), Screen::Attract));
        assert!(!r.session().elderly(), "the wipe ends it");
        assert_eq!(r.session().idle_limits(), (S(60), S(10)));
        // Turned on on the menu, off again.
        r.card_read(citizen(), S(300));
        r.toggle_elderly(S(301));
        assert_eq!(r.session().idle_limits(), (S(180), S(30)));
        r.toggle_elderly(S(302));
        assert_eq!(r.session().idle_limits(), (S(60), S(10)));
    }

    #[test]
    fn choices_left_on_the_attract_screen_go_when_nobody_comes() {
        let mut r = router().with_high_contrast(true);
        assert!(r.session().high_contrast(), "the kiosk's default");
        r.toggle_contrast(S(0));
        r.toggle_elderly(S(0));
        r.toggle_lang(S(0));
        assert!(!r.session().high_contrast());
        r.tick(S(69));
        assert!(r.session().elderly());
        r.tick(S(70));
        assert!(!r.session().elderly());
        assert!(r.session().high_contrast(), "back to the default");
        assert_eq!(r.session().lang(), Lang::Zh);
        // A session's contrast goes with its wipe.
        r.card_read(citizen(), S(100));
        r.toggle_contrast(S(100));
        r.finish();
        assert!(r.session().high_contrast());
    }
}
