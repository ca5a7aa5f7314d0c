//! Personal documents (个人空间 / 电子证照): the documents the platform keeps for a
//! citizen — electronic licences (居住证, 结婚证, 机动车驾驶证, …) and certificates issued
//! earlier (个人参保证明, …). `GET /v1/documents?holder=…` lists them (kind, issuer, date);
//! `GET /v1/documents/{id}?holder=…` gives one in full.
//!
//! An electronic licence is structured data, not a picture: its common fields (holder,
//! number, issuer, dates) are named members, its kind-specific fields a list of
//! [`DocumentField`]s that each carry their own labels. The kiosk draws a kind it has a
//! template for with that template, and any other kind as a table of those labelled
//! fields, so a kind added on the platform later still prints readably.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What sort of document.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum DocumentCategory {
    /// An electronic licence (电子证照): issued once, valid for a time.
    Licence,
    /// A certificate printed earlier (证明), kept as issued.
    Certificate,
}

/// One document in the holder's list: enough to choose it (no personal data).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    /// The platform's id of the document (`DL-…`); 1..=40 ASCII letters, digits, hyphens.
    pub id: String,
    /// Licence or certificate.
    pub category: DocumentCategory,
    /// Machine kind, snake_case (`driving_licence`, `residence_permit`, …): picks the
    /// kiosk's template. Open-ended: an unknown kind is still a document.
    pub kind: String,
    /// Title in Chinese, as printed (`机动车驾驶证`).
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// Issuing authority, Chinese.
    pub issuer_zh: String,
    /// Issuing authority, English.
    pub issuer_en: String,
    /// Date of issue (hall-local).
    pub issued_on: NaiveDate,
    /// Last day of validity; `None` for no end (长期) or not applicable.
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// `GET /v1/documents?holder=…` response: newest first; empty when the platform keeps
/// nothing for the holder.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct DocumentList {
    /// The holder's documents.
    pub documents: Vec<DocumentSummary>,
}

/// One kind-specific field of a document, with its own labels so that any kind can be
/// printed as a table.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct DocumentField {
    /// Machine key, snake_case (`vehicle_class`): what a template looks for.
    pub key: String,
    /// Label in Chinese (`准驾车型`).
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
    /// The value as printed (may be personal: a spouse's name, an address).
    pub value: String,
}

impl fmt::Debug for DocumentField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentField")
            .field("key", &self.key)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// `GET /v1/documents/{id}?holder=…` response: the document in full.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Document {
    /// What the list shows.
    #[serde(flatten)]
    pub summary: DocumentSummary,
    /// The document's own number (证照编号; a certificate's case number). For some kinds
    /// it is the holder's ID number (a driving licence's number is): the kiosk masks it
    /// like the ID number then.
    pub number: String,
    /// First day of validity, when the document says one.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// The holder's name as on the document.
    pub holder_name: String,
    /// The holder's ID number as on the document, in full: the kiosk masks it (first 6,
    /// last 4) before it reaches a screen or paper.
    pub holder_id_number: String,
    /// Kind-specific fields, in the document's order.
    #[serde(default)]
    pub fields: Vec<DocumentField>,
    /// A certificate's body paragraphs (Chinese); empty for licences.
    #[serde(default)]
    pub body_zh: Vec<String>,
    /// A certificate's table (first row the header); empty for none.
    #[serde(default)]
    pub table: Vec<Vec<String>>,
}

impl fmt::Debug for Document {
    // Name, ID number and field values are personal: logs get the kind and id only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("id", &self.summary.id)
            .field("kind", &self.summary.kind)
            .field("fields", &self.fields.len())
            .finish_non_exhaustive()
    }
}

/// Whether `s` can be a document id: 1..=40 ASCII letters, digits and hyphens. Anything
/// else is never one, so the client does not ask.
pub fn is_document_id(s: &str) -> bool {
    (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The simulator's `POST /control/documents` body and its seed: a document and whose it is.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// The holder's [`holder_hash`](crate::api::holder_hash).
    pub holder: String,
    /// The document.
    pub document: Document,
}

impl fmt::Debug for NewDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDocument")
            .field("holder", &"<redacted>")
            .field("document", &self.document)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        Document {
            summary: DocumentSummary {
                id: "DL-1".into(),
                category: DocumentCategory::Licence,
                kind: "driving_licence".into(),
                title_zh: "机动车驾驶证".into(),
                title_en: "Driving licence".into(),
                issuer_zh: "示范市公安局交通警察支队".into(),
                issuer_en: "Traffic police".into(),
                issued_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                valid_until: None,
            },
            number: "110101198503120017".into(),
            valid_from: None,
            holder_name: "张伟".into(),
            holder_id_number: "110101198503120017".into(),
            fields: vec![DocumentField {
                key: "address".into(),
                label_zh: "住址".into(),
                label_en: "Address".into(),
                value: "北京市东城区".into(),
            }],
            body_zh: vec![],
            table: vec![],
        }
    }

    #[test]
    fn the_summary_is_flat_in_the_json_and_debug_hides_the_holder() {
        let d = sample();
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["kind"], "driving_licence");
        assert_eq!(json["category"], "licence");
        assert_eq!(json["issued_on"], "2026-03-02");
        let back: Document = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
        let dbg = format!("{d:?} {:?}", d.fields[0]);
        assert!(
            !dbg.contains("张伟") && !dbg.contains("1101011985") && !dbg.contains("东城"),
            "{dbg}"
        );
        assert!(is_document_id("DL-20260302-0001") && !is_document_id("a/b"));
    }
}
