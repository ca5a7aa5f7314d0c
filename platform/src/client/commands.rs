//! Remote management, simulator side: queue a command for a kiosk and read the queue with
//! the kiosks' acknowledgements and their audit rows (`/control/*`, unsigned, loopback;
//! not part of the contract: the real platform's operators have their own console). The
//! kiosk's side of the exchange rides on [`PlatformClient::heartbeat`].

use super::{decode, ClientError, PlatformClient};
use crate::api::audit::{AuditList, AuditTx};
use crate::api::commands::{BundleList, CommandList, QueueCommand, RemoteCommand};

impl PlatformClient {
    /// Simulator only: `GET /control/bundles`, every bundle received (without bytes).
    pub fn sim_bundles(&self) -> Result<BundleList, ClientError> {
        decode(self.send("GET", "/control/bundles", None, None, false)?)
    }

    /// Simulator only: `GET /control/bundles/{command_id}`, one bundle's bytes.
    pub fn sim_bundle(&self, command_id: &str) -> Result<Vec<u8>, ClientError> {
        let path = format!("/control/bundles/{command_id}");
        Ok(self.send("GET", &path, None, None, false)?.body)
    }

    /// Simulator only: `POST /control/commands`, queues a command for a kiosk.
    pub fn queue_sim_command(&self, req: &QueueCommand) -> Result<RemoteCommand, ClientError> {
        let bytes = serde_json::to_vec(req).map_err(|e| ClientError::Decode(e.to_string()))?;
        decode(self.send("POST", "/control/commands", Some(bytes), None, false)?)
    }

    /// Simulator only: `GET /control/commands/all`, every queued command and its ack.
    pub fn sim_commands(&self) -> Result<CommandList, ClientError> {
        decode(self.send("GET", "/control/commands/all", None, None, false)?)
    }

    /// Simulator only: `GET /control/audit?kiosk=…`, the audit rows a kiosk uploaded.
    pub fn sim_audit(&self, kiosk_id: &str) -> Result<Vec<AuditTx>, ClientError> {
        let path = format!("/control/audit?kiosk={kiosk_id}");
        let list: AuditList = decode(self.send("GET", &path, None, None, false)?)?;
        Ok(list.rows)
    }
}
