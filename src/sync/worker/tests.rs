//! The sync worker against a hostile platform (kiosk_platform::hostile) standing in front of
//! a real platform simulator on loopback: every way of answering an upload, what the outbox
//! and the status must show, and that it recovers by itself when the answer heals.

use std::net::{SocketAddr, TcpListener};

use kiosk_platform::hostile::{hostile_answers, Answer, Expect, HostileServer};
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};

use super::*;
use crate::app::RecordingSink;
use crate::store::NewTicket;
use chrono::DateTime;

const TICKETS: usize = 3;

struct Rig {
    _dir: tempfile::TempDir,
    sim: SimServer,
    hostile: HostileServer,
    state: State,
}

fn sim_addr(sim: &SimServer) -> SocketAddr {
    sim.base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("simulator address")
}

/// A kiosk whose platform link goes through the hostile server, with `TICKETS` rows in
/// its outbox: tickets (numbers leased from the real simulator through the honest link) and
/// a rating.
fn rig(config: SyncConfig) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.path().join("platform.sqlite")),
    )
    .unwrap();
    let hostile = HostileServer::start(Some(sim_addr(&sim))).unwrap();
    // Short timeout: the slow-drip and silent answers end with it.
    let client = PlatformClient::new(
        &hostile.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(2),
    );
    let store = Store::open(&dir.path().join("kiosk.sqlite")).unwrap();
    let mut state = State::new(
        store,
        client,
        config,
        Arc::new(RecordingSink::default()),
        crate::devices::health::HealthBoard::new(),
    );
    state
        .round()
        .expect("honest first round: catalog and leases");
    // The last row is a rating, so every transaction kind meets every hostile answer.
    for _ in 1..TICKETS {
        state
            .store
            .issue_ticket(
                &NewTicket {
                    area_code: "A".into(),
                    phone: Some("13800138000".into()),
                    service_day: crate::clock::service_day(),
                },
                Utc::now(),
            )
            .unwrap();
    }
    let rated = crate::app::Rated {
        service: crate::services::ServiceId::QueueTicket,
        case_number: None,
        level: crate::app::Level::Basic,
        reasons: vec![crate::app::Reason::LongWait],
    };
    crate::rating_worker::record(&mut state.store, &rated, Utc::now()).unwrap();
    Rig {
        _dir: dir,
        sim,
        hostile,
        state,
    }
}

fn fast() -> SyncConfig {
    SyncConfig {
        backoff_base_secs: 0.01,
        backoff_cap_secs: 0.05,
        batch_size: 10,
        ..SyncConfig::default()
    }
}

fn held(sim: &SimServer) -> u64 {
    PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(10),
    )
    .holdings()
    .unwrap()
    .transactions
}

/// (attempts, last_error, next_attempt_at) of every pending row.
fn pending_rows(store: &Store) -> Vec<(u32, Option<String>, DateTime<Utc>)> {
    let mut stmt = store
        .conn()
        .prepare("SELECT attempts, last_error, next_attempt_at FROM outbox WHERE state = 'pending'")
        .unwrap();
    stmt.query_map([], |r| {
        let next: String = r.get(2)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            DateTime::parse_from_rfc3339(&next)
                .unwrap()
                .with_timezone(&Utc),
        ))
    })
    .unwrap()
    .collect::<Result<Vec<_>, _>>()
    .unwrap()
}

/// Waits until every pending row is due (the backoff in `fast()` is at most 0.1 s).
fn until_due(store: &Store) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while pending_rows(store)
        .iter()
        .any(|(_, _, next)| *next > Utc::now())
    {
        assert!(Instant::now() < deadline, "rows never came due");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks one answer; `Err` says what went wrong, for the table's report.
fn check(name: &str, answer: Answer, expect: Expect) -> Result<(), String> {
    let mut rig = rig(fast());
    rig.hostile.answer("/v1/transactions", answer);
    let (wait, _) = rig.state.round_and_report();
    let status = rig.state.status();
    let counts = rig.state.store.outbox_counts().unwrap();
    let on_platform = held(&rig.sim);
    let fail = |what: String| Err(format!("{name}: {what} (status {status:?})"));
    // Never marked sent without the platform's own acknowledgement.
    if counts.sent > on_platform {
        return fail(format!(
            "{} rows marked sent, the platform holds {on_platform}",
            counts.sent
        ));
    }
    // Never waits past the cap, whatever Retry-After said.
    let longest = rig.state.backoff().longest_delay();
    let failing = matches!(expect, Expect::LinkProblem | Expect::Misbehaving);
    if failing && wait > longest {
        return fail(format!("round waits {wait:?}"));
    }
    let latest = Utc::now() + chrono::Duration::from_std(longest).unwrap();
    for (_, _, next) in pending_rows(&rig.state.store) {
        if next > latest {
            return fail(format!("a row waits until {next}"));
        }
    }
    match expect {
        Expect::Acknowledged => {
            if (counts.pending, counts.sent, counts.failed) != (0, TICKETS as u64, 0) {
                return fail(format!("counts {counts:?}"));
            }
            if status.link != LinkState::Online || !status.online {
                return fail("not online".into());
            }
        }
        Expect::Refused => {
            if (counts.failed, counts.sent) != (TICKETS as u64, 0) {
                return fail(format!("counts {counts:?}"));
            }
        }
        Expect::LinkProblem | Expect::Misbehaving => {
            if counts.failed != 0 {
                return fail(format!("{} rows failed for good", counts.failed));
            }
            let class = if expect == Expect::LinkProblem {
                LinkState::LinkProblem
            } else {
                LinkState::PlatformMisbehaving
            };
            if status.link != class || status.online {
                return fail(format!("link should be {class:?}"));
            }
            if status.last_error.is_none() {
                return fail("no error shown".into());
            }
            for (attempts, error, _) in pending_rows(&rig.state.store) {
                if attempts == 0 || error.is_none() {
                    return fail("a pending row has no attempt or reason recorded".into());
                }
            }
        }
    }
    // The cause goes away: what was not refused goes through by itself, exactly once.
    rig.hostile.heal();
    until_due(&rig.state.store);
    rig.state.round_and_report();
    let counts = rig.state.store.outbox_counts().unwrap();
    let status = rig.state.status();
    let on_platform = held(&rig.sim);
    let fail = |what: String| Err(format!("{name}, healed: {what} (status {status:?})"));
    match expect {
        Expect::Refused => {
            if counts.failed != TICKETS as u64 {
                return fail(format!("refused rows came back by themselves: {counts:?}"));
            }
        }
        _ => {
            if (counts.pending, counts.sent, counts.failed) != (0, TICKETS as u64, 0) {
                return fail(format!("counts {counts:?}"));
            }
            if on_platform != TICKETS as u64 {
                return fail(format!("the platform holds {on_platform}"));
            }
            if status.link != LinkState::Online {
                return fail("not online again".into());
            }
        }
    }
    Ok(())
}

#[test]
fn the_outbox_holds_against_every_hostile_answer() {
    let failures: Vec<String> = hostile_answers()
        .into_iter()
        .filter_map(|(name, answer, expect)| check(name, answer, expect).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_huge_retry_after_is_capped_and_the_link_does_not_flip_online_between_retries() {
    let mut rig = rig(SyncConfig {
        backoff_base_secs: 30.0,
        backoff_cap_secs: 60.0,
        ..SyncConfig::default()
    });
    rig.hostile.answer(
        "/v1/transactions",
        Answer::retry_after(503, "18446744073709551615"),
    );
    let (wait, not_before) = rig.state.round_and_report();
    assert!(wait <= Duration::from_secs(120), "{wait:?}");
    assert!(not_before.is_some());
    assert_eq!(rig.state.status().link, LinkState::LinkProblem);
    for (_, _, next) in pending_rows(&rig.state.store) {
        assert!(
            next <= Utc::now() + chrono::Duration::seconds(121),
            "{next}"
        );
    }
    // Next round: the rows are not due yet and the other calls go through; the link must
    // still not be shown online while the upload is failing.
    rig.state.round_and_report();
    let status = rig.state.status();
    assert_eq!(status.link, LinkState::LinkProblem);
    assert!(!status.online);
}

#[test]
fn rows_parked_by_an_old_retry_after_are_sent_after_a_restart() {
    let mut rig = rig(fast());
    rig.state
        .store
        .conn()
        .execute(
            "UPDATE outbox SET next_attempt_at = '9999-12-31T23:59:59+00:00'",
            [],
        )
        .unwrap();
    rig.state.round_and_report();
    assert_eq!(
        rig.state.store.outbox_counts().unwrap().pending,
        TICKETS as u64
    );
    // What `run` does at start.
    rig.state.clamp_stored_waits();
    until_due(&rig.state.store);
    rig.state.round_and_report();
    assert_eq!(
        rig.state.store.outbox_counts().unwrap().sent,
        TICKETS as u64
    );
}

#[test]
fn the_worker_thread_survives_an_overflowing_retry_after() {
    let rig = rig(fast());
    rig.hostile
        .answer_all(Answer::retry_after(503, "18446744073709551615"));
    let sink = Arc::new(RecordingSink::default());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.sqlite");
    let mut store = Store::open(&db).unwrap();
    store.enqueue("queue_ticket", "{}", Utc::now()).unwrap();
    let client = PlatformClient::new(
        &rig.hostile.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(2),
    );
    let worker = SyncWorker::spawn(
        &db,
        client,
        fast(),
        sink.clone(),
        crate::devices::health::HealthBoard::new(),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Several rounds go by: the thread is alive and keeps reporting.
    loop {
        let reports = sink
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e, KioskEvent::SyncStatus(_)))
            .count();
        if reports >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the sync thread stopped reporting"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(worker);
}

#[test]
fn a_damaged_databases_rows_are_uploaded_exactly_once_and_staff_and_heartbeat_see_it() {
    let mut rig = rig(fast());
    // The platform stores the three rows but the answer says nothing: they stay pending
    // here, and the platform already has them.
    rig.hostile.answer(
        "/v1/transactions",
        Answer::Mangled(kiosk_platform::hostile::Mangle::Empty),
    );
    rig.state.round_and_report();
    assert_eq!(held(&rig.sim), TICKETS as u64);
    rig.hostile.heal();
    // One more the platform has never seen.
    rig.state
        .store
        .issue_ticket(
            &NewTicket {
                area_code: "B".into(),
                phone: None,
                service_day: crate::clock::service_day(),
            },
            Utc::now(),
        )
        .unwrap();
    let db = rig._dir.path().join("kiosk.sqlite");
    let Rig {
        _dir,
        sim,
        hostile,
        state,
    } = rig;
    let (client, config) = (state.client.clone(), state.config.clone());
    drop(state);
    crate::store::damage_an_index(&db);

    let (store, alarm) = Store::open_at_start(&db).unwrap();
    let alarm = alarm.expect("damage found");
    assert_eq!(alarm.recovered, TICKETS as u64 + 1);
    let mut state = State::new(
        store,
        client,
        config,
        Arc::new(RecordingSink::default()),
        crate::devices::health::HealthBoard::new(),
    );
    state.round_and_report();
    until_due(&state.store);
    state.round_and_report();
    let counts = state.store.outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.sent), (0, TICKETS as u64 + 1));
    // Exactly once: the three it had were recognised as duplicates.
    assert_eq!(held(&sim), TICKETS as u64 + 1);
    let status = state.status();
    let damaged = status.damaged_db.expect("staff see the damaged database");
    assert_eq!(damaged.recovered, TICKETS as u64 + 1);
    let beats = PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(10),
    )
    .heartbeats()
    .unwrap();
    let store_health = beats
        .kiosks
        .iter()
        .flat_map(|k| &k.heartbeat.devices)
        .find(|d| d.device == "store")
        .expect("the heartbeat reports the store");
    assert_eq!(store_health.status, "fault");
    drop(hostile);
}

/// A kiosk state talking to `client`, with one ticket in its outbox (no lease needed: the
/// number is the store's own).
fn bare_state(dir: &std::path::Path, client: PlatformClient) -> State {
    let mut store = Store::open(&dir.join("kiosk.sqlite")).unwrap();
    crate::rating_worker::record(
        &mut store,
        &crate::app::Rated {
            service: crate::services::ServiceId::QueueTicket,
            case_number: None,
            level: crate::app::Level::Basic,
            reasons: vec![crate::app::Reason::LongWait],
        },
        Utc::now(),
    )
    .unwrap();
    State::new(
        store,
        client,
        SyncConfig {
            backoff_base_secs: 1.0,
            backoff_cap_secs: 300.0,
            ..SyncConfig::default()
        },
        Arc::new(RecordingSink::default()),
        crate::devices::health::HealthBoard::new(),
    )
}

/// A platform whose certificate the kiosk does not trust (here: signed by a CA it was not
/// given) is its own link state with the words the screens show, the rows stay pending, and
/// each failed round backs off further instead of retrying at once.
#[test]
fn a_refused_certificate_is_shown_as_such_and_backed_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = kiosk_platform::tls_test::TlsTestServer::start();
    let client = PlatformClient::new(
        &server.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(30),
    );
    let mut state = bare_state(dir.path(), client);
    let (first, _) = state.round_and_report();
    assert_eq!(state.link, LinkState::CertificateRefused);
    let status = state.status();
    assert!(!status.online);
    let (_, why) = status.last_error.unwrap();
    assert!(why.contains("not the expected one"), "{why}");
    assert_eq!(status.pending, 1);
    let rows = pending_rows(&state.store);
    assert_eq!(rows[0].0, 1, "the attempt is counted");
    assert!(rows[0].2 > Utc::now(), "and the next one is later");
    assert_eq!(state.failures, 1);
    assert!(first <= Duration::from_secs(1));
    // The backoff's ceiling doubles with each failed round (full jitter below it).
    state.failures = 8;
    let (later, _) = state.round_and_report();
    assert_eq!(state.link, LinkState::CertificateRefused);
    assert_eq!(state.failures, 9);
    assert!(later <= Duration::from_secs(256), "{later:?}");
    assert_eq!(server.handshakes(), 0);
}

/// A platform clock 7 minutes ahead: the platform refuses the signed requests for clock
/// skew, the kiosk reads the skew off the refusal and shows it as a fault; once the clocks
/// agree the next round measures it anew at the heartbeat and the fault is gone.
#[test]
fn a_clock_refusal_reads_the_skew_and_clears_when_the_clocks_agree() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.path().join("platform.sqlite")),
    )
    .unwrap();
    let client = || {
        PlatformClient::new(
            &sim.base_url(),
            DEMO_KIOSK_ID,
            DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(10),
        )
    };
    let offset = |secs| {
        sim.set_faults(kiosk_platform::sim::FaultConfig {
            clock_offset_secs: secs,
            ..Default::default()
        })
    };
    let mut state = bare_state(dir.path(), client());
    offset(420);
    state.round_and_report();
    assert_eq!(state.link, LinkState::ClockSkew);
    let status = state.status();
    assert!(status.clock_fault());
    let skew = status.clock_skew_ms.unwrap();
    assert!((-421_000..=-419_000).contains(&skew), "{skew}");
    assert!(state.clock_fault_logged);
    assert_eq!(status.pending, 1, "kept for later");

    offset(0);
    // The row's backoff (under a second) first.
    until_due(&state.store);
    state.round_and_report();
    assert_eq!(state.link, LinkState::Online);
    let status = state.status();
    assert!(!status.clock_fault(), "{:?}", status.clock_skew_ms);
    assert!(status.clock_skew_ms.unwrap().abs() < 5_000);
    assert!(!state.clock_fault_logged);
    assert_eq!(status.pending, 0);
}
