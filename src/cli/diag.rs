//! `kiosk diag …`: the technicians' checks, runnable without the UI, on the configuration
//! the kiosk runs with (`--config FILE`, else the kiosk's own default resolution).
//!
//! - `kiosk diag`: every device's self-test and the platform link; the exit status is
//!   [`exit::CHECK_FAILED`](crate::cli::exit::CHECK_FAILED) when any check fails.
//! - `kiosk diag idcard|printer|code-scanner|doc-scanner|a4-printer`: one device.
//! - `kiosk diag platform`: DNS, TCP, TLS and HTTP with their times, the outbox.
//! - `kiosk diag bundle --out FILE` (or `--usb`): the diagnostic bundle.
//!
//! The kiosk holds its serial ports exclusively: stop it (`systemctl stop citizen-window`)
//! before testing a device from here, or use the technician screen.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::config::Config;
use crate::diag::devices::{self, DeviceReport, TestOptions};
use crate::diag::{bundle, link};

/// `kiosk diag idcard …`: the ID-card reader's checks.
#[path = "diag_idcard.rs"]
pub mod idcard;

/// `kiosk diag [DEVICE|platform|bundle]`.
#[derive(Debug, Args)]
pub struct DiagArgs {
    /// What to check (default: every device and the platform link).
    #[command(subcommand)]
    pub command: Option<DiagCommand>,
}

/// One device, the link, or the bundle.
#[derive(Debug, Subcommand)]
pub enum DiagCommand {
    /// The configured ID-card reader (SAM status, SAM id, the test card); or a tool: list
    /// ports, status or read on a named port, decode a raw frame.
    Idcard {
        /// A tool instead of the configured reader's self-test.
        #[command(subcommand)]
        tool: Option<idcard::IdcardCommand>,
    },
    /// The receipt printer: its status bits.
    Printer {
        /// Print a test page with the status bits.
        #[arg(long)]
        test_page: bool,
    },
    /// The code scanner: waits for a test code and shows it (masked).
    CodeScanner {
        /// How long to wait for the test code, seconds.
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
    /// The document scanner: listed by SANE, and a test scan.
    DocScanner {
        /// Only check that SANE lists it, without scanning.
        #[arg(long)]
        no_scan: bool,
    },
    /// The A4 printer: its IPP state.
    A4Printer {
        /// Print a test page.
        #[arg(long)]
        test_page: bool,
    },
    /// The platform link: DNS, TCP, TLS, HTTP with their times; the outbox.
    Platform,
    /// Writes the diagnostic bundle (a zip, no personal data).
    Bundle {
        /// The zip to write.
        #[arg(long, conflicts_with = "usb", required_unless_present = "usb")]
        out: Option<PathBuf>,
        /// Write it to the mounted USB stick instead.
        #[arg(long)]
        usb: bool,
    },
}

/// Some checks failed (their lines are printed already).
#[derive(Debug, thiserror::Error)]
#[error("{0} check(s) failed")]
pub struct ChecksFailed(pub usize);

/// Loads the configuration the kiosk would run with: `config` names its file, `None` is the
/// built-in demo (simulated devices: they are tested on the running demo's screen).
pub fn load_config(config: Option<&Path>) -> anyhow::Result<Config> {
    match config {
        Some(path) => Ok(Config::load(path)?),
        #[cfg(feature = "demo")]
        None => Ok(Config::demo(PathBuf::from("kiosk-data"))),
        #[cfg(not(feature = "demo"))]
        None => Err(crate::cli::exit::UsageError(
            "this kiosk is built without the demo: name its configuration with --config".into(),
        )
        .into()),
    }
}

/// Runs the checks on the kiosk's configuration (`config`: its file; `None`: the demo's).
pub fn run(args: DiagArgs, config: Option<PathBuf>) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    if let Some(DiagCommand::Idcard { tool: Some(tool) }) = args.command {
        return idcard::run(tool, out);
    }
    let cfg = load_config(config.as_deref())?;
    let failed = match args.command {
        None => {
            let reports = devices::all(&cfg, TestOptions::default());
            let mut failed = print_reports(&reports, out)?;
            failed += platform(&cfg, out)?;
            failed
        }
        Some(DiagCommand::Idcard { .. }) => {
            print_reports(&[devices::idcard(&cfg.devices.idcard)], out)?
        }
        Some(DiagCommand::Printer { test_page }) => {
            let options = TestOptions {
                test_pages: test_page,
                ..TestOptions::default()
            };
            print_reports(&[devices::receipt_printer(&cfg, options)], out)?
        }
        Some(DiagCommand::CodeScanner { wait }) => print_reports(
            &[devices::code_scanner(&cfg, Some(Duration::from_secs(wait)))],
            out,
        )?,
        Some(DiagCommand::DocScanner { no_scan }) => {
            print_reports(&[devices::doc_scanner(&cfg, !no_scan).0], out)?
        }
        Some(DiagCommand::A4Printer { test_page }) => {
            print_reports(&[devices::a4_printer(&cfg, test_page)], out)?
        }
        Some(DiagCommand::Platform) => platform(&cfg, out)?,
        Some(DiagCommand::Bundle { out: file, usb }) => {
            let dest = match file {
                Some(f) => bundle::Destination::File(f),
                None if usb => bundle::Destination::RemovableDrive,
                None => bundle::Destination::RemovableDrive,
            };
            let written = write_bundle(&cfg, config.as_deref(), &dest)?;
            writeln!(out, "bundle written to {}", written.display())?;
            0
        }
    };
    if failed > 0 {
        return Err(ChecksFailed(failed).into());
    }
    Ok(())
}

fn print_reports(reports: &[DeviceReport], out: &mut dyn Write) -> anyhow::Result<usize> {
    for r in reports {
        write!(out, "{}", r.text())?;
    }
    Ok(reports.iter().filter(|r| r.failed()).count())
}

/// The link check, one line per step, and the outbox as the store has it.
fn platform(cfg: &Config, out: &mut dyn Write) -> anyhow::Result<usize> {
    let base = &cfg.platform.base_url;
    writeln!(
        out,
        "platform: {}",
        if base.is_empty() {
            "(demo: built in)"
        } else {
            base
        }
    )?;
    if base.is_empty() {
        writeln!(
            out,
            "  [skip] the demo's platform simulator runs inside the demo: check it there"
        )?;
        return Ok(0);
    }
    let steps = link::check_config(
        &cfg.platform,
        Duration::from_secs(cfg.platform.timeout_secs.max(1)),
    );
    for s in &steps {
        writeln!(out, "  {}", s.line())?;
    }
    let figures = crate::diag::console::StoreFigures::read(&crate::kiosk::Kiosk::db_path(cfg));
    writeln!(out, "  {}", figures.line())?;
    writeln!(
        out,
        "  clock skew: measured by the running kiosk's heartbeat (technician screen, bundle)"
    )?;
    Ok(steps.iter().filter(|s| s.outcome.failed()).count())
}

/// The bundle from outside the kiosk: the devices as configured (not opened: the kiosk may
/// hold them), the link checked now.
fn write_bundle(
    cfg: &Config,
    file: Option<&Path>,
    dest: &bundle::Destination,
) -> anyhow::Result<PathBuf> {
    let now = chrono::Utc::now();
    let link = if cfg.platform.base_url.is_empty() {
        Vec::new()
    } else {
        link::check_config(&cfg.platform, Duration::from_secs(5))
            .iter()
            .map(|s| s.line())
            .collect()
    };
    let devices = vec![bundle::DeviceSection {
        name: "configured".into(),
        summary: format!(
            "made by `kiosk diag bundle`: the devices as configured (not opened)\n{:#?}",
            cfg.devices
        ),
        protocol_log: String::new(),
    }];
    let bytes = bundle::build(&bundle::BundleSources {
        config: cfg,
        config_file: file,
        devices,
        sync: None,
        link,
        now,
    });
    Ok(bundle::write(&bytes, dest, &cfg.platform.kiosk_id, now)?)
}
