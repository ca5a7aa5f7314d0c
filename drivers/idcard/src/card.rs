//! The card as the application sees it: parsed, validated, and safe to `Debug`-print.

use std::fmt;

use chrono::NaiveDate;

use crate::id_number::{self, parse_yyyymmdd, IdNumberError};
use crate::nation::nation_name;
use crate::text_block::{IdCardText, TextBlockError};
use crate::Error;

/// What the card's `valid to` field says.
const LONG_TERM: &str = "长期";

/// Sex as recorded on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Code `1`.
    Male,
    /// Code `2`.
    Female,
}

impl Sex {
    /// The code stored on the card.
    pub const fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }

    /// The label printed on the card.
    pub const fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    fn from_code(code: &str) -> Option<Sex> {
        match code {
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            _ => None,
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// End of the card's validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Validity {
    /// Valid up to and including this day.
    Until(NaiveDate),
    /// `长期`: never expires (issued to citizens aged 46 and over).
    LongTerm,
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validity::Until(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            Validity::LongTerm => f.write_str(LONG_TERM),
        }
    }
}

/// A resident ID card read from the reader, all fields checked.
///
/// `Debug` is written by hand: name, birth date, address, ID number and photo are personal
/// data and must never reach a log, so it prints them redacted or masked.
#[derive(Clone, PartialEq, Eq)]
pub struct IdCard {
    /// Name.
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Two-digit nation code (`"01"`..`"56"`, `"97"`, `"98"`).
    pub nation_code: String,
    /// Nation name for the code, e.g. `汉`.
    pub nation: String,
    /// Date of birth.
    pub birth: NaiveDate,
    /// Address.
    pub address: String,
    /// 18-character ID number with a verified check character.
    pub id_number: String,
    /// Issuing authority.
    pub authority: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// End of validity.
    pub valid_to: Validity,
    /// The raw WLT-compressed photo (1024 bytes on real cards), `None` if the reader sent none.
    pub photo: Option<Vec<u8>>,
}

impl IdCard {
    /// Parses and checks the text fields: a name, and name, address and authority free of
    /// control characters, invisible format characters and markup (padding, including the
    /// full-width space, is trimmed); sex and nation codes, real dates, a validity period
    /// that does not end before it starts, the ID number's check character, and the birth
    /// date inside the ID number matching the birth field. What passes is safe to show, to
    /// print and to send.
    pub fn from_text(text: &IdCardText, photo: Option<Vec<u8>>) -> Result<IdCard, Error> {
        let name = clean_text("name", &text.name)?;
        if name.is_empty() {
            return Err(TextBlockError::Empty { field: "name" }.into());
        }
        let address = clean_text("address", &text.address)?;
        let authority = clean_text("authority", &text.authority)?;
        let sex = Sex::from_code(&text.sex).ok_or(TextBlockError::Sex)?;
        let nation = nation_name(&text.nation).ok_or(TextBlockError::Nation)?;
        let birth = parse_yyyymmdd(&text.birth).ok_or(TextBlockError::Date { field: "birth" })?;
        let valid_from = parse_yyyymmdd(&text.valid_from).ok_or(TextBlockError::Date {
            field: "valid from",
        })?;
        let valid_to = if text.valid_to == LONG_TERM {
            Validity::LongTerm
        } else {
            let to =
                parse_yyyymmdd(&text.valid_to).ok_or(TextBlockError::Date { field: "valid to" })?;
            if to < valid_from {
                return Err(TextBlockError::ValidityOrder.into());
            }
            Validity::Until(to)
        };
        id_number::validate(&text.id_number)?;
        if id_number::birth_date(&text.id_number) != Some(birth) {
            return Err(IdNumberError::BirthMismatch.into());
        }
        Ok(IdCard {
            name,
            sex,
            nation_code: text.nation.clone(),
            nation: nation.to_owned(),
            birth,
            address,
            id_number: text.id_number.clone(),
            authority,
            valid_from,
            valid_to,
            photo,
        })
    }

    /// The text fields as stored on a card (the simulator encodes cards from this).
    pub fn to_text(&self) -> IdCardText {
        IdCardText {
            name: self.name.clone(),
            sex: self.sex.code().to_owned(),
            nation: self.nation_code.clone(),
            birth: self.birth.format("%Y%m%d").to_string(),
            address: self.address.clone(),
            id_number: self.id_number.clone(),
            authority: self.authority.clone(),
            valid_from: self.valid_from.format("%Y%m%d").to_string(),
            valid_to: match self.valid_to {
                Validity::Until(date) => date.format("%Y%m%d").to_string(),
                Validity::LongTerm => LONG_TERM.to_owned(),
            },
        }
    }

    /// The ID number with only its first 6 and last 4 characters visible.
    pub fn masked_id(&self) -> String {
        id_number::mask(&self.id_number)
    }

    /// Whether the card is no longer valid on `today` (the last valid day still counts).
    ///
    /// Takes the date instead of reading the clock so callers decide the time zone and tests
    /// stay deterministic.
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        match self.valid_to {
            Validity::Until(last_day) => today > last_day,
            Validity::LongTerm => false,
        }
    }
}

/// Whether `c` must never be in a card's text: C0 and C1 controls (ESC starts printer and
/// terminal escape sequences), Unicode format characters that change how text is shown
/// (bidi overrides and isolates, zero-width joiners and spaces, the BOM), line and
/// paragraph separators, and markup.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '<'
                | '>'
                | '&'
        )
}

/// The field with its padding trimmed (spaces, full-width spaces), or refused when it holds
/// an unsafe character. Refused, not cleaned: a real card never holds one, so a card that
/// does is forged or misread, and a cleaned name would be a name the card does not carry.
fn clean_text(field: &'static str, value: &str) -> Result<String, TextBlockError> {
    if value.chars().any(is_unsafe) {
        return Err(TextBlockError::Unsafe { field });
    }
    Ok(value.trim_matches([' ', '\u{3000}']).to_owned())
}

impl fmt::Debug for IdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let photo = self.photo.as_ref().map(|p| format!("<{} bytes>", p.len()));
        f.debug_struct("IdCard")
            .field("name", &crate::Redacted)
            .field("sex", &crate::Redacted)
            .field("nation", &crate::Redacted)
            .field("birth", &crate::Redacted)
            .field("address", &crate::Redacted)
            .field("id_number", &self.masked_id())
            .field("authority", &self.authority)
            .field("valid_from", &self.valid_from)
            .field("valid_to", &self.valid_to)
            .field("photo", &photo)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> IdCardText {
        IdCardText {
            name: "张伟".into(),
            sex: "1".into(),
            nation: "01".into(),
            birth: "19850312".into(),
            address: "北京市东城区景山前街4号".into(),
            id_number: "110101198503120017".into(),
            authority: "北京市公安局东城分局".into(),
            valid_from: "20150601".into(),
            valid_to: "20350601".into(),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date is real")
    }

    #[test]
    fn good_text_parses_and_round_trips() {
        let card = IdCard::from_text(&text(), None).expect("valid");
        assert_eq!(card.sex, Sex::Male);
        assert_eq!(card.nation, "汉");
        assert_eq!(card.birth, date(1985, 3, 12));
        assert_eq!(card.valid_to, Validity::Until(date(2035, 6, 1)));
        assert_eq!(card.to_text(), text());
        assert_eq!(card.masked_id(), "110101********0017");
    }

    #[test]
    fn long_term_validity_never_expires() {
        let mut t = text();
        t.valid_to = "长期".into();
        let card = IdCard::from_text(&t, None).expect("valid");
        assert_eq!(card.valid_to, Validity::LongTerm);
        assert!(!card.is_expired(date(2999, 1, 1)));
        assert_eq!(card.to_text().valid_to, "长期");
    }

    #[test]
    fn expiry_counts_the_last_day_as_valid() {
        let card = IdCard::from_text(&text(), None).expect("valid");
        assert!(!card.is_expired(date(2035, 6, 1)));
        assert!(card.is_expired(date(2035, 6, 2)));
        assert!(!card.is_expired(date(2020, 1, 1)));
    }

    #[test]
    fn invalid_fields_are_rejected() {
        type Mutation = fn(&mut IdCardText);
        let cases: Vec<(Mutation, &str)> = vec![
            (|t| t.sex = "3".into(), "sex"),
            (|t| t.nation = "57".into(), "nation"),
            (|t| t.birth = "19850332".into(), "birth"),
            (|t| t.valid_from = "2015061".into(), "valid from"),
            (|t| t.valid_to = "20350631".into(), "valid to"),
            (|t| t.valid_to = "20100101".into(), "order"),
            (|t| t.id_number = "110101198503120018".into(), "check"),
            (|t| t.birth = "19850313".into(), "mismatch"),
        ];
        for (mutate, what) in cases {
            let mut t = text();
            mutate(&mut t);
            let err = IdCard::from_text(&t, None).expect_err(what);
            let ok = match what {
                "sex" => matches!(err, Error::TextBlock(TextBlockError::Sex)),
                "nation" => matches!(err, Error::TextBlock(TextBlockError::Nation)),
                "order" => matches!(err, Error::TextBlock(TextBlockError::ValidityOrder)),
                "check" => matches!(err, Error::IdNumber(IdNumberError::CheckDigit { .. })),
                "mismatch" => matches!(err, Error::IdNumber(IdNumberError::BirthMismatch)),
                field => {
                    matches!(err, Error::TextBlock(TextBlockError::Date { field: f }) if f == field)
                }
            };
            assert!(ok, "{what}: {err:?}");
        }
    }

    #[test]
    fn empty_names_control_characters_escapes_and_markup_are_refused() {
        type Mutation = fn(&mut IdCardText);
        let cases: Vec<(Mutation, TextBlockError)> = vec![
            (
                |t| t.name = String::new(),
                TextBlockError::Empty { field: "name" },
            ),
            (
                |t| t.name = "   ".into(),
                TextBlockError::Empty { field: "name" },
            ),
            (
                |t| t.name = "\u{3000}\u{3000}".into(),
                TextBlockError::Empty { field: "name" },
            ),
            (
                |t| t.name = "张\n伟".into(),
                TextBlockError::Unsafe { field: "name" },
            ),
            (
                |t| t.name = "张伟\u{1b}[2J".into(),
                TextBlockError::Unsafe { field: "name" },
            ),
            (
                |t| t.name = "\u{1b}@\u{1d}V\u{0}".into(),
                TextBlockError::Unsafe { field: "name" },
            ),
            (
                |t| t.name = "张\u{202E}伟".into(),
                TextBlockError::Unsafe { field: "name" },
            ),
            (
                |t| t.name = "张\u{200B}伟".into(),
                TextBlockError::Unsafe { field: "name" },
            ),
            (
                |t| t.name = "\u{9b}31m张伟".into(),
                TextBlockError::Unsafe { field: "name" },
            ),
            (
                |t| t.name = "<b>张伟</b>".into(),
                TextBlockError::Unsafe { field: "name" },
            ),
            (
                |t| t.address = "北京&amp;".into(),
                TextBlockError::Unsafe { field: "address" },
            ),
            (
                |t| t.address = "北京\r\n".into(),
                TextBlockError::Unsafe { field: "address" },
            ),
            (
                |t| t.authority = "<script>".into(),
                TextBlockError::Unsafe { field: "authority" },
            ),
        ];
        for (mutate, expected) in cases {
            let mut t = text();
            mutate(&mut t);
            match IdCard::from_text(&t, None) {
                Err(Error::TextBlock(e)) => assert_eq!(e, expected, "{:?}", t.name),
                other => panic!("{expected:?}: {other:?}"),
            }
        }
        // Padding is trimmed; a minority name's middle dot is a name.
        let mut t = text();
        t.name = "\u{3000}阿依古丽·买买提 ".into();
        let card = IdCard::from_text(&t, None).expect("valid");
        assert_eq!(card.name, "阿依古丽·买买提");
    }

    #[test]
    fn debug_never_shows_personal_data() {
        let card = IdCard::from_text(&text(), Some(vec![0x57; 1024])).expect("valid");
        let shown = format!("{card:?}");
        for secret in ["张伟", "景山", "110101198503120017", "1985", "87, 87"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains("110101********0017"), "{shown}");
        assert!(shown.contains("name: <redacted>"), "{shown}");
        assert!(shown.contains("<1024 bytes>"), "{shown}");
        let alt = format!("{card:#?}");
        assert!(!alt.contains("张伟"), "{alt}");
    }
}
