//! Device manager: owns the drivers on their own threads, reconnects them, reports events.
//!
//! The UI thread never waits on a device: the card reader and the code scanner push events,
//! the printer takes jobs from a channel and answers on another. Every device thread keeps
//! its state on the kiosk's [`health::HealthBoard`], which staff and the heartbeat read.

pub mod a4_printer;
pub mod doc_scanner;
pub mod health;
pub mod idcard_manager;
pub mod printer_manager;
// Staff's device reset: one order per manager, registered by id.
pub mod reset;
pub mod scanner_manager;
pub mod storage;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Reconnect delay after `failures` consecutive failures: 0.5 s doubling to 10 s.
pub(crate) fn reconnect_delay(failures: u32) -> Duration {
    let ms = 500u64.saturating_mul(1 << failures.min(5));
    Duration::from_millis(ms.min(10_000))
}

/// Sleeps `total`, in short steps, returning early once `stop` is set: device threads wait
/// out their reconnect delay this way so that dropping their manager is never held up.
pub(crate) fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(50);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::SeqCst) {
        let d = left.min(step);
        std::thread::sleep(d);
        left -= d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_backs_off_to_ten_seconds() {
        assert_eq!(reconnect_delay(0), Duration::from_millis(500));
        assert_eq!(reconnect_delay(1), Duration::from_secs(1));
        assert_eq!(reconnect_delay(10), Duration::from_secs(10));
    }
}
