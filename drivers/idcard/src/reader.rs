//! The driver proper: command/response exchanges over any byte transport.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, SerialPort, TTYPort};

use crate::card::IdCard;
use crate::sam_frame::{
    decode_response, encode_command, encode_command_with_data, Command, FrameError, Response,
    Status, MAX_LEN,
};
use crate::text_block::{decode_text_block, split_text_photo, split_text_photo_fingerprint};
use crate::Error;

/// How many frames [`IdCardReader::raw_log`] keeps.
pub const RAW_LOG_CAPACITY: usize = 32;

/// Serial read timeout used by [`open_serial`].
///
/// A SAM module takes several hundred milliseconds to fetch text and photo from the card
/// before it sends the first byte, so the timeout must be well above that.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Bytes accepted for one answer before giving up on finding a frame in them: twice the
/// largest frame, so a device that streams noise (wrong device or baud rate on the port)
/// cannot keep an exchange going forever.
const MAX_ANSWER_BYTES: usize = 2 * (7 + MAX_LEN);

/// Received frames longer than this have their payload zeroed in the raw log.
const LOG_REDACT_ABOVE: usize = 64;
/// Preamble, LEN, SW1-3 and the two length words of a read answer stay readable.
const LOG_KEEP_HEAD: usize = 14;

/// Which way a logged frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the driver to the reader.
    Sent,
    /// From the reader to the driver (a frame, or bytes that did not make one).
    Received,
}

/// One logged frame with the time it was sent or completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    /// Which way it went.
    pub direction: Direction,
    /// Time since the reader was created.
    pub at: Duration,
    /// The bytes (card payloads zeroed, see [`IdCardReader::raw_log`]).
    pub bytes: Vec<u8>,
}

/// Fingerprint templates from a `30 10` read: biometric data, so `Debug` shows the size only.
#[derive(Clone, PartialEq, Eq)]
pub struct Fingerprint(pub Vec<u8>);

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint(<{} bytes>)", self.0.len())
    }
}

/// The SAM module's 16-byte serial number (answer to `12 FF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamId(pub [u8; 16]);

impl std::fmt::Display for SamId {
    /// The form printed on SAM labels: `05.01-20240115-0000305252-0000022136` (two u16 and
    /// three u32, little-endian).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = &self.0;
        let u16le = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32le = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        write!(
            f,
            "{:02}.{:02}-{:08}-{:010}-{:010}",
            u16le(0),
            u16le(2),
            u32le(4),
            u32le(8),
            u32le(12)
        )
    }
}

/// A SAM-protocol ID card reader on a byte transport (a serial port, or anything else that
/// reads and writes bytes).
///
/// Reads on the transport should time out (serial ports do) rather than block forever: a
/// `TimedOut` or `WouldBlock` read becomes [`Error::Timeout`].
pub struct IdCardReader<T: Read + Write> {
    transport: T,
    rx: Vec<u8>,
    log: VecDeque<RawFrame>,
    started: Instant,
}

impl<T: Read + Write> IdCardReader<T> {
    /// A reader talking over `transport`.
    pub fn new(transport: T) -> Self {
        IdCardReader {
            transport,
            rx: Vec::new(),
            log: VecDeque::with_capacity(RAW_LOG_CAPACITY),
            started: Instant::now(),
        }
    }

    /// Gives the transport back.
    pub fn release(self) -> T {
        self.transport
    }

    /// The transport, e.g. to change a serial port's timeout.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// The last [`RAW_LOG_CAPACITY`] frames exchanged, oldest first, for technicians.
    ///
    /// Bytes that arrived but did not form a frame (noise, a cut-off answer) are logged as
    /// received too. Received frames longer than 64 bytes (the card's text and photo) have
    /// everything after their first 14 bytes zeroed, so the log shows lengths and status but
    /// no personal data.
    pub fn raw_log(&self) -> Vec<(Direction, Vec<u8>)> {
        self.log
            .iter()
            .map(|f| (f.direction, f.bytes.clone()))
            .collect()
    }

    /// [`raw_log`](Self::raw_log) with the time of each frame since the reader was made,
    /// for the technicians' `diag idcard read`.
    pub fn raw_frames(&self) -> Vec<RawFrame> {
        self.log.iter().cloned().collect()
    }

    fn record(&mut self, direction: Direction, mut bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if direction == Direction::Received && bytes.len() > LOG_REDACT_ABOVE {
            bytes[LOG_KEEP_HEAD..].fill(0);
        }
        if self.log.len() == RAW_LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(RawFrame {
            direction,
            at: self.started.elapsed(),
            bytes,
        });
    }

    fn take_rx_into_log(&mut self) {
        let leftover = std::mem::take(&mut self.rx);
        self.record(Direction::Received, leftover);
    }

    /// Sends one command and waits for its response, whatever its status.
    ///
    /// The building block of the typed methods; useful for commands they do not cover.
    pub fn transact(&mut self, cmd: Command) -> Result<Response, Error> {
        self.transact_frame(encode_command(cmd))
    }

    /// Like [`transact`](Self::transact) for a command that carries data.
    pub fn transact_with_data(&mut self, cmd: Command, data: &[u8]) -> Result<Response, Error> {
        self.transact_frame(encode_command_with_data(cmd, data))
    }

    fn transact_frame(&mut self, frame: Vec<u8>) -> Result<Response, Error> {
        // Bytes left from an earlier failed exchange would be taken for this answer.
        self.take_rx_into_log();
        self.record(Direction::Sent, frame.clone());
        self.transport
            .write_all(&frame)
            .and_then(|()| self.transport.flush())
            .map_err(io_error)?;
        self.read_response()
    }

    fn read_response(&mut self) -> Result<Response, Error> {
        let mut chunk = [0u8; 512];
        let mut received = self.rx.len();
        loop {
            match decode_response(&self.rx) {
                Ok((response, used)) => {
                    let bytes: Vec<u8> = self.rx.drain(..used).collect();
                    self.record(Direction::Received, bytes);
                    return Ok(response);
                }
                Err(FrameError::Incomplete | FrameError::NoPreamble { .. })
                    if received > MAX_ANSWER_BYTES =>
                {
                    self.take_rx_into_log();
                    return Err(FrameError::NoPreamble { garbage: received }.into());
                }
                Err(FrameError::Incomplete) => {}
                Err(FrameError::NoPreamble { garbage }) => {
                    let noise: Vec<u8> = self.rx.drain(..garbage.min(self.rx.len())).collect();
                    self.record(Direction::Received, noise);
                }
                Err(e) => {
                    self.take_rx_into_log();
                    return Err(e.into());
                }
            }
            match self.transport.read(&mut chunk) {
                Ok(0) => {
                    self.take_rx_into_log();
                    return Err(Error::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the reader's connection closed",
                    )));
                }
                Ok(n) => {
                    received += n;
                    self.rx.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.take_rx_into_log();
                    return Err(io_error(e));
                }
            }
        }
    }

    /// Sends `cmd` and fails with [`Error::Status`] unless the answer has `ok` status.
    fn expect(&mut self, cmd: Command) -> Result<Response, Error> {
        let response = self.transact(cmd)?;
        Self::check(cmd, response)
    }

    fn check(cmd: Command, response: Response) -> Result<Response, Error> {
        if response.status == cmd.ok_status() {
            Ok(response)
        } else {
            Err(Error::Status {
                command: cmd,
                status: response.status,
            })
        }
    }

    /// Looks for a card: `true` when one is in the field, `false` when the reader says
    /// there is none.
    pub fn find_card(&mut self) -> Result<bool, Error> {
        let response = self.transact(Command::FindCard)?;
        match response.status {
            Status::CardFound => Ok(true),
            Status::NoCard => Ok(false),
            status => Err(Error::Status {
                command: Command::FindCard,
                status,
            }),
        }
    }

    /// Selects the card found by [`find_card`](Self::find_card).
    pub fn select_card(&mut self) -> Result<(), Error> {
        self.expect(Command::SelectCard).map(drop)
    }

    /// Reads text and photo of the selected card and checks every field.
    pub fn read_text_photo(&mut self) -> Result<IdCard, Error> {
        let response = self.expect(Command::ReadTextPhoto)?;
        let (text, photo) = split_text_photo(&response.data)?;
        let text = decode_text_block(text)?;
        let photo = (!photo.is_empty()).then(|| photo.to_vec());
        IdCard::from_text(&text, photo)
    }

    /// Reads text, photo and fingerprint (`30 10`) of the selected card and checks every
    /// field; the fingerprint is `None` when the card holds none (length word 0).
    ///
    /// Readers whose SAM cannot read fingerprints answer `21` (command error).
    pub fn read_text_photo_fingerprint(&mut self) -> Result<(IdCard, Option<Fingerprint>), Error> {
        let response = self.expect(Command::ReadTextPhotoFingerprint)?;
        let parts = split_text_photo_fingerprint(&response.data)?;
        let text = decode_text_block(parts.text)?;
        let photo = (!parts.photo.is_empty()).then(|| parts.photo.to_vec());
        let fingerprint =
            (!parts.fingerprint.is_empty()).then(|| Fingerprint(parts.fingerprint.to_vec()));
        Ok((IdCard::from_text(&text, photo)?, fingerprint))
    }

    /// Resets the SAM module (`10 FF`).
    pub fn reset_sam(&mut self) -> Result<(), Error> {
        self.expect(Command::ResetSam).map(drop)
    }

    /// Asks the SAM module for its status (`11 FF`); `Ok` when it is healthy.
    pub fn sam_status(&mut self) -> Result<(), Error> {
        self.expect(Command::SamStatus).map(drop)
    }

    /// Reads the SAM module's serial number (`12 FF`).
    pub fn read_sam_id(&mut self) -> Result<SamId, Error> {
        let response = self.expect(Command::ReadSamId)?;
        let id: [u8; 16] = response
            .data
            .get(..16)
            .and_then(|d| d.try_into().ok())
            .ok_or(Error::ShortAnswer {
                command: Command::ReadSamId,
                expected: 16,
                actual: response.data.len(),
            })?;
        Ok(SamId(id))
    }

    /// Sets the largest number of bytes the SAM exchanges with the card in one RF frame
    /// (`61 FF n`). Some readers need a smaller value with weak antennas.
    pub fn set_max_rf_bytes(&mut self, bytes: u8) -> Result<(), Error> {
        let response = self.transact_with_data(Command::SetMaxRfBytes, &[bytes])?;
        Self::check(Command::SetMaxRfBytes, response).map(drop)
    }

    /// Find, select and read in one go; `None` when there is no card.
    pub fn read_card(&mut self) -> Result<Option<IdCard>, Error> {
        if !self.find_card()? {
            return Ok(None);
        }
        self.select_card()?;
        self.read_text_photo().map(Some)
    }
}

fn io_error(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::Timeout,
        _ => Error::Io(e),
    }
}

impl<T: Read + Write> std::fmt::Debug for IdCardReader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdCardReader")
            .field("buffered", &self.rx.len())
            .field("logged_frames", &self.log.len())
            .finish_non_exhaustive()
    }
}

/// Opens a reader on a serial port with [`DEFAULT_TIMEOUT`] (8N1, no flow control, exclusive).
pub fn open_serial(path: &Path, baud: u32) -> Result<IdCardReader<TTYPort>, Error> {
    open_serial_with_timeout(path, baud, DEFAULT_TIMEOUT)
}

/// Opens a reader on a serial port with a given read timeout.
pub fn open_serial_with_timeout(
    path: &Path,
    baud: u32,
    timeout: Duration,
) -> Result<IdCardReader<TTYPort>, Error> {
    let port = serialport::new(path.to_string_lossy(), baud)
        .timeout(timeout)
        .open_native()
        .map_err(io::Error::from)?;
    // Linux does not flush a tty on open: an answer the reader sent to a previous user of the
    // port would otherwise be taken as the answer to our first command.
    port.clear(ClearBuffer::All).map_err(io::Error::from)?;
    Ok(IdCardReader::new(port))
}

/// Reports each card once per presentation.
///
/// Call [`poll`](Self::poll) at the cadence you want (every 300–500 ms is usual). After a card
/// has been read, it is not reported again until the reader has answered "no card" once,
/// i.e. the card has left the field; a failed read is retried on the next poll.
#[derive(Debug)]
pub struct CardPoller<T: Read + Write> {
    reader: IdCardReader<T>,
    card_reported: bool,
    in_field: bool,
}

impl<T: Read + Write> CardPoller<T> {
    /// A poller driving `reader`.
    pub fn new(reader: IdCardReader<T>) -> Self {
        CardPoller {
            reader,
            card_reported: false,
            in_field: false,
        }
    }

    /// One find (and, for a newly presented card, select + read).
    ///
    /// `Ok(Some(card))` once per presentation, `Ok(None)` otherwise.
    pub fn poll(&mut self) -> Result<Option<IdCard>, Error> {
        if !self.reader.find_card()? {
            self.card_reported = false;
            self.in_field = false;
            return Ok(None);
        }
        self.in_field = true;
        if self.card_reported {
            return Ok(None);
        }
        self.reader.select_card()?;
        let card = self.reader.read_text_photo()?;
        self.card_reported = true;
        Ok(Some(card))
    }

    /// Whether the last find saw a card in the field (read, or failing to read): the
    /// kiosk's "take your ID card" waits until it is `false`. A find that failed leaves
    /// it as it was. Readers that halt a card once read answer "no card" while it still
    /// lies there, so on those it turns `false` at once.
    pub fn card_in_field(&self) -> bool {
        self.in_field
    }

    /// Forgets the card in the field, so it is reported again by the next poll.
    pub fn reset(&mut self) {
        self.card_reported = false;
    }

    /// The underlying reader (its raw log, or direct commands).
    pub fn reader_mut(&mut self) -> &mut IdCardReader<T> {
        &mut self.reader
    }

    /// Gives the reader back.
    pub fn into_inner(self) -> IdCardReader<T> {
        self.reader
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sam_frame::encode_response;
    use crate::sim::sample_cards;
    use crate::text_block::{encode_text_block, encode_text_photo};

    /// A scripted transport: answers are handed out in the given chunks, then reads time out.
    struct Script {
        chunks: VecDeque<Vec<u8>>,
        written: Vec<u8>,
    }

    impl Script {
        fn new(chunks: Vec<Vec<u8>>) -> Self {
            Script {
                chunks: chunks.into(),
                written: Vec::new(),
            }
        }
    }

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(mut chunk) = self.chunks.pop_front() else {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "scripted timeout"));
            };
            let n = chunk.len().min(buf.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            if n < chunk.len() {
                self.chunks.push_front(chunk.split_off(n));
            }
            Ok(n)
        }
    }

    impl Write for Script {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn card_answer() -> Vec<u8> {
        let card = &sample_cards()[0];
        let block = encode_text_block(&card.to_text());
        let photo = card.photo.clone().unwrap_or_default();
        encode_response(0x90, &encode_text_photo(&block, &photo))
    }

    #[test]
    fn read_card_sends_find_select_read_and_parses() {
        let answer = card_answer();
        // Deliver the big answer one byte at a time to exercise the read loop.
        let mut chunks = vec![encode_response(0x9F, &[0; 4]), encode_response(0x90, &[])];
        chunks.extend(answer.iter().map(|b| vec![*b]));
        let mut reader = IdCardReader::new(Script::new(chunks));
        let card = reader.read_card().expect("reads").expect("card present");
        assert_eq!(card, sample_cards()[0]);
        let script = reader.release();
        let mut expected = encode_command(Command::FindCard);
        expected.extend(encode_command(Command::SelectCard));
        expected.extend(encode_command(Command::ReadTextPhoto));
        assert_eq!(script.written, expected);
    }

    #[test]
    fn no_card_is_none() {
        let mut reader = IdCardReader::new(Script::new(vec![encode_response(0x80, &[])]));
        assert!(reader.read_card().expect("answers").is_none());
    }

    #[test]
    fn silence_is_a_timeout_and_partial_frames_are_logged() {
        let mut reader = IdCardReader::new(Script::new(vec![vec![0xAA, 0xAA, 0xAA, 0x96]]));
        assert!(matches!(reader.find_card(), Err(Error::Timeout)));
        let log = reader.raw_log();
        assert_eq!(log.len(), 2);
        assert_eq!(log[1], (Direction::Received, vec![0xAA, 0xAA, 0xAA, 0x96]));
    }

    #[test]
    fn noise_before_the_answer_is_skipped() {
        let mut noisy = vec![0x13, 0x37, 0xAA];
        noisy.extend(encode_response(0x9F, &[]));
        let mut reader = IdCardReader::new(Script::new(vec![noisy]));
        assert!(reader.find_card().expect("answers"));
    }

    #[test]
    fn device_status_is_reported_with_its_command() {
        let mut reader = IdCardReader::new(Script::new(vec![
            encode_response(0x9F, &[]),
            encode_response(0x81, &[]),
        ]));
        let err = reader.read_card().expect_err("select fails");
        assert!(matches!(
            err,
            Error::Status {
                command: Command::SelectCard,
                status: Status::SelectFailed
            }
        ));
        assert!(err.to_string().contains("select card"), "{err}");
    }

    #[test]
    fn endless_noise_ends_the_exchange() {
        struct Noise;
        impl Read for Noise {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                buf.fill(0x55);
                Ok(buf.len())
            }
        }
        impl Write for Noise {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut reader = IdCardReader::new(Noise);
        let err = reader.find_card().expect_err("no frame in noise");
        assert!(
            matches!(err, Error::Frame(FrameError::NoPreamble { garbage }) if garbage > MAX_LEN)
        );
        assert!(reader.raw_log().len() <= RAW_LOG_CAPACITY);
    }

    #[test]
    fn eof_is_an_io_error() {
        struct Closed;
        impl Read for Closed {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Ok(0)
            }
        }
        impl Write for Closed {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut reader = IdCardReader::new(Closed);
        assert!(matches!(reader.find_card(), Err(Error::Io(_))));
    }

    #[test]
    fn raw_log_is_a_bounded_ring_without_personal_data() {
        let mut chunks = Vec::new();
        for _ in 0..20 {
            chunks.push(encode_response(0x80, &[]));
        }
        chunks.extend([
            encode_response(0x9F, &[]),
            encode_response(0x90, &[]),
            card_answer(),
        ]);
        let mut reader = IdCardReader::new(Script::new(chunks));
        for _ in 0..20 {
            assert!(reader.read_card().expect("answers").is_none());
        }
        assert!(reader.read_card().expect("answers").is_some());
        let log = reader.raw_log();
        assert_eq!(log.len(), RAW_LOG_CAPACITY);
        let (direction, last) = log.last().expect("logged");
        assert_eq!(*direction, Direction::Received);
        assert_eq!(last.len(), card_answer().len());
        assert_eq!(&last[..14], &card_answer()[..14]);
        assert!(last[14..].iter().all(|b| *b == 0));
    }

    #[test]
    fn poller_reports_once_per_presentation() {
        let present = || encode_response(0x9F, &[]);
        let chunks = vec![
            encode_response(0x80, &[]),
            present(),
            encode_response(0x90, &[]),
            card_answer(),
            present(),
            present(),
            encode_response(0x80, &[]),
            present(),
            encode_response(0x90, &[]),
            card_answer(),
        ];
        let mut poller = CardPoller::new(IdCardReader::new(Script::new(chunks)));
        assert!(poller.poll().expect("poll").is_none());
        assert!(poller.poll().expect("poll").is_some());
        assert!(poller.poll().expect("poll").is_none());
        assert!(poller.poll().expect("poll").is_none());
        assert!(poller.poll().expect("poll").is_none());
        assert!(poller.poll().expect("poll").is_some());
    }
}
