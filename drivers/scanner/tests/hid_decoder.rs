//! The keyboard-mode decoder against recorded key event sequences (`EV_KEY` code and value as
//! a scanner emits them: shift pressed around capitals and symbols, key-up after every key).

#![cfg(target_os = "linux")]

use proptest::prelude::*;
use scanner::hid::HidDecoder;
use scanner::line::{LineConfig, LineError, Scan};

const PRESS: i32 = 1;
const RELEASE: i32 = 0;
const REPEAT: i32 = 2;
const LEFT_SHIFT: u16 = 42;
const RIGHT_SHIFT: u16 = 54;
const ENTER: u16 = 28;
const KP_ENTER: u16 = 96;

/// Key code and whether shift is needed, US layout; the inverse of the decoder's table, used
/// to record what a scanner types.
fn key_for(c: char) -> (u16, bool) {
    const ROWS: [(&str, &str, u16); 4] = [
        ("1234567890-=", "!@#$%^&*()_+", 2),
        ("qwertyuiop[]", "QWERTYUIOP{}", 16),
        ("asdfghjkl;'`", "ASDFGHJKL:\"~", 30),
        ("zxcvbnm,./", "ZXCVBNM<>?", 44),
    ];
    if c == '\\' {
        return (43, false);
    }
    if c == '|' {
        return (43, true);
    }
    if c == ' ' {
        return (57, false);
    }
    for (plain, shifted, first) in ROWS {
        if let Some(i) = plain.chars().position(|p| p == c) {
            return (first + i as u16, false);
        }
        if let Some(i) = shifted.chars().position(|p| p == c) {
            return (first + i as u16, true);
        }
    }
    panic!("no US key for {c:?}");
}

/// The events a scanner emits typing `text` and Enter: shift down/up around each shifted
/// character (as most scanners do), every key pressed then released.
fn record(text: &str) -> Vec<(u16, i32)> {
    let mut events = Vec::new();
    for c in text.chars() {
        let (code, shift) = key_for(c);
        if shift {
            events.push((LEFT_SHIFT, PRESS));
        }
        events.push((code, PRESS));
        events.push((code, RELEASE));
        if shift {
            events.push((LEFT_SHIFT, RELEASE));
        }
    }
    events.push((ENTER, PRESS));
    events.push((ENTER, RELEASE));
    events
}

fn decode(decoder: &mut HidDecoder, events: &[(u16, i32)]) -> Vec<Result<Scan, LineError>> {
    events
        .iter()
        .filter_map(|&(code, value)| decoder.feed(code, value))
        .collect()
}

fn decode_texts(events: &[(u16, i32)]) -> Vec<Result<String, LineError>> {
    let mut d = HidDecoder::new(LineConfig::default());
    decode(&mut d, events)
        .into_iter()
        .map(|r| r.map(|s| s.text))
        .collect()
}

const URL: &str = "https://zwfw.example.gov.cn/verify?case=SB-20261124-000042&d=20261124&sig=9f86d081884c7d659a2feaa0c55ad015";

#[test]
fn verification_url_typed_with_shift_decodes() {
    assert_eq!(decode_texts(&record(URL)), vec![Ok(URL.to_string())]);
}

#[test]
fn recorded_case_number_with_right_shift_held_over_letters() {
    // "SB-20261124-000042": this scanner holds right shift across both capitals.
    let events = [
        (RIGHT_SHIFT, PRESS),
        (31, PRESS),
        (31, RELEASE),
        (48, PRESS),
        (48, RELEASE),
        (RIGHT_SHIFT, RELEASE),
        (12, PRESS),
        (12, RELEASE),
        (3, PRESS),
        (3, RELEASE),
        (11, PRESS),
        (11, RELEASE),
        (3, PRESS),
        (3, RELEASE),
        (7, PRESS),
        (7, RELEASE),
        (2, PRESS),
        (2, RELEASE),
        (2, PRESS),
        (2, RELEASE),
        (3, PRESS),
        (3, RELEASE),
        (5, PRESS),
        (5, RELEASE),
        (12, PRESS),
        (12, RELEASE),
        (11, PRESS),
        (11, RELEASE),
        (11, PRESS),
        (11, RELEASE),
        (11, PRESS),
        (11, RELEASE),
        (11, PRESS),
        (11, RELEASE),
        (5, PRESS),
        (5, RELEASE),
        (3, PRESS),
        (3, RELEASE),
        (KP_ENTER, PRESS),
        (KP_ENTER, RELEASE),
    ];
    assert_eq!(
        decode_texts(&events),
        vec![Ok("SB-20261124-000042".to_string())]
    );
}

#[test]
fn punctuation_of_urls_and_percent_escapes() {
    let text = "a:/?&=.-_%#+b~!@$^*()[]{};'\",<>|\\`Z 9";
    assert_eq!(decode_texts(&record(text)), vec![Ok(text.to_string())]);
}

#[test]
fn repeat_events_and_key_ups_type_nothing() {
    let events = [
        (30, PRESS),
        (30, REPEAT),
        (30, REPEAT),
        (30, RELEASE),
        (48, RELEASE),
        (ENTER, PRESS),
        (ENTER, REPEAT),
        (ENTER, RELEASE),
    ];
    assert_eq!(decode_texts(&events), vec![Ok("a".to_string())]);
}

#[test]
fn keypad_digits_and_caps_lock() {
    let events = [
        (58, PRESS), // caps lock on
        (58, RELEASE),
        (31, PRESS),
        (31, RELEASE),
        (LEFT_SHIFT, PRESS),
        (48, PRESS), // shift with caps lock: lower case
        (48, RELEASE),
        (LEFT_SHIFT, RELEASE),
        (79, PRESS), // keypad 1
        (79, RELEASE),
        (82, PRESS), // keypad 0
        (82, RELEASE),
        (KP_ENTER, PRESS),
    ];
    assert_eq!(decode_texts(&events), vec![Ok("Sb10".to_string())]);
}

#[test]
fn two_scans_back_to_back_and_empty_enters() {
    let mut events = record("SB-20261124-000042");
    events.extend([(ENTER, PRESS), (ENTER, RELEASE)]);
    events.extend(record("second"));
    assert_eq!(
        decode_texts(&events),
        vec![
            Ok("SB-20261124-000042".to_string()),
            Ok("second".to_string())
        ]
    );
}

#[test]
fn unmapped_key_or_ctrl_refuses_the_whole_scan() {
    // F1 (59) in the middle.
    let mut events = record("ab");
    events.insert(2, (59, PRESS));
    assert_eq!(
        decode_texts(&events),
        vec![Err(LineError::UnmappedKey { code: 59 })]
    );
    // Ctrl held over a letter (a GS1 FNC1 sent as Ctrl+]) is not text either.
    let events = [
        (29, PRESS),
        (27, PRESS),
        (27, RELEASE),
        (29, RELEASE),
        (30, PRESS),
        (ENTER, PRESS),
    ];
    assert_eq!(
        decode_texts(&events),
        vec![Err(LineError::UnmappedKey { code: 27 })]
    );
    // The decoder recovers for the next scan.
    let mut d = HidDecoder::new(LineConfig::default());
    decode(&mut d, &[(59, PRESS), (ENTER, PRESS)]);
    let ok: Vec<_> = decode(&mut d, &record("ok"))
        .into_iter()
        .map(|r| r.map(|s| s.text))
        .collect();
    assert_eq!(ok, vec![Ok("ok".to_string())]);
}

#[test]
fn over_long_scan_is_reported_once_and_discarded_to_enter() {
    let mut d = HidDecoder::new(LineConfig {
        max_len: 10,
        ..LineConfig::default()
    });
    let long: String = "x".repeat(40);
    let results = decode(&mut d, &record(&long));
    assert_eq!(results, vec![Err(LineError::TooLong { max_len: 10 })]);
    let results: Vec<_> = decode(&mut d, &record("short"))
        .into_iter()
        .map(|r| r.map(|s| s.text))
        .collect();
    assert_eq!(results, vec![Ok("short".to_string())]);
}

#[test]
fn prefix_and_suffix_apply_in_keyboard_mode_too() {
    let mut d = HidDecoder::new(LineConfig {
        prefix: Some("]Q1".into()),
        suffix: None,
        ..LineConfig::default()
    });
    let results: Vec<_> = decode(&mut d, &record("]Q1SB-20261124-000042"))
        .into_iter()
        .map(|r| r.map(|s| s.text))
        .collect();
    assert_eq!(results, vec![Ok("SB-20261124-000042".to_string())]);
    assert_eq!(
        decode(&mut d, &record("SB-20261124-000042")),
        vec![Err(LineError::MissingPrefix)]
    );
}

#[test]
fn abandoned_partial_scan_is_incomplete_and_resets_shift() {
    let mut d = HidDecoder::new(LineConfig::default());
    // Typing stopped mid-scan with shift still down (its key-up lost).
    let events = [(LEFT_SHIFT, PRESS), (30, PRESS), (30, RELEASE)];
    assert!(decode(&mut d, &events).is_empty());
    assert!(d.has_partial());
    assert_eq!(d.abandon_partial(), Some(LineError::Incomplete { len: 1 }));
    let results: Vec<_> = decode(&mut d, &record("ab"))
        .into_iter()
        .map(|r| r.map(|s| s.text))
        .collect();
    assert_eq!(results, vec![Ok("ab".to_string())]);
}

proptest! {
    /// Any printable ASCII typed as a scanner types it comes back unchanged.
    #[test]
    fn typed_ascii_round_trips(text in "[ -~]{1,200}") {
        prop_assert_eq!(decode_texts(&record(&text)), vec![Ok(text.clone())]);
    }

    /// Any event sequence: the decoder never panics and never returns more than the limit.
    #[test]
    fn arbitrary_events_never_panic(events in proptest::collection::vec((0u16..300, -1i32..4), 0..400)) {
        let mut d = HidDecoder::new(LineConfig { max_len: 32, ..LineConfig::default() });
        for (code, value) in events {
            if let Some(Ok(scan)) = d.feed(code, value) {
                prop_assert!(!scan.text.is_empty() && scan.text.len() <= 32);
            }
        }
    }
}
