//! Certificate service: `POST /v1/certificates`, the holder's data for one kind of
//! certificate, issued with a case number and a signed verification URL.

use super::{ClientError, PlatformClient};
use crate::api::certificate::{CertificateRequest, IssuedCertificate};
use crate::api::is_holder_hash;

impl PlatformClient {
    /// `POST /v1/certificates`: issues a certificate of `request.kind` for the holder. No
    /// record of that kind is `Http { status: 404, code: Some("no_record") }`
    /// ([`ERROR_NO_RECORD`](crate::api::certificate::ERROR_NO_RECORD)); a holder that is
    /// not a holder hash is refused before sending (it might be a raw ID number).
    pub fn issue_certificate(
        &self,
        request: &CertificateRequest,
    ) -> Result<IssuedCertificate, ClientError> {
        if !is_holder_hash(&request.holder) {
            return Err(ClientError::Http {
                status: 400,
                code: Some("bad_request".to_owned()),
                message: Some("holder must be the 64-hex-digit holder hash".to_owned()),
                retry_after: None,
            });
        }
        self.post_json("/v1/certificates", request)
    }
}
