//! A personal document (电子证照 or an earlier certificate) drawn as an A4 page from its
//! structured data, with a "仅供…使用" overlay repeated diagonally across the whole page so
//! that no part of it can be cut out clean and used for another matter.
//!
//! Each kind the kiosk knows has a [`Template`]: the fields it puts first in the licence's
//! frame, in its order, and its colour. Any other kind is drawn with the generic layout: a
//! table of the platform's own labels and values, so a new kind is never a blank page.
//! The holder's ID number arrives here masked (first 6 and last 4); this module never sees
//! the full number.

use chrono::NaiveDate;

use super::pdf::{text_width_mm, wrap, A4Page, MARGIN, PAGE_H, PAGE_W};
use super::DocumentError;

/// One labelled value of the document.
#[derive(Clone, PartialEq, Eq)]
pub struct Field {
    /// The platform's key (`vehicle_class`): what a template looks for.
    pub key: String,
    /// Label as printed (Chinese).
    pub label: String,
    /// Value as printed (already masked where it is the holder's ID number).
    pub value: String,
}

/// Everything printed on the page.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalDocument {
    /// The platform's kind (`driving_licence`); picks the template.
    pub kind: String,
    /// A certificate issued earlier (body and table) rather than a licence.
    pub certificate: bool,
    /// Title (`机动车驾驶证`).
    pub title: String,
    /// Issuing authority.
    pub issuer: String,
    /// The document's number (masked when it is the holder's ID number).
    pub number: String,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// First day of validity.
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity (`None`: no end).
    pub valid_until: Option<NaiveDate>,
    /// The holder's name (in full: the document is about them).
    pub holder_name: String,
    /// The holder's ID number, masked.
    pub masked_id: String,
    /// Kind-specific fields, in the document's order.
    pub fields: Vec<Field>,
    /// A certificate's paragraphs.
    pub body: Vec<String>,
    /// A certificate's table (first row the header).
    pub table: Vec<Vec<String>>,
    /// The hall whose kiosk printed it.
    pub hall_name: String,
    /// The day it was printed (hall time).
    pub printed_on: NaiveDate,
}

impl std::fmt::Debug for PersonalDocument {
    // Name, numbers and values are personal: logs get the kind only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalDocument")
            .field("kind", &self.kind)
            .field("fields", &self.fields.len())
            .finish_non_exhaustive()
    }
}

/// How the kiosk draws a kind it knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Template {
    /// The platform's kind.
    pub kind: &'static str,
    /// Fields put first in the frame, in this order (the rest follow as they come).
    pub lead: &'static [&'static str],
    /// Frame and title colour (RGB 0..=1), as the paper licence's.
    pub colour: (f32, f32, f32),
}

/// The kinds with a template of their own.
pub const TEMPLATES: &[Template] = &[
    Template {
        kind: "driving_licence",
        lead: &[
            "sex",
            "nationality",
            "address",
            "vehicle_class",
            "first_issued",
            "file_number",
        ],
        colour: (0.13, 0.33, 0.55),
    },
    Template {
        kind: "residence_permit",
        lead: &["sex", "address", "domicile", "endorsement"],
        colour: (0.16, 0.42, 0.30),
    },
    Template {
        kind: "marriage_certificate",
        lead: &[
            "holder_role",
            "registered_on",
            "spouse_name",
            "spouse_nationality",
        ],
        colour: (0.66, 0.10, 0.12),
    },
    Template {
        kind: "real_estate_title",
        lead: &[
            "co_ownership",
            "location",
            "unit_number",
            "right_type",
            "use",
            "area",
            "term",
        ],
        colour: (0.45, 0.28, 0.10),
    },
    Template {
        kind: "degree_certificate",
        lead: &["sex", "birth", "degree", "major"],
        colour: (0.35, 0.15, 0.45),
    },
    Template {
        kind: "social_insurance_proof",
        lead: &["insured_since"],
        colour: (0.0, 0.0, 0.0),
    },
];

/// The template for `kind`, if the kiosk has one.
pub fn template(kind: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.kind == kind)
}

/// The overlay's words for a purpose: `仅供办理银行业务使用`.
pub fn overlay_text(purpose: &str) -> String {
    format!("仅供{}使用", purpose.trim())
}

const BODY_PT: f32 = 13.0;
const LINE_MM: f32 = 8.5;

fn date(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// The validity as printed: `2026年03月02日至2036年03月02日`, `长期`, or `None` when the
/// document says nothing of it.
fn validity(d: &PersonalDocument) -> Option<String> {
    match (d.valid_from, d.valid_until) {
        (Some(from), Some(to)) => Some(format!("{}至{}", date(from), date(to))),
        (Some(from), None) => Some(format!("{}起长期有效", date(from))),
        (None, Some(to)) => Some(format!("至{}", date(to))),
        (None, None) => None,
    }
}

/// The rows of the licence, in the template's order (or the document's, for the generic
/// layout): holder first, then the fields, then number, issuer and dates.
fn rows(d: &PersonalDocument, t: Option<&Template>) -> Vec<(String, String)> {
    let mut rows = vec![
        ("姓名".to_owned(), d.holder_name.clone()),
        ("公民身份号码".to_owned(), d.masked_id.clone()),
    ];
    let mut fields: Vec<&Field> = d.fields.iter().collect();
    if let Some(t) = t {
        fields.sort_by_key(|f| {
            t.lead
                .iter()
                .position(|k| *k == f.key)
                .unwrap_or(usize::MAX)
        });
    }
    rows.extend(
        fields
            .into_iter()
            .map(|f| (f.label.clone(), f.value.clone())),
    );
    rows.push(("证照编号".to_owned(), d.number.clone()));
    rows.push(("发证机关".to_owned(), d.issuer.clone()));
    rows.push(("发证日期".to_owned(), date(d.issued_on)));
    if let Some(v) = validity(d) {
        rows.push(("有效期限".to_owned(), v));
    }
    rows
}

/// The overlay, tiled over the whole page on a diagonal grid (each row shifted by half a
/// step), light enough to read the document through.
fn overlay(p: &A4Page, text: &str) {
    let size = 15.0;
    let step_x = text_width_mm(text, size) * 0.95 + 18.0;
    let step_y = 34.0;
    p.fill(0.80, 0.80, 0.80);
    let mut row = 0;
    let mut y = 10.0;
    while y < PAGE_H + 10.0 {
        let shift = if row % 2 == 0 { 0.0 } else { step_x / 2.0 };
        let mut x = -step_x / 2.0 + shift;
        while x < PAGE_W + step_x {
            p.text_rotated(text, size, x, y, 30.0);
            x += step_x;
        }
        y += step_y;
        row += 1;
    }
    p.fill(0.0, 0.0, 0.0);
}

/// Lays the document out as a one-page A4 PDF, with the overlay for `purpose` when one is
/// given (the preview before a purpose is chosen has none; the kiosk never prints without).
pub fn render(
    d: &PersonalDocument,
    purpose: Option<&str>,
    font: &[u8],
) -> Result<Vec<u8>, DocumentError> {
    let p = A4Page::new(&d.title, font)?;
    // Under the content, so the content stays legible; it covers the whole page all the same.
    if let Some(purpose) = purpose {
        overlay(&p, &overlay_text(purpose));
    }
    let t = template(&d.kind);
    let (r, g, b) = t.map_or((0.0, 0.0, 0.0), |t| t.colour);
    let width = PAGE_W - 2.0 * MARGIN;

    p.fill(0.0, 0.0, 0.0);
    p.text_centered(
        if d.certificate {
            "证明材料打印件"
        } else {
            "电子证照打印件"
        },
        10.5,
        18.0,
    );
    p.fill(r, g, b);
    p.text_centered(&d.title, 24.0, 36.0);
    p.fill(0.0, 0.0, 0.0);
    p.line(MARGIN, 43.0, PAGE_W - MARGIN, 43.0, 1.0);

    let mut top = 56.0;
    if d.certificate {
        p.text(&format!("编号: {}", d.number), 10.0, MARGIN, 50.0);
        top = 62.0;
        p.text(&format!("姓名: {}", d.holder_name), BODY_PT, MARGIN, top);
        p.text(
            &format!("公民身份号码: {}", d.masked_id),
            BODY_PT,
            MARGIN + 60.0,
            top,
        );
        top += LINE_MM * 1.5;
        for para in &d.body {
            for line in wrap(&format!("\u{3000}\u{3000}{para}"), BODY_PT, width) {
                p.text(&line, BODY_PT, MARGIN, top);
                top += LINE_MM;
            }
        }
        top += 2.0;
        top = table(&p, &d.table, top, width);
        for f in &d.fields {
            top += LINE_MM;
            p.text(&format!("{}: {}", f.label, f.value), BODY_PT, MARGIN, top);
        }
        p.text(&d.issuer, BODY_PT, PAGE_W - MARGIN - 75.0, top + 24.0);
        p.text(
            &date(d.issued_on),
            BODY_PT,
            PAGE_W - MARGIN - 75.0,
            top + 32.0,
        );
    } else {
        // The licence's frame: label column, value column, the template's colour.
        let label_w = 38.0;
        let rows = rows(d, t);
        let mut lines: Vec<(String, Vec<String>)> = Vec::new();
        for (label, value) in rows {
            lines.push((label, wrap(&value, BODY_PT, width - label_w - 8.0)));
        }
        let height: f32 = lines
            .iter()
            .map(|(_, v)| v.len().max(1) as f32 * LINE_MM + 3.0)
            .sum();
        let frame_top = top - 6.0;
        colour_frame(
            &p,
            MARGIN - 4.0,
            frame_top,
            width + 8.0,
            height + 8.0,
            (r, g, b),
        );
        for (label, values) in &lines {
            p.fill(r * 0.8, g * 0.8, b * 0.8);
            p.text(label, BODY_PT, MARGIN + 2.0, top);
            p.fill(0.0, 0.0, 0.0);
            for v in values {
                p.text(v, BODY_PT, MARGIN + label_w, top);
                top += LINE_MM;
            }
            top += 3.0;
        }
        if t.is_none() {
            p.text(
                "（本证照按通用格式打印，内容以发证机关数据为准）",
                9.0,
                MARGIN,
                frame_top + height + 16.0,
            );
        }
    }

    p.line(MARGIN, 276.0, PAGE_W - MARGIN, 276.0, 0.5);
    p.text(
        &format!(
            "本件由{}自助终端于{}打印，数据来自政务服务平台证照库。",
            d.hall_name,
            date(d.printed_on)
        ),
        8.5,
        MARGIN,
        282.0,
    );
    if let Some(purpose) = purpose {
        p.text(
            &format!("{}，复印或另作他用无效。", overlay_text(purpose)),
            8.5,
            MARGIN,
            288.0,
        );
    }
    p.finish()
}

/// A frame in the template's colour: four thin bars (the drawing layer's outlines are black).
fn colour_frame(p: &A4Page, x: f32, top: f32, w: f32, h: f32, (r, g, b): (f32, f32, f32)) {
    let t = 0.8;
    p.fill(r, g, b);
    p.fill_rect(x, top, w, t);
    p.fill_rect(x, top + h - t, w, t);
    p.fill_rect(x, top, t, h);
    p.fill_rect(x + w - t, top, t, h);
    p.fill(0.0, 0.0, 0.0);
}

/// A plain table (first row the header, shaded by its frame only: no filled box hides the
/// overlay); returns the top below it.
fn table(p: &A4Page, table: &[Vec<String>], mut top: f32, width: f32) -> f32 {
    let Some(header) = table.first() else {
        return top;
    };
    let cols = header.len().max(1);
    let mut widths = vec![0.0f32; cols];
    for row in table {
        for (j, cell) in row.iter().take(cols).enumerate() {
            widths[j] = widths[j].max(text_width_mm(cell, 10.5) + 4.0);
        }
    }
    let total: f32 = widths.iter().sum();
    let widths: Vec<f32> = widths.iter().map(|w| w * width / total.max(1.0)).collect();
    let row_h = 8.0;
    for (i, row) in table.iter().enumerate() {
        p.frame(MARGIN, top, width, row_h, if i == 0 { 1.0 } else { 0.5 });
        let mut x = MARGIN;
        for (j, cell) in row.iter().take(cols).enumerate() {
            if j > 0 {
                x += widths[j - 1];
                p.line(x, top, x, top + row_h, 0.5);
            }
            p.text(cell, 10.5, x + 2.0, top + 5.6);
        }
        top += row_h;
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(kind: &str) -> PersonalDocument {
        PersonalDocument {
            kind: kind.into(),
            certificate: false,
            title: "机动车驾驶证".into(),
            issuer: "示范市公安局交通警察支队".into(),
            number: "110101********0017".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            valid_from: NaiveDate::from_ymd_opt(2026, 3, 2),
            valid_until: NaiveDate::from_ymd_opt(2036, 3, 2),
            holder_name: "张伟".into(),
            masked_id: "110101********0017".into(),
            fields: vec![
                Field {
                    key: "address".into(),
                    label: "住址".into(),
                    value: "北京市东城区景山前街4号".into(),
                },
                Field {
                    key: "sex".into(),
                    label: "性别".into(),
                    value: "男".into(),
                },
            ],
            body: vec![],
            table: vec![],
            hall_name: "示范市政务服务中心".into(),
            printed_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        }
    }

    #[test]
    fn a_template_puts_its_fields_first_and_an_unknown_kind_keeps_every_field() {
        let d = sample("driving_licence");
        let r = rows(&d, template(&d.kind));
        assert_eq!(r[2].0, "性别");
        let g = rows(&d, template("no_such_kind"));
        assert_eq!(g[2].0, "住址");
        assert_eq!(g.len(), r.len());
        for kind in ["driving_licence", "no_such_kind"] {
            let pdf = render(&sample(kind), Some("办理银行业务"), crate::assets::A4_FONT).unwrap();
            assert!(
                pdf.starts_with(b"%PDF-") && pdf.len() < 200 * 1024,
                "{}",
                pdf.len()
            );
        }
    }

    #[test]
    fn debug_hides_the_holder() {
        let d = format!("{:?}", sample("driving_licence"));
        assert!(
            !d.contains("张伟") && !d.contains("0017") && !d.contains("东城"),
            "{d}"
        );
    }
}
