//! `kiosk soak …`: drives the store and sync headlessly, for load and crash tests.

use clap::Args;

/// Options of a soak run.
#[derive(Debug, Args)]
pub struct SoakArgs {}

/// Runs a soak.
pub fn run(_args: SoakArgs) -> anyhow::Result<()> {
    anyhow::bail!("soak: no workload defined yet")
}
