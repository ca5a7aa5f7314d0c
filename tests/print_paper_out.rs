//! The printer thread against the virtual printer: paper out in the middle of a ticket keeps
//! the job and prints it again, whole, after the restock; idle status polls see a fault before
//! any citizen meets it; a device-file printer (`/dev/usb/lp0` style) prints.

use std::time::{Duration, Instant};

use kiosk::demo::RECEIPT_FONT;
use kiosk::devices::health::HealthBoard;
use kiosk::devices::printer_manager::{PrintFault, PrinterLink, PrinterManager, PrinterOptions};
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
