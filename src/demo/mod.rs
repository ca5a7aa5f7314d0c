//! The demo rig: simulators standing where real devices and the platform would be. The
//! kiosk itself does not know: it opens the simulators' pseudo-terminals as serial ports and
//! talks HTTP to the simulator on loopback, exactly as it would to the real things.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod glass;

use crate::app::{EventSink, KioskEvent, RgbaImage};
use crate::config::{
    CodeScannerDevice, CodesConfig, Config, DevicesConfig, DocScannerDevice, IdCardDevice,
    PlatformConfig, SerialDevice, SessionConfig, StaffConfig, StoreConfig, SyncConfig,
};
use crate::ui::{DemoCode, DemoControls};
use glass::{Glass, SimGlass};

/// The font the virtual printer renders receipts with; it lives in [`crate::assets`] (the
/// product uses it too) and is re-exported here for the demo's callers.
pub use crate::assets::RECEIPT_FONT;

/// The demo's configuration lives with the demo, so that `config` stays plain data and needs
/// neither the sample documents nor the simulator.
impl Config {
    /// The demo: simulated devices, built-in platform, `./kiosk-data`.
    pub fn demo(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            platform: PlatformConfig {
                base_url: String::new(),
                kiosk_id: kiosk_platform::sim::DEMO_KIOSK_ID.to_string(),
                key_file: None,
                key: Some(kiosk_platform::sim::DEMO_KIOSK_KEY.to_string()),
                timeout_secs: 5,
                // The built-in simulator on a loopback port speaks plain http.
                allow_plain_http: true,
                ca_file: None,
                pins: Vec::new(),
            },
            devices: DevicesConfig {
                idcard: IdCardDevice::Simulated { wlt_library: None },
                idcard_poll_ms: 200,
                printer: SerialDevice::Simulated,
                printer_link: None,
                a4_printer: None,
                code_scanner: Some(CodeScannerDevice::Simulated),
                doc_scanner: Some(DocScannerDevice::Simulated),
            },
            session: SessionConfig::default(),
            sync: SyncConfig::default(),
            store: StoreConfig::default(),
            staff: demo_staff_config(),
            voice: crate::config::VoiceConfig::default(),
            display: crate::config::DisplayConfig::default(),
            codes: Some(CodesConfig {
                verify_base: crate::documents::samples::SAMPLE_VERIFY_BASE.to_owned(),
                verify_key_file: None,
                verify_key: Some(
                    String::from_utf8_lossy(crate::documents::samples::SAMPLE_SIGNING_KEY)
                        .into_owned(),
                ),
            }),
            services: Default::default(),
            demo: true,
            config_dir: None,
            config_file: None,
        }
    }
}

/// Simulators started for whatever the configuration leaves simulated.
pub struct SimRig {
    /// Simulated ID-card reader (shared with the panel's helper threads).
    pub reader: Option<Arc<idcard::sim::SimReader>>,
    /// Virtual receipt printer.
    pub printer: Option<printer::virtual_printer::SimPrinter>,
    /// Built-in platform simulator.
    pub platform: Option<kiosk_platform::sim::SimServer>,
    /// Where the built-in platform simulator listens and what it was started with: enough
    /// to bring it back on the same address with the same database after
    /// `platform.take().stop()` (the end-to-end tests take the platform down and up).
    pub platform_restart: Option<(std::net::SocketAddr, kiosk_platform::sim::SimConfig)>,
    /// The kiosk's printer thread, once started: "restock" on the panel tells it too.
    pub printer_handle: std::sync::Mutex<Option<crate::devices::printer_manager::PrinterHandle>>,
    /// Simulated QR/barcode scanner on a pseudo-terminal.
    pub code_scanner: Option<std::sync::Arc<scanner::sim::SimScanner>>,
    /// What lies on the simulated document scanner's glass.
    pub glass: Option<Arc<std::sync::Mutex<Glass>>>,
    sim_glass: std::sync::Mutex<Option<SimGlass>>,
}

impl SimRig {
    /// A client for the built-in platform simulator's `/control/*` knobs.
    fn sim_control(&self) -> Option<kiosk_platform::client::PlatformClient> {
        let (addr, _) = self.platform_restart.as_ref()?;
        Some(kiosk_platform::client::PlatformClient::new(
            &format!("http://{addr}"),
            kiosk_platform::sim::DEMO_KIOSK_ID,
            kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
            std::time::Duration::from_secs(5),
        ))
    }

    /// Starts the simulators the config asks for and rewrites the config to point at them.
    pub fn start(config: &mut Config) -> anyhow::Result<Self> {
        let mut rig = SimRig {
            reader: None,
            printer: None,
            platform: None,
            platform_restart: None,
            printer_handle: std::sync::Mutex::new(None),
            code_scanner: None,
            glass: None,
            sim_glass: std::sync::Mutex::new(None),
        };
        if config.devices.code_scanner == Some(CodeScannerDevice::Simulated) {
            let sim = scanner::sim::SimScanner::spawn()?;
            config.devices.code_scanner = Some(CodeScannerDevice::Serial {
                path: sim.port_path(),
                baud: 9600,
                prefix: None,
                suffix: None,
                max_len: None,
                encoding: None,
            });
            rig.code_scanner = Some(std::sync::Arc::new(sim));
        }
        if config.devices.doc_scanner == Some(DocScannerDevice::Simulated) {
            let g = SimGlass::new(RECEIPT_FONT);
            rig.glass = Some(g.glass.clone());
            *rig.sim_glass.lock().unwrap_or_else(|p| p.into_inner()) = Some(g);
        }
        if let IdCardDevice::Simulated { wlt_library } = &config.devices.idcard {
            let wlt_library = wlt_library.clone();
            let reader = idcard::sim::SimReader::spawn()?;
            config.devices.idcard = IdCardDevice::Serial {
                path: reader.port_path(),
                baud: 115_200,
                wlt_library,
            };
            rig.reader = Some(Arc::new(reader));
        }
        if matches!(config.devices.printer, SerialDevice::Simulated) {
            let out = config.data_dir.join("printer");
            std::fs::create_dir_all(&out)?;
            let printer = printer::virtual_printer::SimPrinter::spawn(RECEIPT_FONT, Some(out))?;
            config.devices.printer = SerialDevice::Serial {
                path: printer.port_path(),
                baud: 115_200,
            };
            rig.printer = Some(printer);
        }
        // The demo only: a real config with an empty address is refused at load, so a
        // throw-away simulator never acknowledges a citizen's transactions.
        if config.demo && config.platform.base_url.is_empty() {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let sim_config =
                kiosk_platform::sim::SimConfig::demo(config.data_dir.join("platform-sim.sqlite"));
            let server = kiosk_platform::sim::SimServer::start(listener, sim_config.clone())?;
            config.platform.base_url = server.base_url();
            rig.platform_restart = Some((server.addr(), sim_config));
            tracing::info!(url = %config.platform.base_url, "built-in platform simulator");
            rig.platform = Some(server);
        }
        Ok(rig)
    }

    /// Sends every receipt the virtual printer cuts to the UI (the demo panel shows it).
    pub fn forward_receipts(&self, sink: Arc<dyn EventSink>) {
        if let Some(p) = &self.printer {
            p.on_receipt(Box::new(move |r| {
                let img = &r.image;
                sink.send(KioskEvent::ReceiptPrinted(RgbaImage {
                    width: img.width(),
                    height: img.height(),
                    pixels: img.pixels().to_vec(),
                }));
            }));
        }
    }

    /// Shows every device change on the operator panel (`ID-card reader: ready`), from the
    /// kiosk's health board: the panel's line is text for a person, made from typed states
    /// here; nothing parses it back.
    pub fn forward_device_states(
        &self,
        health: &crate::devices::health::HealthBoard,
        sink: Arc<dyn EventSink>,
    ) {
        health.on_change(move |device, state| {
            sink.send(KioskEvent::OperatorStatus(operator_line(device, state)))
        });
    }

    /// The simulated document scanner and A4 printer, for the kiosk to own (once).
    pub fn take_extras(&self, config: &Config) -> crate::kiosk::KioskExtras {
        let glass = self
            .sim_glass
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        crate::kiosk::KioskExtras {
            doc_source: glass
                .map(|g| Box::new(g) as Box<dyn crate::devices::doc_scanner::DocumentSource>),
            a4_folder: (config.demo && config.devices.a4_printer.is_none())
                .then(|| Self::a4_dir(&config.data_dir)),
        }
    }

    /// Folder where the demo's A4 printer puts its pages (PDF).
    pub fn a4_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("a4")
    }

    /// Folder where printed receipts are kept as PNG.
    pub fn receipt_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("printer")
    }
}

/// The operator panel's line for a device change.
fn operator_line(
    device: crate::devices::health::DeviceId,
    state: &crate::devices::health::DeviceState,
) -> String {
    use crate::devices::health::DeviceId;
    let name = match device {
        DeviceId::IdCard => "ID-card reader",
        DeviceId::Printer => "Receipt printer",
        DeviceId::CodeScanner => "Code scanner",
        DeviceId::DocScanner => "Document scanner",
        DeviceId::A4Printer => "A4 printer",
        DeviceId::Storage => "Storage",
    };
    format!("{name}: {state}")
}

impl DemoControls for SimRig {
    fn card_names(&self) -> Vec<String> {
        idcard::sim::sample_cards()
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    fn place_card(&self, index: usize) {
        let (Some(reader), Some(card)) = (
            self.reader.clone(),
            idcard::sim::sample_cards().into_iter().nth(index),
        ) else {
            return;
        };
        // Like a hand swapping cards: the previous card leaves the field first, long enough
        // for the reader to notice, then the new one arrives. Off the UI thread.
        std::thread::spawn(move || {
            reader.remove_card();
            std::thread::sleep(std::time::Duration::from_millis(600));
            reader.place_card(card);
        });
    }

    fn remove_card(&self) {
        if let Some(reader) = &self.reader {
            reader.remove_card();
        }
    }

    fn scan_code(&self, which: DemoCode) {
        let Some(sim) = &self.code_scanner else {
            return;
        };
        use crate::documents::samples::{SAMPLE_CASE, SAMPLE_SIGNING_KEY, SAMPLE_VERIFY_BASE};
        let day = crate::clock::service_day();
        let payload = match which {
            DemoCode::Receipt => crate::documents::verification::verification_url(
                SAMPLE_VERIFY_BASE,
                SAMPLE_CASE,
                day,
                SAMPLE_SIGNING_KEY,
            ),
            DemoCode::Forged => crate::documents::verification::verification_url(
                SAMPLE_VERIFY_BASE,
                "SB-20261124-000043",
                day,
                b"not-the-hall-key",
            ),
            DemoCode::Foreign => "https://shop.example.com/item?id=8848".to_owned(),
        };
        if let Err(e) = sim.scan(&payload) {
            tracing::warn!("simulated scanner: {e}");
        }
    }

    fn cycle_glass(&self) -> String {
        let Some(glass) = &self.glass else {
            return String::new();
        };
        let mut g = glass.lock().unwrap_or_else(|p| p.into_inner());
        *g = match *g {
            Glass::Card => Glass::Page,
            Glass::Page => Glass::Empty,
            Glass::Empty => Glass::LidOpen,
            Glass::LidOpen | Glass::Unplugged => Glass::Card,
        };
        format!("{:?}", *g)
    }

    fn show_eid_code(&self, index: usize) {
        let (Some(sim), Some(client)) = (self.code_scanner.clone(), self.sim_control()) else {
            return;
        };
        std::thread::spawn(move || match client.sim_issue_eid(index) {
            Ok(payload) => {
                if let Err(e) = sim.scan(&payload) {
                    tracing::warn!("simulated scanner: {e}");
                }
            }
            Err(e) => tracing::warn!("simulated e-ID: {e}"),
        });
    }

    fn last_sms(&self, done: Box<dyn FnOnce(String) + Send>) {
        let Some(client) = self.sim_control() else {
            return;
        };
        std::thread::spawn(move || {
            let line = match client.sim_sms(None) {
                Ok(log) => match log.messages.last() {
                    Some(m) => {
                        format!("{}: {}", kiosk_platform::api::mask_phone(&m.number), m.text)
                    }
                    None => "—".to_owned(),
                },
                Err(e) => format!("{e}"),
            };
            done(line);
        });
    }

    fn settle_payment(&self, outcome: i32) {
        use kiosk_platform::api::traffic_fine::SimOutcome;
        let Some((addr, _)) = self.platform_restart.clone() else {
            return;
        };
        let outcome = match outcome {
            0 => SimOutcome::Pay,
            1 => SimOutcome::Fail,
            _ => SimOutcome::Expire,
        };
        // The simulator's knob is unsigned; off the UI thread, as a phone would be.
        std::thread::spawn(move || {
            let client = kiosk_platform::client::PlatformClient::new(
                &format!("http://{addr}"),
                kiosk_platform::sim::DEMO_KIOSK_ID,
                kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
                std::time::Duration::from_secs(5),
            );
            if let Err(e) = client.settle_sim_payment(None, outcome) {
                tracing::warn!("simulated phone payment: {e}");
            }
        });
    }

    fn set_paper_out(&self, out: bool) {
        if let Some(p) = &self.printer {
            p.set_paper_out(out);
        }
        if !out {
            // A restock: the printer thread resets its paper meter and reprints a held job.
            if let Some(handle) = self.printer_handle.lock().ok().and_then(|h| h.clone()) {
                handle.restock();
            }
        }
    }
}

/// The demo's staff PIN: badge 1001, PIN 246810 (docs/operations.md).
pub const DEMO_STAFF_PIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$TI8HL8+A9pW++sSdXTv0CA$2un1Z8GT8gxDaoQhnZa+ds/gKHZkYJ8MvOyBXlWZ/p4";
/// The demo's technician PIN: badge 9001, PIN 135790.
pub const DEMO_TECHNICIAN_PIN_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$vUVxLyM8zFVAfM8qoXifWA$ifz1CqWIVkScodFCRIklk+S01DfkqrkE57KGOnvEcpg";

/// The demo's `[staff]`: a hall staff badge (1001, PIN 246810) and a technician badge (9001,
/// PIN 135790), as argon2id hashes made with `kiosk staff hash-pin`.
pub fn demo_staff_config() -> StaffConfig {
    let badge = |badge: &str, role: &str, hash: &str| crate::config::StaffBadge {
        badge: badge.to_owned(),
        role: role.to_owned(),
        pin_hash: hash.to_owned(),
    };
    StaffConfig {
        pin_hash: None,
        badges: vec![
            badge("1001", "staff", DEMO_STAFF_PIN_HASH),
            badge("9001", "technician", DEMO_TECHNICIAN_PIN_HASH),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::RecordingSink;
    use crate::devices::health::{DeviceId, DeviceState, HealthBoard};

    #[test]
    fn the_operator_panel_hears_device_changes_as_lines() {
        let board = HealthBoard::new();
        let reader = board.cell(DeviceId::IdCard);
        reader.set(DeviceState::Ok);
        let sink = Arc::new(RecordingSink::default());
        // No simulator is needed for this.
        let rig = SimRig {
            reader: None,
            printer: None,
            platform: None,
            printer_handle: std::sync::Mutex::new(None),
            code_scanner: None,
            glass: None,
            sim_glass: std::sync::Mutex::new(None),
            platform_restart: None,
        };
        rig.forward_device_states(&board, sink.clone());
        reader.set(DeviceState::fault("cannot open /dev/ttyS9"));
        let lines: Vec<String> = sink
            .0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                KioskEvent::OperatorStatus(l) => Some(l.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            lines,
            [
                "ID-card reader: ready",
                "ID-card reader: FAULT: cannot open /dev/ttyS9"
            ]
        );
    }

    #[test]
    fn the_built_in_platform_starts_for_the_demo_only() {
        let dir = tempfile::tempdir().unwrap();
        // A real config (devices on ports, not simulated) whose base_url is empty.
        let mut config = Config::demo(dir.path().join("data"));
        config.demo = false;
        config.devices.idcard = IdCardDevice::Serial {
            path: "/dev/null".into(),
            baud: 115_200,
            wlt_library: None,
        };
        config.devices.printer = SerialDevice::Serial {
            path: "/dev/null".into(),
            baud: 115_200,
        };
        config.devices.code_scanner = None;
        config.devices.doc_scanner = None;
        let rig = SimRig::start(&mut config).unwrap();
        assert!(
            rig.platform.is_none(),
            "no throw-away platform for a real config"
        );
        assert!(config.platform.base_url.is_empty());
        // The demo gets one.
        let mut demo = Config::demo(dir.path().join("demo"));
        demo.devices = config.devices.clone();
        std::fs::create_dir_all(&demo.data_dir).unwrap();
        let rig = SimRig::start(&mut demo).unwrap();
        assert!(rig.platform.is_some());
        assert!(demo.platform.base_url.starts_with("http://127.0.0.1:"));
    }
}
