//! Medical insurance service: a card holder's account by
//! [`holder_hash`](crate::api::holder_hash).

use super::{decode, ClientError, PlatformClient};
use crate::api::is_holder_hash;
use crate::api::medical_insurance::{MedicalAccount, UNKNOWN_HOLDER};

impl PlatformClient {
    /// `GET /v1/medical-insurance?holder=…`: the holder's contributions of the last twelve
    /// months, spending records and balance; `None` when the medical-insurance system has
    /// no record of the holder (404 `unknown_holder`). An answer that breaks the contract's
    /// promises ([`MedicalAccount::is_consistent`]) is an error, never shown.
    pub fn medical_account(
        &self,
        holder_hash: &str,
    ) -> Result<Option<MedicalAccount>, ClientError> {
        if !is_holder_hash(holder_hash) {
            // Refused before sending: a wrong value here might be a raw ID number, which
            // must not go into a URL.
            return Err(ClientError::Http {
                status: 400,
                code: Some("bad_request".to_owned()),
                message: Some("holder must be the 64-hex-digit holder hash".to_owned()),
                retry_after: None,
            });
        }
        let path = format!(
            "/v1/medical-insurance?holder={}",
            holder_hash.to_ascii_lowercase()
        );
        match self.send("GET", &path, None, None, true) {
            Ok(reply) => {
                let account: MedicalAccount = decode(reply)?;
                if !account.is_consistent() {
                    return Err(ClientError::Decode(
                        "medical account: months, sums or dates break the contract".to_owned(),
                    ));
                }
                Ok(Some(account))
            }
            Err(ClientError::Http {
                status: 404,
                code: Some(code),
                ..
            }) if code == UNKNOWN_HOLDER => Ok(None),
            Err(e) => Err(e),
        }
    }
}
