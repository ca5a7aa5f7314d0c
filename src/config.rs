//! `kiosk.toml`: where the devices are, which platform to talk to, where data lives.
//!
//! With no file the kiosk runs the demo: simulated devices on pseudo-terminals, the built-in
//! platform simulator on a loopback port, data in `./kiosk-data`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The store key's file name in the data folder when `[store] key_file` names none (the
/// store looks for the same name next to its database).
pub const DEFAULT_STORE_KEY_FILE: &str = "store.key";

mod validate;
pub use validate::ConfigProblem;

/// The whole configuration of one kiosk.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Folder for the database, logs and printed-receipt images.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Identity and address of the central platform.
    pub platform: PlatformConfig,
    /// Device wiring.
    pub devices: DevicesConfig,
    /// Session behaviour.
    #[serde(default)]
    pub session: SessionConfig,
    /// Sync behaviour.
    #[serde(default)]
    pub sync: SyncConfig,
    /// The local database.
    #[serde(default)]
    pub store: StoreConfig,
    /// The hall staff screen.
    #[serde(default)]
    pub staff: StaffConfig,
    /// Voice guidance (`[voice]`).
    #[serde(default)]
    pub voice: VoiceConfig,
    /// The kiosk's panel (`[display]`).
    #[serde(default)]
    pub display: DisplayConfig,
    /// The hall's QR codes (needed with a code scanner).
    #[serde(default)]
    pub codes: Option<CodesConfig>,
    /// Which citizen services this kiosk offers (`[services.<name>]`; all by default).
    #[serde(default)]
    pub services: ServicesConfig,
    /// True only for the built-in demo: shows the operator panel (F2).
    #[serde(skip)]
    pub demo: bool,
    /// The folder of the file this config was loaded from (`/etc/citizen-window`): the
    /// store key's default home, away from the data folder.
    #[serde(skip)]
    pub config_dir: Option<PathBuf>,
    /// The file this config was loaded from (none for the demo): the diagnostic bundle
    /// copies it with its secrets replaced.
    #[serde(skip)]
    pub config_file: Option<PathBuf>,
}

/// The citizen services' own sections, `[services.<name>]`, one per registered service. A
/// service that is off has no tile on this kiosk's menu (a hall may offer ID-card copies at
/// one kiosk only, say); one that is on still needs its devices.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesConfig {
    /// `[services.queue_ticket]`.
    #[serde(default)]
    pub queue_ticket: ServiceSection,
    /// `[services.case_progress]`.
    #[serde(default)]
    pub case_progress: ServiceSection,
    /// `[services.id_copy]`.
    #[serde(default)]
    pub id_copy: ServiceSection,
    /// `[services.appointment]`.
    #[serde(default)]
    pub appointment: ServiceSection,
    /// `[services.certificate]`.
    #[serde(default)]
    pub certificate: ServiceSection,
    /// `[services.personal_documents]`.
    #[serde(default)]
    pub personal_documents: ServiceSection,
    /// `[services.medical_insurance]`.
    #[serde(default)]
    pub medical_insurance: ServiceSection,
    /// `[services.traffic_fine]`.
    #[serde(default)]
    pub traffic_fine: ServiceSection,
    /// `[services.sample_forms]`.
    #[serde(default)]
    pub sample_forms: ServiceSection,
    /// `[services.apply]`.
    #[serde(default)]
    pub apply: ServiceSection,
}

/// One service's section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// Offered at this kiosk (default true).
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// How a citizen may identify for it: `["card", "typed", "eid"]` (typed ID number with
    /// an SMS code, electronic ID). Unset: the service's own default (see
    /// `Services::accepts`).
    #[serde(default)]
    pub identify: Option<Vec<crate::app::citizen::IdentifiedBy>>,
}

impl Default for ServiceSection {
    fn default() -> Self {
        Self {
            enabled: true,
            identify: None,
        }
    }
}

fn default_enabled() -> bool {
    true
}

/// How to reach the platform.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Base URL, e.g. `https://platform.example.gov.cn`. Empty in the demo: the built-in
    /// simulator's loopback address is filled in at start.
    pub base_url: String,
    /// This kiosk's id at the platform.
    pub kiosk_id: String,
    /// File holding this kiosk's HMAC key (readable by the kiosk's user only).
    pub key_file: Option<PathBuf>,
    /// The key itself, for the demo only (a real config uses `key_file`).
    #[serde(default)]
    pub key: Option<String>,
    /// Request timeout in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// A plain `http://` base URL is refused unless this is set, and then only for a
    /// platform on this machine (127.0.0.1, ::1, localhost): a test's or the demo's
    /// simulator, or a local TLS proxy. Anything on the hall's network is `https://`.
    #[serde(default)]
    pub allow_plain_http: bool,
    /// PEM file of the certificate authorities that sign the platform's certificate (the
    /// government's own CA). When set, they **replace** the web's roots (see
    /// docs/security.md); unset, the web's roots (Mozilla's list) are used.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Pinned keys, `sha256/<base64 of the SubjectPublicKeyInfo's SHA-256>`: when any is
    /// given, a server presenting none of them is refused even with a valid certificate.
    #[serde(default)]
    pub pins: Vec<String>,
}

impl PlatformConfig {
    /// Whom the client and the link check trust for the platform's certificate: the CA
    /// file's authorities (or the web roots) and the pins. Reads the CA file.
    pub fn trust(&self) -> Result<kiosk_platform::client::tls::Trust, ConfigError> {
        kiosk_platform::client::tls::Trust::from_settings(self.ca_file.as_deref(), &self.pins)
            .map_err(|e| ConfigError::Tls(e.0))
    }
}

impl std::fmt::Debug for PlatformConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never goes to a log.
        f.debug_struct("PlatformConfig")
            .field("base_url", &self.base_url)
            .field("kiosk_id", &self.kiosk_id)
            .field("key_file", &self.key_file)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("timeout_secs", &self.timeout_secs)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("ca_file", &self.ca_file)
            .field("pins", &self.pins)
            .finish()
    }
}

/// Where each device is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesConfig {
    /// ID-card reader.
    pub idcard: IdCardDevice,
    /// How often the ID-card reader is asked whether a card lies on it, in milliseconds
    /// (default 200: a card is seen within a fifth of a second; 20 to 2000).
    #[serde(default = "default_idcard_poll_ms")]
    pub idcard_poll_ms: u64,
    /// Receipt printer.
    pub printer: SerialDevice,
    /// Receipt printer on another transport than serial (TCP 9100, USB, `/dev/usb/lp0`):
    /// when given, it is used instead of `printer`. See docs/devices/printer.md.
    #[serde(default)]
    pub printer_link: Option<PrinterLinkConfig>,
    /// The A4 printer (certificates, forms, ID copies), over IPP.
    #[serde(default)]
    pub a4_printer: Option<A4PrinterConfig>,
    /// The QR/barcode scanner (receipts, case numbers).
    #[serde(default)]
    pub code_scanner: Option<CodeScannerDevice>,
    /// The document scanner (ID-card copies), through SANE.
    #[serde(default)]
    pub doc_scanner: Option<DocScannerDevice>,
}

/// The QR/barcode scanner. See docs/devices/scanner.md.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum CodeScannerDevice {
    /// Serial or USB virtual COM port: each code is a line ending in CR and/or LF.
    Serial {
        /// Port path, e.g. `/dev/serial/by-id/usb-…-if00`.
        path: PathBuf,
        /// Baud rate.
        #[serde(default = "default_scanner_baud")]
        baud: u32,
        /// Text the scanner is set to put before each code.
        #[serde(default)]
        prefix: Option<String>,
        /// Text the scanner is set to put after each code.
        #[serde(default)]
        suffix: Option<String>,
        /// Longest code accepted, bytes.
        #[serde(default)]
        max_len: Option<usize>,
        /// `"utf-8"` (default) or `"gbk"`.
        #[serde(default)]
        encoding: Option<String>,
    },
    /// USB HID keyboard mode: the scanner's own input device, grabbed exclusively.
    Hid {
        /// `/dev/input/by-id/usb-…-event-kbd`.
        path: PathBuf,
        /// Text the scanner is set to put before each code.
        #[serde(default)]
        prefix: Option<String>,
        /// Text the scanner is set to put after each code.
        #[serde(default)]
        suffix: Option<String>,
        /// Longest code accepted, bytes.
        #[serde(default)]
        max_len: Option<usize>,
    },
    /// The built-in simulator on a pseudo-terminal (demo and tests).
    Simulated,
}

fn default_scanner_baud() -> u32 {
    9600
}

/// The document scanner. See docs/devices/document-scanner.md.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum DocScannerDevice {
    /// A SANE device driven through `scanimage`.
    Sane {
        /// SANE device name (`scanimage -L`), e.g. `genesys:libusb:001:004`.
        device: String,
        /// `"color"` (default) or `"gray"`.
        #[serde(default)]
        mode: Option<String>,
        /// Resolution, dpi (300 suits ID copies).
        #[serde(default = "default_scan_dpi")]
        resolution_dpi: u32,
        /// Area of the glass to scan, mm from its top-left corner: `[left, top, width, height]`.
        #[serde(default)]
        area_mm: Option<[f64; 4]>,
        /// Longest a scan may take.
        #[serde(default = "default_scan_secs")]
        timeout_secs: u64,
        /// The `scanimage` program.
        #[serde(default)]
        scanimage: Option<PathBuf>,
        /// Extra `scanimage` arguments (backend options).
        #[serde(default)]
        extra_args: Vec<String>,
    },
    /// The demo's simulated scanner: a sample card on the glass.
    Simulated,
}

fn default_scan_dpi() -> u32 {
    300
}
fn default_scan_secs() -> u64 {
    60
}

/// The QR codes the hall prints (receipts and certificates): their verification page and the
/// key that signs them, so the kiosk can tell its own codes, and forged ones, when scanned.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodesConfig {
    /// The verification page the codes point at, e.g. `https://zwfw.example.gov.cn/verify`.
    pub verify_base: String,
    /// File holding the signing key (readable by the kiosk's user only).
    #[serde(default)]
    pub verify_key_file: Option<PathBuf>,
    /// The key itself, demo only.
    #[serde(default)]
    pub verify_key: Option<String>,
}

impl std::fmt::Debug for CodesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodesConfig")
            .field("verify_base", &self.verify_base)
            .field("verify_key_file", &self.verify_key_file)
            .field(
                "verify_key",
                &self.verify_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Where to read a key file named in the configuration: under systemd, the copy the unit's
/// `LoadCredential=` handed over in `$CREDENTIALS_DIRECTORY` (same file name), which only this
/// service can read; otherwise the file itself.
pub fn credential_or(path: &Path) -> PathBuf {
    credential_in(
        std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from),
        path,
    )
}

fn credential_in(dir: Option<PathBuf>, path: &Path) -> PathBuf {
    if let (Some(dir), Some(name)) = (dir.filter(|d| !d.as_os_str().is_empty()), path.file_name()) {
        let handed = dir.join(name);
        if handed.is_file() {
            return handed;
        }
    }
    path.to_owned()
}

impl CodesConfig {
    /// The signing key.
    pub fn key(&self) -> Result<Vec<u8>, ConfigError> {
        if let Some(path) = &self.verify_key_file {
            let path = &credential_or(path);
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Key(format!("cannot read {}: {e}", path.display())))?;
            crate::store::crypto::tighten_permissions(path, "code key file")
                .map_err(|e| ConfigError::Key(e.to_string()))?;
            return Ok(text.trim().as_bytes().to_vec());
        }
        self.verify_key
            .as_ref()
            .map(|k| k.as_bytes().to_vec())
            .ok_or_else(|| ConfigError::Key("set codes.verify_key_file".into()))
    }
}

/// A receipt printer that is not on a serial port.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum PrinterLinkConfig {
    /// Raw TCP (JetDirect): `host:port`, or a host alone for port 9100.
    Tcp {
        /// Address.
        addr: String,
    },
    /// USB printer class through libusb, by vendor and product id (hex strings: `"0416"`).
    Usb {
        /// Vendor id, hex.
        vid: String,
        /// Product id, hex.
        pid: String,
    },
    /// A device file such as `/dev/usb/lp0`.
    Device {
        /// Path.
        path: PathBuf,
    },
}

/// The A4 printer: a network printer or a CUPS queue, over IPP.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct A4PrinterConfig {
    /// `ipp://printer.lan/ipp/print`, `ipp://localhost:631/printers/A4`, or `http(s)://…`.
    pub uri: String,
    /// How long to follow a job before telling the citizen to ask staff.
    #[serde(default = "default_a4_job_secs")]
    pub job_timeout_secs: u64,
}

fn default_a4_job_secs() -> u64 {
    120
}

/// The ID-card reader: the same SAM protocol on a serial port or on USB bulk endpoints, or
/// the simulator. `wlt_library` is the reader vendor's WLT photo decoder (`libwlt2bmp.so`);
/// without it cards are read without a decoded photo (never a failed read).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum IdCardDevice {
    /// A reader on a serial port: `/dev/ttyUSB0`, `/dev/serial/by-id/...` (8N1).
    Serial {
        /// Port path.
        path: PathBuf,
        /// Baud rate.
        #[serde(default = "default_baud")]
        baud: u32,
        /// Vendor WLT photo library.
        #[serde(default)]
        wlt_library: Option<PathBuf>,
    },
    /// A reader on USB bulk endpoints (default `0400:c35a`, OUT `0x02`, IN `0x81`).
    Usb {
        /// Vendor id.
        #[serde(default = "default_idcard_vid")]
        vid: u16,
        /// Product id.
        #[serde(default = "default_idcard_pid")]
        pid: u16,
        /// Bulk OUT endpoint.
        #[serde(default = "default_idcard_out_endpoint")]
        out_endpoint: u8,
        /// Bulk IN endpoint.
        #[serde(default = "default_idcard_in_endpoint")]
        in_endpoint: u8,
        /// Vendor WLT photo library.
        #[serde(default)]
        wlt_library: Option<PathBuf>,
    },
    /// The built-in simulator on a pseudo-terminal (demo and tests).
    Simulated {
        /// Vendor WLT photo library (to try one with simulated cards).
        #[serde(default)]
        wlt_library: Option<PathBuf>,
    },
}

impl IdCardDevice {
    /// The configured WLT photo library, if any.
    pub fn wlt_library(&self) -> Option<&Path> {
        match self {
            IdCardDevice::Serial { wlt_library, .. }
            | IdCardDevice::Usb { wlt_library, .. }
            | IdCardDevice::Simulated { wlt_library } => wlt_library.as_deref(),
        }
    }
}

fn default_idcard_vid() -> u16 {
    idcard::usb::DEFAULT_VID
}
fn default_idcard_pid() -> u16 {
    idcard::usb::DEFAULT_PID
}
fn default_idcard_out_endpoint() -> u8 {
    idcard::usb::DEFAULT_OUT_ENDPOINT
}
fn default_idcard_in_endpoint() -> u8 {
    idcard::usb::DEFAULT_IN_ENDPOINT
}

/// A device on a serial port (or the simulator, in the demo).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum SerialDevice {
    /// A real device: `/dev/ttyUSB0`, `/dev/serial/by-id/...`.
    Serial {
        /// Port path.
        path: PathBuf,
        /// Baud rate.
        #[serde(default = "default_baud")]
        baud: u32,
    },
    /// The built-in simulator on a pseudo-terminal (demo and tests).
    Simulated,
}

/// The kiosk's panel: what a millimetre is on its glass.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayConfig {
    /// The panel's diagonal in inches (default 21.5, the smallest common kiosk panel): every
    /// touch target is at least 20 mm on it (`tests/e2e/touch.rs`).
    #[serde(default = "default_diagonal_inch")]
    pub diagonal_inch: f64,
    /// The night, `"22:00-06:30"` (hall time; none: never): the attract screen dims to
    /// `night_brightness` a minute after its last touch, and a touch or a card wakes it.
    #[serde(default)]
    pub night_hours: Option<String>,
    /// How bright the dimmed attract screen is, 0.05–1 of full (default 0.3).
    #[serde(default = "default_night_brightness")]
    pub night_brightness: f64,
    /// How the panel stands: `"landscape"` (1920×1080, the default) or `"portrait"`
    /// (1080×1920); every page lays itself out for it.
    #[serde(default)]
    pub orientation: Orientation,
}

/// How the kiosk's panel stands in the hall.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// Wider than high: 1920×1080.
    #[default]
    Landscape,
    /// Higher than wide: 1080×1920.
    Portrait,
}

impl Orientation {
    /// The window's size in logical pixels, width then height.
    pub fn window_size(self) -> (f32, f32) {
        match self {
            Orientation::Landscape => (1920.0, 1080.0),
            Orientation::Portrait => (1080.0, 1920.0),
        }
    }
}

impl Default for DisplayConfig {
    fn default() -> Self {
        Self {
            diagonal_inch: default_diagonal_inch(),
            night_hours: None,
            night_brightness: default_night_brightness(),
            orientation: Orientation::default(),
        }
    }
}

impl DisplayConfig {
    /// Logical pixels per millimetre for a window of `width` × `height` pixels filling the
    /// panel.
    pub fn px_per_mm(&self, width: f64, height: f64) -> f64 {
        width.hypot(height) / (self.diagonal_inch * 25.4)
    }
}

fn default_diagonal_inch() -> f64 {
    21.5
}

fn default_night_brightness() -> f64 {
    0.3
}

impl DisplayConfig {
    /// The night's hours and brightness, when the config sets them (checked at load).
    pub fn night(&self) -> Option<(crate::clock::DailyHours, f32)> {
        let hours = crate::clock::DailyHours::parse(self.night_hours.as_deref()?)?;
        Some((hours, self.night_brightness as f32))
    }
}

/// Voice guidance: the spoken prompts and their player (`src/voice.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceConfig {
    /// Prompts are spoken at all (each citizen may still turn them off).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The player and its arguments; the WAV comes on its standard input.
    #[serde(default = "default_voice_player")]
    pub player: Vec<String>,
    /// The folder with `zh/` and `en/` prompts; default: the package's
    /// `/usr/share/citizen-window/voice`, else the source tree's `assets/voice`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// 0–100 (the staff screen changes it).
    #[serde(default = "default_voice_volume")]
    pub volume: u8,
    /// Silent hours, `"22:00-07:00"` (the staff screen changes them); none: never.
    #[serde(default)]
    pub quiet_hours: Option<String>,
}

impl Default for VoiceConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            player: default_voice_player(),
            dir: None,
            volume: default_voice_volume(),
            quiet_hours: None,
        }
    }
}

impl VoiceConfig {
    /// Where the prompts are.
    pub fn prompts_dir(&self) -> PathBuf {
        if let Some(dir) = &self.dir {
            return dir.clone();
        }
        let packaged = PathBuf::from("/usr/share/citizen-window/voice");
        if packaged.is_dir() {
            packaged
        } else {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/voice"))
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_voice_player() -> Vec<String> {
    ["aplay", "-q", "-"].map(String::from).to_vec()
}
fn default_voice_volume() -> u8 {
    80
}

/// Session timing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Seconds without a touch before the countdown shows.
    #[serde(default = "default_idle_secs")]
    pub idle_secs: u64,
    /// Length of the visible countdown.
    #[serde(default = "default_countdown_secs")]
    pub countdown_secs: u64,
    /// How long the "take your ticket" screen stays before the attract screen comes back.
    #[serde(default = "default_done_secs")]
    pub done_secs: u64,
    /// Ask for a rating (好差评) after a session that used a service.
    #[serde(default = "default_rating")]
    pub rating: bool,
    /// "Take your ID card" at the end of a session while the card is still there.
    #[serde(default = "default_take_card")]
    pub take_card: bool,
    /// How long "take your ID card" waits for a citizen who walked away.
    #[serde(default = "default_take_card_secs")]
    pub take_card_secs: u64,
    /// Elderly mode's idle time before the countdown (longer than `idle_secs`).
    #[serde(default = "default_elderly_idle_secs")]
    pub elderly_idle_secs: u64,
    /// Elderly mode's countdown (slower than `countdown_secs`).
    #[serde(default = "default_elderly_countdown_secs")]
    pub elderly_countdown_secs: u64,
    /// High contrast as the kiosk's default (each session may toggle it).
    #[serde(default)]
    pub high_contrast: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_secs: default_idle_secs(),
            countdown_secs: default_countdown_secs(),
            done_secs: default_done_secs(),
            rating: default_rating(),
            take_card: default_take_card(),
            take_card_secs: default_take_card_secs(),
            elderly_idle_secs: default_elderly_idle_secs(),
            elderly_countdown_secs: default_elderly_countdown_secs(),
            high_contrast: false,
        }
    }
}

/// Sync timing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Seconds between sync rounds when nothing wakes the worker.
    #[serde(default = "default_sync_interval")]
    pub interval_secs: u64,
    /// Outbox rows per upload.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Numbers leased per area when the block runs low.
    #[serde(default = "default_lease_size")]
    pub lease_size: u32,
    /// Lease a new block when fewer than this many numbers are left.
    #[serde(default = "default_lease_low_water")]
    pub lease_low_water: u32,
    /// First retry delay after a failure, seconds.
    #[serde(default = "default_backoff_base")]
    pub backoff_base_secs: f64,
    /// Longest retry delay, seconds.
    #[serde(default = "default_backoff_cap")]
    pub backoff_cap_secs: f64,
    /// Seconds between heartbeats (device health, outbox depth, version, uptime).
    #[serde(default = "default_heartbeat_secs")]
    pub heartbeat_secs: u64,
    /// Days a sent outbox row (and its ticket) is kept before it is purged.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
}

/// The local database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// File holding the key that seals personal data in the database (created 0600 when
    /// missing). Default: `store.key` in the data folder.
    pub key_file: Option<PathBuf>,
    /// MiB that must stay free on the data folder's disk; below it the kiosk takes no new
    /// transaction and tells staff (`devices::storage`). Default 200.
    #[serde(default = "default_min_free_mb")]
    pub min_free_mb: u64,
    /// MiB free below which staff are warned. Default 1024.
    #[serde(default = "default_warn_free_mb")]
    pub warn_free_mb: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            key_file: None,
            min_free_mb: default_min_free_mb(),
            warn_free_mb: default_warn_free_mb(),
        }
    }
}

fn default_min_free_mb() -> u64 {
    200
}

fn default_warn_free_mb() -> u64 {
    1024
}

/// Who may open the staff and technician screens (`[staff]`); see docs/operations.md.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffConfig {
    /// The older single staff PIN (any badge number signs in as staff): an argon2id PHC
    /// string or `sha256$<salt>$<hex>`. Prefer [`StaffConfig::badges`].
    pub pin_hash: Option<String>,
    /// `[[staff.badges]]`: one entry per badge. Without any, the screens cannot be opened.
    #[serde(default)]
    pub badges: Vec<StaffBadge>,
}

/// One badge that may sign in (`[[staff.badges]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffBadge {
    /// The badge number typed on the pad (digits).
    pub badge: String,
    /// `staff` or `technician`.
    pub role: String,
    /// Its PIN as an argon2id PHC string (`kiosk staff hash-pin`).
    pub pin_hash: String,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            interval_secs: default_sync_interval(),
            batch_size: default_batch(),
            lease_size: default_lease_size(),
            lease_low_water: default_lease_low_water(),
            backoff_base_secs: default_backoff_base(),
            backoff_cap_secs: default_backoff_cap(),
            heartbeat_secs: default_heartbeat_secs(),
            retention_days: default_retention_days(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("kiosk-data")
}
fn default_timeout_secs() -> u64 {
    10
}
fn default_idcard_poll_ms() -> u64 {
    200
}
fn default_baud() -> u32 {
    115_200
}
fn default_idle_secs() -> u64 {
    60
}
fn default_countdown_secs() -> u64 {
    10
}
fn default_rating() -> bool {
    true
}
fn default_take_card() -> bool {
    true
}
fn default_take_card_secs() -> u64 {
    30
}
fn default_elderly_idle_secs() -> u64 {
    180
}
fn default_elderly_countdown_secs() -> u64 {
    30
}

fn default_done_secs() -> u64 {
    8
}
fn default_sync_interval() -> u64 {
    5
}
fn default_batch() -> usize {
    100
}
fn default_lease_size() -> u32 {
    20
}
fn default_lease_low_water() -> u32 {
    5
}
fn default_backoff_base() -> f64 {
    1.0
}
fn default_backoff_cap() -> f64 {
    300.0
}
fn default_heartbeat_secs() -> u64 {
    30
}
fn default_retention_days() -> u32 {
    7
}

/// Errors loading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid kiosk TOML.
    #[error("{path} is not a valid kiosk configuration: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        source: Box<toml::de::Error>,
    },
    /// Neither `key_file` nor `key` was given, or the key file is unreadable.
    #[error("platform key: {0}")]
    Key(String),
    /// `[platform] ca_file` unreadable or not certificates, or a pin that does not parse.
    #[error("platform TLS (platform.ca_file / platform.pins): {0}")]
    Tls(String),
    /// Values out of range, not finite, missing, or allowed in the demo only.
    #[error("{path}: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every wrong value, each naming its key.
        problems: Vec<ConfigProblem>,
    },
}

impl Config {
    /// Reads and checks a `kiosk.toml`: every value in range and finite, a platform
    /// address, keys in files (see [`Config::problems`]).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::parse(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        config.config_file = Some(path.to_owned());
        config.config_dir = Some(
            path.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_owned(),
        );
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                problems,
            });
        }
        Ok(config)
    }

    /// Parses TOML text (a real config: never demo).
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The platform key bytes, from the key file or the inline key (demo and tests only). A
    /// key file readable by others is set to 0600 with a warning (as the store key is), or
    /// refused when that is not possible.
    pub fn platform_key(&self) -> Result<Vec<u8>, ConfigError> {
        if let Some(path) = &self.platform.key_file {
            let path = &credential_or(path);
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Key(format!("cannot read {}: {e}", path.display())))?;
            crate::store::crypto::tighten_permissions(path, "platform key file")
                .map_err(|e| ConfigError::Key(e.to_string()))?;
            let key = text.trim();
            if key.is_empty() {
                return Err(ConfigError::Key(format!("{} is empty", path.display())));
            }
            return Ok(key.as_bytes().to_vec());
        }
        // An inline key in a loaded `kiosk.toml` is refused at load (`Config::problems`);
        // configs built in code (the demo, the tests) may carry one.
        self.platform
            .key
            .as_ref()
            .map(|k| k.as_bytes().to_vec())
            .ok_or_else(|| ConfigError::Key("set platform.key_file".into()))
    }

    /// The store key file: `store.key_file`; by default `store.key` beside the config file
    /// (`/etc/citizen-window/store.key`), not in the data folder, so whoever copies the
    /// data folder does not carry off the key with the database. The demo (no config file)
    /// keeps it in its data folder.
    pub fn store_key_file(&self) -> PathBuf {
        if let Some(k) = &self.store.key_file {
            return credential_or(k);
        }
        match (&self.config_dir, self.demo) {
            (Some(dir), false) => credential_or(&dir.join(DEFAULT_STORE_KEY_FILE)),
            _ => self.data_dir.join(DEFAULT_STORE_KEY_FILE),
        }
    }

    /// Idle time before the countdown.
    pub fn idle(&self) -> Duration {
        Duration::from_secs(self.session.idle_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_systemd_credentials_when_handed_over() {
        let creds = tempfile::tempdir().unwrap();
        let conf = Path::new("/etc/citizen-window/platform.key");
        // Nothing handed over (or not under systemd): the configured file.
        assert_eq!(credential_in(None, conf), conf);
        assert_eq!(credential_in(Some(creds.path().into()), conf), conf);
        std::fs::write(creds.path().join("platform.key"), "k").unwrap();
        assert_eq!(
            credential_in(Some(creds.path().into()), conf),
            creds.path().join("platform.key")
        );
        assert_eq!(credential_in(Some(PathBuf::new()), conf), conf);
    }

    #[test]
    fn services_are_all_on_unless_a_section_says_off_and_unknown_names_are_refused() {
        let base = "[platform]\nbase_url = \"https://p.example\"\nkiosk_id = \"k\"\nkey_file = \"/k\"\n\n[devices]\nidcard = { kind = \"simulated\" }\nprinter = { kind = \"simulated\" }\n";
        let all: Config = toml::from_str(base).unwrap();
        assert!(all.services.queue_ticket.enabled && all.services.id_copy.enabled);
        let off: Config =
            toml::from_str(&format!("{base}\n[services.id_copy]\nenabled = false\n")).unwrap();
        assert!(!off.services.id_copy.enabled);
        assert!(off.services.appointment.enabled);
        let e = toml::from_str::<Config>(&format!("{base}\n[services.fax]\nenabled = false\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fax"), "{e}");
    }

    #[test]
    fn the_panel_stands_landscape_unless_the_config_says_portrait() {
        let base = "[platform]\nbase_url = \"https://p.example\"\nkiosk_id = \"k\"\nkey_file = \"/k\"\n\n[devices]\nidcard = { kind = \"simulated\" }\nprinter = { kind = \"simulated\" }\n";
        let plain: Config = toml::from_str(base).unwrap();
        assert_eq!(plain.display.orientation, Orientation::Landscape);
        assert_eq!(plain.display.orientation.window_size(), (1920.0, 1080.0));
        let tall: Config =
            toml::from_str(&format!("{base}\n[display]\norientation = \"portrait\"\n")).unwrap();
        assert_eq!(tall.display.orientation.window_size(), (1080.0, 1920.0));
        let e = toml::from_str::<Config>(&format!("{base}\n[display]\norientation = \"upside\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("landscape") && e.contains("portrait"), "{e}");
    }

    #[test]
    fn example_config_parses() {
        let text = include_str!("../kiosk.example.toml");
        let cfg = Config::parse(text).expect("kiosk.example.toml parses");
        assert!(!cfg.demo);
        assert_eq!(cfg.session.idle_secs, 60);
        assert!(matches!(
            cfg.devices.idcard,
            IdCardDevice::Serial { baud: 115_200, .. }
        ));
        let scanner = cfg
            .devices
            .code_scanner
            .expect("code scanner in the example");
        assert!(matches!(
            scanner,
            CodeScannerDevice::Serial { baud: 9600, .. }
        ));
        assert!(matches!(
            cfg.devices.doc_scanner,
            Some(DocScannerDevice::Sane {
                resolution_dpi: 300,
                area_mm: Some([2.0, 2.0, 146.0, 206.0]),
                ..
            })
        ));
        assert_eq!(
            cfg.codes.expect("[codes] in the example").verify_base,
            "https://zwfw.example.gov.cn/verify"
        );
    }

    #[test]
    fn a_gbk_serial_scanner_with_a_prefix_and_a_hid_scanner() {
        let dev: CodeScannerDevice = toml::from_str(
            "kind = \"serial\"\npath = \"/dev/ttyACM0\"\nprefix = \"]Q\"\nencoding = \"GBK\"\nmax_len = 300",
        )
        .unwrap();
        assert!(matches!(
            dev,
            CodeScannerDevice::Serial { max_len: Some(300), ref encoding, .. }
                if encoding.as_deref() == Some("GBK")
        ));
        let hid: CodeScannerDevice =
            toml::from_str("kind = \"hid\"\npath = \"/dev/input/by-id/x-event-kbd\"").unwrap();
        assert!(matches!(hid, CodeScannerDevice::Hid { .. }));
        assert!(
            toml::from_str::<CodeScannerDevice>("kind = \"serial\"\npath = \"/x\"\nbogus = 1")
                .is_err()
        );
    }

    #[test]
    fn idcard_reader_on_usb_takes_defaults_and_a_photo_library() {
        let text = include_str!("../kiosk.example.toml");
        let start = text.find("[devices.idcard]").expect("idcard table");
        let end = start + text[start..].find("\n\n").expect("table ends");
        let usb = "[devices.idcard]\nkind = \"usb\"\npid = 0xc35b\nwlt_library = \"/opt/vendor/libwlt2bmp.so\"";
        let cfg = Config::parse(&format!("{}{usb}{}", &text[..start], &text[end..]))
            .expect("usb reader parses");
        match &cfg.devices.idcard {
            IdCardDevice::Usb {
                vid,
                pid,
                out_endpoint,
                in_endpoint,
                ..
            } => assert_eq!(
                (*vid, *pid, *out_endpoint, *in_endpoint),
                (0x0400, 0xC35B, 0x02, 0x81)
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            cfg.devices.idcard.wlt_library(),
            Some(Path::new("/opt/vendor/libwlt2bmp.so"))
        );
    }

    #[test]
    fn example_config_printers() {
        let cfg = Config::parse(include_str!("../kiosk.example.toml")).expect("parses");
        assert_eq!(cfg.devices.printer_link, None);
        let a4 = cfg.devices.a4_printer.expect("a4 printer in the example");
        assert_eq!(a4.uri, "ipp://localhost:631/printers/A4");
        assert_eq!(a4.job_timeout_secs, 120);
        let text = include_str!("../kiosk.example.toml").replace(
            "# [devices.printer_link]\n# kind = \"usb\"\n# vid = \"0416\"\n# pid = \"5011\"",
            "[devices.printer_link]\nkind = \"usb\"\nvid = \"0416\"\npid = \"5011\"",
        );
        let cfg = Config::parse(&text).expect("parses with a USB link");
        assert_eq!(
            cfg.devices.printer_link,
            Some(PrinterLinkConfig::Usb {
                vid: "0416".into(),
                pid: "5011".into()
            })
        );
        let tcp: DevicesConfig = toml::from_str(
            "idcard = { kind = 'simulated' }\nprinter = { kind = 'simulated' }\n\
             printer_link = { kind = 'tcp', addr = '10.0.0.9' }",
        )
        .expect("tcp link");
        assert!(matches!(
            tcp.printer_link,
            Some(PrinterLinkConfig::Tcp { .. })
        ));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::parse("data_dir = 'x'\nbogus = 1\n").unwrap_err();
        assert!(err.to_string().contains("bogus") || err.to_string().contains("unknown"));
    }

    #[test]
    fn the_store_key_file_default_is_the_stores() {
        assert_eq!(
            DEFAULT_STORE_KEY_FILE,
            crate::store::crypto::DEFAULT_KEY_FILE
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let cfg = Config::demo(PathBuf::from("d"));
        let shown = format!("{cfg:?}");
        assert!(!shown.contains(kiosk_platform::sim::DEMO_KIOSK_KEY));
    }
}
