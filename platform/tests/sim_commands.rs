//! Remote management over real HTTP on 127.0.0.1: a command queued on the simulator rides on
//! every heartbeat answer until the kiosk acknowledges it; audit transactions are stored.

use std::net::TcpListener;
use std::time::Duration;

use chrono::Utc;
use kiosk_platform::api::audit::{AuditTx, KIND_AUDIT};
use kiosk_platform::api::commands::{CommandAck, CommandKind, QueueCommand};
use kiosk_platform::api::{Heartbeat, Transaction, TransactionBatch, TxStatus};
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::PlatformClient;

fn start(dir: &std::path::Path) -> (SimServer, PlatformClient) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sim = SimServer::start(listener, SimConfig::demo(dir.join("p.sqlite"))).unwrap();
    let client = PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(30),
    );
    (sim, client)
}

fn beat(acks: Vec<CommandAck>) -> Heartbeat {
    Heartbeat {
        app_version: "1".into(),
        uptime_secs: 1,
        outbox_pending: 0,
        outbox_failed: 0,
        devices: Vec::new(),
        clock_skew_ms: None,
        failed_starts: 0,
        failed_versions: Vec::new(),
        acks,
        help_requested_at: None,
    }
}

#[test]
fn a_command_rides_on_each_heartbeat_until_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, c) = start(dir.path());
    assert!(c.heartbeat(&beat(vec![])).unwrap().commands.is_empty());
    let queued = c
        .queue_sim_command(&QueueCommand {
            kiosk_id: DEMO_KIOSK_ID.into(),
            command: CommandKind::ResetDevice {
                device: "idcard".into(),
            },
        })
        .unwrap();
    // Another kiosk's command never reaches this one.
    c.queue_sim_command(&QueueCommand {
        kiosk_id: "kiosk-elsewhere".into(),
        command: CommandKind::OutOfService,
    })
    .unwrap();
    for _ in 0..2 {
        let ack = c.heartbeat(&beat(vec![])).unwrap();
        assert_eq!(ack.commands, vec![queued.clone()]);
    }
    let done = CommandAck {
        id: queued.id.clone(),
        result: "ok".into(),
        done_at: Utc::now(),
    };
    assert!(c
        .heartbeat(&beat(vec![done.clone()]))
        .unwrap()
        .commands
        .is_empty());
    let list = c.sim_commands().unwrap();
    let mine = list
        .commands
        .iter()
        .find(|q| q.command.id == queued.id)
        .unwrap();
    assert_eq!(mine.handed_out, 2);
    assert_eq!(mine.ack.as_ref(), Some(&done));
    let other = list
        .commands
        .iter()
        .find(|q| q.kiosk_id == "kiosk-elsewhere")
        .unwrap();
    assert!(other.ack.is_none());
    sim.stop();
}

#[test]
fn audit_rows_are_stored_and_bad_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, c) = start(dir.path());
    let row = AuditTx {
        role: "staff".into(),
        badge: "1001".into(),
        action: "restock".into(),
        result: "ok".into(),
        at: Utc::now(),
    };
    let bad = AuditTx {
        role: "visitor".into(),
        ..row.clone()
    };
    let tx = |key: &str, a: &AuditTx| Transaction {
        idempotency_key: key.into(),
        kind: KIND_AUDIT.into(),
        created_at: a.at,
        payload: serde_json::to_value(a).unwrap(),
    };
    let res = c
        .upload(&TransactionBatch {
            transactions: vec![tx("a1", &row), tx("a2", &bad)],
        })
        .unwrap();
    assert_eq!(res.results[0].status, TxStatus::Accepted);
    assert_eq!(res.results[1].status, TxStatus::Rejected);
    let held = c.sim_audit(DEMO_KIOSK_ID).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].action, "restock");
    sim.stop();
}

/// The status and error code of a refused call.
fn refusal(e: kiosk_platform::ClientError) -> (u16, Option<String>) {
    match e {
        kiosk_platform::ClientError::Http { status, code, .. } => (status, code),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

#[test]
fn a_bundle_answers_its_upload_command_once_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, c) = start(dir.path());
    let queue = |command| {
        c.queue_sim_command(&QueueCommand {
            kiosk_id: DEMO_KIOSK_ID.into(),
            command,
        })
        .unwrap()
    };
    let upload = queue(CommandKind::UploadBundle);
    let reset = queue(CommandKind::ResetDevice {
        device: "printer".into(),
    });
    let zip = b"PK\x03\x04 a bundle's bytes".to_vec();

    let receipt = c.upload_bundle(&upload.id, zip.clone()).unwrap();
    assert_eq!(receipt.command_id, upload.id);
    assert_eq!(receipt.bytes, zip.len() as u64);
    // A retry of the same bytes (its answer was lost) gets the same receipt.
    assert_eq!(c.upload_bundle(&upload.id, zip.clone()).unwrap(), receipt);
    // Other bytes for the same command are refused.
    let other = b"PK\x03\x04 other bytes".to_vec();
    let (status, code) = refusal(c.upload_bundle(&upload.id, other.clone()).unwrap_err());
    assert_eq!((status, code.as_deref()), (409, Some("bundle_exists")));
    // A bundle for a command that is not an upload, or is nobody's, is refused.
    for id in [reset.id.as_str(), "cmd-nobodys"] {
        let (status, code) = refusal(c.upload_bundle(id, other.clone()).unwrap_err());
        assert_eq!(
            (status, code.as_deref()),
            (404, Some("unknown_command")),
            "{id}"
        );
    }
    // Not a zip: refused before anything is kept.
    let (status, _) = refusal(c.upload_bundle(&upload.id, b"hello".to_vec()).unwrap_err());
    assert_eq!(status, 400);

    let list = c.sim_bundles().unwrap();
    assert_eq!(list.bundles.len(), 1);
    assert_eq!(list.bundles[0].kiosk_id, DEMO_KIOSK_ID);
    assert_eq!(list.bundles[0].receipt, receipt);
    assert_eq!(c.sim_bundle(&upload.id).unwrap(), zip);
}

#[test]
fn a_bundle_whose_digest_does_not_match_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, c) = start(dir.path());
    let upload = c
        .queue_sim_command(&QueueCommand {
            kiosk_id: DEMO_KIOSK_ID.into(),
            command: CommandKind::UploadBundle,
        })
        .unwrap();
    // Signed properly, but the query's digest is of other bytes: the body changed on the way.
    let path = format!(
        "/v1/diagnostic-bundles/{}?sha256={}",
        upload.id,
        "0".repeat(64)
    );
    let url = format!("{}{path}", sim.base_url());
    let body = b"PK\x03\x04 bytes".to_vec();
    let ts = Utc::now().timestamp();
    let nonce = kiosk_platform::sign::new_nonce();
    let sig =
        kiosk_platform::sign::sign(DEMO_KIOSK_KEY.as_bytes(), "PUT", &path, ts, &nonce, &body);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let answer = agent
        .put(&url)
        .header(kiosk_platform::sign::HEADER_KIOSK_ID, DEMO_KIOSK_ID)
        .header(kiosk_platform::sign::HEADER_TIMESTAMP, ts.to_string())
        .header(kiosk_platform::sign::HEADER_NONCE, nonce)
        .header(kiosk_platform::sign::HEADER_SIGNATURE, sig)
        .send(&body[..])
        .unwrap();
    assert_eq!(answer.status().as_u16(), 422);
    assert!(c.sim_bundles().unwrap().bundles.is_empty());
}
