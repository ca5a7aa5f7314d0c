//! `kiosk`: runs the kiosk (the demo when no config is given) or one of its tools.

use std::net::TcpListener;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kiosk::config::Config;
use kiosk::demo::SimRig;
use kiosk::kiosk::Kiosk;

/// Citizen Window: self-service kiosk of a government service hall.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// kiosk.toml; without it the kiosk runs the demo (simulated devices, built-in platform).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data folder for the demo (default ./kiosk-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Full screen, as on a real kiosk.
    #[arg(long)]
    fullscreen: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the platform simulator (an HTTP server speaking docs/platform-api.md).
    PlatformSim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8800")]
        listen: String,
        /// Its SQLite database.
        #[arg(long, default_value = "platform-sim.sqlite")]
        db: PathBuf,
    },
    /// Technicians' checks of devices and links.
    #[command(subcommand)]
    Diag(kiosk::cli::diag::DiagCommand),
    /// Renders documents and receipts from sample data.
    #[command(subcommand)]
    Doc(kiosk::cli::doc::DocCommand),
    /// Drives the store and sync headlessly, for load and crash tests.
    Soak(kiosk::cli::soak::SoakArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::PlatformSim { listen, db }) => platform_sim(&listen, db),
        Some(Command::Diag(c)) => kiosk::cli::diag::run(c),
        Some(Command::Doc(c)) => kiosk::cli::doc::run(c),
        Some(Command::Soak(a)) => kiosk::cli::soak::run(a),
        None => run_kiosk(cli.config, cli.data_dir, cli.fullscreen),
    }
}

fn platform_sim(listen: &str, db: PathBuf) -> anyhow::Result<()> {
    let _log = kiosk::logging::init(db.parent().unwrap_or(std::path::Path::new(".")));
    let listener = TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?;
    tracing::info!("platform simulator on http://{}", listener.local_addr()?);
    let shutdown = Arc::new(AtomicBool::new(false));
    kiosk_platform::sim::serve(listener, kiosk_platform::sim::SimConfig::demo(db), shutdown)?;
    Ok(())
}

fn run_kiosk(
    config: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    fullscreen: bool,
) -> anyhow::Result<()> {
    let mut config = match &config {
        Some(path) => Config::load(path)?,
        None => Config::demo(data_dir.unwrap_or_else(|| PathBuf::from("kiosk-data"))),
    };
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let _log = kiosk::logging::init(&config.data_dir);
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        demo = config.demo,
        "starting"
    );

    let rig = Rc::new(SimRig::start(&mut config)?);
    let kiosk = Kiosk::start_with(
        &config,
        kiosk::ui::monotonic_clock(),
        rig.take_extras(&config),
    )?;
    rig.forward_receipts(Arc::new(kiosk::ui::UiSink::from_window(kiosk.window())));
    if let Ok(mut handle) = rig.printer_handle.lock() {
        *handle = Some(kiosk.printer().clone());
    }
    if config.demo {
        kiosk::ui::connect_operator(kiosk.window(), rig.clone());
        tracing::info!(
            "demo: press F2 (or the DEMO button) for the operator panel; receipts go to {}",
            SimRig::receipt_dir(&config.data_dir).display()
        );
    }
    kiosk.run(fullscreen)
}
