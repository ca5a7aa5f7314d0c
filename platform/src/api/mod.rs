//! The types of the platform contract (`docs/platform-api.md`), shared by the kiosk's
//! client and the simulator so both sides serialise exactly the same JSON.
//!
//! Every type is `Serialize + Deserialize + Debug + Clone + PartialEq`. Types that carry
//! personal data (the citizen's phone number) implement `Debug` by hand and mask it:
//! `Debug` output ends up in logs, and nothing personal may ever reach a log.
//!
//! This file holds what every service shares: the error envelope, health, the batch
//! upload of transactions, the heartbeat and the operator's holdings view. Each citizen
//! service has its own module below (its requests, responses and transaction payloads).
//! The first three services are also re-exported here, flat, because the app already
//! imports `api::Lease` or `api::CaseProgress`; a new service is reached through its
//! module (`api::appointment::Slot`), which keeps same-named types of two services apart.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

// The service registry: one line per citizen service.
pub mod apply;
pub mod appointment;
// Staff and remote management (not citizen services): the audit transaction, heartbeat commands.
pub mod audit;
pub mod case_progress;
pub mod catalog;
pub mod certificate;
pub mod commands;
pub mod identity;
pub mod medical_insurance;
pub mod personal_documents;
pub mod queue_ticket;
pub mod rating;
pub mod sample_forms;
pub mod sms;
pub mod traffic_fine;

pub use case_progress::*;
pub use catalog::*;
pub use queue_ticket::*;

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
                                "phone"
                                    | "mobile"
                                    | "id_number"
                                    | "name"
                                    | "citizen_name"
                                    | "holder"
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

/// `GET /v1/admin/holdings` response: everything the platform holds (operator/test view).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Holdings {
    /// Transactions stored (accepted), all kinds.
    pub transactions: u64,
    /// Tickets stored, ordered by day, area, number.
    pub tickets: Vec<HeldTicket>,
    /// How many uploads were answered `duplicate` since the database was created.
    pub duplicates_refused: u64,
    /// Appointments booked, ordered by date, start, matter.
    #[serde(default)]
    pub appointments: Vec<appointment::HeldAppointment>,
    /// Traffic-fine payment orders, oldest first.
    #[serde(default)]
    pub fine_payments: Vec<traffic_fine::HeldPayment>,
    /// Applications submitted (自助申报): the cases they opened, and the parts held.
    #[serde(default)]
    pub applications: apply::HeldApplications,
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
    /// The kiosk's clock minus the platform's, in milliseconds, as the kiosk measured it at
    /// its previous heartbeat (from [`HeartbeatAck::server_time`]); absent on the first one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew_ms: Option<i64>,
    /// Starts of this version before this one that never showed the first frame (a version
    /// crashing at start, restarted by systemd); 0 when it came up every time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_starts: u32,
    /// Versions that never came up on this kiosk before another replaced them (a roll
    /// back): until a heartbeat naming them is acknowledged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_versions: Vec<FailedVersion>,
    /// Acknowledgements of the remote commands carried out since the last heartbeat the
    /// platform answered (`commands::CommandAck`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acks: Vec<commands::CommandAck>,
    /// A citizen touched "call staff" at this time and staff have not cleared it yet
    /// (the hall's dashboards can send someone); absent when nobody waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_requested_at: Option<DateTime<FixedOffset>>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A version that never came up on a kiosk, in a [`Heartbeat`].
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FailedVersion {
    /// The version (`CARGO_PKG_VERSION`).
    pub version: String,
    /// How many times it started without showing its first frame.
    pub starts: u32,
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
    /// Remote commands for the kiosk, repeated until it acknowledges them
    /// (`commands::RemoteCommand`); absent from older platforms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<commands::RemoteCommand>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn phone_masking() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86*******5678");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone(""), "****");
    }

    #[test]
    fn json_shapes() {
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
    }
}
