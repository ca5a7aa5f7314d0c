//! The reference code of an error shown to a citizen: short enough to read out at the
//! service desk ("QT-7K3F"), written to the log with the service and the error's name so
//! that staff can find what happened.

/// The characters of a code: no 0/O, 1/I/L, that are misread on a screen or said alike.
const ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTUVWXY";

/// The reference for one error: the service's two letters, a dash and four characters
/// drawn from `entropy`.
pub fn reference(prefix: &str, mut entropy: u32) -> String {
    let mut code = String::with_capacity(prefix.len() + 5);
    code.push_str(prefix);
    code.push('-');
    for _ in 0..4 {
        code.push(char::from(ALPHABET[(entropy % 30) as usize]));
        entropy /= 30;
    }
    code
}

/// A new reference for an error of the service with `prefix`.
pub fn new_reference(prefix: &str) -> String {
    reference(prefix, rand::random())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_is_the_service_and_four_characters_that_cannot_be_misread() {
        assert_eq!(reference("QT", 0), "QT-2222");
        assert_eq!(reference("QT", 29), "QT-Y222");
        assert_eq!(reference("QT", 30), "QT-2322");
        let codes: std::collections::BTreeSet<String> =
            (0..200).map(|_| new_reference("CP")).collect();
        assert!(codes.len() > 190, "references repeat: {}", codes.len());
        for code in &codes {
            assert_eq!(code.len(), 7);
            assert!(code[3..]
                .chars()
                .all(|c| ALPHABET.contains(&(c as u8)) && !"01OIL".contains(c)));
        }
    }
}
