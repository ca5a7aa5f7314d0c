//! Personal documents: the holder's list and one document, both by holder hash (never an
//! ID number). A document that is not the holder's answers as unknown.

use super::{json, Access, At, Call, Route};
use crate::api::{self, personal_documents::is_document_id};
use crate::sim::http::Response;
use crate::sim::store::{personal_documents, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(Access::Signed, "GET", At::Path("/v1/documents"), of_holder),
    Route::new(Access::Signed, "GET", At::Under("/v1/documents/"), document),
];

fn holder<'a>(c: &Call<'a>) -> Result<&'a str, ApiError> {
    let holder = c.req.query_param("holder").unwrap_or("");
    if api::is_holder_hash(holder) {
        Ok(holder)
    } else {
        Err(ApiError::new(
            400,
            "bad_request",
            "holder must be the 64-hex-digit holder hash",
        ))
    }
}

fn of_holder(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let holder = holder(c)?;
    json(200, &personal_documents::of_holder(c.conn, holder)?)
}

fn document(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let holder = holder(c)?;
    let found = if is_document_id(c.rest) {
        personal_documents::document(c.conn, c.rest, holder)?
    } else {
        None
    };
    match found {
        Some(d) => json(200, &d),
        None => Err(ApiError::new(
            404,
            "unknown_document",
            "no such document for this holder",
        )),
    }
}
