//! The receipt slip that goes with a printed certificate, as ESC/POS bytes for an 80 mm
//! receipt printer: which certificate, its case number (to verify it or ask for it again at a
//! counter) and the masked ID. No name and none of the certificate's data: the slip is the
//! part a citizen may leave behind.

use chrono::NaiveDate;
use printer::escpos::{Align, EscPosBuilder};

/// Everything printed on the slip. Personal data arrives already masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSlip {
    /// Hall name, Chinese.
    pub hall_name: String,
    /// Hall name, English (empty when the catalog does not say).
    pub hall_name_en: String,
    /// The certificate's name, Chinese (`个人参保证明`).
    pub kind_zh: String,
    /// The same in English.
    pub kind_en: String,
    /// Case number of the issue.
    pub case_number: String,
    /// Issue date.
    pub issued_on: NaiveDate,
    /// ID number, first 6 and last 4 shown.
    pub masked_id: String,
}

/// Lays the slip out: hall, kind, case number large, date, masked ID, what to do with it;
/// every line in Chinese and in English.
pub fn render(s: &CertificateSlip) -> Vec<u8> {
    let mut b = EscPosBuilder::new()
        .init()
        .align(Align::Center)
        .bold(true)
        .line(&s.hall_name)
        .bold(false);
    if !s.hall_name_en.is_empty() {
        b = b.line(&s.hall_name_en);
    }
    b.line("证明打印回执 Certificate receipt")
        .feed(1)
        .size(2, 2)
        .line(&s.kind_zh)
        .size(1, 1)
        .line(&s.kind_en)
        .feed(1)
        .line("案件编号 Case number")
        .bold(true)
        .size(2, 2)
        .line(&s.case_number)
        .size(1, 1)
        .bold(false)
        .feed(1)
        .align(Align::Left)
        .line(&format!(
            "开具日期 Issued: {}",
            s.issued_on.format("%Y-%m-%d")
        ))
        .line(&format!("身份证号 ID: {}", s.masked_id))
        .feed(1)
        .line("证明已打印在A4纸上，请取走。")
        .line("Take the A4 certificate with you.")
        .line("扫描证明上的二维码可核验真伪。")
        .line("Scan its QR code to check it is genuine.")
        .feed(3)
        .cut(true)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(hay: &[u8], text: &str) -> bool {
        let (needle, _, _) = encoding_rs::GB18030.encode(text);
        hay.windows(needle.len()).any(|w| w == &*needle)
    }

    #[test]
    fn the_slip_names_the_certificate_and_its_case() {
        let bytes = render(&crate::documents::samples::certificate_slip());
        for text in [
            "个人参保证明",
            "SB-20261124-000501",
            "2026-11-24",
            "110101********0017",
        ] {
            assert!(has(&bytes, text), "{text}");
        }
    }
}
