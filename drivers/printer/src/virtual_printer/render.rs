//! Renders a parsed [`Receipt`] as the paper would come out of an 80 mm printer.

use std::io;

use ab_glyph::{point, Font, FontArc, FontRef, FontVec, PxScale, ScaleFont};
use qrcode::{Color, EcLevel, QrCode};

use super::parser::{Element, Receipt};
use crate::escpos::Align;

/// Printable width of an 80 mm head at 203 dpi, in dots; the rendered image is this wide.
pub const PAPER_WIDTH: u32 = 576;
/// Height of a 1×1 character cell in dots (the printer's 24×24 Chinese / 12×24 ASCII font).
pub const BASE_GLYPH_HEIGHT: u32 = 24;
/// Gap between text lines, so 1×1 lines are 30 dots apart (the printer's default 1/6 inch).
const LINE_GAP: u32 = 6;
/// Blank paper above the first line, as left by the previous cut.
const TOP_MARGIN: u32 = 24;
/// Blank paper between the last item and the cut.
const BOTTOM_MARGIN: u32 = 32;
/// Below the content: the dashed cut line and a little paper after it.
const CUT_AREA: u32 = 12;
/// Preferred QR module size in dots; shrunk only if the symbol would not fit the paper.
const QR_MODULE: u32 = 6;
/// QR quiet zone in modules, as the standard asks (scanners such as zbar rely on it).
const QR_QUIET: u32 = 4;
/// Space above and below a QR code.
const QR_PAD: u32 = 8;

/// A font for the renderer, loaded at run time (so the binary does not embed megabytes of CJK
/// glyphs and the kiosk can ship whichever font its licence allows).
pub struct FontData {
    font: FontArc,
}

impl std::fmt::Debug for FontData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontData").finish_non_exhaustive()
    }
}

impl FontData {
    /// Parses a TrueType/OpenType font or the first face (index 0) of a collection
    /// (`.ttc`, such as WenQuanYi Micro Hei).
    ///
    /// A `&'static` font (one built into the binary) is used in place, without a copy: a
    /// CJK font is several megabytes.
    pub fn from_bytes(data: impl Into<std::borrow::Cow<'static, [u8]>>) -> io::Result<FontData> {
        let font = match data.into() {
            std::borrow::Cow::Borrowed(slice) => {
                FontRef::try_from_slice_and_index(slice, 0).map(FontArc::new)
            }
            std::borrow::Cow::Owned(vec) => {
                FontVec::try_from_vec_and_index(vec, 0).map(FontArc::new)
            }
        };
        font.map(|font| FontData { font })
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

/// An RGBA image, 8 bits per channel, rows top to bottom. The fields are private so that
/// `pixels.len() == width * height * 4` always holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaImage {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl RgbaImage {
    /// Wraps pixel data; `None` if a dimension is zero or the length does not match.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Option<RgbaImage> {
        let len = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(4)?;
        (width > 0 && height > 0 && pixels.len() == len).then_some(RgbaImage {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// RGBA bytes, `width * 4` per row.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The `[r, g, b, a]` of one pixel, `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        self.pixels
            .get(i..i + 4)
            .and_then(|p| <[u8; 4]>::try_from(p).ok())
    }
}

/// Grey paper that grows downwards as items are drawn (0 = black, 255 = white).
struct Canvas {
    rows: Vec<u8>,
    height: u32,
}

impl Canvas {
    fn new() -> Self {
        Canvas {
            rows: Vec::new(),
            height: 0,
        }
    }

    fn ensure_height(&mut self, h: u32) {
        if h > self.height {
            self.height = h;
            self.rows.resize(PAPER_WIDTH as usize * h as usize, 255);
        }
    }

    /// Darkens a pixel (ink never lightens paper); points off the paper are dropped.
    fn ink(&mut self, x: i64, y: i64, value: u8) {
        if x < 0 || y < 0 || x >= i64::from(PAPER_WIDTH) || y >= i64::from(self.height) {
            return;
        }
        let i = y as usize * PAPER_WIDTH as usize + x as usize;
        if let Some(p) = self.rows.get_mut(i) {
            *p = (*p).min(value);
        }
    }

    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.ink(i64::from(xx), i64::from(yy), 0);
            }
        }
    }

    fn into_rgba(self) -> RgbaImage {
        let pixels = self.rows.iter().flat_map(|&g| [g, g, g, 255]).collect();
        RgbaImage {
            width: PAPER_WIDTH,
            height: self.height,
            pixels,
        }
    }
}

/// Draws the receipt: black on white, [`PAPER_WIDTH`] wide, as tall as needed, with a
/// dashed cut line at the bottom.
pub fn render(receipt: &Receipt, font: &FontData) -> RgbaImage {
    let mut canvas = Canvas::new();
    let mut y = TOP_MARGIN;
    canvas.ensure_height(y);
    for element in &receipt.elements {
        match element {
            Element::Text {
                text,
                align,
                bold,
                width_mult,
                height_mult,
            } => {
                y = draw_text(
                    &mut canvas,
                    font,
                    y,
                    text,
                    *align,
                    *bold,
                    *width_mult,
                    *height_mult,
                );
            }
            Element::Qr { data } => y = draw_qr(&mut canvas, y, data),
            Element::Raster { w, h, bits } => y = draw_raster(&mut canvas, y, *w, *h, bits),
            Element::Feed(n) => {
                y += u32::from(*n) * (BASE_GLYPH_HEIGHT + LINE_GAP);
                canvas.ensure_height(y);
            }
        }
    }
    y += BOTTOM_MARGIN;
    canvas.ensure_height(y + CUT_AREA);
    // The cut: a dashed line, 2 dots thick, 8 on 6 off.
    let mut x = 0;
    while x < PAPER_WIDTH {
        let w = 8.min(PAPER_WIDTH - x);
        for yy in y + 4..y + 6 {
            for xx in x..x + w {
                canvas.ink(i64::from(xx), i64::from(yy), 128);
            }
        }
        x += 14;
    }
    canvas.into_rgba()
}

/// One text element, wrapped at the paper edge as the printer does; returns the next `y`.
#[allow(clippy::too_many_arguments)]
fn draw_text(
    canvas: &mut Canvas,
    font: &FontData,
    top: u32,
    text: &str,
    align: Align,
    bold: bool,
    width_mult: u8,
    height_mult: u8,
) -> u32 {
    let wm = f32::from(width_mult.clamp(1, 8));
    let hm = f32::from(height_mult.clamp(1, 8));
    let font = &font.font;
    // Scale so that one em is 24 dots per multiplier: a Hanzi fills its 24×24 cell like the
    // printer's own font, whatever the font's ascent/descent metrics.
    let em = font.units_per_em().unwrap_or(1000.0);
    let per_em = font.height_unscaled() / em;
    let base = BASE_GLYPH_HEIGHT as f32;
    let scale = PxScale {
        x: base * wm * per_em,
        y: base * hm * per_em,
    };
    let scaled = font.as_scaled(scale);
    let line_h = BASE_GLYPH_HEIGHT * u32::from(height_mult.clamp(1, 8)) + LINE_GAP;
    // Baseline so that the em box (ascent + descent scaled to the cell) sits in the cell.
    let cell = base * hm;
    let asc = scaled.ascent();
    let desc = -scaled.descent();
    let baseline_offset = (cell - (asc + desc)) / 2.0 + asc;

    // Break into visual lines by advance width.
    let paper = PAPER_WIDTH as f32;
    let mut lines: Vec<(Vec<(ab_glyph::GlyphId, f32)>, f32)> = vec![(Vec::new(), 0.0)];
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        let adv = scaled.h_advance(id);
        let fits = lines.last().map(|(g, w)| g.is_empty() || w + adv <= paper);
        if fits == Some(false) {
            lines.push((Vec::new(), 0.0));
        }
        if let Some((glyphs, width)) = lines.last_mut() {
            glyphs.push((id, *width));
            *width += adv;
        }
    }

    let mut y = top;
    for (glyphs, width) in lines {
        canvas.ensure_height(y + line_h);
        let x0 = match align {
            Align::Left => 0.0,
            Align::Center => ((paper - width) / 2.0).max(0.0),
            Align::Right => (paper - width).max(0.0),
        };
        let baseline = y as f32 + baseline_offset;
        let strikes: &[f32] = if bold { &[0.0, 1.0] } else { &[0.0] };
        for &(id, gx) in &glyphs {
            for &dx in strikes {
                let glyph = id.with_scale_and_position(scale, point(x0 + gx + dx, baseline));
                if let Some(outlined) = font.outline_glyph(glyph) {
                    let b = outlined.px_bounds();
                    outlined.draw(|px, py, cov| {
                        let v = 255.0 - cov.clamp(0.0, 1.0) * 255.0;
                        canvas.ink(
                            b.min.x as i64 + i64::from(px),
                            b.min.y as i64 + i64::from(py),
                            v as u8,
                        );
                    });
                }
            }
        }
        y += line_h;
    }
    y
}

/// A QR code (EC level M), centred, with its quiet zone; returns the next `y`.
fn draw_qr(canvas: &mut Canvas, top: u32, data: &str) -> u32 {
    let Ok(code) = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) else {
        // Too long for any QR version: the printer prints nothing either.
        return top;
    };
    let modules = code.width() as u32;
    let total_modules = modules + 2 * QR_QUIET;
    let module = QR_MODULE.min(PAPER_WIDTH / total_modules).max(1);
    let size = total_modules * module;
    let x0 = PAPER_WIDTH.saturating_sub(size) / 2 + QR_QUIET * module;
    let y0 = top + QR_PAD + QR_QUIET * module;
    canvas.ensure_height(top + QR_PAD + size + QR_PAD);
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let mx = i as u32 % modules;
            let my = i as u32 / modules;
            canvas.fill(x0 + mx * module, y0 + my * module, module, module);
        }
    }
    top + QR_PAD + size + QR_PAD
}

/// Length of paper, in dots (8 per mm at 203 dpi), that `receipt` uses from the top margin
/// to the cut, computed from the printer's own cell sizes (12×24 ASCII, 24×24 Chinese) rather
/// than a font, so the paper model needs no font and no drawing. Matches [`render`]'s height
/// except where a line wraps differently in the rendering font.
pub fn paper_length_dots(receipt: &Receipt) -> u32 {
    let mut y = TOP_MARGIN;
    for element in &receipt.elements {
        y += match element {
            Element::Text {
                text,
                width_mult,
                height_mult,
                ..
            } => {
                let cells: u32 = text
                    .chars()
                    .map(|c| if c.is_ascii() { 12 } else { 24 })
                    .sum::<u32>()
                    * u32::from((*width_mult).clamp(1, 8));
                let lines = cells.div_ceil(PAPER_WIDTH).max(1);
                lines * (BASE_GLYPH_HEIGHT * u32::from((*height_mult).clamp(1, 8)) + LINE_GAP)
            }
            Element::Qr { data } => {
                match QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) {
                    Ok(code) => {
                        let total = code.width() as u32 + 2 * QR_QUIET;
                        let module = QR_MODULE.min(PAPER_WIDTH / total).max(1);
                        2 * QR_PAD + total * module
                    }
                    Err(_) => 0,
                }
            }
            Element::Raster { w, h, bits } => {
                if *w < 8 || bits.is_empty() {
                    0
                } else {
                    *h
                }
            }
            Element::Feed(n) => u32::from(*n) * (BASE_GLYPH_HEIGHT + LINE_GAP),
        };
    }
    y + BOTTOM_MARGIN + CUT_AREA
}

/// A `GS v 0` image from the left edge, clipped to the paper; returns the next `y`.
fn draw_raster(canvas: &mut Canvas, top: u32, w: u32, h: u32, bits: &[u8]) -> u32 {
    let row_bytes = (w / 8) as usize;
    if row_bytes == 0 || bits.is_empty() {
        // Nothing to print; not advancing keeps a garbage header (x = 0, y = 65535) from
        // growing the image by tens of megabytes.
        return top;
    }
    canvas.ensure_height(top + h);
    for (ry, row) in bits.chunks(row_bytes.max(1)).take(h as usize).enumerate() {
        for (bx, byte) in row.iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    let x = (bx * 8 + bit) as i64;
                    canvas.ink(x, i64::from(top) + ry as i64, 0);
                }
            }
        }
    }
    top + h
}

/// Encodes an image as an 8-bit RGBA PNG.
pub fn encode_png(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    // RgbaImage guarantees non-zero dimensions and a matching buffer, and writing to a Vec
    // cannot fail, so the encoder has nothing left to reject.
    let written = encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&image.pixels));
    debug_assert!(written.is_ok(), "PNG encoding failed: {written:?}");
    if written.is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgba_image_checks_its_invariant() {
        assert!(RgbaImage::new(2, 1, vec![0; 8]).is_some());
        assert!(RgbaImage::new(2, 1, vec![0; 7]).is_none());
        assert!(RgbaImage::new(0, 0, vec![]).is_none());
        let img = RgbaImage::new(1, 1, vec![1, 2, 3, 4]).unwrap();
        assert_eq!(img.pixel(0, 0), Some([1, 2, 3, 4]));
        assert_eq!(img.pixel(1, 0), None);
    }

    #[test]
    fn png_signature_and_size() {
        let img = RgbaImage::new(3, 2, vec![255; 24]).unwrap();
        let png = encode_png(&img);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR width and height, big-endian, at bytes 16..24.
        assert_eq!(&png[16..24], &[0, 0, 0, 3, 0, 0, 0, 2]);
    }

    #[test]
    fn bad_font_is_an_error() {
        assert!(FontData::from_bytes(b"not a font".to_vec()).is_err());
    }

    #[test]
    fn raster_and_feed_without_font_glyphs() {
        // A receipt without text does not touch the font; any valid font will do, but there
        // is none here, so only the layout helpers are exercised.
        let mut c = Canvas::new();
        let y = draw_raster(&mut c, 10, 16, 2, &[0x80, 0x01, 0xFF, 0xFF]);
        assert_eq!(y, 12);
        let img = c.into_rgba();
        assert_eq!(img.pixel(0, 10), Some([0, 0, 0, 255]));
        assert_eq!(img.pixel(1, 10), Some([255, 255, 255, 255]));
        assert_eq!(img.pixel(15, 10), Some([0, 0, 0, 255]));
        assert_eq!(img.pixel(3, 11), Some([0, 0, 0, 255]));
        let mut c = Canvas::new();
        assert_eq!(draw_raster(&mut c, 5, 0, 65535, &[]), 5);
        assert_eq!(c.height, 0);
    }
}
