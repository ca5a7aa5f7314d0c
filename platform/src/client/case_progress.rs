//! Case-progress service: a case by number, or the cases of an ID-card holder by
//! [`holder_hash`](crate::api::holder_hash).

use super::{decode, ClientError, PlatformClient};
use crate::api::{is_case_number, is_holder_hash, CaseList, CaseProgress};

impl PlatformClient {
    /// `GET /v1/cases/{case_number}`: a citizen's case and its progress; `None` when the
    /// platform knows no such case (404 `unknown_case`), or when `case_number` cannot be
    /// one (not 1..=40 ASCII letters, digits, hyphens: nothing is sent then).
    pub fn case_progress(&self, case_number: &str) -> Result<Option<CaseProgress>, ClientError> {
        let number = case_number.trim();
        if !is_case_number(number) {
            return Ok(None);
        }
        let path = format!("/v1/cases/{}", number.to_ascii_uppercase());
        match self.send("GET", &path, None, None, true) {
            Ok(reply) => decode(reply).map(Some),
            Err(ClientError::Http {
                status: 404,
                code: Some(code),
                ..
            }) if code == "unknown_case" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/cases?holder=…`: the cases of the holder whose
    /// [`holder_hash`](crate::api::holder_hash) is given (never a raw ID number), newest
    /// change first; empty when none.
    pub fn cases_of_holder(&self, holder_hash: &str) -> Result<Vec<CaseProgress>, ClientError> {
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
        let path = format!("/v1/cases?holder={}", holder_hash.to_ascii_lowercase());
        let list: CaseList = decode(self.send("GET", &path, None, None, true)?)?;
        Ok(list.cases)
    }
}
