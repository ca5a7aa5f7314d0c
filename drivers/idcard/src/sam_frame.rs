//! Framing of the SAM protocol (GA/T 467).
//!
//! Every frame is `AA AA AA 96 69 | LEN (u16 BE) | body | XOR`. LEN counts the bytes after
//! itself, checksum included; the checksum is the XOR of the LEN bytes and the body.
//! A command body is `CMD PARA [data]`, a response body is `SW1 SW2 SW3 [data]` with
//! `SW1 SW2 = 00 00` and SW3 the [`Status`].

use std::fmt;

/// The five bytes that open every frame.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];

/// Largest LEN value accepted or produced.
///
/// The biggest real answer (text + photo + fingerprint on readers that support it) stays
/// under 2.5 KiB; capping the field means a corrupted LEN is reported at once instead of
/// the reader waiting for 64 KiB that will never come.
pub const MAX_LEN: usize = 4096;

/// Largest data part of a response that [`encode_response`] can frame.
pub const MAX_RESPONSE_DATA: usize = MAX_LEN - 4;

const HEADER_LEN: usize = PREAMBLE.len() + 2;
/// SW1 SW2 SW3 + checksum.
const MIN_RESPONSE_LEN: usize = 4;
/// CMD PARA + checksum.
const MIN_COMMAND_LEN: usize = 3;

/// The commands this driver sends to the SAM module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `10 FF`: reset the SAM module.
    ResetSam,
    /// `11 FF`: SAM self-check / status.
    SamStatus,
    /// `12 FF`: read the SAM module's serial number.
    ReadSamId,
    /// `20 01`: look for a card in the RF field (answers `9F` when one is there).
    FindCard,
    /// `20 02`: select the card found by [`Command::FindCard`].
    SelectCard,
    /// `30 01`: read the text block and the WLT photo of the selected card.
    ReadTextPhoto,
    /// `30 10`: read text block, WLT photo and fingerprint data (readers with a
    /// fingerprint-capable SAM; the answer has a third length word).
    ReadTextPhotoFingerprint,
    /// `61 FF` + one data byte: set the largest number of bytes the SAM exchanges with the
    /// card's RF module in one frame.
    SetMaxRfBytes,
}

impl Command {
    /// Every command, for tables and tests.
    pub const ALL: [Command; 8] = [
        Command::ResetSam,
        Command::SamStatus,
        Command::ReadSamId,
        Command::FindCard,
        Command::SelectCard,
        Command::ReadTextPhoto,
        Command::ReadTextPhotoFingerprint,
        Command::SetMaxRfBytes,
    ];

    /// The `CMD PARA` pair sent on the wire.
    pub const fn code(self) -> [u8; 2] {
        match self {
            Command::ResetSam => [0x10, 0xFF],
            Command::SamStatus => [0x11, 0xFF],
            Command::ReadSamId => [0x12, 0xFF],
            Command::FindCard => [0x20, 0x01],
            Command::SelectCard => [0x20, 0x02],
            Command::ReadTextPhoto => [0x30, 0x01],
            Command::ReadTextPhotoFingerprint => [0x30, 0x10],
            Command::SetMaxRfBytes => [0x61, 0xFF],
        }
    }

    /// The command with this `CMD PARA` pair, if it is one this driver knows.
    pub fn from_code(cmd: u8, para: u8) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.code() == [cmd, para])
    }

    /// The status a successful execution of this command answers with.
    pub const fn ok_status(self) -> Status {
        match self {
            Command::FindCard => Status::CardFound,
            _ => Status::Ok,
        }
    }

    /// Short English name, for messages shown to technicians.
    pub const fn description(self) -> &'static str {
        match self {
            Command::ResetSam => "reset SAM",
            Command::SamStatus => "SAM status",
            Command::ReadSamId => "read SAM id",
            Command::FindCard => "find card",
            Command::SelectCard => "select card",
            Command::ReadTextPhoto => "read text and photo",
            Command::ReadTextPhotoFingerprint => "read text, photo and fingerprint",
            Command::SetMaxRfBytes => "set maximum RF frame bytes",
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [cmd, para] = self.code();
        write!(f, "{} ({cmd:02X} {para:02X})", self.description())
    }
}

/// The SW3 status byte of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `0x90`: operation succeeded.
    Ok,
    /// `0x9F`: find card succeeded, a card is in the field.
    CardFound,
    /// `0x91`: the requested item is empty on the card (e.g. no fingerprint).
    ItemEmpty,
    /// `0x10`: the SAM received a frame with a wrong checksum.
    ChecksumError,
    /// `0x11`: the SAM received a frame with a wrong length.
    LengthError,
    /// `0x21`: the SAM does not know the command.
    CommandError,
    /// `0x23`: the command is not permitted in the current state.
    NotPermitted,
    /// `0x24`: the SAM reported an unspecified error.
    UnknownError,
    /// `0x31`: the card failed to authenticate the SAM.
    CardAuthSamFailed,
    /// `0x32`: the SAM failed to authenticate the card.
    SamAuthCardFailed,
    /// `0x33`: information verification failed.
    VerifyFailed,
    /// `0x40`: the card in the field is not a resident ID card.
    UnknownCardType,
    /// `0x41`: reading the card failed (usually moved or removed during the read).
    ReadFailed,
    /// `0x47`: the card failed to produce a random number.
    RandomFailed,
    /// `0x60`: the SAM module failed its self-test.
    SamSelfTestFailed,
    /// `0x66`: the SAM module is not authorised.
    SamNotAuthorised,
    /// `0x80`: find card failed: no card in the field.
    NoCard,
    /// `0x81`: select card failed.
    SelectFailed,
    /// Any other status byte.
    Unknown(u8),
}

impl Status {
    /// Every status code the protocol defines, in the order of GA/T 467's table.
    pub const ALL: [Status; 18] = [
        Status::Ok,
        Status::CardFound,
        Status::ItemEmpty,
        Status::ChecksumError,
        Status::LengthError,
        Status::CommandError,
        Status::NotPermitted,
        Status::UnknownError,
        Status::CardAuthSamFailed,
        Status::SamAuthCardFailed,
        Status::VerifyFailed,
        Status::UnknownCardType,
        Status::ReadFailed,
        Status::RandomFailed,
        Status::SamSelfTestFailed,
        Status::SamNotAuthorised,
        Status::NoCard,
        Status::SelectFailed,
    ];

    /// The status for a SW3 byte.
    pub const fn from_code(code: u8) -> Status {
        match code {
            0x90 => Status::Ok,
            0x9F => Status::CardFound,
            0x91 => Status::ItemEmpty,
            0x10 => Status::ChecksumError,
            0x11 => Status::LengthError,
            0x21 => Status::CommandError,
            0x23 => Status::NotPermitted,
            0x24 => Status::UnknownError,
            0x31 => Status::CardAuthSamFailed,
            0x32 => Status::SamAuthCardFailed,
            0x33 => Status::VerifyFailed,
            0x40 => Status::UnknownCardType,
            0x41 => Status::ReadFailed,
            0x47 => Status::RandomFailed,
            0x60 => Status::SamSelfTestFailed,
            0x66 => Status::SamNotAuthorised,
            0x80 => Status::NoCard,
            0x81 => Status::SelectFailed,
            other => Status::Unknown(other),
        }
    }

    /// The SW3 byte of this status.
    pub const fn code(self) -> u8 {
        match self {
            Status::Ok => 0x90,
            Status::CardFound => 0x9F,
            Status::ItemEmpty => 0x91,
            Status::ChecksumError => 0x10,
            Status::LengthError => 0x11,
            Status::CommandError => 0x21,
            Status::NotPermitted => 0x23,
            Status::UnknownError => 0x24,
            Status::CardAuthSamFailed => 0x31,
            Status::SamAuthCardFailed => 0x32,
            Status::VerifyFailed => 0x33,
            Status::UnknownCardType => 0x40,
            Status::ReadFailed => 0x41,
            Status::RandomFailed => 0x47,
            Status::SamSelfTestFailed => 0x60,
            Status::SamNotAuthorised => 0x66,
            Status::NoCard => 0x80,
            Status::SelectFailed => 0x81,
            Status::Unknown(code) => code,
        }
    }

    /// What the status means, worded for a technician at the kiosk.
    pub const fn message(self) -> &'static str {
        match self {
            Status::Ok => "operation succeeded",
            Status::CardFound => "card found",
            Status::ItemEmpty => "the requested item is empty on the card",
            Status::ChecksumError => {
                "the reader received a frame with a bad checksum (line noise?)"
            }
            Status::LengthError => "the reader received a frame with a bad length (line noise?)",
            Status::CommandError => "the reader does not support this command",
            Status::NotPermitted => "the command is not permitted in the reader's current state",
            Status::UnknownError => "the reader reported an unspecified error",
            Status::CardAuthSamFailed => {
                "the card rejected the SAM module (card authenticates SAM failed)"
            }
            Status::SamAuthCardFailed => {
                "the SAM module rejected the card (possibly forged or damaged)"
            }
            Status::VerifyFailed => "card information verification failed",
            Status::UnknownCardType => "the card is not a resident ID card",
            Status::ReadFailed => {
                "reading the card failed (card moved or removed during the read?)"
            }
            Status::RandomFailed => "the card failed to produce a random number",
            Status::SamSelfTestFailed => "the SAM module failed its self-test (hardware fault)",
            Status::SamNotAuthorised => "the SAM module is not authorised",
            Status::NoCard => "no card on the reader",
            Status::SelectFailed => "selecting the card failed (card moved or removed?)",
            Status::Unknown(_) => "the reader returned an unknown status code",
        }
    }
}

impl From<u8> for Status {
    fn from(code: u8) -> Status {
        Status::from_code(code)
    }
}

impl From<Status> for u8 {
    fn from(status: Status) -> u8 {
        status.code()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (status 0x{:02X})", self.message(), self.code())
    }
}

/// A decoded response frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// The SW3 status byte.
    pub status: Status,
    /// Everything between SW3 and the checksum.
    pub data: Vec<u8>,
}

// The data of a read response is a citizen's personal data: logs get its size only.
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// A decoded command frame, as the simulator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandFrame {
    /// The CMD byte.
    pub cmd: u8,
    /// The PARA byte.
    pub para: u8,
    /// Anything after PARA (empty for every command this driver sends).
    pub data: Vec<u8>,
}

impl CommandFrame {
    /// The known command this frame carries, if any.
    pub fn command(&self) -> Option<Command> {
        Command::from_code(self.cmd, self.para)
    }
}

/// Why bytes could not be decoded as a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The bytes are a correct start of a frame, more must be read to finish it.
    #[error("incomplete frame: more bytes are needed")]
    Incomplete,
    /// The first `garbage` bytes cannot start a frame and can be discarded; whatever follows
    /// them may still be the start of a preamble.
    #[error("{garbage} bytes of line noise without a frame preamble")]
    NoPreamble {
        /// How many leading bytes to discard.
        garbage: usize,
    },
    /// The checksum byte does not match the frame's contents.
    #[error("bad checksum: frame carries 0x{received:02X}, contents give 0x{computed:02X}")]
    BadChecksum {
        /// The checksum computed over LEN and body.
        computed: u8,
        /// The checksum byte in the frame.
        received: u8,
    },
    /// The LEN field is outside what the protocol allows.
    #[error("bad length field {len} (allowed {min}..={max})")]
    BadLength {
        /// The LEN value found.
        len: usize,
        /// Smallest LEN for this kind of frame.
        min: usize,
        /// Largest LEN accepted.
        max: usize,
    },
    /// SW1 SW2 of a response are not `00 00`.
    #[error("bad status words SW1 SW2 = {sw1:02X} {sw2:02X}, expected 00 00")]
    BadStatusWords {
        /// The SW1 byte.
        sw1: u8,
        /// The SW2 byte.
        sw2: u8,
    },
}

/// XOR of all bytes: the protocol's checksum over LEN and body.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}

/// Frames a body; the body must be at most `MAX_LEN - 1` bytes (callers guarantee it).
fn encode_frame(body: &[u8]) -> Vec<u8> {
    let len = body.len() + 1;
    let len_bytes = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
    let mut frame = Vec::with_capacity(HEADER_LEN + len);
    frame.extend_from_slice(&PREAMBLE);
    frame.extend_from_slice(&len_bytes);
    frame.extend_from_slice(body);
    frame.push(checksum(&frame[PREAMBLE.len()..]));
    frame
}

/// The bytes of a command frame, ready to write to the reader.
pub fn encode_command(cmd: Command) -> Vec<u8> {
    encode_frame(&cmd.code())
}

/// The bytes of a command frame that carries data after `CMD PARA` (only
/// [`Command::SetMaxRfBytes`] does, with one byte).
pub fn encode_command_with_data(cmd: Command, data: &[u8]) -> Vec<u8> {
    let [c, p] = cmd.code();
    encode_raw_command(c, p, data)
}

/// A command frame with arbitrary `CMD PARA data`, for probing readers and the simulator.
///
/// Data beyond what LEN can describe ([`MAX_LEN`]) is cut off.
pub fn encode_raw_command(cmd: u8, para: u8, data: &[u8]) -> Vec<u8> {
    let data = &data[..data.len().min(MAX_LEN - MIN_COMMAND_LEN)];
    let mut body = Vec::with_capacity(2 + data.len());
    body.extend_from_slice(&[cmd, para]);
    body.extend_from_slice(data);
    encode_frame(&body)
}

/// A response frame as a reader sends it (for the simulator and tests).
///
/// Data beyond [`MAX_RESPONSE_DATA`] bytes is cut off, because a longer frame would be
/// rejected by [`decode_response`] anyway.
pub fn encode_response(status: u8, data: &[u8]) -> Vec<u8> {
    let data = &data[..data.len().min(MAX_RESPONSE_DATA)];
    let mut body = Vec::with_capacity(3 + data.len());
    body.extend_from_slice(&[0x00, 0x00, status]);
    body.extend_from_slice(data);
    encode_frame(&body)
}

fn find_preamble(buf: &[u8]) -> Option<usize> {
    buf.windows(PREAMBLE.len()).position(|w| w == PREAMBLE)
}

/// Length of the longest proper prefix of the preamble that `buf` ends with: those bytes
/// may be completed by the next read, so they are not garbage yet.
fn partial_preamble_suffix(buf: &[u8]) -> usize {
    (1..PREAMBLE.len())
        .rev()
        .find(|&k| buf.len() >= k && buf[buf.len() - k..] == PREAMBLE[..k])
        .unwrap_or(0)
}

/// Finds the first frame in `buf`; returns its body and the bytes consumed up to its end
/// (garbage before the preamble included).
fn decode_frame(buf: &[u8], min_len: usize) -> Result<(&[u8], usize), FrameError> {
    let Some(start) = find_preamble(buf) else {
        let garbage = buf.len() - partial_preamble_suffix(buf);
        return Err(if garbage == 0 {
            FrameError::Incomplete
        } else {
            FrameError::NoPreamble { garbage }
        });
    };
    let frame = &buf[start..];
    if frame.len() < HEADER_LEN {
        return Err(FrameError::Incomplete);
    }
    let len = usize::from(u16::from_be_bytes([frame[5], frame[6]]));
    if !(min_len..=MAX_LEN).contains(&len) {
        return Err(FrameError::BadLength {
            len,
            min: min_len,
            max: MAX_LEN,
        });
    }
    let total = HEADER_LEN + len;
    if frame.len() < total {
        return Err(FrameError::Incomplete);
    }
    let computed = checksum(&frame[PREAMBLE.len()..total - 1]);
    let received = frame[total - 1];
    if computed != received {
        return Err(FrameError::BadChecksum { computed, received });
    }
    Ok((&frame[HEADER_LEN..total - 1], start + total))
}

/// Decodes the first response frame in `buf`.
///
/// Noise before the preamble is skipped and counted in the returned number of consumed
/// bytes. [`FrameError::Incomplete`] means "read more and try again";
/// [`FrameError::NoPreamble`] means "drop that many bytes and read more".
pub fn decode_response(buf: &[u8]) -> Result<(Response, usize), FrameError> {
    let (body, used) = decode_frame(buf, MIN_RESPONSE_LEN)?;
    // decode_frame guarantees at least MIN_RESPONSE_LEN - 1 body bytes.
    let [sw1, sw2, sw3, data @ ..] = body else {
        return Err(FrameError::Incomplete);
    };
    if (*sw1, *sw2) != (0, 0) {
        return Err(FrameError::BadStatusWords {
            sw1: *sw1,
            sw2: *sw2,
        });
    }
    let response = Response {
        status: Status::from_code(*sw3),
        data: data.to_vec(),
    };
    Ok((response, used))
}

/// Decodes the first command frame in `buf` (the reader's side of the protocol).
///
/// Errors mean the same as for [`decode_response`].
pub fn decode_command(buf: &[u8]) -> Result<(CommandFrame, usize), FrameError> {
    let (body, used) = decode_frame(buf, MIN_COMMAND_LEN)?;
    let [cmd, para, data @ ..] = body else {
        return Err(FrameError::Incomplete);
    };
    let frame = CommandFrame {
        cmd: *cmd,
        para: *para,
        data: data.to_vec(),
    };
    Ok((frame, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STATUS_CODES: [u8; 18] = [
        0x90, 0x9F, 0x91, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x60,
        0x66, 0x80, 0x81,
    ];

    #[test]
    fn command_bytes_are_exact() {
        let find = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22];
        let select = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x02, 0x21];
        let read = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32];
        let reset = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x10, 0xFF, 0xEC];
        let status = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x11, 0xFF, 0xED];
        let sam_id = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x12, 0xFF, 0xEE];
        let read_fp = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x10, 0x23];
        // 61 FF with 0x50 (80 bytes): LEN 4, XOR 00^04^61^FF^50 = 0xCA.
        let max_rf = [
            0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x61, 0xFF, 0x50, 0xCA,
        ];
        assert_eq!(encode_command(Command::FindCard), find);
        assert_eq!(encode_command(Command::SelectCard), select);
        assert_eq!(encode_command(Command::ReadTextPhoto), read);
        assert_eq!(encode_command(Command::ResetSam), reset);
        assert_eq!(encode_command(Command::SamStatus), status);
        assert_eq!(encode_command(Command::ReadSamId), sam_id);
        assert_eq!(encode_command(Command::ReadTextPhotoFingerprint), read_fp);
        assert_eq!(
            encode_command_with_data(Command::SetMaxRfBytes, &[0x50]),
            max_rf
        );
        assert_eq!(
            Command::from_code(0x30, 0x10),
            Some(Command::ReadTextPhotoFingerprint)
        );
        assert_eq!(Command::from_code(0x61, 0xFF), Some(Command::SetMaxRfBytes));
    }

    #[test]
    fn find_card_answer_decodes() {
        // The classic "card found" answer of a GA/T 467 reader.
        let bytes = [
            0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0, 0, 0, 0, 0x97,
        ];
        let (resp, used) = decode_response(&bytes).expect("decodes");
        assert_eq!(used, bytes.len());
        assert_eq!(resp.status, Status::CardFound);
        assert_eq!(resp.data, [0, 0, 0, 0]);
    }

    #[test]
    fn status_only_response_bytes_are_exact() {
        let bytes = encode_response(0x90, &[]);
        assert_eq!(
            bytes,
            [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x90, 0x94]
        );
        let no_card = encode_response(0x80, &[]);
        assert_eq!(
            no_card,
            [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x80, 0x84]
        );
    }

    #[test]
    fn every_status_code_decodes_to_its_variant() {
        assert_eq!(
            Status::ALL.map(Status::code),
            ALL_STATUS_CODES,
            "Status::ALL lists every code"
        );
        for code in ALL_STATUS_CODES {
            let (resp, _) = decode_response(&encode_response(code, &[])).expect("decodes");
            assert_eq!(resp.status.code(), code);
            assert!(
                !matches!(resp.status, Status::Unknown(_)),
                "0x{code:02X} is known"
            );
            assert_ne!(resp.status.message(), Status::Unknown(0).message());
        }
        let expected = [
            (0x90, Status::Ok),
            (0x9F, Status::CardFound),
            (0x91, Status::ItemEmpty),
            (0x10, Status::ChecksumError),
            (0x11, Status::LengthError),
            (0x21, Status::CommandError),
            (0x23, Status::NotPermitted),
            (0x24, Status::UnknownError),
            (0x31, Status::CardAuthSamFailed),
            (0x32, Status::SamAuthCardFailed),
            (0x33, Status::VerifyFailed),
            (0x40, Status::UnknownCardType),
            (0x41, Status::ReadFailed),
            (0x47, Status::RandomFailed),
            (0x60, Status::SamSelfTestFailed),
            (0x66, Status::SamNotAuthorised),
            (0x80, Status::NoCard),
            (0x81, Status::SelectFailed),
        ];
        for (code, status) in expected {
            assert_eq!(Status::from_code(code), status);
        }
        assert_eq!(Status::from_code(0x55), Status::Unknown(0x55));
        assert_eq!(Status::Unknown(0x55).code(), 0x55);
    }

    #[test]
    fn bad_checksum_is_reported() {
        let mut bytes = encode_response(0x90, &[1, 2, 3]);
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        assert!(matches!(
            decode_response(&bytes),
            Err(FrameError::BadChecksum { .. })
        ));
    }

    #[test]
    fn every_prefix_of_a_frame_is_incomplete() {
        let bytes = encode_response(0x90, &[7; 20]);
        for cut in 0..bytes.len() {
            assert_eq!(
                decode_response(&bytes[..cut]),
                Err(FrameError::Incomplete),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn garbage_before_the_preamble_is_skipped() {
        let frame = encode_response(0x9F, &[]);
        let mut bytes = vec![0x00, 0xAA, 0x13, 0xAA, 0xAA, 0x96, 0xAA, 0xAA];
        bytes.extend_from_slice(&frame);
        bytes.extend_from_slice(&[0xAA, 0xAA]); // start of the next frame stays unconsumed
        let (resp, used) = decode_response(&bytes).expect("decodes");
        assert_eq!(resp.status, Status::CardFound);
        assert_eq!(used, 8 + frame.len());
    }

    #[test]
    fn pure_garbage_keeps_a_possible_preamble_start() {
        assert_eq!(
            decode_response(&[1, 2, 3]),
            Err(FrameError::NoPreamble { garbage: 3 })
        );
        assert_eq!(
            decode_response(&[1, 2, 0xAA, 0xAA]),
            Err(FrameError::NoPreamble { garbage: 2 })
        );
        assert_eq!(
            decode_response(&[0xAA, 0xAA, 0xAA, 0x96]),
            Err(FrameError::Incomplete)
        );
        assert_eq!(decode_response(&[]), Err(FrameError::Incomplete));
    }

    #[test]
    fn bad_lengths_are_reported_before_waiting_for_bytes() {
        let too_short = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x00, 0x00, 0x03];
        assert!(matches!(
            decode_response(&too_short),
            Err(FrameError::BadLength { len: 3, .. })
        ));
        let too_long = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF];
        assert!(matches!(
            decode_response(&too_long),
            Err(FrameError::BadLength { len: 0xFFFF, .. })
        ));
        let zero = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x00];
        assert!(matches!(
            decode_command(&zero),
            Err(FrameError::BadLength { len: 0, .. })
        ));
    }

    #[test]
    fn nonzero_status_words_are_reported() {
        let mut bytes = encode_frame(&[0x01, 0x00, 0x90]);
        assert_eq!(
            decode_response(&bytes),
            Err(FrameError::BadStatusWords { sw1: 1, sw2: 0 })
        );
        bytes.truncate(3);
        assert_eq!(decode_response(&bytes), Err(FrameError::Incomplete));
    }

    #[test]
    fn commands_round_trip_through_the_simulator_decoder() {
        for cmd in Command::ALL {
            let bytes = encode_command(cmd);
            let (frame, used) = decode_command(&bytes).expect("decodes");
            assert_eq!(used, bytes.len());
            assert_eq!(frame.command(), Some(cmd));
            assert!(frame.data.is_empty());
        }
        let (frame, _) = decode_command(&encode_raw_command(0x99, 0x01, &[5])).expect("decodes");
        assert_eq!(
            (frame.cmd, frame.para, frame.data.as_slice()),
            (0x99, 0x01, &[5u8][..])
        );
        assert_eq!(frame.command(), None);
    }

    #[test]
    fn oversized_data_is_cut_to_what_len_can_carry() {
        let bytes = encode_response(0x90, &vec![0x55; MAX_RESPONSE_DATA + 10]);
        let (resp, _) = decode_response(&bytes).expect("decodes");
        assert_eq!(resp.data.len(), MAX_RESPONSE_DATA);
    }

    #[test]
    fn response_debug_hides_data() {
        let resp = Response {
            status: Status::Ok,
            data: vec![0x20, 0x5F, 0x0A, 0x4F],
        };
        let text = format!("{resp:?}");
        assert!(text.contains("data_len: 4"), "{text}");
        assert!(!text.contains("95"), "{text}");
    }
}
