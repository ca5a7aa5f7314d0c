//! Driver for Chinese 2nd-generation resident ID card readers that speak the SAM protocol
//! of GA/T 467 over a serial line or USB bulk endpoints.
//!
//! ```no_run
//! # fn main() -> Result<(), idcard::Error> {
//! let mut reader = idcard::open_serial(std::path::Path::new("/dev/ttyUSB0"), 115_200)?;
//! if let Some(card) = reader.read_card()? {
//!     // Debug output is safe for logs: personal fields are redacted.
//!     println!("{card:?}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - [`sam_frame`]: frame encoding/decoding, commands and status codes.
//! - [`text_block`]: the 256-byte UCS-2 text block and the text+photo payload.
//! - [`id_number`]: ID number check character (ISO 7064 MOD 11-2), validation, masking.
//! - [`nation`]: the nation code table.
//! - `card` (re-exported): [`IdCard`], [`Sex`], [`Validity`] — the checked card.
//! - `reader` (re-exported): [`IdCardReader`], [`CardPoller`], [`open_serial`].
//! - [`usb`]: the same protocol over USB bulk endpoints ([`usb::BulkTransport`], and with
//!   the `usb` feature the `rusb` backend and [`usb::open_usb`]).
//! - [`photo`]: WLT photo decoding through the vendor's library, loaded at run time.
//! - [`sim`]: [`sim::SimReader`], a simulated reader on a pseudo-terminal (with faults and
//!   unplug/replug), and sample cards.
//!
//! # Personal data
//!
//! Card contents are personal data. `Debug` of [`IdCard`], [`text_block::IdCardText`] and
//! [`sam_frame::Response`] redacts them, error messages never include field contents, and
//! the raw frame log zeroes card payloads.

use std::fmt;
use std::io;

mod card;
pub mod id_number;
pub mod nation;
pub mod photo;
mod reader;
pub mod sam_frame;
#[cfg(feature = "sim")]
pub mod sim;
pub mod text_block;
pub mod usb;

pub use card::{IdCard, Sex, Validity};
pub use id_number::IdNumberError;
pub use reader::{
    open_serial, open_serial_with_timeout, CardPoller, Direction, Fingerprint, IdCardReader,
    RawFrame, SamId, DEFAULT_TIMEOUT, RAW_LOG_CAPACITY,
};
pub use sam_frame::{Command, FrameError, Status};
pub use text_block::TextBlockError;

/// Everything that can go wrong talking to a reader or reading a card.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The serial port or USB device failed: unplugged, no permission, busy.
    #[error("I/O error talking to the reader: {0}")]
    Io(#[from] io::Error),
    /// The reader did not answer, or stopped mid-answer, within the port's timeout.
    #[error("the ID card reader did not answer in time (check cable, power and baud rate)")]
    Timeout,
    /// The reader's answer was not a well-formed frame (line noise, wrong device).
    #[error("garbled answer from the ID card reader: {0}")]
    Frame(#[from] FrameError),
    /// The reader executed the command and reported a failure status.
    #[error("ID card reader: {command} failed: {status}")]
    Status {
        /// The command that failed.
        command: Command,
        /// What the reader reported.
        status: Status,
    },
    /// The card's text data is malformed.
    #[error("unreadable card data: {0}")]
    TextBlock(#[from] TextBlockError),
    /// The card's ID number is malformed or inconsistent.
    #[error("invalid ID number on the card: {0}")]
    IdNumber(#[from] IdNumberError),
    /// The reader reported success but sent less data than the command returns.
    #[error("ID card reader: {command} answered with {actual} data bytes, expected {expected}")]
    ShortAnswer {
        /// The command.
        command: Command,
        /// Bytes the command returns.
        expected: usize,
        /// Bytes received.
        actual: usize,
    },
}

impl Error {
    /// Whether the error says the reader itself is gone or broken (a device fault for staff)
    /// rather than something about the card in front of it (the citizen tries again).
    ///
    /// Transport failures, silence, and the SAM module's own failures (self-test, not
    /// authorised, command refused) are device faults; a bad frame, a card the SAM
    /// cannot read, or invalid card data are not.
    pub fn is_device_fault(&self) -> bool {
        match self {
            Error::Io(_) | Error::Timeout => true,
            Error::Status { status, .. } => matches!(
                status,
                Status::SamSelfTestFailed
                    | Status::SamNotAuthorised
                    | Status::CommandError
                    | Status::NotPermitted
                    | Status::UnknownError
            ),
            Error::Frame(_)
            | Error::TextBlock(_)
            | Error::IdNumber(_)
            | Error::ShortAnswer { .. } => false,
        }
    }
}

/// Prints `<redacted>` (without quotes) in hand-written `Debug` impls.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
