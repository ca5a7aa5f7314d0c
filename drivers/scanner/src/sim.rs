//! A simulated line-mode code scanner on a pseudo-terminal.
//!
//! [`SimScanner::spawn`] creates a pty pair with [`TTYPort::pair`]; the simulator writes what a
//! scanner would send on the master side while the driver opens the port path like any serial
//! port, so the whole serial stack ([`crate::line::SerialScanner`], timeouts, bytes arriving in
//! pieces) runs without hardware. A scanner only ever talks, so no thread is needed: each
//! method writes to the master at once.
//!
//! The pair's own slave handle is kept open for the simulator's lifetime, as in the ID-card
//! reader's simulator: on Linux a pty whose slave side has no open handle hangs up (the master
//! reads `EIO`, written bytes are lost), which would otherwise happen before the driver opens
//! the port and between two opens. `TTYPort::pair` does not put the slave in exclusive mode, so
//! the driver's (exclusive) open still succeeds.
//!
//! The port path is a symbolic link to the pty (as `/dev/serial/by-id/...` links to
//! `/dev/ttyACM0`): [`unplug`](SimScanner::unplug) closes the pty and removes the link, as a
//! pulled USB scanner removes its device node; [`replug`](SimScanner::replug) makes a new pty
//! and points the link at it, so the driver reopens the same path.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

/// Numbers the simulators' port folders within one process.
static SIM_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// How long a write to the master may block (the pty buffer is large; only a driver that
/// stopped reading for a long time fills it).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the simulated scanner sends after each payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Terminator {
    /// CR (`\r`), the factory setting of many scanners.
    #[default]
    Cr,
    /// LF (`\n`).
    Lf,
    /// CR LF.
    CrLf,
}

impl Terminator {
    /// The terminator's bytes.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::Cr => b"\r",
            Terminator::Lf => b"\n",
            Terminator::CrLf => b"\r\n",
        }
    }
}

/// One "plugged in" pty: the master the simulator writes to, and the slave handle kept open.
struct Plugged {
    master: TTYPort,
    _slave: TTYPort,
}

struct State {
    plugged: Option<Plugged>,
    terminator: Terminator,
}

/// A simulated code scanner on a pseudo-terminal; dropping it closes the pty and removes its
/// port path.
pub struct SimScanner {
    state: Mutex<State>,
    dir: PathBuf,
    link: PathBuf,
}

impl std::fmt::Debug for SimScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimScanner")
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

fn plug(link: &Path) -> io::Result<Plugged> {
    let (mut master, slave) = TTYPort::pair().map_err(io::Error::from)?;
    let target = slave
        .name()
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("the pty slave has no path"))?;
    master.set_timeout(WRITE_TIMEOUT).map_err(io::Error::from)?;
    // Replace the link atomically: a driver opening it sees the old or the new pty.
    let tmp = link.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(&target, &tmp)?;
    std::fs::rename(&tmp, link)?;
    Ok(Plugged {
        master,
        _slave: slave,
    })
}

impl SimScanner {
    /// Creates the pty pair, plugged in, sending CR after each payload.
    pub fn spawn() -> io::Result<SimScanner> {
        let dir = std::env::temp_dir().join(format!(
            "scanner-sim-{}-{}",
            std::process::id(),
            SIM_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let link = dir.join("scanner");
        let plugged = plug(&link)?;
        Ok(SimScanner {
            state: Mutex::new(State {
                plugged: Some(plugged),
                terminator: Terminator::default(),
            }),
            dir,
            link,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take the simulator down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The path to open as the scanner's serial port (any baud rate works); stays the same
    /// across unplug and replug.
    pub fn port_path(&self) -> PathBuf {
        self.link.clone()
    }

    /// Sets what [`scan`](Self::scan) sends after each payload.
    pub fn set_terminator(&self, terminator: Terminator) {
        self.lock().terminator = terminator;
    }

    /// Scans a code: sends `payload` and the terminator in one write.
    pub fn scan(&self, payload: &str) -> io::Result<()> {
        let mut st = self.lock();
        let mut bytes = payload.as_bytes().to_vec();
        bytes.extend_from_slice(st.terminator.bytes());
        write_all(&mut st, &bytes)
    }

    /// Sends raw bytes as they are (no terminator added): for prefixes, other encodings, CR
    /// LF split across writes.
    pub fn scan_bytes(&self, bytes: &[u8]) -> io::Result<()> {
        write_all(&mut self.lock(), bytes)
    }

    /// Scans a code slowly: `payload` and the terminator in `piece`-byte writes with `gap`
    /// between them, as a slow UART or a USB adapter that flushes often delivers them.
    pub fn scan_in_pieces(&self, payload: &str, piece: usize, gap: Duration) -> io::Result<()> {
        let mut bytes = payload.as_bytes().to_vec();
        bytes.extend_from_slice(self.lock().terminator.bytes());
        for chunk in bytes.chunks(piece.max(1)) {
            write_all(&mut self.lock(), chunk)?;
            std::thread::sleep(gap);
        }
        Ok(())
    }

    /// Fault: the first `len` bytes of `payload` and then silence, no terminator (a scan cut
    /// short by a glitch or a cable moved mid-scan).
    pub fn send_partial(&self, payload: &str, len: usize) -> io::Result<()> {
        let bytes = payload.as_bytes();
        write_all(&mut self.lock(), &bytes[..len.min(bytes.len())])
    }

    /// Fault: a line of bytes that are neither UTF-8 nor GBK (line noise, wrong baud rate),
    /// with the terminator.
    pub fn send_garbage(&self) -> io::Result<()> {
        let mut st = self.lock();
        let mut bytes = vec![0xFF, 0xFE, 0x80, 0xC3, 0x28, 0xA0, 0xFF];
        bytes.extend_from_slice(st.terminator.bytes());
        write_all(&mut st, &bytes)
    }

    /// Fault: a line of `len` printable bytes, with the terminator (a code far longer than
    /// anything meant for the kiosk).
    pub fn send_over_long(&self, len: usize) -> io::Result<()> {
        let mut st = self.lock();
        let mut bytes: Vec<u8> = (0..len).map(|i| b'A' + (i % 26) as u8).collect();
        bytes.extend_from_slice(st.terminator.bytes());
        write_all(&mut st, &bytes)
    }

    /// Pulls the cable: the pty closes (the driver's next read fails) and the port path
    /// disappears until [`replug`](Self::replug).
    pub fn unplug(&self) {
        let mut st = self.lock();
        st.plugged = None;
        let _ = std::fs::remove_file(&self.link);
    }

    /// Plugs the cable back in: a new pty behind the same port path.
    pub fn replug(&self) -> io::Result<()> {
        let mut st = self.lock();
        if st.plugged.is_none() {
            st.plugged = Some(plug(&self.link)?);
        }
        Ok(())
    }

    /// Whether the simulated cable is plugged in.
    pub fn is_plugged(&self) -> bool {
        self.lock().plugged.is_some()
    }
}

fn write_all(st: &mut State, bytes: &[u8]) -> io::Result<()> {
    let plugged = st.plugged.as_mut().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotConnected,
            "simulated scanner is unplugged",
        )
    })?;
    plugged.master.write_all(bytes)?;
    plugged.master.flush()
}

impl Drop for SimScanner {
    fn drop(&mut self) {
        self.lock().plugged = None;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
