//! The raw protocol log of each device: the last exchanges on its port, in hex with their
//! times, for the technician screen, `kiosk diag` and the diagnostic bundle.
//!
//! The log is fed by [`TappedPort`], a `Read + Write` wrapper the device managers put around
//! the transport they open, so the driver crates stay as they are. What is kept is masked
//! when it is recorded, never later: each device has a [`Mask`] that keeps only the bytes
//! that carry no personal data (the ID-card reader's frame header and status, never the text
//! block or the photo that follow; the first bytes of a print job, never its text; nothing of
//! a scanned code but its length). What is not kept cannot leak into a screen or a bundle.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many exchanges each device keeps.
pub const CAPACITY: usize = 64;

/// Which way bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// From the kiosk to the device.
    Sent,
    /// From the device to the kiosk.
    Received,
}

/// How much of each exchange a device's log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mask {
    /// Bytes kept of what the kiosk sends (the rest is counted, not kept).
    pub sent: usize,
    /// Bytes kept of what the device answers.
    pub received: usize,
}

impl Mask {
    /// The SAM reader: commands are 10–11 bytes with no data; an answer's first 10 bytes are
    /// the preamble, length, `00 00` and the status. A read's text block and photo start at
    /// byte 14 (after their two lengths) and are never kept.
    pub const ID_CARD: Mask = Mask {
        sent: 16,
        received: 10,
    };
    /// The receipt printer: a job's first bytes are its set-up commands (`ESC @`, size,
    /// alignment); its text (names on a slip) comes later and is not kept. Status answers
    /// are one byte.
    pub const RECEIPT_PRINTER: Mask = Mask {
        sent: 6,
        received: 8,
    };
    /// The code scanner: a code may carry an ID number (an electronic ID): only its length.
    pub const CODE_SCANNER: Mask = Mask {
        sent: 8,
        received: 0,
    };

    /// A device the kiosk drives through another program (scanimage, IPP): no bytes.
    pub const EVENTS_ONLY: Mask = Mask {
        sent: 0,
        received: 0,
    };

    fn keep(self, flow: Flow) -> usize {
        match flow {
            Flow::Sent => self.sent,
            Flow::Received => self.received,
        }
    }
}

/// One exchange: bytes that went one way without a turn in between.
#[derive(Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Which way.
    pub flow: Flow,
    /// Time since the log was made (the port first opened) when it began.
    pub at: Duration,
    /// How long it took, from its first byte to its last.
    pub took: Duration,
    /// Its length on the wire.
    pub len: usize,
    /// The bytes kept (at most the mask's count, from the start).
    pub head: Vec<u8>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.line())
    }
}

impl Exchange {
    /// One line for a technician: `  12.345 ms ->  AA AA AA 96 69 … (1295 bytes, 2.1 ms)`.
    pub fn line(&self) -> String {
        let arrow = match self.flow {
            Flow::Sent => "->",
            Flow::Received => "<-",
        };
        let hex: Vec<String> = self.head.iter().map(|b| format!("{b:02X}")).collect();
        let mut line = format!(
            "{:>10.1} ms {arrow} {}",
            self.at.as_secs_f64() * 1000.0,
            hex.join(" ")
        );
        if self.len > self.head.len() {
            let masked = self.len - self.head.len();
            line.push_str(&format!(" [{masked} bytes masked]"));
        }
        line.push_str(&format!(
            " ({} B, {:.1} ms)",
            self.len,
            self.took.as_secs_f64() * 1000.0
        ));
        line
    }
}

struct Inner {
    started: Instant,
    exchanges: VecDeque<Exchange>,
    /// Set when the last exchange may still grow (no turn since).
    open: bool,
}

/// The ring buffer of one device; clones share it.
#[derive(Clone)]
pub struct ProtocolLog {
    mask: Mask,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for ProtocolLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProtocolLog({} exchanges)", self.exchanges().len())
    }
}

impl ProtocolLog {
    /// An empty log that keeps what `mask` allows.
    pub fn new(mask: Mask) -> ProtocolLog {
        ProtocolLog {
            mask,
            inner: Arc::new(Mutex::new(Inner {
                started: Instant::now(),
                exchanges: VecDeque::with_capacity(CAPACITY),
                open: false,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `bytes` going `flow`: appended to the last exchange when it went the same way
    /// with no turn since, else a new exchange (the oldest leaves past [`CAPACITY`]).
    pub fn record(&self, flow: Flow, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let keep = self.mask.keep(flow);
        let mut inner = self.lock();
        let now = inner.started.elapsed();
        let open = inner.open;
        if let Some(last) = inner
            .exchanges
            .back_mut()
            .filter(|l| open && l.flow == flow)
        {
            let room = keep.saturating_sub(last.head.len());
            last.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
            last.len += bytes.len();
            last.took = now.saturating_sub(last.at);
            return;
        }
        if inner.exchanges.len() == CAPACITY {
            inner.exchanges.pop_front();
        }
        inner.exchanges.push_back(Exchange {
            flow,
            at: now,
            took: Duration::ZERO,
            len: bytes.len(),
            head: bytes[..keep.min(bytes.len())].to_vec(),
        });
        inner.open = true;
    }

    /// Ends the current exchange (the port was closed or reopened; an event such as a
    /// scanned code is complete).
    pub fn turn(&self) {
        self.lock().open = false;
    }

    /// The exchanges kept, oldest first.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.lock().exchanges.iter().cloned().collect()
    }

    /// The log as text, one exchange per line.
    pub fn text(&self) -> String {
        self.exchanges().iter().map(|e| e.line() + "\n").collect()
    }
}

/// A transport that records what passes through it on a [`ProtocolLog`].
pub struct TappedPort<T> {
    inner: T,
    log: ProtocolLog,
}

impl<T> TappedPort<T> {
    /// Wraps `inner`; a new port starts a new exchange.
    pub fn new(inner: T, log: ProtocolLog) -> Self {
        log.turn();
        TappedPort { inner, log }
    }
}

impl<T: Read> Read for TappedPort<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.log.record(Flow::Received, &buf[..n]);
        Ok(n)
    }
}

impl<T: Write> Write for TappedPort<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.log.record(Flow::Sent, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback that answers each write with a scripted reply.
    struct Echo {
        reply: Vec<u8>,
        pending: Vec<u8>,
    }

    impl Read for Echo {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            // Answers in small pieces, as a serial port does.
            let n = self.pending.len().min(buf.len()).min(100);
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
    }

    impl Write for Echo {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.pending = self.reply.clone();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_card_read_keeps_the_frame_header_and_never_the_text_block() {
        let mut reply = vec![0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x05, 0x08, 0x00, 0x00, 0x90];
        reply.extend_from_slice(&[0x01, 0x00, 0x04, 0x00]);
        // The text block: 张 in UCS-2LE, then a photo.
        reply.extend(std::iter::repeat_n([0x20, 0x5F], 128).flatten());
        reply.extend(std::iter::repeat_n(0x57, 1024));
        let log = ProtocolLog::new(Mask::ID_CARD);
        let mut port = TappedPort::new(
            Echo {
                reply: reply.clone(),
                pending: vec![],
            },
            log.clone(),
        );
        let cmd = [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x01, 0x32];
        port.write_all(&cmd).unwrap();
        let mut got = vec![0; reply.len()];
        port.read_exact(&mut got).unwrap();
        let ex = log.exchanges();
        assert_eq!(ex.len(), 2, "{ex:?}");
        assert_eq!((ex[0].flow, ex[0].head.as_slice()), (Flow::Sent, &cmd[..]));
        assert_eq!(ex[1].flow, Flow::Received);
        assert_eq!(ex[1].len, reply.len(), "the pieces make one exchange");
        assert_eq!(ex[1].head, reply[..10]);
        let text = log.text();
        assert!(text.contains("AA AA AA 96 69 05 08 00 00 90 ["), "{text}");
        assert!(!text.contains("20 5F"), "{text}");
        assert!(text.contains(&format!("({} B,", reply.len())), "{text}");
    }

    #[test]
    fn the_ring_keeps_the_last_exchanges_only() {
        let log = ProtocolLog::new(Mask::RECEIPT_PRINTER);
        for i in 0..(CAPACITY + 10) {
            log.record(Flow::Sent, &[0x10, 0x04, (i % 4) as u8 + 1]);
            log.record(Flow::Received, &[0x12]);
        }
        let ex = log.exchanges();
        assert_eq!(ex.len(), CAPACITY);
        assert_eq!(ex.last().unwrap().head, [0x12]);
    }

    #[test]
    fn a_scanned_code_is_counted_not_kept() {
        let log = ProtocolLog::new(Mask::CODE_SCANNER);
        log.record(Flow::Received, b"110101199003077777\r\n");
        log.turn();
        log.record(Flow::Received, b"SB-20261124-000042\r\n");
        let ex = log.exchanges();
        assert_eq!(ex.len(), 2);
        assert!(ex.iter().all(|e| e.head.is_empty() && e.len == 20));
        assert!(!log.text().contains("31 31 30"));
    }
}
