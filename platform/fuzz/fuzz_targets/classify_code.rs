//! Any scan: classification must return, never panic; what it calls a case number must parse
//! again to itself; a receipt must verify; and any case number it accepts, signed, must come
//! back as a receipt.
#![no_main]

use chrono::NaiveDate;
use kiosk_platform::codes::{
    classify, parse_case_number, verification_url, verify_url, CodeRules, ScannedCode,
};
use libfuzzer_sys::fuzz_target;

const BASE: &str = "https://zwfw.example.gov.cn/verify";
const KEY: &[u8] = b"fuzz key";

fuzz_target!(|data: &[u8]| {
    let rules = CodeRules {
        verify_base: BASE.to_owned(),
        verify_key: KEY.to_vec(),
        follow_base: "https://zwfw.example.gov.cn".to_owned(),
    };
    let text = String::from_utf8_lossy(data);
    // The scan as is, and as a query on our own verification page.
    for scan in [text.to_string(), format!("{BASE}?{text}")] {
        match classify(&scan, &rules) {
            ScannedCode::CaseNumber(case) => {
                assert_eq!(parse_case_number(&case).as_deref(), Some(case.as_str()));
            }
            ScannedCode::Receipt { case_number } => {
                assert_eq!(verify_url(scan.trim(), KEY), Some(case_number));
            }
            ScannedCode::QueueTicket { ticket_id } => assert_eq!(ticket_id.len(), 36),
            ScannedCode::ElectronicId { token } => {
                assert_eq!(kiosk_platform::codes::parse_eid_code(&scan), Some(token));
            }
            ScannedCode::ForgedReceipt | ScannedCode::Appointment { .. } | ScannedCode::Other => {}
        }
    }
    if let Some(case) = parse_case_number(&text) {
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
        let url = verification_url(BASE, &case, day, KEY);
        assert_eq!(
            classify(&url, &rules),
            ScannedCode::Receipt { case_number: case }
        );
    }
});
