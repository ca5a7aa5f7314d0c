//! Admission control over real HTTP: with more clients than the simulator can serve, the
//! extra requests are answered `503 unavailable` with `Retry-After` at once (counted in
//! `/control/stats`) instead of waiting past the clients' timeouts; the others are served.

use std::net::TcpListener;
use std::sync::Barrier;
use std::time::Duration;

use kiosk_platform::sim::{
    Admission, FaultConfig, SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY,
};
use kiosk_platform::{ClientError, PlatformClient};

const TIMEOUT: Duration = Duration::from_secs(30);
const CLIENTS: usize = 24;

fn start(dir: &std::path::Path, admission: Admission) -> SimServer {
    SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.join("p.sqlite"))
            // Every request takes a while, so the four workers are busy.
            .with_faults(FaultConfig {
                latency_ms: 300,
                ..Default::default()
            })
            .with_admission(admission),
    )
    .unwrap()
}

/// `CLIENTS` catalog requests at once; returns (served, shed) and checks every answer is
/// one of the two.
fn storm(sim: &SimServer) -> (usize, usize) {
    let barrier = Barrier::new(CLIENTS);
    let outcomes: Vec<Result<(), ClientError>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..CLIENTS)
            .map(|_| {
                s.spawn(|| {
                    let c = PlatformClient::new(
                        &sim.base_url(),
                        DEMO_KIOSK_ID,
                        DEMO_KIOSK_KEY.as_bytes(),
                        TIMEOUT,
                    );
                    barrier.wait();
                    c.catalog(None).map(|_| ())
                })
            })
            .collect();
        // The simulator's stats stay reachable through the storm (never shed).
        let watcher = s.spawn(|| {
            let c = PlatformClient::new(&sim.base_url(), DEMO_KIOSK_ID, b"", TIMEOUT);
            for _ in 0..5 {
                c.sim_stats().expect("stats answered during the storm");
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let outcomes = hs.into_iter().map(|h| h.join().unwrap()).collect();
        watcher.join().unwrap();
        outcomes
    });
    let mut served = 0;
    let mut shed = 0;
    for o in outcomes {
        match o {
            Ok(()) => served += 1,
            Err(ClientError::Http {
                status: 503,
                code,
                retry_after,
                ..
            }) => {
                assert_eq!(code.as_deref(), Some("unavailable"));
                assert_eq!(retry_after, Some(Duration::from_secs(7)));
                shed += 1;
            }
            Err(e) => panic!("neither served nor shed: {e}"),
        }
    }
    (served, shed)
}

#[test]
fn a_full_queue_is_answered_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(
        dir.path(),
        Admission {
            max_queue: 1,
            max_wait: Duration::ZERO,
            retry_after_secs: 7,
        },
    );
    let (served, shed) = storm(&sim);
    // How many get a worker depends on scheduling (on a loaded machine the queue may
    // never drain below the bound while the storm lasts); that some are shed does not.
    assert_eq!(served + shed, CLIENTS);
    assert!(shed >= 1, "some are shed");
    let stats = sim.stats();
    assert_eq!(stats.shed_503, shed as u64);
    assert!(stats.peak_queue >= 1);
    // Shed requests never reached the platform's handlers.
    assert_eq!(stats.requests, served as u64);
    sim.stop();
}

#[test]
fn a_request_that_waited_too_long_is_answered_503() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(
        dir.path(),
        Admission {
            max_queue: 0,
            // The first requests wait well under this, the last ones (24 clients, 4
            // workers, 300 ms each) well over.
            max_wait: Duration::from_secs(1),
            retry_after_secs: 7,
        },
    );
    let (served, shed) = storm(&sim);
    assert!(served >= 1, "some are served");
    assert!(shed >= 1, "some are shed");
    assert_eq!(sim.stats().shed_503, shed as u64);
    sim.stop();
}

#[test]
fn without_admission_control_everyone_waits_and_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start(
        dir.path(),
        Admission {
            max_queue: 0,
            max_wait: Duration::ZERO,
            retry_after_secs: 7,
        },
    );
    let (served, shed) = storm(&sim);
    assert_eq!((served, shed), (CLIENTS, 0));
    assert!(sim.stats().peak_queue >= 1);
    assert_eq!(sim.stats().shed_503, 0);
    sim.stop();
}
