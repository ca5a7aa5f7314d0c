//! Calls to the simulator's own `/control/*` endpoints (unsigned, loopback only). They are
//! not part of the platform contract: the real platform has no such endpoints, and no
//! product code path calls them; the demo, the tests and the load tools do.

use super::{decode, ClientError, PlatformClient};
use crate::api::{CaseProgress, NewCase};
use crate::sim::{FaultConfig, SimStats};

impl PlatformClient {
    /// Simulator only: `POST /control/cases` (unsigned), adds or replaces a case.
    pub fn add_sim_case(&self, new: &NewCase) -> Result<CaseProgress, ClientError> {
        let bytes = serde_json::to_vec(new).map_err(|e| ClientError::Decode(e.to_string()))?;
        decode(self.send("POST", "/control/cases", Some(bytes), None, false)?)
    }

    /// Simulator only: `GET /control/sms[?number=…]` (unsigned), the messages the SMS
    /// gateway recorded (to `number`, or to anyone), oldest first.
    pub fn sim_sms(&self, number: Option<&str>) -> Result<crate::api::sms::SmsList, ClientError> {
        let path = match number {
            Some(n) if n.bytes().all(|b| b.is_ascii_digit()) => format!("/control/sms?number={n}"),
            Some(_) => return Err(ClientError::Decode("number must be digits".to_owned())),
            None => "/control/sms".to_owned(),
        };
        decode(self.send("GET", &path, None, None, false)?)
    }

    /// Simulator only: `POST /control/eid/issue?citizen=N` (unsigned), the QR payload
    /// sample citizen `N`'s e-ID app would show now (good once, for three minutes).
    pub fn sim_issue_eid(&self, citizen: usize) -> Result<String, ClientError> {
        let path = format!("/control/eid/issue?citizen={citizen}");
        let issued: crate::api::identity::EidIssued =
            decode(self.send("POST", &path, None, None, false)?)?;
        Ok(issued.payload)
    }

    /// Simulator only: `POST /control/identity/age?secs=N` (unsigned): every SMS code,
    /// e-ID code and lock `secs` older.
    pub fn sim_age_identity(&self, secs: i64) -> Result<(), ClientError> {
        let path = format!("/control/identity/age?secs={secs}");
        let _: serde_json::Value = decode(self.send("POST", &path, None, None, false)?)?;
        Ok(())
    }

    /// Simulator only: `POST /control/payments` (unsigned): the citizen's payment app pays,
    /// fails or lets expire a pending traffic-fine order (the newest when `order_id` is
    /// `None`).
    pub fn settle_sim_payment(
        &self,
        order_id: Option<&str>,
        outcome: crate::api::traffic_fine::SimOutcome,
    ) -> Result<crate::api::traffic_fine::PaymentOrder, ClientError> {
        let body = crate::api::traffic_fine::SimSettle {
            order_id: order_id.map(str::to_owned),
            outcome,
        };
        let bytes = serde_json::to_vec(&body).map_err(|e| ClientError::Decode(e.to_string()))?;
        decode(self.send("POST", "/control/payments", Some(bytes), None, false)?)
    }

    /// Simulator only: `GET /control/stats` (unsigned).
    pub fn sim_stats(&self) -> Result<SimStats, ClientError> {
        decode(self.send("GET", "/control/stats", None, None, false)?)
    }

    /// Simulator only: `POST /control/faults` (unsigned).
    pub fn set_sim_faults(&self, faults: &FaultConfig) -> Result<FaultConfig, ClientError> {
        let bytes = serde_json::to_vec(faults).map_err(|e| ClientError::Decode(e.to_string()))?;
        decode(self.send("POST", "/control/faults", Some(bytes), None, false)?)
    }
}
