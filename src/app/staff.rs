//! The hall staff screen: the hidden way in (five taps in the attract screen's top-left corner
//! within three seconds, or F3 on a keyboard), the PIN with its lock-out, the screen's own
//! idle timeout, and what the screen shows: the platform link, the outbox, failed rows, the
//! devices and whether the kiosk is in service.
//!
//! No Slint, no I/O: the PIN check and the staff service (store, printer, sync kick) come in as
//! traits, time comes in as a `Duration` since start.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::idle_timer::{IdleState, IdleTimer};
// Plain values (no I/O): the device-health model staff read from the health board.
use crate::devices::health::{DeviceId, DeviceState};

/// Longest PIN the pad takes.
pub const PIN_MAX: usize = 8;
/// Wrong PINs in a row before the pad locks.
pub const MAX_TRIES: u32 = 5;
/// How long the pad stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(60);
/// The staff screen (and the PIN pad) leave themselves after this long without a touch.
pub const STAFF_IDLE: Duration = Duration::from_secs(120);
/// Corner taps that open the PIN pad…
pub const CORNER_TAPS: usize = 5;
/// …when they all fall within this window.
pub const CORNER_WINDOW: Duration = Duration::from_secs(3);
/// While the screen is open, the outbox and printer are re-read this often.
pub const REFRESH_EVERY: Duration = Duration::from_secs(3);

/// Checks a typed PIN (against a salted hash from the configuration).
pub trait PinCheck {
    /// True when `pin` is the staff PIN.
    fn check(&self, pin: &str) -> bool;
}

/// What the staff screen asks of the staff service thread. Must not block the caller.
pub trait StaffService {
    /// Sends one command; the answer comes back as a [`StaffReport`].
    fn send(&self, command: StaffCommand);
}

/// Orders for the staff service thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCommand {
    /// Read the outbox (counts, failed rows) and the printer's state.
    Refresh,
    /// Put one failed row back in the queue.
    Retry(i64),
    /// Put every failed row back in the queue.
    RetryAll,
    /// A new paper roll: reset the paper counter and print a test slip.
    Restock,
    /// Print a test slip.
    TestSlip,
    /// Close and reopen the receipt printer's port.
    ResetPrinter,
    /// Take the kiosk out of service (true) or back in (false); persisted.
    SetOutOfService(bool),
    /// Print the oldest certificate kept after a failed print, on the A4 printer.
    Reprint,
    /// Print the last traffic-fine receipt again (one paid after its citizen left first).
    ReprintFineReceipt,
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
    /// The test slip printed.
    SlipPrinted,
    /// The test slip did not print.
    SlipFailed(String),
    /// The printer port was reopened.
    PrinterReset,
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
    /// The action failed (local database, file).
    Error(String),
}

/// The staff service thread's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffReport {
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
    /// Certificates kept after a failed print, waiting for a reprint (not expired).
    Reprints(u64),
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
    /// The staff screen.
    Open,
}

/// Why the PIN pad shows a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinMessage {
    /// Nothing to say.
    None,
    /// Wrong PIN; tries left before the lock-out.
    Wrong(u32),
    /// Locked; whole seconds left.
    Locked(u32),
    /// No PIN is configured: the screen cannot be opened.
    NotConfigured,
}

/// Drives the staff screen. Lives on the UI thread.
pub struct StaffController<S: StaffService> {
    service: S,
    pin_check: Option<Box<dyn PinCheck>>,
    mode: StaffMode,
    typed: String,
    wrong: u32,
    locked_until: Option<Duration>,
    wrong_shown: bool,
    idle: IdleTimer,
    corner: Vec<Duration>,
    last_refresh: Duration,
    out_of_service: bool,
    sync: SyncStatus,
    failed: Vec<FailedRow>,
    printer: Option<PrinterView>,
    reader: DeviceState,
    devices: Vec<(DeviceId, DeviceState)>,
    reprints: u64,
    fines: FinePaymentsView,
    note: Option<StaffNote>,
    now: Duration,
}

impl<S: StaffService> StaffController<S> {
    /// A closed staff screen. `pin_check` is `None` when no PIN is configured;
    /// `out_of_service` is the persisted state at start.
    pub fn new(service: S, pin_check: Option<Box<dyn PinCheck>>, out_of_service: bool) -> Self {
        Self {
            service,
            pin_check,
            mode: StaffMode::Closed,
            typed: String::new(),
            wrong: 0,
            locked_until: None,
            wrong_shown: false,
            idle: IdleTimer::new(STAFF_IDLE, Duration::ZERO),
            corner: Vec::new(),
            last_refresh: Duration::ZERO,
            out_of_service,
            sync: SyncStatus::default(),
            failed: Vec::new(),
            printer: None,
            reader: DeviceState::Unknown,
            devices: Vec::new(),
            reprints: 0,
            fines: FinePaymentsView::default(),
            note: None,
            now: Duration::ZERO,
        }
    }

    // ---- what the screen shows ----

    /// Closed, PIN pad or open.
    pub fn mode(&self) -> StaffMode {
        self.mode
    }
    /// Digits typed so far (the screen shows dots only).
    pub fn typed_len(&self) -> usize {
        self.typed.len()
    }
    /// The PIN pad's message at the last update.
    pub fn pin_message(&self) -> PinMessage {
        if self.pin_check.is_none() {
            return PinMessage::NotConfigured;
        }
        if let Some(until) = self.locked_until {
            if self.now < until {
                let left = until - self.now;
                return PinMessage::Locked(left.as_millis().div_ceil(1000) as u32);
            }
        }
        if self.wrong_shown && self.wrong > 0 {
            return PinMessage::Wrong(MAX_TRIES - self.wrong);
        }
        PinMessage::None
    }
    /// True while the pad refuses input.
    pub fn locked(&self) -> bool {
        matches!(self.pin_message(), PinMessage::Locked(_))
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
    pub fn reader(&self) -> &DeviceState {
        &self.reader
    }
    /// The other devices (code scanner, document scanner, A4 printer), when present; the
    /// reader and the receipt printer have rows of their own.
    pub fn devices(&self) -> &[(DeviceId, DeviceState)] {
        &self.devices
    }
    /// Certificates waiting for a reprint (kept after a failed print, not expired).
    pub fn reprints(&self) -> u64 {
        self.reprints
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
        self.typed.clear();
        self.wrong_shown = false;
        self.touch(now);
    }

    /// A PIN pad digit.
    pub fn digit(&mut self, d: char, now: Duration) {
        self.touch(now);
        if self.mode == StaffMode::Pin
            && !self.locked()
            && d.is_ascii_digit()
            && self.typed.len() < PIN_MAX
        {
            self.typed.push(d);
            self.wrong_shown = false;
        }
    }

    /// PIN pad backspace.
    pub fn backspace(&mut self, now: Duration) {
        self.touch(now);
        self.typed.pop();
    }

    /// "OK" on the PIN pad.
    pub fn submit(&mut self, now: Duration) {
        self.touch(now);
        if self.mode != StaffMode::Pin || self.locked() || self.typed.is_empty() {
            return;
        }
        let pin = std::mem::take(&mut self.typed);
        let right = self.pin_check.as_ref().is_some_and(|c| c.check(&pin));
        if right {
            self.wrong = 0;
            self.locked_until = None;
            self.wrong_shown = false;
            self.mode = StaffMode::Open;
            self.note = None;
            self.refresh(now);
            return;
        }
        self.wrong += 1;
        self.wrong_shown = true;
        if self.wrong >= MAX_TRIES {
            self.locked_until = Some(now + LOCKOUT);
            self.wrong = 0;
            self.wrong_shown = false;
        }
    }

    /// "Cancel" on the PIN pad, "Exit" on the staff screen, or the idle timeout.
    pub fn close(&mut self) {
        self.mode = StaffMode::Closed;
        self.typed.clear();
        self.wrong_shown = false;
        self.note = None;
    }

    /// Any touch on the PIN pad or the staff screen.
    pub fn touch(&mut self, now: Duration) {
        self.now = now;
        self.idle.touch(now);
    }

    // ---- actions on the open screen ----

    fn act(&mut self, command: StaffCommand, now: Duration) {
        self.touch(now);
        if self.mode == StaffMode::Open {
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
    /// Paper restocked (counter reset and a test slip).
    pub fn restock(&mut self, now: Duration) {
        self.act(StaffCommand::Restock, now);
    }
    /// Print a test slip.
    pub fn test_slip(&mut self, now: Duration) {
        self.act(StaffCommand::TestSlip, now);
    }
    /// Close and reopen the printer port.
    pub fn reset_printer(&mut self, now: Duration) {
        self.act(StaffCommand::ResetPrinter, now);
    }
    /// Reprint the oldest certificate that failed to print.
    pub fn reprint(&mut self, now: Duration) {
        self.act(StaffCommand::Reprint, now);
    }
    /// Print the last traffic-fine receipt again.
    pub fn reprint_fine_receipt(&mut self, now: Duration) {
        self.act(StaffCommand::ReprintFineReceipt, now);
    }
    /// Take the kiosk out of service, or back in.
    pub fn toggle_service(&mut self, now: Duration) {
        self.touch(now);
        if self.mode != StaffMode::Open {
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
        if self.mode == StaffMode::Open && stale {
            self.refresh(now);
        }
    }

    /// The staff service thread's answer.
    pub fn report(&mut self, report: StaffReport) {
        match report {
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
            StaffReport::Devices(all) => {
                // A reader missing from the board (gone, or not heard from yet) is unknown.
                self.reader = all
                    .iter()
                    .find(|(id, _)| *id == DeviceId::IdCard)
                    .map(|(_, state)| state.clone())
                    .unwrap_or_default();
                self.devices = all
                    .into_iter()
                    .filter(|(id, _)| !matches!(id, DeviceId::IdCard | DeviceId::Printer))
                    .collect();
            }
            StaffReport::Reprints(n) => self.reprints = n,
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
        if self.mode == StaffMode::Open && now.saturating_sub(self.last_refresh) >= REFRESH_EVERY {
            self.refresh(now);
        }
        before != (self.mode, self.pin_message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakeService(RefCell<Vec<StaffCommand>>);
    impl StaffService for &FakeService {
        fn send(&self, command: StaffCommand) {
            self.0.borrow_mut().push(command);
        }
    }

    struct Pin(&'static str);
    impl PinCheck for Pin {
        fn check(&self, pin: &str) -> bool {
            pin == self.0
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn controller(svc: &FakeService) -> StaffController<&FakeService> {
        StaffController::new(svc, Some(Box::new(Pin("2468"))), false)
    }

    fn type_pin(c: &mut StaffController<&FakeService>, pin: &str, now: Duration) {
        for d in pin.chars() {
            c.digit(d, now);
        }
        c.submit(now);
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
    fn the_right_pin_opens_and_asks_for_a_refresh() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(1));
        type_pin(&mut c, "2468", S(2));
        assert_eq!(c.mode(), StaffMode::Open);
        assert_eq!(c.typed_len(), 0);
        assert_eq!(svc.0.borrow().as_slice(), &[StaffCommand::Refresh]);
    }

    #[test]
    fn five_wrong_pins_lock_the_pad_for_a_minute() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(0));
        for i in 0..4 {
            type_pin(&mut c, "1111", S(1));
            assert_eq!(c.pin_message(), PinMessage::Wrong(MAX_TRIES - 1 - i));
        }
        type_pin(&mut c, "1111", S(10));
        assert_eq!(c.pin_message(), PinMessage::Locked(60));
        // Even the right PIN is refused while locked, and typing is ignored.
        type_pin(&mut c, "2468", S(30));
        assert_eq!(c.mode(), StaffMode::Pin);
        assert_eq!(c.pin_message(), PinMessage::Locked(40));
        // Cancelling and coming back does not lift the lock.
        c.close();
        c.open_pin(S(31));
        assert!(c.locked());
        c.tick(S(70));
        assert_eq!(c.pin_message(), PinMessage::None);
        type_pin(&mut c, "2468", S(71));
        assert_eq!(c.mode(), StaffMode::Open);
        assert_eq!(svc.0.borrow().last(), Some(&StaffCommand::Refresh));
    }

    #[test]
    fn no_configured_pin_never_opens() {
        let svc = FakeService::default();
        let mut c = StaffController::new(&svc, None, false);
        c.open_pin(S(0));
        assert_eq!(c.pin_message(), PinMessage::NotConfigured);
        type_pin(&mut c, "", S(1));
        type_pin(&mut c, "0000", S(1));
        assert_eq!(c.mode(), StaffMode::Pin);
    }

    #[test]
    fn the_screen_leaves_itself_after_two_idle_minutes() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(0));
        type_pin(&mut c, "2468", S(1));
        c.retry_all(S(60));
        assert!(!c.tick(S(179)));
        assert_eq!(c.mode(), StaffMode::Open);
        assert!(c.tick(S(180)));
        assert_eq!(c.mode(), StaffMode::Closed);
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
        type_pin(&mut c, "2468", S(1));
        c.retry(7, S(2));
        c.retry_all(S(2));
        c.restock(S(2));
        c.test_slip(S(2));
        c.reset_printer(S(2));
        c.toggle_service(S(2));
        assert!(c.out_of_service());
        assert_eq!(
            svc.0.borrow().as_slice(),
            &[
                StaffCommand::Refresh,
                StaffCommand::Retry(7),
                StaffCommand::RetryAll,
                StaffCommand::Restock,
                StaffCommand::TestSlip,
                StaffCommand::ResetPrinter,
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
    fn a_changed_failed_count_rereads_the_rows_and_reports_fill_the_screen() {
        let svc = FakeService::default();
        let mut c = controller(&svc);
        c.open_pin(S(0));
        type_pin(&mut c, "2468", S(0));
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
        assert_eq!(c.reader(), &DeviceState::Unknown);
        let scanner = (
            DeviceId::CodeScanner,
            DeviceState::fault("cannot open /dev/ttyACM0"),
        );
        c.report(StaffReport::Devices(vec![
            (
                DeviceId::IdCard,
                DeviceState::fault("cannot open /dev/ttyS9"),
            ),
            (DeviceId::Printer, DeviceState::Ok),
            scanner.clone(),
            (DeviceId::A4Printer, DeviceState::warn("toner low")),
        ]));
        assert_eq!(c.reader(), &DeviceState::fault("cannot open /dev/ttyS9"));
        assert_eq!(
            c.reader().reason().map(|r| r.as_str()),
            Some("cannot open /dev/ttyS9")
        );
        // The printer has its own row; the others are listed in the board's order.
        assert_eq!(
            c.devices(),
            &[
                scanner.clone(),
                (DeviceId::A4Printer, DeviceState::warn("toner low"))
            ]
        );
        assert!(c.devices()[1].1.works());

        c.report(StaffReport::Devices(vec![(
            DeviceId::IdCard,
            DeviceState::Ok,
        )]));
        assert_eq!(c.reader(), &DeviceState::Ok);
        assert!(c.devices().is_empty());
        // The reader's thread gone: it left the board, and staff see it as unknown.
        c.report(StaffReport::Devices(vec![scanner]));
        assert_eq!(c.reader(), &DeviceState::Unknown);
    }
}
