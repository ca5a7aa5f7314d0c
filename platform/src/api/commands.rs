//! Remote management: commands the platform hands a kiosk in the answer to its heartbeat
//! ([`crate::api::HeartbeatAck::commands`]) and the kiosk's acknowledgements in its next
//! heartbeat ([`crate::api::Heartbeat::acks`]). A kiosk carries out each command id once,
//! however often the platform repeats it (until it sees the acknowledgement).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the platform asks of a kiosk.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CommandKind {
    /// Take the kiosk out of service (the attract screen says so, cards are ignored).
    OutOfService,
    /// Put the kiosk back in service.
    BackInService,
    /// Close and reopen one device's driver: `idcard`, `printer`, `code_scanner`,
    /// `document_scanner`, `a4_printer`.
    ResetDevice {
        /// The device's heartbeat name.
        device: String,
    },
    /// Make a diagnostic bundle (no personal data) and upload it.
    UploadBundle,
    /// Restart the kiosk program at the next moment nobody is using it.
    RestartWhenIdle,
}

impl CommandKind {
    /// The audit log's action code for it.
    pub fn action(&self) -> String {
        match self {
            CommandKind::OutOfService => "out_of_service".into(),
            CommandKind::BackInService => "back_in_service".into(),
            CommandKind::ResetDevice { device } => format!("reset:{device}"),
            CommandKind::UploadBundle => "upload_bundle".into(),
            CommandKind::RestartWhenIdle => "restart_when_idle".into(),
        }
    }
}

/// One command for a kiosk.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RemoteCommand {
    /// The platform's id for it: the kiosk carries out an id once.
    pub id: String,
    /// What to do.
    pub command: CommandKind,
}

/// The kiosk's answer to one command, in its next heartbeat.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CommandAck {
    /// The command's id.
    pub id: String,
    /// `ok`, `failed: <short reason>`, or `scheduled` (a restart waiting for an idle moment).
    pub result: String,
    /// When the kiosk carried it out.
    pub done_at: DateTime<Utc>,
}

/// `POST /control/commands` body (simulator only): queue a command for a kiosk.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct QueueCommand {
    /// The kiosk it is for.
    pub kiosk_id: String,
    /// What to do.
    pub command: CommandKind,
}

/// One queued command as the simulator keeps it (`GET /control/commands/all`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct QueuedCommand {
    /// The kiosk it is for.
    pub kiosk_id: String,
    /// The command.
    pub command: RemoteCommand,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// How many heartbeat answers carried it.
    pub handed_out: u64,
    /// The kiosk's acknowledgement, once it came.
    pub ack: Option<CommandAck>,
}

/// `GET /control/commands/all` response.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CommandList {
    /// Every command queued, oldest first.
    pub commands: Vec<QueuedCommand>,
}

/// Largest diagnostic bundle the platform takes (`PUT /v1/diagnostic-bundles/{id}`).
pub const MAX_BUNDLE_BYTES: usize = 8 * 1024 * 1024;
/// Error code: no `upload_bundle` command of this id for this kiosk.
pub const ERROR_UNKNOWN_COMMAND: &str = "unknown_command";
/// Error code: another bundle (another digest) already answered this command.
pub const ERROR_BUNDLE_EXISTS: &str = "bundle_exists";

/// `PUT /v1/diagnostic-bundles/{command_id}` response: the bundle as the platform keeps it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BundleReceipt {
    /// The `upload_bundle` command it answers.
    pub command_id: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
    /// When the platform received it (the first time).
    pub received_at: DateTime<Utc>,
}

/// One received bundle as the simulator lists it (`GET /control/bundles`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ReceivedBundle {
    /// The kiosk that sent it.
    pub kiosk_id: String,
    /// What the kiosk was told.
    pub receipt: BundleReceipt,
}

/// `GET /control/bundles` response (simulator only).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BundleList {
    /// Every bundle received, oldest first.
    pub bundles: Vec<ReceivedBundle>,
}
