//! `kiosk diag …`: the technicians' checks, runnable without the UI.

use clap::Subcommand;

/// `kiosk diag idcard …`: the ID-card reader's checks.
#[path = "diag_idcard.rs"]
pub mod idcard;

/// Device and link checks.
#[derive(Debug, Subcommand)]
pub enum DiagCommand {
    /// ID-card reader: list ports, SAM status, read a card, decode a raw frame.
    #[command(subcommand)]
    Idcard(idcard::IdcardCommand),
}

/// Runs one check.
pub fn run(command: DiagCommand) -> anyhow::Result<()> {
    match command {
        DiagCommand::Idcard(c) => idcard::run(c, &mut std::io::stdout().lock()),
    }
}
