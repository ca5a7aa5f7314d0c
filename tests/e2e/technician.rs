//! The technician screen (the real window on Slint's testing backend, the real device threads
//! and simulators behind it) and `kiosk diag` (the binary, on a real kiosk.toml naming the
//! simulators' pseudo-terminals and the platform simulator).

mod screen {
    use crate::rig::{Page, Rig};
    use kiosk::diag::console::{Job, TechPage};

    fn open(rig: &Rig) {
        // Where the PIN gate's technician result plugs in.
        rig.kiosk.technician().open();
        rig.wait_for("the device rows", |r| {
            r.kiosk.technician().with_console(|c| !c.rows().is_empty())
        });
        rig.find("技术维护");
    }

    #[test]
    fn devices_self_tests_and_logs_the_link_and_cards_held_back() {
        crate::rig::on_ui_thread(|| {
            let rig = Rig::start();
            rig.wait_until_ready();
            open(&rig);

            // The reader: live state, its port, and its protocol log from the polls (masked).
            rig.wait_for("the reader's polls in its log", |r| {
                r.pump();
                r.find("通信记录")
                    .accessible_value()
                    .is_some_and(|v| v.contains("AA AA AA 96 69"))
            });
            let identity = rig.find("设备信息").accessible_value().unwrap().to_string();
            assert!(
                identity.contains("port: /") && identity.contains(" baud"),
                "{identity}"
            );
            // The SAM's serial number, as the reader thread read it when it opened the port.
            let sam_id = idcard::SamId(idcard::sim::SAM_ID).to_string();
            assert!(
                identity.contains(&format!("SAM id: {sam_id}")),
                "{identity}"
            );
            rig.tap("自检");
            rig.wait_for("the reader's self-test", |r| {
                r.kiosk.technician().with_console(|c| {
                    matches!(
                        c.test_of(kiosk::devices::health::DeviceId::IdCard),
                        Job::Done(_)
                    )
                })
            });
            let sam = rig
                .find("SAM status (the reader's polls)")
                .accessible_value();
            assert_eq!(sam.as_deref(), Some("answers"));

            // A card placed while the technician works starts no session.
            rig.reader()
                .place_card(idcard::sim::sample_cards().remove(0));
            let polled = rig.reader().commands_received();
            rig.wait_for("the reader to read it", |r| {
                r.reader().commands_received() >= polled + 6
            });
            assert_eq!(rig.page(), Page::Attract);
            rig.reader().remove_card();

            // The receipt printer: status bits and a test page on paper.
            rig.tap("凭条打印机");
            rig.tap("自检并打印测试页");
            rig.wait_for("the printer's test", |r| {
                r.kiosk.technician().with_console(|c| {
                    matches!(
                        c.test_of(kiosk::devices::health::DeviceId::Printer),
                        Job::Done(_)
                    )
                })
            });
            let report = rig.kiosk.technician().with_console(|c| {
                format!("{:?}", c.test_of(kiosk::devices::health::DeviceId::Printer))
            });
            assert!(
                rig.printer().wait_for_receipts(1, crate::rig::PATIENCE),
                "{report}"
            );
            let text = rig.printer().receipts()[0].text();
            assert!(text.contains("TEST PAGE"), "{text}");
            let bits = rig
                .find("status bits")
                .accessible_value()
                .unwrap()
                .to_string();
            assert!(
                bits.starts_with("DLE EOT 1-4 = ") && bits.contains("online"),
                "{bits}"
            );
            assert_eq!(
                rig.find("test page").accessible_value().as_deref(),
                Some("printed")
            );
            let log = rig.find("通信记录").accessible_value().unwrap().to_string();
            assert!(
                log.contains("10 04 01"),
                "the status query is in the log: {log}"
            );

            // The code scanner's test takes the next scan, which reaches no citizen page.
            rig.tap("扫码器");
            rig.tap("扫描测试码");
            rig.find("请现在扫描测试码…");
            rig.code_scanner().scan("SB-20261124-000042").unwrap();
            rig.wait_for("the test code", |r| {
                r.kiosk
                    .technician()
                    .with_console(|c| matches!(c.scan_test(), Job::Done(_)))
            });
            let shown = rig
                .find("test code")
                .accessible_value()
                .unwrap()
                .to_string();
            assert!(shown.contains("SB-20261124-000042"), "{shown}");
            assert_eq!(rig.page(), Page::Attract);

            // The A4 printer's test page lands in the rig's folder printer.
            rig.tap("A4 打印机");
            rig.tap("自检并打印测试页");
            rig.wait_for("the A4 test", |r| {
                r.kiosk.technician().with_console(|c| {
                    matches!(
                        c.test_of(kiosk::devices::health::DeviceId::A4Printer),
                        Job::Done(_)
                    )
                })
            });
            assert_eq!(
                rig.find("test page").accessible_value().as_deref(),
                Some("printed")
            );
            let pdfs = std::fs::read_dir(rig.dir.path().join("a4"))
                .unwrap()
                .count();
            assert_eq!(pdfs, 1);

            // The document scanner: a test scan on the kiosk's own scanner (the demo's
            // glass here), its picture on the screen.
            rig.tap("证件扫描仪");
            rig.tap("自检并测试扫描");
            rig.wait_for("the test scan", |r| {
                r.kiosk.technician().with_console(|c| {
                    matches!(
                        c.test_of(kiosk::devices::health::DeviceId::DocScanner),
                        Job::Done(_)
                    )
                })
            });
            let scanned = rig
                .find("test scan")
                .accessible_value()
                .unwrap()
                .to_string();
            assert!(
                scanned.contains(" px at ") && scanned.contains(" dpi"),
                "{scanned}"
            );
            // The picture (the check's line carries the same words).
            let picture = i_slint_backend_testing::ElementHandle::find_by_accessible_label(
                rig.kiosk.window(),
                "测试扫描",
            )
            .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Image))
            .expect("the test scan's picture on screen");
            let size = picture.size();
            assert!(size.width > 100.0 && size.height > 100.0, "{size:?}");

            // The platform link: DNS, TCP, HTTP pass; TLS skipped on the loopback's http.
            rig.tap("平台连接");
            rig.wait_for("the link check", |r| {
                r.kiosk
                    .technician()
                    .with_console(|c| matches!(c.link(), Job::Done(_)))
            });
            for step in ["DNS", "TCP", "HTTP"] {
                let v = rig.find(step).accessible_value().unwrap().to_string();
                assert!(v.contains(" ms "), "{step}: {v}");
            }
            rig.kiosk.technician().with_console(|c| {
                let Job::Done((steps, figures)) = c.link() else {
                    unreachable!()
                };
                let failed: Vec<_> = steps.iter().filter(|s| s.outcome.failed()).collect();
                assert!(failed.is_empty(), "{steps:?}");
                assert!(matches!(steps[2].outcome, kiosk::diag::Outcome::Skipped(_)));
                assert!(figures.problem.is_none(), "{figures:?}");
            });

            // Exit forgets it all; the attract screen is back and cards work again.
            rig.tap("退出");
            assert_eq!(
                rig.kiosk.technician().with_console(|c| c.page()),
                TechPage::Closed
            );
            rig.swipe_sample_card();
            assert_eq!(rig.page(), Page::Menu);
        });
    }

    const ADVICE: &str = "请检查扫描仪的线缆、电源以及盖板是否盖好，然后点击“重置”，本机将重新查找扫描仪。如仍故障，请联系技术员。";

    /// The document scanner's row on the staff screen says `state`.
    fn scanner_row_says(rig: &Rig, state: &str) -> bool {
        i_slint_backend_testing::ElementHandle::find_by_accessible_label(
            rig.kiosk.window(),
            "证件扫描仪",
        )
        .next()
        .and_then(|e| e.accessible_value())
        .is_some_and(|v| v == state)
    }

    #[test]
    fn a_failed_test_scan_is_a_scanner_fault_staff_reset_it_once_it_is_back() {
        crate::rig::on_ui_thread(|| {
            let rig = Rig::start();
            rig.wait_until_ready();
            *rig.glass().lock().unwrap() = kiosk::demo::glass::Glass::Unplugged;
            open(&rig);
            rig.tap("证件扫描仪");
            rig.tap("自检并测试扫描");
            rig.wait_for("the test scan", |r| {
                r.kiosk.technician().with_console(|c| {
                    matches!(
                        c.test_of(kiosk::devices::health::DeviceId::DocScanner),
                        Job::Done(_)
                    )
                })
            });
            rig.tap("退出");
            rig.open_staff();
            rig.wait_for("the scanner out of order on the staff screen", |r| {
                scanner_row_says(r, "故障停用")
            });
            // What to do, in words, and a reset.
            rig.find(ADVICE);
            assert!(rig
                .kiosk
                .staff()
                .with_controller(|c| c.resettable(kiosk::devices::health::DeviceId::DocScanner)));
            // Still unplugged: the reset finds nothing and says so; it stays out of order.
            rig.tap("重置 证件扫描仪");
            rig.wait_for("the failed reset", |r| {
                r.store()
                    .recent_audit(10)
                    .unwrap()
                    .iter()
                    .any(|a| a.action == "reset:document_scanner" && a.result.starts_with("failed"))
            });
            assert!(scanner_row_says(&rig, "故障停用"));
            // Plugged back: the reset finds it, and it is ready without a scan.
            *rig.glass().lock().unwrap() = kiosk::demo::glass::Glass::Empty;
            rig.tap("重置 证件扫描仪");
            rig.wait_for("the scanner ready again", |r| scanner_row_says(r, "正常"));
        });
    }

    #[test]
    fn a_screen_left_alone_closes_after_five_minutes() {
        crate::rig::on_ui_thread(|| {
            let rig = Rig::start();
            rig.wait_until_ready();
            open(&rig);
            i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_secs(200));
            rig.pump();
            rig.tap("平台连接");
            i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_secs(200));
            rig.pump();
            assert_eq!(
                rig.kiosk.technician().with_console(|c| c.page()),
                TechPage::Link,
                "a touch 200 s ago keeps it open"
            );
            i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_secs(110));
            rig.pump();
            assert_eq!(
                rig.kiosk.technician().with_console(|c| c.page()),
                TechPage::Closed
            );
            assert!(rig.kiosk.is_idle());
        });
    }
}

mod cli {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    use kiosk::config::{CodeScannerDevice, Config, IdCardDevice, SerialDevice};

    fn diag(config: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kiosk"))
            .arg("--config")
            .arg(config)
            .arg("diag")
            .args(args)
            .env_remove("KIOSK_DEMO")
            .output()
            .unwrap()
    }

    fn text(out: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// A kiosk.toml naming the demo simulators' ports and the platform simulator.
    fn config(dir: &Path, demo: &Config, base_url: &str) -> PathBuf {
        let (reader, reader_baud) = match &demo.devices.idcard {
            IdCardDevice::Serial { path, baud, .. } => (path.clone(), *baud),
            other => panic!("{other:?}"),
        };
        let (printer, printer_baud) = match &demo.devices.printer {
            SerialDevice::Serial { path, baud } => (path.clone(), *baud),
            SerialDevice::Simulated => unreachable!(),
        };
        let scanner = match &demo.devices.code_scanner {
            Some(CodeScannerDevice::Serial { path, .. }) => path.clone(),
            other => panic!("{other:?}"),
        };
        std::fs::write(
            dir.join("platform.key"),
            kiosk_platform::sim::DEMO_KIOSK_KEY,
        )
        .unwrap();
        std::fs::write(
            dir.join("verify.key"),
            kiosk::documents::samples::SAMPLE_SIGNING_KEY,
        )
        .unwrap();
        let file = dir.join(format!("kiosk-{}.toml", base_url.len()));
        std::fs::write(
            &file,
            format!(
                "data_dir = \"{data}\"\n\n[platform]\nbase_url = \"{base_url}\"\nallow_plain_http = true\nkiosk_id = \"{id}\"\n\
                 key_file = \"{dir}/platform.key\"\n\n[devices.idcard]\nkind = \"serial\"\n\
                 path = \"{reader}\"\nbaud = {reader_baud}\n\n[devices.printer]\nkind = \"serial\"\n\
                 path = \"{printer}\"\nbaud = {printer_baud}\n\n[devices.code_scanner]\n\
                 kind = \"serial\"\npath = \"{scanner}\"\nbaud = 9600\n\n[codes]\n\
                 verify_base = \"{verify}\"\nverify_key_file = \"{dir}/verify.key\"\n\n\
                 [staff]\npin_hash = \"{pin}\"\n",
                data = dir.join("data").display(),
                id = demo.platform.kiosk_id,
                dir = dir.display(),
                reader = reader.display(),
                printer = printer.display(),
                scanner = scanner.display(),
                verify = kiosk::documents::samples::SAMPLE_VERIFY_BASE,
                pin = kiosk::demo::DEMO_STAFF_PIN_HASH,
            ),
        )
        .unwrap();
        file
    }

    #[test]
    fn diag_checks_every_device_and_the_link_and_fails_with_a_dead_platform() {
        let dir = tempfile::tempdir().unwrap();
        let mut demo = Config::demo(dir.path().join("data"));
        demo.devices.doc_scanner = None;
        demo.devices.a4_printer = None;
        let sims = kiosk::demo::SimRig::start(&mut demo).unwrap();
        sims.reader
            .as_ref()
            .unwrap()
            .place_card(idcard::sim::sample_cards().remove(1));
        let good = config(dir.path(), &demo, &demo.platform.base_url);

        let all = diag(&good, &[]);
        let out = text(&all);
        assert!(all.status.success(), "{out}");
        for line in [
            "idcard: ok",
            "SAM id: ",
            "printer: ok",
            "DLE EOT 1-4 = ",
            "code_scanner: ok",
            "DNS   ok",
            "TLS   skip",
            "HTTP  ok",
            "outbox: ",
        ] {
            assert!(out.contains(line), "{line:?} in {out}");
        }
        // The test card, read through the reader and shown masked.
        let card = idcard::sim::sample_cards().remove(1);
        assert!(out.contains(&card.masked_id()), "{out}");
        assert!(
            !out.contains(&card.id_number) && !out.contains(&card.name),
            "{out}"
        );

        // The test page on the receipt printer.
        let page = diag(&good, &["printer", "--test-page"]);
        assert!(page.status.success(), "{}", text(&page));
        let printer = sims.printer.as_ref().unwrap();
        assert!(printer.wait_for_receipts(1, crate::rig::PATIENCE));
        assert!(printer.receipts()[0].text().contains("TEST PAGE"));

        // The bundle: a zip with the config's secrets replaced.
        let zip = dir.path().join("bundle.zip");
        let bundle = diag(&good, &["bundle", "--out", zip.to_str().unwrap()]);
        assert!(bundle.status.success(), "{}", text(&bundle));
        let entries = kiosk::diag::zip::read_entries(&std::fs::read(&zip).unwrap()).unwrap();
        let toml = &entries.iter().find(|(n, _)| n == "config.toml").unwrap().1;
        let toml = String::from_utf8_lossy(toml);
        assert!(toml.contains("pin_hash = \"<redacted>\""), "{toml}");
        assert!(!toml.contains(kiosk::demo::DEMO_STAFF_PIN_HASH), "{toml}");
        assert!(toml.contains("platform.key"), "{toml}");

        // Nobody listens at the platform's address: `diag platform` and `diag` fail (1).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dead = config(dir.path(), &demo, &format!("http://127.0.0.1:{port}"));
        let platform = diag(&dead, &["platform"]);
        let out = text(&platform);
        assert_eq!(platform.status.code(), Some(1), "{out}");
        assert!(out.contains("TCP   FAIL"), "{out}");
        assert!(out.contains("HTTP  skip"), "{out}");
        assert_eq!(diag(&dead, &[]).status.code(), Some(1));
    }
}
