//! The hall staff screen and its PIN pad: maps the staff controller to `StaffAdapter`, wires
//! the pad and the actions, and takes the staff's share of background events (sync status,
//! the staff service's answers, device lines; cards are held back while the kiosk is out of
//! service or staff are at the screen).

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, SharedString, Timer, TimerMode, VecModel};

use super::{
    AppWindow, SessionClock, StaffAdapter, StaffAuditItem, StaffBarItem, StaffDeviceItem,
    StaffFailedItem, StaffMode, StaffNoteKind,
};
use crate::app::staff::{
    GateStep, PinMessage, Role, StaffController, StaffMode as Mode, StaffNote, StaffService,
};
use crate::app::KioskEvent;
use crate::devices::health::DeviceState;

/// The staff screen's state on the UI thread.
pub struct StaffUi {
    window: slint::Weak<AppWindow>,
    controller: RefCell<StaffController<Box<dyn StaffService>>>,
    clock: SessionClock,
    ticker: Timer,
    /// Opens the technician screen: the gate's answer to a technician's badge and PIN.
    on_technician: RefCell<Option<OpenTechnician>>,
    /// The voice prompts' player, when the kiosk speaks (the staff screen sets its volume
    /// and quiet hours).
    voice: RefCell<Option<VoiceHook>>,
}

/// What the staff screen may do with the voice player that the kiosk's UI holds.
pub struct VoiceHook {
    /// Tells the player.
    pub order: Box<dyn Fn(crate::voice::VoiceOrder)>,
    /// Reads its state.
    pub status: Box<dyn Fn() -> Option<crate::voice::VoiceStatus>>,
    /// The quiet hours "silent at night" turns on: the config's, else 22:00–07:00.
    pub night: crate::voice::QuietHours,
}

/// What a technician's sign-in calls with their badge: the technician screen's `open_by`.
type OpenTechnician = Box<dyn Fn(&str)>;

thread_local! {
    static STAFF: RefCell<Option<Weak<StaffUi>>> = const { RefCell::new(None) };
}

impl StaffService for Box<dyn StaffService> {
    fn send(&self, command: crate::app::staff::StaffCommand) {
        (**self).send(command)
    }
}

impl StaffUi {
    /// Runs `f` on the controller with the current time, then re-renders.
    pub fn update(&self, f: impl FnOnce(&mut StaffController<Box<dyn StaffService>>, Duration)) {
        let now = (self.clock)();
        f(&mut self.controller.borrow_mut(), now);
        self.render();
    }

    /// Read access to the controller (tests).
    pub fn with_controller<R>(
        &self,
        f: impl FnOnce(&StaffController<Box<dyn StaffService>>) -> R,
    ) -> R {
        f(&self.controller.borrow())
    }

    /// What a technician's sign-in opens (the kiosk hands the technician screen's `open`).
    pub fn on_technician(&self, open: impl Fn(&str) + 'static) {
        *self.on_technician.borrow_mut() = Some(Box::new(open));
    }

    /// Gives the staff screen the voice player's controls.
    pub fn use_voice(&self, hook: VoiceHook) {
        *self.voice.borrow_mut() = Some(hook);
        self.render();
    }

    /// Staff's volume step (±10) or quiet-hours switch: the player is told at once, the
    /// worker keeps the choice (and audits it).
    fn change_voice(&self, step: i32, toggle_quiet: bool) {
        let chosen = {
            let voice = self.voice.borrow();
            let Some(hook) = voice.as_ref() else {
                return;
            };
            let Some(now) = (hook.status)() else {
                return;
            };
            let volume = (i32::from(now.volume) + step).clamp(0, 100) as u8;
            let quiet = match (toggle_quiet, now.quiet) {
                (false, q) => q,
                (true, Some(_)) => None,
                (true, None) => Some(hook.night),
            };
            (hook.order)(crate::voice::VoiceOrder::Volume(volume));
            (hook.order)(crate::voice::VoiceOrder::Quiet(quiet));
            (volume, quiet.map(|q| q.to_string()))
        };
        self.update(|c, now| c.set_voice(chosen.0, chosen.1, now));
    }

    fn render_voice(&self, s: &StaffAdapter<'_>) {
        let voice = self.voice.borrow();
        let status = voice.as_ref().and_then(|h| (h.status)());
        s.set_voice_present(status.is_some());
        if let (Some(hook), Some(st)) = (voice.as_ref(), status) {
            s.set_voice_volume(i32::from(st.volume));
            s.set_voice_quiet(st.quiet.map(|q| q.to_string()).unwrap_or_default().into());
            s.set_voice_night(hook.night.to_string().into());
            s.set_voice_fault(st.fault.unwrap_or_default().into());
        }
    }

    fn render(&self) {
        let Some(window) = self.window.upgrade() else {
            return;
        };
        // A technician signed in: the gate hands over to their screen (which has its own
        // idle close) and signs its own side out; the staff screen stays closed.
        if self.controller.borrow().mode() == Mode::Technician {
            let badge = (self.controller.borrow().signed_in())
                .map(|who| who.badge.clone())
                .unwrap_or_default();
            if let Some(open) = self.on_technician.borrow().as_ref() {
                open(&badge);
            }
            self.controller.borrow_mut().close();
        }
        let c = self.controller.borrow();
        let s = window.global::<StaffAdapter>();
        s.set_mode(match c.mode() {
            Mode::Closed => StaffMode::Closed,
            Mode::Pin => StaffMode::Pin,
            Mode::Open => StaffMode::Open,
            // The technician screen (src/ui/technician_adapter.rs) shows instead.
            Mode::Technician => StaffMode::Closed,
        });
        s.set_out_of_service(c.out_of_service());
        let gate = c.gate();
        s.set_pin_step(match gate.step() {
            GateStep::Badge => 0,
            GateStep::Pin => 1,
            GateStep::Checking => 2,
        });
        s.set_pin_badge(gate.badge().into());
        s.set_pin_dots("●".repeat(c.typed_len()).into());
        let (kind, n) = match c.pin_message() {
            PinMessage::None => (0, 0),
            PinMessage::Wrong(left) => (1, left),
            PinMessage::Locked(secs) => (2, secs),
            PinMessage::NotConfigured => (3, 0),
        };
        s.set_pin_message(kind);
        s.set_pin_number(n as i32);
        s.set_pin_countdown(format!("{}:{:02}", n / 60, n % 60).into());
        let Some(who) = c.signed_in() else {
            return;
        };
        s.set_role(match who.role {
            Role::Staff => 0,
            Role::Technician => 1,
        });
        s.set_badge(who.badge.clone().into());
        self.render_voice(&s);

        let sync = c.sync();
        s.set_online(sync.online);
        s.set_link_trouble(match sync.link {
            crate::sync::LinkState::LinkProblem => 1,
            crate::sync::LinkState::PlatformMisbehaving => 2,
            crate::sync::LinkState::CertificateRefused => 3,
            crate::sync::LinkState::ClockSkew => 4,
            crate::sync::LinkState::Online | crate::sync::LinkState::Unknown => 0,
        });
        let damaged = sync.damaged_db.as_ref();
        s.set_damaged_db_at(damaged.map(|d| hall_time(d.at)).unwrap_or_default().into());
        s.set_damaged_db_recovered(damaged.map_or(0, |d| d.recovered as i32));
        s.set_damaged_db_unreadable(damaged.map_or(0, |d| d.unreadable as i32));
        s.set_last_contact(sync.last_contact.map(hall_time).unwrap_or_default().into());
        s.set_clock_skew(
            sync.clock_skew_ms
                .map(|ms| format!("{:+.1}", ms as f64 / 1000.0))
                .unwrap_or_default()
                .into(),
        );
        s.set_clock_skew_bad(sync.clock_fault());
        s.set_clock_skew_min(sync.clock_skew_ms.map_or(0, skew_minutes));
        s.set_last_error(
            sync.last_error
                .as_ref()
                .map(|(at, text)| format!("{} {text}", hall_time(*at)))
                .unwrap_or_default()
                .into(),
        );
        s.set_pending(sync.pending as i32);
        s.set_sent(sync.sent as i32);
        s.set_failed(sync.failed as i32);
        s.set_reprints(c.reprints() as i32);
        s.set_fine_late(c.fines().late as i32);
        s.set_fine_receipts(c.fines().receipts as i32);
        let left: Vec<String> = sync
            .numbers_left
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        s.set_numbers_left(left.join("  ·  ").into());

        let rows: Vec<StaffFailedItem> = c
            .failed()
            .iter()
            .map(|r| StaffFailedItem {
                id: r.id as i32,
                kind: r.kind.clone().into(),
                created: hall_time(r.created_at).into(),
                attempts: r.attempts as i32,
                reason: r.reason.clone().into(),
            })
            .collect();
        s.set_failed_rows(ModelRc::new(VecModel::from(rows)));

        let devices: Vec<StaffDeviceItem> = c
            .devices()
            .iter()
            .map(|(device, state)| StaffDeviceItem {
                device: device.name().into(),
                level: match state {
                    DeviceState::Unknown => 0,
                    DeviceState::Ok => 1,
                    DeviceState::Warn { .. } => 2,
                    DeviceState::Fault { .. } => 3,
                },
                detail: state.reason().map(|r| r.as_str()).unwrap_or("").into(),
                resettable: c.resettable(*device),
            })
            .collect();
        s.set_devices(ModelRc::new(VecModel::from(devices)));
        let bars = |items: &[(String, u64)]| {
            let rows: Vec<StaffBarItem> = items
                .iter()
                .map(|(label, n)| StaffBarItem {
                    label: label.clone().into(),
                    count: *n as i32,
                })
                .collect();
            let top = rows.iter().map(|r| r.count).max().unwrap_or(1).max(1);
            (ModelRc::new(VecModel::from(rows)), top)
        };
        let f = c.figures();
        let (areas, top) = bars(&f.tickets_by_area);
        s.set_tickets_by_area(areas);
        s.set_tickets_top(top);
        let (services, top) = bars(&f.services);
        s.set_services_used(services);
        s.set_services_top(top);
        s.set_prints_today(f.prints as i32);
        s.set_faults_today(f.faults as i32);
        s.set_ratings_today(f.ratings as i32);
        let audit: Vec<StaffAuditItem> = c
            .audit()
            .iter()
            .map(|a| {
                // `reset:idcard` → reset + its device; `retry:12` → retry.
                let (action, device) = match a.action.split_once(':') {
                    Some((action, rest)) => (
                        action,
                        if action == "reset" || action == "voice" {
                            rest
                        } else {
                            ""
                        },
                    ),
                    None => (a.action.as_str(), ""),
                };
                StaffAuditItem {
                    at: hall_time(a.at).into(),
                    role: a.role.clone().into(),
                    badge: a.badge.clone().into(),
                    action: action.into(),
                    device: device.into(),
                    result: a.result.split(':').next().unwrap_or("").into(),
                }
            })
            .collect();
        s.set_audit_rows(ModelRc::new(VecModel::from(audit)));
        match c.printer() {
            Some(p) => {
                s.set_printer_known(true);
                s.set_paper_percent(i32::from(p.paper_percent));
                s.set_job_held(p.job_held);
            }
            None => s.set_printer_known(false),
        }

        let (kind, detail) = match c.note() {
            None => (StaffNoteKind::None, String::new()),
            Some(StaffNote::Retried(n)) => (StaffNoteKind::Retried, n.to_string()),
            Some(StaffNote::Restocked) => (StaffNoteKind::Restocked, String::new()),
            Some(StaffNote::SlipPrinted) => (StaffNoteKind::SlipPrinted, String::new()),
            Some(StaffNote::SlipFailed(why)) => (StaffNoteKind::SlipFailed, why.clone()),
            Some(StaffNote::RestockRefused(why)) => (StaffNoteKind::RestockRefused, why.clone()),
            Some(StaffNote::DeviceReset(d)) => (StaffNoteKind::DeviceReset, d.name().to_owned()),
            Some(StaffNote::ResetFailed(_, why)) => (StaffNoteKind::ResetFailed, why.clone()),
            Some(StaffNote::OutOfService) => (StaffNoteKind::OutOfService, String::new()),
            Some(StaffNote::InService) => (StaffNoteKind::InService, String::new()),
            Some(StaffNote::Reprinted) => (StaffNoteKind::Reprinted, String::new()),
            Some(StaffNote::ReprintFailed(why)) => (StaffNoteKind::ReprintFailed, why.clone()),
            Some(StaffNote::FineReceiptReprinted) => (StaffNoteKind::FineReprinted, String::new()),
            Some(StaffNote::FineReceiptFailed(why)) => {
                (StaffNoteKind::FineReprintFailed, why.clone())
            }
            Some(StaffNote::VoiceSaved) => (StaffNoteKind::VoiceSaved, String::new()),
            Some(StaffNote::Error(why)) => (StaffNoteKind::Error, why.clone()),
        };
        s.set_note(kind);
        s.set_note_detail(SharedString::from(detail));
    }

    /// Takes the staff's share of an event; true when the event must go no further.
    fn intercept(&self, event: &KioskEvent) -> bool {
        match event {
            KioskEvent::CardRead(_) | KioskEvent::CardRefused(_) => {
                self.controller.borrow().blocks_cards()
            }
            KioskEvent::SyncStatus(status) => {
                let status = status.clone();
                self.update(|c, now| c.sync_status(status, now));
                false
            }
            KioskEvent::Staff(report) => {
                let report = report.clone();
                self.update(|c, _| c.report(report));
                true
            }
            _ => false,
        }
    }

    fn tick(&self) {
        let changed = self.controller.borrow_mut().tick((self.clock)());
        if changed {
            self.render();
        }
    }
}

/// `11-24 09:30:05` in hall time.
fn hall_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&crate::clock::hall_offset())
        .format("%m-%d %H:%M:%S")
        .to_string()
}

/// Called first for every background event on the UI thread; true when the event must go no
/// further (a card while out of service, the staff service's answers).
pub(super) fn intercept(event: &KioskEvent) -> bool {
    let staff = STAFF.with(|s| s.borrow().as_ref().and_then(Weak::upgrade));
    staff.is_some_and(|s| s.intercept(event))
}

/// Wires the staff screen. The returned `Rc` must live as long as the window.
pub fn connect(
    window: &AppWindow,
    controller: StaffController<Box<dyn StaffService>>,
    clock: SessionClock,
) -> Rc<StaffUi> {
    let ui = Rc::new(StaffUi {
        window: window.as_weak(),
        controller: RefCell::new(controller),
        clock,
        ticker: Timer::default(),
        on_technician: RefCell::new(None),
        voice: RefCell::new(None),
    });
    STAFF.with(|s| *s.borrow_mut() = Some(Rc::downgrade(&ui)));

    let s = window.global::<StaffAdapter>();
    macro_rules! wire {
        ($on:ident, |$c:ident, $now:ident $(, $arg:ident)*| $body:expr) => {{
            let weak = Rc::downgrade(&ui);
            s.$on(move |$($arg),*| {
                if let Some(ui) = weak.upgrade() {
                    ui.update(|$c, $now| $body);
                }
            });
        }};
    }
    wire!(on_corner_tap, |c, now| c.corner_tap(now));
    wire!(on_open_pin, |c, now| c.open_pin(now));
    wire!(on_digit, |c, now, d| for ch in d.chars() {
        c.digit(ch, now)
    });
    wire!(on_backspace, |c, now| c.backspace(now));
    wire!(on_submit, |c, now| c.submit(now));
    wire!(on_touched, |c, now| c.touch(now));
    wire!(on_close, |c, _now| c.close());
    wire!(on_retry, |c, now, id| c.retry(i64::from(id), now));
    wire!(on_retry_all, |c, now| c.retry_all(now));
    wire!(on_restock, |c, now| c.restock(now));
    wire!(on_test_slip, |c, now| c.test_slip(now));
    wire!(on_reset_printer, |c, now| c.reset_printer(now));
    wire!(on_reset_device, |c, now, name| {
        if let Some(d) = crate::service::staff_service::device_by_name(&name) {
            c.reset_device(d, now)
        }
    });
    wire!(on_reprint, |c, now| c.reprint(now));
    wire!(on_reprint_fine, |c, now| c.reprint_fine_receipt(now));
    wire!(on_toggle_service, |c, now| c.toggle_service(now));
    for (step, toggle, on) in [(10, false, 0), (-10, false, 1), (0, true, 2)] {
        let weak = Rc::downgrade(&ui);
        let f = move || {
            if let Some(ui) = weak.upgrade() {
                ui.change_voice(step, toggle);
            }
        };
        match on {
            0 => s.on_voice_louder(f),
            1 => s.on_voice_quieter(f),
            _ => s.on_voice_quiet_toggle(f),
        }
    }

    let weak = Rc::downgrade(&ui);
    ui.ticker
        .start(TimerMode::Repeated, Duration::from_millis(500), move || {
            if let Some(ui) = weak.upgrade() {
                ui.tick();
            }
        });
    ui.render();
    ui
}

/// A clock skew in whole minutes, rounded, at least 1: how far off the kiosk's clock is, in
/// words staff read ("off by 7 min").
pub(crate) fn skew_minutes(ms: i64) -> i32 {
    let min = (ms.unsigned_abs() + 30_000) / 60_000;
    min.clamp(1, i32::MAX as u64) as i32
}
