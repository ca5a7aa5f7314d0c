//! Applications (自助申报): parts acknowledged with their digest, one case per key however
//! often it is submitted, refusals that say why, the SMS for a receipt without a case
//! number; client ↔ simulator over real HTTP.

use std::net::TcpListener;
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_platform::api::apply::{
    digest, Application, Delivery, MaterialHandedIn, PartRef, ERROR_NOT_ELIGIBLE,
    ERROR_PART_MISSING,
};
use kiosk_platform::api::holder_hash;
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

/// 赵秀英 (born 1955): old enough for the senior citizen's card.
fn application(parts: &[Vec<u8>], birth: NaiveDate, notify_sms: bool) -> Application {
    Application {
        matter: "LR01".into(),
        holder: holder_hash(SAMPLE_HOLDER_ID_NUMBERS[3]),
        masked_id: "510107********4228".into(),
        name: "赵秀英".into(),
        sex: "女".into(),
        nation: "汉".into(),
        birth,
        address: "四川省成都市".into(),
        fields: vec![("mobile".into(), "13900139000".into())],
        mobile: "13900139000".into(),
        delivery: Delivery::Window,
        post_address: None,
        card_parts: [0, 1],
        materials: vec![MaterialHandedIn {
            code: "hukou".into(),
            pages: vec![2],
            at_window: false,
        }],
        parts: parts
            .iter()
            .enumerate()
            .map(|(n, b)| PartRef {
                n: n as u32,
                sha256: digest(b),
            })
            .collect(),
        notify_sms,
    }
}

#[test]
fn an_application_opens_one_case_that_the_progress_query_follows() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));
    let parts: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 1000 + usize::from(i)]).collect();
    let born = NaiveDate::from_ymd_opt(1955, 10, 8).unwrap();
    let app = application(&parts, born, false);
    let key = "app-0123456789abcdef";

    // Submitted before its parts arrived: the platform names what is missing.
    match client.submit_application(key, &app) {
        Err(ClientError::Http {
            status: 409, code, ..
        }) => {
            assert_eq!(code.as_deref(), Some(ERROR_PART_MISSING))
        }
        other => panic!("{other:?}"),
    }
    for (n, bytes) in parts.iter().enumerate() {
        let r = client
            .put_application_part(key, n as u32, bytes.clone())
            .unwrap();
        assert_eq!(r.size, bytes.len() as u64);
        // A part sent again (a kiosk that crashed before the answer) is answered the same.
        assert_eq!(
            client
                .put_application_part(key, n as u32, bytes.clone())
                .unwrap(),
            r
        );
    }
    let first = client.submit_application(key, &app).unwrap();
    assert!(first.created);
    assert!(first.case_number.starts_with("LR-"), "{first:?}");
    let again = client.submit_application(key, &app).unwrap();
    assert_eq!(again.case_number, first.case_number);
    assert!(!again.created);

    let case = client.case_progress(&first.case_number).unwrap().unwrap();
    assert_eq!(case.matter_zh, "老人卡申办");
    let mine = client
        .cases_of_holder(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[3]))
        .unwrap();
    assert!(mine.iter().any(|c| c.case_number == first.case_number));
    let held = client.holdings().unwrap().applications;
    assert_eq!(held.cases, vec![first.case_number.clone()]);
    assert_eq!(held.parts, 3);
    // Nothing was sent by SMS: the receipt had the number.
    assert!(client
        .sim_sms(Some("13900139000"))
        .unwrap()
        .messages
        .is_empty());
    sim.stop();
}

#[test]
fn too_young_for_the_card_is_refused_and_an_offline_receipt_gets_its_number_by_sms() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));
    let parts: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i + 7; 500]).collect();
    for (n, bytes) in parts.iter().enumerate() {
        client
            .put_application_part("young-key-1", n as u32, bytes.clone())
            .unwrap();
        client
            .put_application_part("sms-key-01", n as u32, bytes.clone())
            .unwrap();
    }
    let young = application(&parts, NaiveDate::from_ymd_opt(1985, 3, 12).unwrap(), false);
    match client.submit_application("young-key-1", &young) {
        Err(ClientError::Http {
            status: 422, code, ..
        }) => {
            assert_eq!(code.as_deref(), Some(ERROR_NOT_ELIGIBLE))
        }
        other => panic!("{other:?}"),
    }
    let born = NaiveDate::from_ymd_opt(1955, 10, 8).unwrap();
    let done = client
        .submit_application("sms-key-01", &application(&parts, born, true))
        .unwrap();
    // A second submission (the kiosk did not hear the first answer) sends no second SMS.
    client
        .submit_application("sms-key-01", &application(&parts, born, true))
        .unwrap();
    let sms = client.sim_sms(Some("13900139000")).unwrap().messages;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert!(sms[0].text.contains(&done.case_number), "{}", sms[0].text);
    // A part whose digest does not match is refused.
    assert!(client
        .put_application_part("sms-key-01", 9, Vec::new())
        .is_err());
    sim.stop();
}

#[test]
fn the_gazetteer_comes_with_an_etag_and_a_304_while_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));
    let kiosk_platform::client::GazetteerFetch::Modified {
        gazetteer,
        body,
        etag,
    } = client.gazetteer(None).unwrap()
    else {
        panic!("a first fetch has content");
    };
    assert_eq!(gazetteer.city_zh, "北京市");
    assert!(gazetteer.districts.iter().any(|d| d.name_zh == "东城区"));
    assert_eq!(
        kiosk_platform::api::apply::Gazetteer::parse(&body).unwrap(),
        gazetteer
    );
    let etag = etag.expect("an etag");
    assert_eq!(
        client.gazetteer(Some(&etag)).unwrap(),
        kiosk_platform::client::GazetteerFetch::NotModified
    );
    assert!(matches!(
        client.gazetteer(Some("\"stale\"")).unwrap(),
        kiosk_platform::client::GazetteerFetch::Modified { .. }
    ));
    sim.stop();
}
