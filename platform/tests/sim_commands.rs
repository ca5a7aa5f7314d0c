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
