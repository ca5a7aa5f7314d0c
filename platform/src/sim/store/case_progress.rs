//! Case-progress service: citizens' cases, keyed by number and by the holder's
//! [`holder_hash`](crate::api::holder_hash).

use rusqlite::{params, Connection, OptionalExtension};

use super::ApiError;
use crate::api::{CaseList, CaseProgress, NewCase};

/// Migration 3: citizens' cases (progress lookup), keyed by number and by the holder's
/// hash.
/// Released: never edit it; a change is a new migration in `super::MIGRATIONS`.
pub(crate) const MIGRATION_3: &str = r#"
    CREATE TABLE cases (
        case_number TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        body        TEXT NOT NULL
    );
    CREATE INDEX cases_by_holder ON cases (holder, updated_at);
    "#;

/// Stores a case (replacing one with the same number).
pub(crate) fn put_case(conn: &Connection, new: &NewCase) -> Result<(), ApiError> {
    let body = serde_json::to_string(&new.case)
        .map_err(|_| ApiError::new(500, "internal", "serialisation failed"))?;
    conn.execute(
        "INSERT INTO cases (case_number, holder, updated_at, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (case_number) DO UPDATE
         SET holder = excluded.holder, updated_at = excluded.updated_at, body = excluded.body",
        params![
            new.case.case_number.to_ascii_uppercase(),
            new.holder.to_ascii_lowercase(),
            new.case.updated_at.to_rfc3339(),
            body
        ],
    )?;
    Ok(())
}

/// Stores a case only when its number is not there yet (seeding at start).
pub(crate) fn seed_case(conn: &Connection, new: &NewCase) -> Result<(), ApiError> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM cases WHERE case_number = ?1")?
        .exists([new.case.case_number.to_ascii_uppercase()])?;
    if !exists {
        put_case(conn, new)?;
    }
    Ok(())
}

fn decode_case(body: &str) -> Result<CaseProgress, ApiError> {
    serde_json::from_str(body).map_err(|_| ApiError::new(500, "internal", "stored case unreadable"))
}

/// One case by number (case-insensitive), `None` if unknown.
pub(crate) fn case(conn: &Connection, case_number: &str) -> Result<Option<CaseProgress>, ApiError> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM cases WHERE case_number = ?1")?
        .query_row([case_number.to_ascii_uppercase()], |r| r.get(0))
        .optional()?;
    body.as_deref().map(decode_case).transpose()
}

/// The cases of a holder (by [`crate::api::holder_hash`]), newest change first.
pub(crate) fn cases_of_holder(conn: &Connection, holder: &str) -> Result<CaseList, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM cases WHERE holder = ?1 ORDER BY updated_at DESC, case_number",
    )?;
    let rows = stmt.query_map([holder.to_ascii_lowercase()], |r| r.get::<_, String>(0))?;
    let mut cases = Vec::new();
    for row in rows {
        cases.push(decode_case(&row?)?);
    }
    Ok(CaseList { cases })
}
