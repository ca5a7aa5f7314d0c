//! The staff console: the hidden way in (five taps in the attract screen's top-left corner
//! within three seconds, or F3 on a keyboard), the [`PinGate`], the screen's own idle
//! timeout, and what the screen shows: the platform link, the outbox, failed rows, the
//! devices in plain words, today's figures, the audit log and whether the kiosk is in
//! service. Remote commands from the heartbeat pass through here to the staff worker.
//!
//! No Slint, no I/O: the staff worker comes in as a trait, time as a `Duration` since start.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kiosk_platform::api::audit::AuditTx;
use kiosk_platform::api::commands::RemoteCommand;

use super::super::idle_timer::{IdleState, IdleTimer};
use super::gate::{PinAttempt, PinGate, PinMessage, PinVerdict, Role, SignedIn};
// Plain values (no I/O): the device-health model staff read from the health board.
use crate::devices::health::{DeviceId, DeviceState};
use crate::store::TodayFigures;

/// The staff screen (and the PIN pad) leave themselves after this long without a touch.
pub const STAFF_IDLE: Duration = Duration::from_secs(120);
/// Corner taps that open the PIN pad…
pub const CORNER_TAPS: usize = 5;
/// …when they all fall within this window.
pub const CORNER_WINDOW: Duration = Duration::from_secs(3);
/// While the screen is open, the outbox and printer are re-read this often.
pub const REFRESH_EVERY: Duration = Duration::from_secs(3);
/// Audit rows the screen shows.
pub const AUDIT_SHOWN: usize = 50;

/// What the staff screen asks of the staff worker. Must not block the caller.
pub trait StaffService {
    /// Sends one command; the answer comes back as a [`StaffReport`].
    fn send(&self, command: StaffCommand);
}

/// Orders for the staff worker. Every action is written to the audit log with the role and
/// badge that signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCommand {
    /// Check a badge and PIN (argon2id: slow on purpose, hence on the worker).
    CheckPin(PinAttempt),
    /// The screen closed (exit, idle): audited, and the worker forgets who signed in.
    SignOut,
    /// Read the outbox (counts, failed rows), the printer, the devices, the figures, the
    /// audit log.
    Refresh,
    /// Put one failed row back in the queue.
    Retry(i64),
    /// Put every failed row back in the queue.
    RetryAll,
    /// A new paper roll: reset the paper counter (when the printer reports paper) and print
    /// a test slip.
    Restock,
    /// Print a test slip.
    TestSlip,
    /// Close and reopen one device's driver.
    ResetDevice(DeviceId),
    /// Take the kiosk out of service (true) or back in (false); persisted.
    SetOutOfService(bool),
    /// Print the oldest certificate kept after a failed print, on the A4 printer.
    Reprint,
    /// A command from the platform (heartbeat answer): carried out once per id.
    Remote(RemoteCommand),
    /// Print the last traffic-fine receipt again (one paid after its citizen left first).
    ReprintFineReceipt,
    /// The voice prompts' volume (0–100) and quiet hours (`"22:00-07:00"`, none: never
    /// quiet) staff chose: kept so a restart keeps them, and audited.
    SetVoice {
        /// 0–100.
        volume: u8,
        /// The quiet hours.
        quiet: Option<String>,
    },
}

/// Traffic-fine payments as staff see them: counts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FinePaymentsView {
    /// Paid after the citizen had left (or found paid at start-up), receipt not printed.
    pub late: u64,
    /// Orders the platform could not be asked about yet.
    pub open: u64,
    /// Paid receipts that can be reprinted.
    pub receipts: u64,
}

// The sync thread produces it; it lives with the sync worker (re-exported so staff code
// and its tests keep their imports).
pub use crate::sync::status::{DamagedDatabase, LinkState, SyncStatus};

/// A failed outbox row as staff see it: never the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRow {
    /// Local row id.
    pub id: i64,
    /// Transaction kind, e.g. `queue_ticket`.
    pub kind: String,
    /// When the citizen's transaction happened.
    pub created_at: DateTime<Utc>,
    /// Send attempts.
    pub attempts: u32,
    /// The platform's reason.
    pub reason: String,
}

/// The receipt printer as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrinterView {
    /// Answers and reports no fault.
    pub ok: bool,
    /// The fault, or empty.
    pub fault: String,
    /// Estimated paper left, percent.
    pub paper_percent: u8,
    /// A job cut short by paper out waits for a reprint.
    pub job_held: bool,
}

/// The outcome of a staff action, shown as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffNote {
    /// Rows put back in the queue.
    Retried(usize),
    /// Paper counter reset.
    Restocked,
    /// The printer still reports no paper (or does not answer): the counter was left.
    RestockRefused(String),
    /// The test slip printed.
    SlipPrinted,
    /// The test slip did not print.
    SlipFailed(String),
    /// A device's driver was closed and opened again.
    DeviceReset(DeviceId),
    /// A device could not be reset.
    ResetFailed(DeviceId, String),
    /// Taken out of service.
    OutOfService,
    /// Back in service.
    InService,
    /// A kept certificate printed (and was forgotten).
    Reprinted,
    /// A kept certificate did not print (it stays kept until it expires).
    ReprintFailed(String),
    /// A traffic-fine receipt printed again.
    FineReceiptReprinted,
    /// No traffic-fine receipt to reprint, or it did not print.
    FineReceiptFailed(String),
    /// The voice settings are kept.
    VoiceSaved,
    /// The action failed (local database, file).
    Error(String),
}

/// The staff worker's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffReport {
    /// The answer to a [`StaffCommand::CheckPin`].
    PinChecked(PinVerdict),
    /// The outbox now.
    Outbox {
        /// Failed rows, oldest first.
        failed: Vec<FailedRow>,
        /// Waiting rows.
        pending: u64,
        /// Sent rows.
        sent: u64,
    },
    /// The printer now.
    Printer(PrinterView),
    /// Every device on the health board now, as the board lists it.
    Devices(Vec<(DeviceId, DeviceState)>),
    /// The devices that have a reset order.
    Resettable(Vec<DeviceId>),
    /// Certificates kept after a failed print, waiting for a reprint (not expired).
    Reprints(u64),
    /// Today's figures.
    Figures(TodayFigures),
    /// The last [`AUDIT_SHOWN`] audit rows, newest first.
    Audit(Vec<AuditTx>),
    /// In service (false) or out (true), after a remote command changed it.
    ServiceState(bool),
    /// Commands from the platform's heartbeat answer (the sync worker), to pass on.
    Remote(Vec<RemoteCommand>),
    /// Traffic-fine payments (late ones, open ones, receipts).
    FinePayments(FinePaymentsView),
    /// An action finished.
    Note(StaffNote),
}

/// Where the staff screen stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffMode {
    /// Not showing: the citizens' screens are up.
    Closed,
    /// The PIN pad.
    Pin,
    /// The staff screen (hall staff signed in).
    Open,
    /// A technician signed in: the technician screen.
    Technician,
}

/// Drives the staff screen. Lives on the UI thread.
pub struct StaffController<S: StaffService> {
    service: S,
    gate: PinGate,
    mode: StaffMode,
    signed_in: Option<SignedIn>,
    idle: IdleTimer,
    corner: Vec<Duration>,
    last_refresh: Duration,
    out_of_service: bool,
    sync: SyncStatus,
    failed: Vec<FailedRow>,
    printer: Option<PrinterView>,
    devices: Vec<(DeviceId, DeviceState)>,
    resettable: Vec<DeviceId>,
    reprints: u64,
    figures: TodayFigures,
    audit: Vec<AuditTx>,
    fines: FinePaymentsView,
    note: Option<StaffNote>,
    now: Duration,
}

impl<S: StaffService> StaffController<S> {
    /// A closed staff screen. `gate` knows whether any PIN is configured and the stored
    /// lock-out; `out_of_service` is the persisted state at start.
    pub fn new(service: S, gate: PinGate, out_of_service: bool) -> Self {
        Self {
            service,
            gate,
            mode: StaffMode::Closed,
            signed_in: None,
            idle: IdleTimer::new(STAFF_IDLE, Duration::ZERO),
            corner: Vec::new(),
            last_refresh: Duration::ZERO,
            out_of_service,
            sync: SyncStatus::default(),
            failed: Vec::new(),
            printer: None,
            devices: Vec::new(),
            resettable: Vec::new(),
            reprints: 0,
            figures: TodayFigures::default(),
            audit: Vec::new(),
            fines: FinePaymentsView::default(),
            note: None,
            now: Duration::ZERO,
        }
    }

    // ---- what the screen shows ----

    /// Closed, PIN pad, staff screen or technician screen.
    pub fn mode(&self) -> StaffMode {
        self.mode
    }
    /// The PIN gate (step, badge typed, dots).
    pub fn gate(&self) -> &PinGate {
        &self.gate
    }
    /// Who signed in, while the screen is open.
    pub fn signed_in(&self) -> Option<&SignedIn> {
        self.signed_in.as_ref()
    }
    /// PIN digits typed so far (the screen shows dots only).
    pub fn typed_len(&self) -> usize {
        self.gate.typed_len()
    }
    /// The PIN pad's message at the last update.
    pub fn pin_message(&self) -> PinMessage {
        self.gate.message(self.now)
    }
    /// True while the pad refuses input.
    pub fn locked(&self) -> bool {
        self.gate.locked(self.now)
    }
    /// The kiosk is out of service: the attract screen says so and cards are ignored.
    pub fn out_of_service(&self) -> bool {
        self.out_of_service
    }
    /// Cards must be ignored: out of service, or staff are at the screen.
    pub fn blocks_cards(&self) -> bool {
        self.out_of_service || self.mode != StaffMode::Closed
    }
    /// The platform link and outbox as the sync thread last reported them.
    pub fn sync(&self) -> &SyncStatus {
        &self.sync
    }
    /// Failed outbox rows.
    pub fn failed(&self) -> &[FailedRow] {
        &self.failed
    }
    /// The receipt printer, once read.
    pub fn printer(&self) -> Option<&PrinterView> {
        self.printer.as_ref()
    }
    /// The ID-card reader: unknown until the board has heard from it.
    pub fn reader(&self) -> DeviceState {
        self.device(DeviceId::IdCard)
    }
    /// One device as the board last listed it (unknown when absent).
    pub fn device(&self, id: DeviceId) -> DeviceState {
        self.devices
            .iter()
            .find(|(d, _)| *d == id)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }
    /// Every device on the board, in the board's order.
    pub fn devices(&self) -> &[(DeviceId, DeviceState)] {
        &self.devices
    }
    /// Whether `device` can be reset from the screen.
    pub fn resettable(&self, device: DeviceId) -> bool {
        self.resettable.contains(&device)
    }
    /// Certificates waiting for a reprint (kept after a failed print, not expired).
    pub fn reprints(&self) -> u64 {
        self.reprints
    }
    /// Today's figures.
    pub fn figures(&self) -> &TodayFigures {
        &self.figures
    }
    /// The last audit rows, newest first.
    pub fn audit(&self) -> &[AuditTx] {
        &self.audit
    }
    /// Traffic-fine payments staff must know about.
    pub fn fines(&self) -> FinePaymentsView {
        self.fines
    }

    /// The last action's outcome.
    pub fn note(&self) -> Option<&StaffNote> {
        self.note.as_ref()
    }
    /// The service, for tests.
    pub fn service(&self) -> &S {
        &self.service
    }

    // ---- the way in ----

    /// A tap in the attract screen's top-left corner. The fifth within [`CORNER_WINDOW`]
    /// opens the PIN pad.
    pub fn corner_tap(&mut self, now: Duration) {
        if self.mode != StaffMode::Closed {
            return;
        }
        self.corner
            .retain(|t| now.saturating_sub(*t) < CORNER_WINDOW);
        self.corner.push(now);
        if self.corner.len() >= CORNER_TAPS {
            self.corner.clear();
            self.open_pin(now);
        }
    }

    /// F3, or the corner gesture: show the PIN pad.
    pub fn open_pin(&mut self, now: Duration) {
        if self.mode != StaffMode::Closed {
            return;
        }
        self.mode = StaffMode::Pin;
        self.gate.clear();
        self.touch(now);
    }

    /// A PIN pad digit (badge or PIN).
    pub fn digit(&mut self, d: char, now: Duration) {
        self.touch(now);
        if self.mode == StaffMode::Pin {
            self.gate.digit(d, now);
        }
    }

    /// PIN pad backspace.
    pub fn backspace(&mut self, now: Duration) {
        self.touch(now);
        self.gate.backspace();
    }

    /// "OK" on the PIN pad: the badge moves on to the PIN, the PIN goes to the worker.
    pub fn submit(&mut self, now: Duration) {
        self.touch(now);
        if self.mode != StaffMode::Pin {
            return;
        }
        if let Some(attempt) = self.gate.submit(now) {
            self.service.send(StaffCommand::CheckPin(attempt));
        }
    }

    /// "Cancel" on the PIN pad, "Exit" on the staff screen, or the idle timeout.
    pub fn close(&mut self) {
        if self.signed_in.take().is_some() {
            self.service.send(StaffCommand::SignOut);
        }
        self.mode = StaffMode::Closed;
        self.gate.clear();
        self.note = None;
    }

    /// Any touch on the PIN pad or the staff screen.
    pub fn touch(&mut self, now: Duration) {
        self.now = now;
        self.idle.touch(now);
    }

    // ---- actions on the open screen ----

    fn open(&self) -> bool {
        matches!(self.mode, StaffMode::Open | StaffMode::Technician)
    }

    fn act(&mut self, command: StaffCommand, now: Duration) {
        self.touch(now);
        if self.open() {
            self.note = None;
            self.service.send(command);
        }
    }

    /// Retry one failed row.
    pub fn retry(&mut self, id: i64, now: Duration) {
        self.act(StaffCommand::Retry(id), now);
    }
    /// Retry every failed row.
    pub fn retry_all(&mut self, now: Duration) {
        self.act(StaffCommand::RetryAll, now);
    }
    /// Paper restocked (counter reset when the printer agrees, and a test slip).
    pub fn restock(&mut self, now: Duration) {
        self.act(StaffCommand::Restock, now);
    }
    /// Print a test slip.
    pub fn test_slip(&mut self, now: Duration) {
        self.act(StaffCommand::TestSlip, now);
    }
    /// Close and reopen one device's driver.
    pub fn reset_device(&mut self, device: DeviceId, now: Duration) {
        self.act(StaffCommand::ResetDevice(device), now);
    }
    /// Close and reopen the printer port.
    pub fn reset_printer(&mut self, now: Duration) {
        self.reset_device(DeviceId::Printer, now);
    }
    /// Reprint the oldest certificate that failed to print.
    pub fn reprint(&mut self, now: Duration) {
        self.act(StaffCommand::Reprint, now);
    }
    /// Print the last traffic-fine receipt again.
    pub fn reprint_fine_receipt(&mut self, now: Duration) {
        self.act(StaffCommand::ReprintFineReceipt, now);
    }
    /// Staff changed the voice prompts' volume or quiet hours (the UI has already told the
    /// player): keep and audit them.
    pub fn set_voice(&mut self, volume: u8, quiet: Option<String>, now: Duration) {
        self.touch(now);
        if !self.open() {
            return;
        }
        self.note = None;
        self.service.send(StaffCommand::SetVoice {
            volume: volume.min(100),
            quiet,
        });
    }

    /// Take the kiosk out of service, or back in.
    pub fn toggle_service(&mut self, now: Duration) {
        self.touch(now);
        if !self.open() {
            return;
        }
        self.out_of_service = !self.out_of_service;
        self.note = None;
        self.service
            .send(StaffCommand::SetOutOfService(self.out_of_service));
    }

    fn refresh(&mut self, now: Duration) {
        self.last_refresh = now;
        self.service.send(StaffCommand::Refresh);
    }

    // ---- events ----

    /// The sync thread's report. Re-reads the failed rows when their number changed while
    /// the screen is open.
    pub fn sync_status(&mut self, status: SyncStatus, now: Duration) {
        let stale = status.failed != self.failed.len() as u64;
        self.sync = status;
        if self.open() && stale {
            self.refresh(now);
        }
    }

    /// The staff worker's answer (or the platform's commands, via the sync thread).
    pub fn report(&mut self, report: StaffReport) {
        match report {
            StaffReport::PinChecked(verdict) => {
                let now = self.now;
                if let Some(who) = self.gate.verdict(verdict, now) {
                    if self.mode == StaffMode::Pin {
                        self.mode = match who.role {
                            Role::Staff => StaffMode::Open,
                            Role::Technician => StaffMode::Technician,
                        };
                        self.signed_in = Some(who);
                        self.note = None;
                        self.refresh(now);
                    }
                }
            }
            StaffReport::Outbox {
                failed,
                pending,
                sent,
            } => {
                self.sync.pending = pending;
                self.sync.sent = sent;
                self.sync.failed = failed.len() as u64;
                self.failed = failed;
            }
            StaffReport::Printer(p) => self.printer = Some(p),
            StaffReport::Devices(all) => self.devices = all,
            StaffReport::Resettable(all) => self.resettable = all,
            StaffReport::Reprints(n) => self.reprints = n,
            StaffReport::Figures(f) => self.figures = f,
            StaffReport::Audit(rows) => self.audit = rows,
            StaffReport::ServiceState(out) => self.out_of_service = out,
            StaffReport::Remote(commands) => {
                for c in commands {
                    self.service.send(StaffCommand::Remote(c));
                }
            }
            StaffReport::FinePayments(f) => self.fines = f,
            StaffReport::Note(n) => self.note = Some(n),
        }
    }

    /// The clock ticked. Returns true when anything on screen changed.
    pub fn tick(&mut self, now: Duration) -> bool {
        let before = (self.mode, self.pin_message());
        self.now = now;
        if self.mode != StaffMode::Closed && self.idle.state(now) == IdleState::Expired {
            self.close();
        }
        if self.open() && now.saturating_sub(self.last_refresh) >= REFRESH_EVERY {
            self.refresh(now);
        }
        before != (self.mode, self.pin_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::staff::gate::{after_wrong, LOCKOUT, MAX_TRIES};
    use std::cell::RefCell;

    /// Records the orders; `1` is the worker's stored count of wrong PINs.
    #[derive(Default)]
    struct FakeService(RefCell<Vec<StaffCommand>>, std::cell::Cell<u32>);
    impl StaffService for &FakeService {
        fn send(&self, command: StaffCommand) {
            self.0.borrow_mut().push(command);
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn controller(svc: &FakeService) -> StaffController<&FakeService> {
        StaffController::new(svc, PinGate::new(true, 0, None, S(0)), false)
    }

    /// Types badge and PIN; plays the worker: `role` signs in, `None` is a wrong PIN.
    fn sign_in(c: &mut StaffController<&FakeService>, role: Option<Role>, now: Duration) {
        for d in "1001".chars() {
            c.digit(d, now);
        }
        c.submit(now);
        for d in "2468".chars() {
            c.digit(d, now);
        }
        c.submit(now);
        let sent = c.service().0.borrow().last().cloned();
        let Some(StaffCommand::CheckPin(attempt)) = sent else {
            return;
        };
        assert_eq!(attempt.badge, "1001");
        let verdict = match role {
            Some(role) => PinVerdict {
                signed_in: Some(SignedIn {
                    role,
                    badge: attempt.badge,
                }),
                wrong: 0,
                locked_for: None,
            },
            None => {
                let (wrong, locked_for) = after_wrong(c.service().1.get());
                c.service().1.set(wrong);
                PinVerdict {
                    signed_in: None,
                    wrong,
                    locked_for,
                }
            }
        };
        c.report(StaffReport::PinChecked(verdict));
    }

    #[test]
    fn five_quick_corner_taps_open_the_pin_pad_slow_ones_do_not() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        for i in 0..5 {
            c.corner_tap(S(i * 2));
        }
        assert_eq!(c.mode(), StaffMode::Closed, "taps spread over 8 s");
        for i in 0..5 {
            c.corner_tap(S(100) + Duration::from_millis(i * 400));
        }
        assert_eq!(c.mode(), StaffMode::Pin);
        assert!(c.blocks_cards());
    }

    #[test]
    fn each_role_opens_its_own_screen_and_the_check_goes_to_the_worker() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(1));
        sign_in(&mut c, Some(Role::Staff), S(2));
        assert_eq!(c.mode(), StaffMode::Open);
        assert_eq!(c.signed_in().map(|w| w.role), Some(Role::Staff));
        assert!(matches!(svc.0.borrow()[0], StaffCommand::CheckPin(_)));
        assert_eq!(svc.0.borrow().last(), Some(&StaffCommand::Refresh));
        c.close();
        assert_eq!(svc.0.borrow().last(), Some(&StaffCommand::SignOut));
        c.open_pin(S(3));
        sign_in(&mut c, Some(Role::Technician), S(4));
        assert_eq!(c.mode(), StaffMode::Technician);
        assert_eq!(c.signed_in().unwrap().badge, "1001");
    }

    #[test]
    fn five_wrong_pins_lock_the_pad_for_half_an_hour() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(0));
        for i in 0..4 {
            sign_in(&mut c, None, S(1));
            assert_eq!(c.pin_message(), PinMessage::Wrong(MAX_TRIES - 1 - i));
        }
        sign_in(&mut c, None, S(10));
        assert_eq!(
            c.pin_message(),
            PinMessage::Locked(LOCKOUT.as_secs() as u32)
        );
        // Even the right PIN is not sent while locked.
        let sent = svc.0.borrow().len();
        sign_in(&mut c, Some(Role::Staff), S(30));
        assert_eq!(svc.0.borrow().len(), sent);
        assert_eq!(c.mode(), StaffMode::Pin);
        // Cancelling and coming back does not lift the lock.
        c.close();
        c.open_pin(S(31));
        assert!(c.locked());
        c.tick(S(10) + LOCKOUT);
        assert_eq!(c.pin_message(), PinMessage::None);
        // The pad closed itself meanwhile (idle); opened again, it takes the right PIN.
        c.open_pin(S(11) + LOCKOUT);
        sign_in(&mut c, Some(Role::Staff), S(11) + LOCKOUT);
        assert_eq!(c.mode(), StaffMode::Open);
    }

    #[test]
    fn a_late_verdict_after_cancel_does_not_open() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(0));
        for d in "1001".chars() {
            c.digit(d, S(0));
        }
        c.submit(S(0));
        c.digit('1', S(0));
        c.submit(S(0));
        c.close();
        c.report(StaffReport::PinChecked(PinVerdict {
            signed_in: Some(SignedIn {
                role: Role::Staff,
                badge: "1001".into(),
            }),
            wrong: 0,
            locked_for: None,
        }));
        assert_eq!(c.mode(), StaffMode::Closed);
    }

    #[test]
    fn no_configured_pin_never_opens() {
        let svc = FakeService::default();
        let mut c = StaffController::new(&svc, PinGate::new(false, 0, None, S(0)), false);
        c.open_pin(S(0));
        assert_eq!(c.pin_message(), PinMessage::NotConfigured);
        sign_in(&mut c, Some(Role::Staff), S(1));
        assert_eq!(c.mode(), StaffMode::Pin);
        assert!(svc.0.borrow().is_empty());
    }

    #[test]
    fn the_screen_leaves_itself_after_two_idle_minutes() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(0));
        sign_in(&mut c, Some(Role::Staff), S(1));
        c.retry_all(S(60));
        assert!(!c.tick(S(179)));
        assert_eq!(c.mode(), StaffMode::Open);
        assert!(c.tick(S(180)));
        assert_eq!(c.mode(), StaffMode::Closed);
        assert_eq!(svc.0.borrow().last(), Some(&StaffCommand::SignOut));
        // The PIN pad left alone goes too.
        c.open_pin(S(200));
        c.tick(S(320));
        assert_eq!(c.mode(), StaffMode::Closed);
    }

    #[test]
    fn actions_go_to_the_service_only_while_open() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.retry(7, S(0));
        c.toggle_service(S(0));
        assert!(svc.0.borrow().is_empty());
        assert!(!c.out_of_service());
        c.open_pin(S(1));
        sign_in(&mut c, Some(Role::Staff), S(1));
        svc.0.borrow_mut().clear();
        c.retry(7, S(2));
        c.retry_all(S(2));
        c.restock(S(2));
        c.test_slip(S(2));
        c.reset_printer(S(2));
        c.reset_device(DeviceId::IdCard, S(2));
        c.toggle_service(S(2));
        assert!(c.out_of_service());
        assert_eq!(
            svc.0.borrow().as_slice(),
            &[
                StaffCommand::Retry(7),
                StaffCommand::RetryAll,
                StaffCommand::Restock,
                StaffCommand::TestSlip,
                StaffCommand::ResetDevice(DeviceId::Printer),
                StaffCommand::ResetDevice(DeviceId::IdCard),
                StaffCommand::SetOutOfService(true),
            ]
        );
        c.close();
        assert!(
            c.blocks_cards(),
            "out of service blocks cards after the screen closed"
        );
    }

    #[test]
    fn remote_commands_pass_on_to_the_worker_even_with_the_screen_closed() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        let cmd = RemoteCommand {
            id: "cmd-1".into(),
            command: kiosk_platform::api::commands::CommandKind::OutOfService,
        };
        c.report(StaffReport::Remote(vec![cmd.clone()]));
        assert_eq!(svc.0.borrow().as_slice(), &[StaffCommand::Remote(cmd)]);
        c.report(StaffReport::ServiceState(true));
        assert!(c.out_of_service() && c.blocks_cards());
    }

    #[test]
    fn a_changed_failed_count_rereads_the_rows_and_reports_fill_the_screen() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(0));
        sign_in(&mut c, Some(Role::Staff), S(0));
        svc.0.borrow_mut().clear();
        c.sync_status(
            SyncStatus {
                online: false,
                failed: 1,
                ..SyncStatus::default()
            },
            S(1),
        );
        assert_eq!(svc.0.borrow().as_slice(), &[StaffCommand::Refresh]);
        let row = FailedRow {
            id: 3,
            kind: "queue_ticket".into(),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            attempts: 2,
            reason: "400 area closed".into(),
        };
        c.report(StaffReport::Outbox {
            failed: vec![row.clone()],
            pending: 4,
            sent: 9,
        });
        assert_eq!(c.failed(), &[row]);
        assert_eq!(
            (c.sync().pending, c.sync().sent, c.sync().failed),
            (4, 9, 1)
        );
    }

    #[test]
    fn device_rows_come_from_the_boards_typed_values() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        assert_eq!(c.reader(), DeviceState::Unknown);
        c.report(StaffReport::Devices(vec![
            (
                DeviceId::IdCard,
                DeviceState::fault("cannot open /dev/ttyS9"),
            ),
            (DeviceId::Printer, DeviceState::Ok),
            (DeviceId::A4Printer, DeviceState::warn("toner low")),
        ]));
        assert_eq!(c.reader(), DeviceState::fault("cannot open /dev/ttyS9"));
        assert!(c.device(DeviceId::A4Printer).works());
        assert_eq!(c.device(DeviceId::CodeScanner), DeviceState::Unknown);
        // The reader's thread gone: it left the board, and staff see it as unknown.
        c.report(StaffReport::Devices(vec![(
            DeviceId::Printer,
            DeviceState::Ok,
        )]));
        assert_eq!(c.reader(), DeviceState::Unknown);
    }
}
