//! `kiosk doc …`: render documents and receipts from sample data, and send a PDF to the A4
//! printer, for staff, technicians and tests.

use std::path::PathBuf;

use clap::Subcommand;

// Declared here rather than in cli/mod.rs so that the document tools stay in their own files.
#[path = "doc_render.rs"]
pub mod doc_render;

use doc_render::{render_sample, DocKind};

/// Document tools.
#[derive(Debug, Subcommand)]
pub enum DocCommand {
    /// Renders a document (PDF) or receipt (PNG through the virtual printer).
    Render {
        /// Which document.
        #[arg(value_enum)]
        kind: DocKind,
        /// Use the built-in sample data (the only source for now; real data comes from a
        /// citizen's session, never from the command line).
        #[arg(long)]
        sample: bool,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Prints a PDF on an IPP printer and follows the job until it is done.
    Print {
        /// The PDF.
        file: PathBuf,
        /// `ipp://host[:port]/path` of the printer or CUPS queue.
        #[arg(long)]
        uri: String,
        /// Give up following the job after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout_secs: u64,
    },
}

/// Runs one document tool.
pub fn run(command: DocCommand) -> anyhow::Result<()> {
    match command {
        DocCommand::Render { kind, sample, out } => {
            anyhow::ensure!(
                sample,
                "only --sample is supported: a citizen's documents are printed from their session"
            );
            let bytes = render_sample(kind)?;
            std::fs::write(&out, &bytes)?;
            println!("{} ({} bytes)", out.display(), bytes.len());
            Ok(())
        }
        DocCommand::Print {
            file,
            uri,
            timeout_secs,
        } => {
            let pdf = std::fs::read(&file)?;
            let printer = printer::ipp::IppPrinter::new(&uri, std::time::Duration::from_secs(30))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "document".into());
            let outcome =
                printer.print_pdf(&pdf, &name, std::time::Duration::from_secs(timeout_secs))?;
            println!("job {} completed", outcome.job_id);
            Ok(())
        }
    }
}
