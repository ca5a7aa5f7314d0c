//! Appointment service: the free slots of a matter. The booking itself travels as a
//! transaction ([`PlatformClient::upload`]) of kind
//! [`KIND_APPOINTMENT_BOOK`](crate::api::appointment::KIND_APPOINTMENT_BOOK).

use chrono::NaiveDate;

use super::{decode, ClientError, PlatformClient};
use crate::api::appointment::{
    AppointmentNotice, AppointmentNotices, CheckInAnswer, CheckInRequest, HolderAppointment,
    HolderAppointments, NoticesMarked, NoticesSeen, SlotList,
};
use crate::api::is_holder_hash;

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

    /// `GET /v1/appointments?holder=…`: the confirmed upcoming appointments of the holder
    /// whose [`holder_hash`](crate::api::holder_hash) is given (never a raw ID number).
    pub fn appointments_of_holder(
        &self,
        holder_hash: &str,
    ) -> Result<Vec<HolderAppointment>, ClientError> {
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
            "/v1/appointments?holder={}",
            holder_hash.to_ascii_lowercase()
        );
        let list: HolderAppointments = decode(self.send("GET", &path, None, None, true)?)?;
        Ok(list.appointments)
    }

    /// `POST /v1/appointments/check-in`: the platform's answer for the day
    /// (a priority ticket, or why not). An unknown booking is `Http { status: 404, code:
    /// Some("unknown_booking") }`; an id that is not a UUID is refused before sending.
    pub fn check_in(&self, booking_id: &str) -> Result<CheckInAnswer, ClientError> {
        let Ok(id) = uuid::Uuid::parse_str(booking_id) else {
            return Err(bad_request("booking_id must be a UUID"));
        };
        let req = CheckInRequest {
            booking_id: id.hyphenated().to_string(),
        };
        self.post_json("/v1/appointments/check-in", &req)
    }

    /// `GET /v1/appointments/notices?holder=…`: the holder's answers to booking requests
    /// not yet shown to them.
    pub fn appointment_notices(
        &self,
        holder_hash: &str,
    ) -> Result<Vec<AppointmentNotice>, ClientError> {
        if !is_holder_hash(holder_hash) {
            return Err(bad_request("holder must be the 64-hex-digit holder hash"));
        }
        let path = format!(
            "/v1/appointments/notices?holder={}",
            holder_hash.to_ascii_lowercase()
        );
        let list: AppointmentNotices = decode(self.send("GET", &path, None, None, true)?)?;
        Ok(list.notices)
    }

    /// `POST /v1/appointments/notices/seen`: the citizen was told; returns how many were
    /// marked now (0 when they were already).
    pub fn appointment_notices_seen(&self, seen: &NoticesSeen) -> Result<u32, ClientError> {
        if !is_holder_hash(&seen.holder) {
            return Err(bad_request("holder must be the 64-hex-digit holder hash"));
        }
        let marked: NoticesMarked = self.post_json("/v1/appointments/notices/seen", seen)?;
        Ok(marked.marked)
    }
}

fn bad_request(message: &str) -> ClientError {
    ClientError::Http {
        status: 400,
        code: Some("bad_request".to_owned()),
        message: Some(message.to_owned()),
        retry_after: None,
    }
}
