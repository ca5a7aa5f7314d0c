//! A real IPP printer on loopback for tests: `ippeveprinter` (Debian cups-ipp-utils), which
//! keeps every job it receives as a file (`-d DIR -k`).
//!
//! ippeveprinter will not start without DNS-SD (Avahi over D-Bus), so this starts its own
//! private bus and avahi-daemon (Debian dbus, avahi-daemon) in a temporary directory, bound
//! to loopback; nothing on the machine's system bus is touched. avahi-daemon must run as root
//! (CI does; scripts/test installs the packages).
//!
//! One at a time in this process: avahi-daemon keeps one pid file for the machine
//! (`/run/avahi-daemon/pid`) and refuses to start while another is running, and both would
//! answer on the mDNS port. [`IppRig`] holds a process-wide lock while it lives.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Fail-safe only.
pub const FAILSAFE: Duration = Duration::from_secs(60);

/// Kills (by its own pid) and reaps a child this test started.
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn binary(name: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    panic!("{name} is not installed: run scripts/test (cups-ipp-utils, avahi-daemon, dbus)");
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < FAILSAFE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private D-Bus "system" bus, avahi-daemon on it, and ippeveprinter, all on loopback.
pub struct IppRig {
    pub uri: String,
    pub spool: PathBuf,
    _dir: tempfile::TempDir,
    // Dropped in reverse order of start: printer, avahi, bus; then the turn is given up.
    _printer: Kill,
    _avahi: Kill,
    _bus: Kill,
    _turn: MutexGuard<'static, ()>,
}

impl IppRig {
    pub fn start() -> IppRig {
        // Poison-tolerant: a failed test that held it does not fail the next one.
        static TURN: Mutex<()> = Mutex::new(());
        let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let bus_path = dir.path().join("bus");
        let bus_conf = dir.path().join("bus.conf");
        std::fs::write(
            &bus_conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/>
    <allow send_type="method_call"/><allow send_type="signal"/>
    <allow send_type="method_return"/><allow send_type="error"/>
    <allow receive_type="method_call"/><allow receive_type="signal"/>
    <allow receive_type="method_return"/><allow receive_type="error"/>
  </policy>
</busconfig>"#,
                bus_path.display()
            ),
        )
        .unwrap();
        let bus = Kill(
            Command::new(binary("dbus-daemon"))
                .arg(format!("--config-file={}", bus_conf.display()))
                .arg("--nofork")
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_until("the private bus", || bus_path.exists());
        let bus_addr = format!("unix:path={}", bus_path.display());

        let avahi_conf = dir.path().join("avahi.conf");
        std::fs::write(
            &avahi_conf,
            "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\n\
             [publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n\
             [wide-area]\nenable-wide-area=no\n",
        )
        .unwrap();
        let avahi_log = dir.path().join("avahi.log");
        let avahi = Kill(
            Command::new(binary("avahi-daemon"))
                .args(["--no-drop-root", "--no-chroot", "--no-rlimits", "-f"])
                .arg(&avahi_conf)
                .env("DBUS_SYSTEM_BUS_ADDRESS", &bus_addr)
                .stdout(Stdio::null())
                // avahi-daemon logs to stderr when not daemonised.
                .stderr(std::fs::File::create(&avahi_log).unwrap())
                .spawn()
                .unwrap(),
        );
        let mut avahi = avahi;
        wait_until("avahi-daemon to start", || {
            if let Ok(Some(status)) = avahi.0.try_wait() {
                panic!(
                    "avahi-daemon exited ({status}): {}",
                    std::fs::read_to_string(&avahi_log).unwrap_or_default()
                );
            }
            std::fs::read_to_string(&avahi_log).is_ok_and(|l| l.contains("Server startup complete"))
        });

        let spool = dir.path().join("spool");
        std::fs::create_dir(&spool).unwrap();
        let port = free_port();
        // `-n localhost`: it listens on IPv4 and IPv6 for that name (with 127.0.0.1 it finds
        // no IPv6 address and gives up); `-k` keeps each job's file in the spool directory.
        let printer = Kill(
            Command::new(binary("ippeveprinter"))
                .args(["-n", "localhost", "-p", &port.to_string(), "-k", "-d"])
                .arg(&spool)
                .args(["-f", "application/pdf", "-s", "60", "CitizenWindowA4"])
                .env("DBUS_SYSTEM_BUS_ADDRESS", &bus_addr)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_until("ippeveprinter to listen", || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        IppRig {
            uri: format!("ipp://127.0.0.1:{port}/ipp/print"),
            spool,
            _dir: dir,
            _printer: printer,
            _avahi: avahi,
            _bus: bus,
            _turn: turn,
        }
    }
}

impl IppRig {
    /// A GET on ippeveprinter's own web forms (`/media`, `/supplies`: the scripting interface
    /// CUPS documents for test setups), e.g. `supplies?supply1=0` empties the toner. Returns
    /// the page.
    pub fn web_form(&self, path_and_query: &str) -> String {
        use std::io::{Read, Write};
        let port = self
            .uri
            .trim_start_matches("ipp://127.0.0.1:")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let mut s = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
        s.set_read_timeout(Some(FAILSAFE)).unwrap();
        write!(
            s,
            "GET /{path_and_query} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        // It answers chunked and keeps the connection open: read up to the last chunk.
        let mut page = Vec::new();
        let mut buf = [0u8; 4096];
        while !page.ends_with(b"\r\n0\r\n\r\n") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => page.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8_lossy(&page).into_owned()
    }

    /// The job files the printer has kept so far.
    pub fn jobs(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.spool)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }
}
