//! Queue-ticket service: number leases (`POST /v1/queue/leases`), queue status
//! (`GET /v1/queue/status`), calling (`POST /v1/queue/call`, operator/test), the
//! [`KIND_QUEUE_TICKET`] transaction and the citizen's follow page.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{mask_phone, Transaction};

/// `kind` of a [`Transaction`] whose payload is a [`QueueTicketTx`].
pub const KIND_QUEUE_TICKET: &str = "queue_ticket";

/// Largest block of ticket numbers one lease may ask for.
pub const MAX_LEASE_SIZE: u32 = 200;

/// The number printed on a ticket: area letter plus at least three digits (`A012`).
pub fn display_number(area_code: &str, number: u32) -> String {
    format!("{area_code}{number:03}")
}

/// The citizen-facing follow page of a ticket, `{base}/follow/{ticket_id}`, which the
/// kiosk prints as a QR code. `base` is the platform's public base URL.
pub fn follow_url(base: &str, ticket_id: &str) -> String {
    format!("{}/follow/{}", base.trim_end_matches('/'), ticket_id)
}

/// `POST /v1/queue/leases` request.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LeaseRequest {
    /// Area the numbers are for.
    pub area_code: String,
    /// Hall-local day the numbers are for.
    pub service_day: NaiveDate,
    /// How many numbers, `1..=200`.
    pub size: u32,
}

/// `POST /v1/queue/leases` response: the numbers `first..=last` belong to this kiosk.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Identifier of the lease (UUID), echoed in each ticket.
    pub lease_id: String,
    /// Area of the numbers.
    pub area_code: String,
    /// Day of the numbers.
    pub service_day: NaiveDate,
    /// First number of the block (inclusive).
    pub first: u32,
    /// Last number of the block (inclusive).
    pub last: u32,
}

/// `GET /v1/queue/status` response.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct QueueStatus {
    /// The day the counts are for.
    pub service_day: NaiveDate,
    /// One entry per catalog area, in catalog order.
    pub areas: Vec<AreaStatus>,
}

/// Queue state of one area.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct AreaStatus {
    /// Area code.
    pub code: String,
    /// Tickets uploaded for the day and not yet called.
    pub waiting: u32,
    /// Highest number called so far that day, if any.
    pub last_called: Option<u32>,
}

/// `POST /v1/queue/call` request (operator/test endpoint).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    /// Area whose next waiting ticket is called.
    pub area_code: String,
}

/// `POST /v1/queue/call` response: the ticket that was called.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CallResult {
    /// Area code.
    pub area_code: String,
    /// Day of the ticket.
    pub service_day: NaiveDate,
    /// Number called.
    pub number: u32,
    /// Display number called, `A012`.
    pub display_number: String,
}

/// Payload of a [`KIND_QUEUE_TICKET`] transaction: a queue ticket the kiosk printed.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct QueueTicketTx {
    /// UUID of the ticket; also the id in the follow link of its QR code.
    pub ticket_id: String,
    /// Area code.
    pub area_code: String,
    /// Number within the area and day, from one of this kiosk's leases.
    pub number: u32,
    /// Printed number, `A012`.
    pub display_number: String,
    /// Day of the ticket.
    pub service_day: NaiveDate,
    /// When it was printed.
    pub issued_at: DateTime<Utc>,
    /// Citizen's mobile number for the "your turn is near" SMS; personal data.
    pub phone: Option<String>,
    /// Lease the number came from.
    pub lease_id: String,
}

impl fmt::Debug for QueueTicketTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueTicketTx")
            .field("ticket_id", &self.ticket_id)
            .field("area_code", &self.area_code)
            .field("number", &self.number)
            .field("display_number", &self.display_number)
            .field("service_day", &self.service_day)
            .field("issued_at", &self.issued_at)
            .field("phone", &self.phone.as_deref().map(mask_phone))
            .field("lease_id", &self.lease_id)
            .finish()
    }
}

impl Transaction {
    /// Wraps a queue ticket into a transaction of kind [`KIND_QUEUE_TICKET`].
    pub fn queue_ticket(
        idempotency_key: impl Into<String>,
        created_at: DateTime<Utc>,
        ticket: &QueueTicketTx,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            idempotency_key: idempotency_key.into(),
            kind: KIND_QUEUE_TICKET.to_owned(),
            created_at,
            payload: serde_json::to_value(ticket)?,
        })
    }
}

/// One ticket the platform holds (no personal data).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HeldTicket {
    /// Kiosk that uploaded it.
    pub kiosk_id: String,
    /// Ticket UUID.
    pub ticket_id: String,
    /// Printed number.
    pub display_number: String,
    /// Area code.
    pub area_code: String,
    /// Number.
    pub number: u32,
    /// Day.
    pub service_day: NaiveDate,
    /// Whether it has been called.
    pub called: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TransactionBatch;
    use chrono::TimeZone;

    fn ticket(phone: Option<&str>) -> QueueTicketTx {
        QueueTicketTx {
            ticket_id: "7f1c2d3e-0000-4000-8000-000000000001".into(),
            area_code: "A".into(),
            number: 12,
            display_number: display_number("A", 12),
            service_day: NaiveDate::from_ymd_opt(2025, 3, 4).unwrap(),
            issued_at: Utc.with_ymd_and_hms(2025, 3, 4, 1, 2, 3).unwrap(),
            phone: phone.map(str::to_owned),
            lease_id: "lease-1".into(),
        }
    }

    #[test]
    fn debug_never_shows_the_phone() {
        let t = ticket(Some("13812345678"));
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("13812345678"), "{dbg}");
        assert!(dbg.contains("138****5678"), "{dbg}");

        let tx = Transaction::queue_ticket("k1", t.issued_at, &t).unwrap();
        let batch = TransactionBatch {
            transactions: vec![tx],
        };
        let dbg = format!("{batch:?}");
        assert!(!dbg.contains("13812345678"), "{dbg}");
        assert!(dbg.contains("138****5678"), "{dbg}");
    }

    #[test]
    fn json_shapes() {
        let t = ticket(None);
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["display_number"], "A012");
        assert_eq!(v["service_day"], "2025-03-04");
        assert_eq!(v["issued_at"], "2025-03-04T01:02:03Z");
        assert!(v["phone"].is_null());
        let back: QueueTicketTx = serde_json::from_value(v).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn numbers_and_links() {
        assert_eq!(display_number("B", 1234), "B1234");
        assert_eq!(
            follow_url("http://h:1/", "abc"),
            "http://h:1/follow/abc".to_string()
        );
    }
}
