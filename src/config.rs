//! `kiosk.toml`: where the devices are, which platform to talk to, where data lives.
//!
//! With no file the kiosk runs the demo: simulated devices on pseudo-terminals, the built-in
//! platform simulator on a loopback port, data in `./kiosk-data`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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
    /// True only for the built-in demo: shows the operator panel (F2).
    #[serde(skip)]
    pub demo: bool,
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
}

impl std::fmt::Debug for PlatformConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never goes to a log.
        f.debug_struct("PlatformConfig")
            .field("base_url", &self.base_url)
            .field("kiosk_id", &self.kiosk_id)
            .field("key_file", &self.key_file)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Where each device is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesConfig {
    /// ID-card reader.
    pub idcard: SerialDevice,
    /// Receipt printer.
    pub printer: SerialDevice,
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
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_secs: default_idle_secs(),
            countdown_secs: default_countdown_secs(),
            done_secs: default_done_secs(),
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
        }
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("kiosk-data")
}
fn default_timeout_secs() -> u64 {
    10
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
}

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
            },
            devices: DevicesConfig {
                idcard: SerialDevice::Simulated,
                printer: SerialDevice::Simulated,
            },
            session: SessionConfig::default(),
            sync: SyncConfig::default(),
            demo: true,
        }
    }

    /// Reads and checks a `kiosk.toml`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    /// Parses TOML text (a real config: never demo).
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The platform key bytes, from the key file or the inline demo key.
    pub fn platform_key(&self) -> Result<Vec<u8>, ConfigError> {
        if let Some(path) = &self.platform.key_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Key(format!("cannot read {}: {e}", path.display())))?;
            return Ok(text.trim().as_bytes().to_vec());
        }
        self.platform
            .key
            .as_ref()
            .map(|k| k.as_bytes().to_vec())
            .ok_or_else(|| ConfigError::Key("set platform.key_file".into()))
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
    fn example_config_parses() {
        let text = include_str!("../kiosk.example.toml");
        let cfg = Config::parse(text).expect("kiosk.example.toml parses");
        assert!(!cfg.demo);
        assert_eq!(cfg.session.idle_secs, 60);
        assert!(matches!(
            cfg.devices.idcard,
            SerialDevice::Serial { baud: 115_200, .. }
        ));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::parse("data_dir = 'x'\nbogus = 1\n").unwrap_err();
        assert!(err.to_string().contains("bogus") || err.to_string().contains("unknown"));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let cfg = Config::demo(PathBuf::from("d"));
        let shown = format!("{cfg:?}");
        assert!(!shown.contains(kiosk_platform::sim::DEMO_KIOSK_KEY));
    }
}
