//! Applying for a matter (自助申报): the matters the catalog offers for application at the
//! kiosk, the scans uploaded in parts (`PUT /v1/application-parts/{key}/{n}?sha256=…`,
//! each acknowledged with its digest) and the application submitted under the same key
//! (`POST /v1/applications/{key}`), which opens a case the progress query follows.
//!
//! The key is the kiosk's idempotency key, made before the first byte goes out: a part sent
//! twice is acknowledged twice and stored once, and an application submitted twice opens one
//! case (the second answer says `created: false`).

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Largest part the platform takes (one compressed scan).
pub const MAX_PART_BYTES: usize = 4 * 1024 * 1024;
/// Most parts one application may have (both card sides and the material pages).
pub const MAX_PARTS: u32 = 40;
/// Error code: a part the application names has not arrived (or arrived with another
/// digest); the kiosk sends it again, then submits again.
pub const ERROR_PART_MISSING: &str = "part_missing";
/// Error code: the digest in the query is not the digest of the body.
pub const ERROR_BAD_DIGEST: &str = "bad_digest";
/// Error code: the matter is not one the platform takes applications for.
pub const ERROR_UNKNOWN_MATTER: &str = "unknown_matter";
/// Error code: the applicant is not eligible (the senior citizen's card under 60).
pub const ERROR_NOT_ELIGIBLE: &str = "not_eligible";
/// Error code: by post with no postal address, or one that is too long or holds control
/// characters or markup.
pub const ERROR_BAD_ADDRESS: &str = "bad_address";
/// Longest postal address the platform takes, in characters.
pub const MAX_POST_ADDRESS_CHARS: usize = 120;
/// Most places a gazetteer may list (all districts together); a larger one is refused.
pub const MAX_GAZETTEER_PLACES: usize = 5000;
/// Longest name of a district or place, in characters.
pub const MAX_PLACE_CHARS: usize = 24;

/// A matter a citizen can apply for at the kiosk, as the catalog lists it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ApplyMatter {
    /// Stable code, e.g. `LR01`; also the case number's prefix letters come from it.
    pub code: String,
    /// Chinese name (`老人卡申办`).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What the citizen should know first, Chinese, one paragraph per entry.
    pub instructions_zh: Vec<String>,
    /// The same in English.
    pub instructions_en: Vec<String>,
    /// Lowest age on the day of application, from the card's birth date (`None`: any).
    #[serde(default)]
    pub min_age: Option<u32>,
    /// What to hand in.
    pub materials: Vec<ApplyMaterial>,
    /// What to fill in besides the card's data.
    pub fields: Vec<ApplyField>,
    /// How the result may reach the citizen.
    pub delivery: Vec<Delivery>,
}

/// One material of a matter.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ApplyMaterial {
    /// Stable code, e.g. `photo`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Must be handed in (scanned here, or brought to the window where allowed).
    pub required: bool,
    /// May be brought to the window instead of scanned.
    pub may_bring: bool,
}

/// What kind of answer a field takes, and so which keypad.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    /// A mainland mobile number (11 digits, starting with 1).
    Mobile,
    /// One of a list.
    Choice {
        /// The options, Chinese.
        options_zh: Vec<String>,
        /// The same in English.
        options_en: Vec<String>,
    },
    /// Short text on the digit-and-letter keypad (a room number, a postcode).
    Text {
        /// Most characters.
        max_len: u32,
    },
}

/// A field to fill in.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ApplyField {
    /// Stable code, e.g. `mobile`.
    pub code: String,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// Its kind.
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// How the result reaches the citizen.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Picked up at the window.
    Window,
    /// Sent by post.
    Post,
}

/// `GET /v1/gazetteer`: the city's postal gazetteer, so a citizen can type an address with
/// no Chinese keyboard: the district from a list, the street or community by the pinyin
/// initials of its name, the house number on the keypad. Not personal; cached by the kiosk
/// under its `ETag`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Gazetteer {
    /// The city as an address starts (`北京市`).
    pub city_zh: String,
    /// English.
    pub city_en: String,
    /// Its districts, in display order.
    pub districts: Vec<GazetteerDistrict>,
}

/// A district (区/县) of the gazetteer.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct GazetteerDistrict {
    /// Its administrative division code (GB/T 2260, six digits: `110105`).
    pub code: String,
    /// Chinese name (`朝阳区`).
    pub name_zh: String,
    /// English name (`Chaoyang`).
    pub name_en: String,
    /// Its main postcode (six digits).
    pub postcode: String,
    /// Its streets, roads and communities.
    pub places: Vec<GazetteerPlace>,
}

/// A street, road or community an address names after the district.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct GazetteerPlace {
    /// Chinese name (`建国路`).
    pub name_zh: String,
    /// One toneless pinyin syllable per character, lowercase (`["jian", "guo", "lu"]`).
    pub pinyin: Vec<String>,
}

/// Why a gazetteer from outside (the platform's answer, the kiosk's cache) is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GazetteerError {
    /// Not the contract's JSON.
    #[error("gazetteer: not the contract's JSON: {0}")]
    Json(String),
    /// The JSON parsed but breaks a rule of the contract (which one).
    #[error("gazetteer: {0}")]
    Broken(&'static str),
}

/// A name fit for the screen and the paper: 1..=`MAX_PLACE_CHARS` characters, none a
/// control, format or markup character.
fn fit_name(s: &str) -> bool {
    (1..=MAX_PLACE_CHARS).contains(&s.chars().count()) && s.chars().all(safe_char)
}

/// A character that may stand in an address: no control, bidi or zero-width format
/// character, no markup.
fn safe_char(c: char) -> bool {
    !c.is_control()
        && !matches!(c, '<' | '>' | '&' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// A postal address a kiosk may send: 1..=`MAX_POST_ADDRESS_CHARS` characters, none a
/// control, format or markup character.
pub fn is_post_address(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= MAX_POST_ADDRESS_CHARS && s.chars().all(safe_char)
}

fn six_digits(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

impl Gazetteer {
    /// Reads a gazetteer from outside (the platform's body, the kiosk's cache) and checks it
    /// against the contract ([`Gazetteer::check`]).
    pub fn parse(body: &str) -> Result<Self, GazetteerError> {
        let g: Self =
            serde_json::from_str(body).map_err(|e| GazetteerError::Json(e.to_string()))?;
        g.check()?;
        Ok(g)
    }

    /// The contract's rules: a city name; 1..=64 districts with unique six-digit codes,
    /// six-digit postcodes and names fit for the screen; at most [`MAX_GAZETTEER_PLACES`]
    /// places in all, each named with one lowercase syllable (1..=6 letters) per character.
    pub fn check(&self) -> Result<(), GazetteerError> {
        use GazetteerError::Broken;
        if !fit_name(&self.city_zh) || !fit_name(&self.city_en) {
            return Err(Broken("the city's name"));
        }
        if !(1..=64).contains(&self.districts.len()) {
            return Err(Broken("1 to 64 districts"));
        }
        let places: usize = self.districts.iter().map(|d| d.places.len()).sum();
        if places > MAX_GAZETTEER_PLACES {
            return Err(Broken("too many places"));
        }
        let mut codes = std::collections::HashSet::new();
        for d in &self.districts {
            if !six_digits(&d.code) || !codes.insert(d.code.as_str()) {
                return Err(Broken("district codes are six digits, each once"));
            }
            if !six_digits(&d.postcode) {
                return Err(Broken("postcodes are six digits"));
            }
            if !fit_name(&d.name_zh) || !fit_name(&d.name_en) {
                return Err(Broken("a district's name"));
            }
            for p in &d.places {
                if !fit_name(&p.name_zh) {
                    return Err(Broken("a place's name"));
                }
                if p.name_zh.chars().count() != p.pinyin.len()
                    || !p.pinyin.iter().all(|s| {
                        (1..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
                    })
                {
                    return Err(Broken("one lowercase pinyin syllable per character"));
                }
            }
        }
        Ok(())
    }
}

/// `PUT /v1/application-parts/{key}/{n}` answer: the part arrived whole.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PartReceipt {
    /// The part's number.
    pub part: u32,
    /// Hex SHA-256 of what arrived.
    pub sha256: String,
    /// Bytes that arrived.
    pub size: u64,
}

/// A part the application is made of.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PartRef {
    /// Its number (`0..parts`).
    pub n: u32,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// One material as handed in.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct MaterialHandedIn {
    /// The material's code.
    pub code: String,
    /// The parts holding its pages, in order (empty when brought to the window).
    pub pages: Vec<u32>,
    /// The citizen brings it to the window.
    pub at_window: bool,
}

/// `POST /v1/applications/{key}` body.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Application {
    /// The matter's code.
    pub matter: String,
    /// The applicant's holder hash ([`super::holder_hash`]): the case is theirs.
    pub holder: String,
    /// ID number, first 6 and last 4 shown (the full number is on the card's scans).
    pub masked_id: String,
    /// From the card: name, sex, nation, birth date, address.
    pub name: String,
    /// 男 / 女.
    pub sex: String,
    /// Nation, e.g. 汉.
    pub nation: String,
    /// Birth date.
    pub birth: NaiveDate,
    /// The card's address.
    pub address: String,
    /// The fields filled in, `(code, value)`, in the matter's order.
    pub fields: Vec<(String, String)>,
    /// The mobile number for the SMS (also among the fields).
    pub mobile: String,
    /// How the result reaches the citizen.
    pub delivery: Delivery,
    /// The postal address when by post.
    #[serde(default)]
    pub post_address: Option<String>,
    /// The card's front and back: their parts.
    pub card_parts: [u32; 2],
    /// The materials.
    pub materials: Vec<MaterialHandedIn>,
    /// Every part, with its digest.
    pub parts: Vec<PartRef>,
    /// The receipt that printed had no case number: send it by SMS once it exists.
    #[serde(default)]
    pub notify_sms: bool,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("matter", &self.matter)
            .field("delivery", &self.delivery)
            .field("parts", &self.parts.len())
            .field("notify_sms", &self.notify_sms)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/applications/{key}` answer.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The case the application opened (the same one when submitted again).
    pub case_number: String,
    /// This call opened it (false: it was opened before under this key).
    pub created: bool,
}

/// What the platform holds of applications (the operator's view; tests count cases).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct HeldApplications {
    /// Case numbers opened by applications, oldest first.
    pub cases: Vec<String>,
    /// Parts stored, all applications.
    pub parts: u64,
    /// The postal address stored with each case sent by post: `(case number, address)`,
    /// oldest first (the simulator's operator view; a real platform's is its own).
    #[serde(default)]
    pub posted: Vec<(String, String)>,
}

/// Hex SHA-256 of a part.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Whole years from `birth` to `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    use chrono::Datelike;
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The SMS text sent when the receipt had no case number.
pub fn sms_text(matter_zh: &str, case_number: &str) -> String {
    format!("【政务服务】您在自助机提交的{matter_zh}申请已受理，受理编号 {case_number}，可凭编号查询办理进度。")
}

/// An idempotency key fit for a path: 8..=64 characters of `[A-Za-z0-9-]`.
pub fn is_key(key: &str) -> bool {
    (8..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_whole_years() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(age_on(d(1966, 12, 2), d(2026, 12, 1)), 59);
        assert_eq!(age_on(d(1966, 12, 1), d(2026, 12, 1)), 60);
        assert_eq!(age_on(d(1955, 10, 8), d(2026, 12, 1)), 71);
    }

    fn gazetteer() -> Gazetteer {
        Gazetteer {
            city_zh: "北京市".into(),
            city_en: "Beijing".into(),
            districts: vec![GazetteerDistrict {
                code: "110105".into(),
                name_zh: "朝阳区".into(),
                name_en: "Chaoyang".into(),
                postcode: "100020".into(),
                places: vec![GazetteerPlace {
                    name_zh: "建国路".into(),
                    pinyin: vec!["jian".into(), "guo".into(), "lu".into()],
                }],
            }],
        }
    }

    #[test]
    fn a_gazetteer_that_breaks_the_contract_is_refused_with_the_rule() {
        let good = serde_json::to_string(&gazetteer()).unwrap();
        assert_eq!(Gazetteer::parse(&good).unwrap(), gazetteer());
        assert!(matches!(
            Gazetteer::parse("{\"city_zh\": 1}"),
            Err(GazetteerError::Json(_))
        ));
        let broken: [fn(&mut Gazetteer); 7] = [
            |g| {
                g.districts[0].places[0]
                    .pinyin
                    .pop()
                    .map(drop)
                    .unwrap_or(())
            },
            |g| g.districts[0].places[0].pinyin[0] = "Jian".into(),
            |g| g.districts[0].code = "11010".into(),
            |g| g.districts[0].postcode = "1000x0".into(),
            |g| g.districts[0].places[0].name_zh = "建<b>".into(),
            |g| g.districts.push(g.districts[0].clone()),
            |g| g.districts.clear(),
        ];
        for (i, breaks) in broken.iter().enumerate() {
            let mut g = gazetteer();
            breaks(&mut g);
            let body = serde_json::to_string(&g).unwrap();
            assert!(
                matches!(Gazetteer::parse(&body), Err(GazetteerError::Broken(_))),
                "case {i}"
            );
        }
    }

    #[test]
    fn a_post_address_is_plain_and_not_too_long() {
        assert!(is_post_address("北京市朝阳区建国路88号2号楼301室"));
        assert!(!is_post_address(" "));
        assert!(!is_post_address("北京\n市"));
        assert!(!is_post_address("北京\u{200b}市"));
        assert!(!is_post_address(&"路".repeat(MAX_POST_ADDRESS_CHARS + 1)));
    }

    #[test]
    fn debug_hides_the_applicant() {
        let a = Application {
            matter: "LR01".into(),
            holder: "ab".repeat(32),
            masked_id: "510107********4228".into(),
            name: "赵秀英".into(),
            sex: "女".into(),
            nation: "汉".into(),
            birth: NaiveDate::from_ymd_opt(1955, 10, 8).unwrap(),
            address: "成都市".into(),
            fields: vec![("mobile".into(), "13800138000".into())],
            mobile: "13800138000".into(),
            delivery: Delivery::Window,
            post_address: None,
            card_parts: [0, 1],
            materials: vec![],
            parts: vec![],
            notify_sms: false,
        };
        let s = format!("{a:?}");
        for secret in ["赵秀英", "13800138000", "4228", "成都"] {
            assert!(!s.contains(secret), "{s}");
        }
    }
}
