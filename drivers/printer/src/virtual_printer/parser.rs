//! Streaming ESC/POS parser: bytes in, receipts and status requests out.
//!
//! It is fed whatever chunks the transport delivers, so any command may be split across calls:
//! an incomplete command stays in a small pending buffer until the rest arrives. Every length
//! it reads from the stream is bounded or skipped without buffering, and every index is checked,
//! so arbitrary input can neither panic it nor make it allocate without bound (the proptest in
//! this module and `parse_all` exist so that it can be fuzzed).

use encoding_rs::GB18030;

use crate::escpos::{Align, DLE, ESC, FS, GS, LF};

/// A text line longer than this (no LF) is emitted as a line of its own, so a stream that never
/// sends LF cannot grow the line buffer without bound. A real printer wraps far earlier.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// Raster data larger than this is skipped rather than buffered (the 576-dot head needs 72
/// bytes per row, so this is ~58 000 rows: no real receipt comes close).
const MAX_RASTER_BYTES: usize = 4 * 1024 * 1024;
/// `GS 8 L` (graphics with a 32-bit length) data larger than this is skipped unbuffered.
const MAX_BUFFERED_COMMAND: usize = 1024 * 1024;

/// One printed item of a receipt, in paper order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// One printed line (ended by LF, or by a feed, image, QR code or cut after text),
    /// with the style in force when its first character arrived.
    Text {
        /// The line, decoded from GB18030 (invalid sequences become U+FFFD).
        text: String,
        /// `ESC a` justification.
        align: Align,
        /// `ESC E` (or `ESC !` bit 3) emphasis.
        bold: bool,
        /// `GS !` width multiplier, `1..=8`.
        width_mult: u8,
        /// `GS !` height multiplier, `1..=8`.
        height_mult: u8,
    },
    /// A QR code printed with `GS ( k` fn 81; `data` is the stored payload, as UTF-8 (or, if
    /// it is not valid UTF-8, decoded from GB18030).
    Qr {
        /// The payload.
        data: String,
    },
    /// A `GS v 0` raster image.
    Raster {
        /// Width in dots: the row length in bytes times 8.
        w: u32,
        /// Height in dots.
        h: u32,
        /// Rows packed MSB first, `w / 8` bytes each; a set bit is black.
        bits: Vec<u8>,
    },
    /// `ESC d n`: `n` blank lines fed.
    Feed(u8),
}

/// What was printed between two cuts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Receipt {
    /// The printed items, top to bottom.
    pub elements: Vec<Element>,
}

impl Receipt {
    /// The text lines joined with `'\n'` (QR codes, images and feeds left out).
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self
            .elements
            .iter()
            .filter_map(|e| match e {
                Element::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        lines.join("\n")
    }

    /// The payloads of the QR codes, top to bottom.
    pub fn qr_payloads(&self) -> Vec<String> {
        self.elements
            .iter()
            .filter_map(|e| match e {
                Element::Qr { data } => Some(data.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Something the host must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParserEvent {
    /// A cut ended a receipt that printed something (a cut on blank paper yields nothing).
    Receipt(Receipt),
    /// `DLE EOT n` with `n` in `1..=4`: the host owes one status byte.
    StatusRequest(u8),
}

/// The print modes that shape a text line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Style {
    align: Align,
    bold: bool,
    width: u8,
    height: u8,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            align: Align::Left,
            bold: false,
            width: 1,
            height: 1,
        }
    }
}

/// Outcome of looking at the start of the pending bytes.
enum Step {
    /// The command there is incomplete: wait for more bytes.
    Need,
    /// This many bytes were handled.
    Consumed(usize),
    /// `header` bytes were handled and `data` more must be discarded as they arrive.
    Skip { header: usize, data: u64 },
}

/// Streaming ESC/POS parser; see the module documentation.
#[derive(Debug, Default)]
pub struct EscPosParser {
    /// Bytes of a command that is not complete yet.
    pending: Vec<u8>,
    /// Bytes still to discard from the stream (payload of an oversized command).
    skip: u64,
    /// Raw bytes of the line being built.
    line: Vec<u8>,
    /// Style of the line being built, taken at its first byte.
    line_style: Option<Style>,
    style: Style,
    /// Items since the last cut.
    elements: Vec<Element>,
    /// Payload stored with `GS ( k` fn 80, printed by fn 81.
    qr_data: Option<Vec<u8>>,
    /// `FS &` / `FS .` state; text is decoded as GB18030 either way (see `flush_line`).
    chinese_mode: bool,
}

impl EscPosParser {
    /// A parser in the printer's power-on state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of the stream; returns the events it completed, in stream order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<ParserEvent> {
        let mut events = Vec::new();
        let mut input = chunk;
        if self.skip > 0 {
            let n = usize::try_from(self.skip)
                .unwrap_or(usize::MAX)
                .min(input.len());
            self.skip -= n as u64;
            input = &input[n..];
        }
        if input.is_empty() {
            return events;
        }
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(input);
        let mut pos = 0;
        while pos < buf.len() {
            match self.step(&buf[pos..], &mut events) {
                Step::Need => break,
                Step::Consumed(n) => pos += n.max(1),
                Step::Skip { header, data } => {
                    pos += header.max(1);
                    let avail = (buf.len() - pos.min(buf.len())) as u64;
                    let s = data.min(avail);
                    pos += s as usize;
                    self.skip = data - s;
                    if self.skip > 0 {
                        break;
                    }
                }
            }
        }
        buf.drain(..pos.min(buf.len()));
        self.pending = buf;
        events
    }

    /// Ends the stream: returns what was printed since the last cut (the paper still in the
    /// printer), or `None` if nothing was.
    pub fn finish(mut self) -> Option<Receipt> {
        self.flush_line();
        if self.elements.is_empty() {
            None
        } else {
            Some(Receipt {
                elements: self.elements,
            })
        }
    }

    /// Whether `FS &` (Chinese mode) is in force.
    pub fn chinese_mode(&self) -> bool {
        self.chinese_mode
    }

    /// Handles the command at the start of `b` (never empty).
    fn step(&mut self, b: &[u8], events: &mut Vec<ParserEvent>) -> Step {
        let Some(&b0) = b.first() else {
            return Step::Need;
        };
        match b0 {
            LF => {
                self.end_line();
                Step::Consumed(1)
            }
            // HT: no tab stops are modelled; a space keeps the words apart.
            0x09 => {
                self.push_text(b" ");
                Step::Consumed(1)
            }
            ESC => self.esc(b, events),
            GS => self.gs(b, events),
            FS => self.fs(b),
            DLE => self.dle(b, events),
            // CR, FF, CAN and the other controls do nothing visible here.
            0x00..=0x1F | 0x7F => Step::Consumed(1),
            _ => {
                // A run of text bytes at once. GB18030 trail bytes are all >= 0x30, so a
                // control byte can never be the second half of a character.
                let n = b
                    .iter()
                    .position(|&c| c < 0x20 || c == 0x7F)
                    .unwrap_or(b.len());
                self.push_text(&b[..n]);
                Step::Consumed(n)
            }
        }
    }

    fn esc(&mut self, b: &[u8], events: &mut Vec<ParserEvent>) -> Step {
        let Some(&c) = b.get(1) else {
            return Step::Need;
        };
        match c {
            b'@' => {
                // Reset: modes to power-on values and the unprinted line discarded.
                self.style = Style::default();
                self.line.clear();
                self.line_style = None;
                Step::Consumed(2)
            }
            b'a' | b'E' | b'!' | b'd' => {
                let Some(&n) = b.get(2) else {
                    return Step::Need;
                };
                match c {
                    b'a' => {
                        if let Some(a) = Align::from_code(n) {
                            self.style.align = a;
                        }
                    }
                    b'E' => self.style.bold = n & 1 == 1,
                    b'!' => {
                        self.style.bold = n & 0x08 != 0;
                        self.style.height = if n & 0x10 != 0 { 2 } else { 1 };
                        self.style.width = if n & 0x20 != 0 { 2 } else { 1 };
                    }
                    _ => {
                        self.flush_line();
                        self.elements.push(Element::Feed(n));
                    }
                }
                Step::Consumed(3)
            }
            // Old-style cuts (ESC i = full, ESC m = partial).
            b'i' | b'm' => {
                self.cut(events);
                Step::Consumed(2)
            }
            // Print and feed n dots / reverse feed: the line is printed, the distance ignored.
            b'J' | b'K' | b'e' => {
                if b.len() < 3 {
                    return Step::Need;
                }
                self.flush_line();
                Step::Consumed(3)
            }
            b'2' | b'<' | b'S' | b'L' | b'F' => Step::Consumed(2),
            b'-' | b'3' | b'=' | b'?' | b'%' | b'G' | b'M' | b'R' | b'T' | b'U' | b'V' | b'r'
            | b't' | b'{' | b' ' | b'u' | b'v' | b'I' => fixed(b, 3),
            b'$' | b'\\' | b'c' => fixed(b, 4),
            b'p' => fixed(b, 5),
            b'W' => fixed(b, 10),
            b'*' => {
                // ESC * m nL nH d1..dk: 8-dot modes take n bytes, 24-dot modes 3n.
                if b.len() < 5 {
                    return Step::Need;
                }
                let n = usize::from(b[3]) | usize::from(b[4]) << 8;
                let k = if b[2] >= 32 { 3 * n } else { n };
                let step = fixed(b, 5 + k);
                if matches!(step, Step::Consumed(_)) {
                    self.flush_line();
                }
                step
            }
            b'D' => {
                // ESC D n1..nk NUL: at most 32 tab positions.
                match b[2.min(b.len())..].iter().take(33).position(|&x| x == 0) {
                    Some(i) => Step::Consumed(3 + i),
                    None if b.len() < 2 + 33 => Step::Need,
                    None => Step::Consumed(2),
                }
            }
            b'&' => user_defined_chars(b),
            _ => Step::Consumed(2),
        }
    }

    fn gs(&mut self, b: &[u8], events: &mut Vec<ParserEvent>) -> Step {
        let Some(&c) = b.get(1) else {
            return Step::Need;
        };
        match c {
            b'!' => {
                let Some(&n) = b.get(2) else {
                    return Step::Need;
                };
                self.style.width = ((n >> 4) & 0x07) + 1;
                self.style.height = (n & 0x07) + 1;
                Step::Consumed(3)
            }
            b'V' => {
                let Some(&m) = b.get(2) else {
                    return Step::Need;
                };
                let len = match m {
                    0 | 1 | 48 | 49 => 3,
                    65 | 66 | 97 | 98 | 103 | 104 => 4,
                    // Not a cut this parser knows: skip the selector, cut nothing.
                    _ => return Step::Consumed(3),
                };
                if b.len() < len {
                    return Step::Need;
                }
                self.cut(events);
                Step::Consumed(len)
            }
            b'v' => {
                let Some(&m) = b.get(2) else {
                    return Step::Need;
                };
                if m != b'0' {
                    return Step::Consumed(3);
                }
                if b.len() < 8 {
                    return Step::Need;
                }
                let x = usize::from(b[4]) | usize::from(b[5]) << 8;
                let y = usize::from(b[6]) | usize::from(b[7]) << 8;
                let len = x * y;
                if len > MAX_RASTER_BYTES {
                    self.flush_line();
                    return Step::Skip {
                        header: 8,
                        data: len as u64,
                    };
                }
                let Some(bits) = b.get(8..8 + len) else {
                    return Step::Need;
                };
                self.flush_line();
                self.elements.push(Element::Raster {
                    w: (x * 8) as u32,
                    h: y as u32,
                    bits: bits.to_vec(),
                });
                Step::Consumed(8 + len)
            }
            b'(' => {
                // GS ( X pL pH data: every function of this family has a 16-bit length.
                if b.len() < 5 {
                    return Step::Need;
                }
                let len = usize::from(b[3]) | usize::from(b[4]) << 8;
                let Some(body) = b.get(5..5 + len) else {
                    return Step::Need;
                };
                if b[2] == b'k' {
                    self.code_2d(body);
                }
                Step::Consumed(5 + len)
            }
            b'8' => {
                // GS 8 L p1 p2 p3 p4 ...: graphics with a 32-bit length.
                let Some(&m) = b.get(2) else {
                    return Step::Need;
                };
                if m != b'L' {
                    return Step::Consumed(3);
                }
                if b.len() < 7 {
                    return Step::Need;
                }
                let len = u32::from_le_bytes([b[3], b[4], b[5], b[6]]) as usize;
                if len > MAX_BUFFERED_COMMAND {
                    return Step::Skip {
                        header: 7,
                        data: len as u64,
                    };
                }
                fixed(b, 7 + len)
            }
            b'k' => barcode(b),
            b'*' => {
                // GS * x y d1..d(x*y*8): define downloaded bit image.
                if b.len() < 4 {
                    return Step::Need;
                }
                fixed(b, 4 + usize::from(b[2]) * usize::from(b[3]) * 8)
            }
            b'B' | b'H' | b'h' | b'w' | b'f' | b'a' | b'b' | b'I' | b'r' | b'/' | b'E' | b'T'
            | b'|' | b'j' | b'c' => fixed(b, 3),
            b'\\' | b'L' | b'W' | b'P' | b'$' => fixed(b, 4),
            b'^' => fixed(b, 5),
            _ => Step::Consumed(2),
        }
    }

    fn fs(&mut self, b: &[u8]) -> Step {
        let Some(&c) = b.get(1) else {
            return Step::Need;
        };
        match c {
            b'&' => {
                self.chinese_mode = true;
                Step::Consumed(2)
            }
            b'.' => {
                self.chinese_mode = false;
                Step::Consumed(2)
            }
            b'!' | b'-' | b'W' | b'C' => fixed(b, 3),
            b'S' | b'p' => fixed(b, 4),
            // FS 2 c1 c2 d1..d72: define one user-defined Chinese character.
            b'2' => fixed(b, 76),
            _ => Step::Consumed(2),
        }
    }

    fn dle(&mut self, b: &[u8], events: &mut Vec<ParserEvent>) -> Step {
        let Some(&c) = b.get(1) else {
            return Step::Need;
        };
        match c {
            0x04 => {
                let Some(&n) = b.get(2) else {
                    return Step::Need;
                };
                match n {
                    1..=4 => {
                        events.push(ParserEvent::StatusRequest(n));
                        Step::Consumed(3)
                    }
                    // DLE EOT 7 a / DLE EOT 8 a: ink and sensor requests with one more byte.
                    7 | 8 => fixed(b, 4),
                    _ => Step::Consumed(3),
                }
            }
            // DLE ENQ n: real-time request to the printer, no reply.
            0x05 => fixed(b, 3),
            // DLE DC4 fn ...: real-time commands of fixed length per function.
            0x14 => {
                let Some(&f) = b.get(2) else {
                    return Step::Need;
                };
                let len = match f {
                    1 | 2 => 5,
                    3 => 8,
                    7 => 4,
                    8 => 10,
                    _ => 3,
                };
                fixed(b, len)
            }
            // A lone DLE is a control character: ignore it and look at the next byte afresh.
            _ => Step::Consumed(1),
        }
    }

    /// `GS ( k` body (`cn fn params...`) for QR codes (cn = 49); others are skipped.
    fn code_2d(&mut self, body: &[u8]) {
        let [cn, f, rest @ ..] = body else {
            return;
        };
        if *cn != 49 {
            return;
        }
        match f {
            // Store: m (48), then the data.
            80 => self.qr_data = Some(rest.get(1..).unwrap_or_default().to_vec()),
            // Print the stored symbol; nothing is printed if nothing usable was stored.
            81 => {
                if let Some(data) = self.qr_data.as_deref().filter(|d| !d.is_empty()) {
                    let data = decode_payload(data);
                    self.flush_line();
                    self.elements.push(Element::Qr { data });
                }
            }
            // Model, module size, error correction: the renderer uses its own values.
            _ => {}
        }
    }

    fn push_text(&mut self, mut bytes: &[u8]) {
        // Split at fixed byte counts so that the result does not depend on how the stream
        // was chunked.
        while !bytes.is_empty() {
            if self.line.is_empty() {
                self.line_style = Some(self.style);
            }
            let n = (MAX_LINE_BYTES - self.line.len()).min(bytes.len());
            self.line.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.line.len() >= MAX_LINE_BYTES {
                self.flush_line();
            }
        }
    }

    /// LF: print the line, even an empty one (a blank line on paper).
    fn end_line(&mut self) {
        if self.line.is_empty() {
            let s = self.style;
            self.push_element(String::new(), s);
        } else {
            self.flush_line();
        }
    }

    /// Prints the pending partial line, if any (printers do this before feeds, images and
    /// cuts).
    fn flush_line(&mut self) {
        if self.line.is_empty() {
            return;
        }
        // Decoded as GB18030 even outside Chinese mode: this simulates a Chinese-market printer,
        // and ASCII is the same either way.
        let (text, _) = GB18030.decode_without_bom_handling(&self.line);
        let text = text.into_owned();
        let style = self.line_style.take().unwrap_or(self.style);
        self.line.clear();
        self.push_element(text, style);
    }

    fn push_element(&mut self, text: String, s: Style) {
        self.elements.push(Element::Text {
            text,
            align: s.align,
            bold: s.bold,
            width_mult: s.width,
            height_mult: s.height,
        });
    }

    fn cut(&mut self, events: &mut Vec<ParserEvent>) {
        self.flush_line();
        if !self.elements.is_empty() {
            events.push(ParserEvent::Receipt(Receipt {
                elements: std::mem::take(&mut self.elements),
            }));
        }
    }
}

/// A command of known total length `len`: consume it once it is all there.
fn fixed(b: &[u8], len: usize) -> Step {
    if b.len() < len {
        Step::Need
    } else {
        Step::Consumed(len)
    }
}

/// `GS k`: barcodes, either NUL-terminated (m = 0..=6) or length-prefixed (m = 65..=79).
/// Not rendered; only skipped correctly so the text after them survives.
fn barcode(b: &[u8]) -> Step {
    let Some(&m) = b.get(2) else {
        return Step::Need;
    };
    match m {
        0..=6 => match b[3.min(b.len())..].iter().take(256).position(|&x| x == 0) {
            Some(i) => Step::Consumed(4 + i),
            None if b.len() < 3 + 256 => Step::Need,
            None => Step::Consumed(3),
        },
        65..=79 => {
            let Some(&n) = b.get(3) else {
                return Step::Need;
            };
            fixed(b, 4 + usize::from(n))
        }
        _ => Step::Consumed(3),
    }
}

/// `ESC & y c1 c2 [x d1..d(y*x)]...`: user-defined characters, one variable-size record per
/// character code in `c1..=c2`.
fn user_defined_chars(b: &[u8]) -> Step {
    if b.len() < 5 {
        return Step::Need;
    }
    let (y, c1, c2) = (usize::from(b[2]), b[3], b[4]);
    if c1 > c2 {
        return Step::Consumed(5);
    }
    let mut pos = 5;
    for _ in c1..=c2 {
        let Some(&x) = b.get(pos) else {
            return Step::Need;
        };
        pos += 1 + y * usize::from(x);
    }
    fixed(b, pos)
}

/// QR payload bytes as text: UTF-8 if valid (what [`crate::EscPosBuilder::qr`] sends),
/// otherwise GB18030 (what a Chinese host application might send).
fn decode_payload(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(s) => s.to_owned(),
        Err(_) => GB18030.decode_without_bom_handling(data).0.into_owned(),
    }
}

/// Parses a whole byte stream: the receipts ended by cuts, then (if anything was printed after
/// the last cut) the uncut remainder as a final receipt. Status requests are ignored.
pub fn parse_all(bytes: &[u8]) -> Vec<Receipt> {
    let mut parser = EscPosParser::new();
    let mut receipts: Vec<Receipt> = parser
        .feed(bytes)
        .into_iter()
        .filter_map(|e| match e {
            ParserEvent::Receipt(r) => Some(r),
            ParserEvent::StatusRequest(_) => None,
        })
        .collect();
    receipts.extend(parser.finish());
    receipts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escpos::EscPosBuilder;
    use proptest::prelude::*;

    fn text(s: &str, align: Align, bold: bool, w: u8, h: u8) -> Element {
        Element::Text {
            text: s.to_owned(),
            align,
            bold,
            width_mult: w,
            height_mult: h,
        }
    }

    fn sample_job() -> Vec<u8> {
        EscPosBuilder::new()
            .init()
            .align(Align::Center)
            .bold(true)
            .size(2, 2)
            .line("市民服务中心")
            .bold(false)
            .size(1, 1)
            .align(Align::Left)
            .line("排队号: A012")
            .line("费用: ¥12.50")
            .line("")
            .align(Align::Right)
            .line("Right")
            .feed(2)
            .align(Align::Center)
            .qr("https://example.gov.cn/q?id=A012&n=张三", 6)
            .raster(16, 2, &[0xFF, 0x00, 0x0F, 0xF0])
            .cut(true)
            .build()
    }

    fn expected() -> Receipt {
        Receipt {
            elements: vec![
                text("市民服务中心", Align::Center, true, 2, 2),
                text("排队号: A012", Align::Left, false, 1, 1),
                text("费用: ¥12.50", Align::Left, false, 1, 1),
                text("", Align::Left, false, 1, 1),
                text("Right", Align::Right, false, 1, 1),
                Element::Feed(2),
                Element::Qr {
                    data: "https://example.gov.cn/q?id=A012&n=张三".into(),
                },
                Element::Raster {
                    w: 16,
                    h: 2,
                    bits: vec![0xFF, 0x00, 0x0F, 0xF0],
                },
            ],
        }
    }

    #[test]
    fn round_trip_builder_to_parser() {
        let receipts = parse_all(&sample_job());
        assert_eq!(receipts, vec![expected()]);
        let r = &receipts[0];
        assert_eq!(
            r.text(),
            "市民服务中心\n排队号: A012\n费用: ¥12.50\n\nRight"
        );
        assert_eq!(
            r.qr_payloads(),
            vec!["https://example.gov.cn/q?id=A012&n=张三".to_owned()]
        );
    }

    #[test]
    fn byte_at_a_time_gives_the_same_result() {
        let job = sample_job();
        let mut p = EscPosParser::new();
        let mut got = Vec::new();
        for b in &job {
            got.extend(p.feed(std::slice::from_ref(b)));
        }
        assert_eq!(got, vec![ParserEvent::Receipt(expected())]);
        assert!(p.chinese_mode());
    }

    #[test]
    fn status_requests_are_reported_in_order() {
        let mut p = EscPosParser::new();
        let mut ev = p.feed(&[0x10, 0x04, 1, b'x', 0x10, 0x04]);
        ev.extend(p.feed(&[4, b'\n', 0x1D, 0x56, 65, 0, 0x10, 0x04, 9]));
        assert_eq!(
            ev,
            vec![
                ParserEvent::StatusRequest(1),
                ParserEvent::StatusRequest(4),
                ParserEvent::Receipt(Receipt {
                    elements: vec![text("x", Align::Left, false, 1, 1)]
                }),
            ]
        );
    }

    #[test]
    fn cut_without_content_yields_nothing_and_cut_flushes_partial_line() {
        assert_eq!(
            parse_all(&EscPosBuilder::new().init().cut(false).cut(true).build()),
            vec![]
        );
        let r = parse_all(&EscPosBuilder::new().text("tail").cut(false).build());
        assert_eq!(r[0].text(), "tail");
    }

    #[test]
    fn uncut_remainder_is_the_last_receipt() {
        let job = EscPosBuilder::new()
            .line("one")
            .cut(false)
            .line("two")
            .build();
        let r = parse_all(&job);
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].text(), "two");
    }

    #[test]
    fn style_is_taken_at_line_start() {
        let job = EscPosBuilder::new()
            .bold(true)
            .text("a")
            .bold(false)
            .line("b")
            .build();
        assert_eq!(
            parse_all(&job)[0].elements,
            vec![text("ab", Align::Left, true, 1, 1)]
        );
    }

    #[test]
    fn esc_bang_and_init_reset() {
        let job = [&[0x1B, b'!', 0x38][..], b"big\n", &[0x1B, b'@'], b"small\n"].concat();
        assert_eq!(
            parse_all(&job)[0].elements,
            vec![
                text("big", Align::Left, true, 2, 2),
                text("small", Align::Left, false, 1, 1)
            ]
        );
    }

    #[test]
    fn unknown_and_skipped_commands_keep_following_text() {
        let job = [
            &[0x1B, b'p', 0, 25, 250][..], // drawer kick
            &[0x1D, b'k', 4],              // CODE39, NUL-terminated
            b"123",
            &[0],
            &[0x1D, b'k', 73, 3, b'A', b'B', b'C'], // CODE128, counted
            &[0x1D, b'(', b'L', 2, 0, 48, 69],      // graphics function
            &[0x1B, 0xEE],                          // unknown ESC
            &[0x1C, b'S', 1, 2],
            &[0x1B, b'*', 33, 2, 0, 1, 2, 3, 4, 5, 6],
            &[0x1D, b'8', b'L', 2, 0, 0, 0, 48, 48],
            b"ok\n",
        ]
        .concat();
        assert_eq!(parse_all(&job)[0].text(), "ok");
    }

    #[test]
    fn oversized_raster_is_skipped_across_chunks() {
        // 0xFFFF x 0x0100 bytes: far beyond the cap, so it is skipped, not buffered.
        let mut p = EscPosParser::new();
        let mut ev = p.feed(&[0x1D, b'v', b'0', 0, 0xFF, 0xFF, 0x00, 0x01]);
        let total = 0xFFFF * 0x100;
        let chunk = vec![0xAAu8; 1 << 16];
        let mut sent = 0;
        while sent < total {
            let n = chunk.len().min(total - sent);
            ev.extend(p.feed(&chunk[..n]));
            sent += n;
            assert!(p.pending.len() < 16, "skipped data must not be buffered");
        }
        ev.extend(p.feed(b"after\n\x1dVA\x00"));
        assert_eq!(ev.len(), 1);
        let ParserEvent::Receipt(r) = &ev[0] else {
            panic!("expected a receipt, got {ev:?}");
        };
        assert_eq!(r.text(), "after");
    }

    #[test]
    fn invalid_gb18030_becomes_replacement_char() {
        let r = parse_all(&[0xD6, b'\n']);
        assert_eq!(r[0].text(), "\u{FFFD}");
    }

    #[test]
    fn qr_print_without_data_prints_nothing() {
        let r = parse_all(&[0x1D, b'(', b'k', 3, 0, 49, 81, 48, b'x', b'\n']);
        assert_eq!(r[0].elements.len(), 1);
        assert!(r[0].qr_payloads().is_empty());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse_all(&bytes);
        }

        #[test]
        fn command_heavy_bytes_never_panic(
            bytes in proptest::collection::vec(
                prop_oneof![Just(0x1Bu8), Just(0x1D), Just(0x1C), Just(0x10), Just(0x0A),
                            Just(b'('), Just(b'k'), Just(b'v'), Just(b'0'), Just(b'V'),
                            Just(4u8), Just(49), Just(80), Just(81), any::<u8>()],
                0..2048)
        ) {
            let _ = parse_all(&bytes);
        }

        #[test]
        fn chunking_does_not_change_the_result(
            bytes in proptest::collection::vec(
                prop_oneof![Just(0x1Bu8), Just(0x1D), Just(0x10), Just(0x0A), any::<u8>()],
                0..1024),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8)
        ) {
            let mut whole = EscPosParser::new();
            let mut want = whole.feed(&bytes);
            want.extend(whole.finish().map(ParserEvent::Receipt));

            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut split = EscPosParser::new();
            let mut got = Vec::new();
            let mut start = 0;
            for p in points.into_iter().chain(std::iter::once(bytes.len())) {
                got.extend(split.feed(&bytes[start..p]));
                start = p;
            }
            got.extend(split.finish().map(ParserEvent::Receipt));
            prop_assert_eq!(got, want);
        }

        #[test]
        fn builder_text_round_trips(s in "[a-zA-Z0-9 ¥￥中文服务市民，。:]{0,40}", w in 1u8..=8, h in 1u8..=8, bold: bool) {
            let job = EscPosBuilder::new().init().bold(bold).size(w, h).line(&s).cut(false).build();
            let r = parse_all(&job);
            prop_assert_eq!(r.len(), 1);
            prop_assert_eq!(&r[0].elements, &vec![text(&s, Align::Left, bold, w, h)]);
        }
    }
}
