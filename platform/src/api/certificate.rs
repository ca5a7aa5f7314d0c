//! Certificate service (证明打印): which kinds of certificate the hall offers (a
//! `#[serde(default)]` field of [`super::Catalog`]), `POST /v1/certificates` (the platform
//! looks up the holder's records for one kind, issues a case number and signs the
//! verification URL) and the public verification page that the certificate's QR code
//! opens (`GET /verify?case=…&d=…&sig=…`, the format of
//! [`crate::codes::verification_url`]).

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Code of the social-insurance contribution proof (个人参保证明).
pub const KIND_SOCIAL_INSURANCE: &str = "social_insurance";
/// Code of the no-housing-property proof (无住房证明).
pub const KIND_NO_HOUSING: &str = "no_housing";
/// Code of the household-register proof (户籍证明).
pub const KIND_HOUSEHOLD_REGISTER: &str = "household_register";

/// Error code of a `404` from `POST /v1/certificates`: the platform holds no record of this
/// kind for the holder (nothing to certify; the citizen is told where to ask).
pub const ERROR_NO_RECORD: &str = "no_record";
/// Error code of a `404`: the hall does not offer this kind.
pub const ERROR_UNKNOWN_KIND: &str = "unknown_kind";

/// Texts of the verification page, kept stable for the tests that read it (the phone
/// pages' browser test too): a genuine certificate.
pub const VERIFY_GENUINE_ZH: &str = "证明真实有效";
/// English of [`VERIFY_GENUINE_ZH`].
pub const VERIFY_GENUINE_EN: &str = "This certificate is genuine";
/// The page's words for a code whose signature does not verify or whose case the
/// platform never issued.
pub const VERIFY_FAILED_ZH: &str = "无法核验";
/// English of [`VERIFY_FAILED_ZH`].
pub const VERIFY_FAILED_EN: &str = "Not genuine: this code cannot be verified";

/// The verification page of a platform whose public base URL is `base`
/// (`http://host:port` → `http://host:port/verify`).
pub fn verify_page(base: &str) -> String {
    format!("{}/verify", base.trim_end_matches('/'))
}

/// A kind of certificate the hall offers, as the catalog lists it. The kiosk offers a kind
/// only when it also has a layout for it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CertificateOffer {
    /// Stable code, e.g. [`KIND_SOCIAL_INSURANCE`].
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What it is used for, Chinese (one line on the tile of the kind).
    pub use_zh: String,
    /// The same in English.
    pub use_en: String,
}

/// `POST /v1/certificates` body: issue one certificate of `kind` for the holder.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct CertificateRequest {
    /// UUID chosen by the kiosk: the same request sent again (a retry after a timeout)
    /// gets the same certificate, not a second case number.
    pub request_id: String,
    /// One of the catalog's [`CertificateOffer::code`]s.
    pub kind: String,
    /// The holder's [`holder_hash`](super::holder_hash), never the ID number.
    pub holder: String,
}

impl fmt::Debug for CertificateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateRequest")
            .field("request_id", &self.request_id)
            .field("kind", &self.kind)
            .field("holder", &"<redacted>")
            .finish()
    }
}

/// `POST /v1/certificates` response: what the certificate says, as the platform issued it.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// Case number of the issue, e.g. `SB-20261124-000042`; printed and on the receipt.
    pub case_number: String,
    /// The kind's code.
    pub kind: String,
    /// Issue date (hall time).
    pub issued_on: NaiveDate,
    /// The department that certifies, printed above the date.
    pub issuer: String,
    /// The holder's name as the platform's records have it.
    pub holder_name: String,
    /// Paragraphs of the body.
    pub body: Vec<String>,
    /// A table (first row is the header): contributions by year, the property search,
    /// the household's members; empty for none.
    pub table: Vec<Vec<String>>,
    /// The signed verification URL the QR code carries.
    pub verify_url: String,
}

impl fmt::Debug for IssuedCertificate {
    // Name, records and amounts are personal, and a case number ties a log line to a
    // person: logs get the kind and the date only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCertificate")
            .field("kind", &self.kind)
            .field("issued_on", &self.issued_on)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_holder_and_the_records() {
        let r = CertificateRequest {
            request_id: "r".into(),
            kind: KIND_NO_HOUSING.into(),
            holder: "ab".repeat(32),
        };
        assert!(!format!("{r:?}").contains("abab"));
        let c = IssuedCertificate {
            case_number: "BDC-20261124-000001".into(),
            kind: KIND_NO_HOUSING.into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            issuer: "示范市不动产登记中心".into(),
            holder_name: "张伟".into(),
            body: vec!["经查询张伟无房".into()],
            table: vec![vec!["4500".into()]],
            verify_url: "http://v/verify?case=x".into(),
        };
        let d = format!("{c:?}");
        assert!(
            !d.contains("张伟") && !d.contains("4500") && !d.contains("000001"),
            "{d}"
        );
    }
}
