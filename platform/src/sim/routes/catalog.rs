//! Catalog service: `GET /v1/catalog` with a content `ETag`.

use sha2::{Digest, Sha256};

use super::{to_vec, Access, At, Call, Route};
use crate::sim::http::Response;
use crate::sim::store::{catalog, ApiError};

/// This service's endpoints (listed in [`super::TABLE`]).
pub(super) const ROUTES: &[Route] = &[Route::new(
    Access::Signed,
    "GET",
    At::Path("/v1/catalog"),
    get_catalog,
)];

fn get_catalog(c: &mut Call<'_>) -> Result<Response, ApiError> {
    let catalog = catalog::catalog(c.conn)?;
    let body = to_vec(&catalog)?;
    // A strong etag from the content itself: it changes exactly when the
    // catalog does, across restarts too.
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    if c.req
        .header("if-none-match")
        .is_some_and(|inm| etag_matches(inm, &etag))
    {
        return Ok(Response::new(304, "application/json", Vec::new()).with_header("ETag", etag));
    }
    Ok(Response::new(200, "application/json", body).with_header("ETag", etag))
}

fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("W/\"abc\", \"x\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
    }
}
