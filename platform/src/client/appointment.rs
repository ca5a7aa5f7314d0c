//! Appointment service: the free slots of a matter. The booking itself travels as a
//! transaction ([`PlatformClient::upload`]) of kind
//! [`KIND_APPOINTMENT_BOOK`](crate::api::appointment::KIND_APPOINTMENT_BOOK).

use chrono::NaiveDate;

use super::{decode, ClientError, PlatformClient};
use crate::api::appointment::SlotList;

impl PlatformClient {
    /// `GET /v1/appointments/slots?matter=…[&from=YYYY-MM-DD]`: the open days and their
    /// slots with the places left. An unknown matter is `Http { status: 404, code:
    /// Some("unknown_matter") }`; a code that cannot be one is refused before sending.
    pub fn appointment_slots(
        &self,
        matter_code: &str,
        from: Option<NaiveDate>,
    ) -> Result<SlotList, ClientError> {
        if matter_code.is_empty()
            || matter_code.len() > 16
            || !matter_code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ClientError::Http {
                status: 400,
                code: Some("bad_request".to_owned()),
                message: Some("matter must be 1..=16 ASCII letters or digits".to_owned()),
                retry_after: None,
            });
        }
        let mut path = format!("/v1/appointments/slots?matter={matter_code}");
        if let Some(day) = from {
            path.push_str(&format!("&from={day}"));
        }
        decode(self.send("GET", &path, None, None, true)?)
    }
}
