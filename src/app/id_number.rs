//! The ID number as a citizen types it on the keypad (GB 11643: 6-digit area, 8-digit birth
//! date, 3-digit sequence, check character): what may be typed next, what is wrong so far,
//! and how it shows. Every check runs on the prefix typed so far, so the citizen hears about
//! a wrong birth date as soon as its digits are in, not after the eighteenth key.

use chrono::{Datelike, NaiveDate};

/// Characters of an ID number.
pub const ID_LEN: usize = 18;
/// Oldest age the kiosk takes as plausible: the birth year is at most this many years back.
pub const MAX_AGE: i32 = 120;

/// ISO 7064 MOD 11-2 weights of the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder of the weighted sum modulo 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// First two digits of the area code: the provinces, autonomous regions and municipalities
/// (GB/T 2260), plus 71 Taiwan, 81 Hong Kong, 82 Macao.
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// What is wrong with the number typed so far. No variant carries the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdProblem {
    /// The first two digits are no province's.
    Area,
    /// The birth year is not one of a living person.
    BirthYear,
    /// The birth month is not 01–12.
    BirthMonth,
    /// The birth date does not exist (30 February).
    BirthDate,
    /// The birth date is after today.
    BirthInFuture,
    /// `X` comes only as the last character.
    XNotLast,
    /// The last character does not fit the first 17 digits: a typing mistake somewhere.
    CheckDigit,
}

/// The check character for the first 17 digits (`first17` must be 17 ASCII digits).
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Checks the characters typed so far (`0-9`, and `X` last) against the rules that the
/// prefix already decides. `Ok` means nothing is wrong yet.
pub fn check_prefix(typed: &str, today: NaiveDate) -> Result<(), IdProblem> {
    let b = typed.as_bytes();
    if let Some(i) = b.iter().position(|c| !c.is_ascii_digit()) {
        if !(i == ID_LEN - 1 && b[i] == b'X') {
            return Err(IdProblem::XNotLast);
        }
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        b[r].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    };
    if b.len() >= 2 && !PROVINCES.contains(&(num(0..2) as u8)) {
        return Err(IdProblem::Area);
    }
    if b.len() >= 10 {
        let year = num(6..10) as i32;
        if year > today.year() || year < today.year() - MAX_AGE {
            return Err(IdProblem::BirthYear);
        }
    }
    if b.len() >= 12 && !(1..=12).contains(&num(10..12)) {
        return Err(IdProblem::BirthMonth);
    }
    if b.len() >= 14 {
        let born = NaiveDate::from_ymd_opt(num(6..10) as i32, num(10..12), num(12..14))
            .ok_or(IdProblem::BirthDate)?;
        if born > today {
            return Err(IdProblem::BirthInFuture);
        }
    }
    if b.len() == ID_LEN && check_char(&b[..17]) != char::from(b[17]) {
        return Err(IdProblem::CheckDigit);
    }
    Ok(())
}

/// Whether `c` may be typed after `typed`: digits up to 18 characters, `X` only as the
/// eighteenth.
pub fn may_type(typed: &str, c: char) -> bool {
    match c {
        '0'..='9' => typed.len() < ID_LEN,
        'X' => typed.len() == ID_LEN - 1,
        _ => false,
    }
}

/// The typed characters in the groups of the number, 6-8-4: `110101 19850312 0017`.
pub fn grouped(typed: &str) -> String {
    let mut out = String::with_capacity(typed.len() + 2);
    for (i, c) in typed.chars().enumerate() {
        if i == 6 || i == 14 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn known_numbers_pass_and_each_problem_is_named_as_soon_as_its_digits_are_in() {
        for good in [
            "110101198503120017",
            "31010419900707127X",
            "440305197202154561",
        ] {
            assert_eq!(check_prefix(good, today()), Ok(()), "{good}");
        }
        let t = today();
        assert_eq!(check_prefix("99", t), Err(IdProblem::Area));
        assert_eq!(check_prefix("1101011", t), Ok(()));
        assert_eq!(check_prefix("1101012030", t), Err(IdProblem::BirthYear));
        assert_eq!(check_prefix("1101011880", t), Err(IdProblem::BirthYear));
        assert_eq!(check_prefix("110101198513", t), Err(IdProblem::BirthMonth));
        assert_eq!(check_prefix("11010119850230", t), Err(IdProblem::BirthDate));
        assert_eq!(
            check_prefix("11010120261231", t),
            Err(IdProblem::BirthInFuture)
        );
        assert_eq!(
            check_prefix("110101198503120018", t),
            Err(IdProblem::CheckDigit)
        );
        assert_eq!(check_prefix("1101X", t), Err(IdProblem::XNotLast));
    }

    #[test]
    fn keypad_rules_and_groups() {
        assert!(may_type("", '1') && !may_type("", 'X'));
        assert!(may_type("11010119850312001", 'X'));
        assert!(!may_type("110101198503120017", '1'));
        assert_eq!(grouped("110101198503120017"), "110101 19850312 0017");
        assert_eq!(grouped("1101011985"), "110101 1985");
        assert_eq!(grouped("110101"), "110101");
    }

    /// A valid number for any date of birth from the last 120 years, any area and sequence.
    fn valid_number() -> impl Strategy<Value = String> {
        (
            0..PROVINCES.len(),
            0u32..10_000,
            0i64..(MAX_AGE as i64 * 365),
            0u32..1000,
        )
            .prop_map(|(p, area, days_old, seq)| {
                let born = today() - chrono::Duration::days(days_old);
                let first17 = format!(
                    "{:02}{:04}{}{:03}",
                    PROVINCES[p],
                    area,
                    born.format("%Y%m%d"),
                    seq
                );
                let c = check_char(first17.as_bytes());
                format!("{first17}{c}")
            })
    }

    proptest! {
        #[test]
        fn every_prefix_of_a_valid_number_is_fine(n in valid_number()) {
            for len in 0..=ID_LEN {
                prop_assert_eq!(check_prefix(&n[..len], today()), Ok(()));
            }
        }

        #[test]
        fn any_other_check_character_is_refused(n in valid_number(), c in "[0-9X]") {
            prop_assume!(!n.ends_with(c.as_str()));
            let changed = format!("{}{}", &n[..17], c);
            prop_assert_eq!(check_prefix(&changed, today()), Err(IdProblem::CheckDigit));
        }

        #[test]
        fn a_single_changed_digit_is_always_caught(n in valid_number(), i in 0usize..17, d in 1u8..10) {
            // MOD 11-2 catches every single-digit error; the date or area rules may catch it
            // first, but something must.
            let mut b = n.into_bytes();
            b[i] = b'0' + (b[i] - b'0' + d) % 10;
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(check_prefix(&changed, today()).is_err());
        }

        #[test]
        fn grouping_keeps_the_characters_and_puts_spaces_after_6_and_14(s in "[0-9]{0,17}X?") {
            let g = grouped(&s);
            prop_assert_eq!(g.replace(' ', ""), s.clone());
            let parts: Vec<usize> = g.split(' ').map(str::len).collect();
            let max = [6usize, 8, 4];
            prop_assert!(parts.iter().zip(max).all(|(l, m)| *l <= m));
            prop_assert!(parts.len() <= 3);
        }
    }
}
