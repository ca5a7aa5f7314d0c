//! The demo's document scanner: the glass of a flatbed with a sample ID card on it, drawn at
//! the scan resolution, or an empty glass, or an open lid. It stands where the SANE scanner
//! stands in a real kiosk (`DocumentSource`), so the crop, the layout and the printing that
//! follow are the real code.

use std::sync::{Arc, Mutex};

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use scanner::sane::{ScanError, ScannedImage};

use crate::devices::doc_scanner::DocumentSource;

/// What lies on the simulated glass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glass {
    /// A sample card; it is turned over after each scan (front, back, front…).
    Card,
    /// A document page (a material of an application): a printed sheet filling the glass.
    Page,
    /// Nothing.
    Empty,
    /// The lid is up.
    LidOpen,
    /// The scanner's cable is out: every scan is an I/O error (tests of the scanner's fault).
    Unplugged,
}

/// The simulated scanner; the panel changes what is on the glass through [`Self::glass`].
pub struct SimGlass {
    /// What lies on it.
    pub glass: Arc<Mutex<Glass>>,
    font: &'static [u8],
    next_back: bool,
}

/// Scan resolution of the simulated scanner.
const DPI: f32 = 300.0;
/// The scanned area: 120 × 80 mm from the glass's corner.
const AREA_MM: (f32, f32) = (120.0, 80.0);

fn px(mm: f32) -> u32 {
    (mm / 25.4 * DPI).round() as u32
}

impl SimGlass {
    /// A glass with a card on it.
    pub fn new(font: &'static [u8]) -> Self {
        Self {
            glass: Arc::new(Mutex::new(Glass::Card)),
            font,
            next_back: false,
        }
    }
}

impl DocumentSource for SimGlass {
    fn reopen(&mut self) -> Result<Option<String>, ScanError> {
        match *self.glass.lock().unwrap_or_else(|p| p.into_inner()) {
            Glass::Unplugged => Err(ScanError::NotFound {
                device: "demo glass".into(),
            }),
            _ => Ok(None),
        }
    }

    fn scan(&mut self) -> Result<ScannedImage, ScanError> {
        let glass = *self.glass.lock().unwrap_or_else(|p| p.into_inner());
        // A scan takes a moment on a real flatbed.
        std::thread::sleep(std::time::Duration::from_millis(600));
        let (w, h) = (px(AREA_MM.0), px(AREA_MM.1));
        // A black lid, as docs/devices/document-scanner.md recommends for ID copies.
        let mut img = Canvas::new(w, h, [28, 28, 30]);
        match glass {
            Glass::LidOpen => return Err(ScanError::CoverOpen),
            Glass::Unplugged => return Err(ScanError::DeviceGone),
            Glass::Empty => {}
            Glass::Page => draw_page(&mut img, self.font),
            Glass::Card => {
                let back = self.next_back;
                self.next_back = !back;
                draw_card(&mut img, self.font, back);
            }
        }
        Ok(ScannedImage {
            width: w,
            height: h,
            rgb: img.rgb,
            dpi: DPI as u32,
        })
    }
}

struct Canvas {
    w: u32,
    h: u32,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(w: u32, h: u32, bg: [u8; 3]) -> Self {
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        for _ in 0..w * h {
            rgb.extend_from_slice(&bg);
        }
        Self { w, h, rgb }
    }
    fn blend(&mut self, x: i64, y: i64, c: [u8; 3], a: f32) {
        if x < 0 || y < 0 || x >= self.w as i64 || y >= self.h as i64 {
            return;
        }
        let i = ((y as u32 * self.w + x as u32) * 3) as usize;
        for (dst, src) in self.rgb[i..i + 3].iter_mut().zip(c) {
            let old = f32::from(*dst);
            *dst = (old + (f32::from(src) - old) * a.clamp(0.0, 1.0)) as u8;
        }
    }
    fn rect(&mut self, x: u32, y: u32, w: u32, h: u32, c: [u8; 3]) {
        for yy in y..(y + h).min(self.h) {
            for xx in x..(x + w).min(self.w) {
                self.blend(i64::from(xx), i64::from(yy), c, 1.0);
            }
        }
    }
    /// A filled circle centred on `(cx, cy)`.
    fn disc(&mut self, cx: f32, cy: f32, r: f32, c: [u8; 3]) {
        for y in 0..(2.0 * r) as i64 {
            for x in 0..(2.0 * r) as i64 {
                let (dx, dy) = (x as f32 - r, y as f32 - r);
                if dx * dx + dy * dy <= r * r {
                    self.blend((cx - r) as i64 + x, (cy - r) as i64 + y, c, 1.0);
                }
            }
        }
    }
    fn text(&mut self, font: &FontRef<'_>, s: &str, x: f32, y: f32, size: f32, c: [u8; 3]) {
        let scaled = font.as_scaled(PxScale::from(size));
        let mut caret = x;
        for ch in s.chars() {
            let id = scaled.glyph_id(ch);
            let glyph = id.with_scale_and_position(size, point(caret, y + scaled.ascent()));
            caret += scaled.h_advance(id);
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, cov| {
                    self.blend(
                        b.min.x as i64 + i64::from(gx),
                        b.min.y as i64 + i64::from(gy),
                        c,
                        cov,
                    )
                });
            }
        }
    }
}

/// A sample card (张伟's) at true size, 6 mm from the glass's corner.
fn draw_card(img: &mut Canvas, font_data: &[u8], back: bool) {
    let (x0, y0) = (px(6.0), px(5.0));
    let (cw, ch) = (px(85.6), px(54.0));
    // Card stock: a pale blue-grey with a faint pattern.
    for y in 0..ch {
        for x in 0..cw {
            let wave = ((x as f32 / 37.0).sin() + (y as f32 / 23.0).cos()) * 4.0;
            let base = if back {
                [236.0, 232.0, 214.0]
            } else {
                [222.0, 232.0, 238.0]
            };
            let c = [
                (base[0] + wave) as u8,
                (base[1] + wave) as u8,
                (base[2] + wave) as u8,
            ];
            img.blend(i64::from(x0 + x), i64::from(y0 + y), c, 1.0);
        }
    }
    let Ok(font) = FontRef::try_from_slice_and_index(font_data, 0) else {
        return;
    };
    let ink = [40, 40, 40];
    let label = [70, 110, 150];
    let mm = |v: f32| v / 25.4 * DPI;
    let at = |dx: f32, dy: f32| (x0 as f32 + mm(dx), y0 as f32 + mm(dy));
    if back {
        // Emblem, title, authority and validity.
        let (ex, ey) = at(6.0, 5.0);
        let r = mm(8.0);
        img.disc(ex + r, ey + r, r, [200, 40, 30]);
        let (tx, ty) = at(28.0, 7.0);
        img.text(&font, "中华人民共和国", tx, ty, mm(5.0), ink);
        let (tx, ty) = at(24.0, 16.0);
        img.text(&font, "居民身份证", tx, ty, mm(7.5), ink);
        let (tx, ty) = at(14.0, 36.0);
        img.text(
            &font,
            "签发机关  北京市公安局东城分局",
            tx,
            ty,
            mm(3.2),
            ink,
        );
        let (tx, ty) = at(14.0, 43.0);
        img.text(
            &font,
            "有效期限  2015.06.01-2035.06.01",
            tx,
            ty,
            mm(3.2),
            ink,
        );
    } else {
        let rows: [(&str, &str); 4] = [
            ("姓名", "张伟"),
            ("性别", "男    民族  汉"),
            ("出生", "1985 年 3 月 12 日"),
            ("住址", "北京市东城区景山前街4号"),
        ];
        for (i, (k, v)) in rows.iter().enumerate() {
            let (lx, ly) = at(5.0, 5.0 + i as f32 * 8.0);
            img.text(&font, k, lx, ly, mm(3.0), label);
            img.text(&font, v, lx + mm(11.0), ly, mm(3.4), ink);
        }
        let (lx, ly) = at(5.0, 44.0);
        img.text(&font, "公民身份号码", lx, ly, mm(3.0), label);
        img.text(&font, "110101198503120017", lx + mm(22.0), ly, mm(3.8), ink);
        // Photo.
        let (px0, py0) = at(62.0, 8.0);
        img.rect(px0 as u32, py0 as u32, px(20.0), px(26.0), [190, 200, 210]);
        let (hx, hy) = at(72.0, 16.0);
        img.disc(hx, hy, mm(5.0), [120, 130, 145]);
    }
}

/// A printed page (户口簿's page for the holder) across the scanned area.
fn draw_page(img: &mut Canvas, font_data: &[u8]) {
    let (x0, y0) = (px(3.0), px(3.0));
    let (w, h) = (px(AREA_MM.0 - 6.0), px(AREA_MM.1 - 6.0));
    img.rect(x0, y0, w, h, [246, 244, 238]);
    let Ok(font) = FontRef::try_from_slice_and_index(font_data, 0) else {
        return;
    };
    let mm = |v: f32| v / 25.4 * DPI;
    let ink = [50, 50, 60];
    let (lx, ty) = (x0 as f32 + mm(6.0), y0 as f32 + mm(5.0));
    img.text(&font, "常住人口登记卡", lx + mm(30.0), ty, mm(6.0), ink);
    let lines = [
        "户主或与户主关系  本人",
        "姓名  张伟        性别  男        民族  汉",
        "出生日期  1985年3月12日    籍贯  北京市东城区",
        "住址  北京市东城区景山前街4号",
        "公民身份号码  110101198503120017",
        "登记日期  2015年6月1日      承办人签章",
    ];
    for (i, line) in lines.iter().enumerate() {
        let y = ty + mm(14.0 + i as f32 * 9.0);
        img.text(&font, line, lx, y, mm(3.6), ink);
        img.rect(
            lx as u32,
            (y + mm(6.0)) as u32,
            px(100.0),
            2,
            [180, 180, 190],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_on_the_glass_is_found_at_true_size_both_sides() {
        let mut g = SimGlass::new(crate::assets::RECEIPT_FONT);
        for _ in 0..2 {
            let img = g.scan().unwrap();
            let card = scanner::crop::crop_card(&img, &scanner::crop::CropOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            let (w, h) = card.image.size_mm();
            assert!(
                (w - 85.6).abs() < 1.5 && (h - 54.0).abs() < 1.5,
                "{w} x {h}"
            );
        }
        *g.glass.lock().unwrap() = Glass::Empty;
        let img = g.scan().unwrap();
        assert_eq!(
            scanner::crop::crop_card(&img, &scanner::crop::CropOptions::default()).unwrap_err(),
            scanner::crop::CropError::NoCardFound
        );
        *g.glass.lock().unwrap() = Glass::LidOpen;
        assert_eq!(g.scan().unwrap_err(), ScanError::CoverOpen);
    }
}
