//! Case progress: `GET /v1/cases/{case_number}`, `GET /v1/cases?holder=…` and
//! `POST /control/cases`, client ↔ simulator over real HTTP.

use std::net::TcpListener;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use kiosk_platform::api::{holder_hash, CaseStatus, CaseStep, NewCase};
use kiosk_platform::sim::cases::{self, SAMPLE_HOLDER_ID_NUMBERS};
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
fn seeded_cases_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));

    let c = client.case_progress("SB-20261124-000042").unwrap().unwrap();
    assert_eq!(c.matter_zh, "社会保险参保缴费证明");
    assert_eq!(c.status, CaseStatus::ReadyForPickup);
    assert_eq!(c.status_zh, "待领取");
    assert_eq!(c.status_en, "Ready for pickup");
    assert!(c.steps.iter().all(|s| s.done && s.at.is_some()));
    assert!(c.pickup_zh.is_some() && c.pickup_en.is_some());

    // Case-insensitive, surrounding blanks ignored.
    let j = client
        .case_progress(" jz-20261120-000007 ")
        .unwrap()
        .unwrap();
    assert_eq!(j.status, CaseStatus::InReview);
    assert!(j.steps[0].done);
    assert!(!j.steps[1].done && j.steps[1].at.is_none());

    let r = client
        .case_progress("BDC-20261118-000315")
        .unwrap()
        .unwrap();
    assert_eq!(r.status, CaseStatus::Rejected);
    assert!(r.reason_zh.is_some() && r.reason_en.is_some());

    // Unknown, and impossible numbers (never sent), are None.
    assert_eq!(client.case_progress("SB-19990101-000001").unwrap(), None);
    assert_eq!(client.case_progress("../admin/holdings").unwrap(), None);
    assert_eq!(client.case_progress("").unwrap(), None);
    sim.stop();
}

#[test]
fn json_shape_of_a_case() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));
    let c = client.case_progress("SB-20261124-000042").unwrap().unwrap();
    let v = serde_json::to_value(&c).unwrap();
    for field in [
        "case_number",
        "matter_zh",
        "matter_en",
        "status",
        "status_zh",
        "status_en",
        "updated_at",
        "steps",
        "pickup_zh",
        "pickup_en",
    ] {
        assert!(v.get(field).is_some(), "{field} missing in {v}");
    }
    assert_eq!(v["status"], "ready_for_pickup");
    assert!(v["updated_at"].as_str().unwrap().ends_with('Z'));
    // Optional fields are left out rather than null.
    assert!(v.get("reason_zh").is_none());
    sim.stop();
}

#[test]
fn cases_of_a_holder_by_hash_only() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));

    // 张伟 holds two cases, newest change first.
    let zhang = client
        .cases_of_holder(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]))
        .unwrap();
    let numbers: Vec<_> = zhang.iter().map(|c| c.case_number.as_str()).collect();
    assert_eq!(numbers, ["SB-20261124-000042", "SB-20261123-000101"]);

    // A lower-case final x hashes like X.
    let liu = client
        .cases_of_holder(&holder_hash("31010419900707127x"))
        .unwrap();
    assert_eq!(liu.len(), 1);
    assert_eq!(liu[0].case_number, "JZ-20261120-000007");

    // Nobody's hash: empty.
    assert!(client
        .cases_of_holder(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[5]))
        .unwrap()
        .is_empty());

    // A raw ID number is refused by the client before anything is sent.
    let err = client
        .cases_of_holder(SAMPLE_HOLDER_ID_NUMBERS[0])
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Http { status: 400, .. }),
        "{err:?}"
    );
    sim.stop();
}

#[test]
fn the_holder_hash_is_pinned() {
    // Pinned so the kiosk and any platform implementation agree on the contract's value
    // (HMAC-SHA256, key "citizen-window/holder/v1", message "110101198503120017").
    let h = holder_hash("110101198503120017");
    assert_eq!(h.len(), 64);
    assert_eq!(h, holder_hash(" 110101198503120017\n"));
    assert_eq!(h, PINNED_HOLDER_HASH);
}

const PINNED_HOLDER_HASH: &str = "1e2c725424c92207c6c3b57a2cf97b131a6fc687fe1d2f05c3022787b517ac25";

#[test]
fn control_adds_and_replaces_a_case_and_restarts_keep_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.sqlite");
    let (sim, client) = start(&db);

    let holder = holder_hash(SAMPLE_HOLDER_ID_NUMBERS[4]);
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap();
    let mut case = cases::case(
        "GS-20261124-000900",
        ("个体工商户营业执照", "Business licence for a sole trader"),
        CaseStatus::Received,
        vec![
            CaseStep {
                name_zh: "受理".into(),
                name_en: "Received".into(),
                at: Some(at),
                done: true,
            },
            CaseStep {
                name_zh: "审核".into(),
                name_en: "Review".into(),
                at: None,
                done: false,
            },
        ],
    );
    let added = client
        .add_sim_case(&NewCase {
            holder: holder.clone(),
            case: case.clone(),
        })
        .unwrap();
    assert_eq!(added, case);
    assert_eq!(
        client.case_progress("GS-20261124-000900").unwrap(),
        Some(case.clone())
    );
    assert_eq!(client.cases_of_holder(&holder).unwrap(), vec![case.clone()]);

    // Replaced by number.
    case.status = CaseStatus::InReview;
    case.status_zh = CaseStatus::InReview.label_zh().into();
    case.status_en = CaseStatus::InReview.label_en().into();
    client
        .add_sim_case(&NewCase {
            holder: holder.clone(),
            case: case.clone(),
        })
        .unwrap();

    // A bad holder is refused.
    let err = client
        .add_sim_case(&NewCase {
            holder: "110101198503120017".into(),
            case: case.clone(),
        })
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    sim.stop();

    // After a restart: the added case is kept, the seeds are not duplicated.
    let (sim, client) = start(&db);
    assert_eq!(
        client.case_progress("GS-20261124-000900").unwrap(),
        Some(case)
    );
    assert_eq!(
        client
            .cases_of_holder(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]))
            .unwrap()
            .len(),
        2
    );
    sim.stop();
}

#[test]
fn case_requests_are_signed() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, _) = start(&dir.path().join("p.sqlite"));
    let wrong = PlatformClient::new(&sim.base_url(), DEMO_KIOSK_ID, b"wrong-key", TIMEOUT);
    let err = wrong.case_progress("SB-20261124-000042").unwrap_err();
    assert_eq!(err.status(), Some(401));
    let err = wrong
        .cases_of_holder(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]))
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    sim.stop();
}
