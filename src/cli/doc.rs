//! `kiosk doc …`: render documents and receipts from sample data.

use clap::Subcommand;

/// Document tools.
#[derive(Debug, Subcommand)]
pub enum DocCommand {}

/// Runs one document tool.
pub fn run(command: DocCommand) -> anyhow::Result<()> {
    match command {}
}
