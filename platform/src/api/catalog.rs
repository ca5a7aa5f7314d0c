//! Catalog service: `GET /v1/catalog`, what the kiosk offers (the hall, its service
//! areas and the matters that can be booked).

use serde::{Deserialize, Serialize};

/// The service hall a kiosk belongs to.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Hall {
    /// Stable identifier of the hall, e.g. `demo-hall`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Where the hall's service desk is, Chinese (`一楼大厅入口右侧服务台`): every error page
    /// and the call for staff send a citizen who needs help there. Absent from an older
    /// platform: empty, and the kiosk says "the hall's service desk".
    #[serde(default)]
    pub desk_zh: String,
    /// Where the service desk is, English.
    #[serde(default)]
    pub desk_en: String,
}

/// A service area (counter group) of the hall; tickets are numbered per area.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ServiceArea {
    /// One capital letter, `A`; also the prefix of the display number.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Short Chinese description of what the area handles.
    pub description_zh: String,
    /// Short English description of what the area handles.
    pub description_en: String,
    /// Where the area is in the hall, Chinese (`二楼 7–10 号窗口`): the ticket and the done
    /// page send the citizen there. Absent from an older platform: empty, not said.
    #[serde(default)]
    pub location_zh: String,
    /// Where the area is, English (`Floor 2, windows 7–10`).
    #[serde(default)]
    pub location_en: String,
}

/// A notice of the hall the attract screen shows in turn (opening hours, a closed window,
/// a holiday), in both languages.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HallNotice {
    /// Chinese text, one or two lines.
    pub text_zh: String,
    /// English text.
    pub text_en: String,
}

/// `GET /v1/catalog` response: what the kiosk offers.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Version label of the catalog content (informational; caching uses the `ETag`).
    pub version: String,
    /// The hall.
    pub hall: Hall,
    /// Areas in display order.
    pub areas: Vec<ServiceArea>,
    /// Matters a citizen can book an appointment for, in display order (absent from an
    /// older platform: none).
    #[serde(default)]
    pub matters: Vec<Matter>,
    /// Kinds of certificate the hall issues, in display order (absent from an older
    /// platform: none).
    #[serde(default)]
    pub certificate_kinds: Vec<super::certificate::CertificateOffer>,
    /// Matters a citizen can apply for at the kiosk (自助申报), in display order (absent
    /// from an older platform: none).
    #[serde(default)]
    pub apply_matters: Vec<super::apply::ApplyMatter>,
    /// The hall's notices, in the order the attract screen shows them (absent from an
    /// older platform: none).
    #[serde(default)]
    pub notices: Vec<HallNotice>,
}

/// A matter (事项) of the hall, as the appointment service offers it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Matter {
    /// Stable code, e.g. `M01`.
    pub code: String,
    /// The service area that handles it (the slip says where to go).
    pub area_code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What to bring, Chinese, one item per entry.
    pub bring_zh: Vec<String>,
    /// What to bring, English, one item per entry.
    pub bring_en: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_of_an_older_platform_reads_with_nothing_said_of_what_it_lacks() {
        let json = r#"{"version":"v1","hall":{"code":"h","name_zh":"厅","name_en":"Hall"},
            "areas":[{"code":"A","name_zh":"综合","name_en":"General",
                      "description_zh":"综合","description_en":"General"}]}"#;
        let c: Catalog = serde_json::from_str(json).unwrap();
        assert_eq!((c.hall.desk_zh.as_str(), c.hall.desk_en.as_str()), ("", ""));
        assert_eq!(c.areas[0].location_zh, "");
        assert!(c.matters.is_empty() && c.notices.is_empty() && c.apply_matters.is_empty());
    }
}
