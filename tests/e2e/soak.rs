//! Crash test: `kiosk soak` killed with SIGKILL at random moments (20 times here; the long
//! run in docs/benchmarks.md does 100+), restarted each time on the same databases; at the
//! end the platform holds exactly N distinct transactions, none twice.
//!
//! `SOAK_CRASH_KILLS` sets the number of kills (the documented long run uses 100).

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use kiosk_platform::sim::{soak_kiosk, SimConfig, SimServer};
use kiosk_platform::PlatformClient;
use rand::Rng;

const KIOSKS: usize = 2;
/// Transactions per kill: enough that no run finishes before it is killed.
const PER_KILL: u64 = 100;

fn soak(base_url: &str, data: &std::path::Path, transactions: u64) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiosk"));
    c.args([
        "soak",
        "--platform",
        base_url,
        "--transactions",
        &transactions.to_string(),
        "--kiosks",
        &KIOSKS.to_string(),
        "--pace-ms",
        "5",
        "--backoff-base-secs",
        "0.05",
        "--backoff-cap-secs",
        "0.5",
        "--interval-secs",
        "1",
        "--batch-size",
        "20",
        "--max-secs",
        "300",
        "--data-dir",
    ])
    .arg(data)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    c
}

#[test]
fn killed_at_random_moments_the_platform_still_holds_each_transaction_once() {
    let kills: usize = std::env::var("SOAK_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let transactions = PER_KILL * kills as u64;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fleet");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sim = SimServer::start(
        listener,
        SimConfig::demo(dir.path().join("platform.sqlite")).with_soak_kiosks(KIOSKS),
    )
    .unwrap();
    let mut rng = rand::rng();
    let mut killed = 0;
    let mut finished_early = 0;
    while killed < kills {
        let mut child = soak(&sim.base_url(), &data, transactions).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(50..450)));
        match child.try_wait().unwrap() {
            None => {
                child.kill().unwrap(); // SIGKILL on Unix
                child.wait().unwrap();
                killed += 1;
            }
            Some(status) => {
                // Everything was already written and sent: it has nothing left to crash in.
                assert!(status.success(), "soak failed: {status}");
                finished_early += 1;
                assert!(
                    finished_early < 5,
                    "the workload is too small to kill {kills} times"
                );
            }
        }
    }
    // The kills landed mid-work: part of the transactions is written, not all.
    let mut written = 0;
    let mut sent = 0;
    for i in 0..KIOSKS {
        let db = kiosk::cli::soak_fleet::kiosk_db(&data, i);
        let c = kiosk::store::Store::open(&db)
            .unwrap()
            .outbox_counts()
            .unwrap();
        written += c.pending + c.sent + c.failed;
        sent += c.sent;
    }
    assert!(
        written > 0 && written < transactions,
        "{written} of {transactions}"
    );
    assert!(sent > 0, "uploads ran between the kills");
    // The last run goes to the end.
    let out = soak(&sim.base_url(), &data, transactions).output().unwrap();
    assert!(out.status.success(), "final soak run failed");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["transactions"], transactions);
    assert_eq!(report["failed_rows"], 0);

    let (id, key) = soak_kiosk(0);
    let client = PlatformClient::new(&sim.base_url(), &id, &key, Duration::from_secs(10));
    let held = client.holdings().unwrap();
    assert_eq!(
        held.transactions, transactions,
        "exactly N transactions held"
    );
    let mut ids: Vec<&str> = held.tickets.iter().map(|t| t.ticket_id.as_str()).collect();
    assert_eq!(ids.len() as u64, transactions);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, transactions, "no transaction twice");
    sim.stop();
}
