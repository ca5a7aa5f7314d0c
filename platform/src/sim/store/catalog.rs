//! Catalog service: the hall and its service areas (seeded by migration 1).

use rusqlite::{Connection, OptionalExtension};

use super::ApiError;
use crate::api::{Catalog, Hall, ServiceArea};

/// The areas in catalog order.
pub(crate) fn areas(conn: &Connection) -> rusqlite::Result<Vec<ServiceArea>> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, name_zh, name_en, description_zh, description_en
         FROM areas ORDER BY position, code",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ServiceArea {
            code: r.get(0)?,
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            description_zh: r.get(3)?,
            description_en: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Whether the catalog has an area with this code.
pub(crate) fn area_exists(conn: &Connection, code: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM areas WHERE code = ?1")?
        .exists([code])
}

/// The catalog.
pub(crate) fn catalog(conn: &Connection) -> Result<Catalog, ApiError> {
    let version: String = conn
        .query_row("SELECT v FROM meta WHERE k = 'catalog_version'", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or_default();
    let hall = conn
        .query_row("SELECT code, name_zh, name_en FROM hall LIMIT 1", [], |r| {
            Ok(Hall {
                code: r.get(0)?,
                name_zh: r.get(1)?,
                name_en: r.get(2)?,
            })
        })
        .optional()?
        .ok_or_else(|| ApiError::new(500, "internal", "no hall configured"))?;
    Ok(Catalog {
        version,
        hall,
        areas: areas(conn)?,
        matters: super::appointment::matters(conn)?,
        certificate_kinds: super::certificate::offers(conn)?,
        apply_matters: super::apply::matters(conn)?,
    })
}
