//! Printing: A4 on a real IPP printer, the receipt printer thread, the ticket's PNG.

mod ipp {
    //! A4 printing to a real IPP printer on loopback (`tests/e2e/ipp.rs`).
    //!
    //! ippeveprinter will not start without DNS-SD (Avahi over D-Bus), so the test starts its own
    //! private bus and avahi-daemon (Debian dbus, avahi-daemon) in a temporary directory, bound
    //! to loopback; nothing on the machine's system bus is touched. avahi-daemon must run as root
    //! (CI does; scripts/test installs the packages).

    use std::path::PathBuf;
    use std::time::Duration;

    use crate::ipp::{free_port, IppRig, FAILSAFE};
    use kiosk::cli::doc::doc_render::{render_sample, DocKind};
    use printer::ipp::{IppError, IppPrinter, JobState};

    #[test]
    fn certificate_pdf_arrives_at_a_real_ipp_printer_and_completes() {
        let rig = IppRig::start();
        let pdf = render_sample(DocKind::SocialInsuranceProof).unwrap();
        let mut printer = IppPrinter::new(&rig.uri, Duration::from_secs(30)).unwrap();
        printer.poll_interval = Duration::from_millis(100);
        let outcome = printer
            .print_pdf(&pdf, "social-insurance-proof SB-20261124-000042", FAILSAFE)
            .unwrap();
        assert_eq!(outcome.state, JobState::Completed);
        assert!(outcome.job_id > 0);

        // The job file is in the spool directory, byte for byte.
        let files: Vec<PathBuf> = std::fs::read_dir(&rig.spool)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let job_file = files
            .iter()
            .find(|p| {
                p.file_name().is_some_and(|n| {
                    n.to_string_lossy()
                        .starts_with(&format!("{}-", outcome.job_id))
                })
            })
            .unwrap_or_else(|| panic!("no job file in {files:?}"));
        assert_eq!(std::fs::read(job_file).unwrap(), pdf);

        // The state can be asked again, and an unknown job is an IPP error, not a panic.
        assert_eq!(
            printer.job_state(outcome.job_id).unwrap().0,
            JobState::Completed
        );
        assert!(matches!(printer.job_state(9999), Err(IppError::Status(_))));
    }

    #[test]
    fn printer_state_is_read_before_a_job_toner_and_paper() {
        use printer::ipp::{Blocker, PrinterState};
        let rig = IppRig::start();
        let printer = IppPrinter::new(&rig.uri, Duration::from_secs(30)).unwrap();
        let ready = printer.status().unwrap();
        assert_eq!(ready.state, PrinterState::Idle);
        assert_eq!(ready.blocker(), None, "{ready:?}");
        // The toner runs out (ippeveprinter's supplies form).
        assert!(rig
            .web_form("supplies?supply1=0")
            .contains("Supplies updated"));
        let empty = printer.status().unwrap();
        assert_eq!(empty.blocker(), Some(Blocker::TonerOut), "{empty:?}");
        drop(rig);

        // Another printer whose main tray has no paper left.
        let rig = IppRig::start();
        let printer = IppPrinter::new(&rig.uri, Duration::from_secs(30)).unwrap();
        assert!(rig
            .web_form("media?size1=&type1=&level1=0")
            .contains("Media updated"));
        let no_paper = printer.status().unwrap();
        assert_eq!(no_paper.blocker(), Some(Blocker::PaperOut), "{no_paper:?}");
    }

    #[test]
    fn unreachable_printer_is_a_transport_error() {
        let port = free_port();
        let printer = IppPrinter::new(
            &format!("ipp://127.0.0.1:{port}/ipp/print"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(matches!(
            printer.print_pdf(b"%PDF-1.4", "x", Duration::from_secs(1)),
            Err(IppError::Exchange(_))
        ));
        assert!(matches!(
            IppPrinter::new("lpd://x/q", Duration::from_secs(1)),
            Err(IppError::BadUri)
        ));
    }
}

mod paper_out {
    //! The printer thread against the virtual printer: paper out in the middle of a ticket keeps
    //! the job and prints it again, whole, after the restock; idle status polls see a fault before
    //! any citizen meets it; a device-file printer (`/dev/usb/lp0` style) prints.

    use std::time::{Duration, Instant};

    use kiosk::demo::RECEIPT_FONT;
    use kiosk::devices::health::HealthBoard;
    use kiosk::devices::printer_manager::{
        PrintFault, PrinterLink, PrinterManager, PrinterOptions,
    };
    use kiosk::documents::{queue_ticket, samples};
    use printer::paper::job_length_mm;
    use printer::virtual_printer::SimPrinter;

    /// Fail-safe only; never a performance limit.
    const FAILSAFE: Duration = Duration::from_secs(60);

    fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(start.elapsed() < FAILSAFE, "gave up waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn options() -> PrinterOptions {
        PrinterOptions {
            idle_poll: Duration::from_millis(50),
            roll_mm: 1_000.0,
        }
    }

    #[test]
    fn paper_out_mid_ticket_is_reprinted_whole_after_restock() {
        let sim = SimPrinter::spawn_tcp(RECEIPT_FONT, None).unwrap();
        let addr = sim.addr().unwrap().to_string();
        let (_mgr, handle) =
            PrinterManager::spawn_link(PrinterLink::Tcp { addr }, options(), &HealthBoard::new());

        let ticket = samples::ticket();
        let job = queue_ticket::render(&ticket);
        let len = job_length_mm(&job);
        // The roll ends halfway down the ticket: above the QR code.
        sim.run_out_of_paper_after_mm(len / 2.0);

        assert_eq!(handle.print(job.clone()), Err(PrintFault::PaperOut));
        assert!(sim.wait_for_receipts(1, FAILSAFE));
        let cut_short = &sim.receipts()[0];
        assert!(
            cut_short.qr_payloads().is_empty(),
            "the QR code fit after all"
        );
        assert!(cut_short.text().contains("A012"));
        let st = handle.state();
        assert!(st.job_held);
        assert_eq!(st.printed, 0);
        assert!(st.paper.used_mm > 0.0);

        // Still no paper: restock pressed too early, nothing is printed, the job stays held.
        handle.restock();
        wait_until("an idle poll after the early restock", || {
            handle.state().idle_polls >= 3
        });
        assert_eq!(sim.receipts().len(), 1);
        assert!(handle.state().job_held);

        // Paper in, restock: the ticket comes out again from the start.
        sim.set_paper_out(false);
        handle.restock();
        wait_until("the reprint", || handle.state().reprinted == 1);
        assert!(sim.wait_for_receipts(2, FAILSAFE));
        let again = &sim.receipts()[1];
        assert_eq!(again.qr_payloads(), vec![ticket.follow_url.clone()]);
        assert!(again.text().contains("请留意叫号"));
        let st = handle.state();
        assert!(!st.job_held);
        // The meter was reset by the restock, then counted the reprint.
        assert!(
            (st.paper.used_mm - len).abs() < 0.01,
            "{} vs {len}",
            st.paper.used_mm
        );
        assert!((st.paper.remaining_mm() - (1_000.0 - len)).abs() < 0.01);

        // And the next ticket prints normally.
        assert_eq!(handle.print(job), Ok(()));
        // The reprint and this one.
        assert_eq!(handle.state().printed, 2);
    }

    #[test]
    fn idle_polls_see_cover_open_and_jobs_are_refused_until_closed() {
        let sim = SimPrinter::spawn_tcp(RECEIPT_FONT, None).unwrap();
        let addr = sim.addr().unwrap().to_string();
        let (_mgr, handle) =
            PrinterManager::spawn_link(PrinterLink::Tcp { addr }, options(), &HealthBoard::new());

        wait_until("the first status", || handle.state().status.is_some());
        assert!(handle.state().status.unwrap().online);
        sim.set_cover_open(true);
        wait_until("cover open seen while idle", || {
            handle.state().status.is_some_and(|s| s.cover_open)
        });
        let job = queue_ticket::render(&samples::ticket());
        assert!(matches!(
            handle.print(job.clone()),
            Err(PrintFault::Device(_))
        ));
        sim.set_cover_open(false);
        sim.set_paper_near_end(true);
        wait_until("near end seen while idle", || {
            handle
                .state()
                .status
                .is_some_and(|s| s.paper_near_end && !s.cover_open)
        });
        assert_eq!(handle.print(job), Ok(()));
        assert!(sim.wait_for_receipts(1, FAILSAFE));
        assert_eq!(sim.receipts().len(), 1);
    }

    #[test]
    fn device_file_printer_prints() {
        let sim = SimPrinter::spawn(RECEIPT_FONT, None).unwrap();
        // A real /dev/usb/lp0 needs no line settings; the simulator's pty does: hold it raw,
        // non-exclusive, while the printer thread opens the same path as a plain device file.
        let mut keep_raw = serialport::new(sim.port_path().to_string_lossy(), 115_200)
            .open_native()
            .unwrap();
        keep_raw.set_exclusive(false).unwrap();
        let (_mgr, handle) = PrinterManager::spawn_link(
            PrinterLink::DeviceFile {
                path: sim.port_path(),
            },
            options(),
            &HealthBoard::new(),
        );
        let job = queue_ticket::render(&samples::ticket());
        assert_eq!(handle.print(job), Ok(()));
        assert!(sim.wait_for_receipts(1, FAILSAFE));
        assert_eq!(
            sim.receipts()[0].qr_payloads(),
            vec![samples::ticket().follow_url]
        );
        drop(keep_raw);
    }
}

mod ticket_png {
    //! The queue ticket through the virtual printer: its PNG, decoded by an independent QR decoder
    //! (`zbarimg`, Debian zbar-tools), gives back the follow URL; `kiosk doc render` writes it.

    use std::path::Path;
    use std::process::Command;

    use kiosk::cli::doc::doc_render::{receipt_png, render_sample, DocKind};
    use kiosk::documents::{queue_ticket, samples};

    fn zbarimg() -> &'static Path {
        let p = Path::new("/usr/bin/zbarimg");
        assert!(
            p.exists(),
            "zbarimg is not installed: run scripts/test (zbar-tools)"
        );
        p
    }

    #[test]
    fn ticket_png_qr_decodes_to_the_follow_url() {
        let dir = tempfile::tempdir().unwrap();
        let ticket = samples::ticket();
        let png = receipt_png(&queue_ticket::render(&ticket)).unwrap();
        assert_eq!(png, render_sample(DocKind::QueueTicket).unwrap());
        let path = dir.path().join("ticket.png");
        std::fs::write(&path, png).unwrap();
        let out = Command::new(zbarimg())
            .args(["-q", "--raw"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "zbarimg found no code");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            ticket.follow_url
        );
    }

    #[test]
    fn doc_render_cli_writes_every_kind() {
        let dir = tempfile::tempdir().unwrap();
        for (kind, name) in [
            ("queue-ticket", "t.png"),
            ("social-insurance-proof", "s.pdf"),
            ("no-housing-proof", "n.pdf"),
            ("form-blank", "fb.pdf"),
            ("form-filled", "ff.pdf"),
            ("id-copy", "id.pdf"),
        ] {
            let out = dir.path().join(name);
            let status = Command::new(env!("CARGO_BIN_EXE_kiosk"))
                .args(["doc", "render", kind, "--sample", "--out"])
                .arg(&out)
                .status()
                .unwrap();
            assert!(status.success(), "{kind}");
            let bytes = std::fs::read(&out).unwrap();
            if name.ends_with(".png") {
                assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{kind}");
            } else {
                assert!(bytes.starts_with(b"%PDF-"), "{kind}");
            }
        }
        // Without --sample there is no data to print: refused.
        let status = Command::new(env!("CARGO_BIN_EXE_kiosk"))
            .args(["doc", "render", "id-copy", "--out"])
            .arg(dir.path().join("x.pdf"))
            .status()
            .unwrap();
        assert!(!status.success());
    }
}
