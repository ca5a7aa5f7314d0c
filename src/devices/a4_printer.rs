//! The A4 printer, shared by every service that prints a page (the ID-card copy, certificates,
//! personal documents, statements). Each service's worker holds a clone; all clones are one
//! device on the health board, and a change of its state goes to the store's `device_events`
//! (staff and the heartbeat read them there).
//!
//! Before a job, [`A4Printer::check`] asks the printer for its state (IPP
//! `Get-Printer-Attributes`): a citizen is told "the printer is out of paper" before the kiosk
//! prepares anything, not after a job that would never come out. [`A4Printer::print`] checks
//! again (the state may change in between), sends the PDF and follows the job to its end.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use printer::ipp::{Blocker, IppError, IppPrinter};

use crate::devices::health::{DeviceId, DeviceState, HealthBoard, HealthCell};
use crate::store::Store;

/// Where A4 pages go.
pub enum A4Output {
    /// An IPP printer or CUPS queue.
    Ipp {
        /// The printer.
        printer: IppPrinter,
        /// How long a job may take before it counts as failed.
        job_timeout: Duration,
    },
    /// Demo only: PDFs land in a folder (the simulated A4 printer).
    Folder(PathBuf),
    /// No A4 printer on this kiosk.
    None,
}

/// Why a page cannot be printed. The citizen is told what to do; staff see the device's
/// fault on the health board with the printer's own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum A4Problem {
    /// This kiosk has no A4 printer.
    NoPrinter,
    /// Out of paper.
    PaperOut,
    /// Out of toner or ink.
    TonerOut,
    /// Paper jammed.
    Jam,
    /// A cover, door or tray is open.
    CoverOpen,
    /// The printer cannot be reached, or is stopped, paused, or refuses jobs.
    Offline,
    /// The job failed or did not finish in time.
    JobFailed,
}

impl A4Problem {
    /// Whether staff must come (everything but "no printer", which is how the kiosk is built).
    pub fn needs_staff(self) -> bool {
        self != A4Problem::NoPrinter
    }
}

struct Inner {
    output: A4Output,
    cell: HealthCell,
    db_path: Option<PathBuf>,
    store: Mutex<Option<Store>>,
}

/// The kiosk's A4 printer. Cheap to clone; every clone is the same device.
#[derive(Clone)]
pub struct A4Printer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for A4Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.inner.output {
            A4Output::Ipp { .. } => "ipp",
            A4Output::Folder(_) => "folder",
            A4Output::None => "none",
        };
        write!(f, "A4Printer({kind})")
    }
}

impl A4Printer {
    /// The printer `output`, on `board`; device events go to the store at `db_path` (`None`:
    /// not recorded, for tests).
    pub fn new(output: A4Output, board: &Arc<HealthBoard>, db_path: Option<&Path>) -> Self {
        A4Printer {
            inner: Arc::new(Inner {
                output,
                cell: board.cell(DeviceId::A4Printer),
                db_path: db_path.map(Path::to_path_buf),
                store: Mutex::new(None),
            }),
        }
    }

    /// Whether this kiosk has an A4 printer at all (services that print A4 are not offered
    /// without one).
    pub fn is_present(&self) -> bool {
        !matches!(self.inner.output, A4Output::None)
    }

    /// Staff's reset order: an A4 printer has no port held open (IPP opens a connection per
    /// request, the folder printer a file per page), so a reset asks it afresh at once and
    /// puts the answer on the health board.
    pub fn reset_order(&self) -> super::reset::ResetOrder {
        let me = self.clone();
        Arc::new(move || me.check().map_err(|p| staff_words(p).to_string()))
    }

    /// Whether the printer can take a job now. Asks an IPP printer for its state; reports the
    /// answer to the health board either way.
    pub fn check(&self) -> Result<(), A4Problem> {
        match &self.inner.output {
            A4Output::None => Err(A4Problem::NoPrinter),
            A4Output::Folder(_) => {
                self.ok();
                Ok(())
            }
            A4Output::Ipp { printer, .. } => match printer.status() {
                Ok(status) => match status.blocker() {
                    None => {
                        self.ok();
                        Ok(())
                    }
                    Some(blocker) => {
                        let problem = from_blocker(blocker);
                        self.fault(&format!(
                            "{} ({})",
                            staff_words(problem),
                            status.reasons.join(",")
                        ));
                        Err(problem)
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "A4 printer state");
                    self.fault(&format!("{}: {e}", staff_words(A4Problem::Offline)));
                    Err(A4Problem::Offline)
                }
            },
        }
    }

    /// Prints `pdf` and waits until the page is out (IPP: the job completed). `job_name` is
    /// shown in the printer's queue: a document kind and a case number, never a name.
    pub fn print(&self, pdf: &[u8], job_name: &str) -> Result<(), A4Problem> {
        self.check()?;
        match &self.inner.output {
            A4Output::None => Err(A4Problem::NoPrinter),
            A4Output::Folder(dir) => {
                let name = format!(
                    "{job_name}-{}.pdf",
                    crate::clock::hall_now().format("%Y%m%d-%H%M%S%.3f")
                );
                std::fs::create_dir_all(dir)
                    .and_then(|()| std::fs::write(dir.join(name), pdf))
                    .map_err(|e| {
                        tracing::error!(error = %e, "demo A4 printer folder");
                        self.fault(&format!("demo A4 folder: {e}"));
                        A4Problem::JobFailed
                    })
            }
            A4Output::Ipp {
                printer,
                job_timeout,
            } => match printer.print_pdf(pdf, job_name, *job_timeout) {
                Ok(_) => {
                    self.ok();
                    Ok(())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "A4 printer job");
                    let problem = match &e {
                        IppError::JobFailed { reasons, .. }
                            if reasons.contains("media-empty")
                                || reasons.contains("media-needed") =>
                        {
                            A4Problem::PaperOut
                        }
                        IppError::Exchange(_) => A4Problem::Offline,
                        _ => A4Problem::JobFailed,
                    };
                    self.fault(&format!("{}: {e}", staff_words(problem)));
                    Err(problem)
                }
            },
        }
    }

    /// Asks the printer for its state every `every` on a thread of its own, so that a fault
    /// shows on the board (the tiles grey, staff see it) before a citizen tries, and a fault
    /// fixed by staff (paper loaded) frees the tiles again without anyone printing. Stops
    /// when the returned poller is dropped. Nothing to poll without an IPP printer.
    pub fn start_polling(&self, every: Duration) -> std::io::Result<A4Poller> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = match self.inner.output {
            A4Output::Ipp { .. } => {
                let (me, stop) = (self.clone(), stop.clone());
                Some(
                    std::thread::Builder::new()
                        .name("a4-poll".into())
                        .spawn(move || {
                            while !stop.load(Ordering::SeqCst) {
                                let _ = me.check();
                                crate::devices::sleep_unless_stopped(every, &stop);
                            }
                        })?,
                )
            }
            _ => None,
        };
        Ok(A4Poller { stop, thread })
    }

    fn ok(&self) {
        self.record(DeviceState::Ok);
    }

    fn fault(&self, why: &str) {
        self.record(DeviceState::fault(why));
    }

    fn record(&self, new: DeviceState) {
        if self.inner.cell.set(new.clone()).is_none() {
            // No change: nothing new for the device log.
            return;
        }
        let Some(db_path) = &self.inner.db_path else {
            return;
        };
        let mut store = self.inner.store.lock().unwrap_or_else(|p| p.into_inner());
        if store.is_none() {
            match Store::open(db_path) {
                Ok(s) => *store = Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, "A4 printer: no store for device events");
                    return;
                }
            }
        }
        let (kind, detail) = match new.reason() {
            Some(why) if new.is_fault() => ("fault", why.as_str().to_owned()),
            _ => ("ok", String::new()),
        };
        if let Some(store) = store.as_ref() {
            if let Err(e) = store.record_device_event(
                DeviceId::A4Printer.name(),
                kind,
                &detail,
                chrono::Utc::now(),
            ) {
                tracing::warn!(error = %e, "recording a device event");
            }
        }
    }
}

/// The thread of [`A4Printer::start_polling`]; dropping it stops and joins the thread.
pub struct A4Poller {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl A4Poller {
    /// Whether the polling thread runs (or there is nothing to poll).
    pub fn is_alive(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| !t.is_finished())
    }
}

impl Drop for A4Poller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn from_blocker(b: Blocker) -> A4Problem {
    match b {
        Blocker::PaperOut => A4Problem::PaperOut,
        Blocker::TonerOut => A4Problem::TonerOut,
        Blocker::Jam => A4Problem::Jam,
        Blocker::CoverOpen => A4Problem::CoverOpen,
        Blocker::Stopped => A4Problem::Offline,
    }
}

/// What staff read on the health board (the printer's own reasons follow in brackets).
fn staff_words(p: A4Problem) -> &'static str {
    match p {
        A4Problem::NoPrinter => "no A4 printer",
        A4Problem::PaperOut => "out of paper",
        A4Problem::TonerOut => "out of toner",
        A4Problem::Jam => "paper jam",
        A4Problem::CoverOpen => "cover or tray open",
        A4Problem::Offline => "offline or stopped",
        A4Problem::JobFailed => "job failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_printer_is_not_a_fault_of_the_device() {
        let board = HealthBoard::new();
        let a4 = A4Printer::new(A4Output::None, &board, None);
        assert!(!a4.is_present());
        assert_eq!(a4.check(), Err(A4Problem::NoPrinter));
        assert_eq!(a4.print(b"%PDF-", "x"), Err(A4Problem::NoPrinter));
        assert!(!A4Problem::NoPrinter.needs_staff());
        assert!(!board.state(DeviceId::A4Printer).is_fault());
    }

    #[test]
    fn unreachable_ipp_printer_is_offline_on_the_board() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let board = HealthBoard::new();
        let printer = IppPrinter::new(
            &format!("ipp://127.0.0.1:{port}/ipp/print"),
            Duration::from_secs(5),
        )
        .unwrap();
        let a4 = A4Printer::new(
            A4Output::Ipp {
                printer,
                job_timeout: Duration::from_secs(5),
            },
            &board,
            None,
        );
        let clone = a4.clone();
        assert_eq!(clone.check(), Err(A4Problem::Offline));
        // The poller reads it on its own thread, and stops when dropped.
        let poller = a4.start_polling(Duration::from_millis(20)).unwrap();
        assert!(poller.is_alive());
        drop(poller);
        assert!(board.state(DeviceId::A4Printer).is_fault());
        assert_eq!(a4.print(b"%PDF-", "x"), Err(A4Problem::Offline));
    }

    #[test]
    fn folder_printer_writes_the_job() {
        let dir = tempfile::tempdir().unwrap();
        let board = HealthBoard::new();
        let a4 = A4Printer::new(A4Output::Folder(dir.path().join("a4")), &board, None);
        a4.print(b"%PDF-1.7 test", "certificate").unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("a4"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(files.len(), 1);
        assert!(files[0]
            .file_name()
            .to_string_lossy()
            .starts_with("certificate-"));
    }
}
