//! Appointment service (办事预约): the free slots of a matter over the next
//! [`WORKING_DAYS`] working days (`GET /v1/appointments/slots`), the booking as a
//! [`KIND_APPOINTMENT_BOOK`] transaction, and the citizen's appointment page.
//!
//! The matters themselves (with what to bring) are in the catalog ([`super::Matter`]).
//! On the day the citizen checks in (`POST /v1/appointments/check-in`) for a
//! [`PriorityTicket`]; the answer to a booking that travelled through the outbox waits for
//! the citizen's next identification (`GET /v1/appointments/notices`).

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
    /// Where it stands: `confirmed`, or `checked_in` once the citizen has their ticket
    /// (cancelled bookings are not listed). Absent from older platforms: confirmed.
    #[serde(default)]
    pub state: BookingState,
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

/// Where a booking stands, as the platform keeps it.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    /// Booked; the citizen has not checked in yet.
    #[default]
    Confirmed,
    /// Given up by its holder; its place is free again.
    Cancelled,
    /// The citizen checked in on the day and holds a priority ticket.
    CheckedIn,
}

/// When the platform lets a citizen check in for a booking: from [`Self::before_min`]
/// minutes before the slot's start to [`Self::after_min`] minutes after it (hall time).
/// The simulator's default is 30 before and 15 after (`SimConfig::checkin_window`).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInWindow {
    /// Minutes before the start when check-in opens.
    pub before_min: u32,
    /// Minutes after the start when check-in closes.
    pub after_min: u32,
}

impl Default for CheckInWindow {
    fn default() -> Self {
        Self {
            before_min: 30,
            after_min: 15,
        }
    }
}

/// What `POST /v1/appointments/check-in` answers (always `200` for a booking
/// the platform knows; `404 unknown_booking` otherwise).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckInOutcome {
    /// Checked in: [`CheckInAnswer::ticket`] is the priority ticket (the same one again
    /// when the citizen checks in a second time).
    CheckedIn,
    /// Today, but check-in has not opened yet ([`CheckInAnswer::opens_at`]).
    TooEarly,
    /// Today, but check-in closed ([`CheckInAnswer::closes_at`]).
    TooLate,
    /// The booking was cancelled.
    Cancelled,
    /// The booking is for another day ([`CheckInAnswer::booking`]'s date).
    NotToday,
}

/// A priority queue ticket for a booking, issued by the platform at check-in: numbered in
/// its own series per area and day (`B-Y001`), called before the area's ordinary tickets.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PriorityTicket {
    /// UUID of the ticket; its follow page is [`super::follow_url`].
    pub ticket_id: String,
    /// Area code.
    pub area_code: String,
    /// Printed number, `B-Y001`.
    pub display_number: String,
    /// Hall-local day.
    pub service_day: NaiveDate,
    /// Priority tickets of the area waiting before this one.
    pub people_ahead: u32,
}

/// The printed number of the `n`-th priority ticket of an area and day: `B-Y001`.
pub fn priority_number(area_code: &str, n: u32) -> String {
    format!("{area_code}-Y{n:03}")
}

/// The booking a check-in answer is about (no personal data).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BookingSummary {
    /// Booking UUID.
    pub booking_id: String,
    /// Matter code.
    pub matter_code: String,
    /// Area where the matter is handled.
    pub area_code: String,
    /// Hall-local day.
    pub date: NaiveDate,
    /// Slot start.
    pub start: NaiveTime,
    /// Slot end.
    pub end: NaiveTime,
    /// Where it stands.
    pub state: BookingState,
}

/// `POST /v1/appointments/check-in` request: the booking, as the citizen's card listed it
/// or the slip's QR code carries it (the booking id is what proves the appointment).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CheckInRequest {
    /// Booking UUID.
    pub booking_id: String,
}

/// `POST /v1/appointments/check-in` response.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CheckInAnswer {
    /// What the platform decided.
    pub outcome: CheckInOutcome,
    /// The booking.
    pub booking: BookingSummary,
    /// The priority ticket, when checked in.
    pub ticket: Option<PriorityTicket>,
    /// Hall time check-in opens, for `too_early`.
    pub opens_at: Option<NaiveTime>,
    /// Hall time check-in closed, for `too_late`.
    pub closes_at: Option<NaiveTime>,
}

/// How the platform answered a booking request, kept per holder until a kiosk has told
/// the citizen ([`AppointmentNotice`]).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NoticeOutcome {
    /// The booking stands.
    Confirmed,
    /// The slot filled up before the request arrived.
    SlotTaken,
    /// The citizen already held an appointment at that time.
    AlreadyBooked,
    /// The day or time was no longer bookable.
    NotBookable,
}

/// One answer to a booking request the citizen has not been told of yet.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct AppointmentNotice {
    /// Booking UUID.
    pub booking_id: String,
    /// Matter code.
    pub matter_code: String,
    /// Hall-local day asked for.
    pub date: NaiveDate,
    /// Slot start asked for.
    pub start: NaiveTime,
    /// The platform's answer.
    pub outcome: NoticeOutcome,
}

/// `GET /v1/appointments/notices?holder=…` response: the holder's unseen answers, oldest
/// first.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct AppointmentNotices {
    /// The notices.
    pub notices: Vec<AppointmentNotice>,
}

/// `POST /v1/appointments/notices/seen` request: the kiosk told the citizen (or the
/// citizen saw the answer on screen at booking), so the notices are not shown again.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct NoticesSeen {
    /// The holder hash: only the holder's own notices are marked.
    pub holder: String,
    /// The bookings whose notices were shown.
    pub booking_ids: Vec<String>,
}

impl fmt::Debug for NoticesSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoticesSeen")
            .field("holder", &"<redacted>")
            .field("booking_ids", &self.booking_ids)
            .finish()
    }
}

/// `POST /v1/appointments/notices/seen` response.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct NoticesMarked {
    /// How many notices were marked seen now.
    pub marked: u32,
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
