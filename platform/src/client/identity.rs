//! Identification without the card: the SMS code for a typed ID number (by holder hash)
//! and the electronic-ID code's check.

use super::{ClientError, PlatformClient};
use crate::api::identity::{
    is_sms_code, EidCheck, EidChecked, SmsCodeCheck, SmsCodeChecked, SmsCodeRequest, SmsCodeSent,
};
use crate::api::is_holder_hash;

fn refused(message: &str) -> ClientError {
    ClientError::Http {
        status: 400,
        code: Some("bad_request".to_owned()),
        message: Some(message.to_owned()),
        retry_after: None,
    }
}

impl PlatformClient {
    /// `POST /v1/identity/sms`: asks the platform to send a code to the phone it has on
    /// file for `holder`. A holder that is not a holder hash is refused before sending (it
    /// might be a raw ID number).
    pub fn send_sms_code(&self, holder: &str) -> Result<SmsCodeSent, ClientError> {
        if !is_holder_hash(holder) {
            return Err(refused("holder must be the 64-hex-digit holder hash"));
        }
        self.post_json(
            "/v1/identity/sms",
            &SmsCodeRequest {
                holder: holder.to_ascii_lowercase(),
            },
        )
    }

    /// `POST /v1/identity/sms/verify`: the code the citizen typed.
    pub fn check_sms_code(&self, holder: &str, code: &str) -> Result<SmsCodeChecked, ClientError> {
        if !is_holder_hash(holder) {
            return Err(refused("holder must be the 64-hex-digit holder hash"));
        }
        if !is_sms_code(code) {
            return Err(refused("code must be 6 digits"));
        }
        self.post_json(
            "/v1/identity/sms/verify",
            &SmsCodeCheck {
                holder: holder.to_ascii_lowercase(),
                code: code.to_owned(),
            },
        )
    }

    /// `POST /v1/identity/eid/verify`: an electronic-ID code's token
    /// ([`crate::codes::parse_eid_code`]).
    pub fn check_eid_code(&self, token: &str) -> Result<EidChecked, ClientError> {
        self.post_json(
            "/v1/identity/eid/verify",
            &EidCheck {
                token: token.to_owned(),
            },
        )
    }
}
