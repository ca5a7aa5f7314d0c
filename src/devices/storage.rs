//! The data disk, watched like a device: a kiosk whose disk fills refuses new transactions
//! before SQLite has to, tells staff, and takes them again when space returns.
//!
//! Log rotation (14 daily files) and the outbox purge keep the disk bounded; this is for the
//! disk that fills anyway (another program's files, a huge log burst, a small card). A
//! thread reads the free space of the data folder's file system (`statvfs`, what `df` shows
//! as available to an unprivileged user) every [`CHECK_EVERY`] and sets the board's
//! [`DeviceId::Storage`] cell:
//!
//! - below `warn` free: a warning for staff ("storage low");
//! - below `min` free: a fault; every service's tile then says the kiosk cannot take new
//!   transactions (`services::Unavailable::StorageFull`), and the heartbeat reports it;
//! - back above `min` plus a margin (so a disk hovering at the line does not flap): ok again.
//!
//! A write that SQLite cannot finish for want of space fails whole (one transaction per
//! business write), so nothing is half-written either way; the services say so to the
//! citizen (`StoreError::is_full`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::health::{DeviceId, DeviceState, HealthBoard, HealthCell};
use crate::worker::Life;

/// How often the free space is read.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

const MIB: u64 = 1024 * 1024;

/// The lines, in bytes of free space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageLimits {
    /// Below this, no new transaction is taken.
    pub min_free: u64,
    /// Below this, staff are warned.
    pub warn_free: u64,
}

impl StorageLimits {
    /// From the config's `[store] min_free_mb` / `warn_free_mb`.
    pub fn from_mb(min_free_mb: u64, warn_free_mb: u64) -> Self {
        Self {
            min_free: min_free_mb.saturating_mul(MIB),
            warn_free: warn_free_mb.max(min_free_mb).saturating_mul(MIB),
        }
    }

    /// Space that must be free again before a full disk counts as recovered: the line plus
    /// a tenth of it (at least 8 MiB).
    fn recovered_at(&self) -> u64 {
        self.min_free
            .saturating_add((self.min_free / 10).max(8 * MIB))
    }

    /// The disk's state for `free` bytes, given whether it was full at the last reading.
    pub fn classify(&self, free: u64, was_full: bool) -> DeviceState {
        let full = if was_full {
            free < self.recovered_at()
        } else {
            free < self.min_free
        };
        if full {
            DeviceState::fault(&format!(
                "storage full: {} MiB free, {} MiB needed",
                free / MIB,
                self.min_free / MIB
            ))
        } else if free < self.warn_free {
            DeviceState::warn(&format!("storage low: {} MiB free", free / MIB))
        } else {
            DeviceState::Ok
        }
    }
}

/// Bytes an unprivileged writer may still use on the file system holding `path`.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let st = rustix::fs::statvfs(path)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// The thread that watches the data folder's disk. Dropping it stops and joins the thread.
pub struct StorageWatch {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    limits: Arc<Mutex<StorageLimits>>,
    life: Life,
}

impl StorageWatch {
    /// Starts watching the file system of `folder`, registering [`DeviceId::Storage`].
    pub fn spawn(
        folder: PathBuf,
        limits: StorageLimits,
        board: &Arc<HealthBoard>,
    ) -> std::io::Result<StorageWatch> {
        let cell = board.cell(DeviceId::Storage);
        let limits = Arc::new(Mutex::new(limits));
        let (stop, stopped) = mpsc::channel::<()>();
        let (life, guard) = Life::start();
        let shared = Arc::clone(&limits);
        let thread = std::thread::Builder::new()
            .name("storage".into())
            .spawn(move || {
                let _life = guard;
                loop {
                    check(&folder, &shared, &cell);
                    match stopped.recv_timeout(CHECK_EVERY) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => break,
                    }
                }
            })?;
        Ok(StorageWatch {
            stop: Some(stop),
            thread: Some(thread),
            limits,
            life,
        })
    }

    /// Whether the thread still runs (the watchdog asks).
    pub fn life(&self) -> Life {
        self.life.clone()
    }

    /// Moves the lines while running (tests: a line above the disk's real free space is a
    /// full disk without filling one; lowering it again is space returning).
    #[doc(hidden)]
    pub fn set_limits(&self, limits: StorageLimits) {
        *self.limits.lock().unwrap_or_else(|p| p.into_inner()) = limits;
    }
}

impl Drop for StorageWatch {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn check(folder: &Path, limits: &Mutex<StorageLimits>, cell: &HealthCell) {
    let limits = *limits.lock().unwrap_or_else(|p| p.into_inner());
    let was_full = cell.get().is_fault();
    let state = match free_bytes(folder) {
        Ok(free) => limits.classify(free, was_full),
        // Not knowing is not "full": the writes themselves still fail whole if it is.
        Err(e) => DeviceState::warn(&format!("cannot read free space: {}", e.kind())),
    };
    if state != cell.get() {
        match &state {
            DeviceState::Fault { reason } => {
                tracing::error!(%reason, "no new transactions until space returns")
            }
            DeviceState::Warn { reason } => tracing::warn!(%reason, "storage"),
            _ if was_full => tracing::info!("storage space returned: taking transactions again"),
            _ => {}
        }
        cell.set(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_stays_full_until_clearly_above_the_line() {
        let l = StorageLimits::from_mb(100, 500);
        assert!(l.classify(99 * MIB, false).is_fault());
        assert!(matches!(
            l.classify(101 * MIB, false),
            DeviceState::Warn { .. }
        ));
        // Hysteresis: just above the line is still full when it was full.
        assert!(l.classify(101 * MIB, true).is_fault());
        assert!(!l.classify(111 * MIB, true).is_fault());
        assert_eq!(l.classify(600 * MIB, true), DeviceState::Ok);
        let reason = l.classify(3 * MIB, false);
        assert_eq!(
            reason.reason().unwrap().as_str(),
            "storage full: 3 MiB free, 100 MiB needed"
        );
    }

    #[test]
    fn the_warning_line_is_never_below_the_full_line() {
        let l = StorageLimits::from_mb(300, 100);
        assert_eq!(l.warn_free, 300 * MIB);
    }

    #[test]
    fn the_real_disk_of_a_folder_is_read() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).unwrap() > 0);
        assert!(free_bytes(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn the_watch_sets_the_board_and_follows_moved_lines() {
        let dir = tempfile::tempdir().unwrap();
        let board = HealthBoard::new();
        let watch = StorageWatch::spawn(
            dir.path().to_owned(),
            StorageLimits::from_mb(u64::MAX / MIB, u64::MAX / MIB),
            &board,
        )
        .unwrap();
        let until = |want: fn(&DeviceState) -> bool| {
            for _ in 0..6000 {
                if want(&board.state(DeviceId::Storage)) {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            false
        };
        assert!(
            until(|s| s.is_fault()),
            "a line above the free space is a full disk"
        );
        watch.set_limits(StorageLimits::from_mb(0, 0));
        // The next reading (within CHECK_EVERY) frees it.
        assert!(until(|s| *s == DeviceState::Ok));
        assert!(watch.life().is_alive());
        drop(watch);
        assert!(board
            .snapshot()
            .iter()
            .all(|(d, _)| *d != DeviceId::Storage));
    }
}
