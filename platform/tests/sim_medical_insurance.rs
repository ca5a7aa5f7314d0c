//! Medical insurance: `GET /v1/medical-insurance?holder=…`, client ↔ simulator over real
//! signed HTTP: the sample holders' year, a holder with no record, and no raw ID number ever
//! sent.

use std::net::TcpListener;
use std::time::Duration;

use kiosk_platform::api::medical_insurance::{Month, SpendingKind, MONTHS};
use kiosk_platform::api::{hall_service_day, holder_hash};
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

#[test]
fn the_sample_holders_have_a_year_and_one_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));

    let zhao = client
        .medical_account(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[3]))
        .unwrap()
        .expect("赵秀英 has a record");
    let today = hall_service_day(chrono::Utc::now());
    // The day may turn between the request and here; the months are today's either way.
    assert!(zhao.as_of == today || zhao.as_of.succ_opt() == Some(today));
    assert_eq!(zhao.months.len(), MONTHS);
    assert_eq!(zhao.months[MONTHS - 1].month, Month::of(zhao.as_of));
    assert!(zhao.is_consistent());
    assert!(zhao.spending.len() > 20, "{}", zhao.spending.len());
    assert!(zhao
        .spending
        .iter()
        .any(|r| r.kind == SpendingKind::Inpatient && r.fund_fen > r.own_fen));

    let zhang = client
        .medical_account(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]))
        .unwrap()
        .unwrap();
    assert_eq!(
        zhang
            .months
            .iter()
            .filter(|m| m.contribution.is_none())
            .count(),
        2
    );

    // 欧阳䶮然: no record, which is an answer, not an error.
    assert_eq!(
        client
            .medical_account(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[5]))
            .unwrap(),
        None
    );
    sim.stop();
}

#[test]
fn a_raw_id_number_is_never_sent_and_an_unsigned_call_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));
    let err = client
        .medical_account(SAMPLE_HOLDER_ID_NUMBERS[3])
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Http { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(sim.stats().requests, 0, "refused before anything went out");

    // Without the kiosk's signature the platform does not answer with anyone's money.
    let url = format!(
        "{}/v1/medical-insurance?holder={}",
        sim.base_url(),
        holder_hash(SAMPLE_HOLDER_ID_NUMBERS[3])
    );
    let status = match ureq::get(&url).call() {
        Ok(r) => r.status().as_u16(),
        Err(ureq::Error::StatusCode(code)) => code,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 401);
    sim.stop();
}
