//! The citizen as a session knows them: only what the screens and the ticket need.

/// How the citizen proved who they are. Services say which they accept
/// (`[services.<name>] identify`); only the card brings a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentifiedBy {
    /// The resident ID card on the reader.
    Card,
    /// The ID number typed on the keypad, confirmed by a code sent to the phone on file.
    Typed,
    /// The electronic ID's QR code from the citizen's phone, verified by the platform.
    Eid,
}

/// Who is at the kiosk. Built from the ID card (or a typed number or e-ID code the platform
/// confirmed); the full ID number is not kept.
#[derive(Clone, PartialEq, Eq)]
pub struct Citizen {
    /// Name as on the card (shown on the greeting).
    pub name: String,
    /// ID number with only the first 6 and last 4 characters shown.
    pub masked_id: String,
    /// The card's photo, when the vendor decoder is installed; the screen shows a neutral
    /// silhouette otherwise.
    pub photo: Option<super::RgbaImage>,
    /// The holder's opaque key for looking up their applications on the platform (a keyed
    /// hash of the ID number, see docs/platform-api.md); never the number itself.
    pub case_holder: Option<String>,
    /// How they identified.
    pub by: IdentifiedBy,
    /// The rest of the card's text, for a form pre-filled from it (the sample forms); only
    /// when the card was read. Held in the session only and wiped with it.
    pub card: Option<CardDetails>,
}

/// What the ID card says besides the name: what a form pre-filled from the card needs.
/// Personal data: its `Debug` hides it; it lives in the session only.
#[derive(Clone, PartialEq, Eq)]
pub struct CardDetails {
    /// `男` or `女`.
    pub sex: String,
    /// The nation's name (`汉`).
    pub nation: String,
    /// Date of birth.
    pub birth: chrono::NaiveDate,
    /// Address.
    pub address: String,
    /// The full ID number: a form handed in to a department carries it.
    pub id_number: String,
}

impl std::fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardDetails(<redacted>)")
    }
}

impl std::fmt::Debug for Citizen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Logs may see a session start, never who it was.
        f.debug_struct("Citizen")
            .field("name", &"<redacted>")
            .field("masked_id", &"<redacted>")
            .field("photo", &self.photo.as_ref().map(|_| "<redacted>"))
            .field(
                "case_holder",
                &self.case_holder.as_ref().map(|_| "<redacted>"),
            )
            .field("by", &self.by)
            .field("card", &self.card)
            .finish()
    }
}

#[cfg(test)]
impl Citizen {
    /// A made-up citizen for unit tests (the sample card's shape, not a real person).
    pub fn sample() -> Self {
        Citizen {
            name: "张伟".into(),
            masked_id: "110101********0015".into(),
            photo: None,
            case_holder: Some("holder-hash".into()),
            by: IdentifiedBy::Card,
            card: Some(CardDetails {
                sex: "男".into(),
                nation: "汉".into(),
                birth: chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default(),
                address: "北京市东城区示例路1号".into(),
                id_number: "11010119900101001X".into(),
            }),
        }
    }
}

/// Masks a mobile number for screen and paper: `138****8000` (the platform crate's rule).
pub use kiosk_platform::api::mask_phone;

/// Mainland mobile numbers: 11 digits, starting with 1 and a second digit 3–9. Every
/// service that asks for one on the keypad checks it with this.
pub fn is_mobile_number(s: &str) -> bool {
    s.len() == 11
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.as_bytes()[0] == b'1'
        && (b'3'..=b'9').contains(&s.as_bytes()[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_masking_keeps_three_and_four() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("123"), "****");
    }

    #[test]
    fn debug_never_shows_the_citizen() {
        let c = Citizen {
            name: "张伟".into(),
            masked_id: "110101********1234".into(),
            photo: None,
            case_holder: Some("9f2c".into()),
            by: IdentifiedBy::Typed,
            card: Citizen::sample().card,
        };
        let s = format!("{c:?}");
        assert!(!s.contains("张伟") && !s.contains("1234"));
        assert!(!s.contains("11010119900101001X") && !s.contains("示例路"));
    }
}
