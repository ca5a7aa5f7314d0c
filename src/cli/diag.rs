//! `kiosk diag …`: the technicians' checks, runnable without the UI.

use clap::Subcommand;

/// Device and link checks.
#[derive(Debug, Subcommand)]
pub enum DiagCommand {}

/// Runs one check.
pub fn run(command: DiagCommand) -> anyhow::Result<()> {
    match command {}
}
