//! Applications (自助申报): a part of an application's scans
//! (`PUT /v1/application-parts/{key}/{n}?sha256=…`, the body the part's bytes) and the
//! application itself (`POST /v1/applications/{key}`), which opens one case per key; and
//! the city's postal gazetteer (`GET /v1/gazetteer`, with a content `ETag`) that a typed
//! postal address is picked from.

use chrono::Utc;
use sha2::{Digest, Sha256};

use super::{json, parse_body, to_vec, Access, At, Call, Route};
use crate::api::apply::{is_key, Application, MAX_PARTS, MAX_PART_BYTES};
use crate::api::is_holder_hash;
use crate::sim::http::Response;
use crate::sim::store::{apply, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(
        Access::Signed,
        "GET",
        At::Path("/v1/gazetteer"),
        get_gazetteer,
    ),
    Route::new(
        Access::Signed,
        "PUT",
        At::Under("/v1/application-parts/"),
        put_part,
    ),
    Route::new(
        Access::Signed,
        "POST",
        At::Under("/v1/applications/"),
        submit,
    ),
];

fn get_gazetteer(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let body = to_vec(&apply::gazetteer())?;
    // A strong etag from the content: it changes exactly when the gazetteer does.
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let matches = c.req.header("if-none-match").is_some_and(|inm| {
        inm.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag)
    });
    if matches {
        return Ok(Response::new(304, "application/json", Vec::new()).with_header("ETag", etag));
    }
    Ok(Response::new(200, "application/json", body).with_header("ETag", etag))
}

fn bad(message: &str) -> ApiError {
    ApiError::new(400, "bad_request", message.to_owned())
}

fn put_part(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let (key, n) = c
        .rest
        .split_once('/')
        .ok_or_else(|| bad("the path is /v1/application-parts/{key}/{n}"))?;
    if !is_key(key) {
        return Err(bad("the key is 8..=64 letters, digits or '-'"));
    }
    let n: u32 = n
        .parse()
        .ok()
        .filter(|n| *n < MAX_PARTS)
        .ok_or_else(|| bad("the part number is 0..40"))?;
    if c.req.body.is_empty() || c.req.body.len() > MAX_PART_BYTES {
        return Err(bad("a part is 1 byte to 4 MiB"));
    }
    let got = super::checked_digest(c.req)?;
    let kiosk = c.kiosk_id.to_owned();
    let body = c.req.body.clone();
    json(
        200,
        &apply::put_part(c.conn, &kiosk, key, n, &body, &got, Utc::now())?,
    )
}

fn submit(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let key = c.rest.to_owned();
    if !is_key(&key) {
        return Err(bad("the key is 8..=64 letters, digits or '-'"));
    }
    let app: Application = parse_body(c.req)?;
    if !is_holder_hash(&app.holder) {
        return Err(bad("holder must be the 64-hex-digit holder hash"));
    }
    if app.parts.len() > MAX_PARTS as usize {
        return Err(bad("too many parts"));
    }
    let kiosk = c.kiosk_id.to_owned();
    json(200, &apply::submit(c.conn, &kiosk, &key, &app, Utc::now())?)
}
