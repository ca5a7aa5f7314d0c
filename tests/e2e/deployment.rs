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
