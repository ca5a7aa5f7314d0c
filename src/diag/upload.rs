//! The diagnostic bundle the platform asks for (`upload_bundle`, a remote command): the same
//! bundle a technician exports ([`super::worker::bundle_bytes`], no personal data), made
//! inside the running kiosk on the staff worker's thread (which carries out remote
//! commands) and sent with `PUT /v1/diagnostic-bundles/{command_id}`.
//!
//! The sync thread's last status (the bundle's "last heartbeat") is caught on its way to
//! the UI by [`LastSync`], a pass-through sink.

use std::sync::{Arc, Mutex};

use kiosk_platform::api::commands::MAX_BUNDLE_BYTES;
use kiosk_platform::client::{ClientError, PlatformClient};

use super::worker::TechWorkerDeps;
use crate::events::{EventSink, KioskEvent};
use crate::sync::SyncStatus;

/// Passes every event on and keeps the last sync status it saw.
pub struct LastSync {
    inner: Arc<dyn EventSink>,
    last: Mutex<Option<SyncStatus>>,
}

impl LastSync {
    /// A sink in front of `inner`.
    pub fn new(inner: Arc<dyn EventSink>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            last: Mutex::new(None),
        })
    }

    /// The last status the sync thread sent, if any yet.
    pub fn status(&self) -> Option<SyncStatus> {
        self.last.lock().ok().and_then(|l| l.clone())
    }
}

impl EventSink for LastSync {
    fn send(&self, event: KioskEvent) {
        if let KioskEvent::SyncStatus(status) = &event {
            if let Ok(mut last) = self.last.lock() {
                *last = Some(status.clone());
            }
        }
        self.inner.send(event);
    }
}

/// Makes a bundle and uploads it for a command.
pub struct RemoteBundle {
    deps: TechWorkerDeps,
    sync: Arc<LastSync>,
    client: PlatformClient,
}

impl RemoteBundle {
    /// The bundle maker over the technician worker's pieces, the sync thread's last status
    /// and the platform client.
    pub fn new(deps: TechWorkerDeps, sync: Arc<LastSync>, client: PlatformClient) -> Self {
        Self { deps, sync, client }
    }

    /// Makes the bundle and sends it for `command_id`; `Ok` is the receipt in a few words,
    /// `Err` the reason for the command's `failed:` acknowledgement (never personal data).
    pub fn make_and_upload(&self, command_id: &str) -> Result<String, String> {
        let now = chrono::Utc::now();
        let bytes = super::worker::bundle_bytes(&self.deps, self.sync.status(), now);
        upload(&self.client, command_id, bytes)
    }
}

/// Sends `bytes` for `command_id`, refusing what the platform would refuse anyway.
fn upload(client: &PlatformClient, command_id: &str, bytes: Vec<u8>) -> Result<String, String> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        tracing::warn!(
            bytes = bytes.len(),
            limit = MAX_BUNDLE_BYTES,
            "diagnostic bundle too large to upload"
        );
        return Err(format!(
            "bundle of {} bytes is over the platform's {} (export it to a USB stick)",
            bytes.len(),
            MAX_BUNDLE_BYTES
        ));
    }
    let len = bytes.len();
    match client.upload_bundle(command_id, bytes) {
        Ok(receipt) => {
            tracing::info!(id = %command_id, bytes = len, sha256 = %receipt.sha256, "diagnostic bundle uploaded");
            Ok(format!(
                "{} bytes, sha256 {}",
                receipt.bytes, receipt.sha256
            ))
        }
        Err(e) => {
            tracing::warn!(id = %command_id, error = %e, "diagnostic bundle not uploaded");
            Err(match e {
                ClientError::Http {
                    status,
                    code: Some(code),
                    ..
                } => format!("upload refused ({status} {code})"),
                ClientError::Http { status, .. } => format!("upload refused ({status})"),
                ClientError::Network(_) => "platform not reachable".to_owned(),
                other => format!("upload: {}", short(&other.to_string())),
            })
        }
    }
}

/// At most 80 characters of a message (an ack is one short line).
fn short(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_over_the_limit_is_not_sent() {
        // Nothing listens here: a send would fail as "not reachable", not as too large.
        let client = PlatformClient::new(
            "http://127.0.0.1:9",
            "k",
            b"key",
            std::time::Duration::from_secs(1),
        );
        let why = upload(&client, "cmd-1", vec![0; MAX_BUNDLE_BYTES + 1]).unwrap_err();
        assert!(why.contains("over the platform's"), "{why}");
        let why = upload(&client, "cmd-1", b"PK\x03\x04".to_vec()).unwrap_err();
        assert_eq!(why, "platform not reachable");
    }

    #[test]
    fn the_last_sync_status_is_kept_and_every_event_passed_on() {
        let inner = Arc::new(crate::events::RecordingSink::default());
        let sink = LastSync::new(inner.clone());
        assert!(sink.status().is_none());
        let status = SyncStatus {
            pending: 3,
            ..SyncStatus::default()
        };
        sink.send(KioskEvent::SyncStatus(status.clone()));
        sink.send(KioskEvent::SyncStatus(SyncStatus {
            pending: 4,
            ..status.clone()
        }));
        assert_eq!(sink.status().map(|s| s.pending), Some(4));
        assert_eq!(inner.0.lock().unwrap().len(), 2);
    }
}
