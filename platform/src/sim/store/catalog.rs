//! Catalog service: the hall and its service areas (seeded by migration 1), where each
//! area is and the hall's notices (migration 21), where the hall's service desk is
//! (migration 22).

use rusqlite::{Connection, OptionalExtension};

use super::ApiError;
use crate::api::{Catalog, Hall, HallNotice, ServiceArea};

/// The areas in catalog order.
pub(crate) fn areas(conn: &Connection) -> rusqlite::Result<Vec<ServiceArea>> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, name_zh, name_en, description_zh, description_en, location_zh,
                location_en
         FROM areas ORDER BY position, code",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ServiceArea {
            code: r.get(0)?,
            name_zh: r.get(1)?,
            name_en: r.get(2)?,
            description_zh: r.get(3)?,
            description_en: r.get(4)?,
            location_zh: r.get(5)?,
            location_en: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// Where each area of the demo hall is, and the hall's notices.
pub(crate) const MIGRATION_21: &str = r#"
    ALTER TABLE areas ADD COLUMN location_zh TEXT NOT NULL DEFAULT '';
    ALTER TABLE areas ADD COLUMN location_en TEXT NOT NULL DEFAULT '';
    UPDATE areas SET location_zh = '一楼 1–6 号窗口', location_en = 'Floor 1, windows 1–6'
        WHERE code = 'A';
    UPDATE areas SET location_zh = '二楼 7–10 号窗口', location_en = 'Floor 2, windows 7–10'
        WHERE code = 'B';
    UPDATE areas SET location_zh = '一楼 11–14 号窗口', location_en = 'Floor 1, windows 11–14'
        WHERE code = 'C';
    UPDATE areas SET location_zh = '三楼 15–18 号窗口', location_en = 'Floor 3, windows 15–18'
        WHERE code = 'D';
    CREATE TABLE hall_notices (
        position INTEGER PRIMARY KEY,
        text_zh  TEXT NOT NULL,
        text_en  TEXT NOT NULL
    );
    INSERT INTO hall_notices (position, text_zh, text_en) VALUES
        (1, '大厅办公时间：周一至周五 9:00–17:00，周六 9:00–12:00；自助机 24 小时开放',
         'Hall hours: Mon–Fri 9:00–17:00, Sat 9:00–12:00; the kiosks are open 24 hours'),
        (2, '不动产登记窗口午间 12:00–13:30 暂停受理，其他窗口正常办理',
         'Real estate registration pauses 12:00–13:30; the other windows stay open'),
        (3, '办理社保医保事项，请携带居民身份证原件',
         'For social and medical insurance, please bring your ID card');
"#;

/// Where the demo hall's service desk is.
pub(crate) const MIGRATION_22: &str = r#"
    ALTER TABLE hall ADD COLUMN desk_zh TEXT NOT NULL DEFAULT '';
    ALTER TABLE hall ADD COLUMN desk_en TEXT NOT NULL DEFAULT '';
    UPDATE hall SET desk_zh = '一楼大厅入口右侧服务台',
                    desk_en = 'the service desk, right of the hall entrance, ground floor';
"#;

/// The hall's notices in order.
fn notices(conn: &Connection) -> rusqlite::Result<Vec<HallNotice>> {
    let mut stmt =
        conn.prepare_cached("SELECT text_zh, text_en FROM hall_notices ORDER BY position")?;
    let rows = stmt.query_map([], |r| {
        Ok(HallNotice {
            text_zh: r.get(0)?,
            text_en: r.get(1)?,
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
        .query_row(
            "SELECT code, name_zh, name_en, desk_zh, desk_en FROM hall LIMIT 1",
            [],
            |r| {
                Ok(Hall {
                    code: r.get(0)?,
                    name_zh: r.get(1)?,
                    name_en: r.get(2)?,
                    desk_zh: r.get(3)?,
                    desk_en: r.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| ApiError::new(500, "internal", "no hall configured"))?;
    Ok(Catalog {
        version,
        hall,
        areas: areas(conn)?,
        matters: super::appointment::matters(conn)?,
        certificate_kinds: super::certificate::offers(conn)?,
        apply_matters: super::apply::matters(conn)?,
        notices: notices(conn)?,
    })
}
