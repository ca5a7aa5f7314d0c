//! The technician screen: maps the [`TechnicianConsole`] to `TechnicianAdapter`, wires its
//! buttons, and takes the technician's share of background events (its worker's answers, the
//! sync status for the clock skew, the test code it waits for; cards are held back while it
//! is open, so a test card never starts a citizen's session).
//!
//! It opens through the PIN gate's technician result: [`TechnicianUi::open`].

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::{Rc, Weak};
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, Timer, TimerMode, VecModel};

use super::{AppWindow, SessionClock, TechDeviceItem, TechLine, TechnicianAdapter};
use crate::app::{KioskEvent, ScannedCode};
use crate::devices::health::{DeviceId, DeviceState};
use crate::diag::bundle::Destination;
use crate::diag::console::{Job, TechPage, TechnicianConsole, DEVICES};
use crate::diag::Outcome;

/// The badge the audit log names when the screen opened without the PIN gate (the demo's
/// panel, tests).
pub const NO_BADGE: &str = "-";

/// The technician screen's state on the UI thread.
pub struct TechnicianUi {
    window: slint::Weak<AppWindow>,
    console: RefCell<TechnicianConsole>,
    /// Where "save on the kiosk" writes bundles.
    bundle_dir: PathBuf,
    clock: SessionClock,
    ticker: Timer,
}

thread_local! {
    static TECHNICIAN: RefCell<Option<Weak<TechnicianUi>>> = const { RefCell::new(None) };
}

fn level(state: Option<&DeviceState>) -> i32 {
    match state {
        None => 4,
        Some(DeviceState::Unknown) => 0,
        Some(DeviceState::Ok) => 1,
        Some(DeviceState::Warn { .. }) => 2,
        Some(DeviceState::Fault { .. }) => 3,
    }
}

fn line(name: &str, outcome: &Outcome) -> TechLine {
    let (level, text) = match outcome {
        Outcome::Pass(t) => (1, t),
        Outcome::Skipped(t) => (2, t),
        Outcome::Fail(t) => (3, t),
    };
    TechLine {
        name: name.into(),
        text: text.into(),
        level,
    }
}

/// What the code scanner's test shows of a scan: its kind, and a case number masked as
/// `diag::devices::masked_code` masks (no code carries a name or an address).
fn scan_shown(code: &ScannedCode) -> String {
    use crate::diag::devices::masked_code;
    match code {
        ScannedCode::Case(n) => format!("the hall's receipt or a case number: {}", masked_code(n)),
        ScannedCode::Forged => "looks like the hall's receipt, signature wrong".into(),
        ScannedCode::QueueTicket => "a queue ticket's code".into(),
        ScannedCode::Appointment(_) => "an appointment slip's code".into(),
        ScannedCode::ElectronicId(_) => "an electronic ID's code (not verified here)".into(),
        ScannedCode::Foreign => "read; not one of the hall's codes".into(),
        ScannedCode::Unreadable => "garbled or cut short: scan again".into(),
    }
}

impl TechnicianUi {
    /// Opens the screen: the PIN gate calls it for a technician's PIN.
    pub fn open(&self) {
        self.open_by(NO_BADGE);
    }

    /// Opens the screen for the technician with `badge` (the PIN gate's result).
    pub fn open_by(&self, badge: &str) {
        self.update(|c| c.open(badge));
    }

    /// Whether the screen is shown.
    pub fn is_open(&self) -> bool {
        self.console.borrow().page() != TechPage::Closed
    }

    /// Read access to the console (tests).
    pub fn with_console<R>(&self, f: impl FnOnce(&TechnicianConsole) -> R) -> R {
        f(&self.console.borrow())
    }

    /// Runs `f` on the console (a touch: it keeps the screen open), then re-renders.
    pub fn update(&self, f: impl FnOnce(&mut TechnicianConsole)) {
        {
            let mut c = self.console.borrow_mut();
            c.touch((self.clock)());
            f(&mut c);
        }
        self.render();
    }

    /// Runs `f` on the console for a background event (a worker's answer, a sync round, a
    /// scan): not a touch, so the screen still closes when nobody is there.
    fn apply(&self, f: impl FnOnce(&mut TechnicianConsole)) {
        f(&mut self.console.borrow_mut());
        self.render();
    }

    fn render(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let c = self.console.borrow();
        let t = window.global::<TechnicianAdapter>();
        let page = c.page();
        t.set_open(page != TechPage::Closed);
        // A technician may bring a mouse: the pointer shows on this screen only.
        super::show_cursor(&window, page != TechPage::Closed);
        if page == TechPage::Closed {
            // Nothing of what was shown stays in the window.
            t.set_checks(ModelRc::default());
            t.set_log("".into());
            t.set_identity("".into());
            t.set_has_scan(false);
            t.set_scan(slint::Image::default());
            t.set_bundle_state(0);
            t.set_bundle_detail("".into());
            return;
        }
        t.set_page(match page {
            TechPage::Devices | TechPage::Closed => 0,
            TechPage::Link => 1,
            TechPage::Bundle => 2,
        });
        let rows = c.rows();
        let items: Vec<TechDeviceItem> = DEVICES
            .iter()
            .map(|d| {
                let state = rows
                    .iter()
                    .find(|r| r.device == *d)
                    .and_then(|r| r.state.as_ref());
                let reason = state
                    .and_then(|s| s.reason())
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default();
                TechDeviceItem {
                    reason: reason.into(),
                    level: if rows.is_empty() { 0 } else { level(state) },
                }
            })
            .collect();
        t.set_devices(ModelRc::new(VecModel::from(items)));
        let selected = c.selected();
        t.set_selected(DEVICES.iter().position(|d| *d == selected).unwrap_or(0) as i32);
        let row = rows.iter().find(|r| r.device == selected);
        let mut identity: Vec<(String, String)> =
            row.map(|r| r.identity.clone()).unwrap_or_default();
        let mut checks = Vec::new();
        let mut log = row.map(|r| r.log.clone()).unwrap_or_default();
        let mut testing = false;
        let mut scan = None;
        match c.test_of(selected) {
            Job::NotRun => {}
            Job::Running => testing = true,
            Job::Done((report, image)) => {
                for (k, v) in &report.identity {
                    if !identity.iter().any(|(ik, _)| ik == k) {
                        identity.push((k.clone(), v.clone()));
                    }
                }
                checks = report
                    .checks
                    .iter()
                    .map(|ch| line(&ch.name, &ch.outcome))
                    .collect();
                if !report.log.is_empty() {
                    log = report.log.clone();
                }
                scan = image.as_ref();
            }
        }
        let waiting = selected == DeviceId::CodeScanner && c.wants_scan();
        if selected == DeviceId::CodeScanner {
            if let Job::Done(shown) = c.scan_test() {
                checks.push(line("test code", &Outcome::Pass(shown.clone())));
            }
        }
        t.set_waiting_scan(waiting);
        t.set_testing(testing || waiting);
        let identity: Vec<String> = identity.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        t.set_identity(identity.join("\n").into());
        t.set_checks(ModelRc::new(VecModel::from(checks)));
        // The newest exchanges, at most a screenful.
        let tail: Vec<&str> = log
            .iter()
            .rev()
            .take(24)
            .rev()
            .map(String::as_str)
            .collect();
        t.set_log(tail.join("\n").into());
        match scan {
            Some(s) => {
                let mut buf = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::new(s.width, s.height);
                let n = buf.as_bytes().len().min(s.rgb.len());
                buf.make_mut_bytes()[..n].copy_from_slice(&s.rgb[..n]);
                t.set_scan(slint::Image::from_rgb8(buf));
                t.set_has_scan(true);
            }
            None => {
                t.set_has_scan(false);
                t.set_scan(slint::Image::default());
            }
        }

        let (steps, running, figures) = match c.link() {
            Job::NotRun => (Vec::new(), false, String::new()),
            Job::Running => (Vec::new(), true, String::new()),
            Job::Done((steps, figures)) => (
                steps
                    .iter()
                    .map(|s| {
                        let mut l = line(s.step.name(), &s.outcome);
                        l.text =
                            format!("{:.1} ms  {}", s.took.as_secs_f64() * 1000.0, l.text).into();
                        l
                    })
                    .collect(),
                false,
                figures.line(),
            ),
        };
        t.set_link_steps(ModelRc::new(VecModel::from(steps)));
        t.set_link_running(running);
        t.set_figures(figures.into());
        let sync = c.sync();
        t.set_skew(
            sync.and_then(|s| s.clock_skew_ms)
                .map(|ms| format!("{:+.1} s", ms as f64 / 1000.0))
                .unwrap_or_default()
                .into(),
        );
        t.set_skew_bad(sync.is_some_and(|s| s.clock_fault()));
        t.set_skew_min(
            sync.and_then(|s| s.clock_skew_ms)
                .map_or(0, super::staff_adapter::skew_minutes),
        );
        t.set_cert_refused(
            sync.is_some_and(|s| s.link == crate::sync::LinkState::CertificateRefused),
        );
        t.set_last_contact(
            sync.and_then(|s| s.last_contact)
                .map(|at| {
                    at.with_timezone(&crate::clock::hall_offset())
                        .format("%m-%d %H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default()
                .into(),
        );
        let (state, detail) = match c.bundle() {
            Job::NotRun => (0, String::new()),
            Job::Running => (1, String::new()),
            Job::Done(Ok(path)) => (2, path.display().to_string()),
            Job::Done(Err(why)) => (3, why.clone()),
        };
        t.set_bundle_state(state);
        t.set_bundle_detail(detail.into());
    }

    /// Takes the technician's share of an event; true when it must go no further.
    fn intercept(&self, event: &KioskEvent) -> bool {
        match event {
            KioskEvent::Technician(e) => {
                let e = e.clone();
                self.apply(|c| c.on_event(e));
                true
            }
            KioskEvent::SyncStatus(s) => {
                let s = s.clone();
                self.apply(|c| c.set_sync(s));
                false
            }
            KioskEvent::CodeScanned(code) if self.console.borrow().wants_scan() => {
                let shown = scan_shown(code);
                self.apply(|c| c.on_scanned(shown));
                true
            }
            // A card on the reader while the technician works is the test card: read and
            // shown masked on the reader's self-test, never a citizen's session.
            KioskEvent::CardRead(card) if self.is_open() => {
                let shown = format!(
                    "{}, {}",
                    crate::app::masking::name(&card.name),
                    card.masked_id
                );
                self.apply(|c| c.on_test_card(shown));
                true
            }
            // A card or a code while the technician works is not a citizen's.
            KioskEvent::CardRead(_) | KioskEvent::CardRefused(_) | KioskEvent::CodeScanned(_) => {
                self.is_open()
            }
            _ => false,
        }
    }
}

/// Called for every background event on the UI thread; true when the event must go no
/// further.
pub(super) fn intercept(event: &KioskEvent) -> bool {
    let ui = TECHNICIAN.with(|t| t.borrow().as_ref().and_then(Weak::upgrade));
    ui.is_some_and(|t| t.intercept(event))
}

/// Wires the technician screen; bundles saved "on the kiosk" go to `bundle_dir`. The
/// returned `Rc` must live as long as the window.
pub fn connect(
    window: &AppWindow,
    console: TechnicianConsole,
    bundle_dir: PathBuf,
    clock: SessionClock,
) -> Rc<TechnicianUi> {
    let ui = Rc::new(TechnicianUi {
        window: window.as_weak(),
        console: RefCell::new(console),
        bundle_dir,
        clock,
        ticker: Timer::default(),
    });
    TECHNICIAN.with(|t| *t.borrow_mut() = Some(Rc::downgrade(&ui)));
    let t = window.global::<TechnicianAdapter>();
    macro_rules! wire {
        ($on:ident, |$c:ident, $ui:ident $(, $arg:ident)*| $body:expr) => {{
            let weak = Rc::downgrade(&ui);
            t.$on(move |$($arg),*| {
                if let Some($ui) = weak.upgrade() {
                    $ui.update(|$c| $body);
                }
            });
        }};
    }
    wire!(on_touched, |_c, _ui| ());
    wire!(on_demo_open, |c, _ui| c.open(NO_BADGE));
    wire!(on_close, |c, _ui| c.close());
    wire!(on_show, |c, _ui, page| c.show(match page {
        1 => TechPage::Link,
        2 => TechPage::Bundle,
        _ => TechPage::Devices,
    }));
    wire!(
        on_select,
        |c, _ui, i| if let Some(d) = DEVICES.get(i as usize) {
            c.select(*d)
        }
    );
    wire!(on_self_test, |c, _ui| c.self_test());
    wire!(on_check_link, |c, _ui| c.check_link());
    wire!(on_export_usb, |c, _ui| c
        .export(Destination::RemovableDrive));
    {
        let weak = Rc::downgrade(&ui);
        t.on_export_file(move || {
            if let Some(ui) = weak.upgrade() {
                let now = chrono::Utc::now();
                let kiosk = ui.console.borrow().kiosk_id().to_owned();
                if let Err(e) = std::fs::create_dir_all(&ui.bundle_dir) {
                    tracing::warn!(error = %e, "cannot create the bundle folder");
                }
                let file = ui
                    .bundle_dir
                    .join(crate::diag::bundle::file_name(&kiosk, now));
                ui.update(|c| c.export(Destination::File(file)));
            }
        });
    }
    let weak = Rc::downgrade(&ui);
    ui.ticker
        .start(TimerMode::Repeated, Duration::from_secs(2), move || {
            if let Some(ui) = weak.upgrade() {
                let closed = ui.console.borrow_mut().tick((ui.clock)());
                if closed {
                    tracing::info!("technician screen closed: nobody touched it for 5 minutes");
                    ui.render();
                } else if ui.console.borrow().page() == TechPage::Devices {
                    ui.console.borrow_mut().refresh();
                }
            }
        });
    ui.render();
    ui
}
