//! Issue 4 over a real pseudo-terminal: every command, every status code on every command,
//! `30 10` and `61 FF`, the not-read-twice rule, unplug/replug, and timings in the raw log.

use std::time::Duration;

use idcard::sam_frame::{encode_command, encode_command_with_data};
use idcard::sim::{sample_cards, Fault, SimReader, SAM_ID};
use idcard::{
    open_serial_with_timeout, CardPoller, Command, Direction, Error, Fingerprint, IdCardReader,
    SamId, Status,
};
use serialport::TTYPort;

/// Fail-safe only: long enough never to fire on a loaded machine.
const TIMEOUT: Duration = Duration::from_millis(800);

fn open(sim: &SimReader) -> IdCardReader<TTYPort> {
    open_serial_with_timeout(&sim.port_path(), 115_200, TIMEOUT).expect("opens the pty")
}

#[test]
fn every_status_code_on_every_command_is_reported_as_its_variant() {
    let sim = SimReader::spawn().expect("pty pair");
    sim.place_card(sample_cards()[0].clone());
    let mut reader = open(&sim);
    for cmd in Command::ALL {
        for status in Status::ALL {
            sim.inject(Fault::CommandStatus(cmd, status.code()));
            let response = if cmd == Command::SetMaxRfBytes {
                reader.transact_with_data(cmd, &[0x50])
            } else {
                reader.transact(cmd)
            }
            .expect("answers");
            assert_eq!(response.status, status, "{cmd}");
            assert!(response.data.is_empty());
        }
    }
    assert_eq!(
        sim.commands_received(),
        Command::ALL.len() * Status::ALL.len()
    );
}

#[test]
fn typed_methods_turn_failure_statuses_into_errors_naming_the_command() {
    let sim = SimReader::spawn().expect("pty pair");
    let mut reader = open(&sim);
    let cases: [(Command, u8); 5] = [
        (Command::ResetSam, 0x60),
        (Command::SamStatus, 0x66),
        (Command::ReadSamId, 0x24),
        (Command::SetMaxRfBytes, 0x21),
        (Command::FindCard, 0x60),
    ];
    for (cmd, code) in cases {
        sim.inject(Fault::CommandStatus(cmd, code));
        let err = match cmd {
            Command::ResetSam => reader.reset_sam().expect_err("fails"),
            Command::SamStatus => reader.sam_status().expect_err("fails"),
            Command::ReadSamId => reader.read_sam_id().expect_err("fails"),
            Command::SetMaxRfBytes => reader.set_max_rf_bytes(0x50).expect_err("fails"),
            _ => reader.find_card().expect_err("fails"),
        };
        match &err {
            Error::Status { command, status } => {
                assert_eq!(*command, cmd);
                assert_eq!(status.code(), code);
            }
            other => panic!("{cmd}: {other:?}"),
        }
        assert!(err.to_string().contains(cmd.description()), "{err}");
        assert!(err.is_device_fault(), "{err}: a SAM fault is the reader's");
    }
}

#[test]
fn sam_commands_and_set_max_rf_bytes() {
    let sim = SimReader::spawn().expect("pty pair");
    let mut reader = open(&sim);
    reader.reset_sam().expect("reset");
    reader.sam_status().expect("status");
    let id = reader.read_sam_id().expect("id");
    assert_eq!(id, SamId(SAM_ID));
    assert_eq!(id.to_string(), "05.01-352396320-0873594880-2018902016");
    reader.set_max_rf_bytes(0x50).expect("set");
    assert_eq!(sim.max_rf_bytes(), Some(0x50));
    // A 61 FF without its byte is a length error, as on a real SAM.
    let response = reader.transact(Command::SetMaxRfBytes).expect("answers");
    assert_eq!(response.status, Status::LengthError);
    // What went on the wire, byte for byte.
    let sent: Vec<Vec<u8>> = reader
        .raw_frames()
        .into_iter()
        .filter(|f| f.direction == Direction::Sent)
        .map(|f| f.bytes)
        .collect();
    assert_eq!(
        sent,
        [
            encode_command(Command::ResetSam),
            encode_command(Command::SamStatus),
            encode_command(Command::ReadSamId),
            vec![0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x61, 0xFF, 0x50, 0xCA],
            encode_command(Command::SetMaxRfBytes),
        ]
    );
    assert_eq!(
        sent[3],
        encode_command_with_data(Command::SetMaxRfBytes, &[0x50])
    );
}

#[test]
fn text_photo_fingerprint_reads_with_and_without_templates() {
    let sim = SimReader::spawn().expect("pty pair");
    let mut reader = open(&sim);
    let fp: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    sim.place_card_with_fingerprint(sample_cards()[1].clone(), fp.clone());
    assert!(reader.find_card().expect("finds"));
    reader.select_card().expect("selects");
    let (card, fingerprint) = reader.read_text_photo_fingerprint().expect("reads");
    assert_eq!(card, sample_cards()[1]);
    assert_eq!(fingerprint, Some(Fingerprint(fp)));
    assert_eq!(
        format!("{:?}", fingerprint.expect("some")),
        "Fingerprint(<1024 bytes>)"
    );

    sim.place_card(sample_cards()[5].clone());
    assert!(reader.find_card().expect("finds"));
    reader.select_card().expect("selects");
    let (card, fingerprint) = reader.read_text_photo_fingerprint().expect("reads");
    assert_eq!(card, sample_cards()[5]);
    assert_eq!(fingerprint, None);

    // A reader without fingerprint support refuses the command.
    sim.inject(Fault::CommandStatus(
        Command::ReadTextPhotoFingerprint,
        0x21,
    ));
    let err = reader.read_text_photo_fingerprint().expect_err("refused");
    assert!(matches!(
        err,
        Error::Status {
            command: Command::ReadTextPhotoFingerprint,
            status: Status::CommandError
        }
    ));
    // Removed mid-read hits 30 10 as it hits 30 01.
    sim.place_card(sample_cards()[0].clone());
    sim.inject(Fault::RemovedMidRead);
    let err = reader.read_text_photo_fingerprint().expect_err("removed");
    assert!(matches!(
        err,
        Error::Status {
            status: Status::ReadFailed,
            ..
        }
    ));
    assert!(!err.is_device_fault(), "the citizen's card, not the reader");
}

#[test]
fn a_halting_reader_does_not_find_a_read_card_until_it_is_presented_again() {
    let sim = SimReader::spawn().expect("pty pair");
    sim.set_halt_after_read(true);
    sim.place_card(sample_cards()[0].clone());
    let mut poller = CardPoller::new(open(&sim));
    assert_eq!(
        poller.poll().expect("polls"),
        Some(sample_cards()[0].clone())
    );
    // The card stays on the reader: "find" answers 80 now, and no second session starts.
    for _ in 0..5 {
        assert_eq!(poller.poll().expect("polls"), None);
    }
    assert!(!poller.reader_mut().find_card().expect("answers"));
    // Taken away and placed again: a new presentation.
    sim.remove_card();
    assert_eq!(poller.poll().expect("polls"), None);
    sim.place_card(sample_cards()[0].clone());
    assert_eq!(
        poller.poll().expect("polls"),
        Some(sample_cards()[0].clone())
    );
    assert_eq!(poller.poll().expect("polls"), None);
}

#[test]
fn every_fault_then_recovery_on_the_fingerprint_read() {
    for fault in [
        Fault::GarbledByte,
        Fault::BadChecksum,
        Fault::Timeout,
        Fault::Truncated,
        Fault::NoiseBeforeFrame,
        Fault::Trickle,
    ] {
        let sim = SimReader::spawn().expect("pty pair");
        sim.place_card(sample_cards()[3].clone());
        let mut reader = open(&sim);
        assert!(reader.find_card().expect("finds"));
        reader.select_card().expect("selects");
        sim.inject(fault);
        let result = reader.read_text_photo_fingerprint();
        match fault {
            Fault::NoiseBeforeFrame | Fault::Trickle => {
                assert_eq!(result.expect("reads").0, sample_cards()[3], "{fault:?}");
            }
            Fault::Timeout | Fault::Truncated => {
                assert!(
                    matches!(result, Err(Error::Timeout)),
                    "{fault:?}: {result:?}"
                );
            }
            _ => assert!(
                matches!(result, Err(Error::Frame(_))),
                "{fault:?}: {result:?}"
            ),
        }
        let (card, _) = reader.read_text_photo_fingerprint().expect("recovers");
        assert_eq!(card, sample_cards()[3], "{fault:?}");
    }
}

#[test]
fn unplug_is_an_io_error_and_replug_works_on_the_same_path() {
    let sim = SimReader::spawn().expect("pty pair");
    sim.place_card(sample_cards()[0].clone());
    let path = sim.port_path();
    let mut reader = open(&sim);
    assert!(reader.read_card().expect("reads").is_some());
    sim.unplug();
    assert!(!sim.is_plugged());
    let err = reader.find_card().expect_err("cable pulled");
    assert!(err.is_device_fault(), "{err:?}");
    assert!(
        matches!(err, Error::Io(_) | Error::Timeout),
        "unplugged is a transport error: {err:?}"
    );
    assert!(!path.exists(), "the port is gone while unplugged");
    assert!(open_serial_with_timeout(&path, 115_200, TIMEOUT).is_err());
    sim.replug();
    assert!(sim.is_plugged());
    assert_eq!(sim.port_path(), path);
    let mut reader = open(&sim);
    assert_eq!(
        reader.read_card().expect("reads"),
        Some(sample_cards()[0].clone())
    );
}

#[test]
fn raw_frames_carry_increasing_times() {
    let sim = SimReader::spawn().expect("pty pair");
    sim.place_card(sample_cards()[0].clone());
    let mut reader = open(&sim);
    reader.read_card().expect("reads");
    let frames = reader.raw_frames();
    assert_eq!(frames.len(), 6);
    assert!(frames.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(frames[0].bytes, encode_command(Command::FindCard));
}
