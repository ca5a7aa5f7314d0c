//! Identifying without the card, client ↔ simulator over real HTTP: the SMS code sent to
//! the gateway and checked once, refusals before sending, and e-ID codes good once. Run with
//! `--nocapture` to see the round trips' time (docs/benchmarks.md); nothing here waits on a
//! clock.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use kiosk_platform::api::holder_hash;
use kiosk_platform::api::identity::{EidChecked, SmsCodeChecked, SmsCodeSent};
use kiosk_platform::codes::parse_eid_code;
use kiosk_platform::sim::cases::SAMPLE_HOLDER_ID_NUMBERS;
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::{ClientError, PlatformClient};

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
        Duration::from_secs(30),
    );
    (sim, client)
}

fn code_of(client: &PlatformClient, phone: &str) -> String {
    let log = client.sim_sms(Some(phone)).unwrap();
    let text = &log.messages.last().unwrap().text;
    text.chars().filter(char::is_ascii_digit).take(6).collect()
}

#[test]
fn sms_codes_and_eid_codes_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, client) = start(&dir.path().join("sim.sqlite"));
    let zhang = holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]);
    match client.send_sms_code(&zhang).unwrap() {
        SmsCodeSent::Sent {
            masked_phone,
            expires_in_s,
        } => {
            assert_eq!(masked_phone, "138****8000");
            assert_eq!(expires_in_s, 300);
        }
        other => panic!("{other:?}"),
    }
    let code = code_of(&client, "13800138000");
    assert_eq!(
        client.check_sms_code(&zhang, &code).unwrap(),
        SmsCodeChecked::Verified {
            name: "张伟".into()
        }
    );
    assert_eq!(
        client.check_sms_code(&zhang, &code).unwrap(),
        SmsCodeChecked::NoCode
    );
    // Refused before sending: a raw ID number in place of the hash, a code out of shape.
    for (holder, code) in [
        (SAMPLE_HOLDER_ID_NUMBERS[0], "123456"),
        (&zhang[..], "12345x"),
    ] {
        assert!(matches!(
            client.check_sms_code(holder, code),
            Err(ClientError::Http { status: 400, .. })
        ));
    }
    assert!(client.sim_sms(Some("1380013800&x=1")).is_err());
    // Nobody else's messages are in this number's log.
    assert!(client
        .sim_sms(Some("13912345678"))
        .unwrap()
        .messages
        .is_empty());

    let payload = client.sim_issue_eid(1).unwrap();
    let token = parse_eid_code(&payload).unwrap();
    assert!(matches!(
        client.check_eid_code(&token).unwrap(),
        EidChecked::Verified { ref name, .. } if name == "刘洋"
    ));
    assert_eq!(client.check_eid_code(&token).unwrap(), EidChecked::Used);
    assert_eq!(
        client.check_eid_code("no-such-token-at-all").unwrap(),
        EidChecked::Invalid
    );
    assert!(matches!(
        client.check_eid_code("bad token!"),
        Err(ClientError::Http { status: 400, .. })
    ));
}

/// Send + check round trips, to see what a citizen waits for on loopback.
#[test]
fn round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let (_sim, client) = start(&dir.path().join("sim.sqlite"));
    const N: u32 = 200;
    let people: Vec<String> = [0, 1, 2, 4, 5]
        .iter()
        .map(|&i| holder_hash(SAMPLE_HOLDER_ID_NUMBERS[i]))
        .collect();
    let phones = [
        "13800138000",
        "13912345678",
        "13700137000",
        "15099110000",
        "18600186000",
    ];
    let (mut send, mut check, mut eid) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for i in 0..N as usize {
        let (holder, phone) = (&people[i % 5], phones[i % 5]);
        let t = Instant::now();
        assert!(matches!(
            client.send_sms_code(holder).unwrap(),
            SmsCodeSent::Sent { .. }
        ));
        send += t.elapsed();
        let code = code_of(&client, phone);
        let t = Instant::now();
        assert!(matches!(
            client.check_sms_code(holder, &code).unwrap(),
            SmsCodeChecked::Verified { .. }
        ));
        check += t.elapsed();
        let token = parse_eid_code(&client.sim_issue_eid(i % 6).unwrap()).unwrap();
        let t = Instant::now();
        assert!(matches!(
            client.check_eid_code(&token).unwrap(),
            EidChecked::Verified { .. }
        ));
        eid += t.elapsed();
    }
    println!(
        "identity round trips over loopback, mean of {N}: send {:.2} ms, check {:.2} ms, e-ID {:.2} ms",
        send.as_secs_f64() * 1000.0 / f64::from(N),
        check.as_secs_f64() * 1000.0 / f64::from(N),
        eid.as_secs_f64() * 1000.0 / f64::from(N),
    );
}
