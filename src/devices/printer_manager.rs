//! The receipt-printer thread: takes jobs from a channel, answers each with the printer's
//! verdict. A job is reported printed only when the printer said so.
//!
//! - Transports: serial, TCP 9100, USB (VID:PID) and a device file such as `/dev/usb/lp0`
//!   ([`PrinterLink`]).
//! - Status (`DLE EOT 1..=4`) is read before each job (by [`printer::ReceiptPrinter::print`])
//!   and every [`PrinterOptions::idle_poll`] when idle, so staff see cover open, paper out or
//!   offline before a citizen is refused.
//! - Paper: [`printer::paper::PaperMeter`] counts mm used since the last restock.
//! - Paper out mid-job: the caller hears [`PrintFault::PaperOut`] (the citizen is told where to
//!   get help) and the job is kept; once the printer has paper again (staff restock, or the
//!   status shows paper back) it is printed again from the start.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use printer::paper::PaperMeter;
use printer::virtual_printer::{parse_all, Element};
use printer::{PrinterError, PrinterStatus, ReceiptPrinter};

use super::health::{DeviceId, DeviceState, HealthBoard, Watch};
use crate::config::PrinterLinkConfig;

/// Why a job did not print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintFault {
    /// Out of paper (before or during the job; a job cut short is kept and reprinted after
    /// the restock).
    #[error("paper out")]
    PaperOut,
    /// Cover open, offline, cutter error, unplugged, no answer.
    #[error("printer fault: {0}")]
    Device(String),
}

/// How the receipt printer is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterLink {
    /// A serial port (or a USB-serial adapter): text and the printer's own QR command only.
    Serial {
        /// `/dev/ttyUSB0`, `/dev/serial/by-id/…`.
        path: PathBuf,
        /// Baud rate.
        baud: u32,
    },
    /// A network printer's raw port: `host:port`, or a host alone for port 9100.
    Tcp {
        /// Address.
        addr: String,
    },
    /// A USB printer-class device, through libusb.
    Usb {
        /// Vendor id.
        vid: u16,
        /// Product id.
        pid: u16,
    },
    /// A device file such as `/dev/usb/lp0`.
    DeviceFile {
        /// Path.
        path: PathBuf,
    },
}

impl PrinterLink {
    /// The link a configured printer is on; `None` when a USB id is not 4 hex digits.
    pub fn from_config(config: &PrinterLinkConfig) -> Option<PrinterLink> {
        Some(match config {
            PrinterLinkConfig::Tcp { addr } => PrinterLink::Tcp { addr: addr.clone() },
            PrinterLinkConfig::Usb { vid, pid } => PrinterLink::Usb {
                vid: u16::from_str_radix(vid.trim_start_matches("0x"), 16).ok()?,
                pid: u16::from_str_radix(pid.trim_start_matches("0x"), 16).ok()?,
            },
            PrinterLinkConfig::Device { path } => PrinterLink::DeviceFile { path: path.clone() },
        })
    }
}

impl std::fmt::Display for PrinterLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrinterLink::Serial { path, baud } => write!(f, "serial {} @{baud}", path.display()),
            PrinterLink::Tcp { addr } => write!(f, "tcp {addr}"),
            PrinterLink::Usb { vid, pid } => write!(f, "usb {vid:04x}:{pid:04x}"),
            PrinterLink::DeviceFile { path } => write!(f, "device {}", path.display()),
        }
    }
}

/// Largest raster (bytes of `GS v 0` data) sent over a serial line: at 115200 baud a
/// full-width bitmap crawls out at ~20 mm/s, so a job carrying more is refused rather than
/// keep a citizen waiting. Layouts send text and `GS ( k` QR codes instead.
pub const SERIAL_RASTER_LIMIT: usize = 8 * 1024;

/// Tuning of the printer thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrinterOptions {
    /// Status poll interval while no job comes.
    pub idle_poll: Duration,
    /// Length of a full roll (mm), for the paper estimate.
    pub roll_mm: f32,
}

impl Default for PrinterOptions {
    fn default() -> Self {
        PrinterOptions {
            idle_poll: Duration::from_secs(5),
            roll_mm: printer::paper::DEFAULT_ROLL_MM,
        }
    }
}

/// The printer's health on the board: unknown before anything is known.
fn board_health(st: &PrinterState) -> DeviceState {
    let Some(s) = st.status else {
        // No status yet: a printed job says it works; else no answer yet, or it stopped
        // answering after having been polled.
        return if st.answering {
            DeviceState::Ok
        } else if st.idle_polls > 0 || st.printed > 0 {
            DeviceState::fault("not answering")
        } else {
            DeviceState::Unknown
        };
    };
    let fault = [
        (s.unrecoverable_error, "unrecoverable error"),
        (s.cutter_error, "cutter error"),
        (s.cover_open, "cover open"),
        (s.paper_out, "paper out"),
        (!s.online, "offline"),
    ]
    .into_iter()
    .find(|(on, _)| *on)
    .map(|(_, why)| why);
    match fault {
        Some(why) => DeviceState::fault(why),
        None if st.job_held => DeviceState::fault("job held for a reprint"),
        None if s.paper_near_end => DeviceState::warn("paper near end"),
        None => DeviceState::Ok,
    }
}

/// What staff and technicians see of the printer.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterState {
    /// The last status read; `None` until the first answer, or after the printer stopped
    /// answering.
    pub status: Option<PrinterStatus>,
    /// Paper used since the last restock.
    pub paper: PaperMeter,
    /// A job cut short by paper out waits for a reprint.
    pub job_held: bool,
    /// Jobs printed (confirmed by the printer) since start, reprints included.
    pub printed: u64,
    /// Held jobs printed again after a restock, since start.
    pub reprinted: u64,
    /// Status polls made while idle, since start.
    pub idle_polls: u64,
    /// The printer answered the last thing asked of it (a status poll or a job). A job
    /// printed before the first idle poll proves it answers, though no status is kept yet.
    pub answering: bool,
}

enum Command {
    Job {
        bytes: Vec<u8>,
        reply: Sender<Result<(), PrintFault>>,
    },
    Restock,
    /// Restock only when the printer itself reports paper (staff's "paper restocked").
    RestockChecked {
        reply: Sender<Result<(), String>>,
    },
    Reconnect,
}

/// Sends jobs to the printer thread. Cheap to clone.
#[derive(Clone)]
pub struct PrinterHandle {
    commands: Sender<Command>,
    state: Arc<Mutex<PrinterState>>,
}

impl PrinterHandle {
    /// Prints and waits for the verdict. Call from a worker thread, never the UI thread.
    pub fn print(&self, bytes: Vec<u8>) -> Result<(), PrintFault> {
        let (reply, answer) = mpsc::channel();
        self.commands
            .send(Command::Job { bytes, reply })
            .map_err(|_| PrintFault::Device("printer thread stopped".into()))?;
        answer
            .recv()
            .map_err(|_| PrintFault::Device("printer thread stopped".into()))?
    }

    /// Staff loaded a new roll: reset the paper count and print any held job again.
    pub fn restock(&self) {
        let _ = self.commands.send(Command::Restock);
    }

    /// Staff asked to reset the printer: close its port and open it again.
    pub fn reconnect(&self) {
        let _ = self.commands.send(Command::Reconnect);
    }

    /// Staff say they loaded paper: the printer is asked first, and only when it reports
    /// paper (no paper-out, no cover open) is the paper counter reset and a held job printed
    /// again. `Err` says what the printer reports instead. Call from a worker thread.
    pub fn restock_when_loaded(&self) -> Result<(), String> {
        let (reply, answer) = mpsc::channel();
        self.commands
            .send(Command::RestockChecked { reply })
            .map_err(|_| "printer thread stopped".to_string())?;
        answer
            .recv()
            .map_err(|_| "printer thread stopped".to_string())?
    }

    /// Staff's reset order: close the port and open it again.
    pub fn reset_order(&self) -> super::reset::ResetOrder {
        let me = self.clone();
        Arc::new(move || {
            me.reconnect();
            Ok(())
        })
    }

    /// The printer as last seen.
    pub fn state(&self) -> PrinterState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The printer thread; stops when every handle is dropped.
pub struct PrinterManager {
    thread: Option<JoinHandle<()>>,
    life: crate::worker::Life,
    /// The printer's place on the health board, left when the manager is dropped.
    _health: Watch,
}

impl PrinterManager {
    /// Whether its thread still runs (the service manager's watchdog asks).
    pub fn life(&self) -> crate::worker::Life {
        self.life.clone()
    }
    /// Starts the thread for the printer on `link`; its state goes on `health`, which staff
    /// and the heartbeat read.
    pub fn spawn_link(
        link: PrinterLink,
        options: PrinterOptions,
        health: &Arc<HealthBoard>,
    ) -> (Self, PrinterHandle) {
        let (tx, rx) = mpsc::channel();
        let state = Arc::new(Mutex::new(PrinterState {
            status: None,
            paper: PaperMeter::new(options.roll_mm),
            job_held: false,
            printed: 0,
            reprinted: 0,
            idle_polls: 0,
            answering: false,
        }));
        // The board reads the state the thread keeps anyway (a `Weak`: the thread may
        // outlive the manager while handles remain).
        let weak = Arc::downgrade(&state);
        let watch = health.watch(DeviceId::Printer, move || match weak.upgrade() {
            Some(state) => board_health(&state.lock().unwrap_or_else(|e| e.into_inner())),
            None => DeviceState::Unknown,
        });
        let worker = Worker {
            new_roll_counted: false,
            link,
            options,
            port: None,
            held: None,
            state: Arc::clone(&state),
            log: health.protocol_log(DeviceId::Printer),
        };
        let (life, guard) = crate::worker::Life::start();
        let thread = std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || {
                let _life = guard;
                worker.run(rx)
            })
            .expect("spawn printer thread");
        (
            Self {
                thread: Some(thread),
                life,
                _health: watch,
            },
            PrinterHandle {
                commands: tx,
                state,
            },
        )
    }
}

impl Drop for PrinterManager {
    fn drop(&mut self) {
        // The thread ends when the last handle is gone; do not wait on handles still held
        // elsewhere.
        if let Some(t) = self.thread.take() {
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// Any transport the driver can use.
pub(crate) trait Transport: std::io::Read + std::io::Write + Send {}
impl<T: std::io::Read + std::io::Write + Send> Transport for T {}

/// The driver on whichever transport the link is.
pub(crate) type Port = ReceiptPrinter<Box<dyn Transport>>;

/// Opens the printer on `link`, its exchanges recorded (masked) on `log`; the technicians'
/// checks open it the same way.
pub(crate) fn open(
    link: &PrinterLink,
    log: &crate::diag::protocol_log::ProtocolLog,
) -> Result<Port, PrinterError> {
    let port = open_untapped(link)?;
    let tapped = crate::diag::protocol_log::TappedPort::new(port.release(), log.clone());
    Ok(ReceiptPrinter::new(Box::new(tapped)))
}

fn open_untapped(link: &PrinterLink) -> Result<Port, PrinterError> {
    Ok(match link {
        PrinterLink::Serial { path, baud } => {
            ReceiptPrinter::new(Box::new(printer::open_serial(path, *baud)?.release()))
        }
        PrinterLink::Tcp { addr } => {
            ReceiptPrinter::new(Box::new(printer::open_tcp(addr)?.release()))
        }
        PrinterLink::Usb { vid, pid } => {
            ReceiptPrinter::new(Box::new(printer::open_usb(*vid, *pid)?.release()))
        }
        PrinterLink::DeviceFile { path } => {
            ReceiptPrinter::new(Box::new(printer::open_device_file(path)?.release()))
        }
    })
}

/// Bytes of raster image data in a job.
fn raster_bytes(job: &[u8]) -> usize {
    parse_all(job)
        .iter()
        .flat_map(|r| &r.elements)
        .map(|e| match e {
            Element::Raster { bits, .. } => bits.len(),
            _ => 0,
        })
        .sum()
}

struct Worker {
    link: PrinterLink,
    options: PrinterOptions,
    port: Option<Port>,
    /// A job cut short by paper out, to print again from the start.
    held: Option<Vec<u8>>,
    /// The roll was changed without staff: the printer showed paper again after a paper-out
    /// and the held job printed on the new roll (its meter reset first). Staff's restock
    /// that follows confirms that roll and keeps the reprint counted, unless another job
    /// printed in between.
    new_roll_counted: bool,
    state: Arc<Mutex<PrinterState>>,
    /// The printer's raw protocol log (technicians), fed by the tapped port.
    log: crate::diag::protocol_log::ProtocolLog,
}

impl Worker {
    fn state(&self) -> std::sync::MutexGuard<'_, PrinterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(mut self, commands: Receiver<Command>) {
        loop {
            match commands.recv_timeout(self.options.idle_poll) {
                Ok(Command::Job { bytes, reply }) => {
                    self.new_roll_counted = false;
                    let result = self.job(bytes);
                    let _ = reply.send(result);
                }
                Ok(Command::Restock) => {
                    self.restock();
                    self.retry_held();
                }
                Ok(Command::RestockChecked { reply }) => {
                    // Ask the printer now, not the last idle poll: the roll was just loaded.
                    let status = self.port().and_then(|p| p.status());
                    let verdict = match status {
                        Ok(s) => match s.blocking_error() {
                            None => {
                                self.state().status = Some(s);
                                self.restock();
                                self.retry_held();
                                Ok(())
                            }
                            Some(e) => {
                                self.state().status = Some(s);
                                Err(e.to_string())
                            }
                        },
                        Err(e) => {
                            self.port = None;
                            Err(format!("the printer does not answer: {e}"))
                        }
                    };
                    let _ = reply.send(verdict);
                }
                Ok(Command::Reconnect) => {
                    tracing::info!(device = "printer", link = %self.link, "port reopened by staff");
                    self.port = None;
                    self.idle_poll();
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.idle_poll();
                    // Paper back without staff's restock: a new roll went in.
                    if self.held.is_some() && self.retry_held() {
                        self.new_roll_counted = true;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
    }

    fn port(&mut self) -> Result<&mut Port, PrinterError> {
        if self.port.is_none() {
            self.port = Some(open(&self.link, &self.log)?);
        }
        // Just set above when it was empty.
        self.port
            .as_mut()
            .ok_or_else(|| PrinterError::Io(std::io::Error::other("no port")))
    }

    fn idle_poll(&mut self) {
        let status = self.port().and_then(|p| p.status());
        let mut st = self.state();
        st.idle_polls += 1;
        match status {
            Ok(s) => {
                if st.status != Some(s) {
                    tracing::info!(device = "printer", status = ?s, "printer status changed");
                }
                st.status = Some(s);
                st.answering = true;
            }
            Err(e) => {
                st.answering = false;
                if st.status.is_some() {
                    tracing::warn!(device = "printer", link = %self.link, "printer not answering: {e}");
                }
                st.status = None;
                drop(st);
                self.port = None;
            }
        }
    }

    /// Staff loaded a new roll: the meter starts again, unless it already started with the
    /// roll whose paper came back (see `new_roll_counted`).
    fn restock(&mut self) {
        if std::mem::take(&mut self.new_roll_counted) {
            tracing::info!(
                device = "printer",
                "paper restocked (the roll already counted)"
            );
            return;
        }
        self.state().paper.restock();
        tracing::info!(device = "printer", "paper restocked");
    }

    /// Prints the held job again once the printer reports paper and no other fault; true
    /// when it printed. Called by the idle poll, the paper came back without staff: the
    /// meter starts with the new roll before the reprint.
    fn retry_held(&mut self) -> bool {
        let Some(job) = self.held.take() else {
            return false;
        };
        let ready = self
            .port()
            .and_then(|p| p.status())
            .map(|s| s.blocking_error().is_none());
        if !matches!(ready, Ok(true)) {
            self.held = Some(job);
            return false;
        }
        if !self.new_roll_counted {
            // Staff's restock reset the meter just before, or the idle poll found paper:
            // either way the reprint is the first thing on this roll.
            self.state().paper.restock();
        }
        match self.send(&job) {
            Ok(()) => {
                tracing::info!(device = "printer", "held job printed again after restock");
                let mut st = self.state();
                st.reprinted += 1;
                st.job_held = false;
                true
            }
            Err(_) => {
                // `send` kept it again if the paper ran out once more; any other fault keeps
                // it too: a citizen was promised this paper.
                if self.held.is_none() {
                    self.held = Some(job);
                }
                false
            }
        }
    }

    fn job(&mut self, bytes: Vec<u8>) -> Result<(), PrintFault> {
        if matches!(self.link, PrinterLink::Serial { .. })
            && raster_bytes(&bytes) > SERIAL_RASTER_LIMIT
        {
            return Err(PrintFault::Device(
                "job carries a bitmap too large for a serial printer".into(),
            ));
        }
        self.send(&bytes)
    }

    /// Sends one job and books the outcome: paper used, status, held job.
    fn send(&mut self, bytes: &[u8]) -> Result<(), PrintFault> {
        let result = match self.port() {
            Ok(p) => p.print(bytes),
            Err(e) => Err(e),
        };
        let sent = matches!(
            result,
            Ok(()) | Err(PrinterError::PaperOutDuringJob) | Err(PrinterError::CutterError)
        );
        {
            let mut st = self.state();
            if sent {
                st.paper.add_job(bytes);
            }
            if result.is_ok() {
                st.printed += 1;
            }
            // Any printer's answer (a paper-out refusal too) says it is there; a broken link
            // says it is not.
            st.answering = !matches!(
                result,
                Err(PrinterError::Io(_))
                    | Err(PrinterError::Timeout)
                    | Err(PrinterError::BadStatusByte(_))
            );
        }
        match result {
            Ok(()) => Ok(()),
            Err(PrinterError::PaperOutDuringJob) => {
                tracing::warn!(
                    device = "printer",
                    "paper ran out during a job; job kept for a reprint"
                );
                self.held = Some(bytes.to_vec());
                let mut st = self.state();
                st.job_held = true;
                if let Some(s) = st.status.as_mut() {
                    s.paper_out = true;
                }
                Err(PrintFault::PaperOut)
            }
            Err(PrinterError::PaperOut) => {
                tracing::warn!(device = "printer", "job refused: paper out");
                Err(PrintFault::PaperOut)
            }
            Err(other) => {
                tracing::error!(device = "printer", link = %self.link, "job failed: {other}");
                if matches!(
                    other,
                    PrinterError::Io(_) | PrinterError::Timeout | PrinterError::BadStatusByte(_)
                ) {
                    // Reopen for the next job: the fault may have been a pulled cable.
                    self.port = None;
                }
                Err(PrintFault::Device(other.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> PrinterState {
        PrinterState {
            status: None,
            paper: PaperMeter::new(printer::paper::DEFAULT_ROLL_MM),
            job_held: false,
            printed: 0,
            reprinted: 0,
            idle_polls: 0,
            answering: false,
        }
    }

    #[test]
    fn a_job_printed_before_the_first_poll_is_a_working_printer_and_a_failed_poll_is_not() {
        let mut st = fresh();
        assert_eq!(board_health(&st), DeviceState::Unknown);
        // The first ticket went out before the idle poll: the menu must not grey the tile.
        st.printed = 1;
        st.answering = true;
        assert_eq!(board_health(&st), DeviceState::Ok);
        st.idle_polls = 1;
        st.answering = false;
        assert!(matches!(board_health(&st), DeviceState::Fault { .. }));
    }

    #[test]
    fn raster_bytes_counts_images_only() {
        let job = printer::EscPosBuilder::new()
            .line("A")
            .raster(16, 4, &[0xFF; 8])
            .qr("x", 4)
            .cut(true)
            .build();
        assert_eq!(raster_bytes(&job), 8);
    }

    #[test]
    fn serial_refuses_a_big_bitmap_before_opening_the_port() {
        let board = HealthBoard::new();
        let (_m, h) = PrinterManager::spawn_link(
            PrinterLink::Serial {
                path: PathBuf::from("/nonexistent/tty"),
                baud: 115_200,
            },
            PrinterOptions::default(),
            &board,
        );
        // A full-width 576 x 200 dot image: 14 400 bytes of raster.
        let job = printer::EscPosBuilder::new()
            .raster(576, 200, &[0xAA; 14_400])
            .cut(true)
            .build();
        match h.print(job) {
            Err(PrintFault::Device(msg)) => assert!(msg.contains("bitmap"), "{msg}"),
            other => panic!("{other:?}"),
        }
        // A text job gets as far as opening the (missing) port.
        match h.print(printer::EscPosBuilder::new().line("A").cut(true).build()) {
            Err(PrintFault::Device(msg)) => assert!(!msg.contains("bitmap"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_example_configs_usb_link_becomes_a_usb_printer() {
        let text = include_str!("../../kiosk.example.toml").replace(
            "# [devices.printer_link]\n# kind = \"usb\"\n# vid = \"0416\"\n# pid = \"5011\"",
            "[devices.printer_link]\nkind = \"usb\"\nvid = \"0416\"\npid = \"5011\"",
        );
        let cfg = crate::config::Config::parse(&text).expect("parses with a USB link");
        let link = PrinterLink::from_config(&cfg.devices.printer_link.expect("link"));
        assert_eq!(
            link,
            Some(PrinterLink::Usb {
                vid: 0x0416,
                pid: 0x5011
            })
        );
        let bad = PrinterLinkConfig::Usb {
            vid: "04x6".into(),
            pid: "5011".into(),
        };
        assert_eq!(PrinterLink::from_config(&bad), None);
    }

    #[test]
    fn link_display_has_no_secrets() {
        assert_eq!(
            PrinterLink::Usb {
                vid: 0x0416,
                pid: 0x5011
            }
            .to_string(),
            "usb 0416:5011"
        );
    }
}
