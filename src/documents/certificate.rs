//! A4 certificates: the social-insurance contribution proof, the no-housing-property proof and
//! the household-register proof (the kinds the kiosk has a layout for: [`CertificateKind::ALL`]).
//!
//! Each page carries the citizen's name (in full: the certificate is about them), the ID number
//! masked (first 6 and last 4), the platform's data, the issue date, the hall's name, the case
//! number, and a verification QR code whose URL carries the case number and a signature
//! ([`super::verification`]).

use chrono::NaiveDate;

use super::pdf::{text_width_mm, wrap, A4Page, MARGIN, PAGE_W};
use super::DocumentError;

/// Which certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateKind {
    /// 社会保险参保缴费证明.
    SocialInsuranceContribution,
    /// 无房产证明 (no housing property registered).
    NoHousingProperty,
    /// 户籍证明 (the household register's entry and its members).
    HouseholdRegister,
}

impl CertificateKind {
    /// The title printed on the page.
    pub fn title(self) -> &'static str {
        match self {
            CertificateKind::SocialInsuranceContribution => "社会保险参保缴费证明",
            CertificateKind::NoHousingProperty => "无房产证明",
            CertificateKind::HouseholdRegister => "户籍证明",
        }
    }

    /// Every kind the kiosk can lay out: the kiosk offers the catalog's kinds that are here.
    pub const ALL: [CertificateKind; 3] = [
        CertificateKind::SocialInsuranceContribution,
        CertificateKind::NoHousingProperty,
        CertificateKind::HouseholdRegister,
    ];

    /// The platform's code of the kind (`kiosk_platform::api::certificate::KIND_…`).
    pub fn code(self) -> &'static str {
        use kiosk_platform::api::certificate as api;
        match self {
            CertificateKind::SocialInsuranceContribution => api::KIND_SOCIAL_INSURANCE,
            CertificateKind::NoHousingProperty => api::KIND_NO_HOUSING,
            CertificateKind::HouseholdRegister => api::KIND_HOUSEHOLD_REGISTER,
        }
    }

    /// The kind with this platform code, when the kiosk has a layout for it.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Everything printed on a certificate.
#[derive(Clone, PartialEq)]
pub struct Certificate {
    /// Which certificate.
    pub kind: CertificateKind,
    /// The citizen's name.
    pub name: String,
    /// ID number, masked (`110101********0015`).
    pub masked_id: String,
    /// Paragraphs of the body, from the platform.
    pub body: Vec<String>,
    /// A table from the platform (first row is the header); empty for none.
    pub table: Vec<Vec<String>>,
    /// Issue date (hall time).
    pub issued_on: NaiveDate,
    /// The hall's name.
    pub hall_name: String,
    /// The issuing department, printed above the date.
    pub issuer: String,
    /// Case number.
    pub case_number: String,
    /// Signed verification URL ([`super::verification::verification_url`]).
    pub verify_url: String,
}

impl std::fmt::Debug for Certificate {
    // Name and data are personal, and a case number ties a log line to a person: keep them
    // out of any log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("kind", &self.kind)
            .field("issued_on", &self.issued_on)
            .finish_non_exhaustive()
    }
}

const BODY_PT: f32 = 12.0;
const LINE_MM: f32 = 7.5;

/// Lays the certificate out as a one-page A4 PDF with `font` embedded as a subset.
pub fn render(c: &Certificate, font: &[u8]) -> Result<Vec<u8>, DocumentError> {
    let p = A4Page::new(c.kind.title(), font)?;
    let width = PAGE_W - 2.0 * MARGIN;

    p.fill(0.0, 0.0, 0.0);
    p.text_centered(&c.hall_name, 11.0, 22.0);
    p.text_centered(c.kind.title(), 22.0, 38.0);
    p.line(MARGIN, 44.0, PAGE_W - MARGIN, 44.0, 1.0);
    p.text(&format!("案件编号: {}", c.case_number), 10.0, MARGIN, 51.0);
    p.text(
        &format!("开具日期: {}", c.issued_on.format("%Y年%m月%d日")),
        10.0,
        PAGE_W - MARGIN - 48.0,
        51.0,
    );

    let mut top = 66.0;
    p.text(&format!("姓名: {}", c.name), BODY_PT, MARGIN, top);
    p.text(
        &format!("公民身份号码: {}", c.masked_id),
        BODY_PT,
        MARGIN + 60.0,
        top,
    );
    top += LINE_MM * 1.6;

    for para in &c.body {
        // Two-character indent, as Chinese official documents do.
        for line in wrap(&format!("\u{3000}\u{3000}{para}"), BODY_PT, width) {
            p.text(&line, BODY_PT, MARGIN, top);
            top += LINE_MM;
        }
        top += LINE_MM * 0.4;
    }

    if let Some(header) = c.table.first() {
        top += 2.0;
        let cols = header.len().max(1);
        // Columns as wide as their widest cell (plus padding), scaled to the text width.
        let mut widths = vec![0.0f32; cols];
        for row in &c.table {
            for (j, cell) in row.iter().take(cols).enumerate() {
                widths[j] = widths[j].max(text_width_mm(cell, 10.5) + 4.0);
            }
        }
        let total: f32 = widths.iter().sum();
        let widths: Vec<f32> = widths.iter().map(|w| w * width / total.max(1.0)).collect();
        let row_h = 8.0;
        for (i, row) in c.table.iter().enumerate() {
            if i == 0 {
                p.fill(0.92, 0.92, 0.92);
                p.fill_rect(MARGIN, top, width, row_h);
                p.fill(0.0, 0.0, 0.0);
            }
            p.frame(MARGIN, top, width, row_h, 0.5);
            let mut x = MARGIN;
            for (j, cell) in row.iter().take(cols).enumerate() {
                if j > 0 {
                    x += widths[j - 1];
                }
                if j > 0 {
                    p.line(x, top, x, top + row_h, 0.5);
                }
                p.text(cell, 10.5, x + 2.0, top + 5.6);
            }
            top += row_h;
        }
    }

    // Issuer and date bottom right, QR bottom left: the same place on every certificate, so
    // a clerk checking one knows where to look.
    let foot = 232.0;
    p.text(&c.issuer, BODY_PT, PAGE_W - MARGIN - 70.0, foot + 6.0);
    p.text(
        &c.issued_on.format("%Y年%m月%d日").to_string(),
        BODY_PT,
        PAGE_W - MARGIN - 70.0,
        foot + 14.0,
    );
    p.qr(&c.verify_url, MARGIN - 3.0, foot - 8.0, 40.0)?;
    p.text("扫码核验真伪", 9.0, MARGIN + 1.0, foot + 34.0);
    p.text(
        &format!("核验编号 {}", c.case_number),
        9.0,
        MARGIN + 1.0,
        foot + 39.0,
    );

    p.line(MARGIN, 283.0, PAGE_W - MARGIN, 283.0, 0.5);
    p.text(
        &format!(
            "本证明由{}自助终端打印，扫描二维码或登录政务服务网输入案件编号核验。",
            c.hall_name
        ),
        8.5,
        MARGIN,
        289.0,
    );
    deflate(p.finish()?)
}

/// printpdf 0.7 leaves the page's content (text runs and the QR code's rectangles) and the
/// font subset uncompressed: 64 KB for a ten-row table. One lopdf pass deflates them to about
/// half, within the 60 KB a certificate may take.
fn deflate(bytes: Vec<u8>) -> Result<Vec<u8>, DocumentError> {
    let pdf_err = |e: &dyn std::fmt::Display| DocumentError::Pdf(e.to_string());
    let mut doc = printpdf::lopdf::Document::load_mem(&bytes).map_err(|e| pdf_err(&e))?;
    doc.compress();
    let mut out = Vec::with_capacity(bytes.len() / 2);
    doc.save_to(&mut out).map_err(|e| pdf_err(&e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::samples;

    #[test]
    fn every_kind_renders_a_small_pdf() {
        for kind in CertificateKind::ALL {
            let pdf = render(&samples::certificate(kind), crate::assets::A4_FONT).unwrap();
            assert!(pdf.starts_with(b"%PDF-"));
            assert!(pdf.len() < 60 * 1024, "{} bytes", pdf.len());
        }
    }

    #[test]
    fn codes_go_both_ways_and_unknown_codes_have_no_layout() {
        for kind in CertificateKind::ALL {
            assert_eq!(CertificateKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(CertificateKind::from_code("marriage_record"), None);
    }

    #[test]
    fn debug_hides_personal_data() {
        let c = samples::certificate(CertificateKind::NoHousingProperty);
        let d = format!("{c:?}");
        assert!(!d.contains(&c.name) && !d.contains(&c.masked_id) && !d.contains(&c.case_number));
    }
}
