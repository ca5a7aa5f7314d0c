//! Traffic fines over real HTTP, client ↔ simulator: the query, a payment order paid once,
//! an idempotent replay of the create, a paid fine refused, an order found by its key, a
//! cancel, and the parsers of typed input.

use std::net::TcpListener;
use std::time::Duration;

use kiosk_platform::api::holder_hash;
use kiosk_platform::api::traffic_fine::{
    check_plate_prefix, parse_decision_number, parse_plate, FineQuery, PaymentRequest,
    PaymentState, SimOutcome, VehicleType, ALREADY_PAID, PROVINCES,
};
use kiosk_platform::sim::cases::SAMPLE_HOLDER_ID_NUMBERS;
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::{ClientError, PlatformClient};

const TIMEOUT: Duration = Duration::from_secs(30);

fn start(db: &std::path::Path) -> (SimServer, PlatformClient) {
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(db),
    )
    .unwrap();
    let client = PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        TIMEOUT,
    );
    (sim, client)
}

fn pay_request(key: &str, n: &str, fen: i64) -> PaymentRequest {
    PaymentRequest {
        idempotency_key: key.into(),
        decision_number: n.into(),
        amount_fen: fen,
        holder: holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]),
    }
}

#[test]
fn a_fine_is_found_paid_once_and_refused_after() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, client) = start(&dir.path().join("sim.db"));
    let fines = client
        .traffic_fines(&FineQuery::Plate {
            plate: "京A12345".into(),
            vehicle: VehicleType::SmallCar,
        })
        .unwrap();
    assert_eq!(fines.len(), 2);
    let fine = &fines[0];
    let by_number = client
        .traffic_fines(&FineQuery::Decision {
            decision_number: fine.decision_number.clone(),
        })
        .unwrap();
    assert_eq!(by_number, vec![fine.clone()]);

    // The key is kept before the request: a lost answer is found again by it.
    assert_eq!(client.fine_payment_by_key("k-1").unwrap(), None);
    let order = client
        .create_fine_payment(&pay_request("k-1", &fine.decision_number, fine.total_fen))
        .unwrap();
    assert_eq!(order.state, PaymentState::Pending);
    assert!(order.qr_payload.contains(&order.order_id));
    let replay = client
        .create_fine_payment(&pay_request("k-1", &fine.decision_number, fine.total_fen))
        .unwrap();
    assert_eq!(replay.order_id, order.order_id);
    assert_eq!(
        client.fine_payment_by_key("k-1").unwrap().unwrap().order_id,
        order.order_id
    );

    let paid = client.settle_sim_payment(None, SimOutcome::Pay).unwrap();
    assert_eq!(paid.order_id, order.order_id);
    let seen = client.fine_payment(&order.order_id).unwrap();
    assert_eq!(seen.state, PaymentState::Paid);
    assert!(seen.serial.is_some());
    // Cancelling a paid order says paid.
    assert_eq!(
        client.cancel_fine_payment(&order.order_id).unwrap().state,
        PaymentState::Paid
    );
    // Paid: never again.
    match client.create_fine_payment(&pay_request("k-2", &fine.decision_number, fine.total_fen)) {
        Err(ClientError::Http {
            status: 409,
            code: Some(code),
            ..
        }) => assert_eq!(code, ALREADY_PAID),
        other => panic!("{other:?}"),
    }
    let holdings = client.holdings().unwrap();
    assert_eq!(
        holdings
            .fine_payments
            .iter()
            .filter(|p| p.state == PaymentState::Paid)
            .count(),
        1
    );

    // The other fine: an order cancelled, one expired, one failed.
    let other = &fines[1];
    let o = client
        .create_fine_payment(&pay_request("k-3", &other.decision_number, other.total_fen))
        .unwrap();
    assert_eq!(
        client.cancel_fine_payment(&o.order_id).unwrap().state,
        PaymentState::Cancelled
    );
    for (key, outcome, state) in [
        ("k-4", SimOutcome::Expire, PaymentState::Expired),
        ("k-5", SimOutcome::Fail, PaymentState::Failed),
    ] {
        let o = client
            .create_fine_payment(&pay_request(key, &other.decision_number, other.total_fen))
            .unwrap();
        client
            .settle_sim_payment(Some(&o.order_id), outcome)
            .unwrap();
        assert_eq!(client.fine_payment(&o.order_id).unwrap().state, state);
    }
    // A citizen with no vehicle on file: an empty list, not an error.
    assert!(client
        .traffic_fines(&FineQuery::Plate {
            plate: "京B99999".into(),
            vehicle: VehicleType::SmallCar,
        })
        .unwrap()
        .is_empty());
}

/// The fuzz target's rules over a deterministic spread of inputs: the parsers never
/// panic, what they accept parses again to itself, and what the keypad lets through
/// (`check_plate_prefix` on every prefix) is what `parse_plate` may accept.
#[test]
fn the_parsers_hold_over_many_inputs() {
    let alphabet: Vec<char> = PROVINCES
        .iter()
        .copied()
        .chain("ABDFIOZ019 ·".chars())
        .collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 11) as usize;
        let text: String = (0..len)
            .map(|i| alphabet[((seed >> (i * 5)) % alphabet.len() as u64) as usize])
            .collect();
        for v in VehicleType::ALL {
            if let Ok(p) = parse_plate(&text, v) {
                assert_eq!(parse_plate(&p, v).as_deref(), Ok(p.as_str()));
                let chars: Vec<char> = p.chars().collect();
                for n in 0..=chars.len() {
                    let prefix: String = chars[..n].iter().collect();
                    assert_eq!(check_plate_prefix(&prefix), Ok(()), "{prefix}");
                }
            }
        }
        if let Ok(d) = parse_decision_number(&text) {
            assert_eq!(parse_decision_number(&d).as_deref(), Ok(d.as_str()));
        }
    }
}
