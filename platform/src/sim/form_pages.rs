//! The page images of the sample forms, drawn on demand: the form's title, its department,
//! a box for every field, and for the sample the boxes filled in blue "handwriting" with
//! made-up values and red notes (填写示例). 1240×1754 pixels (A4 at 150 dpi), PNG.
//!
//! Drawn with the hall's CJK font (WenQuanYi Micro Hei, built in) through ab_glyph, the
//! same way the virtual printer draws its receipts.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

use crate::api::sample_forms::{
    CardField, Department, FormField, PageKind, SampleForm, PAGE_HEIGHT, PAGE_WIDTH,
};

/// The font every page is drawn with.
static FONT: &[u8] = include_bytes!("../../../assets/fonts/wqy-microhei.ttc");

const BLACK: [u8; 3] = [0x10, 0x10, 0x10];
const GREY: [u8; 3] = [0xee, 0xee, 0xee];
const INK: [u8; 3] = [0x1a, 0x3f, 0xb0];
const RED: [u8; 3] = [0xc8, 0x10, 0x1e];
const MARGIN: u32 = 100;
const LINE_H: u32 = 84;
const LABEL_W: u32 = 300;

/// The made-up applicant of every sample (no real person).
fn sample_value(field: &FormField) -> &'static str {
    match field.card {
        Some(CardField::Name) => "张三",
        Some(CardField::Sex) => "男",
        Some(CardField::Nation) => "汉",
        Some(CardField::Birth) => "1980年1月1日",
        Some(CardField::Address) => "某某市某某区示例路1号",
        Some(CardField::IdNumber) => "110101198001010000（示例）",
        None => match field.label_zh.as_str() {
            "联系电话" => "138 0000 0000",
            "工作单位" => "某某有限公司",
            _ => "本人申请办理此事项，所填内容真实。",
        },
    }
}

/// The red note beside a sample's box.
fn sample_note(field: &FormField) -> &'static str {
    match field.card {
        Some(CardField::IdNumber) => "18位，与身份证一致",
        Some(CardField::Address) => "按身份证住址填写",
        Some(CardField::Birth) => "按证件填写",
        Some(_) => "与身份证一致",
        None => match field.label_zh.as_str() {
            "联系电话" => "本人手机号码",
            _ => "如实填写",
        },
    }
}

struct Canvas<'f> {
    w: u32,
    h: u32,
    rgb: Vec<u8>,
    font: FontRef<'f>,
}

impl Canvas<'_> {
    fn set(&mut self, x: i64, y: i64, c: [u8; 3], a: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.w) || y >= i64::from(self.h) {
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
                let i = ((yy * self.w + xx) * 3) as usize;
                self.rgb[i..i + 3].copy_from_slice(&c);
            }
        }
    }

    fn frame(&mut self, x: u32, y: u32, w: u32, h: u32, t: u32, c: [u8; 3]) {
        self.rect(x, y, w, t, c);
        self.rect(x, y + h - t, w, t, c);
        self.rect(x, y, t, h, c);
        self.rect(x + w - t, y, t, h, c);
    }

    /// Text with its top at `y`; `wobble` moves each character up or down a little, as a
    /// hand does. Returns the width drawn.
    fn text(&mut self, s: &str, x: f32, y: f32, size: f32, c: [u8; 3], wobble: bool) -> f32 {
        let font = self.font.clone();
        let scaled = font.as_scaled(PxScale::from(size));
        let mut caret = x;
        for (i, ch) in s.chars().enumerate() {
            let id = scaled.glyph_id(ch);
            let dy = if wobble {
                [0.0, -3.0, 2.0, -1.0, 3.0][i % 5]
            } else {
                0.0
            };
            let glyph = id.with_scale_and_position(size, point(caret, y + dy + scaled.ascent()));
            caret += scaled.h_advance(id) + if wobble { 2.0 } else { 0.0 };
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, cov| {
                    self.set(
                        b.min.x as i64 + i64::from(gx),
                        b.min.y as i64 + i64::from(gy),
                        c,
                        cov,
                    )
                });
            }
        }
        caret - x
    }

    fn width_of(&self, s: &str, size: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(size));
        s.chars()
            .map(|c| scaled.h_advance(scaled.glyph_id(c)))
            .sum()
    }

    fn centred(&mut self, s: &str, y: f32, size: f32, c: [u8; 3]) {
        let x = (self.w as f32 - self.width_of(s, size)) / 2.0;
        self.text(s, x, y, size, c, false);
        // Drawn twice a pixel apart: a bolder title without a bold face.
        self.text(s, x + 1.0, y, size, c, false);
    }
}

/// Page `page` (from 1) of `form` as a PNG; `None` past its last page.
pub(crate) fn render(
    form: &SampleForm,
    dept: &Department,
    kind: PageKind,
    page: u8,
) -> Option<Vec<u8>> {
    if page == 0 || page > form.pages {
        return None;
    }
    let font = FontRef::try_from_slice(FONT).ok()?;
    let (w, h) = (PAGE_WIDTH, PAGE_HEIGHT);
    let mut c = Canvas {
        w,
        h,
        rgb: vec![0xff; (w * h * 3) as usize],
        font,
    };
    let sample = kind == PageKind::Sample;
    let title = if page == 1 {
        form.name_zh.clone()
    } else {
        format!("{}（续页）", form.name_zh)
    };
    c.centred(&title, 110.0, 54.0, BLACK);
    c.text(
        &format!("受理部门：{}", dept.name_zh),
        MARGIN as f32,
        215.0,
        30.0,
        BLACK,
        false,
    );
    let count = format!("第{}页 共{}页", page, form.pages);
    let cw = c.width_of(&count, 30.0);
    c.text(&count, (w - MARGIN) as f32 - cw, 215.0, 30.0, BLACK, false);
    c.text(
        &format!("编号：{}", form.id),
        MARGIN as f32,
        1640.0,
        24.0,
        BLACK,
        false,
    );

    let width = w - 2 * MARGIN;
    let mut top = 280;
    if page == 1 {
        for field in &form.fields {
            let bh = LINE_H * u32::from(field.lines.max(1));
            c.rect(MARGIN, top, LABEL_W, bh, GREY);
            c.frame(MARGIN, top, width, bh, 3, BLACK);
            c.rect(MARGIN + LABEL_W, top, 3, bh, BLACK);
            c.text(
                &field.label_zh,
                (MARGIN + 20) as f32,
                (top + 22) as f32,
                34.0,
                BLACK,
                false,
            );
            if sample {
                c.text(
                    sample_value(field),
                    (MARGIN + LABEL_W + 24) as f32,
                    (top + 18) as f32,
                    38.0,
                    INK,
                    true,
                );
                let note = sample_note(field);
                let nw = c.width_of(note, 24.0);
                c.text(
                    note,
                    (MARGIN + width) as f32 - nw - 16.0,
                    (top + bh - 40) as f32,
                    24.0,
                    RED,
                    false,
                );
            }
            top += bh;
        }
    } else {
        let bh = 900;
        c.frame(MARGIN, top, width, bh, 3, BLACK);
        c.text(
            "其他需要说明的情况",
            (MARGIN + 20) as f32,
            (top + 20) as f32,
            34.0,
            BLACK,
            false,
        );
        if sample {
            c.text(
                "本人所填内容真实，如有不实愿承担责任。",
                (MARGIN + 30) as f32,
                (top + 100) as f32,
                38.0,
                INK,
                true,
            );
        }
        top += bh;
    }
    top += 60;
    c.text(
        "请按证件如实填写，本人签字。",
        MARGIN as f32,
        top as f32,
        28.0,
        BLACK,
        false,
    );
    top += 90;
    let sign_x = (w - MARGIN - 560) as f32;
    c.text("申请人签字：", sign_x, top as f32, 32.0, BLACK, false);
    let date_y = (top + 70) as f32;
    if sample {
        c.text("张三", sign_x + 200.0, (top - 4) as f32, 40.0, INK, true);
        // The date written into its gaps, the printed characters between.
        let mut x = sign_x + c.text("日期：", sign_x, date_y, 32.0, BLACK, false);
        for (value, unit) in [("2026", "年"), ("12", "月"), ("1", "日")] {
            x += 12.0 + c.text(value, x + 12.0, date_y - 4.0, 38.0, INK, true);
            x += 12.0 + c.text(unit, x + 12.0, date_y, 32.0, BLACK, false);
        }
        // The stamp that says what this is, under the signature.
        let (sx, sy, sw, sh) = (w - MARGIN - 300, top + 170, 300, 110);
        c.frame(sx, sy, sw, sh, 6, RED);
        c.text(
            "填写示例",
            (sx + 46) as f32,
            (sy + 24) as f32,
            52.0,
            RED,
            false,
        );
        c.text(
            "填写示例",
            (sx + 47) as f32,
            (sy + 24) as f32,
            52.0,
            RED,
            false,
        );
    } else {
        c.text(
            "日期：      年    月    日",
            sign_x,
            date_y,
            32.0,
            BLACK,
            false,
        );
    }
    encode(&c.rgb, w, h)
}

fn encode(rgb: &[u8], w: u32, h: u32) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // The pages are mostly white: fast deflate is small enough and keeps a debug
        // build's first view of a page quick.
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().ok()?;
        writer.write_image_data(rgb).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::store::sample_forms::generate;

    #[test]
    fn pages_are_a4_pngs_and_the_sample_differs_from_the_blank() {
        let lib = generate();
        let form = lib.forms.iter().find(|f| f.pages >= 2).unwrap();
        let dept = lib.department(&form.department).unwrap();
        let blank = render(form, dept, PageKind::Blank, 1).unwrap();
        let sample = render(form, dept, PageKind::Sample, 1).unwrap();
        assert_ne!(blank, sample);
        let decoder = png::Decoder::new(std::io::Cursor::new(&sample));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (1240, 1754));
        assert!(render(form, dept, PageKind::Blank, 2).is_some());
        assert!(render(form, dept, PageKind::Blank, form.pages + 1).is_none());
        assert!(render(form, dept, PageKind::Blank, 0).is_none());
        if let Some(dir) = std::env::var_os("FORM_PAGES_OUT") {
            let dir = std::path::Path::new(&dir);
            std::fs::write(dir.join("sample-1.png"), &sample).unwrap();
            std::fs::write(dir.join("blank-1.png"), &blank).unwrap();
            let p2 = render(form, dept, PageKind::Sample, 2).unwrap();
            std::fs::write(dir.join("sample-2.png"), p2).unwrap();
        }
    }
}
