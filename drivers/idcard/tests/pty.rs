//! The real driver over a real serial stack, against the simulated reader on a pty.

use std::time::Duration;

use idcard::sim::{sample_cards, Fault, SimReader};
use idcard::{
    open_serial, open_serial_with_timeout, CardPoller, Command, Direction, Error, FrameError,
    IdCardReader, Status,
};
use serialport::TTYPort;

/// Long enough never to fire on a loaded machine, short enough for the fault tests.
const FAULT_TIMEOUT: Duration = Duration::from_millis(800);

fn sim_with_card(index: usize) -> SimReader {
    let sim = SimReader::spawn().expect("pty pair");
    sim.place_card(sample_cards()[index].clone());
    sim
}

fn open(sim: &SimReader) -> IdCardReader<TTYPort> {
    open_serial_with_timeout(&sim.port_path(), 115_200, FAULT_TIMEOUT).expect("opens the pty")
}

#[test]
fn reads_the_demo_card() {
    let sim = sim_with_card(0);
    let mut reader = open_serial(&sim.port_path(), 115_200).expect("opens the pty");
    let card = reader.read_card().expect("reads").expect("card present");
    assert_eq!(card, sample_cards()[0]);
    assert_eq!(card.name, "张伟");
    assert_eq!(card.masked_id(), "110101********0017");
}

#[test]
fn reads_every_sample_card() {
    let sim = SimReader::spawn().expect("pty pair");
    let mut reader = open(&sim);
    for card in sample_cards() {
        sim.place_card(card.clone());
        assert_eq!(reader.read_card().expect("reads"), Some(card));
    }
}

#[test]
fn no_card_is_none() {
    let sim = SimReader::spawn().expect("pty pair");
    let mut reader = open(&sim);
    assert_eq!(reader.read_card().expect("answers"), None);
    assert!(!reader.find_card().expect("answers"));
    assert!(matches!(
        reader.select_card(),
        Err(Error::Status {
            command: Command::SelectCard,
            status: Status::SelectFailed
        })
    ));
}

/// Injects `fault`, checks the next `read_card` with `check`, then that reading works again.
fn fault_then_recovery(fault: Fault, check: impl FnOnce(Result<Option<idcard::IdCard>, Error>)) {
    let sim = sim_with_card(0);
    let mut reader = open(&sim);
    sim.inject(fault);
    check(reader.read_card());
    sim.place_card(sample_cards()[0].clone());
    let again = reader.read_card().expect("works after the fault");
    assert_eq!(again, Some(sample_cards()[0].clone()), "{fault:?}");
}

#[test]
fn garbled_byte_is_a_checksum_error() {
    fault_then_recovery(Fault::GarbledByte, |r| {
        assert!(
            matches!(r, Err(Error::Frame(FrameError::BadChecksum { .. }))),
            "{r:?}"
        );
    });
}

#[test]
fn bad_checksum_is_reported() {
    fault_then_recovery(Fault::BadChecksum, |r| {
        assert!(
            matches!(r, Err(Error::Frame(FrameError::BadChecksum { .. }))),
            "{r:?}"
        );
    });
}

#[test]
fn silence_is_a_timeout() {
    fault_then_recovery(Fault::Timeout, |r| {
        assert!(matches!(r, Err(Error::Timeout)), "{r:?}")
    });
}

#[test]
fn truncated_answer_is_a_timeout() {
    fault_then_recovery(Fault::Truncated, |r| {
        assert!(matches!(r, Err(Error::Timeout)), "{r:?}")
    });
}

#[test]
fn device_statuses_are_reported_with_the_read_command() {
    for code in [0x41u8, 0x31, 0x32, 0x33, 0x40, 0x47, 0x60, 0x66, 0x24, 0xEE] {
        fault_then_recovery(Fault::Status(code), |r| match r {
            Err(Error::Status {
                command: Command::ReadTextPhoto,
                status,
            }) => {
                assert_eq!(status.code(), code);
            }
            other => panic!("0x{code:02X}: {other:?}"),
        });
    }
}

#[test]
fn card_removed_mid_read() {
    fault_then_recovery(Fault::RemovedMidRead, |r| {
        assert!(
            matches!(
                r,
                Err(Error::Status {
                    command: Command::ReadTextPhoto,
                    status: Status::ReadFailed
                })
            ),
            "{r:?}"
        );
    });
    let sim = sim_with_card(1);
    let mut reader = open(&sim);
    sim.inject(Fault::RemovedMidRead);
    assert!(reader.read_card().is_err());
    assert!(!sim.has_card());
    assert_eq!(
        reader.read_card().expect("answers"),
        None,
        "the card is gone"
    );
}

#[test]
fn noise_and_trickled_answers_still_read() {
    for fault in [Fault::NoiseBeforeFrame, Fault::Trickle] {
        let sim = sim_with_card(4);
        let mut reader = open(&sim);
        // Three faults: one for each of find, select and read.
        for _ in 0..3 {
            sim.inject(fault);
        }
        assert_eq!(
            reader.read_card().expect("reads"),
            Some(sample_cards()[4].clone())
        );
    }
}

#[test]
fn faults_on_the_big_read_answer() {
    let sim = sim_with_card(0);
    let mut reader = open(&sim);
    for fault in [Fault::GarbledByte, Fault::BadChecksum, Fault::Truncated] {
        assert!(reader.find_card().expect("finds"));
        reader.select_card().expect("selects");
        sim.inject(fault);
        let err = reader.read_text_photo().expect_err("fault hits the read");
        match fault {
            Fault::Truncated => assert!(matches!(err, Error::Timeout), "{err:?}"),
            _ => assert!(
                matches!(err, Error::Frame(FrameError::BadChecksum { .. })),
                "{err:?}"
            ),
        }
        assert!(reader.read_card().expect("reads").is_some());
    }
}

#[test]
fn poller_reports_a_card_once_per_presentation() {
    let sim = SimReader::spawn().expect("pty pair");
    let mut poller = CardPoller::new(open(&sim));
    assert_eq!(poller.poll().expect("polls"), None);
    sim.place_card(sample_cards()[3].clone());
    assert_eq!(
        poller.poll().expect("polls"),
        Some(sample_cards()[3].clone())
    );
    for _ in 0..3 {
        assert_eq!(poller.poll().expect("polls"), None, "same presentation");
    }
    sim.remove_card();
    assert_eq!(poller.poll().expect("polls"), None);
    sim.place_card(sample_cards()[3].clone());
    assert_eq!(
        poller.poll().expect("polls"),
        Some(sample_cards()[3].clone())
    );
    assert_eq!(poller.poll().expect("polls"), None);
}

#[test]
fn poller_retries_a_failed_read() {
    let sim = sim_with_card(2);
    let mut poller = CardPoller::new(open(&sim));
    sim.inject(Fault::Status(0x41));
    assert!(poller.poll().is_err());
    assert_eq!(
        poller.poll().expect("polls"),
        Some(sample_cards()[2].clone())
    );
}

#[test]
fn port_can_be_reopened() {
    let sim = sim_with_card(0);
    for _ in 0..3 {
        let mut reader = open(&sim);
        assert!(reader.read_card().expect("reads").is_some());
        drop(reader.release());
    }
}

#[test]
fn raw_log_shows_the_exchange() {
    let sim = sim_with_card(0);
    let mut reader = open(&sim);
    reader.read_card().expect("reads");
    let log = reader.raw_log();
    let directions: Vec<Direction> = log.iter().map(|(d, _)| *d).collect();
    assert_eq!(
        directions,
        [
            Direction::Sent,
            Direction::Received,
            Direction::Sent,
            Direction::Received,
            Direction::Sent,
            Direction::Received
        ]
    );
    assert_eq!(
        log[0].1,
        [0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22]
    );
    // No UCS-2 of the name in the log: 张 is 20 5F.
    assert!(!log[5].1.windows(2).any(|w| w == [0x20, 0x5F]));
}

#[test]
fn sam_commands_are_answered() {
    let sim = SimReader::spawn().expect("pty pair");
    let mut reader = open(&sim);
    for cmd in [Command::ResetSam, Command::SamStatus, Command::ReadSamId] {
        let response = reader.transact(cmd).expect("answers");
        assert_eq!(response.status, Status::Ok);
    }
    assert_eq!(sim.commands_received(), 3);
}

#[test]
fn dropping_the_simulator_is_an_error_not_a_hang() {
    let sim = sim_with_card(0);
    let mut reader = open(&sim);
    drop(sim);
    assert!(reader.read_card().is_err());
}
