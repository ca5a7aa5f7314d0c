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
//!
//! That pid file outlives the test run when a daemon is killed hard (a run stopped midway):
//! on the same machine later, another process may have that pid, and avahi-daemon would
//! refuse with "Daemon already running on PID n". So avahi is stopped with SIGTERM (it removes
//! its file), and a file naming a process that is not avahi-daemon is removed before a start.
//! When an avahi-daemon really runs on the machine, ippeveprinter uses it on the system bus.

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

/// avahi-daemon's pid file, fixed at its build (`--no-chroot`).
const AVAHI_PID_FILE: &str = "/run/avahi-daemon/pid";

/// Whether an avahi-daemon runs on this machine; a pid file left by one that is gone (its pid
/// free or now another program's) is removed.
fn machine_avahi_running() -> bool {
    let Ok(text) = std::fs::read_to_string(AVAHI_PID_FILE) else {
        return false;
    };
    let running = text.trim().parse::<u32>().is_ok_and(|pid| {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim() == "avahi-daemon")
    });
    if !running {
        let _ = std::fs::remove_file(AVAHI_PID_FILE);
    }
    running
}

/// avahi-daemon started by the rig: stopped with SIGTERM so that it removes its pid file,
/// killed if it has not ended within a few seconds.
struct Avahi(Child);

impl Drop for Avahi {
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", &pid])
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
        if std::fs::read_to_string(AVAHI_PID_FILE).is_ok_and(|p| p.trim() == pid) {
            let _ = std::fs::remove_file(AVAHI_PID_FILE);
        }
    }
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
    // None when the machine's own avahi-daemon (on the system bus) serves the printer.
    _avahi: Option<Avahi>,
    _bus: Option<Kill>,
    _turn: MutexGuard<'static, ()>,
}

impl IppRig {
    pub fn start() -> IppRig {
        // Poison-tolerant: a failed test that held it does not fail the next one.
        static TURN: Mutex<()> = Mutex::new(());
        let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let (bus, avahi, bus_addr) = if machine_avahi_running() {
            (None, None, None)
        } else {
            let (bus, avahi, bus_addr) = private_avahi(dir.path());
            (Some(bus), Some(avahi), Some(bus_addr))
        };
        let spool = dir.path().join("spool");
        std::fs::create_dir(&spool).unwrap();
        let port = free_port();
        // `-n localhost`: it listens on IPv4 and IPv6 for that name (with 127.0.0.1 it finds
        // no IPv6 address and gives up); `-k` keeps each job's file in the spool directory.
        let printer_log = dir.path().join("ippeveprinter.log");
        let mut command = Command::new(binary("ippeveprinter"));
        command
            .args(["-n", "localhost", "-p", &port.to_string(), "-k", "-d"])
            .arg(&spool)
            .args(["-f", "application/pdf", "-s", "60", "CitizenWindowA4"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&printer_log).unwrap());
        if let Some(bus_addr) = &bus_addr {
            command.env("DBUS_SYSTEM_BUS_ADDRESS", bus_addr);
        }
        let mut printer = Kill(command.spawn().unwrap());
        wait_until("ippeveprinter to listen", || {
            if let Ok(Some(status)) = printer.0.try_wait() {
                panic!(
                    "ippeveprinter exited ({status}): {}",
                    std::fs::read_to_string(&printer_log).unwrap_or_default()
                );
            }
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

/// A private D-Bus "system" bus in `dir` and avahi-daemon on it, bound to loopback; gives
/// the bus's address.
fn private_avahi(dir: &Path) -> (Kill, Avahi, String) {
    let bus_path = dir.join("bus");
    let bus_conf = dir.join("bus.conf");
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

    let avahi_conf = dir.join("avahi.conf");
    std::fs::write(
        &avahi_conf,
        "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\n\
             [publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n\
             [wide-area]\nenable-wide-area=no\n",
    )
    .unwrap();
    let avahi_log = dir.join("avahi.log");
    let avahi = Avahi(
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

    (bus, avahi, bus_addr)
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
