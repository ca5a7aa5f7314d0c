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
