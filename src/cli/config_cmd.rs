//! `kiosk config check FILE`: validates a kiosk.toml without starting anything, for the
//! technician editing /etc/citizen-window/kiosk.toml and for the package's own test.

use std::path::{Path, PathBuf};

use crate::config::Config;

/// `kiosk config …`.
#[derive(clap::Subcommand)]
pub enum ConfigCommand {
    /// Checks a configuration file: syntax, every value in range, keys readable. Exits 0
    /// when it is valid, 78 (EX_CONFIG) otherwise.
    Check {
        /// The file (e.g. /etc/citizen-window/kiosk.toml).
        file: PathBuf,
    },
}

/// Runs the command; the error (exit code 78) names every problem.
pub fn run(c: ConfigCommand) -> anyhow::Result<()> {
    match c {
        ConfigCommand::Check { file } => {
            let summary = check(&file)?;
            println!("{}: valid", file.display());
            for line in summary {
                println!("  {line}");
            }
            Ok(())
        }
    }
}

/// Loads and checks `file`; on success, what it configures (no secrets: key files by path).
pub fn check(file: &Path) -> Result<Vec<String>, crate::config::ConfigError> {
    let config = Config::load(file)?;
    // The keys must be readable, not only named; the CA file too.
    config.platform_key()?;
    let trust = config.platform.trust()?;
    let link = if config.platform.base_url.starts_with("http://") {
        "plain http to this machine (platform.allow_plain_http)".to_owned()
    } else {
        format!("https, trusting {}", trust.describe())
    };
    let mut out = vec![
        format!("kiosk {}", config.platform.kiosk_id),
        format!("platform {} ({link})", config.platform.base_url),
        format!("data folder {}", config.data_dir.display()),
    ];
    let d = &config.devices;
    let devices = [
        ("ID-card reader", true),
        ("code scanner", d.code_scanner.is_some()),
        ("receipt printer", true),
        ("document scanner", d.doc_scanner.is_some()),
        ("A4 printer", d.a4_printer.is_some()),
    ];
    out.push(format!(
        "devices: {}",
        devices
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(out)
}
