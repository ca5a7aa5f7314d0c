//! The kiosk's answer to the platform's `upload_bundle` command: the diagnostic bundle,
//! sent with `PUT /v1/diagnostic-bundles/{command_id}` (docs/platform-api.md).

use super::{decode, ClientError, PlatformClient};
use crate::api::commands::BundleReceipt;

impl PlatformClient {
    /// `PUT /v1/diagnostic-bundles/{command_id}?sha256=…`: answers an `upload_bundle`
    /// command with the bundle (a zip). The answer's digest is checked against what was
    /// sent; another is a platform breaking the contract.
    pub fn upload_bundle(
        &self,
        command_id: &str,
        zip: Vec<u8>,
    ) -> Result<BundleReceipt, ClientError> {
        let sha = crate::api::apply::digest(&zip);
        let path = format!("/v1/diagnostic-bundles/{command_id}?sha256={sha}");
        let receipt: BundleReceipt = decode(self.send("PUT", &path, Some(zip), None, true)?)?;
        if receipt.command_id != command_id || !receipt.sha256.eq_ignore_ascii_case(&sha) {
            return Err(ClientError::Decode(
                "the bundle was acknowledged with another digest".into(),
            ));
        }
        Ok(receipt)
    }
}
