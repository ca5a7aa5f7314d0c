//! `SimPrinter`: a virtual receipt printer on a pseudo-terminal (or a TCP socket), for the demo
//! mode and for tests that drive the real driver end to end.
//!
//! Two threads: the I/O thread reads the stream, parses it and answers `DLE EOT` at once from
//! the simulated state; the render thread draws finished receipts and writes PNGs. Keeping
//! rendering off the I/O thread means a status query is never stuck behind glyph rasterising,
//! so the driver's status timeout cannot fire because the simulator was busy drawing.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::parser::{EscPosParser, ParserEvent, Receipt};
use super::render::{encode_png, paper_length_dots, render, FontData, RgbaImage};
use crate::PrinterStatus;

/// How long the I/O thread blocks in one read before it looks at the stop flag again.
const POLL: Duration = Duration::from_millis(50);

/// A receipt the virtual printer has printed.
#[derive(Debug, Clone)]
pub struct PrintedReceipt {
    /// 1 for the first receipt of this simulator, then 2, 3, ...
    pub seq: u64,
    /// What was parsed from the stream.
    pub receipt: Receipt,
    /// The rendered paper (shared: cloning a `PrintedReceipt` does not copy pixels).
    pub image: Arc<RgbaImage>,
    /// `<out_dir>/receipt-<seq>.png`, if an output directory was given and the write worked.
    pub png_path: Option<PathBuf>,
}

impl PrintedReceipt {
    /// The text lines joined with `'\n'`.
    pub fn text(&self) -> String {
        self.receipt.text()
    }

    /// The QR payloads, top to bottom.
    pub fn qr_payloads(&self) -> Vec<String> {
        self.receipt.qr_payloads()
    }
}

/// Faults set from outside; the reported status is derived from them.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    paper_out: bool,
    paper_near_end: bool,
    cover_open: bool,
    offline: bool,
    /// Receipts left on the roll, if a run-out is scheduled.
    receipts_left: Option<usize>,
    /// Paper left on the roll in dots, if a run-out by length is scheduled.
    dots_left: Option<u32>,
}

impl Faults {
    fn status(self) -> PrinterStatus {
        PrinterStatus {
            // Like a real printer: an open cover or an empty roll takes it offline.
            online: !(self.offline || self.cover_open || self.paper_out),
            cover_open: self.cover_open,
            paper_near_end: self.paper_near_end,
            paper_out: self.paper_out,
            cutter_error: false,
            unrecoverable_error: false,
        }
    }
}

/// Callback run on the render thread for each new receipt.
type Callback = Box<dyn Fn(&PrintedReceipt) + Send>;

/// State shared by the handle and the threads.
struct Shared {
    faults: Mutex<Faults>,
    receipts: Mutex<Vec<PrintedReceipt>>,
    /// Notified each time a receipt is added to `receipts`.
    added: Condvar,
    callback: Mutex<Option<Callback>>,
}

/// Locks, recovering from poisoning: a panicking callback must not take the simulator down.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The parsing core shared by the pty and TCP front ends.
struct Core {
    parser: EscPosParser,
    shared: Arc<Shared>,
    to_render: mpsc::Sender<Receipt>,
}

impl Core {
    /// Handles received bytes; returns the status replies to send back.
    fn handle(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut replies = Vec::new();
        for event in self.parser.feed(bytes) {
            let status = lock(&self.shared.faults).status();
            match event {
                ParserEvent::StatusRequest(n) => replies.extend(status.reply(n)),
                // A printer that cannot print drops the job: nothing comes out.
                ParserEvent::Receipt(mut r) if status.blocking_error().is_none() => {
                    {
                        let mut f = lock(&self.shared.faults);
                        if let Some(left) = f.dots_left {
                            let need = paper_length_dots(&r);
                            if need >= left {
                                // The roll ends inside this receipt: what fits comes out,
                                // cut short, and the printer reports paper out.
                                truncate_to(&mut r, left);
                                f.dots_left = None;
                                f.paper_out = true;
                            } else {
                                f.dots_left = Some(left - need);
                            }
                        }
                        if let Some(left) = f.receipts_left {
                            let left = left.saturating_sub(1);
                            f.receipts_left = (left > 0).then_some(left);
                            f.paper_out |= left == 0;
                        }
                    }
                    // Only fails once the render thread is gone, i.e. while shutting down.
                    let _ = self.to_render.send(r);
                }
                ParserEvent::Receipt(_) => {}
            }
        }
        replies
    }
}

/// A running virtual printer. Dropping it stops its threads (and closes the pty or socket).
pub struct SimPrinter {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    io_thread: Option<JoinHandle<()>>,
    render_thread: Option<JoinHandle<()>>,
    port_path: PathBuf,
    addr: Option<SocketAddr>,
}

impl std::fmt::Debug for SimPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimPrinter")
            .field("port_path", &self.port_path)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimPrinter {
    /// Starts a virtual printer on a new pseudo-terminal; the driver opens
    /// [`SimPrinter::port_path`] with [`crate::open_serial`] (any baud rate).
    ///
    /// `font_bytes` is the font for rendering (face 0 of a `.ttc` is used); with `out_dir`,
    /// each receipt is also written there as `receipt-<seq>.png` (the directory is created).
    ///
    /// The simulator keeps its own handle on the slave side open for its whole life. Without
    /// it, the master would read EIO/HUP whenever no driver has the port open (before the
    /// first open, between reconnects), and bytes could be lost in the hand-off. That handle
    /// does not hold `TIOCEXCL` or a `flock`, so the driver's exclusive open still succeeds,
    /// and serialport clears `TIOCEXCL` again when the driver's port is dropped, so the port
    /// can be reopened any number of times.
    #[cfg(unix)]
    pub fn spawn(
        font_bytes: impl Into<std::borrow::Cow<'static, [u8]>>,
        out_dir: Option<PathBuf>,
    ) -> io::Result<SimPrinter> {
        use serialport::{SerialPort, TTYPort};
        let font = FontData::from_bytes(font_bytes)?;
        let (mut master, slave) = TTYPort::pair().map_err(io::Error::from)?;
        let port_path = slave
            .name()
            .map(PathBuf::from)
            .ok_or_else(|| io::Error::other("pseudo-terminal has no slave path"))?;
        master.set_timeout(POLL).map_err(io::Error::from)?;
        Self::start(font, out_dir, port_path, None, move |mut core, stop| {
            let _keep_slave_open = slave;
            let mut buf = [0u8; 4096];
            while !stop.load(Ordering::Relaxed) {
                match master.read(&mut buf) {
                    Ok(0) => thread::sleep(POLL),
                    Ok(n) => {
                        let replies = core.handle(&buf[..n]);
                        if !replies.is_empty() {
                            // A failed reply looks like a dead printer to the driver: its
                            // status read times out, which is the right outcome.
                            let _ = master.write_all(&replies);
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::TimedOut
                                | io::ErrorKind::WouldBlock
                                | io::ErrorKind::Interrupted
                        ) => {}
                    // Unexpected (HUP if the slave side were closed): back off, keep going.
                    Err(_) => thread::sleep(POLL),
                }
            }
        })
    }

    /// Starts a virtual network printer listening on `127.0.0.1` (a free port); connect with
    /// [`crate::open_tcp`] to [`SimPrinter::addr`]. One connection is served at a time, with
    /// the parser state carried over between connections like a real printer's.
    pub fn spawn_tcp(
        font_bytes: impl Into<std::borrow::Cow<'static, [u8]>>,
        out_dir: Option<PathBuf>,
    ) -> io::Result<SimPrinter> {
        let font = FontData::from_bytes(font_bytes)?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        // Non-blocking accept so that the thread notices the stop flag.
        listener.set_nonblocking(true)?;
        Self::start(
            font,
            out_dir,
            PathBuf::new(),
            Some(addr),
            move |mut core, stop| {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => serve_tcp(stream, &mut core, &stop),
                        Err(_) => thread::sleep(POLL),
                    }
                }
            },
        )
    }

    /// Common start-up: output directory, render thread, I/O thread.
    fn start<F>(
        font: FontData,
        out_dir: Option<PathBuf>,
        port_path: PathBuf,
        addr: Option<SocketAddr>,
        io_loop: F,
    ) -> io::Result<SimPrinter>
    where
        F: FnOnce(Core, Arc<AtomicBool>) + Send + 'static,
    {
        if let Some(dir) = &out_dir {
            std::fs::create_dir_all(dir)?;
        }
        let shared = Arc::new(Shared {
            faults: Mutex::new(Faults::default()),
            receipts: Mutex::new(Vec::new()),
            added: Condvar::new(),
            callback: Mutex::new(None),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<Receipt>();

        let render_shared = Arc::clone(&shared);
        let render_thread = thread::Builder::new()
            .name("sim-printer-render".into())
            .spawn(move || render_loop(rx, font, out_dir, render_shared))?;

        let core = Core {
            parser: EscPosParser::new(),
            shared: Arc::clone(&shared),
            to_render: tx,
        };
        let io_stop = Arc::clone(&stop);
        let io_thread = thread::Builder::new()
            .name("sim-printer-io".into())
            .spawn(move || io_loop(core, io_stop))?;

        Ok(SimPrinter {
            shared,
            stop,
            io_thread: Some(io_thread),
            render_thread: Some(render_thread),
            port_path,
            addr,
        })
    }

    /// The slave tty to open with [`crate::open_serial`]. Empty for a TCP simulator.
    pub fn port_path(&self) -> PathBuf {
        self.port_path.clone()
    }

    /// The address to connect to with [`crate::open_tcp`]; `None` for a pty simulator.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// All receipts printed so far, oldest first.
    pub fn receipts(&self) -> Vec<PrintedReceipt> {
        lock(&self.shared.receipts).clone()
    }

    /// Waits until at least `n` receipts have been printed. `timeout` is a fail-safe against a
    /// test hanging forever, not a expected duration: returns `false` only if it expired.
    pub fn wait_for_receipts(&self, n: usize, timeout: Duration) -> bool {
        let guard = lock(&self.shared.receipts);
        let (guard, _) = self
            .shared
            .added
            .wait_timeout_while(guard, timeout, |r| r.len() < n)
            .unwrap_or_else(|e| e.into_inner());
        guard.len() >= n
    }

    /// Sets the function called (on the render thread) for every new receipt, e.g. to show it
    /// in the UI. Replaces any previous one. It runs before the receipt is added to
    /// [`SimPrinter::receipts`], so [`SimPrinter::wait_for_receipts`] returning means the
    /// callbacks of those receipts have completed.
    pub fn on_receipt(&self, callback: Box<dyn Fn(&PrintedReceipt) + Send>) {
        *lock(&self.shared.callback) = Some(callback);
    }

    /// The status the simulator currently reports.
    pub fn status(&self) -> PrinterStatus {
        lock(&self.shared.faults).status()
    }

    /// Simulates an empty roll (also takes the printer offline; jobs are dropped).
    pub fn set_paper_out(&self, on: bool) {
        let mut f = lock(&self.shared.faults);
        f.paper_out = on;
        f.receipts_left = None;
        f.dots_left = None;
    }

    /// Schedules the roll to run out: after `receipts` more receipts have printed, paper-out
    /// is set (so the status query that follows the last job reports it). `0` sets it now.
    pub fn run_out_of_paper_after(&self, receipts: usize) {
        let mut f = lock(&self.shared.faults);
        f.receipts_left = (receipts > 0).then_some(receipts);
        f.paper_out |= receipts == 0;
    }

    /// Schedules the roll to run out after `mm` more millimetres of paper (8 dots per mm, as
    /// [`super::paper_length_dots`] counts them): the receipt during which it runs out is
    /// printed only up to that point and paper-out is set, as a real roll ends mid-receipt.
    pub fn run_out_of_paper_after_mm(&self, mm: f32) {
        let mut f = lock(&self.shared.faults);
        let dots = (mm.max(0.0) * 8.0) as u32;
        f.dots_left = (dots > 0).then_some(dots);
        f.paper_out |= dots == 0;
    }

    /// Simulates the near-end sensor (printing continues).
    pub fn set_paper_near_end(&self, on: bool) {
        lock(&self.shared.faults).paper_near_end = on;
    }

    /// Simulates an open cover (also takes the printer offline; jobs are dropped).
    pub fn set_cover_open(&self, on: bool) {
        lock(&self.shared.faults).cover_open = on;
    }

    /// Simulates the printer going offline (jobs are dropped).
    pub fn set_offline(&self, on: bool) {
        lock(&self.shared.faults).offline = on;
    }
}

impl Drop for SimPrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The I/O thread owns the sender; once it ends the render thread drains and ends.
        if let Some(t) = self.io_thread.take() {
            let _ = t.join();
        }
        if let Some(t) = self.render_thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves one TCP connection until the peer closes it or the simulator stops.
fn serve_tcp(mut stream: TcpStream, core: &mut Core, stop: &AtomicBool) {
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                let replies = core.handle(&buf[..n]);
                if !replies.is_empty() && stream.write_all(&replies).is_err() {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return,
        }
    }
}

/// Renders each receipt, saves its PNG, publishes it and runs the callback.
fn render_loop(
    rx: mpsc::Receiver<Receipt>,
    font: FontData,
    out_dir: Option<PathBuf>,
    shared: Arc<Shared>,
) {
    for (seq, receipt) in (1u64..).zip(rx) {
        let image = render(&receipt, &font);
        let png_path = out_dir
            .as_deref()
            .and_then(|dir| write_png(dir, seq, &image).ok());
        let printed = PrintedReceipt {
            seq,
            receipt,
            image: Arc::new(image),
            png_path,
        };
        // Callback first, then publish: once `wait_for_receipts` sees a receipt, its callback
        // has run, so tests need no second wait. Outside the receipts lock, so the callback
        // may call `receipts()` (which does not list this receipt yet).
        if let Some(cb) = lock(&shared.callback).as_ref() {
            // A panicking callback must not stop the simulator from printing.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(&printed)));
        }
        lock(&shared.receipts).push(printed);
        shared.added.notify_all();
    }
}

fn write_png(dir: &Path, seq: u64, image: &RgbaImage) -> io::Result<PathBuf> {
    let path = dir.join(format!("receipt-{seq}.png"));
    std::fs::write(&path, encode_png(image))?;
    Ok(path)
}

/// Keeps the elements of `r` that fit in `dots` of paper (the rest never printed).
fn truncate_to(r: &mut Receipt, dots: u32) {
    let mut keep = 0;
    for n in 1..=r.elements.len() {
        let partial = Receipt {
            elements: r.elements[..n].to_vec(),
        };
        if paper_length_dots(&partial) > dots {
            break;
        }
        keep = n;
    }
    r.elements.truncate(keep);
}
