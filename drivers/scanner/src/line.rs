//! Serial / virtual COM line mode: the scanner sends each code as one line of text.
//!
//! A code scanner in line mode sends the payload followed by CR, LF or CR LF. Many can be
//! configured to add a prefix and/or a suffix (an AIM symbology identifier such as `]Q1`, an
//! STX/ETX pair, a site code), and Chinese-market scanners often send text in GBK rather than
//! UTF-8.
//!
//! - [`LineFramer`] is the pure part: bytes in, [`Scan`]s and [`LineError`]s out, no I/O. It
//!   frames lines, strips the configured prefix and suffix, decodes the text and applies the
//!   length limit.
//! - [`SerialScanner`] opens the serial port (a real one, a USB virtual COM port, or the
//!   simulator's pty), feeds what it reads to the framer, reports a partial line followed by
//!   silence as [`LineError::Incomplete`] and an unplugged scanner as
//!   [`ScanError::Disconnected`].
//!
//! # Framing rules
//!
//! - CR, LF and CR LF each end a line. Empty lines are not scans, so CR LF counts once and a
//!   blank line between two scans is skipped.
//! - A raw line (before the prefix and suffix are stripped) longer than
//!   [`LineConfig::max_len`] bytes is reported once as [`LineError::TooLong`]; everything up to
//!   the next terminator is discarded.
//! - A line that is not valid text in the configured [`Encoding`] is reported as
//!   [`LineError::InvalidText`]; nothing of it is passed on.
//! - A configured prefix or suffix that is missing is reported
//!   ([`LineError::MissingPrefix`], [`LineError::MissingSuffix`]): the scanner has lost its
//!   settings or another device is on the port.
//!
//! Scanned payloads may carry case numbers: [`Scan`]'s `Debug` shows only the length, and this
//! module never logs a payload.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

/// Default limit of a raw line, in bytes: a kiosk verification URL is about 110 bytes, a
/// full-size QR code can hold far more than anything meant for the kiosk.
pub const DEFAULT_MAX_LEN: usize = 512;

/// Default baud rate of serial code scanners.
pub const DEFAULT_BAUD: u32 = 9600;

/// Default silence after which a partial line is given up as [`LineError::Incomplete`].
pub const DEFAULT_INTER_BYTE_TIMEOUT: Duration = Duration::from_millis(300);

/// How long one read on the port blocks before [`SerialScanner`] checks the silence timer.
const READ_SLICE: Duration = Duration::from_millis(20);

/// Character encoding the scanner sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 (the default; also plain ASCII).
    #[default]
    Utf8,
    /// GBK, decoded as GB18030 (its superset), as many scanners sold in China send it.
    Gbk,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gbk => "GBK/GB18030",
        })
    }
}

/// How lines from the scanner are framed and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineConfig {
    /// Text the scanner puts before every payload; stripped, and required when set.
    pub prefix: Option<String>,
    /// Text the scanner puts after every payload (before the terminator); stripped, and
    /// required when set.
    pub suffix: Option<String>,
    /// Longest raw line accepted, in bytes, prefix and suffix included.
    pub max_len: usize,
    /// Encoding of the payload.
    pub encoding: Encoding,
}

impl Default for LineConfig {
    fn default() -> Self {
        LineConfig {
            prefix: None,
            suffix: None,
            max_len: DEFAULT_MAX_LEN,
            encoding: Encoding::Utf8,
        }
    }
}

/// One scanned code: the payload, prefix and suffix stripped, decoded to text.
#[derive(Clone, PartialEq, Eq)]
pub struct Scan {
    /// The payload as text.
    pub text: String,
}

impl fmt::Debug for Scan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A payload may carry a case number: logs get its length only.
        f.debug_struct("Scan")
            .field("len", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// A line from the scanner that is not a usable scan. The scanner keeps working: the next
/// scan may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line was longer than the limit and was discarded up to its end.
    #[error(
        "scanned code longer than {max_len} bytes, discarded (raise max_len if such codes are expected)"
    )]
    TooLong {
        /// The configured limit.
        max_len: usize,
    },
    /// The line is not valid text in the configured encoding.
    #[error(
        "scanned code of {len} bytes is not valid {encoding} text (check the scanner's output encoding and the configured encoding)"
    )]
    InvalidText {
        /// The configured encoding.
        encoding: Encoding,
        /// Length of the raw line in bytes.
        len: usize,
    },
    /// The configured prefix was not at the start of the line.
    #[error("scanned code lacks the configured prefix (scanner settings lost, or another device on the port?)")]
    MissingPrefix,
    /// The configured suffix was not at the end of the line.
    #[error("scanned code lacks the configured suffix (scanner settings lost, or another device on the port?)")]
    MissingSuffix,
    /// Only prefix and suffix, no payload.
    #[error("scanned code is empty once prefix and suffix are removed")]
    Empty,
    /// A keyboard-mode scanner typed a key that has no character in the US layout, or with
    /// Ctrl/Alt held; the whole scan is refused.
    #[error("scanner typed key code {code}, which is not a character on a US keyboard (set the scanner's keyboard language to US English)")]
    UnmappedKey {
        /// The Linux key code (`KEY_*`).
        code: u16,
    },
    /// Part of a line arrived, then the scanner fell silent without ending it.
    #[error("incomplete scan: {len} bytes without end of line, then silence (scanner set to send CR/LF?)")]
    Incomplete {
        /// Bytes received before the silence.
        len: usize,
    },
}

/// What reading a code scanner can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A line that is not a usable scan; keep reading.
    #[error(transparent)]
    Line(#[from] LineError),
    /// The scanner's device could not be opened (missing, busy or not permitted).
    #[error("cannot open code scanner at {path}: {source}")]
    Open {
        /// The configured device path.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// The scanner went away (unplugged, port gone, broken pipe): drop the scanner and reopen
    /// the path with backoff.
    #[error("code scanner disconnected: {0}")]
    Disconnected(#[source] io::Error),
}

impl ScanError {
    /// Whether the scanner must be reopened ([`ScanError::Open`], [`ScanError::Disconnected`]);
    /// after a [`ScanError::Line`] the same scanner keeps reading.
    pub fn needs_reopen(&self) -> bool {
        !matches!(self, ScanError::Line(_))
    }
}

/// A code scanner that can be polled for scans, whatever its connection.
pub trait CodeScanner {
    /// Waits up to `wait` for the next scan. `Ok(None)` when nothing complete arrived in time;
    /// an error of kind [`ScanError::Line`] is one bad scan, the others need a reopen
    /// ([`ScanError::needs_reopen`]).
    fn read_scan(&mut self, wait: Duration) -> Result<Option<Scan>, ScanError>;
}

/// Frames the scanner's byte stream into scans. Pure: no I/O, no clock.
#[derive(Debug, Clone)]
pub struct LineFramer {
    config: LineConfig,
    buf: Vec<u8>,
    /// Inside an over-long line that was already reported: drop bytes up to the terminator.
    discarding: bool,
}

impl LineFramer {
    /// A framer with `config`.
    pub fn new(config: LineConfig) -> Self {
        LineFramer {
            config,
            buf: Vec::new(),
            discarding: false,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    /// Feeds bytes as they arrived; returns each line they completed, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Result<Scan, LineError>> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                if self.discarding {
                    self.discarding = false;
                } else if !self.buf.is_empty() {
                    let line = std::mem::take(&mut self.buf);
                    out.push(self.finish(&line));
                }
            } else if !self.discarding {
                if self.buf.len() >= self.config.max_len {
                    self.buf.clear();
                    self.discarding = true;
                    out.push(Err(LineError::TooLong {
                        max_len: self.config.max_len,
                    }));
                } else {
                    self.buf.push(b);
                }
            }
        }
        out
    }

    /// Whether part of a line is waiting for its terminator (including the rest of an
    /// over-long line being discarded).
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.discarding
    }

    /// Gives up the partial line after silence: returns [`LineError::Incomplete`] when bytes
    /// were waiting (`None` for the tail of an over-long line, which was reported already), and
    /// starts afresh so the partial line is never glued onto the next scan.
    pub fn abandon_partial(&mut self) -> Option<LineError> {
        self.discarding = false;
        if self.buf.is_empty() {
            return None;
        }
        let len = self.buf.len();
        self.buf.clear();
        Some(LineError::Incomplete { len })
    }

    fn finish(&self, line: &[u8]) -> Result<Scan, LineError> {
        let invalid = || LineError::InvalidText {
            encoding: self.config.encoding,
            len: line.len(),
        };
        let text = match self.config.encoding {
            Encoding::Utf8 => std::str::from_utf8(line).map_err(|_| invalid())?.to_owned(),
            Encoding::Gbk => encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(line)
                .ok_or_else(invalid)?
                .into_owned(),
        };
        strip_affixes(&self.config, &text)
    }
}

/// Strips the configured prefix and suffix from a decoded line (shared with the HID decoder).
pub(crate) fn strip_affixes(config: &LineConfig, text: &str) -> Result<Scan, LineError> {
    let mut payload = text;
    if let Some(prefix) = config.prefix.as_deref().filter(|p| !p.is_empty()) {
        payload = payload
            .strip_prefix(prefix)
            .ok_or(LineError::MissingPrefix)?;
    }
    if let Some(suffix) = config.suffix.as_deref().filter(|s| !s.is_empty()) {
        payload = payload
            .strip_suffix(suffix)
            .ok_or(LineError::MissingSuffix)?;
    }
    if payload.is_empty() {
        return Err(LineError::Empty);
    }
    Ok(Scan {
        text: payload.to_owned(),
    })
}

/// How to reach a serial code scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// Port path, preferably stable: `/dev/serial/by-id/usb-…` rather than `/dev/ttyACM0`.
    pub path: PathBuf,
    /// Baud rate (USB virtual COM ports ignore it).
    pub baud: u32,
    /// Framing and decoding.
    pub line: LineConfig,
    /// Silence after which a partial line is reported as [`LineError::Incomplete`].
    pub inter_byte_timeout: Duration,
}

impl SerialConfig {
    /// Defaults (9600 baud, 300 ms inter-byte timeout, [`LineConfig::default`]) for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SerialConfig {
            path: path.into(),
            baud: DEFAULT_BAUD,
            line: LineConfig::default(),
            inter_byte_timeout: DEFAULT_INTER_BYTE_TIMEOUT,
        }
    }
}

/// A code scanner on a serial port in line mode.
pub struct SerialScanner {
    port: TTYPort,
    framer: LineFramer,
    inter_byte_timeout: Duration,
    /// Results framed but not handed out yet (one read can complete several lines).
    ready: VecDeque<Result<Scan, LineError>>,
    /// When the last byte of the pending partial line arrived.
    last_byte: Option<Instant>,
}

impl fmt::Debug for SerialScanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SerialScanner")
            .field("port", &self.port.name())
            .finish_non_exhaustive()
    }
}

impl SerialScanner {
    /// Opens the port (exclusively) with `config`.
    pub fn open(config: &SerialConfig) -> Result<Self, ScanError> {
        let open_err = |e: serialport::Error| ScanError::Open {
            path: config.path.clone(),
            source: io::Error::from(e),
        };
        let path = config.path.to_str().ok_or_else(|| ScanError::Open {
            path: config.path.clone(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "port path is not UTF-8"),
        })?;
        let port = serialport::new(path, config.baud)
            .timeout(READ_SLICE)
            .open_native()
            .map_err(open_err)?;
        // Bytes the scanner sent before we opened belong to nobody's scan now.
        let _ = port.clear(serialport::ClearBuffer::Input);
        tracing::info!(baud = config.baud, "code scanner port opened");
        Ok(SerialScanner {
            port,
            framer: LineFramer::new(config.line.clone()),
            inter_byte_timeout: config.inter_byte_timeout,
            ready: Default::default(),
            last_byte: None,
        })
    }

    /// The path the port was opened with, as the system names it.
    pub fn port_name(&self) -> Option<String> {
        self.port.name()
    }

    fn read_some(&mut self) -> Result<(), ScanError> {
        let mut buf = [0u8; 256];
        match self.port.read(&mut buf) {
            // Poll said readable and the read found nothing: the other end hung up.
            Ok(0) => Err(ScanError::Disconnected(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "port closed (end of file)",
            ))),
            Ok(n) => {
                let results = self.framer.feed(&buf[..n]);
                self.ready.extend(results);
                self.last_byte = if self.framer.has_partial() {
                    Some(Instant::now())
                } else {
                    None
                };
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::Interrupted
                ) =>
            {
                abandon_after_silence(
                    &mut self.last_byte,
                    self.inter_byte_timeout,
                    || self.framer.abandon_partial(),
                    &mut self.ready,
                );
                Ok(())
            }
            // Anything else on a serial port (EIO, broken pipe, device gone) means the
            // device is no longer there.
            Err(e) => Err(ScanError::Disconnected(e)),
        }
    }
}

/// The next framed result, logged (by length only) and turned into what
/// [`CodeScanner::read_scan`] returns; `None` when there is none. Shared by both drivers.
pub(crate) fn hand_out(
    ready: &mut VecDeque<Result<Scan, LineError>>,
) -> Option<Result<Option<Scan>, ScanError>> {
    Some(match ready.pop_front()? {
        Ok(scan) => {
            tracing::debug!(len = scan.text.len(), "code scanned");
            Ok(Some(scan))
        }
        Err(e) => {
            tracing::warn!(error = %e, "unusable scan");
            Err(ScanError::Line(e))
        }
    })
}

/// The silence rule of both drivers: once `timeout` has passed since the last input of a
/// partial scan, the partial scan is given up and reported as the next result.
pub(crate) fn abandon_after_silence(
    last_input: &mut Option<Instant>,
    timeout: Duration,
    abandon: impl FnOnce() -> Option<LineError>,
    ready: &mut VecDeque<Result<Scan, LineError>>,
) {
    if last_input.is_some_and(|since| since.elapsed() >= timeout) {
        *last_input = None;
        if let Some(err) = abandon() {
            ready.push_back(Err(err));
        }
    }
}

impl CodeScanner for SerialScanner {
    fn read_scan(&mut self, wait: Duration) -> Result<Option<Scan>, ScanError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(result) = hand_out(&mut self.ready) {
                return result;
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            if let Err(e) = self.read_some() {
                tracing::warn!(error = %e, "code scanner lost");
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(results: Vec<Result<Scan, LineError>>) -> Vec<Result<String, LineError>> {
        results.into_iter().map(|r| r.map(|s| s.text)).collect()
    }

    fn framer() -> LineFramer {
        LineFramer::new(LineConfig::default())
    }

    #[test]
    fn cr_lf_and_crlf_each_end_one_line() {
        let mut f = framer();
        assert_eq!(
            texts(f.feed(b"A1\rB2\nC3\r\nD4\r\n")),
            vec![
                Ok("A1".into()),
                Ok("B2".into()),
                Ok("C3".into()),
                Ok("D4".into())
            ]
        );
        assert!(!f.has_partial());
    }

    #[test]
    fn empty_lines_are_not_scans() {
        let mut f = framer();
        assert_eq!(
            texts(f.feed(b"\r\n\r\nA\r\n\n\rB\n")),
            vec![Ok("A".into()), Ok("B".into())]
        );
    }

    #[test]
    fn pieces_are_joined() {
        let mut f = framer();
        assert!(f.feed(b"SB-2026").is_empty());
        assert!(f.has_partial());
        assert_eq!(
            texts(f.feed(b"1124-000042\r")),
            vec![Ok("SB-20261124-000042".into())]
        );
        // The LF of CR LF arriving in the next read is not a second scan.
        assert!(f.feed(b"\n").is_empty());
    }

    #[test]
    fn prefix_and_suffix_are_stripped_and_required() {
        let mut f = LineFramer::new(LineConfig {
            prefix: Some("]Q1".into()),
            suffix: Some("\u{3}".into()),
            ..LineConfig::default()
        });
        assert_eq!(
            texts(f.feed(b"]Q1hello\x03\r]Q1\x03\rhello\x03\r]Q1hello\r")),
            vec![
                Ok("hello".into()),
                Err(LineError::Empty),
                Err(LineError::MissingPrefix),
                Err(LineError::MissingSuffix)
            ]
        );
    }

    #[test]
    fn over_long_line_is_reported_once_and_discarded_to_its_end() {
        let mut f = LineFramer::new(LineConfig {
            max_len: 4,
            ..LineConfig::default()
        });
        assert_eq!(texts(f.feed(b"abcd\r")), vec![Ok("abcd".into())]);
        let mut out = f.feed(b"abcdefgh");
        out.extend(f.feed(b"ijklmnop"));
        assert_eq!(texts(out), vec![Err(LineError::TooLong { max_len: 4 })]);
        assert_eq!(texts(f.feed(b"qr\r\nok\r")), vec![Ok("ok".into())]);
    }

    #[test]
    fn non_utf8_is_refused() {
        let mut f = framer();
        assert_eq!(
            texts(f.feed(b"\xff\xfe\x80\r")),
            vec![Err(LineError::InvalidText {
                encoding: Encoding::Utf8,
                len: 3
            })]
        );
        // GBK bytes of 你好 are not UTF-8.
        assert!(matches!(
            f.feed(b"\xc4\xe3\xba\xc3\r")[0],
            Err(LineError::InvalidText { .. })
        ));
    }

    #[test]
    fn gbk_is_decoded_when_configured() {
        let mut f = LineFramer::new(LineConfig {
            encoding: Encoding::Gbk,
            ..LineConfig::default()
        });
        assert_eq!(
            texts(f.feed(b"\xc4\xe3\xba\xc3 SB\r")),
            vec![Ok("你好 SB".into())]
        );
        // A lone lead byte is not GBK.
        assert!(matches!(
            f.feed(b"\xc4\r")[0],
            Err(LineError::InvalidText {
                encoding: Encoding::Gbk,
                ..
            })
        ));
    }

    #[test]
    fn abandoned_partial_is_not_glued_to_the_next_scan() {
        let mut f = framer();
        assert!(f.feed(b"https://zwfw.exa").is_empty());
        assert_eq!(f.abandon_partial(), Some(LineError::Incomplete { len: 16 }));
        assert_eq!(texts(f.feed(b"SB-1\r")), vec![Ok("SB-1".into())]);
        assert_eq!(f.abandon_partial(), None);
    }

    #[test]
    fn debug_shows_no_payload() {
        let s = Scan {
            text: "SB-20261124-000042".into(),
        };
        assert!(!format!("{s:?}").contains("000042"));
    }
}
