//! Rating (好差评): the operator's counts per service, level and reason. The ratings
//! themselves arrive as transactions, stored by `store::rating`.

use super::{json, Access, At, Call, Route};
use crate::sim::http::Response;
use crate::sim::store::rating;
use crate::sim::store::ApiError;

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[Route::new(
    Access::Signed,
    "GET",
    At::Path("/v1/admin/ratings"),
    counts,
)];

fn counts(c: &mut Call<'_>) -> Result<Response, ApiError> {
    json(200, &rating::counts(c.conn)?)
}
