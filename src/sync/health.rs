//! Device health for the heartbeat: a process-wide board where each device thread registers
//! a probe of the state it already keeps (the reader's `ReaderHealth`, the printer's
//! `PrinterState`), and the sync worker reads them all when it sends a heartbeat.
//!
//! A probe reads the device's own shared state, so the board is never stale and the device
//! threads do nothing extra per poll. Probes hold a `Weak` to that state: when the device
//! thread's owner is dropped the probe answers `None` and the device drops out of the
//! heartbeat. No personal data: a fault reason is the driver's message (codes and field
//! names, never contents), cut to [`REASON_MAX`] characters.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use kiosk_platform::api;

/// Longest fault reason sent.
pub const REASON_MAX: usize = 80;

/// How a device is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    /// Works.
    Ok,
    /// Works, with something for staff to see soon (`paper near end`).
    Warn(String),
    /// Does not work; a short reason for a technician.
    Fault(String),
}

type Probe = Box<dyn Fn() -> Option<DeviceState> + Send + Sync>;

/// The registry. Use [`devices`] for the process-wide one.
#[derive(Default)]
pub struct DeviceHealthBoard {
    probes: Mutex<BTreeMap<String, Probe>>,
}

impl DeviceHealthBoard {
    /// Registers (or replaces) the probe of `device`, e.g. `idcard`, `printer`,
    /// `code_scanner`, `doc_scanner`. The probe answers `None` while the state is unknown
    /// or once the device is gone; it must be quick (it runs on the sync thread).
    pub fn watch(
        &self,
        device: &str,
        probe: impl Fn() -> Option<DeviceState> + Send + Sync + 'static,
    ) {
        if let Ok(mut p) = self.probes.lock() {
            p.insert(device.to_owned(), Box::new(probe));
        }
    }

    /// Forgets `device`.
    pub fn unwatch(&self, device: &str) {
        if let Ok(mut p) = self.probes.lock() {
            p.remove(device);
        }
    }

    /// Every known device's state, by name, for a heartbeat.
    pub fn snapshot(&self) -> Vec<api::DeviceHealth> {
        let Ok(probes) = self.probes.lock() else {
            return Vec::new();
        };
        probes
            .iter()
            .filter_map(|(device, probe)| probe().map(|s| health(device, s)))
            .collect()
    }
}

/// The process-wide board the device threads register with and the heartbeat reads.
pub fn devices() -> &'static DeviceHealthBoard {
    static BOARD: OnceLock<DeviceHealthBoard> = OnceLock::new();
    BOARD.get_or_init(DeviceHealthBoard::default)
}

fn health(device: &str, state: DeviceState) -> api::DeviceHealth {
    let (status, detail) = match state {
        DeviceState::Ok => ("ok", None),
        DeviceState::Warn(why) => ("ok", Some(short(&why))),
        DeviceState::Fault(why) => ("fault", Some(short(&why))),
    };
    api::DeviceHealth {
        device: device.to_owned(),
        status: status.to_owned(),
        detail,
    }
}

/// One line, at most [`REASON_MAX`] characters.
fn short(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = line.trim();
    if line.chars().count() <= REASON_MAX {
        line.to_owned()
    } else {
        let mut cut: String = line.chars().take(REASON_MAX - 1).collect();
        cut.push('…');
        cut
    }
}

/// The heartbeat's device list: the board's live probes, then devices only known from
/// the store's `device_events` (the last event kind of each, e.g. a print fault the
/// ticket service recorded) that no probe covers.
pub fn merged(
    board: &[api::DeviceHealth],
    recorded: Vec<(String, String)>,
) -> Vec<api::DeviceHealth> {
    let mut out = board.to_vec();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Weak};

    #[test]
    fn probes_are_read_at_snapshot_time_and_drop_out_when_gone() {
        let board = DeviceHealthBoard::default();
        let state = Arc::new(Mutex::new(DeviceState::Ok));
        let weak: Weak<Mutex<DeviceState>> = Arc::downgrade(&state);
        board.watch("printer", move || {
            weak.upgrade()
                .and_then(|s| s.lock().ok().map(|s| s.clone()))
        });
        board.watch("idcard", || None);
        let snap = board.snapshot();
        assert_eq!(snap.len(), 1);
        assert_eq!(
            (snap[0].device.as_str(), snap[0].status.as_str()),
            ("printer", "ok")
        );
        assert_eq!(snap[0].detail, None);

        *state.lock().unwrap() = DeviceState::Fault("paper out".into());
        let snap = board.snapshot();
        assert_eq!(snap[0].status, "fault");
        assert_eq!(snap[0].detail.as_deref(), Some("paper out"));

        drop(state);
        assert!(board.snapshot().is_empty());
    }

    #[test]
    fn reasons_are_one_short_line() {
        let long = format!("cannot open /dev/ttyUSB0:\n{}", "x".repeat(200));
        let h = health("idcard", DeviceState::Fault(long));
        let d = h.detail.unwrap();
        assert!(!d.contains('\n'));
        assert_eq!(d.chars().count(), REASON_MAX);
        assert!(d.ends_with('…'));
        let w = health("printer", DeviceState::Warn("paper near end".into()));
        assert_eq!(
            (w.status.as_str(), w.detail.as_deref()),
            ("ok", Some("paper near end"))
        );
    }

    #[test]
    fn probes_win_over_recorded_events() {
        let live = vec![health("printer", DeviceState::Ok)];
        let merged = merged(
            &live,
            vec![
                ("printer".into(), "fault".into()),
                ("a4_printer".into(), "fault".into()),
            ],
        );
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].status, "ok");
        assert_eq!(merged[1].device, "a4_printer");
    }
}
