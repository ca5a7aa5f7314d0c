//! Each device's identity and self-test, opened from the configuration as the kiosk opens
//! it, for `kiosk diag` (the kiosk itself must not hold the port: serial ports are opened
//! exclusively) and for the technician screen's worker where the device is not held by a
//! manager (the A4 printer and the document scanner are opened per job).
//!
//! Every exchange goes through a [`super::protocol_log::TappedPort`] onto a fresh protocol log, shown with the
//! result; what a test reads of a card is shown masked (ID number 6+4, family name and `*`).

use std::time::{Duration, Instant};

use super::protocol_log::{Mask, ProtocolLog};
use super::Outcome;
use crate::config::{Config, DocScannerDevice, IdCardDevice, SerialDevice};
use crate::devices::health::DeviceId;

/// One named check of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked (`SAM status`, `test page`).
    pub name: String,
    /// How it went.
    pub outcome: Outcome,
}

impl Check {
    fn new(name: &str, outcome: Outcome) -> Check {
        Check {
            name: name.to_owned(),
            outcome,
        }
    }
}

/// What the self-test of one device found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReport {
    /// Which device.
    pub device: DeviceId,
    /// Its identity, as the protocol gives it: `port`, `USB`, `SAM id`, `model`, ….
    pub identity: Vec<(String, String)>,
    /// The checks in the order they ran.
    pub checks: Vec<Check>,
    /// The protocol log of the test's exchanges (masked), one line each.
    pub log: Vec<String>,
}

impl DeviceReport {
    fn new(device: DeviceId) -> DeviceReport {
        DeviceReport {
            device,
            identity: Vec::new(),
            checks: Vec::new(),
            log: Vec::new(),
        }
    }

    /// Whether any check failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.outcome.failed())
    }

    fn check(&mut self, name: &str, outcome: Outcome) {
        self.checks.push(Check::new(name, outcome));
    }

    fn skipped(device: DeviceId, why: &str) -> DeviceReport {
        let mut r = DeviceReport::new(device);
        r.check("self-test", Outcome::Skipped(why.to_owned()));
        r
    }

    /// The report as text, for the CLI and the bundle.
    pub fn text(&self) -> String {
        let failed = if self.failed() { "FAIL" } else { "ok" };
        let mut out = format!("{}: {failed}\n", self.device);
        for (k, v) in &self.identity {
            out += &format!("  {k}: {v}\n");
        }
        for c in &self.checks {
            let (word, text) = c.outcome.parts();
            out += &format!("  [{word:<4}] {}: {text}\n", c.name);
        }
        if !self.log.is_empty() {
            out += "  protocol log (masked):\n";
            for line in &self.log {
                out += &format!("    {line}\n");
            }
        }
        out
    }
}

/// What the self-tests may do beyond reading state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestOptions {
    /// Print a test page on the receipt and the A4 printer.
    pub test_pages: bool,
    /// Wait this long for a test code on the code scanner (none: open it only).
    pub scan_wait: Option<Duration>,
    /// Scan a test page on the document scanner.
    pub test_scan: bool,
}

/// Every configured device's self-test, in the order of the technician screen.
pub fn all(config: &Config, options: TestOptions) -> Vec<DeviceReport> {
    let mut reports = vec![
        idcard(&config.devices.idcard),
        receipt_printer(config, options),
    ];
    reports.push(code_scanner(config, options.scan_wait));
    reports.push(doc_scanner(config, options.test_scan).0);
    reports.push(a4_printer(config, options.test_pages));
    reports
}

fn log_lines(log: &ProtocolLog) -> Vec<String> {
    log.exchanges().iter().map(|e| e.line()).collect()
}

/// The USB vendor and product of a serial port's adapter, when it is one.
pub(crate) fn usb_of_serial(path: &std::path::Path) -> Option<String> {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    serialport::available_ports()
        .ok()?
        .into_iter()
        .find(|p| {
            std::path::Path::new(&p.port_name) == real || std::path::Path::new(&p.port_name) == path
        })
        .and_then(|p| match p.port_type {
            serialport::SerialPortType::UsbPort(u) => Some(format!(
                "{:04x}:{:04x}{}",
                u.vid,
                u.pid,
                u.product.map(|p| format!(" ({p})")).unwrap_or_default()
            )),
            _ => None,
        })
}

/// The ID-card reader: SAM status, SAM id, and a read of the test card when one is placed.
pub fn idcard(device: &IdCardDevice) -> DeviceReport {
    use crate::devices::idcard_manager::{open_reader_logged, ReaderPort};
    let port = match ReaderPort::from_config(device) {
        Ok(p) => p,
        Err(_) => {
            return DeviceReport::skipped(
                DeviceId::IdCard,
                "simulated reader (demo): tested on the technician screen of the running demo",
            )
        }
    };
    let mut r = DeviceReport::new(DeviceId::IdCard);
    r.identity.push(("port".into(), port.to_string()));
    if let ReaderPort::Serial { path, .. } = &port {
        if let Some(usb) = usb_of_serial(path) {
            r.identity.push(("USB".into(), usb));
        }
    }
    let log = ProtocolLog::new(Mask::ID_CARD);
    let mut reader = match open_reader_logged(&port, Some(&log)) {
        Ok(reader) => reader,
        Err(e) => {
            r.check(
                "open",
                Outcome::Fail(format!("{e} (is the kiosk running? it holds the port)")),
            );
            return r;
        }
    };
    test_reader(&mut reader, &mut r);
    r.log = log_lines(&log);
    r
}

/// The reader's checks on an open reader (the technician screen runs them on the reader
/// the kiosk holds).
pub fn test_reader<T: std::io::Read + std::io::Write>(
    reader: &mut idcard::IdCardReader<T>,
    r: &mut DeviceReport,
) {
    match reader.sam_status() {
        Ok(()) => r.check("SAM status", Outcome::Pass("90 (ready)".into())),
        Err(e) => r.check("SAM status", Outcome::Fail(e.to_string())),
    }
    match reader.read_sam_id() {
        Ok(id) => r.identity.push(("SAM id".into(), id.to_string())),
        Err(e) => r.check("SAM id", Outcome::Fail(e.to_string())),
    }
    let outcome = match reader.find_card() {
        Ok(false) => Outcome::Skipped("no test card on the reader".into()),
        Ok(true) => match reader.select_card().and_then(|()| reader.read_text_photo()) {
            Ok(card) => Outcome::Pass(format!(
                "{} {} (valid to {})",
                crate::app::masking::name(&card.name),
                card.masked_id(),
                card.valid_to
            )),
            Err(e) => Outcome::Fail(format!("the card did not read: {e}")),
        },
        Err(e) => Outcome::Fail(e.to_string()),
    };
    r.check("test card", outcome);
}

/// The receipt printer's link from the configuration.
pub fn printer_link(config: &Config) -> Option<crate::devices::printer_manager::PrinterLink> {
    use crate::devices::printer_manager::PrinterLink;
    match &config.devices.printer_link {
        Some(link) => PrinterLink::from_config(link),
        None => match &config.devices.printer {
            SerialDevice::Serial { path, baud } => Some(PrinterLink::Serial {
                path: path.clone(),
                baud: *baud,
            }),
            SerialDevice::Simulated => None,
        },
    }
}

/// The four status bytes as a technician reads them.
pub fn status_bits(s: &printer::status::PrinterStatus) -> String {
    let b = s.to_bytes();
    let flag = |on: bool, name: &str| {
        if on {
            format!(" {name}")
        } else {
            String::new()
        }
    };
    format!(
        "DLE EOT 1-4 = {:02X} {:02X} {:02X} {:02X}:{}{}{}{}{}{}",
        b[0],
        b[1],
        b[2],
        b[3],
        if s.online { " online" } else { " OFFLINE" },
        flag(s.cover_open, "cover-open"),
        flag(s.paper_near_end, "paper-near-end"),
        flag(s.paper_out, "paper-out"),
        flag(s.cutter_error, "cutter-error"),
        flag(s.unrecoverable_error, "unrecoverable-error"),
    )
}

/// The receipt printer's test page: the time and its status bits, printed.
pub fn receipt_test_page(status: &str) -> Vec<u8> {
    let now = crate::clock::hall_now();
    printer::escpos::EscPosBuilder::new()
        .init()
        .align(printer::escpos::Align::Center)
        .bold(true)
        .line("技术员测试页 TEST PAGE")
        .bold(false)
        .line(&now.format("%Y-%m-%d %H:%M:%S").to_string())
        .align(printer::escpos::Align::Left)
        .line(status)
        .line("中文 GB18030 ABC abc 0123456789")
        .feed(3)
        .cut(true)
        .build()
}

/// The receipt printer: its status bits, and a test page when asked.
pub fn receipt_printer(config: &Config, options: TestOptions) -> DeviceReport {
    let Some(link) = printer_link(config) else {
        return DeviceReport::skipped(DeviceId::Printer, "simulated printer (demo)");
    };
    let mut r = DeviceReport::new(DeviceId::Printer);
    r.identity.push(("link".into(), link.to_string()));
    if let crate::devices::printer_manager::PrinterLink::Serial { path, .. } = &link {
        if let Some(usb) = usb_of_serial(path) {
            r.identity.push(("USB".into(), usb));
        }
    }
    let log = ProtocolLog::new(Mask::RECEIPT_PRINTER);
    let mut port = match crate::devices::printer_manager::open(&link, &log) {
        Ok(p) => p,
        Err(e) => {
            r.check(
                "open",
                Outcome::Fail(format!("{e} (is the kiosk running? it holds the port)")),
            );
            return r;
        }
    };
    match port.status() {
        Ok(s) => {
            let bits = status_bits(&s);
            match s.blocking_error() {
                None => r.check("status", Outcome::Pass(bits.clone())),
                Some(e) => r.check("status", Outcome::Fail(format!("{e}: {bits}"))),
            }
            if options.test_pages {
                match port.print(&receipt_test_page(&bits)) {
                    Ok(()) => r.check("test page", Outcome::Pass("printed".into())),
                    Err(e) => r.check("test page", Outcome::Fail(e.to_string())),
                }
            }
        }
        Err(e) => r.check("status", Outcome::Fail(e.to_string())),
    }
    r.log = log_lines(&log);
    r
}

/// Masks a scanned test code for the screen: runs of 10 or more digits (an ID number, a
/// phone) keep their first 6 and last 4; the rest is shown as scanned.
pub fn masked_code(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.chars().count() >= 10 {
            let n = digits.len();
            out.push_str(&digits[..6]);
            out.push_str(&"*".repeat(n.saturating_sub(10)));
            out.push_str(&digits[n - 4..]);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || ((c == 'X' || c == 'x') && digits.len() == 17) {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// The code scanner: opened, and the next scan within `wait` shown (masked).
pub fn code_scanner(config: &Config, wait: Option<Duration>) -> DeviceReport {
    use crate::devices::scanner_manager::{line_config, open, CodeScannerPort};
    let Some(dev) = &config.devices.code_scanner else {
        return DeviceReport::skipped(DeviceId::CodeScanner, "none configured");
    };
    let Some(port) = CodeScannerPort::from_config(dev) else {
        return DeviceReport::skipped(DeviceId::CodeScanner, "simulated scanner (demo)");
    };
    let mut r = DeviceReport::new(DeviceId::CodeScanner);
    r.identity.push(("port".into(), port.to_string()));
    if let CodeScannerPort::Serial { path, .. } = &port {
        if let Some(usb) = usb_of_serial(path) {
            r.identity.push(("USB".into(), usb));
        }
    }
    let mut scanner = match open(&port, &line_config(dev)) {
        Ok(s) => {
            r.check("open", Outcome::Pass("opened".into()));
            s
        }
        Err(e) => {
            r.check(
                "open",
                Outcome::Fail(format!("{e} (is the kiosk running? it holds the port)")),
            );
            return r;
        }
    };
    let Some(wait) = wait else {
        return r;
    };
    let log = ProtocolLog::new(Mask::CODE_SCANNER);
    let deadline = Instant::now() + wait;
    let outcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break Outcome::Fail(format!(
                "no code scanned in {} s: scan the test code",
                wait.as_secs()
            ));
        }
        match scanner.read_scan(left.min(Duration::from_millis(250))) {
            Ok(None) => {}
            Ok(Some(scan)) => {
                log.record(super::protocol_log::Flow::Received, scan.text.as_bytes());
                break Outcome::Pass(format!(
                    "{:?} ({} bytes)",
                    masked_code(&scan.text),
                    scan.text.len()
                ));
            }
            Err(e) if !e.needs_reopen() => break Outcome::Fail(format!("a bad scan: {e}")),
            Err(e) => break Outcome::Fail(e.to_string()),
        }
    };
    r.check("test code", outcome);
    r.log = log_lines(&log);
    r
}

/// The document scanner: a test scan when asked (its picture is handed back for the
/// screen); otherwise only that `scanimage` lists the device.
pub fn doc_scanner(
    config: &Config,
    test_scan: bool,
) -> (DeviceReport, Option<scanner::sane::ScannedImage>) {
    let Some(dev) = &config.devices.doc_scanner else {
        return (
            DeviceReport::skipped(DeviceId::DocScanner, "none configured"),
            None,
        );
    };
    let DocScannerDevice::Sane { .. } = dev else {
        return (
            DeviceReport::skipped(DeviceId::DocScanner, "simulated scanner (demo)"),
            None,
        );
    };
    let Some(sane) = crate::devices::doc_scanner::sane_config(dev) else {
        return (
            DeviceReport::skipped(DeviceId::DocScanner, "simulated scanner (demo)"),
            None,
        );
    };
    let mut r = DeviceReport::new(DeviceId::DocScanner);
    r.identity.push(("SANE device".into(), sane.device.clone()));
    let scanner = scanner::sane::DocScanner::new(sane);
    match scanner.list_devices() {
        Ok(list) => {
            let name = &scanner.config().device;
            match list.iter().find(|d| &d.name == name) {
                Some(d) => {
                    r.identity.push(("model".into(), d.description.clone()));
                    r.check("listed", Outcome::Pass("scanimage -L lists it".into()));
                }
                // Some backends (the test backend among them) are not listed but scan.
                None => r.check(
                    "listed",
                    Outcome::Skipped(format!("scanimage -L does not list {name}")),
                ),
            }
        }
        Err(e) => r.check("listed", Outcome::Fail(e.to_string())),
    }
    if !test_scan {
        return (r, None);
    }
    let t = Instant::now();
    match scanner.scan() {
        Ok(image) => {
            r.check(
                "test scan",
                Outcome::Pass(scan_summary(&image, t.elapsed())),
            );
            (r, Some(image))
        }
        Err(e) => {
            r.check("test scan", Outcome::Fail(e.to_string()));
            (r, None)
        }
    }
}

/// A test scan in a technician's words: its size, resolution and time.
pub fn scan_summary(image: &scanner::sane::ScannedImage, took: std::time::Duration) -> String {
    format!(
        "{}×{} px at {} dpi in {:.1} s",
        image.width,
        image.height,
        image.dpi,
        took.as_secs_f64()
    )
}

/// Side of the blocks a test scan is shown in, mm: the glass's light, the lid, streaks and a
/// skewed sheet show; the text of a card or page left on the glass does not (a card's
/// digits are about 2.5 mm high, its characters about 4 mm).
pub const TEST_SCAN_BLOCK_MM: f64 = 1.5;

/// A test scan as the technician screen shows it: every block of [`TEST_SCAN_BLOCK_MM`]
/// averaged into one pixel, so nothing a citizen left on the glass can be read from it.
pub fn coarse_scan(image: &scanner::sane::ScannedImage) -> crate::diag::console::TestScan {
    let block = ((TEST_SCAN_BLOCK_MM * f64::from(image.dpi.max(1)) / 25.4).round() as u32).max(1);
    coarse(image.width, image.height, &image.rgb, block)
}

fn coarse(width: u32, height: u32, rgb: &[u8], block: u32) -> crate::diag::console::TestScan {
    let (w, h) = (width.div_ceil(block), height.div_ceil(block));
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    for by in 0..h {
        for bx in 0..w {
            let mut sum = [0u64; 3];
            let mut n = 0u64;
            for y in by * block..((by + 1) * block).min(height) {
                for x in bx * block..((bx + 1) * block).min(width) {
                    let i = ((y * width + x) * 3) as usize;
                    if let Some(px) = rgb.get(i..i + 3) {
                        for c in 0..3 {
                            sum[c] += u64::from(px[c]);
                        }
                        n += 1;
                    }
                }
            }
            for c in sum {
                out.push((c / n.max(1)) as u8);
            }
        }
    }
    crate::diag::console::TestScan {
        width: w,
        height: h,
        rgb: out,
    }
}

/// The A4 test page: a title, the time and the printer's state, in Chinese and English.
pub fn a4_test_page(state: &str) -> Result<Vec<u8>, crate::documents::DocumentError> {
    let page = crate::documents::pdf::A4Page::new("Test page", crate::assets::A4_FONT)?;
    page.text_centered("技术员测试页 Technician test page", 20.0, 40.0);
    let now = crate::clock::hall_now();
    page.text_centered(&now.format("%Y-%m-%d %H:%M:%S").to_string(), 12.0, 52.0);
    page.text(state, 10.0, 25.0, 70.0);
    page.frame(20.0, 80.0, 170.0, 100.0, 1.0);
    page.text_centered(
        "边框内应为 170 × 100 mm  The frame is 170 × 100 mm",
        11.0,
        195.0,
    );
    page.finish()
}

/// The A4 printer: its IPP state (`printer-state`, reasons), and a test page when asked.
pub fn a4_printer(config: &Config, test_page: bool) -> DeviceReport {
    let Some(a4) = &config.devices.a4_printer else {
        return DeviceReport::skipped(DeviceId::A4Printer, "none configured");
    };
    let mut r = DeviceReport::new(DeviceId::A4Printer);
    r.identity.push(("IPP".into(), a4.uri.clone()));
    let timeout = Duration::from_secs(10);
    let ipp = match printer::ipp::IppPrinter::new(&a4.uri, timeout) {
        Ok(p) => p,
        Err(e) => {
            r.check("IPP", Outcome::Fail(e.to_string()));
            return r;
        }
    };
    let state = match ipp.status() {
        Ok(s) => {
            let text = format!(
                "printer-state {:?}, reasons [{}], accepting jobs: {}",
                s.state,
                s.reasons.join(", "),
                s.accepting
            );
            match s.blocker() {
                None => r.check("IPP state", Outcome::Pass(text.clone())),
                Some(b) => r.check("IPP state", Outcome::Fail(format!("{b:?}: {text}"))),
            }
            text
        }
        Err(e) => {
            r.check("IPP state", Outcome::Fail(e.to_string()));
            return r;
        }
    };
    if test_page {
        let outcome = match a4_test_page(&state) {
            Ok(pdf) => match ipp.print_pdf(
                &pdf,
                "technician test page",
                Duration::from_secs(a4.job_timeout_secs),
            ) {
                Ok(_) => Outcome::Pass("printed".into()),
                Err(e) => Outcome::Fail(e.to_string()),
            },
            Err(e) => Outcome::Fail(e.to_string()),
        };
        r.check("test page", outcome);
    }
    r
}

#[cfg(test)]
mod coarse_tests {
    use super::*;

    #[test]
    fn a_test_scan_is_shown_in_blocks_that_hide_fine_detail() {
        // 300 dpi: 1.5 mm is 18 px. A 36×20 image, black text strokes one pixel wide on
        // white, comes out as 2×2 blocks of light grey: the strokes are gone.
        let (w, h) = (36u32, 20u32);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        for y in 0..h {
            for x in (0..w).step_by(4) {
                let i = ((y * w + x) * 3) as usize;
                rgb[i..i + 3].copy_from_slice(&[0, 0, 0]);
            }
        }
        let image = scanner::sane::ScannedImage {
            width: w,
            height: h,
            rgb,
            dpi: 300,
        };
        let shown = coarse_scan(&image);
        assert_eq!((shown.width, shown.height), (2, 2));
        assert_eq!(shown.rgb.len(), 12);
        // Every block mixes strokes and paper: no pixel is black or white any more.
        assert!(
            shown.rgb.iter().all(|&v| v > 150 && v < 255),
            "{:?}",
            shown.rgb
        );
        // The bottom row's blocks are 2 px high (20 = 18 + 2): still averaged, not dropped.
        assert_eq!(shown.rgb[6..9], shown.rgb[0..3]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_digit_runs_are_masked_in_scanned_codes() {
        assert_eq!(masked_code("11010119900307777X"), "110101********777X");
        assert_eq!(masked_code("SB-20261124-000042"), "SB-20261124-000042");
        assert_eq!(masked_code("tel 13812345678"), "tel 138123*5678");
    }

    #[test]
    fn a_test_card_on_the_simulated_reader_reads_masked() {
        let sim = idcard::sim::SimReader::spawn().unwrap();
        let card = idcard::sim::sample_cards().remove(0);
        sim.place_card(card.clone());
        let device = IdCardDevice::Serial {
            path: sim.port_path(),
            baud: 115_200,
            wlt_library: None,
        };
        let report = idcard(&device);
        let text = report.text();
        assert!(!report.failed(), "{text}");
        assert!(text.contains("SAM id:"), "{text}");
        assert!(text.contains(&card.masked_id()), "{text}");
        assert!(!text.contains(&card.id_number), "{text}");
        assert!(!text.contains(&card.name), "{text}");
        assert!(text.contains("AA AA AA 96 69"), "{text}");
    }
}
