//! Logging: `tracing` to stderr and to a daily-rotated file in the data folder (14 kept); under
//! systemd (`JOURNAL_STREAM` set: stderr is the journal) to journald instead, with structured
//! fields and no colours, and journald rotates. Nothing personal is logged: types that carry
//! personal data redact themselves in `Debug`.

use std::path::Path;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Keeps the file writer flushing; hold it until exit.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Whether stderr is systemd's journal (systemd sets `JOURNAL_STREAM` for a service whose
/// output goes there).
pub fn under_journal() -> bool {
    std::env::var_os("JOURNAL_STREAM").is_some_and(|v| !v.is_empty())
}

/// Lines that may wait for the log file's writer thread.
pub const LOG_QUEUE_LINES: usize = 2048;

/// Starts logging. `RUST_LOG` overrides the default level (`info`).
pub fn init(data_dir: &Path) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if under_journal() {
        match tracing_journald::layer() {
            Ok(journal) => {
                let _ = tracing_subscriber::registry()
                    .with(filter)
                    .with(journal.with_syslog_identifier("citizen-window".into()))
                    .try_init();
                return LogGuard(None);
            }
            Err(e) => eprintln!("journald not reachable ({e}); logging to stderr"),
        }
    }
    // The appender lists the folder to prune old files as it starts: create it first, so a
    // first run in a fresh folder does not begin with "Error reading the log directory".
    let logs = data_dir.join("logs");
    if let Err(e) = std::fs::create_dir_all(&logs) {
        eprintln!("cannot create the log folder {}: {e}", logs.display());
    }
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("kiosk")
        .filename_suffix("log")
        .max_log_files(14)
        .build(&logs);
    let (file_layer, guard) = match appender {
        Ok(a) => {
            // The queue to the writer thread: its default 128,000 lines is an array of that
            // many slots, allocated and touched at start (4 MB resident for the kiosk's
            // life, the largest single allocation at idle; docs/benchmarks.md). The writer
            // keeps up with the kiosk's few lines a second; a burst beyond this many lines
            // is dropped (and counted by the appender), never blocks the UI.
            let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .buffered_lines_limit(LOG_QUEUE_LINES)
                .finish(a);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        Err(e) => {
            eprintln!("cannot open log folder in {}: {e}", data_dir.display());
            (None, None)
        }
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init();
    LogGuard(guard)
}
