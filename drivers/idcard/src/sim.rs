//! A simulated reader: the same bytes as a real GA/T 467 reader, on a pseudo-terminal.
//!
//! [`SimReader::spawn`] creates a pty pair with [`TTYPort::pair`]; a thread answers commands
//! on the master side while the driver opens the slave path like any serial port, so the
//! whole serial stack (open, timeouts, pieces arriving separately) is exercised without
//! hardware.
//!
//! The pair's own slave handle is kept open for the simulator's lifetime. On Linux a pty
//! master reads `EIO` whenever no slave handle is open, which would otherwise happen before
//! the driver opens the port and between two opens. `TTYPort::pair` does not put the slave
//! in exclusive mode, so the driver's (exclusive) open still succeeds, and reopening after the
//! driver closed the port works too.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

use crate::card::IdCard;
use crate::sam_frame::{decode_command, encode_response, Command, CommandFrame, FrameError};
use crate::text_block::{encode_text_block, encode_text_photo, IdCardText, PHOTO_LEN};

/// How long the simulator thread blocks in a read before it checks whether to stop.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// What [`Command::ReadSamId`] answers.
const SAM_ID: [u8; 16] = [
    0x05, 0x00, 0x01, 0x00, 0x20, 0x24, 0x01, 0x15, 0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x56, 0x78,
];

/// Line noise with partial preambles in it, to exercise resynchronisation.
const NOISE: [u8; 8] = [0x00, 0xAA, 0x13, 0xAA, 0xAA, 0x96, 0xFF, 0xAA];

/// A fault the simulator applies once, to the next suitable exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// One byte inside the next answer is corrupted, as line noise would do: the driver
    /// sees a bad checksum.
    GarbledByte,
    /// The next answer carries a wrong checksum byte.
    BadChecksum,
    /// The next command gets no answer at all.
    Timeout,
    /// The next read-text+photo command is answered with this status byte and no data.
    Status(u8),
    /// The card is taken away while the next read-text+photo runs: the reader answers
    /// `0x41` (read failed) and afterwards finds no card.
    RemovedMidRead,
    /// Line noise precedes the next answer; the driver must skip it and succeed.
    NoiseBeforeFrame,
    /// Only the first half of the next answer is sent: the driver times out.
    Truncated,
    /// The next answer arrives in 7-byte pieces with pauses; the driver must reassemble it.
    Trickle,
}

impl Fault {
    /// Faults tied to reading the card wait for a read command; the others hit any command.
    fn waits_for_read(self) -> bool {
        matches!(self, Fault::Status(_) | Fault::RemovedMidRead)
    }
}

#[derive(Default)]
struct State {
    card: Option<IdCard>,
    faults: VecDeque<Fault>,
    commands: usize,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic elsewhere must not take the simulator down with it: the state stays usable.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A simulated reader answering on a pseudo-terminal; dropping it stops its thread.
pub struct SimReader {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
    // Keeps the pty usable while the driver has the port closed; see the module docs.
    _slave: TTYPort,
}

impl SimReader {
    /// Creates the pty pair and starts answering, with no card on the reader.
    pub fn spawn() -> io::Result<SimReader> {
        let (mut master, slave) = TTYPort::pair().map_err(io::Error::from)?;
        let path = slave
            .name()
            .map(PathBuf::from)
            .ok_or_else(|| io::Error::other("the pty slave has no path"))?;
        master.set_timeout(POLL_INTERVAL).map_err(io::Error::from)?;
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = thread::Builder::new().name("idcard-sim".into()).spawn({
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            move || run(master, &state, &stop)
        })?;
        Ok(SimReader {
            state,
            stop,
            thread: Some(thread),
            path,
            _slave: slave,
        })
    }

    /// The tty path to open as the reader's serial port (any baud rate works).
    pub fn port_path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Puts a card on the reader (replacing any card already there).
    pub fn place_card(&self, card: IdCard) {
        lock(&self.state).card = Some(card);
    }

    /// Takes the card off the reader.
    pub fn remove_card(&self) {
        lock(&self.state).card = None;
    }

    /// Whether a card is on the reader.
    pub fn has_card(&self) -> bool {
        lock(&self.state).card.is_some()
    }

    /// Queues a fault; faults apply one per command, in the order injected.
    pub fn inject(&self, fault: Fault) {
        lock(&self.state).faults.push_back(fault);
    }

    /// How many command frames the simulator has answered (or deliberately ignored).
    pub fn commands_received(&self) -> usize {
        lock(&self.state).commands
    }
}

impl std::fmt::Debug for SimReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimReader")
            .field("path", &self.path)
            .field("has_card", &self.has_card())
            .finish_non_exhaustive()
    }
}

impl Drop for SimReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread only ever blocks for POLL_INTERVAL, so this returns promptly.
            let _ = thread.join();
        }
    }
}

/// How an answer goes out.
enum Reply {
    Whole(Vec<u8>),
    Trickle(Vec<u8>),
    Silent,
}

fn run(mut master: TTYPort, state: &Mutex<State>, stop: &AtomicBool) {
    let mut rx = Vec::new();
    let mut chunk = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        match master.read(&mut chunk) {
            Ok(n) if n > 0 => rx.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => continue,
            // EOF or EIO: nobody on the slave side right now.
            _ => {
                thread::sleep(POLL_INTERVAL);
                continue;
            }
        }
        loop {
            let reply = match decode_command(&rx) {
                Ok((frame, used)) => {
                    rx.drain(..used);
                    answer(state, &frame)
                }
                Err(FrameError::Incomplete) => break,
                Err(FrameError::NoPreamble { garbage }) => {
                    rx.drain(..garbage.min(rx.len()));
                    continue;
                }
                // What a real SAM does with a corrupted command.
                Err(FrameError::BadChecksum { .. }) => {
                    rx.clear();
                    Reply::Whole(encode_response(0x10, &[]))
                }
                Err(_) => {
                    rx.clear();
                    Reply::Whole(encode_response(0x11, &[]))
                }
            };
            send(&mut master, reply);
        }
    }
}

fn send(master: &mut TTYPort, reply: Reply) {
    // Write errors mean the driver went away; the next command will tell.
    match reply {
        Reply::Whole(bytes) => {
            let _ = master.write_all(&bytes);
        }
        Reply::Trickle(bytes) => {
            for piece in bytes.chunks(7) {
                if master.write_all(piece).is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(2));
            }
        }
        Reply::Silent => {}
    }
}

fn answer(state: &Mutex<State>, frame: &CommandFrame) -> Reply {
    let mut st = lock(state);
    st.commands += 1;
    let command = frame.command();
    let is_read = command == Some(Command::ReadTextPhoto);
    let fault = st
        .faults
        .iter()
        .position(|f| is_read || !f.waits_for_read())
        .and_then(|i| st.faults.remove(i));
    let mut bytes = match fault {
        Some(Fault::Status(code)) => encode_response(code, &[]),
        Some(Fault::RemovedMidRead) => {
            st.card = None;
            encode_response(0x41, &[])
        }
        _ => normal_answer(command, st.card.as_ref()),
    };
    drop(st);
    match fault {
        Some(Fault::Timeout) => return Reply::Silent,
        Some(Fault::Trickle) => return Reply::Trickle(bytes),
        Some(Fault::GarbledByte) => {
            // Middle of the body: never the preamble, LEN or checksum (frames have >= 11 bytes).
            let at = 7 + (bytes.len().saturating_sub(8)) / 2;
            if let Some(b) = bytes.get_mut(at) {
                *b ^= 0x5A;
            }
        }
        Some(Fault::BadChecksum) => {
            if let Some(b) = bytes.last_mut() {
                *b ^= 0xFF;
            }
        }
        Some(Fault::NoiseBeforeFrame) => {
            bytes.splice(0..0, NOISE);
        }
        Some(Fault::Truncated) => bytes.truncate(bytes.len() / 2),
        Some(Fault::Status(_) | Fault::RemovedMidRead) | None => {}
    }
    Reply::Whole(bytes)
}

fn normal_answer(command: Option<Command>, card: Option<&IdCard>) -> Vec<u8> {
    match (command, card) {
        // Real readers append four zero bytes to "card found".
        (Some(Command::FindCard), Some(_)) => encode_response(0x9F, &[0; 4]),
        (Some(Command::FindCard), None) => encode_response(0x80, &[]),
        (Some(Command::SelectCard), Some(_)) => encode_response(0x90, &[0; 8]),
        (Some(Command::SelectCard), None) => encode_response(0x81, &[]),
        (Some(Command::ReadTextPhoto), Some(card)) => {
            let block = encode_text_block(&card.to_text());
            let photo = card.photo.as_deref().unwrap_or_default();
            encode_response(0x90, &encode_text_photo(&block, photo))
        }
        (Some(Command::ReadTextPhoto), None) => encode_response(0x41, &[]),
        (Some(Command::ResetSam | Command::SamStatus), _) => encode_response(0x90, &[]),
        (Some(Command::ReadSamId), _) => encode_response(0x90, &SAM_ID),
        (None, _) => encode_response(0x21, &[]),
    }
}

/// Deterministic stand-in for a WLT photo (the real format is proprietary).
fn filler_photo(seed: u8) -> Vec<u8> {
    (0..PHOTO_LEN)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Fictitious but fully valid cards for demos and tests:
///
/// 0. 张伟, born 1985-03-12 in 北京市东城区, the demo citizen;
/// 1. a card whose ID number ends in `X`;
/// 2. a card that expired on 2025-04-10;
/// 3. a long-term (`长期`) card;
/// 4. a card with an 8-character name (阿依古丽·买买提).
pub fn sample_cards() -> Vec<IdCard> {
    #[rustfmt::skip]
    let samples: [[&str; 9]; 5] = [
        ["张伟", "1", "01", "19850312", "北京市东城区景山前街4号", "110101198503120017",
         "北京市公安局东城分局", "20150601", "20350601"],
        ["刘洋", "1", "01", "19900707", "上海市徐汇区漕溪北路100弄5号", "31010419900707127X",
         "上海市公安局徐汇分局", "20180901", "20380901"],
        ["陈静", "2", "01", "19720215", "广东省深圳市南山区科技园南路18号", "440305197202154561",
         "深圳市公安局南山分局", "20050410", "20250410"],
        ["赵秀英", "2", "01", "19551008", "四川省成都市武侯区人民南路四段12号", "510107195510084228",
         "成都市公安局武侯区分局", "20081120", "长期"],
        ["阿依古丽·买买提", "2", "05", "19931108", "新疆乌鲁木齐市天山区解放南路88号",
         "650102199311082366", "乌鲁木齐市公安局天山区分局", "20190520", "20290520"],
    ];
    samples
        .iter()
        .zip(1u8..)
        .filter_map(|(f, seed)| {
            let text = IdCardText {
                name: f[0].into(),
                sex: f[1].into(),
                nation: f[2].into(),
                birth: f[3].into(),
                address: f[4].into(),
                id_number: f[5].into(),
                authority: f[6].into(),
                valid_from: f[7].into(),
                valid_to: f[8].into(),
            };
            // Constant data: the unit tests check that none is dropped here.
            IdCard::from_text(&text, Some(filler_photo(seed))).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Validity;
    use crate::text_block::decode_text_block;
    use chrono::NaiveDate;

    #[test]
    fn sample_cards_are_all_valid_and_cover_the_cases() {
        let cards = sample_cards();
        assert_eq!(cards.len(), 5, "a sample card failed validation");
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).expect("real date");
        assert_eq!(cards[0].name, "张伟");
        assert_eq!(
            cards[0].birth,
            NaiveDate::from_ymd_opt(1985, 3, 12).expect("real date")
        );
        assert!(cards[0].address.starts_with("北京市东城区"));
        assert!(cards[1].id_number.ends_with('X'));
        assert!(cards[2].is_expired(today));
        assert_eq!(cards[3].valid_to, Validity::LongTerm);
        assert!(cards[4].name.chars().count() >= 4);
        for card in &cards {
            assert_eq!(card.photo.as_ref().map(Vec::len), Some(PHOTO_LEN));
            let block = encode_text_block(&card.to_text());
            let text = decode_text_block(&block).expect("decodes");
            assert_eq!(
                &IdCard::from_text(&text, card.photo.clone()).expect("valid"),
                card
            );
        }
        for card in [&cards[0], &cards[1], &cards[3], &cards[4]] {
            assert!(!card.is_expired(today));
        }
    }

    #[test]
    fn unknown_commands_get_command_error() {
        let frame = CommandFrame {
            cmd: 0x99,
            para: 0x99,
            data: Vec::new(),
        };
        assert!(matches!(
            normal_answer(frame.command(), None).as_slice(),
            [.., 0x21, _]
        ));
    }
}
