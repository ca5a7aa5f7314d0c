//! Case-progress service: a case by number, the cases of a holder (by holder hash, never
//! an ID number), and the simulator's `POST /control/cases` to add one.

use super::{json, parse_body, Access, At, Call, Route};
use crate::api::{self, NewCase};
use crate::sim::http::Response;
use crate::sim::store::{case_progress, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[
    Route::new(
        Access::Signed,
        "GET",
        At::Path("/v1/cases"),
        cases_of_holder,
    ),
    Route::new(Access::Signed, "GET", At::Under("/v1/cases/"), case),
    Route::new(
        Access::Control,
        "POST",
        At::Path("/control/cases"),
        put_case,
    ),
];

fn cases_of_holder(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let holder = c.req.query_param("holder").unwrap_or("");
    if !api::is_holder_hash(holder) {
        return Err(ApiError::new(
            400,
            "bad_request",
            "holder must be the 64-hex-digit holder hash",
        ));
    }
    json(200, &case_progress::cases_of_holder(c.conn, holder)?)
}

fn case(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let number = c.rest;
    let found = if api::is_case_number(number) {
        case_progress::case(c.conn, number)?
    } else {
        None
    };
    match found {
        Some(case) => json(200, &case),
        None => Err(ApiError::new(
            404,
            "unknown_case",
            "no case with that number",
        )),
    }
}

fn put_case(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let new: NewCase = parse_body(c.req)?;
    if !api::is_holder_hash(&new.holder) || !api::is_case_number(&new.case.case_number) {
        return Err(ApiError::new(
            400,
            "bad_request",
            "holder must be a holder hash and case_number 1..=40 of A-Z, 0-9, -",
        ));
    }
    case_progress::put_case(c.conn, &new)?;
    json(200, &new.case)
}
