//! End-to-end tests: the real driver against the virtual printer, and the renderer's output
//! checked by an independent QR decoder (zbarimg).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use printer::virtual_printer::{encode_png, parse_all, render, FontData, SimPrinter, PAPER_WIDTH};
use printer::{open_tcp, Align, EscPosBuilder, PrinterError, PrinterStatus};

/// Fail-safe only: how long a test waits for the simulator before giving up (never expected
/// to come close; a loaded CI box may be slow).
const FAILSAFE: Duration = Duration::from_secs(60);

const QR_PAYLOAD: &str = "https://kiosk.example.gov.cn/t/A012?name=%E5%BC%A0%E4%B8%89";

fn font_bytes() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts/wqy-microhei.ttc");
    std::fs::read(&path).unwrap_or_else(|e| panic!("font {}: {e}", path.display()))
}

fn job() -> Vec<u8> {
    EscPosBuilder::new()
        .init()
        .align(Align::Center)
        .bold(true)
        .size(2, 2)
        .line("市民服务中心")
        .bold(false)
        .size(1, 1)
        .line("排队号 A012")
        .align(Align::Left)
        .line("事项: 居住证办理")
        .line("费用: ¥0.00")
        .align(Align::Center)
        .qr(QR_PAYLOAD, 6)
        .feed(3)
        .cut(true)
        .build()
}

const JOB_TEXT: &str = "市民服务中心\n排队号 A012\n事项: 居住证办理\n费用: ¥0.00";

/// A fresh directory under the target dir (no tempfile dependency needed for this).
fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("printer-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn pty_print_reaches_the_simulator() {
    let dir = out_dir("pty");
    let sim = SimPrinter::spawn(font_bytes(), Some(dir.clone())).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    sim.on_receipt(Box::new(move |r| seen2.lock().unwrap().push(r.seq)));

    let mut p = printer::open_serial(sim.port_path(), 115_200).unwrap();
    assert_eq!(p.status().unwrap(), PrinterStatus::ready());
    p.print(&job()).unwrap();

    assert!(sim.wait_for_receipts(1, FAILSAFE), "no receipt arrived");
    let receipts = sim.receipts();
    assert_eq!(receipts.len(), 1);
    let r = &receipts[0];
    assert_eq!(r.seq, 1);
    assert_eq!(r.text(), JOB_TEXT);
    assert_eq!(r.qr_payloads(), vec![QR_PAYLOAD.to_owned()]);
    assert_eq!(r.image.width(), PAPER_WIDTH);
    let png = r.png_path.clone().expect("png written");
    assert_eq!(png, dir.join("receipt-1.png"));
    assert!(std::fs::metadata(&png).unwrap().len() > 0);
    assert_eq!(*seen.lock().unwrap(), vec![1]);

    // The port can be closed and reopened: the exclusive lock goes with the driver's handle.
    drop(p);
    let mut p = printer::open_serial(sim.port_path(), 9600).unwrap();
    p.print(&job()).unwrap();
    assert!(sim.wait_for_receipts(2, FAILSAFE));
    assert_eq!(sim.receipts()[1].seq, 2);
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pty_paper_out_refuses_and_prints_nothing() {
    let sim = SimPrinter::spawn(font_bytes(), None).unwrap();
    let mut p = printer::open_serial(sim.port_path(), 115_200).unwrap();

    sim.set_paper_out(true);
    assert!(matches!(p.print(&job()), Err(PrinterError::PaperOut)));
    sim.set_paper_out(false);

    sim.set_cover_open(true);
    assert!(matches!(p.print(&job()), Err(PrinterError::CoverOpen)));
    sim.set_cover_open(false);

    sim.set_offline(true);
    assert!(matches!(p.print(&job()), Err(PrinterError::Offline)));
    sim.set_offline(false);

    sim.set_paper_near_end(true);
    let s = p.status().unwrap();
    assert!(s.paper_near_end && s.online && !s.paper_out);

    // Still nothing printed; a job now goes through and is the first receipt.
    assert!(sim.receipts().is_empty());
    p.print(&job()).unwrap();
    assert!(sim.wait_for_receipts(1, FAILSAFE));
    assert_eq!(sim.receipts().len(), 1);
    assert!(sim.receipts()[0].png_path.is_none());
}

#[test]
fn pty_paper_out_during_job_is_reported() {
    // The roll runs out with the next receipt: the simulator answers the status query that
    // follows the job with "paper out", so the caller learns to keep the receipt for a reprint.
    let sim = SimPrinter::spawn(font_bytes(), None).unwrap();
    let mut p = printer::open_serial(sim.port_path(), 115_200).unwrap();
    sim.run_out_of_paper_after(1);
    assert!(matches!(
        p.print(&job()),
        Err(PrinterError::PaperOutDuringJob)
    ));
    assert!(sim.status().paper_out);
    // The next attempt is refused before anything is sent.
    assert!(matches!(p.print(&job()), Err(PrinterError::PaperOut)));
    sim.set_paper_out(false);
    p.print(&job()).unwrap();
    assert!(sim.wait_for_receipts(2, FAILSAFE));
    assert_eq!(sim.receipts().len(), 2);
}

#[test]
fn tcp_print_reaches_the_simulator() {
    let sim = SimPrinter::spawn_tcp(font_bytes(), None).unwrap();
    let addr = sim.addr().unwrap();
    let mut p = open_tcp(&addr.to_string()).unwrap();
    p.print(&job()).unwrap();
    assert!(sim.wait_for_receipts(1, FAILSAFE));
    assert_eq!(sim.receipts()[0].text(), JOB_TEXT);

    // A second connection continues on the same simulator.
    drop(p);
    let mut p = open_tcp(&addr.to_string()).unwrap();
    sim.set_paper_out(true);
    assert!(matches!(p.print(&job()), Err(PrinterError::PaperOut)));
    assert_eq!(sim.receipts().len(), 1);
}

#[test]
fn render_chinese_and_qr_to_png() {
    let font = FontData::from_bytes(font_bytes()).unwrap();
    let receipts = parse_all(&job());
    assert_eq!(receipts.len(), 1);
    let img = render(&receipts[0], &font);
    assert_eq!(img.width(), 576);
    // 4 text lines (one double height) + QR (≥ 29 modules × 6) + 3 feed lines + margins.
    assert!(
        img.height() > 24 * 5 + 29 * 6 + 90,
        "height {}",
        img.height()
    );
    assert!(img.height() < 1200, "height {}", img.height());
    assert_eq!(
        img.pixels().len(),
        (img.width() * img.height() * 4) as usize
    );
    // Some ink in the title area, white paper at the top-left corner.
    assert_eq!(img.pixel(0, 0), Some([255, 255, 255, 255]));
    let title_ink = (24..24 + 48)
        .flat_map(|y| (0..576).map(move |x| (x, y)))
        .filter(|&(x, y)| img.pixel(x, y).unwrap()[0] < 128)
        .count();
    assert!(title_ink > 200, "title has {title_ink} dark pixels");

    let png = encode_png(&img);
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[16..20], &576u32.to_be_bytes());
    assert_eq!(&png[20..24], &img.height().to_be_bytes());
}

#[test]
fn rendered_qr_decodes_with_zbarimg() {
    let zbar = Path::new("/usr/bin/zbarimg");
    let zbar = if zbar.exists() {
        zbar.to_path_buf()
    } else if let Some(p) = which("zbarimg") {
        p
    } else {
        eprintln!("NOTE: zbarimg not installed (apt install zbar-tools); QR decode check skipped");
        return;
    };
    let font = FontData::from_bytes(font_bytes()).unwrap();
    let img = render(&parse_all(&job())[0], &font);
    let dir = out_dir("zbar");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("receipt.png");
    std::fs::write(&path, encode_png(&img)).unwrap();
    let out = Command::new(zbar)
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "zbarimg failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim_end(), QR_PAYLOAD);
    let _ = std::fs::remove_dir_all(&dir);
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}
