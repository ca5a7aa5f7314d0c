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
