//! Catalog service: `GET /v1/catalog`, what the kiosk offers (the hall and its service
//! areas).

use serde::{Deserialize, Serialize};

/// The service hall a kiosk belongs to.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Hall {
    /// Stable identifier of the hall, e.g. `demo-hall`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
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
}
