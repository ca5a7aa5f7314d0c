//! Silent calling (无声叫号) over real HTTP: the phone left with a queue ticket gets an SMS
//! from the simulator's gateway when three people are ahead and when its number is called
//! (`POST /v1/queue/call`, the counter clerk's button); tickets with no phone get none.

use std::net::TcpListener;
use std::time::Duration;

use chrono::Utc;
use kiosk_platform::api::{self, LeaseRequest, QueueTicketTx, Transaction, TransactionBatch};
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::PlatformClient;

/// Generous: the tests must not depend on machine speed.
const TIMEOUT: Duration = Duration::from_secs(30);
const AREA: &str = "A";
const PHONE: &str = "13912340006";
const OTHER_PHONE: &str = "13912340002";

fn client(sim: &SimServer) -> PlatformClient {
    PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        TIMEOUT,
    )
}

/// Uploads tickets 1..=`count` of today in area A, number `n` with `phone(n)`.
fn take_tickets(c: &PlatformClient, count: u32, phone: impl Fn(u32) -> Option<&'static str>) {
    let day = api::hall_service_day(Utc::now());
    let lease = c
        .lease(&LeaseRequest {
            area_code: AREA.into(),
            service_day: day,
            size: count,
        })
        .unwrap();
    let transactions = (lease.first..=lease.last)
        .map(|n| {
            let ticket = QueueTicketTx {
                ticket_id: uuid::Uuid::new_v4().to_string(),
                area_code: AREA.into(),
                number: n,
                display_number: api::display_number(AREA, n),
                service_day: day,
                issued_at: Utc::now(),
                phone: phone(n).map(str::to_owned),
                lease_id: lease.lease_id.clone(),
            };
            Transaction::queue_ticket(uuid::Uuid::new_v4().to_string(), Utc::now(), &ticket)
                .unwrap()
        })
        .collect();
    let r = c.upload(&TransactionBatch { transactions }).unwrap();
    assert!(
        r.results
            .iter()
            .all(|t| t.status == api::TxStatus::Accepted),
        "{r:?}"
    );
}

fn texts(c: &PlatformClient, number: &str) -> Vec<String> {
    c.sim_sms(Some(number))
        .unwrap()
        .messages
        .into_iter()
        .map(|m| {
            assert_eq!(m.number, number);
            m.text
        })
        .collect()
}

#[test]
fn an_sms_goes_out_at_three_ahead_and_at_the_call_and_only_to_a_phone_left() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.path().join("sim.db")),
    )
    .unwrap();
    let c = client(&sim);
    // A001..A006; A006 left PHONE (five ahead of it), A002 left another number.
    take_tickets(&c, 6, |n| match n {
        6 => Some(PHONE),
        2 => Some(OTHER_PHONE),
        _ => None,
    });
    assert!(texts(&c, PHONE).is_empty(), "five ahead: nothing yet");

    // The clerk calls A001: A006 has four ahead. Calls A002: three ahead, the first SMS.
    assert_eq!(c.call_next(AREA).unwrap().display_number, "A001");
    assert!(texts(&c, PHONE).is_empty(), "four ahead: nothing yet");
    assert_eq!(c.call_next(AREA).unwrap().display_number, "A002");
    let got = texts(&c, PHONE);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("A006") && got[0].contains("前面还有 3 人"),
        "{got:?}"
    );
    assert!(
        got[0].contains("3 people ahead of you"),
        "English too: {got:?}"
    );
    // A002's own phone heard when its number was called, and nothing at three ahead
    // (it never had three people ahead of it).
    let other = texts(&c, OTHER_PHONE);
    assert_eq!(other.len(), 1, "{other:?}");
    assert!(
        other[0].contains("请 A002 号到综合受理窗口办理"),
        "{other:?}"
    );

    // Two, one, none ahead: no more messages until the call itself.
    for n in ["A003", "A004", "A005"] {
        assert_eq!(c.call_next(AREA).unwrap().display_number, n);
    }
    assert_eq!(texts(&c, PHONE).len(), 1, "told once at three ahead");
    assert_eq!(c.call_next(AREA).unwrap().display_number, "A006");
    let got = texts(&c, PHONE);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[1].contains("请 A006 号到综合受理窗口办理"), "{got:?}");
    assert!(got[1].contains("please go to the"), "{got:?}");
    sim.stop();
}

#[test]
fn the_gateway_wants_a_number_and_a_bad_phone_is_refused_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.path().join("sim.db")),
    )
    .unwrap();
    let c = client(&sim);
    // Not a number: refused before it is sent; no number: every message (none yet).
    let e = c.sim_sms(Some("12ab")).unwrap_err();
    assert!(matches!(e, kiosk_platform::ClientError::Decode(_)), "{e:?}");
    assert!(c.sim_sms(None).unwrap().messages.is_empty());
    let day = api::hall_service_day(Utc::now());
    let lease = c
        .lease(&LeaseRequest {
            area_code: AREA.into(),
            service_day: day,
            size: 1,
        })
        .unwrap();
    let ticket = QueueTicketTx {
        ticket_id: uuid::Uuid::new_v4().to_string(),
        area_code: AREA.into(),
        number: lease.first,
        display_number: api::display_number(AREA, lease.first),
        service_day: day,
        issued_at: Utc::now(),
        phone: Some("12345".into()),
        lease_id: lease.lease_id,
    };
    let tx = Transaction::queue_ticket("bad-phone", Utc::now(), &ticket).unwrap();
    let r = c
        .upload(&TransactionBatch {
            transactions: vec![tx],
        })
        .unwrap();
    assert_eq!(r.results[0].status, api::TxStatus::Rejected);
    let reason = r.results[0].reason.clone().unwrap();
    assert!(reason.contains("mobile"), "{reason}");
    assert!(
        !reason.contains("12345"),
        "the number is never echoed: {reason}"
    );
    sim.stop();
}
