//! The simulator's hardening and fault injection over real HTTP on 127.0.0.1: replayed
//! nonces, idempotency conflicts, heartbeats, faults from config and from `/control/`.

use std::net::TcpListener;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use kiosk_platform::api::{
    self, Heartbeat, LeaseRequest, QueueTicketTx, Transaction, TransactionBatch, TxStatus,
};
use kiosk_platform::sign;
use kiosk_platform::sim::{FaultConfig, SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::{ClientError, PlatformClient};

const TIMEOUT: Duration = Duration::from_secs(30);

fn start(dir: &std::path::Path, faults: FaultConfig) -> SimServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    SimServer::start(
        listener,
        SimConfig::demo(dir.join("p.sqlite")).with_faults(faults),
    )
    .unwrap()
}

fn client(sim: &SimServer) -> PlatformClient {
    PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        TIMEOUT,
    )
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 4).unwrap()
}

fn ticket(key: &str, number: u32, lease_id: &str, ticket_id: &str) -> Transaction {
    let t = QueueTicketTx {
        ticket_id: ticket_id.into(),
        area_code: "A".into(),
        number,
        display_number: api::display_number("A", number),
        service_day: day(),
        issued_at: "2025-03-04T01:02:03Z".parse().unwrap(),
        phone: None,
        lease_id: lease_id.into(),
    };
    Transaction::queue_ticket(key, "2025-03-04T01:02:03Z".parse().unwrap(), &t).unwrap()
}

#[test]
fn a_replayed_request_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), FaultConfig::default());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let url = format!("{}/v1/queue/leases", sim.base_url());
    let body = br#"{"area_code":"A","service_day":"2025-03-04","size":1}"#;
    let ts = Utc::now().timestamp();
    let nonce = sign::new_nonce();
    let sig = sign::sign(
        DEMO_KIOSK_KEY.as_bytes(),
        "POST",
        "/v1/queue/leases",
        ts,
        &nonce,
        body,
    );
    let send = || {
        let mut r = agent
            .post(&url)
            .header(sign::HEADER_KIOSK_ID, DEMO_KIOSK_ID)
            .header(sign::HEADER_TIMESTAMP, ts.to_string())
            .header(sign::HEADER_NONCE, &nonce)
            .header(sign::HEADER_SIGNATURE, &sig)
            .header("Content-Type", "application/json")
            .send(&body[..])
            .unwrap();
        let v: serde_json::Value = r.body_mut().read_json().unwrap();
        (r.status().as_u16(), v)
    };
    let (status, v) = send();
    assert_eq!(status, 200, "{v}");
    let (status, v) = send();
    assert_eq!(status, 401);
    assert_eq!(v["error"]["code"], "replayed_nonce");
    assert_eq!(sim.stats().replays_refused, 1);
    sim.stop();
}

#[test]
fn a_repeated_key_replays_with_the_same_body_and_is_refused_with_another() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), FaultConfig::default());
    let c = client(&sim);
    let lease = c
        .lease(&LeaseRequest {
            area_code: "A".into(),
            service_day: day(),
            size: 5,
        })
        .unwrap();
    let tid = uuid::Uuid::new_v4().to_string();
    let first = ticket("k-1", lease.first, &lease.lease_id, &tid);
    let r = c
        .upload(&TransactionBatch {
            transactions: vec![first.clone()],
        })
        .unwrap();
    assert_eq!(r.results[0].status, TxStatus::Accepted);
    // Same key, same body: the first answer (stored once), nothing stored again.
    let r = c
        .upload(&TransactionBatch {
            transactions: vec![first],
        })
        .unwrap();
    assert_eq!(r.results[0].status, TxStatus::Duplicate);
    // Same key, another body: 409, and nothing of that batch is stored.
    let other = ticket(
        "k-1",
        lease.first + 1,
        &lease.lease_id,
        &uuid::Uuid::new_v4().to_string(),
    );
    let fresh = ticket(
        "k-2",
        lease.first + 2,
        &lease.lease_id,
        &uuid::Uuid::new_v4().to_string(),
    );
    let e = c
        .upload(&TransactionBatch {
            transactions: vec![fresh, other],
        })
        .unwrap_err();
    match &e {
        ClientError::Http { status, code, .. } => {
            assert_eq!(*status, 409);
            assert_eq!(code.as_deref(), Some("idempotency_conflict"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.is_retryable());
    let held = c.holdings().unwrap();
    assert_eq!(held.transactions, 1);
    assert_eq!(sim.stats().idempotency_conflicts, 1);
    sim.stop();
}

#[test]
fn heartbeats_are_kept_per_kiosk() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path(), FaultConfig::default());
    let c = client(&sim);
    let beat = Heartbeat {
        app_version: "1.2.3".into(),
        uptime_secs: 42,
        outbox_pending: 3,
        outbox_failed: 1,
        devices: vec![
            api::DeviceHealth {
                device: "printer".into(),
                status: "fault".into(),
                detail: Some("paper out".into()),
            },
            api::DeviceHealth {
                device: "idcard".into(),
                status: "ok".into(),
                detail: None,
            },
        ],
        clock_skew_ms: Some(-250),
        failed_starts: 2,
        failed_versions: vec![api::FailedVersion {
            version: "1.2.4".into(),
            starts: 5,
        }],
        acks: Vec::new(),
        // "Call staff" at the kiosk: the simulator keeps it and its admin GET shows it.
        help_requested_at: Some(
            chrono::DateTime::parse_from_rfc3339("2026-12-01T10:15:00+08:00").unwrap(),
        ),
    };
    let ack = c.heartbeat(&beat).unwrap();
    assert!((Utc::now() - ack.server_time).num_seconds().abs() < 60);
    c.heartbeat(&beat).unwrap();
    let list = c.heartbeats().unwrap();
    assert_eq!(list.kiosks.len(), 1);
    assert_eq!(list.kiosks[0].kiosk_id, DEMO_KIOSK_ID);
    assert_eq!(list.kiosks[0].count, 2);
    assert_eq!(list.kiosks[0].heartbeat, beat);
    sim.stop();
}

#[test]
fn faults_come_from_config_and_the_control_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(
        dir.path(),
        FaultConfig {
            error_rate: 1.0,
            retry_after_secs: 7,
            ..FaultConfig::default()
        },
    );
    let c = client(&sim);
    // Every request fails, in all five ways.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        match c.queue_status() {
            Err(ClientError::Http {
                status: s @ (429 | 503),
                retry_after,
                ..
            }) => {
                assert_eq!(retry_after, Some(Duration::from_secs(7)));
                seen.insert(s.to_string());
            }
            Err(ClientError::Http { status: 500, .. }) => {
                seen.insert("500".into());
            }
            Err(ClientError::Network(_)) => {
                seen.insert("dropped".into());
            }
            other => panic!("{other:?}"),
        }
        if seen.len() == 4 {
            break;
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    // Health and the control endpoint are never faulted.
    let f = c
        .set_sim_faults(&FaultConfig {
            down: true,
            ..FaultConfig::default()
        })
        .unwrap();
    assert!(f.down);
    assert!(matches!(c.catalog(None), Err(ClientError::Network(_))));
    c.set_sim_faults(&FaultConfig {
        latency_ms: 50,
        ..FaultConfig::default()
    })
    .unwrap();
    let t = std::time::Instant::now();
    c.queue_status().unwrap();
    assert!(t.elapsed() >= Duration::from_millis(50));
    let stats = c.sim_stats().unwrap();
    assert!(stats.faults_injected >= 4);
    assert!(stats.requests >= stats.faults_injected);
    assert!(stats.peak_requests_per_sec >= 1);
    sim.stop();
}

#[test]
fn fault_flags_parse() {
    let f = FaultConfig::parse("error_rate=0.3,retry_after_secs=2,latency_ms=5").unwrap();
    assert_eq!(
        (f.error_rate, f.retry_after_secs, f.latency_ms),
        (0.3, 2, 5)
    );
}
