//! `kiosk soak …`: drives the store and sync headlessly, for load and crash tests.
//!
//! `kiosk soak --platform URL --transactions N [--kiosks K]` runs K simulated kiosks in this
//! process, each with its own database (`DATA_DIR/soak-00001/kiosk.sqlite`, own store key)
//! and its own platform credentials ([`kiosk_platform::sim::soak_kiosk`]; start the simulator
//! with `KIOSK_SIM_SOAK_KIOSKS=K kiosk platform-sim`). Each kiosk issues queue tickets through
//! the same `Store::issue_ticket` and uploads them through the same `SyncWorker` as the app,
//! until N transactions in all are in the outboxes and every outbox is empty.
//!
//! Restartable: the count of transactions already written is read back from each database, so
//! a soak killed at any moment (the crash test kills it with SIGKILL) and started again with
//! the same arguments finishes the same N.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::soak_fleet::{self, FleetPlan};

/// Options of a soak run.
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Base URL of the platform (simulator), e.g. `http://127.0.0.1:8800`.
    #[arg(long)]
    pub platform: String,
    /// Transactions to generate in all, spread over the kiosks.
    #[arg(long)]
    pub transactions: u64,
    /// Simulated kiosks, each with its own database and credentials.
    #[arg(long, default_value_t = 1)]
    pub kiosks: usize,
    /// Folder for the kiosks' databases (kept between runs: a rerun resumes).
    #[arg(long, default_value = "soak-data")]
    pub data_dir: PathBuf,
    /// Write every kiosk's transactions first with no upload, then start all sync workers at
    /// the same moment (a fleet coming back online together). Times the drain.
    #[arg(long)]
    pub offline_first: bool,
    /// Pause between two tickets of one kiosk, milliseconds (0: as fast as the disk allows).
    #[arg(long, default_value_t = 0)]
    pub pace_ms: u64,
    /// First retry ceiling of the sync workers, seconds (default: the app's `sync.backoff_base_secs`).
    #[arg(long, default_value_t = 1.0)]
    pub backoff_base_secs: f64,
    /// Longest retry delay of the sync workers, seconds (default: the app's `sync.backoff_cap_secs`).
    #[arg(long, default_value_t = 300.0)]
    pub backoff_cap_secs: f64,
    /// Seconds between two sync rounds of an idle kiosk (default: the app's `sync.interval_secs`).
    #[arg(long, default_value_t = 5)]
    pub interval_secs: u64,
    /// Outbox rows per upload.
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Give up (exit 1) when not done after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub max_secs: u64,
}

/// Runs a soak; prints one JSON line of figures to stdout.
pub fn run(args: SoakArgs) -> anyhow::Result<()> {
    if args.kiosks == 0 {
        anyhow::bail!("--kiosks must be at least 1");
    }
    let plan = FleetPlan {
        platform: args.platform,
        transactions: args.transactions,
        kiosks: args.kiosks,
        data_dir: args.data_dir,
        offline_first: args.offline_first,
        pace: Duration::from_millis(args.pace_ms),
        backoff_base_secs: args.backoff_base_secs,
        backoff_cap_secs: args.backoff_cap_secs,
        interval_secs: args.interval_secs,
        batch_size: args.batch_size,
        deadline: Duration::from_secs(args.max_secs),
    };
    let report = soak_fleet::run(&plan)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
