//! The window as a whole: which screen shows, the footer, language, clock, platform link,
//! idle countdown, the attract screen and the menu built from the service registry; and the
//! bridge that brings background events onto the UI thread. Each service's pages have their
//! own adapter (`crate::services::<name>::adapter`); only the one on screen is rendered.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, SharedString, Timer, TimerMode, VecModel};

use super::{
    AppAdapter, AppWindow, AttractAdapter, AttractNotice, AttractService, HallNoticeItem,
    MenuAdapter, MenuEntry, OperatorAdapter, Screen as UiScreen, ServiceId as UiServiceId,
    TakeCardAdapter, Theme, Unavailable as UiUnavailable,
};

/// Elderly mode's text and target scale (issue 17: at least 1.5×).
pub const ELDERLY_SCALE: f32 = 1.5;
use crate::app::citizen::IdentifiedBy;
use crate::app::{
    EventSink, Flow, KioskEvent, Lang, Notice, Router, Screen, Session, SessionToken,
};
use crate::services::{
    apply, appointment, case_progress, certificate, id_copy, medical_insurance, personal_documents,
    queue_ticket, sample_forms, traffic_fine, ActiveFlow, Conditions, Device, ServiceId, Services,
    Tile, Unavailable,
};

/// What the UI thread does with a background event.
type Handler = Rc<dyn Fn(KioskEvent)>;

thread_local! {
    // Background events are delivered to whichever kiosk UI lives on this (the UI) thread.
    static HANDLER: RefCell<Option<Handler>> = RefCell::new(None);
}

/// Sends events to the UI thread through Slint's event loop; never blocks the sender.
#[derive(Clone)]
pub struct UiSink {
    window: slint::Weak<AppWindow>,
}

impl UiSink {
    /// A sink that delivers to the UI of `window`'s thread.
    pub fn from_window(window: &AppWindow) -> Self {
        Self {
            window: window.as_weak(),
        }
    }
}

impl EventSink for UiSink {
    fn send(&self, event: KioskEvent) {
        // Fails only when the window is gone (shutting down): nothing left to show it on.
        let _ = self.window.upgrade_in_event_loop(move |_| {
            let handler = HANDLER.with(|h| h.borrow().clone());
            if let Some(handler) = handler {
                handler(event);
            }
        });
    }
}

/// Time since start for the session rules (idle timer, done screen). Monotonic in the
/// kiosk; tests pass Slint's mock clock so no test waits for real seconds.
pub type SessionClock = Rc<dyn Fn() -> Duration>;

/// The devices at fault now, as the menu needs them (read from the health board; an
/// in-memory read, no device I/O).
pub type DeviceFaults = Rc<dyn Fn() -> Vec<Device>>;

/// A monotonic clock starting now.
pub fn monotonic_clock() -> SessionClock {
    let start = std::time::Instant::now();
    Rc::new(move || start.elapsed())
}

/// Each service's adapter, with what it keeps to push only what changed.
#[derive(Default)]
struct ServiceAdapters {
    queue_ticket: queue_ticket::adapter::Adapter,
    case_progress: case_progress::adapter::Adapter,
    id_copy: id_copy::adapter::Adapter,
    appointment: appointment::adapter::Adapter,
    certificate: certificate::adapter::Adapter,
    personal_documents: personal_documents::adapter::Adapter,
    medical_insurance: medical_insurance::adapter::Adapter,
    traffic_fine: traffic_fine::adapter::Adapter,
    sample_forms: sample_forms::adapter::Adapter,
    apply: apply::adapter::Adapter,
}

impl ServiceAdapters {
    fn render(&self, window: &AppWindow, services: &Services, flow: &ActiveFlow, s: &Session) {
        match flow {
            ActiveFlow::QueueTicket(f) => {
                self.queue_ticket
                    .render(window, f, &services.queue_ticket, s.lang())
            }
            ActiveFlow::CaseProgress(f) => self.case_progress.render(window, f, s),
            ActiveFlow::IdCopy(f) => self.id_copy.render(window, f, s.lang()),
            ActiveFlow::Appointment(f) => self.appointment.render(window, f, s.lang()),
            ActiveFlow::Certificate(f) => self.certificate.render(window, f, s.lang()),
            ActiveFlow::PersonalDocuments(f) => self.personal_documents.render(window, f, s.lang()),
            ActiveFlow::MedicalInsurance(f) => self.medical_insurance.render(window, f, s.lang()),
            ActiveFlow::TrafficFine(f) => self.traffic_fine.render(window, f, s.lang()),
            ActiveFlow::SampleForms(f) => self.sample_forms.render(window, f, s),
            ActiveFlow::Apply(f) => self.apply.render(window, f, s),
        }
    }

    /// The flow left the screen: its pages forget what they showed (images, numbers).
    fn clear(&self, window: &AppWindow, id: ServiceId) {
        match id {
            ServiceId::QueueTicket => self.queue_ticket.clear(window),
            ServiceId::CaseProgress => self.case_progress.clear(window),
            ServiceId::IdCopy => self.id_copy.clear(window),
            ServiceId::Appointment => self.appointment.clear(window),
            ServiceId::Certificate => self.certificate.clear(window),
            ServiceId::PersonalDocuments => self.personal_documents.clear(window),
            ServiceId::MedicalInsurance => self.medical_insurance.clear(window),
            ServiceId::TrafficFine => self.traffic_fine.clear(window),
            ServiceId::SampleForms => self.sample_forms.clear(window),
            ServiceId::Apply => self.apply.clear(window),
        }
    }

    /// The tile's title and subtitle in the language on screen; `missing`: a device the
    /// service works without but for part of it is at fault (its subtitle says so).
    fn tile_text(
        window: &AppWindow,
        id: ServiceId,
        missing: Option<Device>,
    ) -> (SharedString, SharedString) {
        match id {
            ServiceId::QueueTicket => queue_ticket::adapter::tile(window),
            ServiceId::CaseProgress => case_progress::adapter::tile(window),
            ServiceId::IdCopy => id_copy::adapter::tile(window),
            ServiceId::Appointment => appointment::adapter::tile(window),
            ServiceId::Certificate => certificate::adapter::tile(window),
            ServiceId::PersonalDocuments => personal_documents::adapter::tile(window),
            ServiceId::MedicalInsurance => medical_insurance::adapter::tile(window),
            ServiceId::TrafficFine => traffic_fine::adapter::tile(window),
            ServiceId::SampleForms => sample_forms::adapter::tile(window, missing.is_some()),
            ServiceId::Apply => apply::adapter::tile(window),
        }
    }

    fn connect(window: &AppWindow, ui: &Rc<KioskUi>) {
        queue_ticket::adapter::connect(window, ui);
        case_progress::adapter::connect(window, ui);
        id_copy::adapter::connect(window, ui);
        appointment::adapter::connect(window, ui);
        certificate::adapter::connect(window, ui);
        personal_documents::adapter::connect(window, ui);
        medical_insurance::adapter::connect(window, ui);
        traffic_fine::adapter::connect(window, ui);
        sample_forms::adapter::connect(window, ui);
        apply::adapter::connect(window, ui);
    }
}

fn ui_service(id: ServiceId) -> UiServiceId {
    match id {
        ServiceId::QueueTicket => UiServiceId::QueueTicket,
        ServiceId::CaseProgress => UiServiceId::CaseProgress,
        ServiceId::IdCopy => UiServiceId::IdCopy,
        ServiceId::Appointment => UiServiceId::Appointment,
        ServiceId::Certificate => UiServiceId::Certificate,
        ServiceId::PersonalDocuments => UiServiceId::PersonalDocuments,
        ServiceId::MedicalInsurance => UiServiceId::MedicalInsurance,
        ServiceId::TrafficFine => UiServiceId::TrafficFine,
        ServiceId::SampleForms => UiServiceId::SampleForms,
        ServiceId::Apply => UiServiceId::Apply,
    }
}

fn service_of(id: UiServiceId) -> ServiceId {
    match id {
        UiServiceId::QueueTicket => ServiceId::QueueTicket,
        UiServiceId::CaseProgress => ServiceId::CaseProgress,
        UiServiceId::IdCopy => ServiceId::IdCopy,
        UiServiceId::Appointment => ServiceId::Appointment,
        UiServiceId::Certificate => ServiceId::Certificate,
        UiServiceId::PersonalDocuments => ServiceId::PersonalDocuments,
        UiServiceId::MedicalInsurance => ServiceId::MedicalInsurance,
        UiServiceId::TrafficFine => ServiceId::TrafficFine,
        UiServiceId::SampleForms => ServiceId::SampleForms,
        UiServiceId::Apply => ServiceId::Apply,
    }
}

/// What the shell last pushed, so a render pushes only what changed.
#[derive(Default)]
struct Shown {
    /// The session whose greeting (name, photo) is on the menu.
    greeting: Option<SessionToken>,
    /// The menu's tiles, in that language.
    tiles: Option<(Vec<Tile>, Lang)>,
    /// The services named on the attract screen, in that language.
    attract: Option<(Vec<Tile>, Lang)>,
    /// The service whose pages hold state.
    service: Option<ServiceId>,
    /// The identifying page holds state.
    identify: bool,
    /// The prompt last spoken for the screen, in that language.
    prompt: Option<(crate::voice::PromptId, Lang)>,
    /// The error on screen: where (its reference's prefix), its name and the reference code
    /// it was given.
    problem: Option<(&'static str, &'static str, String)>,
}

/// The UI's state on the UI thread: the window, the router over the services, the language.
pub struct KioskUi {
    window: slint::Weak<AppWindow>,
    router: RefCell<Router<Services>>,
    lang: Cell<Lang>,
    online: Cell<bool>,
    faults: DeviceFaults,
    ticker: Timer,
    clock: SessionClock,
    shown: RefCell<Shown>,
    adapters: ServiceAdapters,
    /// The spoken prompts' player, when the kiosk has voice guidance.
    voice: RefCell<Option<crate::voice::VoicePlayer>>,
    /// "Call staff" was touched and staff have not cleared it: when (hall time).
    help: RefCell<crate::help::HelpRequest>,
    /// The config's night (hours, brightness): the attract screen dims in it.
    night: Cell<Option<(crate::clock::DailyHours, f32)>>,
    /// The last touch, card or answer (session clock): the screen stays bright a while
    /// after it.
    active_at: Cell<Duration>,
}

/// How long the attract screen stays bright after the last touch, at night.
pub const BRIGHT_AFTER_TOUCH: Duration = Duration::from_secs(60);

/// The attract screen's notices: each shows this long.
pub const NOTICE_EVERY: Duration = Duration::from_secs(8);

/// The attract screen's drift against burn-in: a step of the orbit a minute, `DRIFT` px
/// each way at most.
const DRIFT: [(f32, f32); 8] = [
    (0.0, 0.0),
    (12.0, 0.0),
    (12.0, 10.0),
    (0.0, 10.0),
    (-12.0, 10.0),
    (-12.0, 0.0),
    (-12.0, -10.0),
    (0.0, -10.0),
];

/// Where the attract screen's content stands `secs` seconds into the day: (x, y) px.
pub fn drift_at(secs: u64) -> (f32, f32) {
    DRIFT[(secs / 60) as usize % DRIFT.len()]
}

impl KioskUi {
    /// Runs `f` on the router with the current time, then pushes what it changed.
    pub fn update(&self, f: impl FnOnce(&mut Router<Services>, Duration)) {
        let now = (self.clock)();
        f(&mut self.router.borrow_mut(), now);
        self.render();
    }

    /// A citizen did something (a touch, a card, a code): the screen stays bright a while,
    /// and a dimmed one wakes at once (not at the next tick). A worker's answer or a sync
    /// round does not count.
    fn citizen_here(&self) {
        self.active_at.set((self.clock)());
        if let Some(w) = self.window.upgrade() {
            w.global::<AppAdapter>().set_dimmed(false);
        }
    }

    /// The night from the config: the attract screen dims in it (none: never).
    pub fn set_night(&self, night: Option<(crate::clock::DailyHours, f32)>) {
        self.night.set(night);
        if let (Some(w), Some((_, level))) = (self.window.upgrade(), night) {
            w.global::<AppAdapter>().set_brightness(level);
        }
        self.tick();
    }

    /// A touch on the dimmed screen: bright again for a while.
    fn wake(&self) {
        self.citizen_here();
    }

    /// [`Self::update`] for what a citizen did (a touch, a card, a code).
    pub fn citizen_here_then(&self, f: impl FnOnce(&mut Router<Services>, Duration)) {
        self.citizen_here();
        self.update(f);
    }

    /// Read access to the router (tests, diagnostics).
    pub fn with_router<R>(&self, f: impl FnOnce(&Router<Services>) -> R) -> R {
        f(&self.router.borrow())
    }

    /// Gives the UI its voice: each screen's prompt is spoken as it shows.
    pub fn set_voice(&self, player: crate::voice::VoicePlayer) {
        *self.voice.borrow_mut() = Some(player);
        self.shown.borrow_mut().prompt = None;
        self.render();
    }

    /// The speaker's state, for the staff screen.
    pub fn voice_status(&self) -> Option<crate::voice::VoiceStatus> {
        self.voice.borrow().as_ref().map(|v| v.status())
    }

    /// Tells the voice thread (the staff screen's volume and quiet hours).
    pub fn voice_order(&self, order: crate::voice::VoiceOrder) {
        if let Some(v) = self.voice.borrow().as_ref() {
            v.send(order);
        }
    }

    /// The help request staff see and the heartbeat carries: the health board's.
    pub fn use_help(&self, help: crate::help::HelpRequest) {
        *self.help.borrow_mut() = help;
    }

    /// The standing help request.
    pub fn help(&self) -> crate::help::HelpRequest {
        self.help.borrow().clone()
    }

    fn speak(&self, prompt: crate::voice::PromptId, lang: Lang) {
        self.voice_order(crate::voice::VoiceOrder::Play {
            id: prompt,
            lang,
            at: crate::clock::hall_now().time(),
        });
    }

    /// A sink for background threads.
    pub fn sink(&self) -> UiSink {
        UiSink {
            window: self.window.clone(),
        }
    }

    fn apply_lang(&self, lang: Lang) {
        if self.lang.replace(lang) == lang {
            return;
        }
        let name = match lang {
            Lang::Zh => "zh_CN",
            Lang::En => "",
        };
        if let Err(e) = slint::select_bundled_translation(name) {
            tracing::warn!("cannot select translation {name:?}: {e:?}");
        }
    }

    fn conditions(&self) -> Conditions {
        Conditions {
            online: self.online.get(),
            faulty: (self.faults)(),
        }
    }

    fn render(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let router = self.router.borrow();
        let session = router.session();
        let lang = session.lang();
        self.apply_lang(lang);
        let app = window.global::<AppAdapter>();
        app.set_english(lang == Lang::En);
        app.set_countdown(session.countdown().map(|s| s as i32).unwrap_or(0));
        // Elderly mode and contrast: every size and colour comes from the theme.
        let theme = window.global::<Theme>();
        theme.set_scale(if session.elderly() {
            ELDERLY_SCALE
        } else {
            1.0
        });
        theme.set_high_contrast(session.high_contrast());
        app.set_elderly(session.elderly());
        app.set_muted(session.muted());
        let help = self.help.borrow().since();
        app.set_help_called(help.is_some());
        app.set_help_since(
            help.map(|t| t.format("%H:%M").to_string())
                .unwrap_or_default()
                .into(),
        );
        let chrome = match router.screen() {
            Screen::Identify(f) => Some(f.chrome()),
            _ => router.flow().map(|f| f.chrome()),
        };
        app.set_show_footer(match router.screen() {
            Screen::Attract => false,
            Screen::Menu => true,
            Screen::Service(_) | Screen::Identify(_) => chrome.is_some_and(|c| c.footer),
            Screen::Rating(_) | Screen::TakeCard(_) => false,
        });
        app.set_show_back(chrome.is_some_and(|c| c.back));
        app.set_show_home(router.can_go_home());
        let progress = router.progress();
        app.set_step(progress.map_or(0, |p| i32::from(p.at)));
        app.set_steps(progress.map_or(0, |p| i32::from(p.of)));
        app.set_session_left(session_left(&router, (self.clock)()));

        let mut shown = self.shown.borrow_mut();
        // Each error shown gets its reference code once, written to the log with what it
        // was: the citizen reads it out at the desk, staff find it in the journal.
        // Where it was (a service's two letters, or ID for identifying without the card)
        // and the error's name.
        let on_screen = router
            .problem()
            .map(|(id, name)| (id.reference_prefix(), Some(id), name))
            .or_else(|| router.identify_problem().map(|name| ("ID", None, name)));
        shown.problem = match (on_screen, shown.problem.take()) {
            (None, _) => None,
            (Some((at, _, name)), Some(same)) if same.0 == at && same.1 == name => Some(same),
            (Some((at, id, name)), _) => {
                let code = crate::app::reference::new_reference(at);
                let service = id.map_or_else(|| "Identify".to_owned(), |id| format!("{id:?}"));
                tracing::warn!(reference = %code, service = %service, problem = name,
                    "a citizen was shown an error");
                Some((at, name, code))
            }
        };
        app.set_problem_reference(
            shown
                .problem
                .as_ref()
                .map(|p| p.2.as_str())
                .unwrap_or_default()
                .into(),
        );
        let active = router.flow().map(|f| f.id());
        let prompt = crate::voice::screen_prompt(
            router.screen(),
            session.notice(),
            session.countdown().is_some(),
            active,
        );
        if shown.prompt != Some((prompt, lang)) {
            shown.prompt = Some((prompt, lang));
            if !session.muted() {
                self.speak(prompt, lang);
            }
        }
        if shown.service != active {
            if let Some(old) = shown.service {
                self.adapters.clear(&window, old);
            }
            shown.service = active;
        }
        let identifying = matches!(router.screen(), Screen::Identify(_));
        if shown.identify && !identifying {
            super::identify_adapter::clear(&window);
        }
        shown.identify = identifying;
        match router.screen() {
            Screen::Identify(flow) => {
                app.set_screen(UiScreen::Identify);
                super::identify_adapter::render(&window, flow);
            }
            screen @ (Screen::Attract | Screen::Rating(_) | Screen::TakeCard(_)) => {
                match screen {
                    Screen::TakeCard(t) => {
                        app.set_screen(UiScreen::TakeCard);
                        window
                            .global::<TakeCardAdapter>()
                            .set_glass(t.place() == crate::app::CardPlace::Glass);
                    }
                    Screen::Rating(rating) => {
                        app.set_screen(UiScreen::Rating);
                        let (title, _) =
                            ServiceAdapters::tile_text(&window, rating.service(), None);
                        super::rating_adapter::render(&window, rating, title);
                    }
                    _ => {
                        app.set_screen(UiScreen::Attract);
                        // What this kiosk offers, greyed where a service cannot be used now.
                        let tiles = router.registry().tiles();
                        if shown.attract.as_ref() != Some(&(tiles.clone(), lang)) {
                            let services: Vec<AttractService> = tiles
                                .iter()
                                .map(|t| AttractService {
                                    title: ServiceAdapters::tile_text(&window, t.id, t.missing).0,
                                    available: t.unavailable.is_none(),
                                })
                                .collect();
                            window
                                .global::<AttractAdapter>()
                                .set_services(ModelRc::new(VecModel::from(services)));
                            shown.attract = Some((tiles, lang));
                        }
                        window
                            .global::<AttractAdapter>()
                            .set_other_ways(router.identifies_without_card());
                        window
                            .global::<AttractAdapter>()
                            .set_notice(attract_notice(session.notice()));
                    }
                }
                // The session has ended (the rating step comes after it): nothing of the
                // citizen stays in the window.
                if shown.greeting.take().is_some() {
                    // The image goes with the session: nothing of the last citizen stays.
                    let menu = window.global::<MenuAdapter>();
                    menu.set_citizen_name(SharedString::new());
                    menu.set_masked_id(SharedString::new());
                    menu.set_photo(slint::Image::default());
                    menu.set_has_photo(false);
                    menu.set_notice(SharedString::new());
                }
            }
            Screen::Menu => {
                app.set_screen(UiScreen::Menu);
                let menu = window.global::<MenuAdapter>();
                let notice = session.menu_notice();
                let text = notice.map_or("", |n| lang.pick(&n.zh, &n.en));
                if menu.get_notice() != text {
                    menu.set_notice(text.into());
                    menu.set_notice_warn(notice.is_some_and(|n| n.warn));
                }
                if shown.greeting != Some(session.token()) {
                    shown.greeting = Some(session.token());
                    menu.set_page(0);
                    let c = session.citizen();
                    menu.set_citizen_name(
                        c.map(|c| crate::app::masking::name(&c.name))
                            .unwrap_or_default()
                            .into(),
                    );
                    menu.set_masked_id(c.map(|c| c.masked_id.clone()).unwrap_or_default().into());
                    menu.set_identified_by(match c.map(|c| c.by) {
                        Some(IdentifiedBy::Typed) => 1,
                        Some(IdentifiedBy::Eid) => 2,
                        _ => 0,
                    });
                    match c.and_then(|c| c.photo.as_ref()) {
                        Some(img) => {
                            menu.set_photo(super::slint_image(img));
                            menu.set_has_photo(true);
                        }
                        None => {
                            menu.set_photo(slint::Image::default());
                            menu.set_has_photo(false);
                        }
                    }
                }
                let tiles = router.registry().tiles_for(session.citizen().map(|c| c.by));
                if shown.tiles.as_ref() != Some(&(tiles.clone(), lang)) {
                    let entries: Vec<MenuEntry> = tiles
                        .iter()
                        .map(|t| {
                            let (title, subtitle) =
                                ServiceAdapters::tile_text(&window, t.id, t.missing);
                            MenuEntry {
                                id: ui_service(t.id),
                                title,
                                subtitle,
                                unavailable: match t.unavailable {
                                    None => UiUnavailable::None,
                                    Some(Unavailable::DeviceFault(_)) => UiUnavailable::DeviceFault,
                                    Some(Unavailable::PlatformUnreachable) => {
                                        UiUnavailable::PlatformUnreachable
                                    }
                                    Some(Unavailable::StorageFull) => UiUnavailable::StorageFull,
                                    Some(Unavailable::NeedsCard) => UiUnavailable::NeedsCard,
                                },
                            }
                        })
                        .collect();
                    menu.set_entries(ModelRc::new(VecModel::from(entries)));
                    shown.tiles = Some((tiles, lang));
                }
            }
            Screen::Service(flow) => {
                app.set_service(ui_service(flow.id()));
                app.set_screen(UiScreen::Service);
                self.adapters
                    .render(&window, router.registry(), flow, session);
            }
        }
    }

    fn handle(&self, event: KioskEvent) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        // The staff screen's share (and cards held back while out of service).
        if super::staff_adapter::intercept(&event) {
            return;
        }
        // The technician screen's share (its worker's answers; the test code it waits for).
        if super::technician_adapter::intercept(&event) {
            return;
        }
        match event {
            KioskEvent::CardRead(citizen) => self.citizen_here_then(|r, now| {
                let conditions = self.conditions();
                r.registry_mut().set_conditions(conditions);
                r.card_read(citizen, now)
            }),
            KioskEvent::CardRefused(notice) => {
                self.citizen_here_then(|r, now| r.card_refused(notice, now))
            }
            KioskEvent::CardGone => self.update(|r, now| r.card_gone(now)),
            KioskEvent::Service(reply) => {
                let now = (self.clock)();
                if self.router.borrow_mut().reply(reply, now) {
                    self.render();
                }
            }
            KioskEvent::Identity(reply) => {
                let now = (self.clock)();
                let identified = {
                    let mut r = self.router.borrow_mut();
                    let conditions = self.conditions();
                    r.registry_mut().set_conditions(conditions);
                    r.identity_reply(reply, now)
                };
                if identified {
                    self.render();
                }
            }
            KioskEvent::Catalog {
                hall_zh,
                hall_en,
                desk,
                areas,
                notices,
            } => {
                let app = window.global::<AppAdapter>();
                app.set_hall_name_zh(hall_zh.into());
                app.set_hall_name_en(hall_en.into());
                app.set_staff_desk_zh(desk.0.into());
                app.set_staff_desk_en(desk.1.into());
                let notices: Vec<HallNoticeItem> = notices
                    .into_iter()
                    .map(|(zh, en)| HallNoticeItem {
                        zh: zh.into(),
                        en: en.into(),
                    })
                    .collect();
                window
                    .global::<AttractAdapter>()
                    .set_notices(ModelRc::new(VecModel::from(notices)));
                self.update(|r, _| {
                    r.with_registry(|services, flow| {
                        let flow = match flow {
                            Some(ActiveFlow::QueueTicket(f)) => Some(f),
                            _ => None,
                        };
                        services.queue_ticket.set_areas(areas, flow)
                    })
                });
            }
            KioskEvent::CodeScanned(code) => {
                self.citizen_here_then(|r, now| r.code_scanned(code, now))
            }
            KioskEvent::SyncStatus(s) => {
                window.global::<AppAdapter>().set_online(s.online);
                if self.online.replace(s.online) != s.online {
                    self.update(|r, _| {
                        let conditions = self.conditions();
                        r.registry_mut().set_conditions(conditions)
                    });
                }
            }
            KioskEvent::Staff(_) | KioskEvent::Technician(_) => {}
            KioskEvent::ReceiptPrinted(img) => window
                .global::<OperatorAdapter>()
                .set_last_receipt(super::slint_image(&img)),
            KioskEvent::OperatorStatus(line) => {
                window.global::<OperatorAdapter>().set_status(line.into())
            }
        }
    }

    fn tick(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let now = crate::clock::hall_now();
        let app = window.global::<AppAdapter>();
        app.set_time(now.format("%H:%M").to_string().into());
        app.set_date_zh(date_zh(now.date_naive()).into());
        app.set_date_en(now.format("%a %-d %b %Y").to_string().into());
        let mut router = self.router.borrow_mut();
        let session_now = (self.clock)();
        let mut changed = router.tick(session_now);
        // The footer's time left counts down between renders.
        app.set_session_left(session_left(&router, session_now));
        // The attract screen: its notices in turn, its drift, the night.
        use chrono::Timelike;
        let day_secs = u64::from(now.time().num_seconds_from_midnight());
        let attract = window.global::<AttractAdapter>();
        attract.set_notice_at((day_secs / NOTICE_EVERY.as_secs()) as i32);
        let (dx, dy) = drift_at(day_secs);
        attract.set_drift_x(dx);
        attract.set_drift_y(dy);
        let dimmed = self
            .night
            .get()
            .is_some_and(|(hours, _)| hours.contains(now.time()))
            && matches!(router.screen(), Screen::Attract)
            && session_now.saturating_sub(self.active_at.get()) >= BRIGHT_AFTER_TOUCH;
        app.set_dimmed(dimmed);
        if matches!(router.screen(), Screen::Menu) {
            // A device that failed or came back shows on the tiles within a tick.
            let conditions = self.conditions();
            if router.registry().conditions() != &conditions {
                router.registry_mut().set_conditions(conditions);
                changed = true;
            }
        }
        drop(router);
        if changed {
            self.render();
        }
    }
}

impl KioskUi {
    /// The screen's prompt again (the header's "replay"), unless the citizen silenced it.
    fn replay(&self) {
        let (muted, lang) = self.with_router(|r| (r.session().muted(), r.session().lang()));
        let prompt = self.shown.borrow().prompt;
        if let (false, Some((prompt, _))) = (muted, prompt) {
            self.speak(prompt, lang);
        }
    }

    /// "Call staff": the request is noted (staff screen, heartbeat) and the panel says
    /// where the desk is; a second touch while it stands asks nothing new.
    fn call_staff(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        if self.help().request(crate::clock::hall_now()) {
            tracing::info!("a citizen asked for staff at the kiosk");
        }
        window.global::<AppAdapter>().set_help_shown(true);
        let lang = self.with_router(|r| r.session().lang());
        if !self.with_router(|r| r.session().muted()) {
            self.speak("call-staff", lang);
        }
        self.update(|r, now| r.touch(now));
    }
}

fn attract_notice(n: Notice) -> AttractNotice {
    match n {
        Notice::None => AttractNotice::None,
        Notice::CardUnreadable => AttractNotice::CardUnreadable,
        Notice::CardExpired => AttractNotice::CardExpired,
        Notice::CodeForged => AttractNotice::CodeForged,
        Notice::CodeForeign => AttractNotice::CodeForeign,
        Notice::CodeQueueTicket => AttractNotice::CodeQueueTicket,
        Notice::CheckInUnavailable => AttractNotice::CheckInUnavailable,
        Notice::CodeUnreadable => AttractNotice::CodeUnreadable,
    }
}

/// The seconds the footer says the session has left, or -1 where none runs down.
fn session_left(router: &Router<Services>, now: Duration) -> i32 {
    router
        .session_left(now)
        .map_or(-1, |s| i32::try_from(s).unwrap_or(i32::MAX))
}

/// `2026年11月24日 星期二`.
fn date_zh(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const DAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    format!(
        "{}年{}月{}日 星期{}",
        d.year(),
        d.month(),
        d.day(),
        DAYS[d.weekday().num_days_from_monday() as usize]
    )
}

/// A Slint callback with no argument that runs `f` on the router, then renders.
pub fn on_router(
    ui: &Rc<KioskUi>,
    f: impl Fn(&mut Router<Services>, Duration) + 'static,
) -> impl Fn() + 'static {
    let weak = Rc::downgrade(ui);
    move || {
        if let Some(ui) = weak.upgrade() {
            ui.citizen_here_then(&f);
        }
    }
}

/// [`on_router`] for a callback with one argument.
pub fn on_router_with<A: 'static>(
    ui: &Rc<KioskUi>,
    f: impl Fn(&mut Router<Services>, Duration, A) + 'static,
) -> impl Fn(A) + 'static {
    let weak = Rc::downgrade(ui);
    move |a| {
        if let Some(ui) = weak.upgrade() {
            ui.citizen_here_then(|r, now| f(r, now, a));
        }
    }
}

/// Builds the UI state, wires the window-level callbacks and the background-event bridge,
/// and starts the clock. The returned `Rc` must live as long as the window.
pub fn connect(
    window: &AppWindow,
    router: Router<Services>,
    faults: DeviceFaults,
    demo: bool,
    clock: SessionClock,
) -> Rc<KioskUi> {
    let ui = Rc::new(KioskUi {
        window: window.as_weak(),
        router: RefCell::new(router),
        // Not the language on screen, so the first render selects Chinese.
        lang: Cell::new(Lang::En),
        online: Cell::new(true),
        faults,
        ticker: Timer::default(),
        clock,
        shown: RefCell::new(Shown::default()),
        adapters: ServiceAdapters::default(),
        voice: RefCell::new(None),
        help: RefCell::new(crate::help::HelpRequest::default()),
        night: Cell::new(None),
        active_at: Cell::new(Duration::ZERO),
    });

    let app = window.global::<AppAdapter>();
    app.set_demo(demo);
    app.on_toggle_language(on_router(&ui, |r, now| r.toggle_lang(now)));
    let weak = Rc::downgrade(&ui);
    app.on_touched(move || {
        if let Some(ui) = weak.upgrade() {
            // A touch only restarts the idle timer: nothing to push unless the countdown
            // was showing.
            let now = (ui.clock)();
            let mut router = ui.router.borrow_mut();
            let counting = router.session().countdown().is_some();
            router.touch(now);
            drop(router);
            if counting {
                ui.render();
            }
        }
    });
    app.on_back(on_router(&ui, |r, now| r.back(now)));
    app.on_home(on_router(&ui, |r, now| r.home(now)));
    let weak = Rc::downgrade(&ui);
    app.on_wake(move || {
        if let Some(ui) = weak.upgrade() {
            ui.wake();
        }
    });
    app.on_toggle_elderly(on_router(&ui, |r, now| r.toggle_elderly(now)));
    let weak = Rc::downgrade(&ui);
    app.on_toggle_voice(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|r, now| r.toggle_muted(now));
            if ui.with_router(|r| r.session().muted()) {
                ui.voice_order(crate::voice::VoiceOrder::Stop);
            } else {
                ui.replay();
            }
        }
    });
    let weak = Rc::downgrade(&ui);
    app.on_replay_voice(move || {
        if let Some(ui) = weak.upgrade() {
            ui.update(|r, now| r.touch(now));
            ui.replay();
        }
    });
    let weak = Rc::downgrade(&ui);
    app.on_call_staff(move || {
        if let Some(ui) = weak.upgrade() {
            ui.call_staff();
        }
    });
    let weak = Rc::downgrade(&ui);
    app.on_clear_help(move || {
        if let Some(ui) = weak.upgrade() {
            if ui.help().clear() {
                tracing::info!("staff cleared the call for staff");
            }
            ui.render();
        }
    });
    let weak = Rc::downgrade(&ui);
    app.on_close_help(move || {
        if let Some(ui) = weak.upgrade() {
            if let Some(w) = ui.window.upgrade() {
                w.global::<AppAdapter>().set_help_shown(false);
            }
            ui.update(|r, now| r.touch(now));
        }
    });
    app.on_toggle_contrast(on_router(&ui, |r, now| r.toggle_contrast(now)));
    window
        .global::<TakeCardAdapter>()
        .on_done(on_router(&ui, |r, now| r.take_card_done(now)));
    app.on_finish(on_router(&ui, |r, _| r.finish()));
    let weak_window = window.as_weak();
    app.on_toggle_operator_panel(move || {
        if let Some(w) = weak_window.upgrade() {
            let op = w.global::<OperatorAdapter>();
            op.set_open(!op.get_open());
        }
    });
    window
        .global::<MenuAdapter>()
        .on_choose(on_router_with(&ui, |r, now, id| {
            r.choose(service_of(id), now)
        }));
    ServiceAdapters::connect(window, &ui);
    super::rating_adapter::connect(window, &ui);
    window
        .global::<AttractAdapter>()
        .on_identify_other_ways(on_router(&ui, |r, now| {
            r.identify(now, crate::clock::hall_now().date_naive())
        }));
    super::identify_adapter::connect(window, &ui);

    let weak = Rc::downgrade(&ui);
    let handler: Handler = Rc::new(move |event| {
        if let Some(ui) = weak.upgrade() {
            ui.handle(event);
        }
    });
    HANDLER.with(|h| *h.borrow_mut() = Some(handler));

    let weak = Rc::downgrade(&ui);
    ui.ticker
        .start(TimerMode::Repeated, Duration::from_millis(250), move || {
            if let Some(ui) = weak.upgrade() {
                ui.tick();
            }
        });
    ui.tick();
    ui.render();
    ui
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attract_screen_drifts_a_step_a_minute_round_a_small_orbit() {
        assert_eq!(drift_at(0), (0.0, 0.0));
        assert_eq!(drift_at(59), (0.0, 0.0));
        assert_eq!(drift_at(60), (12.0, 0.0));
        // Every step of the orbit is used, and it comes round again.
        let steps: std::collections::BTreeSet<_> = (0..8)
            .map(|m| {
                let (x, y) = drift_at(m * 60);
                (x as i32, y as i32)
            })
            .collect();
        assert_eq!(steps.len(), 8);
        assert_eq!(drift_at(8 * 60), drift_at(0));
        assert!(DRIFT
            .iter()
            .all(|(x, y)| x.abs() <= 12.0 && y.abs() <= 12.0));
    }

    #[test]
    fn chinese_date() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(date_zh(d), "2026年11月24日 星期二");
    }
}
