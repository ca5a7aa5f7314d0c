//! Checks every value of a loaded configuration (range, finiteness, demo-only settings) so
//! that a bad value is refused at start with the key it came from, instead of panicking a
//! thread later (a NaN backoff), doing nothing forever (`batch_size = 0`), flooding the
//! platform (`interval_secs = 0`) or sending the citizens' transactions to a throw-away
//! simulator (an empty `base_url`).

use std::fmt;

use super::{
    CodeScannerDevice, Config, DocScannerDevice, IdCardDevice, PrinterLinkConfig, SerialDevice,
};

/// One wrong value: the key (`sync.batch_size`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Dotted key, e.g. `sync.backoff_cap_secs`.
    pub key: String,
    /// What is wrong, and what is allowed.
    pub problem: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.problem)
    }
}

#[derive(Default)]
struct Problems(Vec<ConfigProblem>);

impl Problems {
    fn add(&mut self, key: &str, problem: impl Into<String>) {
        self.0.push(ConfigProblem {
            key: key.to_owned(),
            problem: problem.into(),
        });
    }

    fn int<T: Into<u64> + Copy>(&mut self, key: &str, value: T, min: u64, max: u64) {
        let v: u64 = value.into();
        if v < min || v > max {
            self.add(key, format!("{v} is out of range {min}..={max}"));
        }
    }

    fn float(&mut self, key: &str, value: f64, min: f64, max: f64) -> bool {
        if !value.is_finite() {
            self.add(key, format!("{value} is not a finite number"));
            false
        } else if value < min || value > max {
            self.add(key, format!("{value} is out of range {min}..={max}"));
            false
        } else {
            true
        }
    }

    fn baud(&mut self, key: &str, baud: u32) {
        self.int(key, baud, 1200, 4_000_000);
    }
}

/// Largest outbox batch the platform takes.
const MAX_BATCH: u64 = kiosk_platform::api::MAX_BATCH_LEN as u64;

impl Config {
    /// Every problem of this configuration, empty when it is sound. Values only: whether the
    /// files it names exist and can be read is [`crate::preflight`]'s.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut p = Problems::default();
        self.check_platform(&mut p);
        p.float(
            "display.diagonal_inch",
            self.display.diagonal_inch,
            7.0,
            120.0,
        );
        p.float(
            "display.night_brightness",
            self.display.night_brightness,
            0.05,
            1.0,
        );
        if let Some(n) = &self.display.night_hours {
            if crate::clock::DailyHours::parse(n).is_none() {
                p.add("display.night_hours", format!("{n:?} is not HH:MM-HH:MM"));
            }
        }
        let s = &self.session;
        p.int("session.idle_secs", s.idle_secs, 10, 3600);
        p.int("session.countdown_secs", s.countdown_secs, 1, 300);
        p.int("session.done_secs", s.done_secs, 1, 300);
        p.int("session.take_card_secs", s.take_card_secs, 5, 600);
        p.int("session.elderly_idle_secs", s.elderly_idle_secs, 10, 3600);
        p.int(
            "session.elderly_countdown_secs",
            s.elderly_countdown_secs,
            1,
            300,
        );
        let v = &self.voice;
        p.int("voice.volume", u64::from(v.volume), 0, 100);
        if v.player.is_empty() {
            p.add(
                "voice.player",
                "names no program (e.g. [\"aplay\", \"-q\", \"-\"])",
            );
        }
        if let Some(q) = &v.quiet_hours {
            if crate::voice::QuietHours::parse(q).is_none() {
                p.add("voice.quiet_hours", format!("{q:?} is not HH:MM-HH:MM"));
            }
        }
        let y = &self.sync;
        p.int("sync.interval_secs", y.interval_secs, 1, 3600);
        p.int("sync.batch_size", y.batch_size as u64, 1, MAX_BATCH);
        p.int("sync.lease_size", y.lease_size, 1, 10_000);
        if y.lease_low_water > y.lease_size {
            p.add(
                "sync.lease_low_water",
                format!(
                    "{} is more than sync.lease_size ({}): the kiosk would lease on every round",
                    y.lease_low_water, y.lease_size
                ),
            );
        }
        let base_ok = p.float("sync.backoff_base_secs", y.backoff_base_secs, 0.01, 3600.0);
        let cap_ok = p.float("sync.backoff_cap_secs", y.backoff_cap_secs, 0.01, 86_400.0);
        if base_ok && cap_ok && y.backoff_cap_secs < y.backoff_base_secs {
            p.add(
                "sync.backoff_cap_secs",
                format!(
                    "{} is less than sync.backoff_base_secs ({})",
                    y.backoff_cap_secs, y.backoff_base_secs
                ),
            );
        }
        p.int("sync.heartbeat_secs", y.heartbeat_secs, 5, 86_400);
        p.int("sync.retention_days", y.retention_days, 0, 3650);
        self.check_devices(&mut p);
        self.check_identify(&mut p);
        p.0
    }

    /// `[services.<name>] identify`: the card always works, and the ID copy takes nothing
    /// else (it copies the card itself).
    fn check_identify(&self, p: &mut Problems) {
        use crate::app::citizen::IdentifiedBy;
        let s = &self.services;
        let sections = [
            ("queue_ticket", &s.queue_ticket),
            ("case_progress", &s.case_progress),
            ("id_copy", &s.id_copy),
            ("appointment", &s.appointment),
            ("certificate", &s.certificate),
            ("personal_documents", &s.personal_documents),
            ("medical_insurance", &s.medical_insurance),
            ("traffic_fine", &s.traffic_fine),
            ("apply", &s.apply),
        ];
        for (name, section) in sections {
            let Some(ways) = &section.identify else {
                continue;
            };
            let key = format!("services.{name}.identify");
            if !ways.contains(&IdentifiedBy::Card) {
                p.add(
                    &key,
                    "must include \"card\": a citizen with the card can always be served",
                );
            } else if name == "id_copy" && ways.len() > 1 {
                p.add(&key, "the ID copy needs the card itself: only [\"card\"]");
            }
        }
    }

    /// HTTPS only, except a platform on this machine when the config says so; pins that
    /// parse; a CA file named by a path (whether it reads is preflight's).
    fn check_transport(&self, url: &str, p: &mut Problems) {
        let pl = &self.platform;
        if url.starts_with("http://") {
            if !pl.allow_plain_http {
                p.add(
                    "platform.base_url",
                    "plain http:// is refused: anyone on the hall's network could read and change \
                     what the kiosk sends; use https:// (a test or a simulator on this machine may \
                     set platform.allow_plain_http = true)",
                );
            } else if !is_loopback_url(url) {
                p.add(
                    "platform.allow_plain_http",
                    "plain http:// is only allowed to a platform on this machine (127.0.0.1, ::1, \
                     localhost); this one is on the network: use https://",
                );
            }
            if !pl.pins.is_empty() {
                p.add("platform.pins", "pins need an https:// platform.base_url");
            }
        }
        for pin in &pl.pins {
            if let Err(why) = pin.parse::<kiosk_platform::client::tls::Pin>() {
                p.add("platform.pins", why);
            }
        }
        if pl
            .ca_file
            .as_ref()
            .is_some_and(|f| f.as_os_str().is_empty())
        {
            p.add(
                "platform.ca_file",
                "empty: the PEM file of the government's CA, or leave it out for the web's roots",
            );
        }
    }

    fn check_platform(&self, p: &mut Problems) {
        let pl = &self.platform;
        p.int("platform.timeout_secs", pl.timeout_secs, 1, 300);
        if self.demo {
            // The demo rig fills in the built-in simulator's address and uses the demo key.
            return;
        }
        let url = pl.base_url.trim();
        if url.is_empty() {
            p.add(
                "platform.base_url",
                "missing or empty: set the platform's address (the built-in simulator is for the demo only)",
            );
        } else if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.contains(char::is_whitespace)
        {
            p.add(
                "platform.base_url",
                "must be an https:// URL without spaces",
            );
        } else {
            self.check_transport(url, p);
        }
        if pl.kiosk_id.trim().is_empty() {
            p.add("platform.kiosk_id", "missing or empty");
        }
        if pl.key.is_some() {
            p.add(
                "platform.key",
                "an inline key is for the demo only: put the key in a file readable by the kiosk's user only and set platform.key_file",
            );
        }
        if pl.key_file.is_none() {
            p.add(
                "platform.key_file",
                "missing: the file holding this kiosk's key",
            );
        }
        if let Some(codes) = &self.codes {
            if codes.verify_key.is_some() {
                p.add(
                    "codes.verify_key",
                    "an inline key is for the demo only: set codes.verify_key_file",
                );
            }
            if codes.verify_key_file.is_none() {
                p.add(
                    "codes.verify_key_file",
                    "missing: the file holding the hall's code key",
                );
            }
            if codes.verify_base.trim().is_empty() {
                p.add("codes.verify_base", "missing or empty");
            }
        }
    }

    /// A build without the `demo` feature has no simulators: a device left `simulated` is a
    /// mistake in the config, named by its key (not a kiosk that cannot start later).
    fn check_simulated(&self, built_with_demo: bool, p: &mut Problems) {
        if built_with_demo {
            return;
        }
        let d = &self.devices;
        let simulated = [
            (
                "devices.idcard",
                matches!(d.idcard, IdCardDevice::Simulated { .. }),
            ),
            (
                "devices.printer",
                d.printer_link.is_none() && matches!(d.printer, SerialDevice::Simulated),
            ),
            (
                "devices.code_scanner",
                matches!(d.code_scanner, Some(CodeScannerDevice::Simulated)),
            ),
            (
                "devices.doc_scanner",
                matches!(d.doc_scanner, Some(DocScannerDevice::Simulated)),
            ),
        ];
        for (key, _) in simulated.into_iter().filter(|(_, s)| *s) {
            p.add(
                key,
                "simulated: this kiosk is built without the demo's simulators; name the real device",
            );
        }
    }

    fn check_devices(&self, p: &mut Problems) {
        self.check_simulated(cfg!(feature = "demo"), p);
        let d = &self.devices;
        p.int("devices.idcard_poll_ms", d.idcard_poll_ms, 20, 2000);
        if let IdCardDevice::Serial { baud, .. } = &d.idcard {
            p.baud("devices.idcard.baud", *baud);
        }
        if let SerialDevice::Serial { baud, .. } = &d.printer {
            p.baud("devices.printer.baud", *baud);
        }
        if let Some(PrinterLinkConfig::Usb { vid, pid }) = &d.printer_link {
            for (key, v) in [
                ("devices.printer_link.vid", vid),
                ("devices.printer_link.pid", pid),
            ] {
                let digits = v.trim_start_matches("0x");
                if digits.len() != 4 || u16::from_str_radix(digits, 16).is_err() {
                    p.add(key, format!("{v:?} is not 4 hex digits"));
                }
            }
        }
        if let Some(a4) = &d.a4_printer {
            p.int(
                "devices.a4_printer.job_timeout_secs",
                a4.job_timeout_secs,
                1,
                3600,
            );
        }
        match &d.code_scanner {
            Some(CodeScannerDevice::Serial { baud, max_len, .. }) => {
                p.baud("devices.code_scanner.baud", *baud);
                if let Some(m) = max_len {
                    p.int("devices.code_scanner.max_len", *m as u64, 1, 65_536);
                }
            }
            Some(CodeScannerDevice::Hid { max_len, .. }) => {
                if let Some(m) = max_len {
                    p.int("devices.code_scanner.max_len", *m as u64, 1, 65_536);
                }
            }
            Some(CodeScannerDevice::Simulated) | None => {}
        }
        if d.code_scanner.is_some() && self.codes.is_none() {
            p.add("codes", "a code scanner needs the [codes] section");
        }
        if let Some(DocScannerDevice::Sane {
            resolution_dpi,
            area_mm,
            timeout_secs,
            ..
        }) = &d.doc_scanner
        {
            p.int(
                "devices.doc_scanner.resolution_dpi",
                *resolution_dpi,
                75,
                1200,
            );
            p.int("devices.doc_scanner.timeout_secs", *timeout_secs, 1, 600);
            if let Some([l, t, w, h]) = area_mm {
                let finite = [l, t, w, h].iter().all(|v| v.is_finite() && **v >= 0.0);
                if !finite || *w <= 0.0 || *h <= 0.0 || *w > 1000.0 || *h > 1000.0 {
                    p.add(
                        "devices.doc_scanner.area_mm",
                        "must be [left, top, width, height] in mm, all finite, width and height above 0",
                    );
                }
            }
        }
    }
}

/// Whether `url`'s host is this machine: `localhost` or a loopback address.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example config with one line replaced (or added under its section).
    fn with(section: &str, line: &str) -> Config {
        let text = include_str!("../../kiosk.example.toml");
        let key = line.split('=').next().unwrap().trim();
        let start = text
            .find(&format!("[{section}]\n"))
            .unwrap_or_else(|| panic!("no [{section}]"));
        let body_start = start + section.len() + 3;
        let end = text[body_start..]
            .find("\n[")
            .map(|i| body_start + i + 1)
            .unwrap_or(text.len());
        let mut lines: Vec<String> = text[body_start..end]
            .lines()
            .filter(|l| {
                let k = l.split('=').next().unwrap_or("").trim();
                k != key
            })
            .map(str::to_owned)
            .collect();
        lines.insert(0, line.to_owned());
        let patched = format!(
            "{}{}\n{}",
            &text[..body_start],
            lines.join("\n"),
            &text[end..]
        );
        Config::parse(&patched).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn the_example_config_is_sound() {
        let cfg = Config::parse(include_str!("../../kiosk.example.toml")).unwrap();
        assert_eq!(cfg.problems(), Vec::new());
        assert_eq!(Config::demo("d".into()).problems(), Vec::new());
    }

    #[test]
    fn a_build_without_the_demo_refuses_simulated_devices_by_key() {
        let mut sims = Config::parse(include_str!("../../kiosk.example.toml")).unwrap();
        sims.devices.idcard = IdCardDevice::Simulated { wlt_library: None };
        let mut p = Problems::default();
        sims.check_simulated(false, &mut p);
        let keys: Vec<&str> = p.0.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["devices.idcard"]);
        assert!(
            p.0[0].to_string().contains("without the demo"),
            "{}",
            p.0[0]
        );
        let mut p = Problems::default();
        sims.check_simulated(true, &mut p);
        assert!(p.0.is_empty());
        // The demo's own config is all simulators: fine in the demo build, refused key by key
        // in the package's.
        let mut p = Problems::default();
        Config::demo("d".into()).check_simulated(false, &mut p);
        assert_eq!(p.0.len(), 4, "{:?}", p.0);
    }

    #[test]
    fn identify_lists_keep_the_card_and_the_copy_takes_only_the_card() {
        let mut cfg = Config::demo("d".into());
        cfg.services.certificate.identify = Some(vec![crate::app::citizen::IdentifiedBy::Eid]);
        cfg.services.id_copy.identify = Some(vec![
            crate::app::citizen::IdentifiedBy::Card,
            crate::app::citizen::IdentifiedBy::Typed,
        ]);
        cfg.services.queue_ticket.identify = Some(vec![crate::app::citizen::IdentifiedBy::Card]);
        let keys: Vec<String> = cfg.problems().into_iter().map(|p| p.key).collect();
        assert_eq!(
            keys,
            ["services.id_copy.identify", "services.certificate.identify"]
        );
        let section = |text: &str| toml::from_str::<crate::config::ServiceSection>(text);
        let parsed = section("identify = [\"card\", \"eid\", \"typed\"]").unwrap();
        assert_eq!(parsed.identify.map(|w| w.len()), Some(3));
        assert!(
            section("identify = [\"face\"]").is_err(),
            "an unknown way is refused"
        );
    }

    #[test]
    fn every_bad_value_is_refused_naming_its_key() {
        let table: &[(&str, &str, &str)] = &[
            ("display", "night_hours = \"22:00\"", "display.night_hours"),
            (
                "display",
                "night_hours = \"25:00-06:00\"",
                "display.night_hours",
            ),
            (
                "display",
                "night_brightness = 0.0",
                "display.night_brightness",
            ),
            (
                "display",
                "night_brightness = 1.5",
                "display.night_brightness",
            ),
            ("sync", "backoff_base_secs = -1.0", "sync.backoff_base_secs"),
            ("sync", "backoff_base_secs = nan", "sync.backoff_base_secs"),
            ("sync", "backoff_cap_secs = inf", "sync.backoff_cap_secs"),
            ("sync", "backoff_cap_secs = -0.5", "sync.backoff_cap_secs"),
            ("sync", "backoff_cap_secs = 0.5", "sync.backoff_cap_secs"),
            ("sync", "batch_size = 0", "sync.batch_size"),
            ("sync", "batch_size = 501", "sync.batch_size"),
            ("sync", "interval_secs = 0", "sync.interval_secs"),
            ("sync", "heartbeat_secs = 0", "sync.heartbeat_secs"),
            ("sync", "lease_size = 0", "sync.lease_size"),
            ("sync", "lease_low_water = 21", "sync.lease_low_water"),
            ("sync", "retention_days = 100000", "sync.retention_days"),
            ("platform", "timeout_secs = 0", "platform.timeout_secs"),
            ("platform", "timeout_secs = 100000", "platform.timeout_secs"),
            ("platform", "base_url = \"\"", "platform.base_url"),
            ("platform", "base_url = \"   \"", "platform.base_url"),
            (
                "platform",
                "base_url = \"platform.example\"",
                "platform.base_url",
            ),
            ("platform", "kiosk_id = \"\"", "platform.kiosk_id"),
            (
                "platform",
                "base_url = \"http://platform.example.gov.cn\"",
                "platform.base_url",
            ),
            ("platform", "pins = [\"sha256/abc\"]", "platform.pins"),
            (
                "platform",
                "pins = [\"m6AWzDC6VhFrpl7sNQetSArL6rEuJLzNLxb1Hd+9w24=\"]",
                "platform.pins",
            ),
            ("platform", "ca_file = \"\"", "platform.ca_file"),
            ("platform", "key = \"inline-secret\"", "platform.key"),
            ("session", "idle_secs = 0", "session.idle_secs"),
            ("session", "countdown_secs = 0", "session.countdown_secs"),
            ("session", "done_secs = 0", "session.done_secs"),
            ("devices.idcard", "baud = 0", "devices.idcard.baud"),
            (
                "devices.a4_printer",
                "job_timeout_secs = 0",
                "devices.a4_printer.job_timeout_secs",
            ),
            (
                "devices.doc_scanner",
                "resolution_dpi = 0",
                "devices.doc_scanner.resolution_dpi",
            ),
            (
                "devices.doc_scanner",
                "timeout_secs = 0",
                "devices.doc_scanner.timeout_secs",
            ),
            (
                "devices.doc_scanner",
                "area_mm = [0.0, 0.0, nan, 10.0]",
                "devices.doc_scanner.area_mm",
            ),
            (
                "devices.code_scanner",
                "baud = 0",
                "devices.code_scanner.baud",
            ),
            (
                "devices.code_scanner",
                "max_len = 0",
                "devices.code_scanner.max_len",
            ),
            ("codes", "verify_key = \"inline\"", "codes.verify_key"),
        ];
        let mut wrong = Vec::new();
        for (section, line, key) in table {
            let problems = with(section, line).problems();
            if !problems.iter().any(|p| p.key == *key) {
                wrong.push(format!(
                    "[{section}] {line}: expected a problem with {key}, got {problems:?}"
                ));
            }
            // The message names the key, so the operator knows what to fix.
            if let Some(p) = problems.first() {
                assert!(p.to_string().starts_with(&p.key));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn a_missing_key_file_and_base_url_are_errors_outside_the_demo_only() {
        let mut cfg = with("platform", "base_url = \"\"");
        cfg.platform.key_file = None;
        let keys: Vec<String> = cfg.problems().into_iter().map(|p| p.key).collect();
        assert!(keys.contains(&"platform.base_url".to_owned()), "{keys:?}");
        assert!(keys.contains(&"platform.key_file".to_owned()), "{keys:?}");
        let demo = Config::demo("d".into());
        assert!(demo.platform.base_url.is_empty());
        assert!(demo.problems().is_empty());
    }

    #[test]
    fn plain_http_needs_the_config_to_say_so_and_a_platform_on_this_machine() {
        let keys =
            |cfg: &Config| -> Vec<String> { cfg.problems().into_iter().map(|p| p.key).collect() };
        let mut cfg = with("platform", "base_url = \"http://127.0.0.1:8800\"");
        let problems = cfg.problems();
        assert_eq!(keys(&cfg), ["platform.base_url"]);
        assert!(
            problems[0].problem.contains("allow_plain_http"),
            "says the way out: {}",
            problems[0]
        );
        cfg.platform.allow_plain_http = true;
        assert_eq!(keys(&cfg), Vec::<String>::new());
        for local in [
            "http://localhost:9",
            "http://[::1]:8800/api",
            "http://127.0.0.2",
        ] {
            cfg.platform.base_url = local.into();
            assert_eq!(keys(&cfg), Vec::<String>::new(), "{local}");
        }
        for remote in [
            "http://10.0.0.5:8800",
            "http://platform.example.gov.cn",
            "http://localhost.example.com",
            "http://127.0.0.1@evil.example",
        ] {
            cfg.platform.base_url = remote.into();
            assert_eq!(keys(&cfg), ["platform.allow_plain_http"], "{remote}");
        }
        cfg.platform.base_url = "http://127.0.0.1:8800".into();
        cfg.platform.pins = vec!["sha256/m6AWzDC6VhFrpl7sNQetSArL6rEuJLzNLxb1Hd+9w24=".into()];
        assert_eq!(keys(&cfg), ["platform.pins"]);
        cfg.platform.base_url = "https://platform.example.gov.cn".into();
        cfg.platform.allow_plain_http = false;
        assert_eq!(keys(&cfg), Vec::<String>::new());
    }

    #[test]
    fn loading_refuses_a_bad_value_with_the_file_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.toml");
        let text =
            include_str!("../../kiosk.example.toml").replace("batch_size = 100", "batch_size = 0");
        std::fs::write(&path, text).unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("kiosk.toml"), "{err}");
        assert!(err.contains("sync.batch_size"), "{err}");
    }
}
