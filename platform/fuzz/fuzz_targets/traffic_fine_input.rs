//! What a citizen types for a traffic fine (a plate, a decision number): the parsers must
//! return, never panic; what they accept must parse again to itself; every prefix of an
//! accepted plate must pass the as-typed check (the keypad never blocks a valid plate).
#![no_main]

use kiosk_platform::api::traffic_fine::{
    check_plate_prefix, mask_decision_number, mask_plate, parse_decision_number, parse_plate,
    VehicleType,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = check_plate_prefix(&text);
    for v in VehicleType::ALL {
        if let Ok(plate) = parse_plate(&text, v) {
            assert_eq!(parse_plate(&plate, v).as_deref(), Ok(plate.as_str()));
            let chars: Vec<char> = plate.chars().collect();
            for n in 0..=chars.len() {
                let prefix: String = chars[..n].iter().collect();
                assert!(check_plate_prefix(&prefix).is_ok());
            }
            assert!(!mask_plate(&plate).contains(&plate));
        }
    }
    if let Ok(n) = parse_decision_number(&text) {
        assert_eq!(parse_decision_number(&n).as_deref(), Ok(n.as_str()));
        assert!(!mask_decision_number(&n).contains(&n));
    }
});
