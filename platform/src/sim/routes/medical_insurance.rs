//! Medical insurance service: a card holder's account, by holder hash (never an ID
//! number).

use chrono::Utc;

use super::{json, Access, At, Call, Route};
use crate::api::{self, medical_insurance::UNKNOWN_HOLDER};
use crate::sim::http::Response;
use crate::sim::store::{medical_insurance, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[Route::new(
    Access::Signed,
    "GET",
    At::Path("/v1/medical-insurance"),
    account,
)];

fn account(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let holder = c.req.query_param("holder").unwrap_or("");
    if !api::is_holder_hash(holder) {
        return Err(ApiError::new(
            400,
            "bad_request",
            "holder must be the 64-hex-digit holder hash",
        ));
    }
    let today = api::hall_service_day(Utc::now());
    match medical_insurance::account(holder, today) {
        Some(account) => json(200, &account),
        None => Err(ApiError::new(
            404,
            UNKNOWN_HOLDER,
            "no medical-insurance record for that holder",
        )),
    }
}
