//! The ID-card reader thread against the simulated reader on a pty: one session per
//! presentation, device faults reported to staff (not to the citizen), unplug and replug
//! without a restart, the photo library never failing a read.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use idcard::sim::{sample_cards, Fault, SimReader};
use idcard::Command;
use kiosk::app::{KioskEvent, Notice, RecordingSink};
use kiosk::devices::health::{DeviceId, DeviceState, HealthBoard};
use kiosk::devices::idcard_manager::{IdCardManager, PhotoSupport, ReaderPort};

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
        .map(|e| match e {
            KioskEvent::CardRead(c) => format!("read {}", c.masked_id),
            KioskEvent::CardRefused(Notice::CardExpired) => "expired".into(),
            KioskEvent::CardRefused(Notice::CardUnreadable) => "unreadable".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// The reader's states on the health board, in the order it went through them.
type Heard = Arc<std::sync::Mutex<Vec<DeviceState>>>;

fn start(sim: &SimReader, wlt: Option<PathBuf>) -> (IdCardManager, Arc<RecordingSink>) {
    let (manager, sink, _, _) = start_on_board(sim, wlt);
    (manager, sink)
}

fn start_on_board(
    sim: &SimReader,
    wlt: Option<PathBuf>,
) -> (IdCardManager, Arc<RecordingSink>, Arc<HealthBoard>, Heard) {
    let sink = Arc::new(RecordingSink::default());
    let board = HealthBoard::new();
    let heard: Heard = Arc::default();
    let h = heard.clone();
    board.on_change(move |device, state| {
        if device == DeviceId::IdCard {
            h.lock().unwrap().push(state.clone());
        }
    });
    let port = ReaderPort::Serial {
        path: sim.port_path(),
        baud: 115_200,
    };
    let manager = IdCardManager::spawn_port(port, wlt, sink.clone(), &board);
    (manager, sink, board, heard)
}

fn fault_text(manager: &IdCardManager) -> String {
    match manager.health() {
        DeviceState::Fault { reason } => reason.as_str().to_owned(),
        other => panic!("not a fault: {other:?}"),
    }
}

#[test]
fn one_session_per_presentation_and_expired_cards_are_refused() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink) = start(&sim, None);
    wait_until("ready", || manager.health() == DeviceState::Ok);
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
    assert_eq!(manager.health(), DeviceState::Ok);
}

#[test]
fn a_card_that_cannot_be_read_is_told_once_and_the_reader_stays_ready() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink) = start(&sim, None);
    wait_until("ready", || manager.health() == DeviceState::Ok);
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
    assert_eq!(manager.health(), DeviceState::Ok);
}

#[test]
fn a_failing_sam_is_a_device_fault_for_staff_not_a_notice_for_the_citizen() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink) = start(&sim, None);
    wait_until("ready", || manager.health() == DeviceState::Ok);
    for _ in 0..3 {
        sim.inject(Fault::CommandStatus(Command::FindCard, 0x60));
    }
    wait_until("fault", || manager.health().is_fault());
    let text = fault_text(&manager);
    assert!(text.contains("self-test"), "{text}");
    wait_until("recovered", || manager.health() == DeviceState::Ok);
    assert!(events(&sink).is_empty(), "{:?}", events(&sink));
}

#[test]
fn an_unplugged_reader_is_a_fault_and_comes_back_when_replugged() {
    let sim = SimReader::spawn().expect("pty");
    let (manager, sink, board, heard) = start_on_board(&sim, None);
    wait_until("ready", || manager.health() == DeviceState::Ok);
    assert_eq!(board.snapshot(), [(DeviceId::IdCard, DeviceState::Ok)]);
    sim.unplug();
    wait_until("fault", || manager.health().is_fault());
    let text = fault_text(&manager);
    assert!(
        text.contains("reader lost") || text.contains("cannot open") || text.contains("answer"),
        "{text}"
    );
    sim.replug();
    wait_until("reconnected", || manager.health() == DeviceState::Ok);
    let states = heard.lock().unwrap().clone();
    assert_eq!(states.first(), Some(&DeviceState::Ok), "{states:?}");
    assert!(states.iter().any(DeviceState::is_fault), "{states:?}");
    assert_eq!(states.last(), Some(&DeviceState::Ok), "{states:?}");
    sim.place_card(sample_cards()[3].clone());
    wait_until("card read after replug", || !events(&sink).is_empty());
    assert_eq!(events(&sink), ["read 510107********4228"]);
    // The reader's thread gone: it leaves the board.
    drop(manager);
    assert!(board.snapshot().is_empty());
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
