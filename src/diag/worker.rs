//! The technician screen's worker thread: runs the checks its console asks for, off the UI
//! thread, on the devices the kiosk already holds (the receipt printer through its manager,
//! the A4 printer through the kiosk's [`A4Printer`]) or opens per test (the document
//! scanner), and answers with [`KioskEvent::Technician`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::bundle::{self, Destination, DeviceSection};
use super::console::{
    DeviceRow, StoreFigures, TechEvent, TechOrder, TechnicianPort, TestScan, DEVICES,
};
use super::devices::{self, Check, DeviceReport};
use super::Outcome;
use crate::config::Config;
use crate::devices::a4_printer::A4Printer;
use crate::devices::doc_scanner::ScanProblem;
use crate::devices::health::{DeviceId, DeviceState, HealthBoard};
use crate::devices::printer_manager::PrinterHandle;
use crate::events::{EventSink, KioskEvent};
use crate::worker::{Orders, Worker};

/// What the technician worker needs (cheap to clone: the remote bundle keeps a copy).
#[derive(Clone)]
pub struct TechWorkerDeps {
    /// The kiosk's configuration (the platform's address, the devices' ports).
    pub config: Config,
    /// The file it was read from (none for the demo), for the bundle.
    pub config_file: Option<PathBuf>,
    /// The kiosk's device-health board, with each device's protocol log.
    pub health: Arc<HealthBoard>,
    /// The receipt printer's thread.
    pub printer: PrinterHandle,
    /// The A4 printer.
    pub a4: A4Printer,
    /// The kiosk's own document scanner (the one the citizens' services scan on; the
    /// demo's glass in the demo): the technician's test scan goes through it, so it is
    /// the device the kiosk really uses and never a second hold on it.
    pub doc_scanner: crate::devices::doc_scanner::SharedDocScanner,
    /// Where the answers go.
    pub sink: Arc<dyn EventSink>,
}

impl TechnicianPort for Orders<TechOrder> {
    fn send(&self, order: TechOrder) {
        Orders::send(self, order)
    }
}

/// The worker's own state: who is signed in, and its connection for the audit log.
struct Audit {
    /// The signed-in technician's badge (none while the screen is closed).
    badge: Option<String>,
    /// Opened at the first audit row (the kiosk opened the database and ran its
    /// migrations before any worker started).
    store: Option<crate::store::Store>,
}

impl Audit {
    /// Writes a technician's action to the audit log (and its outbox row), under their
    /// badge; like a staff action, a failure to write is logged, not shown.
    fn write(&mut self, config: &Config, action: &str, result: &str) {
        let Some(badge) = self.badge.clone() else {
            return;
        };
        if self.store.is_none() {
            match crate::store::Store::open(&crate::kiosk::Kiosk::db_path(config)) {
                Ok(store) => self.store = Some(store),
                Err(e) => {
                    tracing::error!(action, "audit: the store did not open: {e}");
                    return;
                }
            }
        }
        if let Some(store) = self.store.as_mut() {
            crate::service::staff_service::audit(store, "technician", &badge, action, result);
        }
    }
}

/// Starts the worker.
pub fn spawn(deps: TechWorkerDeps) -> std::io::Result<(Worker<TechOrder>, Orders<TechOrder>)> {
    let audit = Audit {
        badge: None,
        store: None,
    };
    Worker::spawn("technician", (deps, audit), |(deps, audit), order| {
        let what = audited(&order);
        let Some(event) = handle(deps, audit, order) else {
            return;
        };
        if let Some(action) = what {
            audit.write(&deps.config, &action, &result_of(&event));
        }
        deps.sink.send(KioskEvent::Technician(event));
    })
}

/// The audit log's action code of an order a technician gave (none for the screen's own
/// refreshes).
fn audited(order: &TechOrder) -> Option<String> {
    match order {
        TechOrder::SelfTest(device) => Some(format!("self_test {}", device.name())),
        TechOrder::CheckLink => Some("check_link".into()),
        TechOrder::ExportBundle(Destination::File(_), _) => Some("export_bundle file".into()),
        TechOrder::ExportBundle(Destination::RemovableDrive, _) => Some("export_bundle usb".into()),
        _ => None,
    }
}

/// How an order went, in the audit log's words: `ok`, or `failed:` and which checks (the
/// names of checks, never their texts, which may hold a masked card).
fn result_of(event: &TechEvent) -> String {
    let failed = |names: Vec<&str>| {
        if names.is_empty() {
            "ok".to_owned()
        } else {
            format!("failed: {}", names.join(", "))
        }
    };
    match event {
        TechEvent::SelfTest(report, _) => failed(
            report
                .checks
                .iter()
                .filter(|c| c.outcome.failed())
                .map(|c| c.name.as_str())
                .collect(),
        ),
        TechEvent::Link(steps, _) => failed(
            steps
                .iter()
                .filter(|s| s.outcome.failed())
                .map(|s| s.step.name())
                .collect(),
        ),
        TechEvent::Bundle(Ok(_)) => "ok".into(),
        TechEvent::Bundle(Err(_)) => "failed: not written".into(),
        TechEvent::Devices(_) => "ok".into(),
    }
}

fn handle(deps: &TechWorkerDeps, audit: &mut Audit, order: TechOrder) -> Option<TechEvent> {
    Some(match order {
        TechOrder::SignedIn(badge) => {
            audit.badge = Some(badge);
            return None;
        }
        TechOrder::Audit { action, result } => {
            audit.write(&deps.config, &action, &result);
            return None;
        }
        TechOrder::TestCard(shown) => {
            let (mut report, scan) = self_test(deps, DeviceId::IdCard);
            let took = read_time(&deps.health.protocol_log(DeviceId::IdCard).exchanges());
            let outcome = Outcome::Pass(match took {
                // A real reader takes a second or two; the simulator well under one.
                Some(t) if t >= Duration::from_secs(1) => {
                    format!("{shown}, {:.1} s", t.as_secs_f64())
                }
                Some(t) => format!("{shown}, {:.1} ms", t.as_secs_f64() * 1000.0),
                None => shown,
            });
            for c in report.checks.iter_mut().filter(|c| c.name == "test card") {
                c.outcome = outcome.clone();
            }
            audit.write(&deps.config, "test_card_read", "ok");
            TechEvent::SelfTest(report, scan)
        }
        TechOrder::SignedOut => {
            audit.write(&deps.config, "sign_out", "ok");
            audit.badge = None;
            return None;
        }
        TechOrder::Refresh => TechEvent::Devices(rows(deps)),
        TechOrder::SelfTest(device) => {
            let (report, scan) = self_test(deps, device);
            TechEvent::SelfTest(report, scan)
        }
        TechOrder::CheckLink => {
            let timeout = Duration::from_secs(deps.config.platform.timeout_secs.max(1));
            let steps = super::link::check_config(&deps.config.platform, timeout);
            let figures = StoreFigures::read(&crate::kiosk::Kiosk::db_path(&deps.config));
            TechEvent::Link(steps, figures)
        }
        TechOrder::ExportBundle(dest, sync) => {
            let now = chrono::Utc::now();
            let bytes = bundle_bytes(deps, *sync, now);
            let written = bundle::write(&bytes, &dest, &deps.config.platform.kiosk_id, now)
                .map_err(|e| e.to_string());
            match &written {
                Ok(path) => {
                    tracing::info!(path = %path.display(), bytes = bytes.len(), "diagnostic bundle written")
                }
                Err(e) => tracing::warn!(error = %e, "diagnostic bundle not written"),
            }
            TechEvent::Bundle(written)
        }
    })
}

/// A diagnostic bundle made inside the running kiosk: the link checked now, every device's
/// row and protocol log, the sync thread's last status (`sync`), the data folder's logs and
/// store. The technician's export and the platform's `upload_bundle` both make it here.
pub fn bundle_bytes(
    deps: &TechWorkerDeps,
    sync: Option<crate::sync::SyncStatus>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<u8> {
    let link = super::link::check_config(&deps.config.platform, Duration::from_secs(5))
        .iter()
        .map(|s| s.line())
        .collect();
    let devices = rows(deps)
        .into_iter()
        .map(|r| DeviceSection {
            name: r.device.name().to_owned(),
            summary: row_summary(&r),
            protocol_log: r.log.iter().map(|l| format!("{l}\n")).collect(),
        })
        .collect();
    bundle::build(&bundle::BundleSources {
        config: &deps.config,
        config_file: deps.config_file.as_deref(),
        devices,
        sync,
        link,
        now,
    })
}

/// How long the reader's last read of a card's text and photo took (command `30 01` sent
/// to the end of its answer), from its protocol log.
fn read_time(log: &[super::protocol_log::Exchange]) -> Option<Duration> {
    use super::protocol_log::Flow;
    let sent = log
        .iter()
        .rposition(|e| e.flow == Flow::Sent && e.head.get(7..9) == Some(&[0x30, 0x01][..]))?;
    let answer = log[sent + 1..].iter().find(|e| e.flow == Flow::Received)?;
    Some((answer.at + answer.took).saturating_sub(log[sent].at))
}

fn row_summary(r: &DeviceRow) -> String {
    let mut text = format!("{}: {}\n", r.device, state_text(r.state.as_ref()));
    for (k, v) in &r.identity {
        text += &format!("  {k}: {v}\n");
    }
    text
}

/// A device state in a technician's words.
pub fn state_text(state: Option<&DeviceState>) -> String {
    match state {
        None => "not on this kiosk".into(),
        Some(DeviceState::Unknown) => "not known yet".into(),
        Some(DeviceState::Ok) => "ok".into(),
        Some(DeviceState::Warn { reason }) => format!("warning: {}", reason.as_str()),
        Some(DeviceState::Fault { reason }) => format!("fault: {}", reason.as_str()),
    }
}

/// What the configuration says of a device's identity.
/// A device's identity: from the config (its port, link or address, and the USB ids behind
/// a serial port), then what the device told its manager (the reader's SAM id).
fn identity(deps: &TechWorkerDeps, device: DeviceId) -> Vec<(String, String)> {
    let mut lines = configured_identity(&deps.config, device);
    lines.extend(deps.health.identity(device));
    lines
}

fn configured_identity(config: &Config, device: DeviceId) -> Vec<(String, String)> {
    use crate::config::{CodeScannerDevice, DocScannerDevice, IdCardDevice};
    let d = &config.devices;
    let serial = |path: &std::path::Path, baud: u32| {
        let mut lines = vec![(
            "port".to_owned(),
            format!("{} at {baud} baud", path.display()),
        )];
        if let Some(usb) = devices::usb_of_serial(path) {
            lines.push(("USB".to_owned(), usb));
        }
        lines
    };
    let one = |k: &str, v: String| vec![(k.to_owned(), v)];
    match device {
        DeviceId::IdCard => match &d.idcard {
            IdCardDevice::Serial { path, baud, .. } => serial(path, *baud),
            IdCardDevice::Usb { vid, pid, .. } => one("USB", format!("{vid:04x}:{pid:04x}")),
            IdCardDevice::Simulated { .. } => one("port", "simulated (demo)".into()),
        },
        DeviceId::Printer => match devices::printer_link(config) {
            Some(link) => one("link", link.to_string()),
            None => one("link", "simulated (demo)".into()),
        },
        DeviceId::CodeScanner => match &d.code_scanner {
            Some(CodeScannerDevice::Serial { path, baud, .. }) => serial(path, *baud),
            Some(CodeScannerDevice::Hid { path, .. }) => one("HID", path.display().to_string()),
            Some(CodeScannerDevice::Simulated) => one("port", "simulated (demo)".into()),
            None => Vec::new(),
        },
        DeviceId::DocScanner => match &d.doc_scanner {
            Some(DocScannerDevice::Sane { device, .. }) => one("SANE device", device.clone()),
            Some(DocScannerDevice::Simulated) => one("SANE device", "simulated (demo)".into()),
            None => Vec::new(),
        },
        DeviceId::A4Printer => match &d.a4_printer {
            Some(a4) => one("IPP", a4.uri.clone()),
            None => one("output", "the demo's folder printer".into()),
        },
        DeviceId::Storage => one("data folder", config.data_dir.display().to_string()),
    }
}

/// Whether this kiosk has `device` (the reader and the receipt printer always; the others
/// when configured), and its live state then.
fn live_state(deps: &TechWorkerDeps, device: DeviceId) -> Option<DeviceState> {
    let d = &deps.config.devices;
    let present = match device {
        DeviceId::IdCard | DeviceId::Printer => true,
        DeviceId::CodeScanner => d.code_scanner.is_some(),
        DeviceId::DocScanner => d.doc_scanner.is_some(),
        DeviceId::A4Printer => deps.a4.is_present(),
        DeviceId::Storage => true,
    };
    present.then(|| deps.health.state(device))
}

fn rows(deps: &TechWorkerDeps) -> Vec<DeviceRow> {
    DEVICES
        .iter()
        .map(|&device| DeviceRow {
            device,
            state: live_state(deps, device),
            identity: identity(deps, device),
            log: deps
                .health
                .protocol_log(device)
                .exchanges()
                .iter()
                .map(|e| e.line())
                .collect(),
        })
        .collect()
}

/// The printer's last answer to the four status requests, from its protocol log: the
/// manager books the status of its idle polls, not of its jobs, which read it too.
fn last_status(log: &super::protocol_log::ProtocolLog) -> Option<printer::status::PrinterStatus> {
    use super::protocol_log::Flow;
    let exchanges = log.exchanges();
    exchanges.windows(2).rev().find_map(|pair| {
        let (asked, answer) = (&pair[0], &pair[1]);
        let asked_status = asked.flow == Flow::Sent && asked.head.starts_with(&[0x10, 0x04, 0x01]);
        if asked_status && answer.flow == Flow::Received && answer.len == 4 {
            let b = &answer.head;
            printer::status::PrinterStatus::from_bytes([b[0], b[1], b[2], b[3]]).ok()
        } else {
            None
        }
    })
}

fn self_test(deps: &TechWorkerDeps, device: DeviceId) -> (DeviceReport, Option<TestScan>) {
    let state = live_state(deps, device);
    let log = || -> Vec<String> {
        deps.health
            .protocol_log(device)
            .exchanges()
            .iter()
            .map(|e| e.line())
            .collect()
    };
    let mut report = DeviceReport {
        device,
        identity: identity(deps, device),
        checks: Vec::new(),
        log: Vec::new(),
    };
    let mut check = |name: &str, outcome: Outcome| {
        report.checks.push(Check {
            name: name.to_owned(),
            outcome,
        })
    };
    let live_check = |state: Option<&DeviceState>| match state {
        Some(DeviceState::Ok) => Outcome::Pass("answers".into()),
        Some(DeviceState::Warn { reason }) => {
            Outcome::Pass(format!("answers; {}", reason.as_str()))
        }
        Some(DeviceState::Fault { reason }) => Outcome::Fail(reason.as_str().to_owned()),
        Some(DeviceState::Unknown) => Outcome::Fail("no answer yet".into()),
        None => Outcome::Skipped("not on this kiosk".into()),
    };
    let mut scan = None;
    // What a self-test learns of the device beyond the config (a SANE device's model).
    let mut learnt: Vec<(String, String)> = Vec::new();
    match device {
        DeviceId::IdCard => {
            // The reader thread polls the SAM every 200 ms (its log shows the answers): a
            // reader whose SAM fails is a fault on the board.
            check(
                "SAM status (the reader's polls)",
                live_check(state.as_ref()),
            );
            check(
                "test card",
                Outcome::Skipped(
                    "place the test card on the reader: it is read here, shown masked, and \
                     starts no session"
                        .into(),
                ),
            );
        }
        DeviceId::Printer => {
            // The job reads the four status bytes before and after it is sent: the page
            // carries the bits known before it, the screen the bits after it.
            let log = deps.health.protocol_log(DeviceId::Printer);
            let bits = |st: &crate::devices::printer_manager::PrinterState| {
                st.status
                    .or_else(|| last_status(&log))
                    .as_ref()
                    .map(devices::status_bits)
            };
            let before = bits(&deps.printer.state());
            let page = devices::receipt_test_page(
                before
                    .as_deref()
                    .unwrap_or("status: read with this page, see the screen"),
            );
            match deps.printer.print(page) {
                Ok(()) => check("test page", Outcome::Pass("printed".into())),
                Err(e) => check("test page", Outcome::Fail(e.to_string())),
            }
            check("status", live_check(live_state(deps, device).as_ref()));
            match bits(&deps.printer.state()) {
                Some(b) => check("status bits", Outcome::Pass(b)),
                None => check(
                    "status bits",
                    Outcome::Fail("the printer sent no status".into()),
                ),
            }
        }
        DeviceId::A4Printer => {
            if deps.config.devices.a4_printer.is_some() {
                let ipp = devices::a4_printer(&deps.config, false);
                report.identity.extend(ipp.identity.into_iter().skip(1));
                report.checks.extend(ipp.checks);
            }
            let mut check = |name: &str, outcome: Outcome| {
                report.checks.push(Check {
                    name: name.to_owned(),
                    outcome,
                })
            };
            match deps.a4.check() {
                Ok(()) => {
                    let state_line = "ready".to_owned();
                    match devices::a4_test_page(&state_line) {
                        Ok(pdf) => match deps.a4.print(&pdf, "technician test page") {
                            Ok(()) => check("test page", Outcome::Pass("printed".into())),
                            Err(e) => check("test page", Outcome::Fail(format!("{e:?}"))),
                        },
                        Err(e) => check("test page", Outcome::Fail(e.to_string())),
                    }
                }
                Err(e) => check("ready", Outcome::Fail(format!("{e:?}"))),
            }
        }
        DeviceId::DocScanner => {
            // The SANE device's identity and listing from the config (none for the demo's
            // simulated glass), then a scan on the kiosk's own scanner.
            if matches!(
                deps.config.devices.doc_scanner,
                Some(crate::config::DocScannerDevice::Sane { .. })
            ) {
                let (r, _) = devices::doc_scanner(&deps.config, false);
                for c in r.checks {
                    check(&c.name, c.outcome);
                }
                learnt = r.identity;
            }
            if !deps.doc_scanner.is_present() {
                check("test scan", Outcome::Skipped("none configured".into()));
            } else {
                let t = std::time::Instant::now();
                match deps.doc_scanner.scan() {
                    Ok(image) => {
                        check(
                            "test scan",
                            Outcome::Pass(format!(
                                "{}; shown in {} mm blocks (what is on the glass stays unreadable)",
                                devices::scan_summary(&image, t.elapsed()),
                                devices::TEST_SCAN_BLOCK_MM
                            )),
                        );
                        scan = Some(devices::coarse_scan(&image));
                    }
                    Err(problem) => check(
                        "test scan",
                        Outcome::Fail(
                            match problem {
                                ScanProblem::CoverOpen => "the lid is open",
                                ScanProblem::NoCard | ScanProblem::NotACard => {
                                    "the scanner reports no document"
                                }
                                ScanProblem::ScannerFault => {
                                    "the scanner failed (see its state and the log)"
                                }
                            }
                            .into(),
                        ),
                    ),
                }
            }
        }
        DeviceId::CodeScanner => {
            check("open", live_check(state.as_ref()));
        }
        DeviceId::Storage => check("free space", live_check(state.as_ref())),
    }
    for (key, value) in learnt {
        if !report.identity.iter().any(|(k, _)| *k == key) {
            report.identity.push((key, value));
        }
    }
    report.log = log();
    (report, scan)
}
