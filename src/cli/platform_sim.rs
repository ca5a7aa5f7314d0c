//! `kiosk platform-sim`: the platform simulator as a process of its own (load tests, a
//! hall's trial without a platform), with its faults and admission control as flags.
//! Demo builds only: the simulator is not in the package.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;

/// Faults and admission control of `kiosk platform-sim` (docs/platform-api.md, "Simulator
/// control"). Without fault flags, `KIOSK_SIM_FAULTS` applies.
#[derive(clap::Args, Debug)]
pub struct SimKnobs {
    /// Delay added to every /v1/ answer, milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share (0..=1) of /v1/ requests failing in one of five ways (500, 503, 429, dropped
    /// before or after processing).
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of /v1/ connections dropped, half before and half after processing.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Share of /v1/ requests answered 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    rate_429: f64,
    /// Share of /v1/ requests answered 503 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    rate_503: f64,
    /// Retry-After seconds of injected 429 and 503 answers.
    #[arg(long, default_value_t = 1)]
    retry_after_secs: u64,
    /// Start down: every /v1/ connection dropped unanswered (POST /control/faults brings it up).
    #[arg(long)]
    down: bool,
    /// The simulator's clock this many seconds ahead of the machine's (negative: behind):
    /// a kiosk past the signed-request window sees its requests refused for clock skew.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    clock_offset_secs: i64,
    /// Admission control: connections that may wait for a worker before more are answered
    /// 503 at once (0: no bound).
    #[arg(long, default_value_t = 64)]
    max_queue: usize,
    /// Admission control: a connection that waited longer than this for a worker is answered
    /// 503, milliseconds (0: no limit).
    #[arg(long, default_value_t = 3000)]
    max_wait_ms: u64,
    /// Retry-After seconds of admission control's 503 answers.
    #[arg(long, default_value_t = 2)]
    busy_retry_after_secs: u64,
    /// Load-test kiosks `soak-00001` … to know (like `KIOSK_SIM_SOAK_KIOSKS`).
    #[arg(long, default_value_t = 0)]
    soak_kiosks: usize,
}

impl SimKnobs {
    fn config(&self, db: PathBuf) -> anyhow::Result<kiosk_platform::sim::SimConfig> {
        use kiosk_platform::sim::{Admission, FaultConfig, SimConfig};
        let faults = FaultConfig {
            latency_ms: self.latency_ms,
            error_rate: self.error_rate,
            retry_after_secs: self.retry_after_secs,
            down: self.down,
            drop_rate: self.drop_rate,
            rate_429: self.rate_429,
            rate_503: self.rate_503,
            clock_offset_secs: self.clock_offset_secs,
        };
        faults.check().map_err(anyhow::Error::msg)?;
        let mut config = SimConfig::demo(db).with_admission(Admission {
            max_queue: self.max_queue,
            max_wait: std::time::Duration::from_millis(self.max_wait_ms),
            retry_after_secs: self.busy_retry_after_secs,
        });
        // Only the fault flags' own defaults: leave the field at its default so that
        // KIOSK_SIM_FAULTS still applies.
        let untouched = FaultConfig {
            retry_after_secs: 1,
            ..FaultConfig::default()
        };
        if faults != untouched {
            config = config.with_faults(faults);
        }
        if self.soak_kiosks > 0 {
            config = config.with_soak_kiosks(self.soak_kiosks);
        }
        Ok(config)
    }
}

/// Serves the simulator on `listen` with its database at `db` until the process ends.
pub fn run(listen: &str, db: PathBuf, knobs: &SimKnobs) -> anyhow::Result<()> {
    let _log = crate::logging::init(db.parent().unwrap_or(std::path::Path::new(".")));
    let listener = TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?;
    tracing::info!("platform simulator on http://{}", listener.local_addr()?);
    let shutdown = Arc::new(AtomicBool::new(false));
    kiosk_platform::sim::serve(listener, knobs.config(db)?, shutdown)?;
    Ok(())
}
