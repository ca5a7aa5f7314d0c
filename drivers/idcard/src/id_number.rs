//! The 18-character citizen identity number (GB 11643): check character and masking.

use chrono::NaiveDate;

/// ISO 7064 MOD 11-2 weights of the first 17 digits.
pub const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character for each remainder of the weighted sum modulo 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why a string is not a valid ID number.
///
/// No variant carries the number itself: it is personal data and errors end up in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// The number does not have 18 characters.
    #[error("ID number has {len} characters, expected 18")]
    Length {
        /// Characters present.
        len: usize,
    },
    /// A character other than the check character is not a digit, or the check character is
    /// neither a digit nor `X`.
    #[error("ID number character {position} is not allowed there")]
    Character {
        /// 1-based position of the offending character.
        position: usize,
    },
    /// The check character does not match the first 17 digits.
    #[error("ID number check character is {found}, the digits give {expected}")]
    CheckDigit {
        /// The check character the digits call for.
        expected: char,
        /// The check character present.
        found: char,
    },
    /// Characters 7–14 are not a real `YYYYMMDD` date.
    #[error("the birth date inside the ID number is not a real date")]
    BirthDate,
    /// The birth date inside the number differs from the card's birth field.
    #[error("the birth date inside the ID number differs from the card's birth date")]
    BirthMismatch,
}

/// The check character for the first 17 digits of an ID number.
///
/// Only the first 17 characters are used; characters that are not digits count as 0, so
/// call [`validate`] when the input is not known to be digits.
pub fn check_digit(first17: &str) -> char {
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Parses exactly eight ASCII digits `YYYYMMDD` into a real calendar date.
pub(crate) fn parse_yyyymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = s[0..4].parse().ok()?;
    let month = s[4..6].parse().ok()?;
    let day = s[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The birth date encoded in characters 7–14, if the number is long enough and it is real.
pub fn birth_date(id: &str) -> Option<NaiveDate> {
    id.get(6..14).and_then(parse_yyyymmdd)
}

/// Checks length, characters, check character and the embedded birth date.
///
/// The check character must be an upper-case `X` when it is ten, as printed on cards.
pub fn validate(id: &str) -> Result<(), IdNumberError> {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 {
        return Err(IdNumberError::Length { len: chars.len() });
    }
    if let Some(i) = chars[..17].iter().position(|c| !c.is_ascii_digit()) {
        return Err(IdNumberError::Character { position: i + 1 });
    }
    let found = chars[17];
    if !(found.is_ascii_digit() || found == 'X') {
        return Err(IdNumberError::Character { position: 18 });
    }
    let expected = check_digit(id);
    if found != expected {
        return Err(IdNumberError::CheckDigit { expected, found });
    }
    if birth_date(id).is_none() {
        return Err(IdNumberError::BirthDate);
    }
    Ok(())
}

/// The number with everything but the first 6 (region) and last 4 characters replaced by
/// `*`, e.g. `110101********123X`. Strings of 10 characters or fewer are masked entirely,
/// because showing "first 6 and last 4" of them would show everything.
pub fn mask(id: &str) -> String {
    let len = id.chars().count();
    if len <= 10 {
        return "*".repeat(len);
    }
    id.chars()
        .enumerate()
        .map(|(i, c)| if i < 6 || i >= len - 4 { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_of_known_numbers() {
        // The worked example of GB 11643 ends in X.
        assert_eq!(check_digit("11010519491231002"), 'X');
        assert_eq!(check_digit("11010119850312001"), '7');
        assert_eq!(check_digit("44030519720215456"), '1');
        assert_eq!(check_digit("51010719551008422"), '8');
    }

    #[test]
    fn valid_numbers_pass() {
        assert_eq!(validate("11010519491231002X"), Ok(()));
        assert_eq!(validate("110101198503120017"), Ok(()));
        assert_eq!(validate("31010419900707127X"), Ok(()));
    }

    #[test]
    fn wrong_check_digit_is_rejected() {
        assert_eq!(
            validate("110101198503120018"),
            Err(IdNumberError::CheckDigit {
                expected: '7',
                found: '8'
            })
        );
        assert_eq!(
            validate("110105194912310021"),
            Err(IdNumberError::CheckDigit {
                expected: 'X',
                found: '1'
            })
        );
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        assert_eq!(validate(""), Err(IdNumberError::Length { len: 0 }));
        assert_eq!(
            validate("11010119850312001"),
            Err(IdNumberError::Length { len: 17 })
        );
        assert_eq!(
            validate("11010a198503120017"),
            Err(IdNumberError::Character { position: 6 })
        );
        assert_eq!(
            validate("11010519491231002x"),
            Err(IdNumberError::Character { position: 18 })
        );
        assert_eq!(
            validate("张10101198503120017"),
            Err(IdNumberError::Character { position: 1 })
        );
    }

    #[test]
    fn embedded_date_must_be_real() {
        // 1985-02-30 does not exist; the check digit is right for these digits.
        let first17 = "11010119850230001";
        let id = format!("{first17}{}", check_digit(first17));
        assert_eq!(validate(&id), Err(IdNumberError::BirthDate));
        assert_eq!(
            birth_date("110101198503120017"),
            NaiveDate::from_ymd_opt(1985, 3, 12)
        );
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_yyyymmdd("20240229"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(parse_yyyymmdd("20230229"), None);
        assert_eq!(parse_yyyymmdd("20231301"), None);
        assert_eq!(parse_yyyymmdd("20230100"), None);
        assert_eq!(parse_yyyymmdd("+2023011"), None);
        assert_eq!(parse_yyyymmdd("2023011"), None);
        assert_eq!(parse_yyyymmdd("长期"), None);
    }

    #[test]
    fn masking_keeps_region_and_tail_only() {
        assert_eq!(mask("11010519491231002X"), "110105********002X");
        assert_eq!(mask("110101198503120017"), "110101********0017");
        assert_eq!(mask("12345"), "*****");
        assert_eq!(mask(""), "");
        assert_eq!(mask("12345678901"), "123456*8901");
    }
}
