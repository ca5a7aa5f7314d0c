//! The SMS gateway's read endpoint for tests and the demo: `GET /control/sms[?number=]`.

use super::{json, Access, At, Call, Route};
use crate::api::sms::SmsList;
use crate::sim::http::Response;
use crate::sim::sms;
use crate::sim::store::ApiError;

/// The gateway's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[Route::new(
    Access::Control,
    "GET",
    At::Path("/control/sms"),
    messages,
)];

/// The messages to `number=`, or every message (the demo panel's "last SMS") without it.
fn messages(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let number = c.req.query_param("number").filter(|n| !n.is_empty());
    json(
        200,
        &SmsList {
            messages: sms::messages(c.conn, number)?,
        },
    )
}
