//! The ID-card reader thread: polls the reader, turns a card into a session start, and keeps
//! the reader's health for staff: a reader that disappears (cable pulled, USB gone, SAM
//! failing) is a device fault, reopened with backoff until it answers again, without a
//! restart of the app.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::health::{DeviceId, DeviceState, HealthBoard, HealthCell};
use crate::app::{Citizen, EventSink, KioskEvent, Notice, RgbaImage};
use crate::config::IdCardDevice;

/// Timeouts in a row after which the port is closed and reopened (a USB reader that reset
/// itself needs a new handle; a serial one loses nothing by it).
const TIMEOUTS_BEFORE_REOPEN: u32 = 3;

/// Where the reader is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderPort {
    /// A serial port (or the simulator's pseudo-terminal).
    Serial {
        /// Port path.
        path: PathBuf,
        /// Baud rate.
        baud: u32,
    },
    /// USB bulk endpoints.
    Usb(idcard::usb::UsbConfig),
}

impl ReaderPort {
    /// The port a configured reader is on; a simulated reader must have been given its pty
    /// by the demo rig first.
    pub fn from_config(device: &IdCardDevice) -> anyhow::Result<ReaderPort> {
        match device {
            IdCardDevice::Serial { path, baud, .. } => Ok(ReaderPort::Serial {
                path: path.clone(),
                baud: *baud,
            }),
            IdCardDevice::Usb {
                vid,
                pid,
                out_endpoint,
                in_endpoint,
                ..
            } => Ok(ReaderPort::Usb(idcard::usb::UsbConfig {
                vid: *vid,
                pid: *pid,
                out_endpoint: *out_endpoint,
                in_endpoint: *in_endpoint,
            })),
            IdCardDevice::Simulated { .. } => anyhow::bail!(
                "ID-card reader: simulated device has no port yet (start the SimRig first)"
            ),
        }
    }
}

impl std::fmt::Display for ReaderPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReaderPort::Serial { path, baud } => write!(f, "{} at {baud} baud", path.display()),
            ReaderPort::Usb(c) => write!(f, "USB {:04x}:{:04x}", c.vid, c.pid),
        }
    }
}

/// A byte stream to a reader, whichever transport it is.
pub trait ReaderTransport: Read + Write + Send {}
impl<T: Read + Write + Send> ReaderTransport for T {}

/// The driver on a boxed transport, so serial and USB share the polling loop.
pub type AnyReader = idcard::IdCardReader<Box<dyn ReaderTransport>>;

/// Opens the reader on `port`.
pub fn open_reader(port: &ReaderPort) -> Result<AnyReader, idcard::Error> {
    open_reader_logged(port, None)
}

/// Opens the reader on `port`, its exchanges recorded (masked) on `log` when given.
pub fn open_reader_logged(
    port: &ReaderPort,
    log: Option<&crate::diag::protocol_log::ProtocolLog>,
) -> Result<AnyReader, idcard::Error> {
    let transport: Box<dyn ReaderTransport> = match port {
        ReaderPort::Serial { path, baud } => Box::new(idcard::open_serial(path, *baud)?.release()),
        ReaderPort::Usb(config) => open_usb(config)?,
    };
    let transport: Box<dyn ReaderTransport> = match log {
        Some(log) => Box::new(crate::diag::protocol_log::TappedPort::new(
            transport,
            log.clone(),
        )),
        None => transport,
    };
    Ok(idcard::IdCardReader::new(transport))
}

fn open_usb(config: &idcard::usb::UsbConfig) -> Result<Box<dyn ReaderTransport>, idcard::Error> {
    Ok(Box::new(
        idcard::usb::open_usb(config, idcard::DEFAULT_TIMEOUT)?.release(),
    ))
}

/// Whether the vendor photo library could be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoSupport {
    /// None configured: cards are read without a decoded photo (the UI shows a silhouette).
    NotConfigured,
    /// Loaded.
    Ready(PathBuf),
    /// Configured but unusable; cards are still read, without a decoded photo.
    Unavailable(String),
}

/// The running reader thread; stops on drop.
pub struct IdCardManager {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    life: crate::worker::Life,
    health: Arc<HealthCell>,
    photo: PhotoSupport,
    reset: super::reset::ResetSignal,
}

/// What a read card means for the session. The photo is decoded with the vendor library
/// when there is one; without it (or when it fails) the session goes on without a photo.
pub fn card_event(
    card: &idcard::IdCard,
    today: chrono::NaiveDate,
    decoder: Option<&idcard::photo::WltDecoder>,
) -> KioskEvent {
    if card.is_expired(today) {
        return KioskEvent::CardRefused(Notice::CardExpired);
    }
    let (bmp, error) = idcard::photo::decode_optional(decoder, card.photo.as_deref());
    if let Some(e) = error {
        tracing::warn!(device = "idcard", "photo not decoded: {e}");
    }
    KioskEvent::CardRead(Citizen {
        name: card.name.clone(),
        masked_id: card.masked_id(),
        photo: bmp.as_deref().and_then(photo_image),
        // The platform keys a holder's cases by a keyed hash of the number; the number
        // itself goes nowhere.
        case_holder: Some(kiosk_platform::api::holder_hash(&card.id_number)),
        by: crate::app::citizen::IdentifiedBy::Card,
        card: Some(Box::new(crate::app::citizen::CardDetails {
            sex: card.sex.to_string(),
            nation: card.nation.clone(),
            birth: card.birth,
            address: card.address.clone(),
            id_number: card.id_number.clone(),
        })),
    })
}

/// The vendor library's BMP as an image for the screen (decoded by the driver, next to the
/// WLT decoder that made it).
fn photo_image(bmp: &[u8]) -> Option<RgbaImage> {
    idcard::photo::bmp_to_rgba(bmp).map(|p| RgbaImage {
        width: p.width,
        height: p.height,
        pixels: p.pixels,
    })
}

impl IdCardManager {
    /// Whether its thread still runs (the service manager's watchdog asks).
    pub fn life(&self) -> crate::worker::Life {
        self.life.clone()
    }
    /// Starts polling the reader a configuration describes; its state goes on `health`.
    pub fn start(
        device: &IdCardDevice,
        poll: Duration,
        sink: Arc<dyn EventSink>,
        health: &Arc<HealthBoard>,
    ) -> anyhow::Result<Self> {
        let port = ReaderPort::from_config(device)?;
        Ok(Self::spawn_port(
            port,
            poll,
            device.wlt_library().map(PathBuf::from),
            sink,
            health,
        ))
    }

    /// Starts polling the reader on `port` every `poll` (`[devices] idcard_poll_ms`);
    /// `wlt_library` is the vendor's photo decoder.
    /// The reader's state (no personal data in it) goes on `health`, which staff and the
    /// heartbeat read.
    pub fn spawn_port(
        port: ReaderPort,
        poll: Duration,
        wlt_library: Option<PathBuf>,
        sink: Arc<dyn EventSink>,
        health: &Arc<HealthBoard>,
    ) -> Self {
        let (photo, decoder) = match wlt_library {
            None => (PhotoSupport::NotConfigured, None),
            Some(path) => match idcard::photo::WltDecoder::load(&path) {
                Ok(decoder) => (PhotoSupport::Ready(path), Some(decoder)),
                Err(e) => {
                    tracing::warn!(device = "idcard", "photos will not be decoded: {e}");
                    (PhotoSupport::Unavailable(e.to_string()), None)
                }
            },
        };
        let stop = Arc::new(AtomicBool::new(false));
        let reset = super::reset::ResetSignal::default();
        let log = health.protocol_log(DeviceId::IdCard);
        let health = Arc::new(health.cell(DeviceId::IdCard));
        let (life, guard) = crate::worker::Life::start();
        let thread = std::thread::Builder::new()
            .name("idcard".into())
            .spawn({
                let stop = stop.clone();
                let health = health.clone();
                let reset = reset.clone();
                move || {
                    let _life = guard;
                    run(
                        &Polling { port, every: poll },
                        &*sink,
                        &stop,
                        &reset,
                        &health,
                        decoder.as_ref(),
                        &log,
                    )
                }
            })
            .expect("spawn idcard thread");
        Self {
            stop,
            thread: Some(thread),
            life,
            health,
            photo,
            reset,
        }
    }

    /// Staff's reset: the thread closes the reader's port and opens it again at once (also
    /// when it is waiting out its reconnect delay after an unplugged cable).
    pub fn reset_order(&self) -> super::reset::ResetOrder {
        self.reset.order()
    }

    /// The reader's state now: unknown while the port is first opened.
    pub fn health(&self) -> DeviceState {
        self.health.get()
    }

    /// Whether photos can be decoded.
    pub fn photo_support(&self) -> &PhotoSupport {
        &self.photo
    }
}

impl Drop for IdCardManager {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Records a fault; logs it only when it is new, so a dead reader does not flood the log.
fn set_fault(health: &HealthCell, text: String) {
    let new = DeviceState::fault(&text);
    if health.set(new).is_some() {
        tracing::error!(device = "idcard", "reader fault: {text}");
    }
}

fn set_ready(health: &HealthCell) {
    if let Some(before) = health.set(DeviceState::Ok) {
        if before.is_fault() {
            tracing::info!(device = "idcard", "reader recovered");
        }
    }
}

/// Which reader the thread polls, and how often.
struct Polling {
    port: ReaderPort,
    every: Duration,
}

fn run(
    polling: &Polling,
    sink: &dyn EventSink,
    stop: &AtomicBool,
    reset: &super::reset::ResetSignal,
    health: &HealthCell,
    decoder: Option<&idcard::photo::WltDecoder>,
    log: &crate::diag::protocol_log::ProtocolLog,
) {
    let (port, poll) = (&polling.port, polling.every);
    let mut failures = 0u32;
    while !stop.load(Ordering::SeqCst) {
        if reset.take() {
            tracing::info!(device = "idcard", "reader reset by staff: reopening {port}");
            failures = 0;
        }
        let reader = match open_reader_logged(port, Some(log)) {
            Ok(mut r) => {
                // The SAM's serial number, for technicians (asked once per open; a reader
                // that does not answer it still reads cards).
                match r.read_sam_id() {
                    Ok(id) => health.set_identity("SAM id", id.to_string()),
                    Err(e) => tracing::warn!(device = "idcard", "the SAM id did not read: {e}"),
                }
                r
            }
            Err(e) => {
                set_fault(health, format!("cannot open {port}: {e}"));
                failures += 1;
                super::reset::sleep_unless_stopped_or_reset(
                    super::reconnect_delay(failures),
                    stop,
                    reset,
                );
                continue;
            }
        };
        if failures > 0 {
            tracing::info!(
                device = "idcard",
                "reader on {port} opened after {failures} failed attempts"
            );
        }
        failures = 0;
        poll_until_lost(
            idcard::CardPoller::new(reader),
            poll,
            sink,
            stop,
            reset,
            health,
            decoder,
        );
        if !stop.load(Ordering::SeqCst) {
            super::reset::sleep_unless_stopped_or_reset(super::reconnect_delay(0), stop, reset);
        }
    }
}

/// Polls until stopped or until the reader is lost (then the caller reopens it).
fn poll_until_lost(
    mut poller: idcard::CardPoller<Box<dyn ReaderTransport>>,
    poll: Duration,
    sink: &dyn EventSink,
    stop: &AtomicBool,
    reset: &super::reset::ResetSignal,
    health: &HealthCell,
    decoder: Option<&idcard::photo::WltDecoder>,
) {
    // A card that cannot be read fails on every poll until it is taken away: tell the
    // citizen and the log once, not five times a second.
    let mut card_failing = false;
    let mut timeouts = 0u32;
    // "Take your ID card" waits for the reader's "no card" after a card was in the field.
    let mut card_in_field = false;
    // A reset closes the port here (the poller is dropped) and the caller opens it again.
    while !stop.load(Ordering::SeqCst) && !reset.pending() {
        let result = poller.poll();
        match &result {
            Err(idcard::Error::Timeout) => timeouts += 1,
            _ => timeouts = 0,
        }
        if card_in_field && !poller.card_in_field() {
            sink.send(KioskEvent::CardGone);
        }
        card_in_field = poller.card_in_field();
        match result {
            Ok(found) => {
                set_ready(health);
                card_failing = false;
                if let Some(card) = found {
                    tracing::info!(device = "idcard", "card read");
                    sink.send(card_event(&card, crate::clock::service_day(), decoder));
                }
            }
            Err(e @ idcard::Error::Io(_)) => {
                // Cable pulled or port gone: reopen with backoff.
                set_fault(health, format!("reader lost: {e}"));
                return;
            }
            Err(e) if e.is_device_fault() => {
                // Silence or the SAM failing: the reader's problem, not the citizen's card.
                set_fault(health, e.to_string());
                if timeouts >= TIMEOUTS_BEFORE_REOPEN {
                    return;
                }
            }
            Err(e) => {
                // The reader works; the card in front of it could not be read. The citizen
                // places it again; technicians see the cause in the log.
                set_ready(health);
                if !std::mem::replace(&mut card_failing, true) {
                    tracing::warn!(device = "idcard", "read failed: {e}");
                    sink.send(KioskEvent::CardRefused(Notice::CardUnreadable));
                }
            }
        }
        super::sleep_unless_stopped(poll, stop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_card_starts_a_session_with_the_masked_number_only() {
        let card = idcard::sim::sample_cards().remove(0);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        match card_event(&card, today, None) {
            KioskEvent::CardRead(c) => {
                assert_eq!(c.name, card.name);
                assert_eq!(c.masked_id, idcard::id_number::mask(&card.id_number));
                assert_ne!(c.masked_id, card.id_number);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_expired_card_is_refused_with_its_own_notice() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let expired = idcard::sim::sample_cards()
            .into_iter()
            .find(|c| c.is_expired(today))
            .expect("an expired sample card");
        assert!(matches!(
            card_event(&expired, today, None),
            KioskEvent::CardRefused(Notice::CardExpired)
        ));
    }

    #[test]
    fn usb_config_becomes_a_usb_port_and_simulated_is_refused() {
        let usb = IdCardDevice::Usb {
            vid: 0x0400,
            pid: 0xC35A,
            out_endpoint: 0x02,
            in_endpoint: 0x81,
            wlt_library: None,
        };
        assert_eq!(
            ReaderPort::from_config(&usb).expect("usb"),
            ReaderPort::Usb(idcard::usb::UsbConfig::default())
        );
        assert_eq!(
            ReaderPort::Usb(idcard::usb::UsbConfig::default()).to_string(),
            "USB 0400:c35a"
        );
        assert!(ReaderPort::from_config(&IdCardDevice::Simulated { wlt_library: None }).is_err());
    }
}
