//! Documents and receipts: layouts only (bytes out, no I/O).
//!
//! - [`queue_ticket`]: the queue ticket as ESC/POS bytes (80 mm receipt printer).
//! - [`appointment_slip`]: the appointment slip, likewise.
//! - [`certificate`]: A4 certificates (social-insurance contribution proof, no-housing-property
//!   proof, household-register proof) with a signed verification QR code ([`verification`]).
//! - [`certificate_slip`]: the receipt slip with a printed certificate's case number (ESC/POS).
//! - [`fine_receipt`]: the receipt of a paid traffic fine (ESC/POS), serial and amount large.
//! - [`form`]: A4 forms, blank or pre-filled from the ID card.
//! - [`sample_form`]: a sample form's page images (blank or filled-in sample), one per A4 page.
//! - [`medical_statement`]: the medical-insurance statement (医保个人账户对账单), one A4 page
//!   with the monthly spending as a vector bar chart.
//! - [`id_copy`]: the ID-card copy page, both sides at true size with a "仅供…使用" overlay.
//! - [`personal_document`]: a citizen's electronic licence or earlier certificate, from its
//!   data, per-kind template or generic table, with a tiled "仅供…使用" overlay.
//! - [`pdf`]: the A4 drawing layer over printpdf (embedded CJK font subset).
//! - [`preview`]: the PDF that prints, rasterised for the screen (the one module here that
//!   does I/O: it runs poppler's `pdftoppm`; call it off the UI thread).
//! - [`samples`]: sample data for `kiosk doc render`, the tests and the benches.

pub mod apply_receipt;
pub mod appointment_slip;
pub mod certificate;
pub mod certificate_slip;
pub mod fine_receipt;
pub mod form;
pub mod id_copy;
pub mod medical_statement;
pub mod pdf;
pub mod personal_document;
pub mod preview;
pub mod queue_ticket;
pub mod sample_form;
pub mod samples;
pub mod verification;

/// Why a document could not be laid out. None of these carries personal data.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The font could not be parsed or embedded.
    #[error("font: {0}")]
    Font(String),
    /// printpdf could not write the document.
    #[error("PDF: {0}")]
    Pdf(String),
    /// The QR payload does not fit a QR code.
    #[error("QR code: {0}")]
    Qr(String),
    /// An input image is not usable.
    #[error("image: {0}")]
    Image(String),
}

#[cfg(test)]
mod tests {
    use printer::virtual_printer::{parse_all, Element, PAPER_WIDTH};

    use super::samples;
    use super::{apply_receipt, appointment_slip, certificate_slip, fine_receipt, queue_ticket};

    /// Every receipt the kiosk prints, in each of its forms, from the samples.
    fn receipts() -> Vec<(&'static str, Vec<u8>)> {
        let booked = queue_ticket::Booked {
            slot: "09:30-10:00".into(),
            matter_zh: "社保卡补办".into(),
            matter_en: "Replace a social security card".into(),
        };
        let mut by_post = samples::acceptance_receipt(Some("LR-20261201-000101"));
        by_post.delivery = kiosk_platform::api::apply::Delivery::Post;
        by_post.post_to = Some("北京市朝阳区****".into());
        let mut reprint = samples::fine_receipt();
        reprint.reprint = true;
        vec![
            ("queue ticket", queue_ticket::render(&samples::ticket())),
            (
                "priority ticket",
                queue_ticket::render_appointment(&samples::ticket(), &booked),
            ),
            (
                "appointment slip",
                appointment_slip::render(&samples::appointment_slip(true)),
            ),
            (
                "pending appointment slip",
                appointment_slip::render(&samples::appointment_slip(false)),
            ),
            (
                "acceptance receipt",
                apply_receipt::render(&samples::acceptance_receipt(Some("LR-20261201-000101"))),
            ),
            (
                "offline acceptance receipt",
                apply_receipt::render(&samples::acceptance_receipt(None)),
            ),
            (
                "acceptance receipt by post",
                apply_receipt::render(&by_post),
            ),
            (
                "certificate slip",
                certificate_slip::render(&samples::certificate_slip()),
            ),
            (
                "fine receipt",
                fine_receipt::render(&samples::fine_receipt()),
            ),
            ("reprinted fine receipt", fine_receipt::render(&reprint)),
        ]
    }

    fn chinese(line: &str) -> bool {
        line.chars().any(|c| {
            ('\u{3400}'..='\u{9fff}').contains(&c) || ('\u{20000}'..='\u{2ffff}').contains(&c)
        })
    }

    /// A word of two or more Latin letters (`ID` counts, `A012` does not).
    fn english(line: &str) -> bool {
        line.split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w.len() >= 2)
    }

    /// One printed receipt's text lines with their width multipliers.
    fn lines(bytes: &[u8]) -> Vec<(String, u8)> {
        let receipts = parse_all(bytes);
        assert_eq!(receipts.len(), 1, "one receipt, cut once");
        receipts[0]
            .elements
            .iter()
            .filter_map(|e| match e {
                Element::Text {
                    text, width_mult, ..
                } if !text.trim().is_empty() => Some((text.trim().to_owned(), *width_mult)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_line_of_every_receipt_is_in_chinese_and_in_english() {
        for (name, bytes) in receipts() {
            let lines = lines(&bytes);
            for (i, (line, _)) in lines.iter().enumerate() {
                if chinese(line) && !english(line) {
                    let next = lines.get(i + 1).map(|(l, _)| l.as_str()).unwrap_or("");
                    assert!(
                        english(next) && !chinese(next),
                        "{name}: {line:?} has no English on it or under it (next: {next:?})"
                    );
                }
            }
        }
    }

    #[test]
    fn no_line_of_a_sample_receipt_wraps_at_the_paper_edge() {
        for (name, bytes) in receipts() {
            for (line, width) in lines(&bytes) {
                let dots: u32 = line
                    .chars()
                    .map(|c| if c.is_ascii() { 12 } else { 24 })
                    .sum::<u32>()
                    * u32::from(width);
                assert!(dots <= PAPER_WIDTH, "{name}: {line:?} is {dots} dots wide");
            }
        }
    }
}
