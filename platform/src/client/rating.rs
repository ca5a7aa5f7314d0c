//! Rating (好差评): the operator's counts. The ratings themselves travel as transactions
//! ([`PlatformClient::upload`]).

use super::{decode, ClientError, PlatformClient};
use crate::api::rating::RatingCounts;

impl PlatformClient {
    /// `GET /v1/admin/ratings` (operator/test): ratings per service, level and reason.
    pub fn ratings(&self) -> Result<RatingCounts, ClientError> {
        decode(self.send("GET", "/v1/admin/ratings", None, None, true)?)
    }
}
