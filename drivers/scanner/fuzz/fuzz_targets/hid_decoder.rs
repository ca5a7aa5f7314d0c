//! Any key event sequence (3 bytes per event: code, value): the decoder must return, never
//! panic; accepted scans are non-empty, within the limit and printable ASCII.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanner::hid::HidDecoder;
use scanner::line::LineConfig;

const MAX_LEN: usize = 64;

fuzz_target!(|data: &[u8]| {
    let mut decoder = HidDecoder::new(LineConfig {
        max_len: MAX_LEN,
        ..LineConfig::default()
    });
    for event in data.chunks_exact(3) {
        // Codes 0..=255 cover the keyboard; values -1..=3 cover press, release, repeat, junk.
        let code = u16::from(event[0]) | (u16::from(event[1] & 1) << 8);
        let value = i32::from(event[2] % 5) - 1;
        if let Some(Ok(scan)) = decoder.feed(code, value) {
            assert!(!scan.text.is_empty() && scan.text.len() <= MAX_LEN);
            assert!(scan.text.bytes().all(|b| (b' '..=b'~').contains(&b)));
        }
        if event[1] == 0xFF {
            let _ = decoder.abandon_partial();
            assert!(!decoder.has_partial());
        }
    }
});
