//! The installed kiosk's start: where it reads its configuration, and what it does without one
//! (exit code 78, EX_CONFIG, and a message; never the demo), and `kiosk config check`.

use std::path::Path;
use std::process::{Command, Output};

/// The kiosk binary as systemd would start it: without the developer's `KIOSK_DEMO=1`
/// (`.cargo/config.toml` sets it for everything cargo runs, these tests included).
fn kiosk(args: &[&str], config_env: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiosk"));
    c.args(args)
        .env_remove("KIOSK_DEMO")
        .env_remove("KIOSK_CONFIG");
    if let Some(p) = config_env {
        c.env("KIOSK_CONFIG", p);
    }
    // No display: a kiosk that got as far as opening its window would fail differently.
    c.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    c.output().expect("kiosk runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A valid configuration in `dir`: the example file with its paths moved into `dir`.
fn valid_config(dir: &Path) -> std::path::PathBuf {
    let key = dir.join("platform.key");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef\n").unwrap();
    let text = include_str!("../../kiosk.example.toml")
        .replace(
            "/var/lib/citizen-window",
            &dir.join("data").display().to_string(),
        )
        .replace("/etc/citizen-window", &dir.display().to_string());
    let path = dir.join("kiosk.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_missing_configuration_stops_with_exit_code_78_not_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("kiosk.toml");
    let out = kiosk(&[], Some(&missing));
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(err.contains("kiosk config check"), "{err}");
    // Nothing was started (no simulated devices, no built-in platform, no data folder).
    assert!(!err.contains("starting"), "{err}");
    assert!(!dir.path().join("data").exists());
}

#[test]
fn an_invalid_configuration_stops_with_exit_code_78_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_config(dir.path());
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("timeout_secs = 10", "timeout_secs = 0");
    std::fs::write(&path, text).unwrap();
    let out = kiosk(&["--config", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains("timeout_secs"), "{}", stderr(&out));
    let garbled = dir.path().join("garbled.toml");
    std::fs::write(&garbled, "[platform\nbase_url = ").unwrap();
    let out = kiosk(&[], Some(&garbled));
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
}

#[test]
fn config_check_says_valid_or_names_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_config(dir.path());
    let out = kiosk(&["config", "check", path.to_str().unwrap()], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout, stderr(&out));
    assert!(stdout.contains("valid"), "{stdout}");
    assert!(stdout.contains("hall-0001-kiosk-03"), "{stdout}");
    // The key file's content is a secret: never printed.
    assert!(!stdout.contains("0123456789abcdef"), "{stdout}");

    std::fs::remove_file(dir.path().join("platform.key")).unwrap();
    let out = kiosk(&["config", "check", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("platform.key"), "{}", stderr(&out));
}

#[test]
fn demo_and_a_configuration_together_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_config(dir.path());
    let out = kiosk(&["--demo", "--config", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
}

/// systemd's side of `Type=notify`: a datagram socket the kiosk is told about.
fn notify_socket() -> (tempfile::TempDir, std::os::unix::net::UnixDatagram, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify");
    let sock = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    sock.set_nonblocking(true).unwrap();
    (dir, sock, path.display().to_string())
}

fn notifications(sock: &std::os::unix::net::UnixDatagram) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    // The kiosk sends synchronously from the UI thread: what it sent is queued by now.
    while let Ok(n) = sock.recv(&mut buf) {
        out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    out
}

#[test]
fn ready_once_the_ui_turns_and_watchdog_pings_only_from_the_ui_thread() {
    crate::rig::on_ui_thread(|| {
        use std::time::Duration;
        let rig = crate::rig::Rig::start();
        let (_dir, sock, path) = notify_socket();
        // Every thread of the kiosk is alive.
        let lives = rig.kiosk.lives();
        assert!(lives.len() >= 8, "{lives:?}");
        assert!(lives.iter().all(|(_, l)| l.is_alive()), "{lives:?}");

        let _link = rig
            .kiosk
            .tell_service_manager(Some(path), Some(Duration::from_secs(20)));
        // Nothing before the UI thread's event loop turns.
        assert!(notifications(&sock).is_empty());
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1));
        assert_eq!(notifications(&sock), ["READY=1\nSTATUS=attract screen up"]);
        // While the UI thread does not turn (a frozen UI), no ping reaches systemd, however
        // alive the other threads are; each turn of its timer (every half WatchdogSec) pings.
        std::thread::sleep(Duration::from_millis(50));
        assert!(notifications(&sock).is_empty());
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(10));
        assert_eq!(notifications(&sock), ["WATCHDOG=1"]);
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(10));
        assert_eq!(notifications(&sock), ["WATCHDOG=1"]);
    });
}
