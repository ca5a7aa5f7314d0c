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

/// `id -u NAME` / `id -g NAME`.
fn id_of(flag: &str, name: &str) -> u32 {
    let out = Command::new("id").args([flag, name]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// The unit's command (`cage -d -- kiosk --fullscreen`) on wlroots' headless backend with
/// a real configuration: real serial ports (the demo's simulators on pseudo-terminals), the
/// platform simulator on loopback, keys in files. It must tell systemd READY and put the
/// attract screen's first frame on cage's output (read back with grim). cage refuses to run
/// as root: under root (CI) it runs as `nobody`, as the unit runs it as its own user.
#[test]
fn the_packaged_command_under_cage_comes_up_ready_with_its_first_frame() {
    use kiosk::config::{CodeScannerDevice, Config, IdCardDevice, SerialDevice};
    use std::os::unix::fs::{chown, PermissionsExt};
    use std::time::{Duration, Instant};
    for tool in ["cage", "grim", "Xwayland"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .status()
                .unwrap()
                .success(),
            "{tool} is not installed: run scripts/test (cage, grim, xwayland)"
        );
    }
    let root = is_root();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();

    // The demo's simulators give real ports; the kiosk gets them in a real kiosk.toml.
    let mut demo = Config::demo(data.clone());
    demo.devices.doc_scanner = None;
    let rig = kiosk::demo::SimRig::start(&mut demo).unwrap();
    let serial = |d: &SerialDevice| match d {
        SerialDevice::Serial { path, baud } => (path.clone(), *baud),
        SerialDevice::Simulated => unreachable!(),
    };
    let (reader, reader_baud) = match &demo.devices.idcard {
        IdCardDevice::Serial { path, baud, .. } => (path.clone(), *baud),
        other => panic!("{other:?}"),
    };
    let (printer, printer_baud) = serial(&demo.devices.printer);
    let scanner = match &demo.devices.code_scanner {
        Some(CodeScannerDevice::Serial { path, .. }) => path.clone(),
        other => panic!("{other:?}"),
    };
    std::fs::write(
        dir.path().join("platform.key"),
        kiosk_platform::sim::DEMO_KIOSK_KEY,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("verify.key"),
        kiosk::documents::samples::SAMPLE_SIGNING_KEY,
    )
    .unwrap();
    let config = dir.path().join("kiosk.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{data}\"\n\n[platform]\nbase_url = \"{base}\"\nallow_plain_http = true\nkiosk_id = \"{id}\"\n\
             key_file = \"{dir}/platform.key\"\n\n[devices.idcard]\nkind = \"serial\"\n\
             path = \"{reader}\"\nbaud = {reader_baud}\n\n[devices.printer]\nkind = \"serial\"\n\
             path = \"{printer}\"\nbaud = {printer_baud}\n\n[devices.code_scanner]\n\
             kind = \"serial\"\npath = \"{scanner}\"\nbaud = 9600\n\n[codes]\n\
             verify_base = \"{verify}\"\nverify_key_file = \"{dir}/verify.key\"\n",
            data = data.display(),
            base = demo.platform.base_url,
            id = demo.platform.kiosk_id,
            dir = dir.path().display(),
            reader = reader.display(),
            printer = printer.display(),
            scanner = scanner.display(),
            verify = kiosk::documents::samples::SAMPLE_VERIFY_BASE,
        ),
    )
    .unwrap();
    let checked = kiosk(&["config", "check", config.to_str().unwrap()], None);
    assert!(checked.status.success(), "{}", stderr(&checked));

    // systemd's notify socket, and a runtime folder for cage's Wayland socket.
    let runtime = dir.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    let notify = runtime.join("notify");
    let sock = std::os::unix::net::UnixDatagram::bind(&notify).unwrap();
    std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    if root {
        // As the unit's own user would own them: its folders, its keys, its ports.
        let (uid, gid) = (id_of("-u", "nobody"), id_of("-g", "nobody"));
        for p in [dir.path(), &data, &runtime] {
            chown(p, Some(uid), Some(gid)).unwrap();
        }
        for f in ["platform.key", "verify.key", "kiosk.toml"] {
            chown(dir.path().join(f), Some(uid), Some(gid)).unwrap();
        }
        for port in [&reader, &printer, &scanner] {
            chown(port, Some(uid), Some(gid)).unwrap();
        }
    }

    let kiosk_bin = env!("CARGO_BIN_EXE_kiosk");
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "cage",
        ]);
        c
    } else {
        Command::new("cage")
    };
    let mut cage = crate::ipp::Kill(
        cmd.args(["-d", "--", kiosk_bin, "--fullscreen"])
            .env_remove("KIOSK_DEMO")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("KIOSK_CONFIG", &config)
            .env("NOTIFY_SOCKET", &notify)
            .env("WATCHDOG_USEC", "4000000")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("HOME", dir.path())
            .env("WLR_BACKENDS", "headless")
            .env("WLR_RENDERER", "pixman")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("cage.log")).unwrap())
            .spawn()
            .unwrap(),
    );

    // READY=1, then a watchdog ping (fail-safe only: a debug build starts slowly).
    sock.set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut buf = [0u8; 512];
    let mut said = Vec::new();
    while !said.iter().any(|s: &String| s.contains("WATCHDOG=1")) {
        match sock.recv(&mut buf) {
            Ok(n) => said.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(e) => panic!(
                "no READY and ping from the kiosk ({e}); said {said:?}; cage: {}",
                std::fs::read_to_string(dir.path().join("cage.log")).unwrap_or_default()
            ),
        }
        assert!(cage.0.try_wait().unwrap().is_none(), "cage ended: {said:?}");
    }
    assert!(said[0].starts_with("READY=1"), "{said:?}");

    // The first frame on cage's output: the attract screen's brand-blue header.
    let shot = dir.path().join("frame.png");
    let wayland = std::fs::read_dir(&runtime)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("wayland-") && !n.ends_with(".lock"))
        .expect("cage's Wayland socket");
    let start = Instant::now();
    let png = loop {
        let mut grim = if root {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                "grim",
            ]);
            c
        } else {
            Command::new("grim")
        };
        let ok = grim
            .arg(&shot)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("WAYLAND_DISPLAY", &wayland)
            .status()
            .unwrap()
            .success();
        if ok {
            let png = std::fs::read(&shot).unwrap();
            if header_is_brand_blue(&png) {
                break png;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no attract frame"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(png.len() > 1000);
    drop(cage.0.kill());
    drop(rig);
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Whether the picture's top band (the kiosk's header) is the brand blue #0b4f9c.
fn header_is_brand_blue(png: &[u8]) -> bool {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let Ok(mut reader) = decoder.read_info() else {
        return false;
    };
    let Some(size) = reader.output_buffer_size() else {
        return false;
    };
    let mut buf = vec![0; size];
    let Ok(info) = reader.next_frame(&mut buf) else {
        return false;
    };
    let channels = info.color_type.samples();
    // The header's background, away from any text (as scripts/measure-startup reads it).
    let (x, y) = (info.width as usize / 2, 10usize);
    let i = (y * info.width as usize + x) * channels;
    let px = &buf[i..i + 3];
    (px[0] as i32 - 0x0b).abs() < 8
        && (px[1] as i32 - 0x4f).abs() < 8
        && (px[2] as i32 - 0x9c).abs() < 8
}

#[test]
fn an_upgrade_restarts_the_kiosk_only_between_two_citizens() {
    crate::rig::on_ui_thread(|| {
        use std::cell::Cell;
        use std::rc::Rc;
        use std::time::Duration;
        let rig = crate::rig::Rig::start();
        rig.wait_until_ready();
        let flag = rig.dir.path().join(kiosk::kiosk::RESTART_FLAG);
        let restarts = Rc::new(Cell::new(0));
        let _watch = rig.kiosk.restart_when_idle(flag.clone(), {
            let restarts = restarts.clone();
            move || restarts.set(restarts.get() + 1)
        });

        // A citizen is at the menu when the package is upgraded: nothing happens to them.
        rig.swipe_sample_card();
        assert!(!rig.kiosk.is_idle());
        std::fs::write(&flag, "").unwrap();
        for _ in 0..3 {
            i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(2));
            rig.pump();
        }
        assert_eq!(restarts.get(), 0);
        assert!(flag.exists());

        // They finish: back on the attract screen, the kiosk restarts, once.
        rig.tap("结束办理");
        assert_eq!(rig.page(), crate::rig::Page::Attract);
        assert!(rig.kiosk.is_idle());
        for _ in 0..3 {
            i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(2));
            rig.pump();
        }
        assert_eq!(restarts.get(), 1);
        assert!(!flag.exists());
    });
}

#[test]
fn a_version_that_fails_to_come_up_is_counted_and_reported_in_the_heartbeat() {
    let dir = tempfile::tempdir().unwrap();
    let config = valid_config(dir.path());
    std::fs::write(
        dir.path().join("verify.key"),
        "0123456789abcdef0123456789abcdef\n",
    )
    .unwrap();
    let data = kiosk::config::Config::load(&config).unwrap().data_dir;
    // A version that crashes before its first frame (here: no display, exit 69), twice, as
    // systemd would restart it.
    for _ in 0..2 {
        let out = kiosk(&["--config", config.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    }
    assert_eq!(kiosk::start_record::for_heartbeat(&data).0, 1);
    let out = kiosk(&["--config", config.to_str().unwrap()], None);
    // The third start says in the journal that this version failed before.
    assert!(
        stderr(&out).contains("did not come up the last 2 time(s)"),
        "{}",
        stderr(&out)
    );

    // Rolled back to a version that comes up (a kiosk of its own, with its own store and
    // keys: the record is what matters): it names the one that failed in its heartbeat and,
    // once that is acknowledged, forgets it.
    crate::rig::on_ui_thread(move || {
        use std::time::Duration;
        let folder = std::sync::Arc::new(std::sync::Mutex::new(None));
        let seen = folder.clone();
        let rig = crate::rig::Rig::start_configured(move |c| {
            std::fs::create_dir_all(&c.data_dir).unwrap();
            std::fs::write(
                c.data_dir.join(kiosk::start_record::FILE),
                r#"{"version":"9.9.9","unready_starts":3}"#,
            )
            .unwrap();
            *seen.lock().unwrap() = Some(c.data_dir.clone());
            c.sync.heartbeat_secs = 1;
        });
        let data = folder.lock().unwrap().clone().unwrap();
        rig.wait_until_ready();
        let (addr, _) = rig.sims.platform_restart.as_ref().unwrap();
        let admin = kiosk_platform::client::PlatformClient::new(
            &format!("http://{addr}"),
            kiosk_platform::sim::DEMO_KIOSK_ID,
            kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(5),
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let beat = loop {
            let list = admin.heartbeats().unwrap();
            if let Some(k) = list
                .kiosks
                .into_iter()
                .find(|k| !k.heartbeat.failed_versions.is_empty())
            {
                break k.heartbeat;
            }
            assert!(std::time::Instant::now() < deadline, "no heartbeat");
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(
            beat.failed_versions,
            [kiosk_platform::api::FailedVersion {
                version: "9.9.9".into(),
                starts: 3
            }]
        );
        rig.wait_for("the failed version to be forgotten once reported", |_| {
            kiosk::start_record::for_heartbeat(&data).1.is_empty()
        });
    });
}
