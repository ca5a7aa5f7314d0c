//! Logging: `tracing` to stderr and to a daily-rotated file in the data folder (14 kept).
//! Nothing personal is logged: types that carry personal data redact themselves in `Debug`.

use std::path::Path;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// Keeps the file writer flushing; hold it until exit.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Starts logging. `RUST_LOG` overrides the default level (`info`).
pub fn init(data_dir: &Path) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("kiosk")
        .filename_suffix("log")
        .max_log_files(14)
        .build(data_dir.join("logs"));
    let (file_layer, guard) = match appender {
        Ok(a) => {
            let (writer, guard) = tracing_appender::non_blocking(a);
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
