//! The kiosk with its real threads, real serial code over pseudo-terminals, and the platform
//! simulator over real HTTP on loopback; the UI on Slint's testing backend with mock time.
//!
//! The simulators are the demo's own ([`kiosk::demo::SimRig`]): the tests run the kiosk
//! the demo runs, with a temporary data folder, quick sync rounds and no demo panel.
//!
//! Every UI test runs on this process's one Slint thread ([`on_ui_thread`]); see main.rs.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use i_slint_backend_testing::{ElementHandle, ElementRoot};
use kiosk::config::{Config, SyncConfig};
use kiosk::demo::SimRig;
use kiosk::kiosk::Kiosk;
use kiosk::store::Store;
use kiosk_platform::sim::SimServer;

/// Fail-safe for waits on background threads: generous, never a performance limit.
pub const PATIENCE: Duration = Duration::from_secs(60);

type Job = Box<dyn FnOnce() + Send>;

std::thread_local! {
    /// True on the Slint thread only: a rig started elsewhere would have no UI platform.
    static IS_UI_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a UI test's body on the process's one Slint thread, one test at a time, and fails
/// the calling test with the body's panic message if it panics.
///
/// Slint's testing backend can be installed once per process and then lives on the thread
/// that installed it (its context, timers and mock clock are thread-locals; its event-loop
/// proxy, which `invoke_from_event_loop` uses from the kiosk's threads, is process-wide and
/// wakes that thread only). So every kiosk of this binary lives on that one thread.
pub fn on_ui_thread(body: impl FnOnce() + Send + 'static) {
    // Held while the body runs: the UI tests take turns (poison-tolerant, so one failed UI
    // test does not fail the others).
    static TURN: Mutex<()> = Mutex::new(());
    static UI: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let ui = UI.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("slint-ui".into())
            .spawn(move || {
                // The testing backend with mock time and Slint's software renderer, the
                // kiosk's own: pages are laid out with the real fonts and can be drawn
                // (`Rig::snapshot`).
                slint::platform::set_platform(Box::new(
                    i_slint_backend_testing::TestingBackend::new(
                        i_slint_backend_testing::TestingBackendOptions {
                            mock_time: true,
                            threading: true,
                            renderer_name: Some("software".into()),
                        },
                    ),
                ))
                .expect("the UI thread's platform is set once");
                IS_UI_THREAD.with(|u| u.set(true));
                for job in rx {
                    job();
                }
            })
            .expect("spawning the UI thread");
        Mutex::new(tx)
    });
    let (done_tx, done_rx) = mpsc::channel();
    let job: Job = Box::new(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
        let _ = done_tx.send(outcome.map_err(|payload| panic_message(&*payload)));
    });
    ui.lock()
        .unwrap_or_else(|p| p.into_inner())
        .send(job)
        .expect("the UI thread is gone");
    match done_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(message)) => panic!("on the UI thread: {message}"),
        Err(_) => panic!("the UI thread ended during the test"),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}

/// A kiosk on the demo's simulators, in a temporary folder.
pub struct Rig {
    // Field order is drop order: the kiosk (and its threads) first, then the simulators it
    // talks to, then the folder they all write in.
    pub kiosk: Kiosk,
    /// The demo's simulators: ID-card reader, receipt printer, code scanner, glass, platform.
    pub sims: SimRig,
    /// The test's folder; the kiosk's data folder is `data/` in it.
    pub dir: tempfile::TempDir,
}

impl Rig {
    /// Starts everything; the platform is up. The document scanner is the demo's simulated
    /// glass and A4 pages land as PDFs in `a4/` of the test folder.
    pub fn start() -> Rig {
        Self::start_configured(|_| {})
    }

    /// [`Rig::start`] with the configuration adjusted before the simulators and the kiosk
    /// start (what is left `Simulated` gets a simulator).
    pub fn start_configured(adjust: impl FnOnce(&mut Config)) -> Rig {
        assert!(
            IS_UI_THREAD.with(|u| u.get()),
            "a Rig runs on the UI thread: wrap the test's body in rig::on_ui_thread"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::demo(dir.path().join("data"));
        // Quick rounds and short backoff: the tests wait on real threads.
        config.sync = SyncConfig {
            interval_secs: 1,
            backoff_base_secs: 0.05,
            backoff_cap_secs: 0.5,
            ..SyncConfig::default()
        };
        // The rating step after a session is tested in rating.rs, which turns it on: the
        // other tests see a session end on the attract screen, as before.
        config.session.rating = false;
        // "Take your ID card" likewise: take_card.rs turns it on (the others leave the card).
        config.session.take_card = false;
        // The prompts go to a player that takes them and says nothing (`true`): the real
        // path, no sound in tests.
        config.voice.player = vec!["true".into()];
        adjust(&mut config);
        std::fs::create_dir_all(&config.data_dir).unwrap();
        // The demo's simulators, the built-in platform among them (which only the demo
        // starts); then the kiosk as deployed: no demo panel.
        config.demo = true;
        let sims = SimRig::start(&mut config).unwrap();
        config.demo = false;
        let clock: kiosk::ui::SessionClock =
            std::rc::Rc::new(|| Duration::from_millis(i_slint_backend_testing::get_mocked_time()));
        let mut extras = sims.take_extras(&config);
        // A4 pages land as PDFs in a4/ unless the test gives a real (IPP) A4 printer.
        extras.a4_folder = config
            .devices
            .a4_printer
            .is_none()
            .then(|| dir.path().join("a4"));
        let kiosk = Kiosk::start_with(&config, clock, extras).unwrap();
        if let Ok(mut handle) = sims.printer_handle.lock() {
            *handle = Some(kiosk.printer().clone());
        }
        slint::ComponentHandle::show(kiosk.window()).unwrap();
        Rig { kiosk, sims, dir }
    }

    /// The simulated ID-card reader.
    pub fn reader(&self) -> &Arc<idcard::sim::SimReader> {
        self.sims
            .reader
            .as_ref()
            .expect("a simulated ID-card reader")
    }

    /// The virtual receipt printer.
    pub fn printer(&self) -> &printer::virtual_printer::SimPrinter {
        self.sims
            .printer
            .as_ref()
            .expect("a virtual receipt printer")
    }

    /// The QR/barcode scanner, on a pseudo-terminal like the others.
    pub fn code_scanner(&self) -> &scanner::sim::SimScanner {
        self.sims
            .code_scanner
            .as_ref()
            .expect("a simulated code scanner")
    }

    /// What lies on the simulated document scanner's glass (when it is the one in use).
    pub fn glass(&self) -> &Arc<Mutex<kiosk::demo::glass::Glass>> {
        self.sims.glass.as_ref().expect("the simulated glass")
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data").join("kiosk.sqlite")
    }

    /// A second connection to the kiosk's database, as a technician would open it.
    pub fn store(&self) -> Store {
        Store::open(&self.db_path()).unwrap()
    }

    pub fn stop_platform(&mut self) {
        if let Some(p) = self.sims.platform.take() {
            p.stop();
        }
    }

    /// Brings the platform back on the same address with the same database.
    pub fn start_platform(&mut self) {
        let (addr, config) = self
            .sims
            .platform_restart
            .clone()
            .expect("the built-in platform simulator");
        let listener = TcpListener::bind(addr).unwrap();
        self.sims.platform = Some(SimServer::start(listener, config).unwrap());
    }

    /// Where the built-in platform simulator listens (the same across a restart).
    pub fn platform_addr(&self) -> std::net::SocketAddr {
        self.sims
            .platform_restart
            .as_ref()
            .expect("the built-in platform simulator")
            .0
    }

    pub fn holdings(&self) -> kiosk_platform::api::Holdings {
        let (addr, _) = self
            .sims
            .platform_restart
            .as_ref()
            .expect("the built-in platform simulator");
        let client = kiosk_platform::client::PlatformClient::new(
            &format!("http://{addr}"),
            kiosk_platform::sim::DEMO_KIOSK_ID,
            kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(5),
        );
        client.holdings().unwrap()
    }

    pub fn page(&self) -> Page {
        self.kiosk.ui().with_controller(|c| c.page())
    }

    /// Draws the window as it stands now (Slint's software renderer, as the kiosk draws it)
    /// into a PNG at `path`.
    pub fn snapshot(&self, path: &std::path::Path) {
        let shot = slint::ComponentHandle::window(self.kiosk.window())
            .take_snapshot()
            .expect("drawing the window");
        let file = std::fs::File::create(path).unwrap();
        let mut png = png::Encoder::new(std::io::BufWriter::new(file), shot.width(), shot.height());
        png.set_color(png::ColorType::Rgba);
        png.set_depth(png::BitDepth::Eight);
        png.write_header()
            .unwrap()
            .write_image_data(shot.as_bytes())
            .unwrap();
    }

    /// Runs every event background threads have posted to the UI thread so far.
    pub fn pump(&self) {
        slint::invoke_from_event_loop(|| {
            let _ = slint::quit_event_loop();
        })
        .unwrap();
        slint::run_event_loop().unwrap();
        // Lets Slint instantiate the page the new state shows.
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1));
        // Every step any test reaches says a prompt its service lists (the voice test
        // checks each listed one has both languages' files).
        if let Some(unlisted) = self.kiosk.ui().with_controller(|c| c.unlisted_prompt()) {
            panic!("{unlisted}");
        }
    }

    /// Pumps events until `cond` holds; panics after [`PATIENCE`] with `what`.
    pub fn wait_for(&self, what: &str, mut cond: impl FnMut(&Rig) -> bool) {
        let start = Instant::now();
        loop {
            self.pump();
            if cond(self) {
                return;
            }
            assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The one element with this accessible label (a button's own text repeats its label,
    /// so where there are several the button is the one meant).
    pub fn find(&self, label: &str) -> ElementHandle {
        let mut found: Vec<_> =
            ElementHandle::find_by_accessible_label(self.kiosk.window(), label).collect();
        if found.len() > 1 {
            let button = |e: &ElementHandle| {
                e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button)
            };
            if found.iter().any(button) {
                found.retain(button);
            } else {
                // A labelled box and the text in it: the same thing on screen.
                found.truncate(1);
            }
        }
        if found.len() != 1 {
            let all: Vec<String> = self
                .kiosk
                .window()
                .root_element()
                .query_descendants()
                .find_all()
                .iter()
                .filter_map(|e| e.accessible_label().map(|l| l.to_string()))
                .filter(|l| !l.is_empty())
                .collect();
            panic!(
                "expected one element labelled {label:?}, found {}; labels on screen: {all:?}",
                found.len()
            );
        }
        found.remove(0)
    }

    pub fn tap(&self, label: &str) {
        let e = self.find(label);
        if std::env::var_os("RIG_TAPS").is_some() {
            // For the screenshot walks (scripts/screens/): where this touch lands on the
            // 1920x1080 window, as `tap X Y` takes it.
            let (p, s) = (e.absolute_position(), e.size());
            eprintln!(
                "RIG_TAP {:?} {} {} {label:?}",
                self.page(),
                (p.x + s.width / 2.0).round(),
                (p.y + s.height / 2.0).round()
            );
        }
        e.invoke_accessible_default_action();
        self.pump();
    }

    /// `GET` on the simulator's public page `url` (a printed QR's), as a phone would:
    /// (status, body). The host is the platform's whatever `url` names (the demo's `[codes]`
    /// page is the example hall's address; in a hall it is the platform's public page).
    pub fn get_page(&self, url: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let addr = self.platform_addr().to_string();
        let after_scheme = url.split_once("://").expect("an absolute URL").1;
        let path = &after_scheme[after_scheme.find('/').expect("a path")..];
        let mut s = std::net::TcpStream::connect(self.platform_addr()).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let status = text[9..12].parse().unwrap();
        (status, text.split_once("\r\n\r\n").unwrap().1.to_owned())
    }

    /// Waits until the platform leased numbers and the catalog reached the UI.
    pub fn wait_until_ready(&self) {
        let day = kiosk::clock::service_day();
        self.wait_for("catalog and leased numbers", |r| {
            r.kiosk.ui().with_controller(|c| !c.areas().is_empty())
                && r.store().numbers_left("A", day).unwrap() > 0
        });
    }

    /// Places the first sample card and waits for the greeting.
    pub fn swipe_sample_card(&self) {
        self.reader()
            .place_card(idcard::sim::sample_cards().into_iter().next().unwrap());
        self.wait_for("the greeting", |r| r.page() == Page::Menu);
    }
}

/// The demo configuration's staff badge and PIN (docs/operations.md).
pub const STAFF_BADGE: &str = "1001";
pub const STAFF_PIN: &str = "246810";
/// The demo configuration's technician badge and PIN.
pub const TECH_BADGE: &str = "9001";
pub const TECH_PIN: &str = "135790";

impl Rig {
    /// F3 on a keyboard: the staff PIN pad (from the attract screen).
    pub fn press_f3(&self) {
        use slint::platform::{Key, WindowEvent};
        let text: slint::SharedString = Key::F3.into();
        let w = slint::ComponentHandle::window(self.kiosk.window());
        w.dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        w.dispatch_event(WindowEvent::KeyReleased { text });
        self.pump();
    }

    /// Types the demo staff badge and `pin` on the PIN pad and signs in.
    pub fn type_staff_pin(&self, pin: &str) {
        self.sign_in(STAFF_BADGE, pin);
    }

    /// Types `badge` ("下一步"), then `pin` ("登录"), and waits for the staff worker's
    /// verdict (a locked pad takes neither).
    pub fn sign_in(&self, badge: &str, pin: &str) {
        for d in badge.chars() {
            self.tap(&d.to_string());
        }
        self.tap("下一步");
        let pin_step = self
            .kiosk
            .staff()
            .with_controller(|c| c.gate().step() == kiosk::app::staff::GateStep::Pin);
        if !pin_step {
            return;
        }
        for d in pin.chars() {
            self.tap(&d.to_string());
        }
        self.tap("登录");
        self.wait_for("the PIN check", |r| {
            r.kiosk
                .staff()
                .with_controller(|c| c.gate().step() != kiosk::app::staff::GateStep::Checking)
        });
    }

    /// The staff screen's mode.
    pub fn staff_mode(&self) -> kiosk::app::staff::StaffMode {
        self.kiosk.staff().with_controller(|c| c.mode())
    }

    /// Opens the staff screen with the demo PIN.
    pub fn open_staff(&self) {
        self.press_f3();
        self.type_staff_pin(STAFF_PIN);
        assert_eq!(self.staff_mode(), kiosk::app::staff::StaffMode::Open);
    }
}

/// Where the kiosk is, as the end-to-end tests name the pages: the shell's screen and the
/// active flow's step, read from the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Attract,
    Menu,
    AreaSelect,
    Phone,
    Printing,
    TicketDone,
    Problem,
    Progress,
    CaseEntry,
    ProgressResult,
    CopyPurpose,
    CopyScan,
    CopyPreview,
    CopyDone,
    /// Any step of the appointment (its own test reads the flow's step).
    Appointment,
    /// Any step of the certificate (its own test reads the flow's step).
    Certificate,
    /// Any step of the personal documents (its own test reads the flow's step).
    Documents,
    /// Any step of the medical-insurance query (its own test reads the flow's step).
    MedicalInsurance,
    /// The rating step after a session (rating.rs reads its step).
    Rating,
    /// Identifying without the card (its own test reads the step: `View::identify_step`).
    Identify,
    /// Any step of the traffic fines (its own test reads the flow's step).
    TrafficFine,
    /// "Take your ID card" after a session.
    TakeCard,
    /// Any step of the sample forms (its own test reads the flow's step).
    SampleForms,
    /// Any step of an application (its own test reads the flow's step).
    Apply,
}

/// What the tests read of the session and the flow on screen.
pub struct View<'a>(&'a kiosk::app::Router<kiosk::services::Services>);

impl View<'_> {
    pub fn page(&self) -> Page {
        use kiosk::app::Screen;
        use kiosk::services::{case_progress as cp, id_copy as ic, queue_ticket as qt, ActiveFlow};
        match self.0.screen() {
            Screen::Attract => Page::Attract,
            Screen::Menu => Page::Menu,
            Screen::Identify(_) => Page::Identify,
            Screen::Service(ActiveFlow::QueueTicket(f)) => match f.step() {
                qt::Step::ChooseArea => Page::AreaSelect,
                qt::Step::Phone { .. } => Page::Phone,
                qt::Step::Printing { .. } => Page::Printing,
                qt::Step::Done { .. } => Page::TicketDone,
                qt::Step::Problem(_) => Page::Problem,
            },
            Screen::Service(ActiveFlow::CaseProgress(f)) => match f.step() {
                cp::Step::Start => Page::Progress,
                cp::Step::Entry(_) => Page::CaseEntry,
                cp::Step::Asking | cp::Step::Answered(_) => Page::ProgressResult,
            },
            Screen::Service(ActiveFlow::IdCopy(f)) => match f.step() {
                ic::Step::Purpose => Page::CopyPurpose,
                ic::Step::Scan { .. } => Page::CopyScan,
                ic::Step::Preview { .. } => Page::CopyPreview,
                ic::Step::Done(_) => Page::CopyDone,
            },
            Screen::Service(ActiveFlow::Appointment(_)) => Page::Appointment,
            Screen::Service(ActiveFlow::Certificate(_)) => Page::Certificate,
            Screen::Service(ActiveFlow::PersonalDocuments(_)) => Page::Documents,
            Screen::Service(ActiveFlow::MedicalInsurance(_)) => Page::MedicalInsurance,
            Screen::Service(ActiveFlow::TrafficFine(_)) => Page::TrafficFine,
            Screen::Service(ActiveFlow::SampleForms(_)) => Page::SampleForms,
            Screen::Service(ActiveFlow::Apply(_)) => Page::Apply,
            Screen::Rating(_) => Page::Rating,
            Screen::TakeCard(_) => Page::TakeCard,
        }
    }
    /// A prompt the step on screen says that its service does not list in its `PROMPTS`.
    pub fn unlisted_prompt(&self) -> Option<String> {
        use kiosk::app::Flow;
        let flow = self.0.flow()?;
        let prompt = flow.prompt()?;
        (!flow.id().prompts().contains(&prompt))
            .then(|| format!("{:?} says {prompt:?}, not in its PROMPTS", flow.id()))
    }
    /// The identifying page's step, when it is on screen.
    pub fn identify_step(&self) -> Option<&kiosk::app::identify::IdentifyStep> {
        match self.0.screen() {
            kiosk::app::Screen::Identify(f) => Some(f.step()),
            _ => None,
        }
    }
    pub fn citizen(&self) -> Option<&kiosk::app::Citizen> {
        self.0.session().citizen()
    }
    pub fn notice(&self) -> kiosk::app::Notice {
        self.0.session().notice()
    }
    pub fn areas(&self) -> &[kiosk::app::Area] {
        self.0.registry().queue_ticket.areas()
    }
    fn ticket_step(&self) -> Option<&kiosk::services::queue_ticket::Step> {
        match self.0.flow()? {
            kiosk::services::ActiveFlow::QueueTicket(f) => Some(f.step()),
            _ => None,
        }
    }
    /// The phone number typed on the phone page ("" elsewhere).
    pub fn phone(&self) -> &str {
        match self.ticket_step() {
            Some(kiosk::services::queue_ticket::Step::Phone { typed, .. }) => typed,
            _ => "",
        }
    }
    pub fn ticket(&self) -> Option<&kiosk::services::queue_ticket::TicketView> {
        match self.ticket_step()? {
            kiosk::services::queue_ticket::Step::Done { ticket, .. } => Some(ticket),
            kiosk::services::queue_ticket::Step::Problem(f) => f.issued.as_ref(),
            _ => None,
        }
    }
    /// The platform's answer on the progress pages; `None` while asking or elsewhere.
    pub fn case_outcome(&self) -> Option<&kiosk::services::case_progress::CaseOutcome> {
        match self.0.flow()? {
            kiosk::services::ActiveFlow::CaseProgress(f) => f.outcome(),
            _ => None,
        }
    }
    /// The sides of the ID-card copy as scanned ("waiting" once the page left for the printer).
    pub fn copy_job(&self) -> CopySides {
        use kiosk::services::id_copy::{SideState, Step};
        let waiting = CopySides {
            front: SideState::Waiting,
            back: SideState::Waiting,
        };
        match self.0.flow() {
            Some(kiosk::services::ActiveFlow::IdCopy(f)) => match f.step() {
                Step::Scan { front, back, .. } => CopySides {
                    front: front.clone(),
                    back: back.clone(),
                },
                Step::Preview { front, back, .. } => CopySides {
                    front: SideState::Done(front.clone()),
                    back: SideState::Done(back.clone()),
                },
                _ => waiting,
            },
            _ => waiting,
        }
    }
}

pub struct CopySides {
    pub front: kiosk::services::id_copy::SideState,
    pub back: kiosk::services::id_copy::SideState,
}

/// `kiosk.ui().with_controller(|c| …)`: the tests' read of the session.
pub trait ReadSession {
    fn with_controller<R>(&self, f: impl FnOnce(&View) -> R) -> R;
}

impl ReadSession for kiosk::ui::KioskUi {
    fn with_controller<R>(&self, f: impl FnOnce(&View) -> R) -> R {
        self.with_router(|r| f(&View(r)))
    }
}
