//! The kiosk's exit codes (sysexits.h), so systemd and a technician can tell a kiosk that
//! needs a person (bad configuration: not restarted in a loop) from one that may come back by
//! itself when restarted.

use crate::config::ConfigError;
use crate::preflight::PreflightError;

/// Every check passed and the kiosk ended normally.
pub const OK: u8 = 0;
/// A technician's check (`kiosk diag`) failed: the printed lines say which.
pub const CHECK_FAILED: u8 = 1;
/// Wrong arguments (clap itself exits with 2 on unknown flags).
pub const USAGE: u8 = 64;
/// A display or device the kiosk cannot run without is not there (no Wayland/X11 display).
pub const UNAVAILABLE: u8 = 69;
/// An internal error: a bug. Restarting may help; the journal has the cause.
pub const SOFTWARE: u8 = 70;
/// The local database could not be opened or written.
pub const IO: u8 = 74;
/// The configuration is missing or invalid (EX_CONFIG). The unit's
/// `RestartPreventExitStatus=78` keeps systemd from restarting a kiosk that cannot start.
pub const CONFIG: u8 = 78;

/// The exit code for an error that ended the kiosk, from the first error in its chain that
/// says what it is.
pub fn for_error(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if cause.is::<ConfigError>() || cause.is::<PreflightError>() {
            return CONFIG;
        }
        if cause.is::<crate::cli::diag::ChecksFailed>() {
            return CHECK_FAILED;
        }
        if cause.is::<UsageError>() {
            return USAGE;
        }
        if cause.is::<slint::PlatformError>() {
            return UNAVAILABLE;
        }
        if cause.is::<crate::store::StoreError>() || cause.is::<rusqlite::Error>() {
            return IO;
        }
    }
    SOFTWARE
}

/// Arguments that contradict each other.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn codes_follow_the_cause_through_context() {
        let missing = crate::config::Config::load(std::path::Path::new("/nonexistent/kiosk.toml"))
            .context("loading the configuration")
            .unwrap_err();
        assert_eq!(for_error(&missing), CONFIG);
        let usage = anyhow::Error::new(UsageError("--demo and --config".into()));
        assert_eq!(for_error(&usage), USAGE);
        assert_eq!(for_error(&anyhow::anyhow!("something else")), SOFTWARE);
        let display = anyhow::Error::new(slint::PlatformError::NoPlatform).context("window");
        assert_eq!(for_error(&display), UNAVAILABLE);
    }
}
