//! Client ↔ simulator over real HTTP on 127.0.0.1.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use kiosk_platform::api::{
    self, LeaseRequest, QueueTicketTx, Transaction, TransactionBatch, TxStatus,
};
use kiosk_platform::sign;
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::{CatalogFetch, ClientError, PlatformClient};

const SECOND_KIOSK: &str = "kiosk-002";
const SECOND_KEY: &[u8] = b"second-key";
/// Generous: the tests must not depend on machine speed.
const TIMEOUT: Duration = Duration::from_secs(30);

fn start(db: &Path) -> SimServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    SimServer::start(
        listener,
        SimConfig::demo(db).with_kiosk(SECOND_KIOSK, SECOND_KEY),
    )
    .unwrap()
}

fn demo_client(sim: &SimServer) -> PlatformClient {
    PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        TIMEOUT,
    )
}

fn second_client(sim: &SimServer) -> PlatformClient {
    PlatformClient::new(&sim.base_url(), SECOND_KIOSK, SECOND_KEY, TIMEOUT)
}

/// A fixed day: tests never depend on the date they run.
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 4).unwrap()
}

fn lease_req(area: &str, size: u32) -> LeaseRequest {
    LeaseRequest {
        area_code: area.into(),
        service_day: day(),
        size,
    }
}

fn ticket_tx(key: &str, area: &str, number: u32, lease_id: &str) -> Transaction {
    let ticket = QueueTicketTx {
        ticket_id: uuid::Uuid::new_v4().to_string(),
        area_code: area.into(),
        number,
        display_number: api::display_number(area, number),
        service_day: day(),
        issued_at: Utc::now(),
        phone: Some("13812345678".into()),
        lease_id: lease_id.into(),
    };
    Transaction::queue_ticket(key, Utc::now(), &ticket).unwrap()
}

fn batch(txs: Vec<Transaction>) -> TransactionBatch {
    TransactionBatch { transactions: txs }
}

fn http_status(e: &ClientError) -> u16 {
    match e {
        ClientError::Http { status, .. } => *status,
        other => panic!("expected Http error, got {other:?}"),
    }
}

fn http_code(e: &ClientError) -> String {
    match e {
        ClientError::Http { code, .. } => code.clone().unwrap_or_default(),
        other => panic!("expected Http error, got {other:?}"),
    }
}

#[test]
fn health_is_unsigned() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let stranger = PlatformClient::new(&sim.base_url(), "nobody", b"nothing", TIMEOUT);
    assert_eq!(stranger.health().unwrap().status, "ok");
    sim.stop();
}

#[test]
fn catalog_then_not_modified_with_etag() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let client = demo_client(&sim);

    let CatalogFetch::Modified { catalog, etag } = client.catalog(None).unwrap() else {
        panic!("first fetch must return the catalog");
    };
    let etag = etag.expect("catalog has an ETag");
    assert_eq!(catalog.hall.code, "demo-hall");
    assert_eq!(catalog.hall.name_zh, "示范市政务服务中心");
    assert_eq!(catalog.hall.desk_zh, "一楼大厅入口右侧服务台");
    assert!(catalog.hall.desk_en.contains("service desk"));
    let codes: Vec<_> = catalog.areas.iter().map(|a| a.code.as_str()).collect();
    assert_eq!(codes, ["A", "B", "C", "D"]);
    assert_eq!(catalog.areas[1].name_en, "Social & Medical Insurance");
    assert!(catalog.areas.iter().all(|a| !a.description_zh.is_empty()));

    assert_eq!(
        client.catalog(Some(&etag)).unwrap(),
        CatalogFetch::NotModified
    );
    // A stale etag gets the content again, with the same current etag.
    match client.catalog(Some("\"stale\"")).unwrap() {
        CatalogFetch::Modified { etag: e2, .. } => assert_eq!(e2.as_deref(), Some(&*etag)),
        CatalogFetch::NotModified => panic!("stale etag must not match"),
    }
    sim.stop();
}

#[test]
fn leases_are_disjoint_across_kiosks_and_restart_daily() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let a = demo_client(&sim);
    let b = second_client(&sim);

    let l1 = a.lease(&lease_req("A", 10)).unwrap();
    let l2 = b.lease(&lease_req("A", 5)).unwrap();
    let l3 = a.lease(&lease_req("A", 200)).unwrap();
    assert_eq!((l1.first, l1.last), (1, 10));
    assert_eq!((l2.first, l2.last), (11, 15));
    assert_eq!((l3.first, l3.last), (16, 215));
    assert_ne!(l1.lease_id, l2.lease_id);

    // Other area and other day have their own numbering.
    assert_eq!(b.lease(&lease_req("B", 3)).unwrap().first, 1);
    let mut next_day = lease_req("A", 3);
    next_day.service_day = day().succ_opt().unwrap();
    assert_eq!(a.lease(&next_day).unwrap().first, 1);

    // Concurrent requests from both kiosks still never overlap.
    let mut handles = Vec::new();
    for i in 0..8 {
        let c = if i % 2 == 0 { a.clone() } else { b.clone() };
        handles.push(std::thread::spawn(move || {
            (0..5)
                .map(|_| c.lease(&lease_req("C", 7)).unwrap())
                .collect::<Vec<_>>()
        }));
    }
    let mut ranges: Vec<(u32, u32)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .map(|l| (l.first, l.last))
        .collect();
    ranges.sort();
    assert_eq!(ranges.len(), 40);
    for (i, (first, last)) in ranges.iter().enumerate() {
        assert_eq!(*first, 1 + 7 * i as u32);
        assert_eq!(*last, first + 6);
    }
    sim.stop();
}

#[test]
fn lease_validation() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let c = demo_client(&sim);

    let e = c.lease(&lease_req("Z", 10)).unwrap_err();
    assert_eq!(
        (http_status(&e), http_code(&e).as_str()),
        (404, "unknown_area")
    );
    assert!(!e.is_retryable());
    for size in [0, 201] {
        let e = c.lease(&lease_req("A", size)).unwrap_err();
        assert_eq!((http_status(&e), http_code(&e).as_str()), (400, "bad_size"));
    }
    sim.stop();
}

#[test]
fn upload_accepted_then_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let c = demo_client(&sim);
    let lease = c.lease(&lease_req("A", 10)).unwrap();

    let tx = ticket_tx("key-1", "A", 1, &lease.lease_id);
    let r = c.upload(&batch(vec![tx.clone()])).unwrap();
    assert_eq!(r.results.len(), 1);
    assert_eq!(r.results[0].idempotency_key, "key-1");
    assert_eq!(r.results[0].status, TxStatus::Accepted);

    // The same key again (a retry after a lost response) is a duplicate, also within
    // one batch, and nothing is stored twice.
    let r = c.upload(&batch(vec![tx.clone(), tx.clone()])).unwrap();
    assert!(r.results.iter().all(|r| r.status == TxStatus::Duplicate));

    let h = c.holdings().unwrap();
    assert_eq!(h.transactions, 1);
    assert_eq!(h.duplicates_refused, 2);
    assert_eq!(h.tickets.len(), 1);
    let t = &h.tickets[0];
    assert_eq!(t.kiosk_id, DEMO_KIOSK_ID);
    assert_eq!((t.area_code.as_str(), t.number), ("A", 1));
    assert_eq!(t.display_number, "A001");
    assert_eq!(t.service_day, day());
    assert!(!t.called);
    assert_eq!(t.ticket_id, tx.payload["ticket_id"].as_str().unwrap());
    sim.stop();
}

#[test]
fn upload_rejections_keep_order() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let a = demo_client(&sim);
    let b = second_client(&sim);
    let lease_a = a.lease(&lease_req("A", 10)).unwrap(); // 1..=10
    let lease_b = b.lease(&lease_req("A", 10)).unwrap(); // 11..=20

    let mut unknown_kind = ticket_tx("k-kind", "A", 3, &lease_a.lease_id);
    unknown_kind.kind = "parking_permit".into();
    let mut bad_payload = ticket_tx("k-payload", "A", 4, &lease_a.lease_id);
    bad_payload.payload = serde_json::json!({ "number": "four" });
    let txs = vec![
        ticket_tx("k-ok", "A", 2, &lease_a.lease_id),
        ticket_tx("k-outside", "A", 11, &lease_a.lease_id), // kiosk b's number
        ticket_tx("k-beyond", "A", 99, &lease_a.lease_id),  // nobody's number
        ticket_tx("k-area", "Z", 1, &lease_a.lease_id),
        unknown_kind,
        bad_payload,
        ticket_tx("k-same-number", "A", 2, &lease_a.lease_id),
    ];
    let r = a.upload(&batch(txs)).unwrap();
    let got: Vec<_> = r
        .results
        .iter()
        .map(|r| (r.idempotency_key.as_str(), r.status))
        .collect();
    use TxStatus::*;
    assert_eq!(
        got,
        [
            ("k-ok", Accepted),
            ("k-outside", Rejected),
            ("k-beyond", Rejected),
            ("k-area", Rejected),
            ("k-kind", Rejected),
            ("k-payload", Rejected),
            ("k-same-number", Rejected),
        ]
    );
    assert!(r.results[0].reason.is_none());
    for res in &r.results[1..] {
        let reason = res.reason.as_deref().unwrap();
        assert!(!reason.contains("13812345678"), "{reason}");
    }
    assert!(r.results[1].reason.as_deref().unwrap().contains("outside"));
    assert!(r.results[3]
        .reason
        .as_deref()
        .unwrap()
        .contains("unknown area"));
    assert!(r.results[4]
        .reason
        .as_deref()
        .unwrap()
        .contains("unknown kind"));

    // Kiosk b may upload its own number 11.
    let r = b
        .upload(&batch(vec![ticket_tx("k-b", "A", 11, &lease_b.lease_id)]))
        .unwrap();
    assert_eq!(r.results[0].status, Accepted);

    // A rejected key is not remembered: once valid, it is accepted.
    let r = a
        .upload(&batch(vec![ticket_tx(
            "k-beyond",
            "A",
            5,
            &lease_a.lease_id,
        )]))
        .unwrap();
    assert_eq!(r.results[0].status, Accepted);

    let h = a.holdings().unwrap();
    assert_eq!(h.transactions, 3);
    assert_eq!(h.tickets.len(), 3);

    // Batch size limits.
    let e = a.upload(&batch(vec![])).unwrap_err();
    assert_eq!(
        (http_status(&e), http_code(&e).as_str()),
        (400, "bad_batch_size")
    );
    let big: Vec<_> = (0..501)
        .map(|i| ticket_tx(&format!("big-{i}"), "A", 1, &lease_a.lease_id))
        .collect();
    let e = a.upload(&batch(big)).unwrap_err();
    assert_eq!(http_status(&e), 400);
    sim.stop();
}

#[test]
fn bad_signature_and_unknown_kiosk_are_401() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));

    let wrong_key = PlatformClient::new(&sim.base_url(), DEMO_KIOSK_ID, b"wrong", TIMEOUT);
    let e = wrong_key.catalog(None).unwrap_err();
    assert!(matches!(e, ClientError::Http { status: 401, .. }), "{e:?}");
    assert_eq!(http_code(&e), "bad_signature");
    assert!(!e.is_retryable());

    let stranger = PlatformClient::new(&sim.base_url(), "nobody", b"x", TIMEOUT);
    let e = stranger.lease(&lease_req("A", 1)).unwrap_err();
    assert_eq!(
        (http_status(&e), http_code(&e).as_str()),
        (401, "unknown_kiosk")
    );
    sim.stop();
}

/// Raw requests with hand-made headers: missing signature, stale timestamp, tampered
/// body.
#[test]
fn raw_signature_checks() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let url = format!("{}/v1/queue/leases", sim.base_url());
    let body = br#"{"area_code":"A","service_day":"2025-03-04","size":1}"#;

    let post = |ts: i64, signed_body: &[u8], sent_body: &[u8]| {
        let nonce = sign::new_nonce();
        let sig = sign::sign(
            DEMO_KIOSK_KEY.as_bytes(),
            "POST",
            "/v1/queue/leases",
            ts,
            &nonce,
            signed_body,
        );
        let mut resp = agent
            .post(&url)
            .header(sign::HEADER_KIOSK_ID, DEMO_KIOSK_ID)
            .header(sign::HEADER_TIMESTAMP, ts.to_string())
            .header(sign::HEADER_NONCE, nonce)
            .header(sign::HEADER_SIGNATURE, sig)
            .header("Content-Type", "application/json")
            .send(sent_body)
            .unwrap();
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp.body_mut().read_json().unwrap();
        (status, v)
    };
    let now = Utc::now().timestamp();

    let (status, v) = post(now, body, body);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["first"], 1);

    let (status, v) = post(now - 301, body, body);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("clock_skew"))
    );
    let (status, v) = post(now + 301, body, body);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("clock_skew"))
    );
    // Within the window is fine.
    let (status, _) = post(now - 200, body, body);
    assert_eq!(status, 200);

    let tampered = br#"{"area_code":"A","service_day":"2025-03-04","size":9}"#;
    let (status, v) = post(now, body, tampered);
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("bad_signature"))
    );

    let mut resp = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(&body[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let v: serde_json::Value = resp.body_mut().read_json().unwrap();
    assert_eq!(v["error"]["code"], "missing_signature");
    assert!(v["error"]["message"].is_string());
    sim.stop();
}

#[test]
fn stopped_platform_is_a_retryable_network_error() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let client = demo_client(&sim);
    // Talk first, so the client holds a pooled keep-alive connection when the
    // platform goes away: that must fail fast too, not hang.
    client.health().unwrap();
    client.catalog(None).unwrap();
    let addr = sim.addr();
    sim.stop();

    let e = client.queue_status().unwrap_err();
    assert!(matches!(e, ClientError::Network(_)), "{e:?}");
    assert!(e.is_retryable());
    let e = client
        .upload(&batch(vec![ticket_tx("k", "A", 1, "l")]))
        .unwrap_err();
    assert!(matches!(e, ClientError::Network(_)), "{e:?}");

    // stop() freed the port.
    let again = TcpListener::bind(addr).expect("port is free after stop");
    drop(again);
}

#[test]
fn restart_on_same_database_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.sqlite");
    let sim = start(&db);
    let addr = sim.addr();
    let client = demo_client(&sim);
    let lease = client.lease(&lease_req("D", 10)).unwrap();
    let first = ticket_tx("k1", "D", 1, &lease.lease_id);
    let r = client.upload(&batch(vec![first.clone()])).unwrap();
    assert_eq!(r.results[0].status, TxStatus::Accepted);
    sim.stop();

    // Same port and same database: the kiosk's client keeps working unchanged.
    let sim = SimServer::start(
        TcpListener::bind(addr).unwrap(),
        SimConfig::demo(&db).with_kiosk(SECOND_KIOSK, SECOND_KEY),
    )
    .unwrap();
    let h = client.holdings().unwrap();
    assert_eq!(h.transactions, 1);
    assert_eq!(h.tickets[0].display_number, "D001");
    // Idempotency and leases survived: no duplicate storage, no reused numbers. (The same
    // upload again: a key with another body would be refused with 409.)
    let r = client.upload(&batch(vec![first])).unwrap();
    assert_eq!(r.results[0].status, TxStatus::Duplicate);
    let r = client
        .upload(&batch(vec![ticket_tx("k2", "D", 2, &lease.lease_id)]))
        .unwrap();
    assert_eq!(r.results[0].status, TxStatus::Accepted);
    assert_eq!(client.lease(&lease_req("D", 5)).unwrap().first, 11);
    sim.stop();

    // A restart on another port works just as well.
    let sim = start(&db);
    let h = demo_client(&sim).holdings().unwrap();
    assert_eq!(h.tickets.len(), 2);
    assert_eq!(h.duplicates_refused, 1);
    sim.stop();
}

#[test]
fn calling_reduces_waiting_and_updates_follow_page() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let c = demo_client(&sim);
    // Today's hall day: status and call default to it.
    let today = api::hall_service_day(Utc::now());
    let lease = c
        .lease(&LeaseRequest {
            area_code: "B".into(),
            service_day: today,
            size: 10,
        })
        .unwrap();
    let mut txs = Vec::new();
    let mut ticket_ids = Vec::new();
    for n in 1..=3 {
        let mut tx = ticket_tx(&format!("k{n}"), "B", n, &lease.lease_id);
        tx.payload["service_day"] = serde_json::json!(today.to_string());
        ticket_ids.push(tx.payload["ticket_id"].as_str().unwrap().to_owned());
        txs.push(tx);
    }
    let r = c.upload(&batch(txs)).unwrap();
    assert!(
        r.results.iter().all(|r| r.status == TxStatus::Accepted),
        "{r:?}"
    );

    let waiting = |s: &api::QueueStatus, code: &str| {
        let a = s.areas.iter().find(|a| a.code == code).unwrap();
        (a.waiting, a.last_called)
    };
    let s = c.queue_status_for(today).unwrap();
    assert_eq!(s.service_day, today);
    assert_eq!(s.areas.len(), 4);
    assert_eq!(waiting(&s, "B"), (3, None));
    assert_eq!(waiting(&s, "A"), (0, None));

    let follow_url = api::follow_url(&sim.public_base_url(), &ticket_ids[2]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let page = |url: &str| {
        let mut resp = agent.get(url).call().unwrap();
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap())
    };
    let (status, html) = page(&follow_url);
    assert_eq!(status, 200);
    assert!(html.contains("B003"), "{html}");
    assert!(html.contains("社保医保"), "{html}");
    assert!(html.contains("<b>2</b>"), "two people ahead: {html}");

    let called = c.call_next("B").unwrap();
    assert_eq!((called.number, called.display_number.as_str()), (1, "B001"));
    assert_eq!(called.service_day, today);
    let s = c.queue_status().unwrap();
    assert_eq!(waiting(&s, "B"), (2, Some(1)));
    let (_, html) = page(&follow_url);
    assert!(html.contains("<b>1</b>"), "one person ahead: {html}");

    assert_eq!(c.call_next("B").unwrap().display_number, "B002");
    assert_eq!(c.call_next("B").unwrap().display_number, "B003");
    assert_eq!(waiting(&c.queue_status().unwrap(), "B"), (0, Some(3)));
    let (_, html) = page(&follow_url);
    assert!(html.contains("已叫号"), "{html}");

    let e = c.call_next("B").unwrap_err();
    assert_eq!(
        (http_status(&e), http_code(&e).as_str()),
        (404, "queue_empty")
    );
    let e = c.call_next("Q").unwrap_err();
    assert_eq!(
        (http_status(&e), http_code(&e).as_str()),
        (404, "unknown_area")
    );

    let h = c.holdings().unwrap();
    assert!(h.tickets.iter().all(|t| t.called));

    let (status, _) = page(&api::follow_url(&sim.base_url(), "no-such-ticket"));
    assert_eq!(status, 404);
    sim.stop();
}

#[test]
fn unknown_routes_and_methods() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(&dir.path().join("p.sqlite"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut resp = agent
        .get(format!("{}/nowhere", sim.base_url()))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let v: serde_json::Value = resp.body_mut().read_json().unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    let resp = agent
        .post(format!("{}/v1/health", sim.base_url()))
        .send_empty()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    sim.stop();
}

#[test]
fn serve_runs_until_shutdown_flag() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let flag = Arc::new(AtomicBool::new(false));
    let config = SimConfig::demo(dir.path().join("p.sqlite"));
    let f = Arc::clone(&flag);
    let t = std::thread::spawn(move || kiosk_platform::sim::serve(listener, config, f));
    let client = PlatformClient::new(&base, DEMO_KIOSK_ID, DEMO_KIOSK_KEY.as_bytes(), TIMEOUT);
    assert_eq!(client.health().unwrap().status, "ok");
    flag.store(true, Ordering::SeqCst);
    t.join().unwrap().unwrap();
    assert!(matches!(client.health(), Err(ClientError::Network(_))));
}
