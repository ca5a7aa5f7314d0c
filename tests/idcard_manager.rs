//! The ID-card reader thread against the simulated reader on a pty: one session per
//! presentation, device faults reported to staff (not to the citizen), unplug and replug
//! without a restart, the photo library never failing a read.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use idcard::sim::{sample_cards, Fault, SimReader};
use idcard::Command;
use kiosk::app::{KioskEvent, Notice, RecordingSink};
use kiosk::devices::idcard_manager::{IdCardManager, PhotoSupport, ReaderHealth, ReaderPort};

/// Fail-safe for waiting on the reader thread; never reached when things work.
const FAIL_SAFE: Duration = Duration::from_secs(30);

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < FAIL_SAFE, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What the citizen's session sees.
fn events(sink: &RecordingSink) -> Vec<String> {
    sink.0
        .lock()
        .expect("sink")
        .iter()
        .filter_map(|e| match e {
            KioskEvent::CardRead(c) => Some(format!("read {}", c.masked_id)),
            KioskEvent::CardRefused(Notice::CardExpired) => Some("expired".into()),
            KioskEvent::CardRefused(Notice::CardUnreadable) => Some("unreadable".into()),
            KioskEvent::OperatorStatus(_) => None,
            other => Some(format!("{other:?}")),
        })
        .collect()
}

/// What the operator panel was told about the reader.
fn operator_lines(sink: &RecordingSink) -> Vec<String> {
    sink.0
        .lock()
        .expect("sink")
        .iter()
        .filter_map(|e| match e {
            KioskEvent::OperatorStatus(line) => Some(line.clone()),
            _ => None,
        })
        .collect()
}

fn start(sim: &SimReader, wlt: Option<PathBuf>) -> (IdCardManager, Arc<RecordingSink>) {
    let sink = Arc::new(RecordingSink::default());
    let port = ReaderPort::Serial {
        path: sim.port_path(),
        baud: 115_200,
    };
    let manager = IdCardManager::spawn_port(port, wlt, sink.clone());
    (manager, sink)
}

#[test]
fn one_session_per_presentation_and_expired_cards_are_refused() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink) = start(&sim, None);
    wait_until("ready", || manager.health() == ReaderHealth::Ready);
    sim.place_card(sample_cards()[0].clone());
    wait_until("card read", || !events(&sink).is_empty());
    // The card stays on the reader for many more polls: no second session.
    let seen = sim.commands_received();
    wait_until("ten more polls", || sim.commands_received() >= seen + 10);
    assert_eq!(events(&sink), ["read 110101********0017"]);
    // Taken away and presented again: a new session.
    sim.remove_card();
    let seen = sim.commands_received();
    wait_until("the reader saw no card", || {
        sim.commands_received() >= seen + 2
    });
    sim.place_card(sample_cards()[2].clone());
    wait_until("second card", || events(&sink).len() == 2);
    assert_eq!(events(&sink)[1], "expired");
    assert_eq!(manager.health(), ReaderHealth::Ready);
}

#[test]
fn a_card_that_cannot_be_read_is_told_once_and_the_reader_stays_ready() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink) = start(&sim, None);
    wait_until("ready", || manager.health() == ReaderHealth::Ready);
    for _ in 0..3 {
        sim.inject(Fault::Status(0x41));
    }
    sim.place_card(sample_cards()[1].clone());
    wait_until("read after three failures", || {
        events(&sink).iter().any(|e| e.starts_with("read"))
    });
    assert_eq!(
        events(&sink),
        ["unreadable", "read 310104********127X"],
        "one notice for three failed polls"
    );
    assert_eq!(manager.health(), ReaderHealth::Ready);
}

#[test]
fn a_failing_sam_is_a_device_fault_for_staff_not_a_notice_for_the_citizen() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink) = start(&sim, None);
    wait_until("ready", || manager.health() == ReaderHealth::Ready);
    for _ in 0..3 {
        sim.inject(Fault::CommandStatus(Command::FindCard, 0x60));
    }
    wait_until("fault", || {
        matches!(manager.health(), ReaderHealth::Fault(_))
    });
    let ReaderHealth::Fault(text) = manager.health() else {
        unreachable!()
    };
    assert!(text.contains("self-test"), "{text}");
    wait_until("recovered", || manager.health() == ReaderHealth::Ready);
    assert!(events(&sink).is_empty(), "{:?}", events(&sink));
}

#[test]
fn an_unplugged_reader_is_a_fault_and_comes_back_when_replugged() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink) = start(&sim, None);
    wait_until("ready", || manager.health() == ReaderHealth::Ready);
    sim.unplug();
    wait_until("fault", || {
        matches!(manager.health(), ReaderHealth::Fault(_))
    });
    let ReaderHealth::Fault(text) = manager.health() else {
        unreachable!()
    };
    assert!(
        text.contains("reader lost") || text.contains("cannot open") || text.contains("answer"),
        "{text}"
    );
    sim.replug();
    wait_until("reconnected", || manager.health() == ReaderHealth::Ready);
    let lines = operator_lines(&sink);
    assert_eq!(
        lines.first().map(String::as_str),
        Some("ID-card reader: ready")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ID-card reader: FAULT: ")),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("ID-card reader: ready")
    );
    sim.place_card(sample_cards()[3].clone());
    wait_until("card read after replug", || !events(&sink).is_empty());
    assert_eq!(events(&sink), ["read 510107********4228"]);
}

#[test]
fn a_missing_photo_library_never_fails_a_read() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink) = start(&sim, Some(PathBuf::from("/nonexistent/libwlt2bmp.so")));
    assert!(matches!(
        manager.photo_support(),
        PhotoSupport::Unavailable(reason) if reason.contains("/nonexistent/libwlt2bmp.so")
    ));
    sim.place_card(sample_cards()[0].clone());
    wait_until("card read", || !events(&sink).is_empty());
    assert_eq!(events(&sink), ["read 110101********0017"]);
}
