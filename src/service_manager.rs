//! Telling systemd how the kiosk is (the sd_notify protocol: one datagram of `KEY=VALUE` lines
//! to the socket named by `$NOTIFY_SOCKET`): `READY=1` once the attract screen is up, and
//! `WATCHDOG=1` from the UI thread's timer only while every device, service and sync thread
//! still runs. A frozen UI thread sends nothing, a dead thread stops the pings, and systemd
//! (`WatchdogSec=` in the unit) restarts the kiosk; nothing is lost, the store is durable.
//!
//! Written here rather than taken from a crate: the protocol is a dozen lines, and the
//! watchdog rule (whose pid may ask: cage is the unit's main process) is the kiosk's own.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// Where systemd listens for this service's notifications.
pub struct Notifier {
    addr: SocketAddr,
    socket: UnixDatagram,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET`, when the kiosk runs under systemd with `Type=notify`.
    pub fn from_env() -> Option<Notifier> {
        let path = std::env::var("NOTIFY_SOCKET").ok()?;
        match Notifier::at(&path) {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(error = %e, "NOTIFY_SOCKET is not usable");
                None
            }
        }
    }

    /// The socket at `path`: a file, or an abstract name written `@name`.
    pub fn at(path: &str) -> io::Result<Notifier> {
        let addr = match path.strip_prefix('@') {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name.as_bytes())?
            }
            None => SocketAddr::from_pathname(path)?,
        };
        Ok(Notifier {
            addr,
            socket: UnixDatagram::unbound()?,
        })
    }

    /// Sends one notification (`READY=1`, `WATCHDOG=1`, `STATUS=…`).
    pub fn send(&self, state: &str) -> io::Result<()> {
        self.socket.send_to_addr(state.as_bytes(), &self.addr)?;
        Ok(())
    }
}

/// How often systemd expects a ping, from `$WATCHDOG_USEC`; `None` without a watchdog.
///
/// `$WATCHDOG_PID` names the unit's main process, which is cage, the kiosk's parent, not the
/// kiosk (the unit says `NotifyAccess=all` for that reason): a ping is accepted from either.
pub fn watchdog_interval() -> Option<Duration> {
    watchdog_from(
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::process::id(),
        std::os::unix::process::parent_id(),
    )
}

fn watchdog_from(usec: Option<&str>, pid: Option<&str>, me: u32, parent: u32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    if let Some(pid) = pid.and_then(|p| p.trim().parse::<u32>().ok()) {
        if pid != me && pid != parent {
            return None;
        }
    }
    Some(Duration::from_micros(usec))
}

/// The watchdog's rule, called from a timer on the UI thread (so a frozen UI thread never
/// calls it): ping only while every thread named lives.
pub struct Watchdog {
    notifier: Notifier,
    /// Whether a dead thread was already logged (once is enough).
    told: bool,
}

impl Watchdog {
    /// Pings through `notifier`.
    pub fn new(notifier: Notifier) -> Watchdog {
        Watchdog {
            notifier,
            told: false,
        }
    }

    /// One turn of the UI thread's timer: `threads` are the kiosk's threads by name with
    /// whether each still runs. Returns whether it pinged.
    pub fn tick(&mut self, threads: &[(&'static str, bool)]) -> bool {
        let dead: Vec<&str> = threads
            .iter()
            .filter(|(_, alive)| !alive)
            .map(|(name, _)| *name)
            .collect();
        if !dead.is_empty() {
            if !self.told {
                tracing::error!(
                    threads = %dead.join(","),
                    "a kiosk thread has ended: no more watchdog pings, systemd will restart the kiosk"
                );
                let _ = self
                    .notifier
                    .send(&format!("STATUS=thread ended: {}", dead.join(",")));
                self.told = true;
            }
            return false;
        }
        match self.notifier.send("WATCHDOG=1") {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "watchdog ping");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> (tempfile::TempDir, UnixDatagram, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_nonblocking(true).unwrap();
        (dir, sock, path.display().to_string())
    }

    fn received(sock: &UnixDatagram) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = [0u8; 512];
        // Sends are synchronous: whatever was sent is already queued; WouldBlock means none.
        while let Ok(n) = sock.recv(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        out
    }

    #[test]
    fn ready_reaches_the_socket() {
        let (_dir, sock, path) = listener();
        Notifier::at(&path).unwrap().send("READY=1").unwrap();
        assert_eq!(received(&sock), ["READY=1"]);
    }

    #[test]
    fn pings_stop_when_a_thread_has_ended() {
        let (_dir, sock, path) = listener();
        let mut dog = Watchdog::new(Notifier::at(&path).unwrap());
        let all = [("sync", true), ("idcard", true), ("queue-ticket", true)];
        assert!(dog.tick(&all));
        assert!(dog.tick(&all));
        assert_eq!(received(&sock), ["WATCHDOG=1", "WATCHDOG=1"]);
        let one_dead = [("sync", true), ("idcard", false), ("queue-ticket", true)];
        assert!(!dog.tick(&one_dead));
        assert!(!dog.tick(&one_dead));
        // One status line saying which, then silence: systemd's watchdog restarts the kiosk.
        assert_eq!(received(&sock), ["STATUS=thread ended: idcard"]);
    }

    #[test]
    fn watchdog_interval_from_the_environment_systemd_sets() {
        assert_eq!(
            watchdog_from(Some("30000000"), None, 10, 1),
            Some(Duration::from_secs(30))
        );
        // cage is the unit's main process: its pid is the kiosk's parent.
        assert_eq!(
            watchdog_from(Some("30000000"), Some("7"), 10, 7),
            Some(Duration::from_secs(30))
        );
        assert_eq!(watchdog_from(Some("30000000"), Some("8"), 10, 7), None);
        assert_eq!(watchdog_from(None, None, 10, 7), None);
        assert_eq!(watchdog_from(Some("0"), None, 10, 7), None);
        assert_eq!(watchdog_from(Some("x"), None, 10, 7), None);
    }
}
