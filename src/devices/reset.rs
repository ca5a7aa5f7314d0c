//! Staff's "reset this device": close its driver and open it again, without a restart.
//!
//! Each manager gives a [`ResetOrder`] (one block per manager, next to its thread's loop);
//! the kiosk registers them on one [`DeviceResets`], which the staff worker (and a remote
//! command) calls by [`DeviceId`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::health::DeviceId;

/// Asks one device to close its driver and open it again. Returns at once: the device's
/// thread does the work and its health shows the outcome. `Err` says why it cannot.
pub type ResetOrder = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// A flag a device thread polls: set by a reset order, taken by the thread when it closes
/// its driver.
#[derive(Clone, Default)]
pub struct ResetSignal(Arc<AtomicBool>);

impl ResetSignal {
    /// Asks the thread to reopen.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// Whether a reset waits (the thread should close its driver now).
    pub(crate) fn pending(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    /// Takes the request (the thread is about to reopen).
    pub(crate) fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
    /// The order that sets this signal.
    pub fn order(&self) -> ResetOrder {
        let me = self.clone();
        Arc::new(move || {
            me.request();
            Ok(())
        })
    }
}

/// Sleeps `total` in short steps, returning early once `stop` is set or a reset waits: a
/// device waiting out its reconnect delay opens at once when staff reset it.
pub(crate) fn sleep_unless_stopped_or_reset(
    total: Duration,
    stop: &AtomicBool,
    reset: &ResetSignal,
) {
    let step = Duration::from_millis(50);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::SeqCst) && !reset.pending() {
        let d = left.min(step);
        std::thread::sleep(d);
        left -= d;
    }
}

/// The kiosk's devices that can be reset, by id. Share it as `Arc<DeviceResets>`.
#[derive(Default)]
pub struct DeviceResets {
    orders: Mutex<BTreeMap<DeviceId, ResetOrder>>,
}

impl DeviceResets {
    /// An empty set.
    pub fn new() -> Arc<DeviceResets> {
        Arc::default()
    }

    /// Registers (or replaces) the reset order of `device`.
    pub fn register(&self, device: DeviceId, order: ResetOrder) {
        self.orders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(device, order);
    }

    /// Resets `device`; `Err` when it has no reset order (not configured) or refused.
    pub fn reset(&self, device: DeviceId) -> Result<(), String> {
        let order = self
            .orders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&device)
            .cloned();
        match order {
            Some(order) => order(),
            None => Err(format!("{device} is not configured")),
        }
    }

    /// The devices that can be reset, in the board's order.
    pub fn devices(&self) -> Vec<DeviceId> {
        self.orders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_order_runs_an_unknown_device_is_refused() {
        let resets = DeviceResets::new();
        let signal = ResetSignal::default();
        resets.register(DeviceId::IdCard, signal.order());
        assert!(resets.reset(DeviceId::CodeScanner).is_err());
        resets.reset(DeviceId::IdCard).unwrap();
        assert!(signal.pending());
        assert!(signal.take());
        assert!(!signal.pending());
        assert_eq!(resets.devices(), vec![DeviceId::IdCard]);
    }
}
