//! Sample forms (样表机): the hall's library of forms, each with its blank and filled-in
//! sample pages, and the fields a kiosk may pre-fill from the ID card.
//!
//! `GET /v1/forms` is the library with a content `ETag` (the kiosk keeps it and browses
//! offline); `GET /v1/forms/{id}/{blank|sample}/{page}.png` is one page image; the public
//! `/m/forms/{id}` is the page a citizen's phone opens from the kiosk's QR code.

use serde::{Deserialize, Serialize};

/// Most pages a form may have (the viewer and the print job are sized for it).
pub const MAX_PAGES: u8 = 6;

/// The whole library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormLibrary {
    /// The departments, in the order the kiosk lists them.
    pub departments: Vec<Department>,
    /// Every form.
    pub forms: Vec<SampleForm>,
}

/// A department that takes forms (公安, 民政, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Short stable code (`ps`, `ca`, …), what [`SampleForm::department`] names.
    pub code: String,
    /// Chinese name (`公安`).
    pub name_zh: String,
    /// English name (`Public security`).
    pub name_en: String,
}

/// One form of the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleForm {
    /// Stable id (`F0001`): letters and digits only, so it is safe in a path.
    pub id: String,
    /// Chinese name (`居住证申请表`).
    pub name_zh: String,
    /// The pinyin of each character of [`Self::name_zh`], lower case without tones, one
    /// syllable per character (`["ju", "zhu", "zheng", …]`).
    pub pinyin: Vec<String>,
    /// The department's [`Department::code`].
    pub department: String,
    /// Number of pages, `1..=MAX_PAGES`.
    pub pages: u8,
    /// The form's fields, top to bottom of its first page.
    pub fields: Vec<FormField>,
}

/// One box of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    /// Its label (`姓名`).
    pub label_zh: String,
    /// The ID card's field that fills it, when the card has it.
    #[serde(default)]
    pub card: Option<CardField>,
    /// Height of the box in lines (an address or a reason gets more than one).
    pub lines: u8,
}

/// A field of the resident ID card a form can be pre-filled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardField {
    /// 姓名.
    Name,
    /// 性别.
    Sex,
    /// 民族.
    Nation,
    /// 出生日期.
    Birth,
    /// 住址.
    Address,
    /// 公民身份号码.
    IdNumber,
}

/// Which picture of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    /// The form as it is handed out.
    Blank,
    /// The form filled in as an example (填写示例).
    Sample,
}

impl PageKind {
    /// Its name in paths.
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Blank => "blank",
            PageKind::Sample => "sample",
        }
    }

    /// The kind a path names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "blank" => Some(PageKind::Blank),
            "sample" => Some(PageKind::Sample),
            _ => None,
        }
    }
}

/// Size of every page image: A4's proportion at 150 dpi.
pub const PAGE_WIDTH: u32 = 1240;
/// See [`PAGE_WIDTH`].
pub const PAGE_HEIGHT: u32 = 1754;

/// The path of a page image (`page` counts from 1).
pub fn page_path(form_id: &str, kind: PageKind, page: u8) -> String {
    format!("/v1/forms/{form_id}/{}/{page}.png", kind.as_str())
}

/// The path of the page a phone opens for a form (what the kiosk's QR code holds, after the
/// platform's public base URL).
pub fn phone_path(form_id: &str) -> String {
    format!("/m/forms/{form_id}")
}

/// Whether `id` has the shape of a form id (so it may go into a path).
pub fn is_form_id(id: &str) -> bool {
    (2..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl FormLibrary {
    /// Whether the library keeps the contract's promises: unique well-formed ids, one pinyin
    /// syllable of `a-z` per character, a known department, 1..=[`MAX_PAGES`] pages. A
    /// library that does not is refused whole rather than shown half-right.
    pub fn is_consistent(&self) -> bool {
        let mut ids = std::collections::HashSet::new();
        self.forms.iter().all(|f| {
            ids.insert(f.id.as_str())
                && is_form_id(&f.id)
                && f.name_zh.chars().count() == f.pinyin.len()
                && f.pinyin
                    .iter()
                    .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase()))
                && (1..=MAX_PAGES).contains(&f.pages)
                && self.departments.iter().any(|d| d.code == f.department)
                && f.fields.iter().all(|x| (1..=6).contains(&x.lines))
        })
    }

    /// The form with that id.
    pub fn form(&self, id: &str) -> Option<&SampleForm> {
        self.forms.iter().find(|f| f.id == id)
    }

    /// The department with that code.
    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib() -> FormLibrary {
        FormLibrary {
            departments: vec![Department {
                code: "ps".into(),
                name_zh: "公安".into(),
                name_en: "Public security".into(),
            }],
            forms: vec![SampleForm {
                id: "F0001".into(),
                name_zh: "居住证".into(),
                pinyin: vec!["ju".into(), "zhu".into(), "zheng".into()],
                department: "ps".into(),
                pages: 1,
                fields: vec![FormField {
                    label_zh: "姓名".into(),
                    card: Some(CardField::Name),
                    lines: 1,
                }],
            }],
        }
    }

    #[test]
    fn consistency_refuses_a_short_pinyin_an_unknown_department_and_a_bad_id() {
        assert!(lib().is_consistent());
        let mut l = lib();
        l.forms[0].pinyin.pop();
        assert!(!l.is_consistent());
        let mut l = lib();
        l.forms[0].department = "xx".into();
        assert!(!l.is_consistent());
        let mut l = lib();
        l.forms[0].id = "../x".into();
        assert!(!l.is_consistent());
        let mut l = lib();
        l.forms[0].pages = 0;
        assert!(!l.is_consistent());
    }

    #[test]
    fn paths_and_kinds() {
        assert_eq!(
            page_path("F0001", PageKind::Sample, 2),
            "/v1/forms/F0001/sample/2.png"
        );
        assert_eq!(phone_path("F0001"), "/m/forms/F0001");
        assert_eq!(PageKind::parse("blank"), Some(PageKind::Blank));
        assert_eq!(PageKind::parse("x"), None);
        let json = serde_json::to_string(&CardField::IdNumber).unwrap();
        assert_eq!(json, "\"id_number\"");
    }
}
