//! The types of the platform contract (`docs/platform-api.md`), shared by the kiosk's
//! client and the simulator so both sides serialise exactly the same JSON.
//!
//! Every type is `Serialize + Deserialize + Debug + Clone + PartialEq`. Types that carry
//! personal data (the citizen's phone number) implement `Debug` by hand and mask it:
//! `Debug` output ends up in logs, and nothing personal may ever reach a log.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// `kind` of a [`Transaction`] whose payload is a [`QueueTicketTx`].
pub const KIND_QUEUE_TICKET: &str = "queue_ticket";

/// Largest block of ticket numbers one lease may ask for.
pub const MAX_LEASE_SIZE: u32 = 200;

/// Largest number of transactions in one [`TransactionBatch`].
pub const MAX_BATCH_LEN: usize = 500;

/// Offset of the hall's local time from UTC: China Standard Time, UTC+8, no daylight
/// saving. The "service day" (the day ticket numbers restart at 1) is a local date, so a
/// ticket issued at 07:30 local time belongs to that day even though it is still the
/// previous day in UTC.
pub const HALL_UTC_OFFSET_SECS: i32 = 8 * 3600;

/// The hall's service day at instant `now` (local date at UTC+8).
pub fn hall_service_day(now: DateTime<Utc>) -> NaiveDate {
    // 8 h is always a valid offset; the fallback only keeps this free of panics.
    let offset = FixedOffset::east_opt(HALL_UTC_OFFSET_SECS)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset is valid"));
    now.with_timezone(&offset).date_naive()
}

/// The number printed on a ticket: area letter plus at least three digits (`A012`).
pub fn display_number(area_code: &str, number: u32) -> String {
    format!("{area_code}{number:03}")
}

/// The citizen-facing follow page of a ticket, `{base}/follow/{ticket_id}`, which the
/// kiosk prints as a QR code. `base` is the platform's public base URL.
pub fn follow_url(base: &str, ticket_id: &str) -> String {
    format!("{}/follow/{}", base.trim_end_matches('/'), ticket_id)
}

/// Masks a phone number for logs: keeps the first three and last four digits
/// (`13812345678` → `138****5678`); anything shorter than eight characters is masked
/// completely, because there would be too little left hidden.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Error body of every non-2xx response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// Machine-readable code and human-readable message of an error.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Stable, snake_case code, e.g. `bad_signature`, `unknown_area`.
    pub code: String,
    /// Explanation for the operator; never contains personal data.
    pub message: String,
}

/// `GET /v1/health` response.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// `"ok"` when the platform serves requests.
    pub status: String,
}

/// The service hall a kiosk belongs to.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Hall {
    /// Stable identifier of the hall, e.g. `demo-hall`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

/// A service area (counter group) of the hall; tickets are numbered per area.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ServiceArea {
    /// One capital letter, `A`; also the prefix of the display number.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Short Chinese description of what the area handles.
    pub description_zh: String,
    /// Short English description of what the area handles.
    pub description_en: String,
}

/// `GET /v1/catalog` response: what the kiosk offers.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Version label of the catalog content (informational; caching uses the `ETag`).
    pub version: String,
    /// The hall.
    pub hall: Hall,
    /// Areas in display order.
    pub areas: Vec<ServiceArea>,
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

/// One offline-recorded fact the kiosk uploads.
#[derive(Serialize, Deserialize, Clone, PartialEq)]
pub struct Transaction {
    /// Unique per kiosk (a UUID); the platform stores each key at most once.
    pub idempotency_key: String,
    /// What the payload is, e.g. [`KIND_QUEUE_TICKET`].
    pub kind: String,
    /// When the kiosk recorded it.
    pub created_at: DateTime<Utc>,
    /// Kind-specific body; may hold personal data, hence the masking `Debug`.
    pub payload: serde_json::Value,
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

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("idempotency_key", &self.idempotency_key)
            .field("kind", &self.kind)
            .field("created_at", &self.created_at)
            .field("payload", &MaskedJson(&self.payload))
            .finish()
    }
}

/// Debug view of a JSON payload with every string under a key that looks personal
/// (`phone`, `mobile`, `id_number`, `name`) masked. Payloads are open-ended, so masking by
/// key name is the only protection that also covers kinds added later.
struct MaskedJson<'a>(&'a serde_json::Value);

impl fmt::Debug for MaskedJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn mask(value: &serde_json::Value) -> serde_json::Value {
            match value {
                serde_json::Value::Object(map) => serde_json::Value::Object(
                    map.iter()
                        .map(|(k, v)| {
                            let personal = matches!(
                                k.as_str(),
                                "phone" | "mobile" | "id_number" | "name" | "citizen_name"
                            );
                            let v = match v {
                                serde_json::Value::String(s) if personal => {
                                    serde_json::Value::String(mask_phone(s))
                                }
                                other => mask(other),
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                ),
                serde_json::Value::Array(items) => {
                    serde_json::Value::Array(items.iter().map(mask).collect())
                }
                other => other.clone(),
            }
        }
        write!(f, "{}", mask(self.0))
    }
}

/// `POST /v1/transactions` request.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TransactionBatch {
    /// `1..=500` transactions, processed in order.
    pub transactions: Vec<Transaction>,
}

/// Outcome of one uploaded transaction.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    /// Stored now.
    Accepted,
    /// The key was stored before; nothing stored again. The kiosk treats it as done.
    Duplicate,
    /// Invalid; nothing stored, the key is not remembered. Retrying the same content
    /// gets the same answer.
    Rejected,
}

/// Result for one transaction of a batch.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct TxResult {
    /// Key of the transaction this result is for.
    pub idempotency_key: String,
    /// What happened.
    pub status: TxStatus,
    /// Why, for `rejected` (and informational otherwise).
    pub reason: Option<String>,
}

/// `POST /v1/transactions` response: one result per input, in input order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BatchResult {
    /// Results in the order of the batch.
    pub results: Vec<TxResult>,
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

/// `GET /v1/admin/holdings` response: everything the platform holds (operator/test view).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Holdings {
    /// Transactions stored (accepted), all kinds.
    pub transactions: u64,
    /// Tickets stored, ordered by day, area, number.
    pub tickets: Vec<HeldTicket>,
    /// How many uploads were answered `duplicate` since the database was created.
    pub duplicates_refused: u64,
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
    fn phone_masking() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86*******5678");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone(""), "****");
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

        let r = TxResult {
            idempotency_key: "k".into(),
            status: TxStatus::Duplicate,
            reason: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"idempotency_key":"k","status":"duplicate","reason":null}"#
        );
    }

    #[test]
    fn service_day_is_hall_local() {
        // 2025-03-03 23:30 UTC is already 07:30 on 2025-03-04 in the hall.
        let now = Utc.with_ymd_and_hms(2025, 3, 3, 23, 30, 0).unwrap();
        assert_eq!(
            hall_service_day(now),
            NaiveDate::from_ymd_opt(2025, 3, 4).unwrap()
        );
        assert_eq!(display_number("B", 1234), "B1234");
        assert_eq!(
            follow_url("http://h:1/", "abc"),
            "http://h:1/follow/abc".to_string()
        );
    }
}

/// `POST /v1/heartbeat` body: how the kiosk is, sent every `sync.heartbeat_secs` (30 s).
/// No personal data.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The kiosk software version (`CARGO_PKG_VERSION`).
    pub app_version: String,
    /// Seconds since the kiosk process started.
    pub uptime_secs: u64,
    /// Outbox rows waiting to be sent.
    pub outbox_pending: u64,
    /// Outbox rows refused for good, waiting for a person.
    pub outbox_failed: u64,
    /// Health of each device as last seen (`"ok"`, `"paper_out"`, …), by device name.
    #[serde(default)]
    pub devices: Vec<DeviceHealth>,
}

/// One device's health in a [`Heartbeat`].
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct DeviceHealth {
    /// Device name: `idcard` (ID-card reader), `printer` (receipt printer),
    /// `code_scanner`, `doc_scanner`, …
    pub device: String,
    /// `ok` or `fault` (older kiosks: the last recorded event kind).
    pub status: String,
    /// For a fault, why, in one short line (`paper out`, `cannot open /dev/ttyUSB0: …`);
    /// for `ok`, an optional warning (`paper near end`). No personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `POST /v1/heartbeat` response.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatAck {
    /// The platform's clock when it received the heartbeat (lets a kiosk see its own skew).
    pub server_time: DateTime<Utc>,
}

/// `GET /v1/admin/heartbeats` response: the last heartbeat of every kiosk.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatList {
    /// One entry per kiosk that ever sent one, ordered by kiosk id.
    pub kiosks: Vec<KioskHeartbeat>,
}

/// The last heartbeat of one kiosk.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct KioskHeartbeat {
    /// Kiosk id.
    pub kiosk_id: String,
    /// When the platform received it.
    pub received_at: DateTime<Utc>,
    /// How many heartbeats this kiosk sent in all.
    pub count: u64,
    /// The heartbeat itself.
    pub heartbeat: Heartbeat,
}

/// Pepper of [`holder_hash`]: the HMAC-SHA256 key that turns an ID number into the
/// `holder` value of `GET /v1/cases?holder=…`. Fixed and public in this contract: it keeps
/// raw ID numbers out of URLs, logs and the platform's case index, and makes the hashes
/// useless outside this API. (It is a pepper, not a secret: 18-digit ID numbers are few
/// enough to enumerate, so the hash is pseudonymisation, not anonymisation.)
pub const HOLDER_PEPPER: &str = "citizen-window/holder/v1";

/// The `holder` value for an ID number: lowercase hex HMAC-SHA256 under
/// [`HOLDER_PEPPER`] of the ID number trimmed and upper-cased (so a final `x` and `X`
/// agree). The kiosk computes it from the card it just read; the raw number never leaves
/// the kiosk.
pub fn holder_hash(id_number: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(HOLDER_PEPPER.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(id_number.trim().to_ascii_uppercase().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `s` has the shape of a [`holder_hash`] (64 hex digits).
pub fn is_holder_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `s` can be a case number: 1..=40 ASCII letters, digits and hyphens
/// (`SB-20261124-000042`). Anything else is never a case, so the client does not ask.
pub fn is_case_number(s: &str) -> bool {
    (1..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Where a case is (`status` of [`CaseProgress`]).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// The application was received and registered.
    Received,
    /// Being examined.
    InReview,
    /// Approved; the result is being prepared.
    Approved,
    /// The result (certificate, card, licence) waits at the pickup place.
    ReadyForPickup,
    /// Refused; see the reason.
    Rejected,
}

impl CaseStatus {
    /// Chinese label shown to citizens.
    pub fn label_zh(self) -> &'static str {
        match self {
            CaseStatus::Received => "已受理",
            CaseStatus::InReview => "审核中",
            CaseStatus::Approved => "已办结",
            CaseStatus::ReadyForPickup => "待领取",
            CaseStatus::Rejected => "未通过",
        }
    }

    /// English label shown to citizens.
    pub fn label_en(self) -> &'static str {
        match self {
            CaseStatus::Received => "Received",
            CaseStatus::InReview => "In review",
            CaseStatus::Approved => "Approved",
            CaseStatus::ReadyForPickup => "Ready for pickup",
            CaseStatus::Rejected => "Rejected",
        }
    }
}

/// One step of a case's progress, in order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CaseStep {
    /// Chinese name of the step (`受理`).
    pub name_zh: String,
    /// English name of the step (`Received`).
    pub name_en: String,
    /// When the step was completed; `null` while it is not.
    pub at: Option<DateTime<Utc>>,
    /// Whether the step is completed.
    pub done: bool,
}

/// `GET /v1/cases/{case_number}` response, and each entry of [`CaseList`]. No personal
/// data: neither the holder's name nor the ID number (the platform keys cases by
/// [`holder_hash`]).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CaseProgress {
    /// `SB-20261124-000042`.
    pub case_number: String,
    /// The matter applied for, Chinese (`社会保险参保缴费证明`).
    pub matter_zh: String,
    /// The matter applied for, English.
    pub matter_en: String,
    /// Where the case is.
    pub status: CaseStatus,
    /// Chinese label of `status` (the platform's wording).
    pub status_zh: String,
    /// English label of `status`.
    pub status_en: String,
    /// Last change of the case.
    pub updated_at: DateTime<Utc>,
    /// The steps in order, done ones first.
    pub steps: Vec<CaseStep>,
    /// Where to collect the result, Chinese; present when there is something to collect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_zh: Option<String>,
    /// Where to collect the result, English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_en: Option<String>,
    /// Why the case was refused, Chinese; present for `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_zh: Option<String>,
    /// Why the case was refused, English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_en: Option<String>,
}

/// `GET /v1/cases?holder=…` response: the holder's cases, newest change first.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CaseList {
    /// The cases (empty when the holder has none).
    pub cases: Vec<CaseProgress>,
}

/// Simulator only: `POST /control/cases` body, a case to add (or replace, by number).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// [`holder_hash`] of the holder's ID number.
    pub holder: String,
    /// The case as `GET /v1/cases/{case_number}` will return it.
    pub case: CaseProgress,
}
