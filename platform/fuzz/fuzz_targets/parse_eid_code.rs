//! Any scan: the e-ID parser must return, never panic; a token it accepts must be in shape
//! and come back as itself when wrapped again; and the classifier must agree with it.
#![no_main]

use kiosk_platform::codes::{classify, parse_eid_code, CodeRules, ScannedCode, EID_PREFIX};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let rules = CodeRules {
        verify_base: "https://zwfw.example.gov.cn/verify".to_owned(),
        verify_key: b"fuzz key".to_vec(),
        follow_base: "https://zwfw.example.gov.cn".to_owned(),
    };
    for scan in [text.to_string(), format!("{EID_PREFIX}{text}")] {
        if let Some(token) = parse_eid_code(&scan) {
            assert!((16..=64).contains(&token.len()));
            assert_eq!(parse_eid_code(&format!("{EID_PREFIX}{token}")), Some(token.clone()));
            assert_eq!(classify(&scan, &rules), ScannedCode::ElectronicId { token });
        }
    }
});
