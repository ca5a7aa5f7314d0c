//! USB HID keyboard mode (Linux): the scanner "types" each code and presses Enter.
//!
//! A keyboard-mode scanner is an input device like any keyboard: left alone, its keystrokes
//! would land in whatever text field has focus. [`HidScanner`] opens the scanner's *own*
//! event device (a stable path under `/dev/input/by-id/`, e.g.
//! `/dev/input/by-id/usb-Newland_HID_Scanner-event-kbd`) and grabs it exclusively
//! (`EVIOCGRAB`), so its keystrokes reach only the kiosk's decoder.
//!
//! [`HidDecoder`] is the pure part: it turns `(key_code, value)` events into text with the US
//! layout (shift and caps lock honoured), ends a scan on Enter or keypad Enter, ignores
//! key-up and auto-repeat events and applies the same length, prefix and suffix rules as line
//! mode ([`crate::line`]). Set the scanner's keyboard language to US English.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::line::{
    abandon_after_silence, hand_out, strip_affixes, CodeScanner, LineConfig, LineError, Scan,
    ScanError,
};

/// Key codes from `linux/input-event-codes.h` that the decoder treats specially.
mod key {
    pub const ENTER: u16 = 28;
    pub const KP_ENTER: u16 = 96;
    pub const LEFT_SHIFT: u16 = 42;
    pub const RIGHT_SHIFT: u16 = 54;
    pub const LEFT_CTRL: u16 = 29;
    pub const RIGHT_CTRL: u16 = 97;
    pub const LEFT_ALT: u16 = 56;
    pub const RIGHT_ALT: u16 = 100;
    pub const CAPS_LOCK: u16 = 58;
    pub const NUM_LOCK: u16 = 69;
}

/// Key event values.
const RELEASE: i32 = 0;
const PRESS: i32 = 1;

/// The character a key types on a US keyboard: `(unshifted, shifted)`.
fn us_layout(code: u16) -> Option<(char, char)> {
    Some(match code {
        2 => ('1', '!'),
        3 => ('2', '@'),
        4 => ('3', '#'),
        5 => ('4', '$'),
        6 => ('5', '%'),
        7 => ('6', '^'),
        8 => ('7', '&'),
        9 => ('8', '*'),
        10 => ('9', '('),
        11 => ('0', ')'),
        12 => ('-', '_'),
        13 => ('=', '+'),
        16 => ('q', 'Q'),
        17 => ('w', 'W'),
        18 => ('e', 'E'),
        19 => ('r', 'R'),
        20 => ('t', 'T'),
        21 => ('y', 'Y'),
        22 => ('u', 'U'),
        23 => ('i', 'I'),
        24 => ('o', 'O'),
        25 => ('p', 'P'),
        26 => ('[', '{'),
        27 => (']', '}'),
        30 => ('a', 'A'),
        31 => ('s', 'S'),
        32 => ('d', 'D'),
        33 => ('f', 'F'),
        34 => ('g', 'G'),
        35 => ('h', 'H'),
        36 => ('j', 'J'),
        37 => ('k', 'K'),
        38 => ('l', 'L'),
        39 => (';', ':'),
        40 => ('\'', '"'),
        41 => ('`', '~'),
        43 => ('\\', '|'),
        44 => ('z', 'Z'),
        45 => ('x', 'X'),
        46 => ('c', 'C'),
        47 => ('v', 'V'),
        48 => ('b', 'B'),
        49 => ('n', 'N'),
        50 => ('m', 'M'),
        51 => (',', '<'),
        52 => ('.', '>'),
        53 => ('/', '?'),
        57 => (' ', ' '),
        // Keypad (scanners set to "numeric keypad" digits send these; Num Lock assumed on).
        55 => ('*', '*'),
        71 => ('7', '7'),
        72 => ('8', '8'),
        73 => ('9', '9'),
        74 => ('-', '-'),
        75 => ('4', '4'),
        76 => ('5', '5'),
        77 => ('6', '6'),
        78 => ('+', '+'),
        79 => ('1', '1'),
        80 => ('2', '2'),
        81 => ('3', '3'),
        82 => ('0', '0'),
        83 => ('.', '.'),
        98 => ('/', '/'),
        _ => return None,
    })
}

/// Turns key events from a keyboard-mode scanner into scans. Pure: no I/O, no clock.
#[derive(Debug, Clone)]
pub struct HidDecoder {
    config: LineConfig,
    buf: String,
    left_shift: bool,
    right_shift: bool,
    ctrl: u8,
    alt: u8,
    caps_lock: bool,
    /// Inside an over-long scan that was already reported: drop keys up to Enter.
    discarding: bool,
    /// First key of the current scan that has no character; the scan is refused at Enter.
    unmapped: Option<u16>,
}

impl HidDecoder {
    /// A decoder with `config` (its `encoding` does not apply: keys are characters already).
    pub fn new(config: LineConfig) -> Self {
        HidDecoder {
            config,
            buf: String::new(),
            left_shift: false,
            right_shift: false,
            ctrl: 0,
            alt: 0,
            caps_lock: false,
            discarding: false,
            unmapped: None,
        }
    }

    /// Feeds one key event (`EV_KEY`: `value` 1 press, 0 release, 2 auto-repeat). Returns a
    /// result when the event ended a scan (Enter), or reported an over-long one.
    pub fn feed(&mut self, code: u16, value: i32) -> Option<Result<Scan, LineError>> {
        let pressed = match value {
            PRESS => true,
            RELEASE => false,
            // Auto-repeat (2) and anything unknown: a scanner does not hold keys down.
            _ => return None,
        };
        match code {
            key::LEFT_SHIFT => self.left_shift = pressed,
            key::RIGHT_SHIFT => self.right_shift = pressed,
            key::LEFT_CTRL | key::RIGHT_CTRL => {
                self.ctrl = modifier_count(self.ctrl, pressed);
            }
            key::LEFT_ALT | key::RIGHT_ALT => self.alt = modifier_count(self.alt, pressed),
            key::CAPS_LOCK if pressed => self.caps_lock = !self.caps_lock,
            key::CAPS_LOCK | key::NUM_LOCK => {}
            _ if !pressed => {}
            key::ENTER | key::KP_ENTER => return self.end_line(),
            _ => return self.type_key(code),
        }
        None
    }

    fn type_key(&mut self, code: u16) -> Option<Result<Scan, LineError>> {
        if self.discarding {
            return None;
        }
        let ch = match us_layout(code) {
            Some(_) if self.ctrl > 0 || self.alt > 0 => None,
            Some((plain, shifted)) => {
                let shift = self.left_shift || self.right_shift;
                let ch = if shift { shifted } else { plain };
                Some(if self.caps_lock && ch.is_ascii_alphabetic() {
                    if shift {
                        ch.to_ascii_lowercase()
                    } else {
                        ch.to_ascii_uppercase()
                    }
                } else {
                    ch
                })
            }
            None => None,
        };
        match ch {
            Some(ch) => self.buf.push(ch),
            None => {
                self.unmapped.get_or_insert(code);
            }
        }
        // Characters are ASCII: bytes and characters count the same.
        if self.buf.len() > self.config.max_len {
            self.buf.clear();
            self.unmapped = None;
            self.discarding = true;
            return Some(Err(LineError::TooLong {
                max_len: self.config.max_len,
            }));
        }
        None
    }

    fn end_line(&mut self) -> Option<Result<Scan, LineError>> {
        if std::mem::take(&mut self.discarding) {
            return None;
        }
        let text = std::mem::take(&mut self.buf);
        if let Some(code) = self.unmapped.take() {
            return Some(Err(LineError::UnmappedKey { code }));
        }
        if text.is_empty() {
            return None;
        }
        Some(strip_affixes(&self.config, &text))
    }

    /// Whether part of a scan is waiting for its Enter.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.discarding || self.unmapped.is_some()
    }

    /// Gives up the partial scan after silence: [`LineError::Incomplete`] when keys were
    /// waiting (`None` for the rest of an over-long scan, reported already). Modifier state is
    /// reset too, in case a key-up was lost.
    pub fn abandon_partial(&mut self) -> Option<LineError> {
        let len = self.buf.len();
        let had = !self.buf.is_empty() || self.unmapped.is_some();
        *self = HidDecoder::new(self.config.clone());
        had.then_some(LineError::Incomplete { len })
    }
}

fn modifier_count(count: u8, pressed: bool) -> u8 {
    if pressed {
        count.saturating_add(1).min(2)
    } else {
        count.saturating_sub(1)
    }
}

/// How to reach a keyboard-mode scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HidConfig {
    /// The scanner's event device, by a stable path:
    /// `/dev/input/by-id/usb-<vendor>_<model>-event-kbd`.
    pub path: PathBuf,
    /// Length limit, prefix and suffix (the encoding does not apply).
    pub line: LineConfig,
    /// Silence after which keys without Enter are reported as [`LineError::Incomplete`].
    pub inter_key_timeout: Duration,
}

impl HidConfig {
    /// Defaults (300 ms inter-key timeout, [`LineConfig::default`]) for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        HidConfig {
            path: path.into(),
            line: LineConfig::default(),
            inter_key_timeout: crate::line::DEFAULT_INTER_BYTE_TIMEOUT,
        }
    }
}

/// How long [`HidScanner`] sleeps when no event is waiting (the device is non-blocking).
const IDLE_SLICE: Duration = Duration::from_millis(10);

/// A keyboard-mode scanner, its event device grabbed exclusively; dropping it releases the
/// grab.
pub struct HidScanner {
    device: evdev::Device,
    decoder: HidDecoder,
    inter_key_timeout: Duration,
    ready: VecDeque<Result<Scan, LineError>>,
    last_key: Option<Instant>,
}

impl fmt::Debug for HidScanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HidScanner")
            .field("device", &self.device.name())
            .finish_non_exhaustive()
    }
}

impl HidScanner {
    /// Opens the event device at `config.path` and grabs it, so no other program (the
    /// compositor, a text field) sees its keys. Fails with [`ScanError::Open`] when the device
    /// is missing, not readable by the kiosk user (add it to the `input` group or a udev rule)
    /// or grabbed by another program.
    pub fn open(config: &HidConfig) -> Result<Self, ScanError> {
        let open_err = |source: io::Error| ScanError::Open {
            path: config.path.clone(),
            source,
        };
        let mut device = evdev::Device::open(&config.path).map_err(open_err)?;
        device.grab().map_err(open_err)?;
        device.set_nonblocking(true).map_err(open_err)?;
        tracing::info!(
            device = device.name().unwrap_or("?"),
            "keyboard-mode code scanner opened and grabbed"
        );
        Ok(HidScanner {
            device,
            decoder: HidDecoder::new(config.line.clone()),
            inter_key_timeout: config.inter_key_timeout,
            ready: VecDeque::new(),
            last_key: None,
        })
    }

    /// The device's name as it reports it (e.g. the scanner's model), if any.
    pub fn device_name(&self) -> Option<&str> {
        self.device.name()
    }

    /// Reads what is waiting; `Ok(false)` when nothing was.
    fn read_some(&mut self) -> Result<bool, ScanError> {
        let events = match self.device.fetch_events() {
            Ok(events) => events,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                abandon_after_silence(
                    &mut self.last_key,
                    self.inter_key_timeout,
                    || self.decoder.abandon_partial(),
                    &mut self.ready,
                );
                return Ok(false);
            }
            // ENODEV once the scanner is unplugged; anything else is as final.
            Err(e) => return Err(ScanError::Disconnected(e)),
        };
        for ev in events {
            if ev.event_type() == evdev::EventType::KEY {
                if let Some(result) = self.decoder.feed(ev.code(), ev.value()) {
                    self.ready.push_back(result);
                }
            }
        }
        self.last_key = self.decoder.has_partial().then(Instant::now);
        Ok(true)
    }
}

impl CodeScanner for HidScanner {
    fn read_scan(&mut self, wait: Duration) -> Result<Option<Scan>, ScanError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(result) = hand_out(&mut self.ready) {
                return result;
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            match self.read_some() {
                Ok(true) => {}
                Ok(false) => std::thread::sleep(IDLE_SLICE.min(deadline - now)),
                Err(e) => {
                    tracing::warn!(error = %e, "code scanner lost");
                    return Err(e);
                }
            }
        }
    }
}
