//! The ID-card reader: `kiosk diag idcard` and the reader thread on the simulated reader.

mod diag {
    //! `kiosk diag idcard …` through the real binary (exit status, stdout) and its functions.

    use std::process::Command;

    use idcard::sam_frame::encode_response;
    use idcard::sim::sample_cards;
    use idcard::text_block::{encode_text_block, encode_text_photo, encode_text_photo_fingerprint};
    use kiosk::cli::diag::idcard::{decode, parse_hex};

    fn kiosk(args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_kiosk"))
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .output()
            .expect("runs kiosk");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn hex(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn read_answer(index: usize) -> Vec<u8> {
        let card = &sample_cards()[index];
        let block = encode_text_block(&card.to_text());
        encode_response(
            0x90,
            &encode_text_photo(&block, card.photo.as_deref().unwrap_or_default()),
        )
    }

    #[test]
    fn read_masks_the_id_number_unless_full_and_shows_timed_frames() {
        let (ok, out, err) = kiosk(&["diag", "idcard", "read", "--sim", "1"]);
        assert!(ok, "{err}");
        assert!(out.contains("name: 刘洋"), "{out}");
        assert!(out.contains("id number: 310104********127X"), "{out}");
        assert!(!out.contains("31010419900707127X"), "{out}");
        assert!(out.contains("not decoded (no --wlt-library"), "{out}");
        assert!(out.contains("ms -> AA AA AA 96 69 00 03 20 01 22"), "{out}");
        assert!(out.contains("ms <- AA AA AA 96 69 05 08 00 00 90"), "{out}");
        assert!(out.contains("(1295 bytes)"), "{out}");

        let (ok, out, _) = kiosk(&[
            "diag",
            "idcard",
            "read",
            "--sim",
            "1",
            "--full",
            "--fingerprint",
        ]);
        assert!(ok);
        assert!(out.contains("id number: 31010419900707127X"), "{out}");
        assert!(out.contains("fingerprint: none on the card"), "{out}");
        assert!(out.contains("ms -> AA AA AA 96 69 00 03 30 10 23"), "{out}");
    }

    #[test]
    fn read_with_a_broken_photo_library_still_reads() {
        let (ok, out, err) = kiosk(&[
            "diag",
            "idcard",
            "read",
            "--sim",
            "3",
            "--wlt-library",
            "/nonexistent/libwlt2bmp.so",
        ]);
        assert!(ok, "{err}");
        assert!(out.contains("valid: 2008-11-20 to 长期"), "{out}");
        assert!(out.contains("photo: not decoded: cannot load"), "{out}");
    }

    #[test]
    fn status_shows_sam_status_and_id() {
        let (ok, out, err) = kiosk(&["diag", "idcard", "status", "--sim", "0"]);
        assert!(ok, "{err}");
        assert!(
            out.contains("SAM status: operation succeeded (status 0x90)"),
            "{out}"
        );
        assert!(out.contains("SAM id: 05.01-"), "{out}");
        assert!(out.contains("-> AA AA AA 96 69 00 03 11 FF ED"), "{out}");
    }

    #[test]
    fn missing_reader_choice_and_unopenable_port_fail() {
        let (ok, _, err) = kiosk(&["diag", "idcard", "status"]);
        assert!(!ok);
        assert!(err.contains("--port"), "{err}");
        let (ok, _, err) = kiosk(&[
            "diag",
            "idcard",
            "read",
            "--port",
            "/dev/nonexistent-reader",
        ]);
        assert!(!ok);
        assert!(
            err.contains("opening the reader on /dev/nonexistent-reader"),
            "{err}"
        );
    }

    #[test]
    fn ports_lists_without_failing() {
        let (ok, out, err) = kiosk(&["diag", "idcard", "ports"]);
        assert!(ok, "{err}");
        assert!(out.contains("serial ports:"), "{out}");
        assert!(
            out.contains("USB devices (readers are 0400:c35a):"),
            "{out}"
        );
    }

    #[test]
    fn decode_prints_json_for_a_good_frame() {
        let (ok, out, err) = kiosk(&[
            "diag",
            "idcard",
            "decode",
            "AA AA AA 96 69 00 04 00 00 90 94",
        ]);
        assert!(ok, "{err}");
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(json["status"]["code"], "0x90");
        assert_eq!(json["status"]["name"], "Ok");
        assert_eq!(json["frame_bytes"], 11);
    }

    #[test]
    fn decode_says_exactly_what_is_wrong_and_exits_non_zero() {
        let cases = [
            (
                "AA AA AA 96 69 00 04 00 00 90 95",
                "bad checksum: frame carries 0x95, contents give 0x94",
            ),
            (
                "AA AA AA 96 69 00 08 00 00 9F",
                "the length field announces 8 bytes after it, only 3 are there",
            ),
            ("01 02 03", "do not contain the preamble AA AA AA 96 69"),
            ("AA AA AA 96 69 FF FF", "bad length field 65535"),
            (
                "AA AA AA 96 69 00 04 01 00 90 95",
                "bad status words SW1 SW2 = 01 00",
            ),
            ("AA AG", "character 'G' at position 5 is not a hex digit"),
            ("AA A", "odd number of hex digits"),
            ("", "no bytes given"),
        ];
        for (input, expected) in cases {
            let (ok, out, err) = kiosk(&["diag", "idcard", "decode", input]);
            assert!(!ok, "{input}: {out}");
            assert!(err.contains(expected), "{input}: {err}");
        }
    }

    #[test]
    fn decode_reads_both_answer_layouts_and_masks_unless_full() {
        let json = decode(&hex(&read_answer(0)), false).expect("decodes");
        assert_eq!(json["payload"]["layout"], "30 01 (text + photo)");
        assert_eq!(json["payload"]["text"]["name"], "张伟");
        assert_eq!(json["payload"]["text"]["id_number"], "110101********0017");
        assert_eq!(json["payload"]["photo_bytes"], 1024);
        assert_eq!(json["payload"]["card_check"]["valid"], true);
        let full = decode(&hex(&read_answer(0)), true).expect("decodes");
        assert_eq!(full["payload"]["text"]["id_number"], "110101198503120017");

        let card = &sample_cards()[2];
        let block = encode_text_block(&card.to_text());
        let with_fp = encode_response(
            0x90,
            &encode_text_photo_fingerprint(
                &block,
                card.photo.as_deref().unwrap_or_default(),
                &[7; 1024],
            ),
        );
        let json = decode(&hex(&with_fp), false).expect("decodes");
        assert_eq!(
            json["payload"]["layout"],
            "30 10 (text + photo + fingerprint)"
        );
        assert_eq!(json["payload"]["fingerprint_bytes"], 1024);
        assert_eq!(json["payload"]["card_check"]["expired"], true);

        // A card whose check digit is wrong: decoded, and the problem named without the number.
        let mut text = sample_cards()[0].to_text();
        text.id_number = "110101198503120018".into();
        let bad = encode_response(
            0x90,
            &encode_text_photo(&encode_text_block(&text), &[0; 1024]),
        );
        let json = decode(&hex(&bad), false).expect("decodes");
        assert_eq!(json["payload"]["card_check"]["valid"], false);
        let problem = json["payload"]["card_check"]["problem"]
            .as_str()
            .expect("text");
        assert!(problem.contains("check character"), "{problem}");
        assert!(!problem.contains("110101198503120018"), "{problem}");

        // Noise before and bytes after are counted, not fatal.
        let mut noisy = vec![0x00, 0x13];
        noisy.extend(encode_response(0x80, &[]));
        noisy.push(0xAA);
        let json = decode(&hex(&noisy), false).expect("decodes");
        assert_eq!(json["skipped_before_preamble"], 2);
        assert_eq!(json["trailing_bytes"], 1);
        assert_eq!(json["status"]["name"], "NoCard");
    }

    #[test]
    fn hex_accepts_the_usual_separators() {
        assert_eq!(
            parse_hex("0xAA:aa-96, 69").expect("hex"),
            [0xAA, 0xAA, 0x96, 0x69]
        );
    }
}

mod manager {
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
                KioskEvent::CardGone => "gone".into(),
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
        let manager = IdCardManager::spawn_port(
            port,
            std::time::Duration::from_millis(200),
            wlt,
            sink.clone(),
            &board,
        );
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
        // Taken away: the reader says so once (the take-your-card page waits for it).
        sim.remove_card();
        wait_until("the reader saw no card", || events(&sink).len() == 2);
        assert_eq!(events(&sink)[1], "gone");
        sim.place_card(sample_cards()[2].clone());
        wait_until("second card", || events(&sink).len() == 3);
        assert_eq!(events(&sink)[2], "expired");
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
}
