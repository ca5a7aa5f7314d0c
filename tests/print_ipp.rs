//! A4 printing to a real IPP printer on loopback: `ippeveprinter` (Debian cups-ipp-utils),
//! which keeps every job it receives as a file (`-d DIR -k`).
//!
//! ippeveprinter will not start without DNS-SD (Avahi over D-Bus), so the test starts its own
//! private bus and avahi-daemon (Debian dbus, avahi-daemon) in a temporary directory, bound
//! to loopback; nothing on the machine's system bus is touched. avahi-daemon must run as root
//! (CI does; scripts/test installs the packages).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiosk::cli::doc::doc_render::{render_sample, DocKind};
use printer::ipp::{IppError, IppPrinter, JobState};

/// Fail-safe only.
const FAILSAFE: Duration = Duration::from_secs(60);

/// Kills (by its own pid) and reaps a child this test started.
struct Kill(Child);

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

fn free_port() -> u16 {
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
struct IppRig {
    uri: String,
    spool: PathBuf,
    _dir: tempfile::TempDir,
    // Dropped in reverse order of start: printer, avahi, bus.
    _printer: Kill,
    _avahi: Kill,
    _bus: Kill,
}

impl IppRig {
    fn start() -> IppRig {
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
        }
    }
}

#[test]
fn certificate_pdf_arrives_at_a_real_ipp_printer_and_completes() {
    let rig = IppRig::start();
    let pdf = render_sample(DocKind::SocialInsuranceProof).unwrap();
    let mut printer = IppPrinter::new(&rig.uri, Duration::from_secs(30)).unwrap();
    printer.poll_interval = Duration::from_millis(100);
    let outcome = printer
        .print_pdf(&pdf, "social-insurance-proof SB-20261124-000042", FAILSAFE)
        .unwrap();
    assert_eq!(outcome.state, JobState::Completed);
    assert!(outcome.job_id > 0);

    // The job file is in the spool directory, byte for byte.
    let files: Vec<PathBuf> = std::fs::read_dir(&rig.spool)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let job_file = files
        .iter()
        .find(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(&format!("{}-", outcome.job_id))
            })
        })
        .unwrap_or_else(|| panic!("no job file in {files:?}"));
    assert_eq!(std::fs::read(job_file).unwrap(), pdf);

    // The state can be asked again, and an unknown job is an IPP error, not a panic.
    assert_eq!(
        printer.job_state(outcome.job_id).unwrap().0,
        JobState::Completed
    );
    assert!(matches!(printer.job_state(9999), Err(IppError::Status(_))));
}

#[test]
fn unreachable_printer_is_a_transport_error() {
    let port = free_port();
    let printer = IppPrinter::new(
        &format!("ipp://127.0.0.1:{port}/ipp/print"),
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(matches!(
        printer.print_pdf(b"%PDF-1.4", "x", Duration::from_secs(1)),
        Err(IppError::Exchange(_))
    ));
    assert!(matches!(
        IppPrinter::new("lpd://x/q", Duration::from_secs(1)),
        Err(IppError::BadUri)
    ));
}
