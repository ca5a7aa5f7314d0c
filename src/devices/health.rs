//! Device health: one typed model for every device, and the board that holds them.
//!
//! - **Who writes:** each device thread (ID-card reader, receipt printer, code scanner) and
//!   the copy service (document scanner, A4 printer) registers with the kiosk's
//!   [`HealthBoard`] when it starts: either a [`HealthCell`] it sets as things change
//!   ([`HealthBoard::cell`]), or a probe of the state it already keeps
//!   ([`HealthBoard::watch`], the printer's `PrinterState`).
//! - **Who reads:** the sync worker's heartbeat ([`HealthBoard::heartbeat`]), the staff
//!   service for the staff screen ([`HealthBoard::snapshot`]) and, in the demo, the operator
//!   panel ([`HealthBoard::on_change`]).
//! - **Leaving:** a registration is a guard; when a device's owner is dropped, the device
//!   leaves the board and the heartbeat no longer lists it.
//!
//! The board is a value (`Arc<HealthBoard>`) handed to whoever needs it, not a process-wide
//! global, so that several kiosks can run in one process (the end-to-end tests do).
//!
//! No personal data: a reason is the driver's message (codes, field and port names, never a
//! card's or a code's contents), cut to one line of at most [`REASON_MAX`] characters when
//! the state is made, so no longer text can travel anywhere.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use kiosk_platform::api;

/// Longest reason kept (and sent in a heartbeat).
pub const REASON_MAX: usize = 80;

/// A kiosk device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeviceId {
    /// The ID-card reader.
    IdCard,
    /// The receipt printer.
    Printer,
    /// The QR/barcode scanner.
    CodeScanner,
    /// The document scanner (ID-card copies).
    DocScanner,
    /// The A4 printer (ID-card copies).
    A4Printer,
    /// The data disk: full means no new transactions (`devices::storage`).
    Storage,
}

impl DeviceId {
    /// The name the heartbeat, the store's `device_events` and the log use.
    pub fn name(self) -> &'static str {
        match self {
            DeviceId::IdCard => "idcard",
            DeviceId::Printer => "printer",
            DeviceId::CodeScanner => "code_scanner",
            DeviceId::DocScanner => "document_scanner",
            DeviceId::A4Printer => "a4_printer",
            DeviceId::Storage => "storage",
        }
    }
}

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a device is faulty or warns: one line, at most [`REASON_MAX`] characters. Made only
/// through [`Reason::new`], which cuts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    /// `text` as one line (control characters become spaces), cut to [`REASON_MAX`]
    /// characters with an ellipsis.
    pub fn new(text: &str) -> Reason {
        let line: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let line = line.trim();
        if line.chars().count() <= REASON_MAX {
            Reason(line.to_owned())
        } else {
            let mut cut: String = line.chars().take(REASON_MAX - 1).collect();
            cut.push('…');
            Reason(cut)
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a device is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceState {
    /// Nothing known yet (opening, or no answer so far). Left out of heartbeats.
    #[default]
    Unknown,
    /// Works.
    Ok,
    /// Works, with something for staff to see soon (`paper near end`).
    Warn {
        /// What to see to.
        reason: Reason,
    },
    /// Does not work.
    Fault {
        /// A short reason for a technician.
        reason: Reason,
    },
}

impl DeviceState {
    /// A fault, its reason cut.
    pub fn fault(why: &str) -> DeviceState {
        DeviceState::Fault {
            reason: Reason::new(why),
        }
    }

    /// A warning, its reason cut.
    pub fn warn(why: &str) -> DeviceState {
        DeviceState::Warn {
            reason: Reason::new(why),
        }
    }

    /// Works (possibly with a warning).
    pub fn works(&self) -> bool {
        matches!(self, DeviceState::Ok | DeviceState::Warn { .. })
    }

    /// Faulty.
    pub fn is_fault(&self) -> bool {
        matches!(self, DeviceState::Fault { .. })
    }

    /// The fault's or the warning's reason.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            DeviceState::Warn { reason } | DeviceState::Fault { reason } => Some(reason),
            DeviceState::Unknown | DeviceState::Ok => None,
        }
    }

    /// The heartbeat's entry for `device`; `None` while unknown.
    pub fn to_api(&self, device: DeviceId) -> Option<api::DeviceHealth> {
        let status = match self {
            DeviceState::Unknown => return None,
            DeviceState::Ok | DeviceState::Warn { .. } => "ok",
            DeviceState::Fault { .. } => "fault",
        };
        Some(api::DeviceHealth {
            device: device.name().to_owned(),
            status: status.to_owned(),
            detail: self.reason().map(|r| r.as_str().to_owned()),
        })
    }
}

/// For a person to read (the demo's operator panel, the log): `ready`, `FAULT: …`.
impl std::fmt::Display for DeviceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceState::Unknown => f.write_str("unknown"),
            DeviceState::Ok => f.write_str("ready"),
            DeviceState::Warn { reason } => write!(f, "warning: {reason}"),
            DeviceState::Fault { reason } => write!(f, "FAULT: {reason}"),
        }
    }
}

type Probe = Arc<dyn Fn() -> DeviceState + Send + Sync>;
type Listener = Box<dyn Fn(DeviceId, &DeviceState) + Send + Sync>;

/// The kiosk's devices and how each is now. Share it as `Arc<HealthBoard>`.
#[derive(Default)]
pub struct HealthBoard {
    probes: Mutex<BTreeMap<DeviceId, (u64, Probe)>>,
    listeners: Mutex<Vec<Listener>>,
    next: AtomicU64,
    /// Each device's raw protocol log (technicians): fed by its manager's tapped port.
    logs: Mutex<BTreeMap<DeviceId, crate::diag::protocol_log::ProtocolLog>>,
    /// "Call staff": read by the staff screen and the heartbeat like the devices' states.
    help: crate::help::HelpRequest,
    /// What each device told its manager of itself (the reader's SAM id), for technicians.
    identities: Mutex<BTreeMap<DeviceId, Vec<(String, String)>>>,
}

impl HealthBoard {
    /// A new, empty board.
    pub fn new() -> Arc<HealthBoard> {
        Arc::default()
    }

    /// The citizen's standing request for staff (the UI sets it, staff clear it).
    pub fn help(&self) -> &crate::help::HelpRequest {
        &self.help
    }

    /// Records what `device` said of itself under `key` (the reader's `SAM id`), replacing
    /// an earlier value of that key; technicians see it beside the config's identity.
    pub fn set_identity(&self, device: DeviceId, key: &str, value: String) {
        let mut all = lock(&self.identities);
        let lines = all.entry(device).or_default();
        match lines.iter_mut().find(|(k, _)| k == key) {
            Some(line) => line.1 = value,
            None => lines.push((key.to_owned(), value)),
        }
    }

    /// What `device` said of itself, in the order it was learnt.
    pub fn identity(&self, device: DeviceId) -> Vec<(String, String)> {
        lock(&self.identities)
            .get(&device)
            .cloned()
            .unwrap_or_default()
    }

    /// The raw protocol log of `device`, made with that device's mask on first ask: its
    /// manager taps its port into it (`diag::protocol_log::TappedPort`), technicians read it.
    pub fn protocol_log(&self, device: DeviceId) -> crate::diag::protocol_log::ProtocolLog {
        use crate::diag::protocol_log::{Mask, ProtocolLog};
        let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        logs.entry(device)
            .or_insert_with(|| {
                ProtocolLog::new(match device {
                    DeviceId::IdCard => Mask::ID_CARD,
                    DeviceId::Printer => Mask::RECEIPT_PRINTER,
                    DeviceId::CodeScanner => Mask::CODE_SCANNER,
                    // Driven through scanimage and IPP: their logs hold events only.
                    DeviceId::DocScanner | DeviceId::A4Printer => Mask::EVENTS_ONLY,
                    // Not a protocol: the free-space readings are its events.
                    DeviceId::Storage => Mask::EVENTS_ONLY,
                })
            })
            .clone()
    }

    /// Registers (or replaces) the probe of `device`: a quick read of state the device
    /// already keeps (it runs on the reader's thread). The device is on the board until the
    /// returned [`Watch`] is dropped.
    pub fn watch(
        self: &Arc<Self>,
        device: DeviceId,
        probe: impl Fn() -> DeviceState + Send + Sync + 'static,
    ) -> Watch {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.probes).insert(device, (token, Arc::new(probe)));
        Watch {
            board: Arc::downgrade(self),
            device,
            token,
        }
    }

    /// A cell for `device`, starting [`DeviceState::Unknown`], that its thread sets as
    /// things change: the registration every device thread uses.
    pub fn cell(self: &Arc<Self>, device: DeviceId) -> HealthCell {
        let state: Arc<Mutex<DeviceState>> = Arc::default();
        let read = Arc::clone(&state);
        let watch = self.watch(device, move || lock(&read).clone());
        HealthCell {
            device,
            state,
            board: Arc::downgrade(self),
            _watch: watch,
        }
    }

    /// Calls `listener` with every device known now, then after every change a
    /// [`HealthCell`] makes (the demo's operator panel shows them), so a listener added after
    /// the devices started misses nothing. It runs on the device's thread and must not block.
    pub fn on_change(&self, listener: impl Fn(DeviceId, &DeviceState) + Send + Sync + 'static) {
        // Held while replaying, so a change made meanwhile comes after the replay.
        let mut listeners = lock(&self.listeners);
        for (id, state) in self.snapshot() {
            listener(id, &state);
        }
        listeners.push(Box::new(listener));
    }

    /// Every registered device whose state is known, in [`DeviceId`] order.
    pub fn snapshot(&self) -> Vec<(DeviceId, DeviceState)> {
        // Probes run without the lock held, so one may take its time or register another.
        let probes: Vec<(DeviceId, Probe)> = lock(&self.probes)
            .iter()
            .map(|(id, (_, probe))| (*id, Arc::clone(probe)))
            .collect();
        probes
            .into_iter()
            .map(|(id, probe)| (id, probe()))
            .filter(|(_, state)| *state != DeviceState::Unknown)
            .collect()
    }

    /// How `device` is now; unknown when it is not on the board.
    pub fn state(&self, device: DeviceId) -> DeviceState {
        let probe = lock(&self.probes)
            .get(&device)
            .map(|(_, probe)| Arc::clone(probe));
        probe.map(|p| p()).unwrap_or_default()
    }

    /// The heartbeat's device list: the board's known devices, then devices only known from
    /// the store's `device_events` (`recorded`: the last event kind of each, e.g. a print
    /// fault the ticket service recorded) that the board does not cover.
    pub fn heartbeat(&self, recorded: Vec<(String, String)>) -> Vec<api::DeviceHealth> {
        let mut out: Vec<api::DeviceHealth> = self
            .snapshot()
            .into_iter()
            .filter_map(|(id, state)| state.to_api(id))
            .collect();
        for (device, kind) in recorded {
            if out.iter().all(|d| d.device != device) {
                out.push(api::DeviceHealth {
                    device,
                    status: kind,
                    detail: None,
                });
            }
        }
        out
    }

    fn changed(&self, device: DeviceId, state: &DeviceState) {
        for listener in lock(&self.listeners).iter() {
            listener(device, state);
        }
    }
}

/// A device's place on the board; dropping it takes the device off.
pub struct Watch {
    board: Weak<HealthBoard>,
    device: DeviceId,
    token: u64,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let Some(board) = self.board.upgrade() else {
            return;
        };
        let mut probes = lock(&board.probes);
        // A newer registration of the same device stays.
        if probes
            .get(&self.device)
            .is_some_and(|(t, _)| *t == self.token)
        {
            probes.remove(&self.device);
        }
    }
}

/// A device's own state on the board, set by its thread. Dropping it takes the device off.
pub struct HealthCell {
    device: DeviceId,
    state: Arc<Mutex<DeviceState>>,
    board: Weak<HealthBoard>,
    _watch: Watch,
}

impl HealthCell {
    /// The device.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// How the device is now.
    pub fn get(&self) -> DeviceState {
        lock(&self.state).clone()
    }

    /// Sets the state; returns the previous one when this is a change (callers log only
    /// changes, so a dead device does not flood the log), `None` when it is the same.
    pub fn set(&self, new: DeviceState) -> Option<DeviceState> {
        let before = {
            let mut now = lock(&self.state);
            if *now == new {
                return None;
            }
            std::mem::replace(&mut *now, new.clone())
        };
        if let Some(board) = self.board.upgrade() {
            board.changed(self.device, &new);
        }
        Some(before)
    }

    /// Records what the device said of itself ([`HealthBoard::set_identity`]).
    pub fn set_identity(&self, key: &str, value: String) {
        if let Some(board) = self.board.upgrade() {
            board.set_identity(self.device, key, value);
        }
    }
}

/// A poisoned lock still holds the last state written; health must never panic a thread.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_read_at_snapshot_time_and_unknown_ones_are_left_out() {
        let board = HealthBoard::new();
        let printer = board.cell(DeviceId::Printer);
        let _reader = board.cell(DeviceId::IdCard);
        assert!(board.snapshot().is_empty(), "both unknown");
        printer.set(DeviceState::Ok);
        assert_eq!(board.snapshot(), [(DeviceId::Printer, DeviceState::Ok)]);
        printer.set(DeviceState::fault("paper out"));
        assert_eq!(
            board.state(DeviceId::Printer),
            DeviceState::fault("paper out")
        );
        assert_eq!(board.state(DeviceId::A4Printer), DeviceState::Unknown);
    }

    #[test]
    fn a_dropped_device_leaves_the_board() {
        let board = HealthBoard::new();
        let scanner = board.cell(DeviceId::CodeScanner);
        scanner.set(DeviceState::Ok);
        let printer_state = Arc::new(Mutex::new(DeviceState::Ok));
        let probe = Arc::clone(&printer_state);
        let watch = board.watch(DeviceId::Printer, move || lock(&probe).clone());
        assert_eq!(board.snapshot().len(), 2);
        drop(scanner);
        assert_eq!(board.snapshot(), [(DeviceId::Printer, DeviceState::Ok)]);
        drop(watch);
        assert!(board.snapshot().is_empty());
        assert!(board.heartbeat(Vec::new()).is_empty());
    }

    #[test]
    fn a_replaced_registration_survives_the_old_one_being_dropped() {
        let board = HealthBoard::new();
        let old = board.cell(DeviceId::IdCard);
        let new = board.cell(DeviceId::IdCard);
        new.set(DeviceState::Ok);
        drop(old);
        assert_eq!(board.snapshot(), [(DeviceId::IdCard, DeviceState::Ok)]);
    }

    #[test]
    fn only_changes_are_reported_and_listeners_hear_them() {
        let board = HealthBoard::new();
        let heard: Arc<Mutex<Vec<String>>> = Arc::default();
        let printer = board.cell(DeviceId::Printer);
        printer.set(DeviceState::warn("paper near end"));
        let h = Arc::clone(&heard);
        board.on_change(move |id, s| lock(&h).push(format!("{id}: {s}")));
        let reader = board.cell(DeviceId::IdCard);
        assert_eq!(reader.set(DeviceState::Ok), Some(DeviceState::Unknown));
        assert_eq!(reader.set(DeviceState::Ok), None);
        assert_eq!(
            reader.set(DeviceState::fault("cannot open /dev/ttyS9")),
            Some(DeviceState::Ok)
        );
        assert_eq!(
            reader.set(DeviceState::fault("cannot open /dev/ttyS9")),
            None
        );
        assert_eq!(
            *lock(&heard),
            [
                "printer: warning: paper near end",
                "idcard: ready",
                "idcard: FAULT: cannot open /dev/ttyS9"
            ]
        );
    }

    #[test]
    fn reasons_are_one_short_line() {
        let long = format!("cannot open /dev/ttyUSB0:\n{}", "x".repeat(200));
        let state = DeviceState::fault(&long);
        let reason = state.reason().unwrap().as_str();
        assert!(!reason.contains('\n'));
        assert_eq!(reason.chars().count(), REASON_MAX);
        assert!(reason.ends_with('…'));
        let w = DeviceState::warn("paper near end")
            .to_api(DeviceId::Printer)
            .unwrap();
        assert_eq!(
            (w.status.as_str(), w.detail.as_deref()),
            ("ok", Some("paper near end"))
        );
        assert_eq!(DeviceState::Unknown.to_api(DeviceId::Printer), None);
    }

    #[test]
    fn the_heartbeat_lists_the_board_then_recorded_devices_it_does_not_cover() {
        let board = HealthBoard::new();
        let printer = board.cell(DeviceId::Printer);
        printer.set(DeviceState::Ok);
        let copies = board.cell(DeviceId::DocScanner);
        copies.set(DeviceState::fault("scanimage: device busy"));
        let _unknown = board.cell(DeviceId::CodeScanner);
        let list = board.heartbeat(vec![
            ("printer".into(), "fault".into()),
            ("a4_printer".into(), "fault".into()),
        ]);
        let seen: Vec<(&str, &str, Option<&str>)> = list
            .iter()
            .map(|d| (d.device.as_str(), d.status.as_str(), d.detail.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("printer", "ok", None),
                ("document_scanner", "fault", Some("scanimage: device busy")),
                ("a4_printer", "fault", None),
            ]
        );
    }
}
