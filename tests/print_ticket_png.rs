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
