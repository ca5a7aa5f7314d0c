//! The simulator's HTTP server against clients that are slow, sloppy or hostile: slow
//! connections do not deny service to everyone, LF-only requests are answered, ambiguous
//! framing is refused, nonces are bounded. Raw sockets on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use chrono::Utc;
use kiosk_platform::sign;
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::PlatformClient;

/// Generous fail-safe for reads: the tests must not depend on machine speed.
const READ_FAILSAFE: Duration = Duration::from_secs(60);

fn start(dir: &std::path::Path) -> SimServer {
    SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.join("p.sqlite")),
    )
    .unwrap()
}

fn addr(sim: &SimServer) -> String {
    sim.base_url().trim_start_matches("http://").to_owned()
}

/// Sends `raw` and reads the answer until the server closes or a full head and body came.
fn exchange(sim: &SimServer, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(addr(sim)).unwrap();
    s.set_read_timeout(Some(READ_FAILSAFE)).unwrap();
    s.write_all(raw).unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
        let text = String::from_utf8_lossy(&out);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= len {
                break;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn two_hundred_slow_clients_do_not_deny_service() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path());
    // 200 connections that each send a header byte every 100 ms: a request head that
    // would take minutes to arrive.
    let mut slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let s = TcpStream::connect(addr(&sim)).unwrap();
            s.set_nodelay(true).unwrap();
            s
        })
        .collect();
    let drip = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for (i, byte) in drip.iter().take(5).enumerate() {
        for s in &mut slow {
            let _ = s.write_all(&[*byte]);
        }
        if i == 2 {
            // While they drip, an honest client is served.
            let client = PlatformClient::new(
                &sim.base_url(),
                DEMO_KIOSK_ID,
                DEMO_KIOSK_KEY.as_bytes(),
                Duration::from_secs(30),
            );
            let health = client.health();
            assert!(health.is_ok(), "{health:?}");
            let lease = client.queue_status();
            assert!(lease.is_ok(), "{lease:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // The slow ones are told off (408) once their head deadline passes, not held for long.
    let mut told = 0;
    for s in &mut slow {
        s.set_read_timeout(Some(READ_FAILSAFE)).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        if String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408") {
            told += 1;
        }
    }
    assert_eq!(told, 200);
    sim.stop();
}

#[test]
fn lf_only_requests_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path());
    let started = Instant::now();
    let answer = exchange(
        &sim,
        b"GET /v1/health HTTP/1.1\nHost: x\nConnection: close\n\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    // Answered at once, not after a timeout (the fail-safe is far above this).
    assert!(started.elapsed() < READ_FAILSAFE);
    sim.stop();
}

#[test]
fn ambiguous_content_lengths_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path());
    for raw in [
        &b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}"[..],
        b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n{}",
        b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}",
    ] {
        let answer = exchange(&sim, raw);
        assert!(
            answer.starts_with("HTTP/1.1 400"),
            "{:?} → {answer:?}",
            String::from_utf8_lossy(raw)
        );
        assert!(answer.contains("bad_request"), "{answer:?}");
    }
    sim.stop();
}

#[test]
fn empty_and_huge_nonces_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(dir.path());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let url = format!("{}/v1/queue/status", sim.base_url());
    let huge = "a".repeat(60 * 1024);
    for nonce in ["", "abc", huge.as_str(), &sign::new_nonce()] {
        let ts = Utc::now().timestamp();
        let sig = sign::sign(
            DEMO_KIOSK_KEY.as_bytes(),
            "GET",
            "/v1/queue/status",
            ts,
            nonce,
            b"",
        );
        let mut resp = agent
            .get(&url)
            .header(sign::HEADER_KIOSK_ID, DEMO_KIOSK_ID)
            .header(sign::HEADER_TIMESTAMP, ts.to_string())
            .header(sign::HEADER_NONCE, nonce)
            .header(sign::HEADER_SIGNATURE, sig)
            .call()
            .unwrap();
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp.body_mut().read_json().unwrap();
        if nonce.len() == 32 {
            assert_eq!(status, 200, "{v}");
        } else {
            assert_eq!(
                (status, v["error"]["code"].as_str()),
                (401, Some("bad_nonce")),
                "nonce of {} characters",
                nonce.len()
            );
        }
    }
    sim.stop();
}
