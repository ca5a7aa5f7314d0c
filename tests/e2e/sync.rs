//! Chaos: 30 % of the platform's requests fail (500; 503 and 429 with Retry-After; dropped
//! before processing; processed but the answer dropped), yet every transaction arrives
//! exactly once. Also: a batch the platform refuses for good fails with its reason, and the
//! platform records heartbeats.

use std::net::TcpListener;
use std::time::Duration;

use kiosk::cli::soak_fleet::{self, FleetPlan};
use kiosk::devices::health::HealthBoard;
use kiosk_platform::sim::{soak_kiosk, FaultConfig, SimConfig, SimServer};
use kiosk_platform::PlatformClient;

#[test]
fn everything_arrives_exactly_once_through_thirty_percent_failures() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let faults = FaultConfig {
        error_rate: 0.3,
        retry_after_secs: 1,
        latency_ms: 2,
        ..FaultConfig::default()
    };
    let sim = SimServer::start(
        listener,
        SimConfig::demo(dir.path().join("platform.sqlite"))
            .with_soak_kiosks(3)
            .with_faults(faults),
    )
    .unwrap();
    let plan = FleetPlan {
        platform: sim.base_url(),
        transactions: 600,
        kiosks: 3,
        data_dir: dir.path().join("fleet"),
        offline_first: false,
        pace: Duration::from_millis(1),
        backoff_base_secs: 0.05,
        backoff_cap_secs: 1.0,
        interval_secs: 1,
        // Small batches: enough requests (about 130) that 30 % of them is surely a few
        // dozen faults (a 25-row batch gave ~80 requests and once only 17 faults).
        batch_size: 10,
        // Fail-safe only.
        deadline: Duration::from_secs(600),
    };
    let report = soak_fleet::run(&plan).unwrap();
    assert_eq!(report.transactions, 600);
    assert_eq!(report.failed_rows, 0);

    sim.set_faults(FaultConfig::default());
    let stats = sim.stats();
    // Binomial(≈130, 0.3): mean ≈ 39, sd ≈ 5; fewer than 16 would mean faults are not injected.
    assert!(stats.faults_injected > 15, "{stats:?}");
    let (id, key) = soak_kiosk(0);
    let client = PlatformClient::new(&sim.base_url(), &id, &key, Duration::from_secs(10));
    let held = client.holdings().unwrap();
    assert_eq!(held.transactions, 600, "exactly N transactions held");
    let mut ids: Vec<&str> = held.tickets.iter().map(|t| t.ticket_id.as_str()).collect();
    assert_eq!(ids.len(), 600);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 600, "no ticket twice");
    // Answers lost after processing were uploaded again and recognised.
    assert!(held.duplicates_refused > 0 || stats.faults_injected < 50);
    // Kiosks told the platform how they are. Not necessarily all three: the heartbeat comes
    // after the upload in a round, and a kiosk whose every round was cut short by a fault
    // after its upload has drained without one (the heartbeat test below checks content).
    let beats = client.heartbeats().unwrap();
    assert!(!beats.kiosks.is_empty());
    assert!(beats
        .kiosks
        .iter()
        .all(|k| k.heartbeat.app_version == env!("CARGO_PKG_VERSION")));
    // Every local outbox is empty of pending rows.
    for i in 0..3 {
        let store = kiosk::store::Store::open(&soak_fleet::kiosk_db(&plan.data_dir, i)).unwrap();
        let c = store.outbox_counts().unwrap();
        assert_eq!((c.pending, c.failed), (0, 0));
        assert_eq!(c.sent, 200);
    }
    sim.stop();
}

#[test]
fn a_key_reused_with_another_body_fails_the_row_with_the_reason() {
    use chrono::Utc;
    use kiosk::app::RecordingSink;
    use kiosk::config::SyncConfig;
    use kiosk::store::Store;
    use kiosk::sync::SyncWorker;
    use kiosk_platform::api::{Transaction, TransactionBatch};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sim = SimServer::start(
        listener,
        SimConfig::demo(dir.path().join("platform.sqlite")).with_soak_kiosks(1),
    )
    .unwrap();
    let (id, key) = soak_kiosk(0);
    let client = || PlatformClient::new(&sim.base_url(), &id, &key, Duration::from_secs(10));
    let db = dir.path().join("kiosk.sqlite");
    let mut store = Store::open(&db).unwrap();
    let row_id = store
        .enqueue("queue_ticket", r#"{"area_code":"A"}"#, Utc::now())
        .unwrap();
    let row = store.outbox_row(row_id).unwrap().unwrap();
    // Somebody else already used this key with a different body (and it was stored).
    let lease = client()
        .lease(&kiosk_platform::api::LeaseRequest {
            area_code: "A".into(),
            service_day: kiosk::clock::service_day(),
            size: 1,
        })
        .unwrap();
    let tx = Transaction::queue_ticket(
        row.idempotency_key.clone(),
        Utc::now(),
        &kiosk_platform::api::QueueTicketTx {
            ticket_id: uuid::Uuid::new_v4().to_string(),
            area_code: "A".into(),
            number: lease.first,
            display_number: kiosk_platform::api::display_number("A", lease.first),
            service_day: lease.service_day,
            issued_at: Utc::now(),
            phone: None,
            lease_id: lease.lease_id,
        },
    )
    .unwrap();
    let first = client()
        .upload(&TransactionBatch {
            transactions: vec![tx],
        })
        .unwrap();
    assert_eq!(
        first.results[0].status,
        kiosk_platform::api::TxStatus::Accepted
    );

    let worker = SyncWorker::spawn(
        &db,
        client(),
        SyncConfig {
            interval_secs: 1,
            ..SyncConfig::default()
        },
        Arc::new(RecordingSink::default()),
        HealthBoard::new(),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if store.outbox_counts().unwrap().failed == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "row never failed");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(worker);
    let failed = store.failed_outbox().unwrap();
    assert_eq!(failed.len(), 1);
    let reason = failed[0].2.clone().unwrap();
    assert!(
        reason.contains("409") && reason.contains("idempotency_conflict"),
        "{reason}"
    );
    assert_eq!(sim.stats().idempotency_conflicts, 1);
    // Staff can put it back in the queue.
    assert_eq!(store.retry_all_failed(Utc::now()).unwrap(), 1);
    assert_eq!(store.outbox_counts().unwrap().pending, 1);
    drop(store);
    sim.stop();
}

#[test]
fn a_conflicting_key_fails_only_its_row_and_the_rest_of_the_batch_is_sent() {
    use chrono::Utc;
    use kiosk::app::RecordingSink;
    use kiosk::config::SyncConfig;
    use kiosk::store::{LeaseInfo, NewTicket, Store};
    use kiosk::sync::SyncWorker;
    use kiosk_platform::api::{LeaseRequest, QueueTicketTx, Transaction, TransactionBatch};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.path().join("platform.sqlite")).with_soak_kiosks(1),
    )
    .unwrap();
    let (id, key) = soak_kiosk(0);
    let client = || PlatformClient::new(&sim.base_url(), &id, &key, Duration::from_secs(10));
    let day = kiosk::clock::service_day();
    let lease = |size| {
        client()
            .lease(&LeaseRequest {
                area_code: "A".into(),
                service_day: day,
                size,
            })
            .unwrap()
    };

    // Five tickets written offline, in one batch.
    let db = dir.path().join("kiosk.sqlite");
    let mut store = Store::open(&db).unwrap();
    let l = lease(5);
    store
        .add_lease(
            &LeaseInfo {
                lease_id: l.lease_id,
                area_code: l.area_code,
                service_day: l.service_day,
                first: l.first,
                last: l.last,
            },
            Utc::now(),
        )
        .unwrap();
    for _ in 0..5 {
        store
            .issue_ticket(
                &NewTicket {
                    area_code: "A".into(),
                    phone: None,
                    service_day: day,
                },
                Utc::now(),
            )
            .unwrap();
    }
    let rows = store.due_outbox(Utc::now(), 10).unwrap();
    assert_eq!(rows.len(), 5);
    let clash = &rows[2];

    // The third row's key was already stored with another body.
    let other = lease(1);
    let tx = Transaction::queue_ticket(
        clash.idempotency_key.clone(),
        Utc::now(),
        &QueueTicketTx {
            ticket_id: uuid::Uuid::new_v4().to_string(),
            area_code: "A".into(),
            number: other.first,
            display_number: kiosk_platform::api::display_number("A", other.first),
            service_day: day,
            issued_at: Utc::now(),
            phone: None,
            lease_id: other.lease_id,
        },
    )
    .unwrap();
    client()
        .upload(&TransactionBatch {
            transactions: vec![tx],
        })
        .unwrap();

    let worker = SyncWorker::spawn(
        &db,
        client(),
        SyncConfig {
            interval_secs: 1,
            batch_size: 10,
            ..SyncConfig::default()
        },
        Arc::new(RecordingSink::default()),
        HealthBoard::new(),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let c = store.outbox_counts().unwrap();
        if c.pending == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never drained: {c:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(worker);
    let c = store.outbox_counts().unwrap();
    assert_eq!((c.sent, c.failed), (4, 1));
    let failed = store.failed_outbox().unwrap();
    assert_eq!(failed[0].0, clash.id);
    let reason = failed[0].2.clone().unwrap();
    assert!(
        reason.contains("409") && reason.contains("idempotency_conflict"),
        "{reason}"
    );
    // The platform holds the other four plus the first body of the clashing key.
    assert_eq!(client().holdings().unwrap().transactions, 5);
    sim.stop();
}

#[test]
fn the_heartbeat_carries_device_health_outbox_depth_version_and_uptime() {
    use chrono::Utc;
    use kiosk::app::RecordingSink;
    use kiosk::config::SyncConfig;
    use kiosk::devices::health::{DeviceId, DeviceState};
    use kiosk::store::Store;
    use kiosk::sync::SyncWorker;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.path().join("platform.sqlite")).with_soak_kiosks(1),
    )
    .unwrap();
    let (id, key) = soak_kiosk(0);
    let client = || PlatformClient::new(&sim.base_url(), &id, &key, Duration::from_secs(10));

    // Devices as their threads would register them, on this kiosk's own board.
    let board = HealthBoard::new();
    let reader_cell = board.cell(DeviceId::IdCard);
    reader_cell.set(DeviceState::Ok);
    let _printer = board.watch(DeviceId::Printer, || DeviceState::fault("paper out"));
    // Not known yet: left out.
    let _scanner = board.cell(DeviceId::CodeScanner);
    // A row the platform will refuse for good: the heartbeat counts it as failed.
    let db = dir.path().join("kiosk.sqlite");
    let mut store = Store::open(&db).unwrap();
    store.enqueue("parking_permit", "{}", Utc::now()).unwrap();

    let worker = SyncWorker::spawn(
        &db,
        client(),
        SyncConfig {
            interval_secs: 1,
            heartbeat_secs: 1,
            ..SyncConfig::default()
        },
        Arc::new(RecordingSink::default()),
        board.clone(),
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let beat = loop {
        let list = client().heartbeats().unwrap();
        if let Some(k) = list.kiosks.into_iter().find(|k| k.kiosk_id == id) {
            // The second heartbeat on carries the clock skew measured at the one before.
            if k.heartbeat.outbox_failed == 1 && k.heartbeat.clock_skew_ms.is_some() {
                break k.heartbeat;
            }
        }
        assert!(std::time::Instant::now() < deadline, "no heartbeat");
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(worker);

    assert_eq!(beat.app_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(beat.outbox_pending, 0);
    // Kiosk and simulator share this machine's clock: well within a second of each other.
    let skew = beat.clock_skew_ms.unwrap();
    assert!(skew.abs() < 1000, "{skew} ms");
    let find = |name: &str| beat.devices.iter().find(|d| d.device == name);
    let reader = find("idcard").expect("reader reported");
    assert_eq!(
        (reader.status.as_str(), reader.detail.as_deref()),
        ("ok", None)
    );
    let printer = find("printer").expect("printer reported");
    assert_eq!(
        (printer.status.as_str(), printer.detail.as_deref()),
        ("fault", Some("paper out"))
    );
    assert!(find("code_scanner").is_none());
    sim.stop();
}
