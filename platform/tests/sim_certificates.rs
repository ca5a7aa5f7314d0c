//! Certificates: `POST /v1/certificates` and the public verification page, client ↔
//! simulator over real HTTP.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use kiosk_platform::api::certificate::{
    CertificateRequest, ERROR_NO_RECORD, KIND_SOCIAL_INSURANCE, VERIFY_FAILED_ZH, VERIFY_GENUINE_ZH,
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

/// A plain GET as a phone's browser sends it: status and body.
fn get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

fn ask(kind: &str, who: usize) -> CertificateRequest {
    CertificateRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        kind: kind.into(),
        holder: holder_hash(SAMPLE_HOLDER_ID_NUMBERS[who]),
    }
}

#[test]
fn issue_and_verify_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, client) = start(&dir.path().join("p.sqlite"));

    let catalog = client.catalog(None).unwrap();
    let kinds: Vec<_> = match catalog {
        kiosk_platform::client::CatalogFetch::Modified { catalog, .. } => catalog
            .certificate_kinds
            .into_iter()
            .map(|k| k.code)
            .collect(),
        other => panic!("{other:?}"),
    };
    assert!(
        kinds.contains(&KIND_SOCIAL_INSURANCE.to_owned()),
        "{kinds:?}"
    );

    let c = client
        .issue_certificate(&ask(KIND_SOCIAL_INSURANCE, 0))
        .unwrap();
    assert!(c
        .verify_url
        .starts_with(&format!("{}/verify?", sim.base_url())));
    let (status, page) = get(&c.verify_url);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(VERIFY_GENUINE_ZH), "{page}");
    assert!(page.contains("个人参保证明"));
    assert!(page.contains("张*"));
    assert!(page.contains("110101********0017"));
    assert!(!page.contains("110101198503120017"));

    // One digit of the signature changed, or the case number: not genuine.
    let mut forged = c.verify_url.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    for url in [
        forged,
        c.verify_url.replace(&c.case_number[3..], "20261124-999999"),
    ] {
        let (status, page) = get(&url);
        assert_eq!(status, 404);
        assert!(page.contains(VERIFY_FAILED_ZH), "{page}");
        assert!(!page.contains(VERIFY_GENUINE_ZH));
    }

    // The citizen with no records.
    match client.issue_certificate(&ask(KIND_SOCIAL_INSURANCE, 5)) {
        Err(ClientError::Http {
            status: 404, code, ..
        }) => {
            assert_eq!(code.as_deref(), Some(ERROR_NO_RECORD))
        }
        other => panic!("{other:?}"),
    }
    sim.stop();
}
