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
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use crate::card::IdCard;
use crate::sam_frame::{decode_command, encode_response, Command, CommandFrame, FrameError};
use crate::text_block::{
    encode_text_block, encode_text_photo, encode_text_photo_fingerprint, IdCardText, PHOTO_LEN,
};

/// How long the simulator thread blocks in a read before it checks whether to stop.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Fail-safe for [`SimReader::unplug`] and [`SimReader::replug`] waiting on the thread.
const PLUG_WAIT: Duration = Duration::from_secs(10);

/// What [`Command::ReadSamId`] answers.
pub const SAM_ID: [u8; 16] = [
    0x05, 0x00, 0x01, 0x00, 0x20, 0x24, 0x01, 0x15, 0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x56, 0x78,
];

/// Line noise with partial preambles in it, to exercise resynchronisation.
const NOISE: [u8; 8] = [0x00, 0xAA, 0x13, 0xAA, 0xAA, 0x96, 0xFF, 0xAA];

/// Numbers the simulators' port folders within one process.
static SIM_COUNTER: AtomicUsize = AtomicUsize::new(0);

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
    /// The next read command (`30 01` or `30 10`) is answered with this status byte and no
    /// data.
    Status(u8),
    /// The next `command` is answered with this status byte and no data (any command, e.g.
    /// `11 FF` answering `60`, SAM self-test failed).
    CommandStatus(Command, u8),
    /// The card is taken away while the next read command runs: the reader answers
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
    /// Whether the fault applies to `command`: faults tied to reading the card wait for a
    /// read command, command statuses for their command, the others hit any command.
    fn applies_to(self, command: Option<Command>) -> bool {
        let is_read = matches!(
            command,
            Some(Command::ReadTextPhoto | Command::ReadTextPhotoFingerprint)
        );
        match self {
            Fault::Status(_) | Fault::RemovedMidRead => is_read,
            Fault::CommandStatus(cmd, _) => command == Some(cmd),
            _ => true,
        }
    }
}

#[derive(Default)]
struct State {
    card: Option<IdCard>,
    fingerprint: Option<Vec<u8>>,
    faults: VecDeque<Fault>,
    commands: usize,
    /// Real readers put a card they have read into HALT: it is not found again until it
    /// has left the field. Off by default (some readers keep answering 9F).
    halt_after_read: bool,
    halted: bool,
    max_rf_bytes: Option<u8>,
    /// Whether the "cable" should be plugged in; the thread follows.
    want_plugged: bool,
    /// Whether the thread has the pty up.
    plugged: bool,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic elsewhere must not take the simulator down with it: the state stays usable.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A simulated reader answering on a pseudo-terminal; dropping it stops its thread.
///
/// The port path is a symbolic link to the pty (as `/dev/serial/by-id/...` links to
/// `/dev/ttyUSB0`): [`unplug`](Self::unplug) closes the pty and removes the link, as a
/// pulled USB-serial cable removes its device node; [`replug`](Self::replug) makes a new pty
/// and points the link at it, so the driver reopens the same path.
pub struct SimReader {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    dir: PathBuf,
    link: PathBuf,
}

/// One "plugged in" pty: the master the simulator answers on, and the slave handle kept
/// open (see the module docs).
struct Plugged {
    master: TTYPort,
    _slave: TTYPort,
}

fn plug(link: &Path) -> io::Result<Plugged> {
    let (mut master, slave) = TTYPort::pair().map_err(io::Error::from)?;
    let target = slave
        .name()
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("the pty slave has no path"))?;
    master.set_timeout(POLL_INTERVAL).map_err(io::Error::from)?;
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

impl SimReader {
    /// Creates the pty pair and starts answering, with no card on the reader.
    pub fn spawn() -> io::Result<SimReader> {
        let dir = std::env::temp_dir().join(format!(
            "idcard-sim-{}-{}",
            std::process::id(),
            SIM_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let link = dir.join("reader");
        let plugged = plug(&link)?;
        let state = Arc::new(Mutex::new(State {
            want_plugged: true,
            plugged: true,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = thread::Builder::new().name("idcard-sim".into()).spawn({
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            let link = link.clone();
            move || run(Some(plugged), &link, &state, &stop)
        })?;
        Ok(SimReader {
            state,
            stop,
            thread: Some(thread),
            dir,
            link,
        })
    }

    /// The path to open as the reader's serial port (any baud rate works); stays the same
    /// across unplug and replug.
    pub fn port_path(&self) -> PathBuf {
        self.link.clone()
    }

    /// Puts a card on the reader (replacing any card already there), without fingerprints.
    pub fn place_card(&self, card: IdCard) {
        let mut st = lock(&self.state);
        st.card = Some(card);
        st.fingerprint = None;
        st.halted = false;
    }

    /// Puts a card that holds fingerprint templates on the reader (answered by `30 10`).
    pub fn place_card_with_fingerprint(&self, card: IdCard, fingerprint: Vec<u8>) {
        let mut st = lock(&self.state);
        st.card = Some(card);
        st.fingerprint = Some(fingerprint);
        st.halted = false;
    }

    /// Takes the card off the reader.
    pub fn remove_card(&self) {
        let mut st = lock(&self.state);
        st.card = None;
        st.fingerprint = None;
        st.halted = false;
    }

    /// Whether a card is on the reader.
    pub fn has_card(&self) -> bool {
        lock(&self.state).card.is_some()
    }

    /// Makes the reader behave like GA/T 467 readers that halt a card once read: "find"
    /// answers `80` (no card) until the card is taken away and placed again.
    pub fn set_halt_after_read(&self, on: bool) {
        lock(&self.state).halt_after_read = on;
    }

    /// The value of the last accepted `61 FF` (set maximum RF bytes), if any.
    pub fn max_rf_bytes(&self) -> Option<u8> {
        lock(&self.state).max_rf_bytes
    }

    /// Queues a fault; faults apply one per command, in the order injected.
    pub fn inject(&self, fault: Fault) {
        lock(&self.state).faults.push_back(fault);
    }

    /// How many command frames the simulator has answered (or deliberately ignored).
    pub fn commands_received(&self) -> usize {
        lock(&self.state).commands
    }

    /// Pulls the cable: the pty closes (the driver's next exchange fails with an I/O error)
    /// and the port path disappears until [`replug`](Self::replug). Returns once done.
    pub fn unplug(&self) {
        self.set_plugged(false);
    }

    /// Plugs the cable back in: a new pty behind the same port path. Returns once done.
    pub fn replug(&self) {
        self.set_plugged(true);
    }

    /// Whether the simulated cable is plugged in.
    pub fn is_plugged(&self) -> bool {
        lock(&self.state).plugged
    }

    fn set_plugged(&self, want: bool) {
        lock(&self.state).want_plugged = want;
        // Fail-safe only: the thread acts within one POLL_INTERVAL.
        let deadline = Instant::now() + PLUG_WAIT;
        while lock(&self.state).plugged != want && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl std::fmt::Debug for SimReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimReader")
            .field("path", &self.link)
            .field("has_card", &self.has_card())
            .field("plugged", &self.is_plugged())
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
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How an answer goes out.
enum Reply {
    Whole(Vec<u8>),
    Trickle(Vec<u8>),
    Silent,
}

fn run(mut plugged: Option<Plugged>, link: &Path, state: &Mutex<State>, stop: &AtomicBool) {
    let mut rx = Vec::new();
    let mut chunk = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        let want = lock(state).want_plugged;
        if want != plugged.is_some() {
            if want {
                match plug(link) {
                    Ok(p) => plugged = Some(p),
                    Err(_) => {
                        thread::sleep(POLL_INTERVAL);
                        continue;
                    }
                }
            } else {
                let _ = std::fs::remove_file(link);
                plugged = None;
                rx.clear();
            }
            lock(state).plugged = want;
        }
        let Some(port) = plugged.as_mut() else {
            thread::sleep(POLL_INTERVAL);
            continue;
        };
        let master = &mut port.master;
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
            send(master, reply);
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
    let fault = st
        .faults
        .iter()
        .position(|f| f.applies_to(command))
        .and_then(|i| st.faults.remove(i));
    let mut bytes = match fault {
        Some(Fault::Status(code) | Fault::CommandStatus(_, code)) => encode_response(code, &[]),
        Some(Fault::RemovedMidRead) => {
            st.card = None;
            encode_response(0x41, &[])
        }
        _ => normal_answer(&mut st, command, &frame.data),
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
        Some(Fault::Status(_) | Fault::CommandStatus(..) | Fault::RemovedMidRead) | None => {}
    }
    Reply::Whole(bytes)
}

fn normal_answer(st: &mut State, command: Option<Command>, data: &[u8]) -> Vec<u8> {
    // A halted card is in the field but does not answer until it is presented again.
    let card = if st.halted { None } else { st.card.as_ref() };
    let answer = match (command, card) {
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
        (Some(Command::ReadTextPhotoFingerprint), Some(card)) => {
            let block = encode_text_block(&card.to_text());
            let photo = card.photo.as_deref().unwrap_or_default();
            let fingerprint = st.fingerprint.as_deref().unwrap_or_default();
            encode_response(
                0x90,
                &encode_text_photo_fingerprint(&block, photo, fingerprint),
            )
        }
        (Some(Command::ReadTextPhoto | Command::ReadTextPhotoFingerprint), None) => {
            encode_response(0x41, &[])
        }
        (Some(Command::SetMaxRfBytes), _) => match data {
            [n] => {
                st.max_rf_bytes = Some(*n);
                encode_response(0x90, &[])
            }
            _ => encode_response(0x11, &[]),
        },
        (Some(Command::ResetSam | Command::SamStatus), _) => encode_response(0x90, &[]),
        (Some(Command::ReadSamId), _) => encode_response(0x90, &SAM_ID),
        (None, _) => encode_response(0x21, &[]),
    };
    let was_read = matches!(
        command,
        Some(Command::ReadTextPhoto | Command::ReadTextPhotoFingerprint)
    ) && card.is_some();
    if was_read && st.halt_after_read {
        st.halted = true;
    }
    answer
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
/// 4. a card with an 8-character name (阿依古丽·买买提);
/// 5. a 4-character name with a rare character outside most fonts (欧阳䶮然: 䶮 is
///    U+4DAE, CJK Extension A).
pub fn sample_cards() -> Vec<IdCard> {
    #[rustfmt::skip]
    let samples: [[&str; 9]; 6] = [
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
        ["欧阳䶮然", "1", "01", "20010405", "广东省广州市天河区天河路385号", "440106200104051235",
         "广州市公安局天河区分局", "20210601", "20310601"],
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
        assert_eq!(cards.len(), 6, "a sample card failed validation");
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
        assert!(cards[5].name.chars().count() >= 4);
        assert!(cards[5].name.contains('\u{4DAE}'));
        for card in &cards {
            assert_eq!(card.photo.as_ref().map(Vec::len), Some(PHOTO_LEN));
            let block = encode_text_block(&card.to_text());
            let text = decode_text_block(&block).expect("decodes");
            assert_eq!(
                &IdCard::from_text(&text, card.photo.clone()).expect("valid"),
                card
            );
        }
        for card in [&cards[0], &cards[1], &cards[3], &cards[4], &cards[5]] {
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
            normal_answer(&mut State::default(), frame.command(), &[]).as_slice(),
            [.., 0x21, _]
        ));
    }
}
