//! A4 printing to a real IPP printer on loopback (`tests/common/ipp.rs`).
//!
//! ippeveprinter will not start without DNS-SD (Avahi over D-Bus), so the test starts its own
//! private bus and avahi-daemon (Debian dbus, avahi-daemon) in a temporary directory, bound
//! to loopback; nothing on the machine's system bus is touched. avahi-daemon must run as root
//! (CI does; scripts/test installs the packages).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::ipp::{free_port, IppRig, FAILSAFE};
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
