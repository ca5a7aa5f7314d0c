//! Applications (自助申报): a part of the scans (`PUT /v1/application-parts/{key}/{n}`),
//! then the application (`POST /v1/applications/{key}`), both idempotent under the key.

use super::{decode, ClientError, PlatformClient};
use crate::api::apply::{digest, Application, PartReceipt, Submitted};

impl PlatformClient {
    /// `PUT /v1/application-parts/{key}/{n}?sha256=…`: sends one part. The answer's digest
    /// is checked against what was sent; another is a platform breaking the contract.
    pub fn put_application_part(
        &self,
        key: &str,
        n: u32,
        bytes: Vec<u8>,
    ) -> Result<PartReceipt, ClientError> {
        let sha = digest(&bytes);
        let path = format!("/v1/application-parts/{key}/{n}?sha256={sha}");
        let receipt: PartReceipt = decode(self.send("PUT", &path, Some(bytes), None, true)?)?;
        if receipt.part != n || !receipt.sha256.eq_ignore_ascii_case(&sha) {
            return Err(ClientError::Decode(format!(
                "part {n} acknowledged with another digest"
            )));
        }
        Ok(receipt)
    }

    /// `POST /v1/applications/{key}`: submits the application whose parts have all been
    /// acknowledged; the same key always answers the same case.
    pub fn submit_application(
        &self,
        key: &str,
        application: &Application,
    ) -> Result<Submitted, ClientError> {
        self.post_json(&format!("/v1/applications/{key}"), application)
    }
}
