//! `kiosk`: runs the kiosk or one of its tools.
//!
//! The kiosk reads its configuration from `--config FILE`, else `$KIOSK_CONFIG`, else
//! `/etc/citizen-window/kiosk.toml` (the package's conffile). The demo (simulated devices, the
//! built-in platform) runs only when asked: `--demo`, or `KIOSK_DEMO=1`, which the repository's
//! `.cargo/config.toml` sets so that `cargo run --release` starts the demo on a developer's
//! machine. An installed kiosk whose configuration is missing or invalid exits with 78
//! (EX_CONFIG) and a message, and systemd leaves it stopped: it never falls back to the demo.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kiosk::config::Config;

/// Citizen Window: self-service kiosk of a government service hall.
#[derive(Parser)]
#[command(name = "kiosk", version, about)]
struct Cli {
    /// kiosk.toml (default: $KIOSK_CONFIG, else /etc/citizen-window/kiosk.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Runs the demo: simulated devices, the built-in platform simulator, data in a local
    /// folder. Also when KIOSK_DEMO=1 (set for `cargo run` by .cargo/config.toml).
    #[arg(long)]
    demo: bool,
    /// Data folder for the demo (default ./kiosk-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Full screen, as on a real kiosk.
    #[arg(long)]
    fullscreen: bool,
    /// Demo: no on-screen DEMO button (F2 still opens the panel); for scripts/screenshots.
    #[arg(long, hide = true)]
    no_demo_button: bool,
    /// Lays the window out portrait (1080x1920) whatever `[display] orientation` says: to
    /// see a portrait panel's pages on a landscape desk.
    #[arg(long)]
    portrait: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the platform simulator (an HTTP server speaking docs/platform-api.md).
    #[cfg(feature = "demo")]
    PlatformSim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8800")]
        listen: String,
        /// Its SQLite database.
        #[arg(long, default_value = "platform-sim.sqlite")]
        db: PathBuf,
        #[command(flatten)]
        knobs: kiosk::cli::platform_sim::SimKnobs,
    },
    /// Technicians' checks of devices and links (exit status 1 when one fails).
    Diag(kiosk::cli::diag::DiagArgs),
    /// Renders documents and receipts from sample data.
    #[command(subcommand)]
    Doc(kiosk::cli::doc::DocCommand),
    /// Checks a configuration file.
    #[command(subcommand)]
    Config(kiosk::cli::config_cmd::ConfigCommand),
    /// Writes the man page (roff) to stdout, for the package.
    #[command(hide = true)]
    Manpage,
    /// Drives the store and sync headlessly, for load and crash tests.
    #[cfg(feature = "demo")]
    Soak(kiosk::cli::soak::SoakArgs),
    /// Staff tools: `hash-pin` makes a PIN's hash for the configuration.
    #[command(subcommand)]
    Staff(kiosk::cli::staff::StaffCommand),
}

/// Where the installed kiosk's configuration lives (the package's conffile).
const SYSTEM_CONFIG: &str = "/etc/citizen-window/kiosk.toml";

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        #[cfg(feature = "demo")]
        Some(Command::PlatformSim { listen, db, knobs }) => {
            kiosk::cli::platform_sim::run(&listen, db, &knobs)
        }
        // The same configuration as the kiosk would run with (`None`: the demo's).
        Some(Command::Diag(a)) => {
            resolve(cli.config, cli.demo, |k| std::env::var_os(k)).and_then(|what| {
                let file = match what {
                    Run::Installed(path) => Some(path),
                    Run::Demo => None,
                };
                kiosk::cli::diag::run(a, file)
            })
        }
        Some(Command::Doc(c)) => kiosk::cli::doc::run(c),
        #[cfg(feature = "demo")]
        Some(Command::Soak(a)) => kiosk::cli::soak::run(a),
        Some(Command::Config(c)) => kiosk::cli::config_cmd::run(c),
        Some(Command::Staff(c)) => kiosk::cli::staff::run(c),
        Some(Command::Manpage) => manpage(),
        None => resolve(cli.config, cli.demo, |k| std::env::var_os(k)).and_then(|what| {
            run_kiosk(
                what,
                cli.data_dir,
                cli.fullscreen,
                cli.no_demo_button,
                cli.portrait,
            )
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::from(kiosk::cli::exit::OK),
        Err(e) => {
            let code = kiosk::cli::exit::for_error(&e);
            tracing::error!(exit_code = code, "{e:#}");
            eprintln!("kiosk: {e:#}");
            if code == kiosk::cli::exit::CONFIG {
                eprintln!(
                    "kiosk: check it with `kiosk config check FILE`; `kiosk --demo` runs the demo"
                );
            }
            std::process::ExitCode::from(code)
        }
    }
}

/// A panic on any thread is logged and ends the whole kiosk (systemd restarts it, and the
/// store is durable: nothing is lost), instead of leaving a kiosk with one thread dead.
fn end_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        tracing::error!(
            thread = name,
            "panic: {info}; ending the kiosk to be restarted"
        );
        default(info);
        std::process::abort();
    }));
}

/// The man page, from the same definitions as `--help`.
fn manpage() -> anyhow::Result<()> {
    use clap::CommandFactory;
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock())?;
    Ok(())
}

/// What to run: the demo, or the kiosk with a configuration file.
#[derive(Debug, PartialEq, Eq)]
enum Run {
    Demo,
    Installed(PathBuf),
}

/// `--demo` and `--config` say it; then `KIOSK_CONFIG`, `KIOSK_DEMO=1`, and the system file.
fn resolve(
    config: Option<PathBuf>,
    demo: bool,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> anyhow::Result<Run> {
    match (config, demo) {
        (Some(_), true) => Err(kiosk::cli::exit::UsageError(
            "--demo runs simulated devices and cannot take --config".into(),
        )
        .into()),
        (Some(path), false) => Ok(Run::Installed(path)),
        (None, true) => Ok(Run::Demo),
        (None, false) => Ok(match env("KIOSK_CONFIG").filter(|v| !v.is_empty()) {
            Some(path) => Run::Installed(PathBuf::from(path)),
            None if env("KIOSK_DEMO").is_some_and(|v| v == "1") => Run::Demo,
            None => Run::Installed(PathBuf::from(SYSTEM_CONFIG)),
        }),
    }
}

fn run_kiosk(
    what: Run,
    data_dir: Option<PathBuf>,
    fullscreen: bool,
    no_demo_button: bool,
    portrait: bool,
) -> anyhow::Result<()> {
    let mut config = match &what {
        Run::Installed(path) => Config::load(path)?,
        #[cfg(feature = "demo")]
        Run::Demo => Config::demo(data_dir.unwrap_or_else(|| PathBuf::from("kiosk-data"))),
        #[cfg(not(feature = "demo"))]
        Run::Demo => {
            let _ = data_dir;
            return Err(kiosk::cli::exit::UsageError(
                "this kiosk is built without the demo (cargo feature `demo`)".into(),
            )
            .into());
        }
    };
    if portrait {
        config.display.orientation = kiosk::config::Orientation::Portrait;
    }
    // The whole config and the data folder's files, before anything is leased or created.
    let notes = kiosk::preflight::check(&config)?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let _log = kiosk::logging::init(&config.data_dir);
    end_on_panic();
    notes.log();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        demo = config.demo,
        "starting"
    );
    #[cfg(feature = "demo")]
    return demo::run(config, fullscreen, no_demo_button);
    #[cfg(not(feature = "demo"))]
    {
        let _ = no_demo_button;
        kiosk::kiosk::Kiosk::start(&config)?.run(fullscreen)
    }
}

/// The kiosk with the demo's simulators behind whatever the config leaves `simulated`.
#[cfg(feature = "demo")]
mod demo {
    use std::rc::Rc;
    use std::sync::Arc;

    use kiosk::config::Config;
    use kiosk::demo::SimRig;
    use kiosk::kiosk::Kiosk;

    pub fn run(mut config: Config, fullscreen: bool, no_demo_button: bool) -> anyhow::Result<()> {
        let rig = Rc::new(SimRig::start(&mut config)?);
        let kiosk = Kiosk::start_with(
            &config,
            kiosk::ui::monotonic_clock(),
            rig.take_extras(&config),
        )?;
        rig.forward_receipts(Arc::new(kiosk::ui::UiSink::from_window(kiosk.window())));
        rig.forward_device_states(
            kiosk.health(),
            Arc::new(kiosk::ui::UiSink::from_window(kiosk.window())),
        );
        if let Ok(mut handle) = rig.printer_handle.lock() {
            *handle = Some(kiosk.printer().clone());
        }
        if config.demo {
            kiosk::ui::connect_operator(kiosk.window(), rig.clone());
            if no_demo_button {
                use slint::ComponentHandle;
                kiosk
                    .window()
                    .global::<kiosk::ui::AppAdapter>()
                    .set_demo_button(false);
            }
            tracing::info!(
                "demo: press F2 (or the DEMO button) for the operator panel; receipts go to {}",
                SimRig::receipt_dir(&config.data_dir).display()
            );
        }
        kiosk.run(fullscreen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_installed_kiosk_never_falls_back_to_the_demo() {
        assert_eq!(
            resolve(None, false, env(&[])).unwrap(),
            Run::Installed(SYSTEM_CONFIG.into())
        );
        assert_eq!(
            resolve(None, false, env(&[("KIOSK_CONFIG", "/srv/k.toml")])).unwrap(),
            Run::Installed("/srv/k.toml".into())
        );
        // The developer default (`cargo run`): the demo, unless a config is named.
        assert_eq!(
            resolve(None, false, env(&[("KIOSK_DEMO", "1")])).unwrap(),
            Run::Demo
        );
        assert_eq!(
            resolve(
                None,
                false,
                env(&[("KIOSK_DEMO", "1"), ("KIOSK_CONFIG", "/srv/k.toml")])
            )
            .unwrap(),
            Run::Installed("/srv/k.toml".into())
        );
        assert_eq!(
            resolve(None, false, env(&[("KIOSK_DEMO", "0")])).unwrap(),
            Run::Installed(SYSTEM_CONFIG.into())
        );
        assert_eq!(resolve(None, true, env(&[])).unwrap(), Run::Demo);
        assert_eq!(
            resolve(Some("a.toml".into()), false, env(&[("KIOSK_DEMO", "1")])).unwrap(),
            Run::Installed("a.toml".into())
        );
        let both = resolve(Some("a.toml".into()), true, env(&[])).unwrap_err();
        assert_eq!(kiosk::cli::exit::for_error(&both), kiosk::cli::exit::USAGE);
    }
}
