//! The code-scanner thread: reads QR codes and barcodes from a serial (line-mode) or a USB
//! keyboard-mode scanner, has them classified (the platform's rules: the hall's own receipts
//! are checked for their signature) and hands the result to the UI. A scanner that goes away
//! is reopened with backoff, without a restart.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use scanner::line::{CodeScanner, LineConfig, ScanError, SerialConfig, SerialScanner};

use super::health::{DeviceId, DeviceState, HealthBoard, HealthCell};
use crate::app::{EventSink, KioskEvent, ScannedCode};
use crate::config::CodeScannerDevice;

/// How long one read waits before the thread checks whether to stop.
const READ_WAIT: Duration = Duration::from_millis(250);

/// Where the code scanner is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeScannerPort {
    /// Serial or USB virtual COM port, line mode.
    Serial {
        /// Port path (or the simulator's pseudo-terminal).
        path: PathBuf,
        /// Baud rate.
        baud: u32,
    },
    /// USB HID keyboard mode: the scanner's event device, grabbed exclusively.
    Hid {
        /// `/dev/input/by-id/…-event-kbd`.
        path: PathBuf,
    },
}

impl std::fmt::Display for CodeScannerPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeScannerPort::Serial { path, .. } => write!(f, "serial {}", path.display()),
            CodeScannerPort::Hid { path } => write!(f, "HID {}", path.display()),
        }
    }
}

impl CodeScannerPort {
    /// The port a configured scanner is on; `None` for the simulator (the demo rig rewrites
    /// it first).
    pub fn from_config(dev: &CodeScannerDevice) -> Option<CodeScannerPort> {
        match dev {
            CodeScannerDevice::Serial { path, baud, .. } => Some(CodeScannerPort::Serial {
                path: path.clone(),
                baud: *baud,
            }),
            CodeScannerDevice::Hid { path, .. } => {
                Some(CodeScannerPort::Hid { path: path.clone() })
            }
            CodeScannerDevice::Simulated => None,
        }
    }
}

/// The driver's framing settings for a configured scanner.
pub fn line_config(dev: &CodeScannerDevice) -> LineConfig {
    let mut line = LineConfig::default();
    let (prefix, suffix, max_len, encoding) = match dev {
        CodeScannerDevice::Serial {
            prefix,
            suffix,
            max_len,
            encoding,
            ..
        } => (prefix, suffix, max_len, encoding.as_deref()),
        CodeScannerDevice::Hid {
            prefix,
            suffix,
            max_len,
            ..
        } => (prefix, suffix, max_len, None),
        CodeScannerDevice::Simulated => return line,
    };
    line.prefix = prefix.clone();
    line.suffix = suffix.clone();
    if let Some(max) = max_len {
        line.max_len = *max;
    }
    if encoding.is_some_and(|e| e.eq_ignore_ascii_case("gbk") || e.eq_ignore_ascii_case("gb18030"))
    {
        line.encoding = scanner::line::Encoding::Gbk;
    }
    line
}

/// Turns a scanned text into what it means for the session.
pub type Classifier = Box<dyn Fn(&str) -> ScannedCode + Send>;

/// The running scanner thread; dropping it stops the thread.
pub struct ScannerManager {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    life: crate::worker::Life,
    health: Arc<HealthCell>,
    reset: super::reset::ResetSignal,
}

impl ScannerManager {
    /// Whether its thread still runs (the service manager's watchdog asks).
    pub fn life(&self) -> crate::worker::Life {
        self.life.clone()
    }
    /// Starts reading `port`; the scanner's state (no payloads in it) goes on `health`.
    pub fn start(
        port: CodeScannerPort,
        line: LineConfig,
        classify: Classifier,
        sink: Arc<dyn EventSink>,
        health: &Arc<HealthBoard>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let reset = super::reset::ResetSignal::default();
        let log = health.protocol_log(DeviceId::CodeScanner);
        let health = Arc::new(health.cell(DeviceId::CodeScanner));
        let (life, guard) = crate::worker::Life::start();
        let thread = std::thread::Builder::new()
            .name("code-scanner".into())
            .spawn({
                let stop = stop.clone();
                let health = health.clone();
                let reset = reset.clone();
                move || {
                    let _life = guard;
                    run(
                        &port,
                        &line,
                        &classify,
                        &*sink,
                        &stop,
                        Upkeep {
                            reset: &reset,
                            health: &health,
                            log: &log,
                        },
                    )
                }
            })
            .expect("spawn code scanner thread");
        Self {
            stop,
            thread: Some(thread),
            life,
            health,
            reset,
        }
    }

    /// Staff's reset: the thread closes the scanner's port and opens it again at once.
    pub fn reset_order(&self) -> super::reset::ResetOrder {
        self.reset.order()
    }

    /// The scanner's state now: unknown while it is first opened.
    pub fn health(&self) -> DeviceState {
        self.health.get()
    }
}

impl Drop for ScannerManager {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Records the scanner's state; logs only changes.
fn set_health(health: &HealthCell, new: DeviceState) {
    if health.set(new.clone()).is_none() {
        return;
    }
    match &new {
        DeviceState::Fault { reason } => {
            tracing::error!(device = "code_scanner", "scanner fault: {reason}")
        }
        DeviceState::Ok => tracing::info!(device = "code_scanner", "scanner ready"),
        DeviceState::Warn { .. } | DeviceState::Unknown => {}
    }
}

/// Opens the scanner on `port` (the technicians' checks open it the same way).
pub(crate) fn open(
    port: &CodeScannerPort,
    line: &LineConfig,
) -> Result<Box<dyn CodeScanner>, ScanError> {
    match port {
        CodeScannerPort::Serial { path, baud } => {
            let mut config = SerialConfig::new(path);
            config.baud = *baud;
            config.line = line.clone();
            Ok(Box::new(SerialScanner::open(&config)?))
        }
        #[cfg(target_os = "linux")]
        CodeScannerPort::Hid { path } => {
            let mut config = scanner::hid::HidConfig::new(path);
            config.line = line.clone();
            Ok(Box::new(scanner::hid::HidScanner::open(&config)?))
        }
        #[cfg(not(target_os = "linux"))]
        CodeScannerPort::Hid { path } => Err(ScanError::Open {
            path: path.clone(),
            source: std::io::Error::other("HID scanners need Linux evdev"),
        }),
    }
}

/// What staff and technicians reach the scanner's thread through: the reset order, its
/// health and its protocol log.
struct Upkeep<'a> {
    reset: &'a super::reset::ResetSignal,
    health: &'a HealthCell,
    log: &'a crate::diag::protocol_log::ProtocolLog,
}

fn run(
    port: &CodeScannerPort,
    line: &LineConfig,
    classify: &Classifier,
    sink: &dyn EventSink,
    stop: &AtomicBool,
    upkeep: Upkeep<'_>,
) {
    let Upkeep { reset, health, log } = upkeep;
    let mut failures = 0u32;
    while !stop.load(Ordering::SeqCst) {
        if reset.take() {
            tracing::info!(device = "code_scanner", "scanner reset by staff: reopening");
            failures = 0;
        }
        let mut scanner = match open(port, line) {
            Ok(s) => s,
            Err(e) => {
                set_health(health, DeviceState::fault(&e.to_string()));
                failures += 1;
                super::reset::sleep_unless_stopped_or_reset(
                    super::reconnect_delay(failures),
                    stop,
                    reset,
                );
                continue;
            }
        };
        failures = 0;
        set_health(health, DeviceState::Ok);
        // A reset drops the scanner here (closing its port) and opens it again.
        while !stop.load(Ordering::SeqCst) && !reset.pending() {
            match scanner.read_scan(READ_WAIT) {
                Ok(None) => {}
                Ok(Some(scan)) => {
                    // The scanner's drivers frame codes themselves: the log counts each
                    // code's bytes (its mask keeps none of them).
                    log.record(
                        crate::diag::protocol_log::Flow::Received,
                        scan.text.as_bytes(),
                    );
                    log.turn();
                    let code = classify(&scan.text);
                    tracing::info!(device = "code_scanner", kind = ?code, "code scanned");
                    sink.send(KioskEvent::CodeScanned(code));
                }
                // One bad scan (garbled, too long, cut short): the driver has logged it (never
                // the payload); the citizen is asked to scan again.
                Err(e) if !e.needs_reopen() => {
                    sink.send(KioskEvent::CodeScanned(ScannedCode::Unreadable))
                }
                Err(e) => {
                    set_health(health, DeviceState::fault(&e.to_string()));
                    break;
                }
            }
        }
        if !stop.load(Ordering::SeqCst) && !reset.pending() {
            super::sleep_unless_stopped(super::reconnect_delay(0), stop);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::RecordingSink;
    use std::time::Instant;

    fn wait(what: &str, mut cond: impl FnMut() -> bool) {
        // A fail-safe, not a performance limit.
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn scans(sink: &RecordingSink) -> Vec<ScannedCode> {
        sink.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                KioskEvent::CodeScanned(c) => Some(c.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_gbk_serial_scanner_with_a_prefix_and_a_hid_scanner() {
        let dev: CodeScannerDevice = toml::from_str(
            "kind = \"serial\"\npath = \"/dev/ttyACM0\"\nprefix = \"]Q\"\nencoding = \"GBK\"\nmax_len = 300",
        )
        .unwrap();
        let line = line_config(&dev);
        assert_eq!(line.prefix.as_deref(), Some("]Q"));
        assert_eq!(line.max_len, 300);
        assert_eq!(line.encoding, scanner::line::Encoding::Gbk);
        let hid: CodeScannerDevice =
            toml::from_str("kind = \"hid\"\npath = \"/dev/input/by-id/x-event-kbd\"").unwrap();
        assert!(matches!(
            CodeScannerPort::from_config(&hid),
            Some(CodeScannerPort::Hid { .. })
        ));
        assert_eq!(
            CodeScannerPort::from_config(&CodeScannerDevice::Simulated),
            None
        );
    }

    #[test]
    fn the_example_configs_scanner_is_a_serial_port() {
        let cfg = crate::config::Config::parse(include_str!("../../kiosk.example.toml"))
            .expect("kiosk.example.toml parses");
        let scanner = cfg
            .devices
            .code_scanner
            .expect("code scanner in the example");
        assert!(matches!(
            CodeScannerPort::from_config(&scanner),
            Some(CodeScannerPort::Serial { baud: 9600, .. })
        ));
    }

    #[test]
    fn scans_are_classified_and_a_pulled_scanner_comes_back() {
        let sim = scanner::sim::SimScanner::spawn().unwrap();
        let sink = Arc::new(RecordingSink::default());
        let board = HealthBoard::new();
        let manager = ScannerManager::start(
            CodeScannerPort::Serial {
                path: sim.port_path(),
                baud: 9600,
            },
            LineConfig::default(),
            Box::new(|text| {
                if text == "SB-20261124-000042" {
                    ScannedCode::Case(text.to_owned())
                } else {
                    ScannedCode::Foreign
                }
            }),
            sink.clone(),
            &board,
        );
        wait("ready", || manager.health() == DeviceState::Ok);
        assert_eq!(board.snapshot(), [(DeviceId::CodeScanner, DeviceState::Ok)]);
        sim.scan("SB-20261124-000042").unwrap();
        wait("the first scan", || scans(&sink).len() == 1);
        assert_eq!(
            scans(&sink)[0],
            ScannedCode::Case("SB-20261124-000042".into())
        );

        // Garbage is one bad scan, told as such; the scanner keeps working.
        sim.send_garbage().unwrap();
        sim.scan("hello").unwrap();
        wait("the scan after garbage", || scans(&sink).len() == 3);
        assert_eq!(scans(&sink)[1], ScannedCode::Unreadable);
        assert_eq!(scans(&sink)[2], ScannedCode::Foreign);

        sim.unplug();
        wait("the fault", || manager.health().is_fault());
        sim.replug().unwrap();
        wait("ready again", || manager.health() == DeviceState::Ok);
        sim.scan("SB-20261124-000042").unwrap();
        wait("a scan after the replug", || scans(&sink).len() == 4);

        // A scanner whose manager is gone leaves the board (and the heartbeat).
        drop(manager);
        assert!(board.snapshot().is_empty());
    }
}
