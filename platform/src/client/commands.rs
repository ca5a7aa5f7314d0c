//! Remote management, simulator side: queue a command for a kiosk and read the queue with
//! the kiosks' acknowledgements and their audit rows (`/control/*`, unsigned, loopback;
//! not part of the contract: the real platform's operators have their own console). The
//! kiosk's side of the exchange rides on [`PlatformClient::heartbeat`].

use super::{decode, ClientError, PlatformClient};
use crate::api::audit::{AuditList, AuditTx};
use crate::api::commands::{BundleList, BundleReceipt, CommandList, QueueCommand, RemoteCommand};

impl PlatformClient {
    /// `PUT /v1/diagnostic-bundles/{command_id}?sha256=…`: answers an `upload_bundle`
    /// command with the bundle (a zip). The answer's digest is checked against what was
    /// sent; another is a platform breaking the contract.
    pub fn upload_bundle(
        &self,
        command_id: &str,
        zip: Vec<u8>,
    ) -> Result<BundleReceipt, ClientError> {
        let sha = crate::api::apply::digest(&zip);
        let path = format!("/v1/diagnostic-bundles/{command_id}?sha256={sha}");
        let receipt: BundleReceipt = decode(self.send("PUT", &path, Some(zip), None, true)?)?;
        if receipt.command_id != command_id || !receipt.sha256.eq_ignore_ascii_case(&sha) {
            return Err(ClientError::Decode(
                "the bundle was acknowledged with another digest".into(),
            ));
        }
        Ok(receipt)
    }

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
