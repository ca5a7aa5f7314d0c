//! Replay protection survives a simulator restart: a nonce accepted before the restart is
//! still refused after it, within the timestamp window.

use std::net::TcpListener;
use std::path::Path;

use chrono::Utc;
use kiosk_platform::sign;
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};

fn start(db: &Path) -> SimServer {
    SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(db),
    )
    .unwrap()
}

/// One signed lease request with a fixed timestamp and nonce; (status, body).
fn send(sim: &SimServer, ts: i64, nonce: &str) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let body = br#"{"area_code":"A","service_day":"2025-03-04","size":1}"#;
    let sig = sign::sign(
        DEMO_KIOSK_KEY.as_bytes(),
        "POST",
        "/v1/queue/leases",
        ts,
        nonce,
        body,
    );
    let mut r = agent
        .post(format!("{}/v1/queue/leases", sim.base_url()))
        .header(sign::HEADER_KIOSK_ID, DEMO_KIOSK_ID)
        .header(sign::HEADER_TIMESTAMP, ts.to_string())
        .header(sign::HEADER_NONCE, nonce)
        .header(sign::HEADER_SIGNATURE, &sig)
        .header("Content-Type", "application/json")
        .send(&body[..])
        .unwrap();
    let v: serde_json::Value = r.body_mut().read_json().unwrap();
    (r.status().as_u16(), v)
}

#[test]
fn a_nonce_seen_before_a_restart_is_refused_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.sqlite");
    let ts = Utc::now().timestamp();
    let nonce = sign::new_nonce();

    let sim = start(&db);
    assert_eq!(send(&sim, ts, &nonce).0, 200);
    sim.stop();

    let sim = start(&db);
    let (status, v) = send(&sim, ts, &nonce);
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["error"]["code"], "replayed_nonce");
    assert_eq!(sim.stats().replays_refused, 1);
    // A fresh nonce still works.
    assert_eq!(send(&sim, ts, &sign::new_nonce()).0, 200);
    sim.stop();

    // And again after a second restart (the nonces saved by the second run too).
    let sim = start(&db);
    assert_eq!(send(&sim, ts, &nonce).0, 401);
    sim.stop();
}

#[test]
fn old_nonces_are_forgotten_in_the_database() {
    // A nonce whose request time is past the window is refused by the timestamp check,
    // not remembered: the table only holds the window.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.sqlite");
    let sim = start(&db);
    for _ in 0..3 {
        assert_eq!(
            send(&sim, Utc::now().timestamp(), &sign::new_nonce()).0,
            200
        );
    }
    sim.stop();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM nonces", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    // Age them past the window; the next run's first flush prunes them.
    conn.execute("UPDATE nonces SET ts = ts - 100000", [])
        .unwrap();
    drop(conn);
    let sim = start(&db);
    assert_eq!(
        send(&sim, Utc::now().timestamp(), &sign::new_nonce()).0,
        200
    );
    sim.stop();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM nonces", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}
