//! The `audit` transaction: one staff or technician action at a kiosk (who by role and
//! badge, what, when, with what result). Uploaded through the outbox like any transaction.
//! No personal data: a badge is a hall employee's number, an action names a device or a
//! command, never a citizen's data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Transaction kind of an [`AuditTx`].
pub const KIND_AUDIT: &str = "audit";

/// Longest action or result text the platform takes.
pub const AUDIT_TEXT_MAX: usize = 120;

/// Payload of an `audit` transaction.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct AuditTx {
    /// `staff`, `technician`, or `platform` for a remote command.
    pub role: String,
    /// The badge number typed at the PIN pad; for a remote command, its command id.
    pub badge: String,
    /// What was done, a stable code: `sign_in`, `restock`, `reset:idcard`, `out_of_service`…
    pub action: String,
    /// `ok`, `refused`, or `failed: <short reason>`.
    pub result: String,
    /// When, on the kiosk's clock.
    pub at: DateTime<Utc>,
}

impl AuditTx {
    /// Whether the platform takes it: known role, non-empty fields within
    /// [`AUDIT_TEXT_MAX`] characters.
    pub fn check(&self) -> Result<(), String> {
        if !matches!(self.role.as_str(), "staff" | "technician" | "platform") {
            return Err(format!("unknown role {:?}", self.role));
        }
        for (name, text) in [
            ("badge", &self.badge),
            ("action", &self.action),
            ("result", &self.result),
        ] {
            if text.is_empty() || text.chars().count() > AUDIT_TEXT_MAX {
                return Err(format!("{name}: 1..={AUDIT_TEXT_MAX} characters"));
            }
        }
        Ok(())
    }
}

/// `GET /control/audit?kiosk=…` response (simulator only): a kiosk's stored audit rows.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct AuditList {
    /// Oldest first.
    pub rows: Vec<AuditTx>,
}
