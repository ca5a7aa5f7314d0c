//! The error type of the driver.

use std::io;

/// Why a status query or print job failed.
///
/// The variants `PaperOut`, `CoverOpen`, `Offline` and `CutterError` returned by
/// [`crate::ReceiptPrinter::print`] before anything was sent mean the job was not printed at all;
/// any error after the job was written (`PaperOutDuringJob`, `Timeout`, `Io`, ...) means it may
/// be incomplete, so the caller should keep the receipt and offer a reprint.
#[derive(Debug, thiserror::Error)]
pub enum PrinterError {
    /// The transport failed (port vanished, connection reset, ...).
    #[error("printer I/O error: {0}")]
    Io(#[from] io::Error),
    /// The printer did not answer (or accept data) within the transport's timeout:
    /// unplugged, powered off, or the wrong port.
    #[error("printer did not answer in time")]
    Timeout,
    /// A status reply did not have the fixed bit pattern of ESC/POS status bytes: line noise,
    /// a wrong baud rate, or something that is not an ESC/POS printer.
    #[error("invalid status byte from printer: {0:#04x}")]
    BadStatusByte(u8),
    /// The paper roll is empty; nothing was sent.
    #[error("printer is out of paper")]
    PaperOut,
    /// The paper cover is open; nothing was sent.
    #[error("printer cover is open")]
    CoverOpen,
    /// The printer is offline (or in an unrecoverable error); nothing was sent.
    #[error("printer is offline")]
    Offline,
    /// The autocutter reports an error (jammed blade): before a job nothing was sent; after
    /// a job the receipt may be printed but not cut.
    #[error("printer cutter error")]
    CutterError,
    /// The paper ran out while (or right after) the job was sent: the receipt is probably
    /// incomplete and should be kept for a reprint once paper is loaded.
    #[error("printer ran out of paper during the job")]
    PaperOutDuringJob,
}

impl PrinterError {
    /// Maps the I/O errors that mean "no answer in time" to [`PrinterError::Timeout`].
    /// `WouldBlock` is what a `TcpStream` read timeout yields on Unix, `TimedOut` what
    /// `serialport` yields.
    pub(crate) fn from_io(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => PrinterError::Timeout,
            _ => PrinterError::Io(e),
        }
    }
}
