//! The receipt-printer thread: takes jobs from a channel, answers each with the printer's
//! verdict. A job is reported printed only when the printer said so.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

/// Why a job did not print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintFault {
    /// Out of paper (before or during the job).
    #[error("paper out")]
    PaperOut,
    /// Cover open, offline, cutter error, unplugged, no answer.
    #[error("printer fault: {0}")]
    Device(String),
}

struct Job {
    bytes: Vec<u8>,
    reply: Sender<Result<(), PrintFault>>,
}

/// Sends jobs to the printer thread. Cheap to clone.
#[derive(Clone)]
pub struct PrinterHandle {
    jobs: Sender<Job>,
}

impl PrinterHandle {
    /// Prints and waits for the verdict. Call from a worker thread, never the UI thread.
    pub fn print(&self, bytes: Vec<u8>) -> Result<(), PrintFault> {
        let (reply, answer) = mpsc::channel();
        self.jobs
            .send(Job { bytes, reply })
            .map_err(|_| PrintFault::Device("printer thread stopped".into()))?;
        answer
            .recv()
            .map_err(|_| PrintFault::Device("printer thread stopped".into()))?
    }
}

/// The printer thread; stops when every handle is dropped.
pub struct PrinterManager {
    thread: Option<JoinHandle<()>>,
}

impl PrinterManager {
    /// Starts the thread for the printer on `path`.
    pub fn spawn(path: PathBuf, baud: u32) -> (Self, PrinterHandle) {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || run(path, baud, rx))
            .expect("spawn printer thread");
        (
            Self {
                thread: Some(thread),
            },
            PrinterHandle { jobs: tx },
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

fn run(path: PathBuf, baud: u32, jobs: Receiver<Job>) {
    let mut port: Option<printer::ReceiptPrinter<serialport::TTYPort>> = None;
    for job in jobs {
        if port.is_none() {
            match printer::open_serial(&path, baud) {
                Ok(p) => port = Some(p),
                Err(e) => {
                    tracing::error!(device = "printer", port = %path.display(), "cannot open printer: {e}");
                    let _ = job.reply.send(Err(PrintFault::Device(e.to_string())));
                    continue;
                }
            }
        }
        let Some(p) = port.as_mut() else { continue };
        let result = p.print(&job.bytes).map_err(|e| {
            tracing::error!(device = "printer", "job failed: {e}");
            match e {
                printer::PrinterError::PaperOut | printer::PrinterError::PaperOutDuringJob => {
                    PrintFault::PaperOut
                }
                other => PrintFault::Device(other.to_string()),
            }
        });
        if matches!(&result, Err(PrintFault::Device(_))) {
            // Reopen the port for the next job: the fault may have been a pulled cable.
            port = None;
        }
        let _ = job.reply.send(result);
    }
}
