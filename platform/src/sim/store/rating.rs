//! Rating (好差评): the [`KIND_RATING`] transaction and the operator's counts.

use rusqlite::{params, Connection};

use super::{ApiError, Upload};
use crate::api::rating::{
    RatingCounts, RatingLevel, RatingReason, RatingTx, ServiceRatings, KIND_RATING,
};

/// The ratings received. Released: never edit it; a change is a new migration.
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE ratings (
        rating_id   TEXT PRIMARY KEY,
        kiosk_id    TEXT NOT NULL,
        service     TEXT NOT NULL,
        case_number TEXT,
        level       TEXT NOT NULL,
        reasons     TEXT NOT NULL,
        rated_at    TEXT NOT NULL
    );
    CREATE INDEX ratings_by_service ON ratings (service);
    "#;

/// Stores a [`KIND_RATING`] transaction (see [`super::StoreKind`]).
pub(crate) fn store(
    conn: &Connection,
    upload: &Upload<'_>,
    payload: &serde_json::Value,
) -> rusqlite::Result<Result<(), String>> {
    let rating: RatingTx = match super::payload(KIND_RATING, payload) {
        Ok(r) => r,
        Err(reason) => return Ok(Err(reason)),
    };
    if let Some(problem) = rating.problem() {
        return Ok(Err(problem));
    }
    let taken = conn
        .prepare_cached("SELECT 1 FROM ratings WHERE rating_id = ?1")?
        .exists([&rating.rating_id])?;
    if taken {
        return Ok(Err(
            "rating_id already used by another transaction".to_owned()
        ));
    }
    let level = serde_json::to_value(rating.level)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let reasons = serde_json::to_string(&rating.reasons).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(
        "INSERT INTO ratings (rating_id, kiosk_id, service, case_number, level, reasons, rated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        rating.rating_id,
        upload.kiosk_id,
        rating.service,
        rating.case_number,
        level,
        reasons,
        rating.rated_at.to_rfc3339()
    ])?;
    Ok(Ok(()))
}

/// Counts per service, level and reason.
pub(crate) fn counts(conn: &Connection) -> Result<RatingCounts, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT service, level, reasons, case_number IS NOT NULL FROM ratings ORDER BY service",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, bool>(3)?,
        ))
    })?;
    let mut out = RatingCounts::default();
    for row in rows {
        let (service, level, reasons, with_case) = row?;
        if out.services.last().map(|s| &s.service) != Some(&service) {
            out.services.push(ServiceRatings {
                service: service.clone(),
                ..ServiceRatings::default()
            });
        }
        let Some(s) = out.services.last_mut() else {
            continue;
        };
        s.total += 1;
        s.with_case += u64::from(with_case);
        // Only what `store` wrote is here, so both parse; a row that did not would be
        // counted in `total` alone rather than fail the whole report.
        if let Ok(level) = serde_json::from_value::<RatingLevel>(level.into()) {
            *s.levels.entry(level).or_default() += 1;
        }
        for reason in serde_json::from_str::<Vec<RatingReason>>(&reasons).unwrap_or_default() {
            *s.reasons.entry(reason).or_default() += 1;
        }
    }
    Ok(out)
}
