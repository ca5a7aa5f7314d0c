//! Ratings (好差评) over real HTTP: stored once per idempotency key, counted per service,
//! level and reason (`GET /v1/admin/ratings`), refused per row when they break the contract.

use std::net::TcpListener;
use std::time::Duration;

use chrono::Utc;
use kiosk_platform::api::rating::{RatingLevel, RatingReason, RatingTx, KIND_RATING};
use kiosk_platform::api::{Transaction, TransactionBatch, TxStatus};
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::PlatformClient;

const TIMEOUT: Duration = Duration::from_secs(30);

fn rating_tx(
    key: &str,
    service: &str,
    level: RatingLevel,
    reasons: Vec<RatingReason>,
) -> Transaction {
    let rating = RatingTx {
        rating_id: uuid::Uuid::new_v4().to_string(),
        service: service.into(),
        case_number: (service == "certificate").then(|| "ZM-20261201-0001".to_owned()),
        level,
        reasons,
        rated_at: Utc::now(),
    };
    Transaction {
        idempotency_key: key.into(),
        kind: KIND_RATING.into(),
        created_at: Utc::now(),
        payload: serde_json::to_value(rating).unwrap(),
    }
}

#[test]
fn ratings_are_counted_per_service_and_level_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.path().join("sim.db")),
    )
    .unwrap();
    let c = PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        TIMEOUT,
    );
    assert!(c.ratings().unwrap().services.is_empty());
    let first = vec![
        rating_tx("r1", "queue_ticket", RatingLevel::VerySatisfied, vec![]),
        rating_tx(
            "r2",
            "queue_ticket",
            RatingLevel::Unsatisfied,
            vec![RatingReason::LongWait, RatingReason::NotDone],
        ),
        rating_tx("r3", "certificate", RatingLevel::Satisfied, vec![]),
        // Reasons with an upper level: refused, the rest of the batch stored.
        rating_tx(
            "r4",
            "queue_ticket",
            RatingLevel::Satisfied,
            vec![RatingReason::LongWait],
        ),
    ];
    let r = c
        .upload(&TransactionBatch {
            transactions: first.clone(),
        })
        .unwrap();
    let statuses: Vec<TxStatus> = r.results.iter().map(|t| t.status).collect();
    assert_eq!(
        statuses,
        [
            TxStatus::Accepted,
            TxStatus::Accepted,
            TxStatus::Accepted,
            TxStatus::Rejected
        ]
    );
    // The same batch again (a lost answer): duplicates, nothing counted twice.
    let again = c
        .upload(&TransactionBatch {
            transactions: first[..3].to_vec(),
        })
        .unwrap();
    assert!(again
        .results
        .iter()
        .all(|t| t.status == TxStatus::Duplicate));

    let counts = c.ratings().unwrap();
    let q = counts.of("queue_ticket").unwrap();
    assert_eq!(q.total, 2);
    assert_eq!(q.at(RatingLevel::VerySatisfied), 1);
    assert_eq!(q.at(RatingLevel::Unsatisfied), 1);
    assert_eq!(q.at(RatingLevel::Satisfied), 0);
    assert_eq!(q.reasons.get(&RatingReason::LongWait), Some(&1));
    assert_eq!(q.with_case, 0);
    let cert = counts.of("certificate").unwrap();
    assert_eq!((cert.total, cert.with_case), (1, 1));
    // What the JSON says, as docs/platform-api.md shows it.
    let raw = serde_json::to_value(&counts).unwrap();
    assert_eq!(raw["services"][1]["levels"]["very_satisfied"], 1);
    sim.stop();
}
