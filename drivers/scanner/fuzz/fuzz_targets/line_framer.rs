//! Any bytes from the port, cut into reads anywhere: the framer must return, never panic; the
//! cuts must not change the result; accepted scans are non-empty, within the limit and hold no
//! line end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanner::line::{Encoding, LineConfig, LineFramer};

fuzz_target!(|data: &[u8]| {
    let Some((&control, bytes)) = data.split_first() else {
        return;
    };
    let config = LineConfig {
        prefix: (control & 1 != 0).then(|| "]Q1".to_owned()),
        suffix: (control & 2 != 0).then(|| "\u{3}".to_owned()),
        max_len: 1 + usize::from(control >> 3) * 4,
        encoding: if control & 4 != 0 {
            Encoding::Gbk
        } else {
            Encoding::Utf8
        },
    };
    let mut whole = LineFramer::new(config.clone());
    let expected = whole.feed(bytes);
    let mut pieces = LineFramer::new(config.clone());
    let step = 1 + usize::from(control % 7);
    let got: Vec<_> = bytes.chunks(step).flat_map(|c| pieces.feed(c)).collect();
    assert_eq!(got, expected);
    assert_eq!(whole.has_partial(), pieces.has_partial());
    for scan in expected.into_iter().flatten() {
        assert!(!scan.text.is_empty());
        assert!(!scan.text.contains(['\r', '\n']));
        assert!(scan.text.len() <= config.max_len || config.encoding == Encoding::Gbk);
    }
    let _ = whole.abandon_partial();
    assert!(!whole.has_partial());
});
