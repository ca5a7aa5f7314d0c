//! A thin layer over printpdf for A4 pages: coordinates in mm from the TOP-left corner (as a
//! designer measures a form), one embedded CJK font subset, vector QR codes, raw RGB images.

use std::io::Cursor;

use printpdf::path::PaintMode;
use printpdf::{
    Color, ColorBits, ColorSpace, Image, ImageTransform, ImageXObject, IndirectFontRef, Line, Mm,
    PdfDocument, PdfDocumentReference, PdfLayerReference, Point, Pt, Px, Rect, Rgb, TextMatrix,
};
use qrcode::{EcLevel, QrCode};

use super::DocumentError;

/// A4 width in mm.
pub const PAGE_W: f32 = 210.0;
/// A4 height in mm.
pub const PAGE_H: f32 = 297.0;
/// Left and right margin in mm.
pub const MARGIN: f32 = 20.0;
/// One typographic point in mm.
const PT_MM: f32 = 25.4 / 72.0;

/// One A4 page being drawn.
pub struct A4Page {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    font: IndirectFontRef,
    has_images: std::cell::Cell<bool>,
}

impl A4Page {
    /// A blank A4 page with `font` (TrueType or a .ttc collection) embedded as a subset of the
    /// glyphs actually drawn, so the text stays real (selectable, `pdftotext`) and the file small.
    pub fn new(title: &str, font: &[u8]) -> Result<Self, DocumentError> {
        let (doc, page, layer) = PdfDocument::new(title, Mm(PAGE_W), Mm(PAGE_H), "page");
        let font = doc
            .add_external_font_with_subsetting(Cursor::new(font), true)
            .map_err(|e| DocumentError::Font(e.to_string()))?;
        let layer = doc.get_page(page).get_layer(layer);
        Ok(A4Page {
            doc,
            layer,
            font,
            has_images: std::cell::Cell::new(false),
        })
    }

    /// Starts another A4 page: what is drawn next goes on it (a form of several pages).
    pub fn next_page(&mut self) {
        let (page, layer) = self.doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "page");
        self.layer = self.doc.get_page(page).get_layer(layer);
    }

    fn y(top_mm: f32) -> Mm {
        Mm(PAGE_H - top_mm)
    }

    /// Text whose baseline is `top` mm below the top edge, starting `x` mm from the left.
    pub fn text(&self, s: &str, size_pt: f32, x: f32, top: f32) {
        self.layer
            .use_text(s, size_pt, Mm(x), Self::y(top), &self.font);
    }

    /// Text centred on the page.
    pub fn text_centered(&self, s: &str, size_pt: f32, top: f32) {
        let w = text_width_mm(s, size_pt);
        self.text(s, size_pt, (PAGE_W - w) / 2.0, top);
    }

    /// Text centred on the point (`cx`, `top`), rotated `deg` degrees counter-clockwise: the
    /// "仅供…使用" overlay across a card image.
    pub fn text_rotated(&self, s: &str, size_pt: f32, cx: f32, cy_top: f32, deg: f32) {
        let w = text_width_mm(s, size_pt);
        let (sin, cos) = deg.to_radians().sin_cos();
        // Start so that the middle of the baseline lands on the centre.
        let x = cx - cos * w / 2.0;
        let y = (PAGE_H - cy_top) - sin * w / 2.0;
        self.layer.begin_text_section();
        self.layer.set_font(&self.font, size_pt);
        self.layer
            .set_text_matrix(TextMatrix::TranslateRotate(Mm(x).into(), Mm(y).into(), deg));
        self.layer.write_text(s, &self.font);
        self.layer.end_text_section();
    }

    /// Sets the colour of text and filled shapes (0..=1 per channel).
    pub fn fill(&self, r: f32, g: f32, b: f32) {
        self.layer
            .set_fill_color(Color::Rgb(Rgb::new(r, g, b, None)));
    }

    /// A straight line.
    pub fn line(&self, x1: f32, top1: f32, x2: f32, top2: f32, width_pt: f32) {
        self.layer
            .set_outline_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        self.layer.set_outline_thickness(width_pt);
        self.layer.add_line(Line {
            points: vec![
                (Point::new(Mm(x1), Self::y(top1)), false),
                (Point::new(Mm(x2), Self::y(top2)), false),
            ],
            is_closed: false,
        });
    }

    /// The outline of a box whose top-left corner is (`x`, `top`).
    pub fn frame(&self, x: f32, top: f32, w: f32, h: f32, width_pt: f32) {
        self.layer
            .set_outline_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        self.layer.set_outline_thickness(width_pt);
        self.layer.add_rect(
            Rect::new(Mm(x), Self::y(top + h), Mm(x + w), Self::y(top))
                .with_mode(PaintMode::Stroke),
        );
    }

    /// A filled box in the current fill colour.
    pub fn fill_rect(&self, x: f32, top: f32, w: f32, h: f32) {
        self.layer.add_rect(
            Rect::new(Mm(x), Self::y(top + h), Mm(x + w), Self::y(top)).with_mode(PaintMode::Fill),
        );
    }

    /// A QR code (error correction M, 4-module quiet zone) as vector squares, `size` mm wide
    /// including the quiet zone, top-left at (`x`, `top`). Vector modules stay sharp at any
    /// printer resolution; runs of dark modules in a row are one rectangle each.
    pub fn qr(&self, data: &str, x: f32, top: f32, size: f32) -> Result<(), DocumentError> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
            .map_err(|e| DocumentError::Qr(e.to_string()))?;
        let n = code.width();
        let colors = code.to_colors();
        let module = size / (n + 8) as f32;
        self.fill(0.0, 0.0, 0.0);
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    self.fill_rect(
                        x + (start + 4) as f32 * module,
                        top + (row + 4) as f32 * module,
                        (col - start) as f32 * module,
                        module,
                    );
                } else {
                    col += 1;
                }
            }
        }
        Ok(())
    }

    /// An RGB image (8 bits per channel, rows top to bottom) scaled to exactly `w` × `h` mm.
    pub fn image(&self, img: &RgbImage, x: f32, top: f32, w: f32, h: f32) {
        self.has_images.set(true);
        let dpi = img.width as f32 * 25.4 / w;
        let natural_h = img.height as f32 / dpi * 25.4;
        let xobj = ImageXObject {
            width: Px(img.width as usize),
            height: Px(img.height as usize),
            color_space: ColorSpace::Rgb,
            bits_per_component: ColorBits::Bit8,
            interpolate: true,
            image_data: img.rgb.clone(),
            image_filter: None,
            smask: None,
            clipping_bbox: None,
        };
        Image::from(xobj).add_to_layer(
            self.layer.clone(),
            ImageTransform {
                translate_x: Some(Mm(x)),
                translate_y: Some(Self::y(top + h)),
                dpi: Some(dpi),
                scale_x: Some(1.0),
                scale_y: Some(h / natural_h),
                rotate: None,
            },
        );
    }

    /// The finished PDF (streams compressed, font subset).
    pub fn finish(self) -> Result<Vec<u8>, DocumentError> {
        let pdf_err = |e: &dyn std::fmt::Display| DocumentError::Pdf(e.to_string());
        let bytes = self.doc.save_to_bytes().map_err(|e| pdf_err(&e))?;
        if !self.has_images.get() {
            return Ok(bytes);
        }
        // printpdf 0.7 writes raw image data uncompressed (it has no Flate image filter):
        // a 1:1 ID card side is 1.4 MB. A second pass through lopdf deflates those streams.
        let mut doc = printpdf::lopdf::Document::load_mem(&bytes).map_err(|e| pdf_err(&e))?;
        doc.compress();
        let mut out = Vec::with_capacity(bytes.len() / 4);
        doc.save_to(&mut out).map_err(|e| pdf_err(&e))?;
        Ok(out)
    }
}

/// Estimated advance width of `s` in mm: CJK glyphs are square (1 em), Latin and digits in
/// WenQuanYi Micro Hei about half an em. Good enough to centre and wrap; never used to clip.
pub fn text_width_mm(s: &str, size_pt: f32) -> f32 {
    let em: f32 = s
        .chars()
        .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
        .sum();
    em * size_pt * PT_MM
}

/// Splits `s` into lines no wider than `width` mm (breaking anywhere: Chinese has no spaces;
/// an ASCII word, punctuation included, is kept whole when it fits on a line).
pub fn wrap(s: &str, size_pt: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        let mut next = cur.clone();
        next.push(c);
        // Chinese typesetting never starts a line with a closing mark: let it overhang.
        let closing = "，。、；：？！）》」』”’".contains(c);
        if text_width_mm(&next, size_pt) > width && !cur.is_empty() && !closing {
            // Move a trailing ASCII word to the next line rather than split it.
            // An ASCII word (a case number such as `SB-20261124-000042`, a URL) runs up to
            // the last space or Chinese character.
            let split = if c.is_ascii_graphic() {
                cur.rfind(|ch: char| !ch.is_ascii_graphic())
                    .map(|i| i + cur[i..].chars().next().map_or(1, char::len_utf8))
                    .filter(|&i| i > 0 && i < cur.len())
            } else {
                None
            };
            match split {
                Some(i) => {
                    let tail = cur.split_off(i);
                    lines.push(std::mem::take(&mut cur));
                    cur = tail;
                }
                None => lines.push(std::mem::take(&mut cur)),
            }
            cur.push(c);
        } else {
            cur = next;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// A decoded RGB image: the ID-card sides come in as this (from PNG, or from the scanner).
#[derive(Clone, PartialEq, Eq)]
pub struct RgbImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes, rows top to bottom.
    pub rgb: Vec<u8>,
}

impl std::fmt::Debug for RgbImage {
    // A card image is personal data: never dump its pixels into a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbImage({}x{}, <redacted>)", self.width, self.height)
    }
}

impl RgbImage {
    /// Checks that the buffer matches the size.
    pub fn new(width: u32, height: u32, rgb: Vec<u8>) -> Result<Self, DocumentError> {
        if width == 0 || height == 0 || rgb.len() != width as usize * height as usize * 3 {
            return Err(DocumentError::Image(
                "size does not match the pixel buffer".into(),
            ));
        }
        Ok(RgbImage { width, height, rgb })
    }

    /// Decodes a PNG (grey, grey+alpha, RGB or RGBA, 8 bit; alpha dropped onto white).
    pub fn from_png(bytes: &[u8]) -> Result<Self, DocumentError> {
        let err = |e: &dyn std::fmt::Display| DocumentError::Image(e.to_string());
        let mut decoder = png::Decoder::new(Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().map_err(|e| err(&e))?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| err(&"image too large"))?;
        let mut buf = vec![0; size];
        let info = reader.next_frame(&mut buf).map_err(|e| err(&e))?;
        let px = (info.width * info.height) as usize;
        let rgb: Vec<u8> = match info.color_type {
            png::ColorType::Rgb => buf[..px * 3].to_vec(),
            png::ColorType::Rgba => buf[..px * 4]
                .chunks_exact(4)
                .flat_map(|p| {
                    let a = u16::from(p[3]);
                    let on_white = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
                    [on_white(p[0]), on_white(p[1]), on_white(p[2])]
                })
                .collect(),
            png::ColorType::Grayscale => buf[..px].iter().flat_map(|&g| [g, g, g]).collect(),
            png::ColorType::GrayscaleAlpha => buf[..px * 2]
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0]])
                .collect(),
            other => return Err(err(&format!("unsupported PNG colour type {other:?}"))),
        };
        RgbImage::new(info.width, info.height, rgb)
    }
}

/// Points to mm, for callers that lay out in points.
pub fn pt_to_mm(pt: f32) -> f32 {
    Mm::from(Pt(pt)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_lines_within_width_and_all_text() {
        let s = "兹证明张三在本市参加社会保险，缴费情况如下 Case No. KW-20261124-0042 verified.";
        let lines = wrap(s, 12.0, 60.0);
        assert!(lines.len() > 1);
        for l in &lines {
            // A closing mark may overhang by one glyph.
            assert!(text_width_mm(l, 12.0) <= 60.0 + 12.0 * PT_MM, "{l}");
            assert!(!l.starts_with('，'), "{l}");
        }
        assert_eq!(lines.concat(), s);
        // The ASCII case number is not split across lines.
        assert!(lines.iter().any(|l| l.contains("KW-20261124-0042")));
    }

    #[test]
    fn rgb_image_checks_size_and_redacts_debug() {
        assert!(RgbImage::new(2, 2, vec![0; 11]).is_err());
        let img = RgbImage::new(2, 2, vec![7; 12]).unwrap();
        assert_eq!(format!("{img:?}"), "RgbImage(2x2, <redacted>)");
    }

    #[test]
    fn pt_mm() {
        assert!((pt_to_mm(72.0) - 25.4).abs() < 0.01);
    }
}
