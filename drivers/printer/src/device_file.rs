//! A printer behind a device file: `/dev/usb/lp0` (the kernel's `usblp` driver), a parallel
//! port, or any path the operating system exposes as a bidirectional character device.
//!
//! A device file has no read timeout, and a printer that never answers would block a read
//! forever; so a reader thread forwards what the device sends through a channel, and reads
//! wait on the channel with [`DEFAULT_TIMEOUT`].
//!
//! Known limit: dropping a `DeviceFile` cannot interrupt that thread's blocking read, so it
//! (and its duplicate of the file descriptor) lives on until the device sends a byte, closes
//! or is unplugged. Each reopen after a fault can leave one such thread behind.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::{PrinterError, ReceiptPrinter, DEFAULT_TIMEOUT};

/// A device file opened for writing, with its replies read on a thread.
#[derive(Debug)]
pub struct DeviceFile {
    file: File,
    replies: Receiver<io::Result<Vec<u8>>>,
    pending: Vec<u8>,
    timeout: Duration,
}

impl DeviceFile {
    /// Opens `path` read-write and starts the reader thread (it ends when the device closes
    /// or errors, e.g. when the printer is unplugged).
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let mut reader = file.try_clone()?;
        let (tx, replies) = mpsc::channel();
        std::thread::Builder::new()
            .name("printer-devfile".into())
            .spawn(move || {
                let mut buf = [0u8; 64];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            if tx.send(Ok(buf[..n].to_vec())).is_err() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            break;
                        }
                    }
                }
            })?;
        Ok(DeviceFile {
            file,
            replies,
            pending: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Changes how long a read waits for the printer.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }
}

impl Write for DeviceFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Read for DeviceFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            match self.replies.recv_timeout(self.timeout) {
                Ok(Ok(bytes)) => self.pending = bytes,
                Ok(Err(e)) => return Err(e),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "no reply"))
                }
                // The device gave EOF: it cannot answer status queries.
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// Opens a receipt printer behind a device file such as `/dev/usb/lp0`.
pub fn open_device_file(
    path: impl AsRef<Path>,
) -> Result<ReceiptPrinter<DeviceFile>, PrinterError> {
    Ok(ReceiptPrinter::new(DeviceFile::open(path.as_ref())?))
}
