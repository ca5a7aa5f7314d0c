//! The demo rig: simulators standing where real devices and the platform would be. The
//! kiosk itself does not know: it opens the simulators' pseudo-terminals as serial ports and
//! talks HTTP to the simulator on loopback, exactly as it would to the real things.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::app::{EventSink, KioskEvent, RgbaImage};
use crate::config::{Config, IdCardDevice, SerialDevice};
use crate::ui::DemoControls;

/// The font the virtual printer renders receipts with (the UI embeds the same one).
pub static RECEIPT_FONT: &[u8] = include_bytes!("../assets/fonts/wqy-microhei.ttc");

/// Simulators started for whatever the configuration leaves simulated.
pub struct SimRig {
    /// Simulated ID-card reader (shared with the panel's helper threads).
    pub reader: Option<Arc<idcard::sim::SimReader>>,
    /// Virtual receipt printer.
    pub printer: Option<printer::virtual_printer::SimPrinter>,
    /// Built-in platform simulator.
    pub platform: Option<kiosk_platform::sim::SimServer>,
    /// The kiosk's printer thread, once started: "restock" on the panel tells it too.
    pub printer_handle: std::sync::Mutex<Option<crate::devices::printer_manager::PrinterHandle>>,
}

impl SimRig {
    /// Starts the simulators the config asks for and rewrites the config to point at them.
    pub fn start(config: &mut Config) -> anyhow::Result<Self> {
        let mut rig = SimRig {
            reader: None,
            printer: None,
            platform: None,
            printer_handle: std::sync::Mutex::new(None),
        };
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
        if config.platform.base_url.is_empty() {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let sim_config =
                kiosk_platform::sim::SimConfig::demo(config.data_dir.join("platform-sim.sqlite"));
            let server = kiosk_platform::sim::SimServer::start(listener, sim_config)?;
            config.platform.base_url = server.base_url();
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

    /// Folder where printed receipts are kept as PNG.
    pub fn receipt_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("printer")
    }
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
