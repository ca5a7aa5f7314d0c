//! Real-time status: `DLE EOT n` requests and the one-byte replies.
//!
//! Every reply byte has bits 1 and 4 set and bits 0 and 7 clear; that fixed pattern is how a
//! reply is told apart from line noise or a stale byte, so it is checked on every parse.

use crate::PrinterError;

/// Mask of the bits whose value is fixed in every status reply (bits 0, 1, 4 and 7).
const FIXED_MASK: u8 = 0b1001_0011;
/// Required value of the fixed bits: 1 and 4 set, 0 and 7 clear.
const FIXED_BITS: u8 = 0b0001_0010;

/// `DLE EOT 1`: printer status.
pub const REQ_PRINTER: u8 = 1;
/// `DLE EOT 2`: offline cause.
pub const REQ_OFFLINE_CAUSE: u8 = 2;
/// `DLE EOT 3`: error cause.
pub const REQ_ERROR_CAUSE: u8 = 3;
/// `DLE EOT 4`: roll-paper sensor.
pub const REQ_PAPER_SENSOR: u8 = 4;

/// n = 1, bit 3: offline.
const P_OFFLINE: u8 = 1 << 3;
/// n = 2, bit 2: cover open.
const O_COVER_OPEN: u8 = 1 << 2;
/// n = 2, bit 5: printing stopped because the paper ran out.
const O_PAPER_END_STOP: u8 = 1 << 5;
/// n = 2, bit 6: an error occurred (details in n = 3).
const O_ERROR: u8 = 1 << 6;
/// n = 3, bit 3: autocutter error.
const E_CUTTER: u8 = 1 << 3;
/// n = 3, bit 5: unrecoverable error.
const E_UNRECOVERABLE: u8 = 1 << 5;
/// n = 3, bit 6: auto-recoverable error (e.g. head overheated).
const E_AUTO_RECOVERABLE: u8 = 1 << 6;
/// n = 4, bits 2 and 3: paper near end.
const S_NEAR_END: u8 = (1 << 2) | (1 << 3);
/// n = 4, bits 5 and 6: paper end.
const S_PAPER_OUT: u8 = (1 << 5) | (1 << 6);

/// The bytes that request all four status replies, in the order [`PrinterStatus::from_bytes`]
/// expects them.
pub const STATUS_REQUESTS: [[u8; 3]; 4] = [
    [0x10, 0x04, REQ_PRINTER],
    [0x10, 0x04, REQ_OFFLINE_CAUSE],
    [0x10, 0x04, REQ_ERROR_CAUSE],
    [0x10, 0x04, REQ_PAPER_SENSOR],
];

/// The printer's state as read from the four `DLE EOT n` replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PrinterStatus {
    /// The printer accepts and prints data (n = 1, bit 3 clear).
    pub online: bool,
    /// The paper cover is open (n = 2, bit 2).
    pub cover_open: bool,
    /// The near-end sensor sees little paper left (n = 4, bits 2/3).
    pub paper_near_end: bool,
    /// No paper (n = 4, bits 5/6, or n = 2 bit 5: printing stopped on paper end).
    pub paper_out: bool,
    /// The autocutter failed (n = 3, bit 3).
    pub cutter_error: bool,
    /// An error that needs a power cycle or service (n = 3, bit 5).
    pub unrecoverable_error: bool,
}

impl PrinterStatus {
    /// A healthy printer: online, cover closed, paper loaded, no error.
    pub fn ready() -> Self {
        PrinterStatus {
            online: true,
            ..Self::default()
        }
    }

    /// Parses the replies to `DLE EOT 1`, `2`, `3` and `4`, in that order.
    ///
    /// A byte without the fixed bit pattern yields [`PrinterError::BadStatusByte`].
    /// Either bit of a sensor pair counts: printers differ in whether they set one or both.
    pub fn from_bytes(bytes: [u8; 4]) -> Result<Self, PrinterError> {
        for b in bytes {
            if !is_status_byte(b) {
                return Err(PrinterError::BadStatusByte(b));
            }
        }
        let [printer, offline, error, paper] = bytes;
        Ok(PrinterStatus {
            online: printer & P_OFFLINE == 0,
            cover_open: offline & O_COVER_OPEN != 0,
            paper_near_end: paper & S_NEAR_END != 0,
            paper_out: paper & S_PAPER_OUT != 0 || offline & O_PAPER_END_STOP != 0,
            cutter_error: error & E_CUTTER != 0,
            unrecoverable_error: error & E_UNRECOVERABLE != 0,
        })
    }

    /// The four reply bytes a printer in this state sends (used by the virtual printer).
    /// Bits with no field here (drawer, feed button, auto-recoverable error) are sent clear,
    /// except n = 2 bit 6, which a printer sets whenever n = 3 reports an error.
    pub fn to_bytes(&self) -> [u8; 4] {
        let mut printer = FIXED_BITS;
        let mut offline = FIXED_BITS;
        let mut error = FIXED_BITS;
        let mut paper = FIXED_BITS;
        if !self.online {
            printer |= P_OFFLINE;
        }
        if self.cover_open {
            offline |= O_COVER_OPEN;
        }
        if self.paper_out {
            offline |= O_PAPER_END_STOP;
            paper |= S_PAPER_OUT;
        }
        if self.paper_near_end {
            paper |= S_NEAR_END;
        }
        if self.cutter_error {
            error |= E_CUTTER;
        }
        if self.unrecoverable_error {
            error |= E_UNRECOVERABLE;
        }
        if error & (E_CUTTER | E_UNRECOVERABLE | E_AUTO_RECOVERABLE) != 0 {
            offline |= O_ERROR;
        }
        [printer, offline, error, paper]
    }

    /// The reply to `DLE EOT n` for `n` in `1..=4`, `None` for any other `n`.
    pub fn reply(&self, n: u8) -> Option<u8> {
        let i = usize::from(n).checked_sub(1)?;
        self.to_bytes().get(i).copied()
    }

    /// The first condition that stops printing, as the error [`crate::ReceiptPrinter::print`]
    /// returns before sending a job; `None` when the printer can print.
    ///
    /// Order: cover, paper, cutter, then offline, most specific first (an open cover or
    /// paper end also puts the printer offline, and telling staff "offline" helps less).
    pub fn blocking_error(&self) -> Option<PrinterError> {
        if self.cover_open {
            Some(PrinterError::CoverOpen)
        } else if self.paper_out {
            Some(PrinterError::PaperOut)
        } else if self.cutter_error {
            Some(PrinterError::CutterError)
        } else if !self.online || self.unrecoverable_error {
            Some(PrinterError::Offline)
        } else {
            None
        }
    }
}

/// Whether `b` has the fixed bit pattern of a status reply.
pub fn is_status_byte(b: u8) -> bool {
    b & FIXED_MASK == FIXED_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: u8 = 0x12;

    fn parse(b: [u8; 4]) -> PrinterStatus {
        PrinterStatus::from_bytes(b).expect("valid status bytes")
    }

    #[test]
    fn all_clear_is_ready() {
        assert_eq!(parse([OK; 4]), PrinterStatus::ready());
        assert_eq!(PrinterStatus::ready().to_bytes(), [OK; 4]);
        assert_eq!(
            PrinterStatus::ready()
                .blocking_error()
                .map(|e| e.to_string()),
            None
        );
    }

    #[test]
    fn fixed_bits_are_checked() {
        for bad in [0x00, 0x10, 0x02, 0x13, 0x92, 0xFF] {
            for pos in 0..4 {
                let mut bytes = [OK; 4];
                bytes[pos] = bad;
                assert!(
                    matches!(PrinterStatus::from_bytes(bytes), Err(PrinterError::BadStatusByte(b)) if b == bad),
                    "byte {bad:#04x} at {pos}"
                );
            }
        }
        assert!(is_status_byte(0x12));
        assert!(is_status_byte(0x7E));
        assert!(!is_status_byte(0x7F));
    }

    #[test]
    fn offline_bit() {
        assert!(!parse([OK | 0x08, OK, OK, OK]).online);
    }

    #[test]
    fn other_printer_bits_are_ignored() {
        // bit 2 = drawer pin, bits 5/6 vary by model; none of them means offline.
        assert_eq!(
            parse([OK | 0x04 | 0x20 | 0x40, OK, OK, OK]),
            PrinterStatus::ready()
        );
    }

    #[test]
    fn cover_open_bit() {
        assert!(parse([OK, OK | 0x04, OK, OK]).cover_open);
    }

    #[test]
    fn paper_end_stop_bit_means_paper_out() {
        assert!(parse([OK, OK | 0x20, OK, OK]).paper_out);
    }

    #[test]
    fn error_and_feed_button_bits_alone_change_nothing() {
        let s = parse([OK, OK | 0x40 | 0x08, OK, OK]);
        assert_eq!(s, PrinterStatus::ready());
    }

    #[test]
    fn cutter_error_bit() {
        assert!(parse([OK, OK, OK | 0x08, OK]).cutter_error);
    }

    #[test]
    fn unrecoverable_error_bit() {
        assert!(parse([OK, OK, OK | 0x20, OK]).unrecoverable_error);
    }

    #[test]
    fn auto_recoverable_error_bit_is_not_fatal() {
        let s = parse([OK, OK, OK | 0x40, OK]);
        assert!(!s.cutter_error && !s.unrecoverable_error);
    }

    #[test]
    fn paper_near_end_bits() {
        assert!(parse([OK, OK, OK, OK | 0x0C]).paper_near_end);
        assert!(parse([OK, OK, OK, OK | 0x04]).paper_near_end);
        assert!(parse([OK, OK, OK, OK | 0x08]).paper_near_end);
        assert!(!parse([OK, OK, OK, OK | 0x0C]).paper_out);
    }

    #[test]
    fn paper_out_bits() {
        assert!(parse([OK, OK, OK, OK | 0x60]).paper_out);
        assert!(parse([OK, OK, OK, OK | 0x20]).paper_out);
        assert!(parse([OK, OK, OK, OK | 0x40]).paper_out);
    }

    #[test]
    fn to_bytes_round_trips_every_field() {
        let fields: [fn(&mut PrinterStatus); 6] = [
            |s| s.online = false,
            |s| s.cover_open = true,
            |s| s.paper_near_end = true,
            |s| s.paper_out = true,
            |s| s.cutter_error = true,
            |s| s.unrecoverable_error = true,
        ];
        for set in fields {
            let mut s = PrinterStatus::ready();
            set(&mut s);
            let bytes = s.to_bytes();
            assert!(bytes.iter().all(|&b| is_status_byte(b)));
            assert_eq!(parse(bytes), s);
        }
    }

    #[test]
    fn reply_by_request_number() {
        let s = PrinterStatus {
            paper_out: true,
            ..PrinterStatus::ready()
        };
        assert_eq!(s.reply(1), Some(OK));
        assert_eq!(s.reply(2), Some(OK | 0x20));
        assert_eq!(s.reply(3), Some(OK));
        assert_eq!(s.reply(4), Some(OK | 0x60));
        assert_eq!(s.reply(0), None);
        assert_eq!(s.reply(5), None);
    }

    #[test]
    fn blocking_error_order() {
        let mut s = PrinterStatus::ready();
        s.online = false;
        assert!(matches!(s.blocking_error(), Some(PrinterError::Offline)));
        s.cutter_error = true;
        assert!(matches!(
            s.blocking_error(),
            Some(PrinterError::CutterError)
        ));
        s.paper_out = true;
        assert!(matches!(s.blocking_error(), Some(PrinterError::PaperOut)));
        s.cover_open = true;
        assert!(matches!(s.blocking_error(), Some(PrinterError::CoverOpen)));
        let s = PrinterStatus {
            unrecoverable_error: true,
            ..PrinterStatus::ready()
        };
        assert!(matches!(s.blocking_error(), Some(PrinterError::Offline)));
        let s = PrinterStatus {
            paper_near_end: true,
            ..PrinterStatus::ready()
        };
        assert!(s.blocking_error().is_none());
    }
}
