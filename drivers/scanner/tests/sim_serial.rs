//! The serial line-mode driver against the pty simulator: framing and every fault, through the
//! real `SerialScanner` code path. Waits are failure timeouts only, never asserted durations.

use std::time::{Duration, Instant};

use scanner::line::{
    CodeScanner, Encoding, LineConfig, LineError, Scan, ScanError, SerialConfig, SerialScanner,
};
use scanner::sim::{SimScanner, Terminator};

/// Give up waiting for a result after this long (a failure, not a measurement).
const FAIL_AFTER: Duration = Duration::from_secs(10);

fn config(sim: &SimScanner) -> SerialConfig {
    let mut c = SerialConfig::new(sim.port_path());
    c.inter_byte_timeout = Duration::from_millis(150);
    c
}

fn open(sim: &SimScanner) -> SerialScanner {
    SerialScanner::open(&config(sim)).expect("open the simulator's port")
}

/// The next scan or error, failing the test if nothing comes.
fn next(scanner: &mut SerialScanner) -> Result<Scan, ScanError> {
    let deadline = Instant::now() + FAIL_AFTER;
    while Instant::now() < deadline {
        match scanner.read_scan(Duration::from_millis(100)) {
            Ok(Some(scan)) => return Ok(scan),
            Ok(None) => {}
            Err(e) => return Err(e),
        }
    }
    panic!("no scan or error within {FAIL_AFTER:?}");
}

fn next_text(scanner: &mut SerialScanner) -> String {
    match next(scanner) {
        Ok(scan) => scan.text,
        Err(e) => panic!("expected a scan, got {e}"),
    }
}

fn next_line_error(scanner: &mut SerialScanner) -> LineError {
    match next(scanner) {
        Err(ScanError::Line(e)) => e,
        other => panic!("expected a line error, got {other:?}"),
    }
}

/// Nothing further arrives within a short while (the sim wrote everything already).
fn assert_quiet(scanner: &mut SerialScanner) {
    match scanner.read_scan(Duration::from_millis(400)) {
        Ok(None) => {}
        other => panic!("expected nothing more, got {other:?}"),
    }
}

const URL: &str = "https://zwfw.example.gov.cn/verify?case=SB-20261124-000042&d=20261124&sig=0123456789abcdef0123456789abcdef";

#[test]
fn every_terminator_frames_one_scan() {
    let sim = SimScanner::spawn().unwrap();
    let mut s = open(&sim);
    for t in [Terminator::Cr, Terminator::Lf, Terminator::CrLf] {
        sim.set_terminator(t);
        sim.scan(URL).unwrap();
        assert_eq!(next_text(&mut s), URL, "{t:?}");
        sim.scan("SB-20261124-000042").unwrap();
        assert_eq!(next_text(&mut s), "SB-20261124-000042", "{t:?}");
    }
    assert_quiet(&mut s);
}

#[test]
fn crlf_split_across_writes_and_blank_lines_are_not_scans() {
    let sim = SimScanner::spawn().unwrap();
    let mut s = open(&sim);
    sim.scan_bytes(b"first\r").unwrap();
    assert_eq!(next_text(&mut s), "first");
    sim.scan_bytes(b"\n\r\n\r\nsecond\r\n").unwrap();
    assert_eq!(next_text(&mut s), "second");
    assert_quiet(&mut s);
}

#[test]
fn several_scans_in_one_read_come_out_in_order() {
    let sim = SimScanner::spawn().unwrap();
    let mut s = open(&sim);
    sim.scan_bytes(b"one\rtwo\r\nthree\n").unwrap();
    assert_eq!(next_text(&mut s), "one");
    assert_eq!(next_text(&mut s), "two");
    assert_eq!(next_text(&mut s), "three");
}

#[test]
fn a_scan_arriving_in_pieces_is_joined() {
    let sim = SimScanner::spawn().unwrap();
    let mut s = open(&sim);
    sim.set_terminator(Terminator::CrLf);
    // Gaps well under the inter-byte timeout.
    sim.scan_in_pieces(URL, 7, Duration::from_millis(5))
        .unwrap();
    assert_eq!(next_text(&mut s), URL);
    assert_quiet(&mut s);
}

#[test]
fn partial_line_then_silence_is_incomplete_and_not_glued_to_the_next_scan() {
    let sim = SimScanner::spawn().unwrap();
    let mut s = open(&sim);
    sim.send_partial(URL, 30).unwrap();
    assert_eq!(next_line_error(&mut s), LineError::Incomplete { len: 30 });
    sim.scan("SB-20261124-000042").unwrap();
    assert_eq!(next_text(&mut s), "SB-20261124-000042");
}

#[test]
fn garbage_is_refused_and_the_next_scan_works() {
    let sim = SimScanner::spawn().unwrap();
    let mut s = open(&sim);
    sim.send_garbage().unwrap();
    assert!(matches!(
        next_line_error(&mut s),
        LineError::InvalidText {
            encoding: Encoding::Utf8,
            ..
        }
    ));
    sim.scan("ok").unwrap();
    assert_eq!(next_text(&mut s), "ok");
}

#[test]
fn over_long_line_is_reported_once_and_the_next_scan_works() {
    let sim = SimScanner::spawn().unwrap();
    let mut s = open(&sim);
    sim.set_terminator(Terminator::CrLf);
    sim.send_over_long(2000).unwrap();
    assert_eq!(next_line_error(&mut s), LineError::TooLong { max_len: 512 });
    sim.scan("after").unwrap();
    assert_eq!(next_text(&mut s), "after");
    assert_quiet(&mut s);
}

#[test]
fn unplug_is_disconnected_and_replug_reopens_the_same_path() {
    let sim = SimScanner::spawn().unwrap();
    let mut s = open(&sim);
    sim.scan("before").unwrap();
    assert_eq!(next_text(&mut s), "before");
    sim.unplug();
    match next(&mut s) {
        Err(e @ ScanError::Disconnected(_)) => assert!(e.needs_reopen()),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    drop(s);
    // While unplugged the path is gone: opening fails, to be retried with backoff.
    match SerialScanner::open(&config(&sim)) {
        Err(e @ ScanError::Open { .. }) => assert!(e.needs_reopen()),
        other => panic!("expected Open error, got {other:?}"),
    }
    sim.replug().unwrap();
    let mut s = open(&sim);
    sim.scan("after").unwrap();
    assert_eq!(next_text(&mut s), "after");
}

#[test]
fn prefix_and_suffix_are_stripped_through_the_port() {
    let sim = SimScanner::spawn().unwrap();
    let mut c = config(&sim);
    c.line = LineConfig {
        prefix: Some("\u{2}".into()),
        suffix: Some("\u{3}".into()),
        ..LineConfig::default()
    };
    let mut s = SerialScanner::open(&c).unwrap();
    sim.scan_bytes(b"\x02SB-20261124-000042\x03\r\n").unwrap();
    assert_eq!(next_text(&mut s), "SB-20261124-000042");
    sim.scan_bytes(b"SB-20261124-000042\x03\r").unwrap();
    assert_eq!(next_line_error(&mut s), LineError::MissingPrefix);
}

#[test]
fn gbk_is_decoded_through_the_port() {
    let sim = SimScanner::spawn().unwrap();
    let mut c = config(&sim);
    c.line.encoding = Encoding::Gbk;
    let mut s = SerialScanner::open(&c).unwrap();
    // 社保 in GBK.
    sim.scan_bytes(b"\xc9\xe7\xb1\xa3 SB-20261124-000042\r")
        .unwrap();
    assert_eq!(next_text(&mut s), "社保 SB-20261124-000042");
}

#[test]
fn missing_port_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = SerialScanner::open(&SerialConfig::new(dir.path().join("nope"))).unwrap_err();
    assert!(matches!(err, ScanError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot open code scanner"));
}
