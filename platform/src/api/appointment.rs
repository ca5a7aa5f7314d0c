//! Appointment service (办事预约): the free slots of a matter over the next
//! [`WORKING_DAYS`] working days (`GET /v1/appointments/slots`), the booking as a
//! [`KIND_APPOINTMENT_BOOK`] transaction, and the citizen's appointment page.
//!
//! The matters themselves (with what to bring) are in the catalog ([`super::Matter`]).

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::{mask_phone, Transaction};

/// `kind` of a [`Transaction`] whose payload is an [`AppointmentBookTx`].
pub const KIND_APPOINTMENT_BOOK: &str = "appointment.book";

/// `kind` of a [`Transaction`] whose payload is an [`AppointmentCancelTx`].
pub const KIND_APPOINTMENT_CANCEL: &str = "appointment.cancel";

/// How many working days ahead a citizen may book, counted from tomorrow.
pub const WORKING_DAYS: usize = 14;

/// Start of a refusal's reason when the slot filled up before the booking arrived.
pub const REASON_SLOT_TAKEN: &str = "slot_taken";

/// Start of a refusal's reason when the citizen already holds a booking at that time.
pub const REASON_ALREADY_BOOKED: &str = "already_booked";

/// Start of a refusal's reason when the day or time is not (or no longer) bookable.
pub const REASON_NOT_BOOKABLE: &str = "not_bookable";

/// The citizen-facing page of a booking, `{base}/appointment/{booking_id}`, which the kiosk
/// prints as a QR code. `base` is the platform's public base URL.
pub fn appointment_url(base: &str, booking_id: &str) -> String {
    format!("{}/appointment/{}", base.trim_end_matches('/'), booking_id)
}

/// One bookable time of a day.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// Hall-local start, `09:00:00`.
    pub start: NaiveTime,
    /// Hall-local end.
    pub end: NaiveTime,
    /// How many citizens the slot takes.
    pub capacity: u32,
    /// Places still free; `0` is a full slot (listed, not bookable).
    pub remaining: u32,
}

/// The slots of one open day, in time order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SlotDay {
    /// The hall-local date.
    pub date: NaiveDate,
    /// Its slots.
    pub slots: Vec<Slot>,
}

/// `GET /v1/appointments/slots?matter=…&from=…` response: the open days (weekends and
/// closed days are absent) among the next [`WORKING_DAYS`] working days.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SlotList {
    /// The matter asked for.
    pub matter_code: String,
    /// Open days, in date order.
    pub days: Vec<SlotDay>,
}

/// Payload of a [`KIND_APPOINTMENT_BOOK`] transaction: one citizen asks for one slot. The
/// transaction's idempotency key is the booking: the same request sent twice books once.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct AppointmentBookTx {
    /// UUID of the booking; also the id in the link of the slip's QR code.
    pub booking_id: String,
    /// Catalog matter.
    pub matter_code: String,
    /// Hall-local day.
    pub date: NaiveDate,
    /// Slot start (one of the day's [`Slot::start`]).
    pub start: NaiveTime,
    /// The citizen, as their holder hash ([`super::holder_hash`]); never the ID number.
    pub holder: String,
    /// Mobile number for the confirmation and the reminder SMS; personal data.
    pub phone: String,
    /// When the citizen confirmed at the kiosk.
    pub requested_at: DateTime<Utc>,
}

impl fmt::Debug for AppointmentBookTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppointmentBookTx")
            .field("booking_id", &self.booking_id)
            .field("matter_code", &self.matter_code)
            .field("date", &self.date)
            .field("start", &self.start)
            .field("holder", &"<redacted>")
            .field("phone", &mask_phone(&self.phone))
            .field("requested_at", &self.requested_at)
            .finish()
    }
}

impl Transaction {
    /// Wraps a booking into a transaction of kind [`KIND_APPOINTMENT_BOOK`].
    pub fn appointment_book(
        idempotency_key: impl Into<String>,
        created_at: DateTime<Utc>,
        booking: &AppointmentBookTx,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            idempotency_key: idempotency_key.into(),
            kind: KIND_APPOINTMENT_BOOK.to_owned(),
            created_at,
            payload: serde_json::to_value(booking)?,
        })
    }
}

/// One of a citizen's upcoming appointments, as `GET /v1/appointments?holder=` lists them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HolderAppointment {
    /// Booking UUID.
    pub booking_id: String,
    /// Matter code.
    pub matter_code: String,
    /// Hall-local day.
    pub date: NaiveDate,
    /// Slot start.
    pub start: NaiveTime,
    /// Slot end.
    pub end: NaiveTime,
}

/// `GET /v1/appointments?holder=…` response: the holder's confirmed appointments from today
/// on, soonest first; empty when none.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HolderAppointments {
    /// The appointments.
    pub appointments: Vec<HolderAppointment>,
}

/// Payload of a [`KIND_APPOINTMENT_CANCEL`] transaction: the holder gives up a booking,
/// whose place is free again.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct AppointmentCancelTx {
    /// The booking.
    pub booking_id: String,
    /// The citizen's holder hash: only the holder may cancel.
    pub holder: String,
    /// When the citizen cancelled at the kiosk.
    pub cancelled_at: DateTime<Utc>,
}

impl fmt::Debug for AppointmentCancelTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppointmentCancelTx")
            .field("booking_id", &self.booking_id)
            .field("holder", &"<redacted>")
            .field("cancelled_at", &self.cancelled_at)
            .finish()
    }
}

impl Transaction {
    /// Wraps a cancellation into a transaction of kind [`KIND_APPOINTMENT_CANCEL`].
    pub fn appointment_cancel(
        idempotency_key: impl Into<String>,
        created_at: DateTime<Utc>,
        cancel: &AppointmentCancelTx,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            idempotency_key: idempotency_key.into(),
            kind: KIND_APPOINTMENT_CANCEL.to_owned(),
            created_at,
            payload: serde_json::to_value(cancel)?,
        })
    }
}

/// One booking the platform holds (no personal data).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HeldAppointment {
    /// Kiosk that uploaded it.
    pub kiosk_id: String,
    /// Booking UUID.
    pub booking_id: String,
    /// Matter.
    pub matter_code: String,
    /// Day.
    pub date: NaiveDate,
    /// Slot start.
    pub start: NaiveTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn debug_never_shows_the_phone_or_the_holder() {
        let b = AppointmentBookTx {
            booking_id: "b1".into(),
            matter_code: "M01".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            holder: "ab".repeat(32),
            phone: "13812345678".into(),
            requested_at: Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
        };
        let dbg = format!("{b:?}");
        assert!(
            !dbg.contains("13812345678") && !dbg.contains("abab"),
            "{dbg}"
        );
        let tx = Transaction::appointment_book("k", b.requested_at, &b).unwrap();
        let dbg = format!("{tx:?}");
        assert!(!dbg.contains("13812345678"), "{dbg}");
        assert_eq!(tx.payload["start"], "09:00:00");
        assert_eq!(
            appointment_url("http://h:1/", "b1"),
            "http://h:1/appointment/b1"
        );
    }
}
