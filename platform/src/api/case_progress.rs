//! Case-progress service: a citizen's case by number (`GET /v1/cases/{case_number}`) or
//! by ID card (`GET /v1/cases?holder=…`, with [`holder_hash`], never the ID number), and
//! the simulator's `POST /control/cases` body ([`NewCase`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Pepper of [`holder_hash`]: the HMAC-SHA256 key that turns an ID number into the
/// `holder` value of `GET /v1/cases?holder=…`. Fixed and public in this contract: it keeps
/// raw ID numbers out of URLs, logs and the platform's case index, and makes the hashes
/// useless outside this API. (It is a pepper, not a secret: 18-digit ID numbers are few
/// enough to enumerate, so the hash is pseudonymisation, not anonymisation.)
pub const HOLDER_PEPPER: &str = "citizen-window/holder/v1";

/// The `holder` value for an ID number: lowercase hex HMAC-SHA256 under
/// [`HOLDER_PEPPER`] of the ID number trimmed and upper-cased (so a final `x` and `X`
/// agree). The kiosk computes it from the card it just read; the raw number never leaves
/// the kiosk.
pub fn holder_hash(id_number: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(HOLDER_PEPPER.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(id_number.trim().to_ascii_uppercase().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `s` has the shape of a [`holder_hash`] (64 hex digits).
pub fn is_holder_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `s` can be a case number: 1..=40 ASCII letters, digits and hyphens
/// (`SB-20261124-000042`). Anything else is never a case, so the client does not ask.
pub fn is_case_number(s: &str) -> bool {
    (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Where a case is (`status` of [`CaseProgress`]).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// The application was received and registered.
    Received,
    /// Being examined.
    InReview,
    /// Approved; the result is being prepared.
    Approved,
    /// The result (certificate, card, licence) waits at the pickup place.
    ReadyForPickup,
    /// Refused; see the reason.
    Rejected,
}

impl CaseStatus {
    /// Chinese label shown to citizens.
    pub fn label_zh(self) -> &'static str {
        match self {
            CaseStatus::Received => "已受理",
            CaseStatus::InReview => "审核中",
            CaseStatus::Approved => "已办结",
            CaseStatus::ReadyForPickup => "待领取",
            CaseStatus::Rejected => "未通过",
        }
    }

    /// English label shown to citizens.
    pub fn label_en(self) -> &'static str {
        match self {
            CaseStatus::Received => "Received",
            CaseStatus::InReview => "In review",
            CaseStatus::Approved => "Approved",
            CaseStatus::ReadyForPickup => "Ready for pickup",
            CaseStatus::Rejected => "Rejected",
        }
    }
}

/// One step of a case's progress, in order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CaseStep {
    /// Chinese name of the step (`受理`).
    pub name_zh: String,
    /// English name of the step (`Received`).
    pub name_en: String,
    /// When the step was completed; `null` while it is not.
    pub at: Option<DateTime<Utc>>,
    /// Whether the step is completed.
    pub done: bool,
}

/// `GET /v1/cases/{case_number}` response, and each entry of [`CaseList`]. No personal
/// data: neither the holder's name nor the ID number (the platform keys cases by
/// [`holder_hash`]).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CaseProgress {
    /// `SB-20261124-000042`.
    pub case_number: String,
    /// The matter applied for, Chinese (`社会保险参保缴费证明`).
    pub matter_zh: String,
    /// The matter applied for, English.
    pub matter_en: String,
    /// Where the case is.
    pub status: CaseStatus,
    /// Chinese label of `status` (the platform's wording).
    pub status_zh: String,
    /// English label of `status`.
    pub status_en: String,
    /// Last change of the case.
    pub updated_at: DateTime<Utc>,
    /// The steps in order, done ones first.
    pub steps: Vec<CaseStep>,
    /// Where to collect the result, Chinese; present when there is something to collect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_zh: Option<String>,
    /// Where to collect the result, English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_en: Option<String>,
    /// Why the case was refused, Chinese; present for `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_zh: Option<String>,
    /// Why the case was refused, English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_en: Option<String>,
}

/// `GET /v1/cases?holder=…` response: the holder's cases, newest change first.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CaseList {
    /// The cases (empty when the holder has none).
    pub cases: Vec<CaseProgress>,
}

/// Simulator only: `POST /control/cases` body, a case to add (or replace, by number).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// [`holder_hash`] of the holder's ID number.
    pub holder: String,
    /// The case as `GET /v1/cases/{case_number}` will return it.
    pub case: CaseProgress,
}
