//! ESC/POS command encoder: a small builder that produces the byte stream of one print job.
//!
//! Why this is written by hand rather than with the `escpos` crate (0.20), which was evaluated:
//! - its text encoder fails (or emits HTML `&#NNNN;` references) on unmappable characters, where
//!   a receipt wants a plain `?`, and it never sends `FS &`, so GB18030 double-byte text would
//!   print as single-byte garbage on a Chinese printer without a raw escape hatch;
//! - its "partial cut" is `GS V 65 1` (a full cut with a 1-dot feed) rather than `GS V 66 n`;
//! - a raster image from packed 1-bit rows is only reachable through its `graphics` feature,
//!   which pulls the whole `image` crate and only accepts encoded image files;
//! - it writes through a `Driver` object (stdout, file, USB...) with no in-memory sink, so
//!   getting a `Vec<u8>` needs a custom driver behind `Rc<RefCell<_>>`;
//! - the virtual printer needs the exact inverse (a parser), which that crate does not have.
//!
//! What is left is a hundred lines of well-documented constants, each pinned by a byte-exact test.

use encoding_rs::{EncoderResult, GB18030};

/// `ESC` (0x1B): prefix of most ESC/POS commands.
pub const ESC: u8 = 0x1B;
/// `GS` (0x1D): prefix of the "extended" ESC/POS commands (size, cut, raster, 2D codes).
pub const GS: u8 = 0x1D;
/// `FS` (0x1C): prefix of the Kanji/Chinese commands.
pub const FS: u8 = 0x1C;
/// `DLE` (0x10): prefix of the real-time commands (`DLE EOT n` status).
pub const DLE: u8 = 0x10;
/// `EOT` (0x04): second byte of the real-time status request.
pub const EOT: u8 = 0x04;
/// `LF` (0x0A): prints the line buffer and feeds one line.
pub const LF: u8 = 0x0A;

/// Largest payload a `GS ( k` store-data command can carry: `pL pH` is a 16-bit count that
/// also includes the three bytes `cn fn m`.
pub const QR_MAX_DATA: usize = 0xFFFF - 3;

/// Horizontal justification selected with `ESC a n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Align {
    /// `ESC a 0`: flush left (the printer's power-on state).
    #[default]
    Left,
    /// `ESC a 1`: centred.
    Center,
    /// `ESC a 2`: flush right.
    Right,
}

impl Align {
    /// The `n` parameter of `ESC a n`.
    pub fn code(self) -> u8 {
        match self {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        }
    }

    /// Decodes `ESC a n`; the printer accepts both `0..=2` and ASCII `'0'..='2'`.
    /// Anything else leaves the justification unchanged, hence `None`.
    pub fn from_code(n: u8) -> Option<Align> {
        match n {
            0 | b'0' => Some(Align::Left),
            1 | b'1' => Some(Align::Center),
            2 | b'2' => Some(Align::Right),
            _ => None,
        }
    }
}

/// Builder of one ESC/POS job. Every method appends one command; [`EscPosBuilder::build`]
/// returns the bytes to send with [`crate::ReceiptPrinter::print`].
///
/// Out-of-range arguments are clamped rather than rejected, so that a receipt template can be
/// written as one chain without error plumbing; each method documents its clamp.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EscPosBuilder {
    buf: Vec<u8>,
}

impl EscPosBuilder {
    /// An empty job.
    pub fn new() -> Self {
        Self::default()
    }

    /// `ESC @` (reset modes and clear the buffer) followed by `FS &` (Chinese character mode),
    /// so that the GB18030 double-byte text written by [`EscPosBuilder::text`] prints as Hanzi.
    pub fn init(mut self) -> Self {
        self.buf.extend_from_slice(&[ESC, b'@', FS, b'&']);
        self
    }

    /// `ESC a n`: justification of the following lines (also applies to QR codes and rasters).
    pub fn align(mut self, align: Align) -> Self {
        self.buf.extend_from_slice(&[ESC, b'a', align.code()]);
        self
    }

    /// `ESC E n`: emphasized (bold) on or off.
    pub fn bold(mut self, on: bool) -> Self {
        self.buf.extend_from_slice(&[ESC, b'E', u8::from(on)]);
        self
    }

    /// `GS ! n`: character width and height multipliers, each clamped to `1..=8`.
    pub fn size(mut self, width_mult: u8, height_mult: u8) -> Self {
        let w = width_mult.clamp(1, 8) - 1;
        let h = height_mult.clamp(1, 8) - 1;
        self.buf.extend_from_slice(&[GS, b'!', (w << 4) | h]);
        self
    }

    /// Text in GB18030 (without a line feed). `'\n'` is sent as LF; any other control
    /// character, and anything the encoding cannot represent, becomes `?` so that text from
    /// outside (a citizen's name, say) can never smuggle a printer command into the job.
    pub fn text(mut self, text: &str) -> Self {
        encode_gb18030(text, &mut self.buf);
        self
    }

    /// [`EscPosBuilder::text`] followed by LF, which prints the line.
    pub fn line(self, text: &str) -> Self {
        let mut b = self.text(text);
        b.buf.push(LF);
        b
    }

    /// `ESC d n`: print the buffer and feed `n` lines.
    pub fn feed(mut self, lines: u8) -> Self {
        self.buf.extend_from_slice(&[ESC, b'd', lines]);
        self
    }

    /// A QR code (model 2, error correction M) with `GS ( k`: select model (fn 65), module
    /// size (fn 67, clamped to `1..=16` dots), error correction (fn 69), store the data
    /// (fn 80) and print it (fn 81). Data longer than [`QR_MAX_DATA`] bytes is truncated
    /// (no QR version holds that much anyway; the printer then prints nothing).
    pub fn qr(mut self, data: &str, module_size: u8) -> Self {
        let bytes = &data.as_bytes()[..data.len().min(QR_MAX_DATA)];
        // fn 65: model; n1 = 50 is model 2, n2 = 0 reserved.
        self.buf
            .extend_from_slice(&[GS, b'(', b'k', 4, 0, 49, 65, 50, 0]);
        // fn 67: module size in dots.
        self.buf
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 67, module_size.clamp(1, 16)]);
        // fn 69: error correction; 48 = L, 49 = M, 50 = Q, 51 = H.
        self.buf
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 69, 49]);
        // fn 80: store data; the length counts cn fn m as well as the data.
        let len = (bytes.len() + 3) as u16;
        let [pl, ph] = len.to_le_bytes();
        self.buf
            .extend_from_slice(&[GS, b'(', b'k', pl, ph, 49, 80, 48]);
        self.buf.extend_from_slice(bytes);
        // fn 81: print the stored symbol.
        self.buf
            .extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48]);
        self
    }

    /// The same QR code (model 2, error correction M) drawn as a `GS v 0` raster, for printers
    /// without `GS ( k`: `module_size` dots per module (clamped to `1..=16`), 4-module quiet
    /// zone. Over a serial line prefer [`EscPosBuilder::qr`]: a raster is far more bytes.
    /// Data that fits no QR version prints nothing.
    pub fn qr_raster(self, data: &str, module_size: u8) -> Self {
        let Ok(code) =
            qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        else {
            return self;
        };
        let m = usize::from(module_size.clamp(1, 16));
        let n = code.width();
        let side = (n + 8) * m;
        let row_bytes = side.div_ceil(8);
        let colors = code.to_colors();
        let mut bits = vec![0u8; row_bytes * side];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = ((x / m).wrapping_sub(4), (y / m).wrapping_sub(4));
                if mx < n && my < n && colors[my * n + mx] == qrcode::Color::Dark {
                    bits[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        let side = u16::try_from(side).unwrap_or(u16::MAX);
        self.raster(side, side, &bits)
    }

    /// `GS v 0`: a 1-bit raster image, `width_px` × `height_px`, rows packed MSB first and
    /// padded to whole bytes (set bit = black). Missing bytes are sent as white, extra bytes
    /// are dropped, so the byte count always matches what the header announces.
    pub fn raster(mut self, width_px: u16, height_px: u16, bits: &[u8]) -> Self {
        let row_bytes = width_px.div_ceil(8);
        let total = usize::from(row_bytes) * usize::from(height_px);
        let [xl, xh] = row_bytes.to_le_bytes();
        let [yl, yh] = height_px.to_le_bytes();
        self.buf
            .extend_from_slice(&[GS, b'v', b'0', 0, xl, xh, yl, yh]);
        let n = bits.len().min(total);
        self.buf.extend_from_slice(&bits[..n]);
        self.buf.resize(self.buf.len() + (total - n), 0);
        self
    }

    /// `GS V m 0` (function B): feed to the cutter, then cut; `m` = 66 for a partial cut
    /// (one point left uncut, the receipt hangs until taken), 65 for a full cut.
    pub fn cut(mut self, partial: bool) -> Self {
        let m = if partial { 66 } else { 65 };
        self.buf.extend_from_slice(&[GS, b'V', m, 0]);
        self
    }

    /// Appends bytes verbatim, for commands this builder does not cover.
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.buf.extend_from_slice(bytes);
        self
    }

    /// The job so far, without consuming the builder.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished job.
    pub fn build(self) -> Vec<u8> {
        self.buf
    }
}

/// Appends `text` as GB18030, with control characters (except `'\n'`) and unmappable
/// characters replaced by `?`.
fn encode_gb18030(text: &str, out: &mut Vec<u8>) {
    let sanitized: String = text
        .chars()
        .map(|c| if c.is_control() && c != '\n' { '?' } else { c })
        .collect();
    let mut encoder = GB18030.new_encoder();
    let mut src = sanitized.as_str();
    // Worst case: 4 bytes per char in GB18030; `?` replacement never needs more.
    let mut chunk = vec![0u8; sanitized.len() * 4 + 16];
    loop {
        let (result, read, written) =
            encoder.encode_from_utf8_without_replacement(src, &mut chunk, true);
        out.extend_from_slice(&chunk[..written]);
        src = &src[read..];
        match result {
            EncoderResult::InputEmpty => break,
            // GB18030 covers all of Unicode, so this is only reachable if the encoding is ever
            // swapped for a narrower one (GBK); kept so that the documented `?` holds then too.
            EncoderResult::Unmappable(_) => out.push(b'?'),
            // Cannot happen with the buffer sized above; stop rather than loop forever.
            EncoderResult::OutputFull => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b() -> EscPosBuilder {
        EscPosBuilder::new()
    }

    #[test]
    fn init_resets_and_selects_chinese_mode() {
        assert_eq!(b().init().build(), vec![0x1B, 0x40, 0x1C, 0x26]);
    }

    #[test]
    fn align_bytes() {
        assert_eq!(b().align(Align::Left).build(), vec![0x1B, 0x61, 0]);
        assert_eq!(b().align(Align::Center).build(), vec![0x1B, 0x61, 1]);
        assert_eq!(b().align(Align::Right).build(), vec![0x1B, 0x61, 2]);
    }

    #[test]
    fn align_codes_round_trip() {
        for a in [Align::Left, Align::Center, Align::Right] {
            assert_eq!(Align::from_code(a.code()), Some(a));
            assert_eq!(Align::from_code(a.code() + b'0'), Some(a));
        }
        assert_eq!(Align::from_code(3), None);
    }

    #[test]
    fn bold_bytes() {
        assert_eq!(b().bold(true).build(), vec![0x1B, 0x45, 1]);
        assert_eq!(b().bold(false).build(), vec![0x1B, 0x45, 0]);
    }

    #[test]
    fn size_bytes_and_clamp() {
        assert_eq!(b().size(1, 1).build(), vec![0x1D, 0x21, 0x00]);
        assert_eq!(b().size(2, 3).build(), vec![0x1D, 0x21, 0x12]);
        assert_eq!(b().size(8, 8).build(), vec![0x1D, 0x21, 0x77]);
        assert_eq!(b().size(0, 9).build(), vec![0x1D, 0x21, 0x07]);
    }

    #[test]
    fn text_ascii_is_verbatim() {
        assert_eq!(b().text("A1 ").build(), b"A1 ".to_vec());
    }

    #[test]
    fn text_chinese_is_gb18030() {
        // 中 = D6 D0, 文 = CE C4 in GB2312/GBK/GB18030.
        assert_eq!(b().text("中文").build(), vec![0xD6, 0xD0, 0xCE, 0xC4]);
    }

    #[test]
    fn text_yen_is_gb18030_four_byte() {
        // U+00A5 is outside GBK; GB18030 maps it to the four-byte 81 30 84 36.
        assert_eq!(b().text("¥").build(), vec![0x81, 0x30, 0x84, 0x36]);
        // The full-width yen sign is a GB2312 double-byte character.
        assert_eq!(b().text("￥").build(), vec![0xA3, 0xA4]);
    }

    #[test]
    fn text_rare_characters_are_gb18030() {
        // U+20000 (CJK extension B; such characters turn up in names) is a four-byte code.
        assert_eq!(b().text("𠀀").build(), vec![0x95, 0x32, 0x82, 0x36]);
        // 䶮 (U+4DAE, extension A, a given name in the news): GB18030-2022 moved it from a
        // four-byte code to FE 9F; what matters on paper is that the printer decodes it back.
        let bytes = b().text("䶮").build();
        assert_eq!(
            encoding_rs::GB18030.decode_without_bom_handling(&bytes).0,
            "䶮",
            "{bytes:02x?}"
        );
        // The euro sign is A2 E3 in GB18030 (0x80 only in some GBK variants).
        assert_eq!(b().text("€").build(), vec![0xA2, 0xE3]);
    }

    #[test]
    fn text_control_characters_become_question_marks() {
        assert_eq!(b().text("a\x1b@b\tc").build(), b"a?@b?c".to_vec());
        assert_eq!(b().text("a\nb").build(), b"a\nb".to_vec());
    }

    #[test]
    fn line_appends_lf() {
        assert_eq!(b().line("hi").build(), vec![b'h', b'i', 0x0A]);
        assert_eq!(b().line("").build(), vec![0x0A]);
    }

    #[test]
    fn feed_bytes() {
        assert_eq!(b().feed(3).build(), vec![0x1B, 0x64, 3]);
    }

    #[test]
    fn qr_bytes() {
        let got = b().qr("AB", 6).build();
        let want = vec![
            0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0, // model 2
            0x1D, 0x28, 0x6B, 3, 0, 49, 67, 6, // module size
            0x1D, 0x28, 0x6B, 3, 0, 49, 69, 49, // EC level M
            0x1D, 0x28, 0x6B, 5, 0, 49, 80, 48, b'A', b'B', // store
            0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48, // print
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn qr_length_uses_both_bytes_and_clamps_module() {
        let data = "x".repeat(300);
        let got = b().qr(&data, 0).build();
        assert_eq!(got[16], 1, "module size clamped up to 1");
        // 303 = 0x012F
        assert_eq!(&got[25..33], &[0x1D, 0x28, 0x6B, 0x2F, 0x01, 49, 80, 48]);
        assert_eq!(got.len(), 9 + 8 + 8 + 8 + 300 + 8);
        assert_eq!(b().qr("a", 200).build()[16], 16);
    }

    #[test]
    fn raster_bytes() {
        let got = b().raster(10, 2, &[0xFF, 0xC0, 0x81, 0x40]).build();
        assert_eq!(
            got,
            vec![0x1D, 0x76, 0x30, 0, 2, 0, 2, 0, 0xFF, 0xC0, 0x81, 0x40]
        );
    }

    #[test]
    fn raster_pads_and_truncates_data() {
        let short = b().raster(8, 3, &[0xAA]).build();
        assert_eq!(short, vec![0x1D, 0x76, 0x30, 0, 1, 0, 3, 0, 0xAA, 0, 0]);
        let long = b().raster(8, 1, &[1, 2, 3]).build();
        assert_eq!(long, vec![0x1D, 0x76, 0x30, 0, 1, 0, 1, 0, 1]);
        let wide = b().raster(576, 256, &[]).build();
        assert_eq!(&wide[..8], &[0x1D, 0x76, 0x30, 0, 72, 0, 0, 1]);
        assert_eq!(wide.len(), 8 + 72 * 256);
    }

    #[test]
    fn qr_raster_bytes() {
        // "A" at EC level M is a 21×21 version 1 symbol; with the quiet zone, 29 modules of
        // 2 dots = 58 dots square, 8 bytes per row.
        let got = b().qr_raster("A", 2).build();
        assert_eq!(&got[..8], &[0x1D, 0x76, 0x30, 0, 8, 0, 58, 0]);
        assert_eq!(got.len(), 8 + 8 * 58);
        // Quiet zone: the first 8 rows are white.
        assert!(got[8..8 + 8 * 8].iter().all(|&b| b == 0));
        // Row 8 starts the finder pattern: dots 8..22 (7 modules × 2) black, so byte 1 is
        // 0xFF (dots 8..16), byte 2 0xFC (16..22), and byte 0 white.
        let row8 = &got[8 + 8 * 8..8 + 9 * 8];
        assert_eq!(&row8[..3], &[0x00, 0xFF, 0xFC]);
        // Too much data for any version: nothing.
        assert!(b().qr_raster(&"x".repeat(5000), 2).build().is_empty());
    }

    #[test]
    fn cut_bytes() {
        assert_eq!(b().cut(false).build(), vec![0x1D, 0x56, 65, 0]);
        assert_eq!(b().cut(true).build(), vec![0x1D, 0x56, 66, 0]);
    }

    #[test]
    fn raw_and_chaining() {
        let job = b().init().bold(true).line("A").raw(&[0x07]).cut(true);
        assert_eq!(job.as_bytes().len(), 4 + 3 + 2 + 1 + 4);
        assert_eq!(
            job.build(),
            vec![0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x45, 1, b'A', 0x0A, 0x07, 0x1D, 0x56, 66, 0]
        );
    }
}
