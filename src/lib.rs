//! Citizen Window: the self-service kiosk of a government service hall.
//!
//! # Layout
//! - [`config`]: `kiosk.toml`, and the demo default when there is none.
//! - [`app`]: controllers and domain (sessions, flows, idle timer). No Slint, no I/O.
//! - [`ui`]: the only code that touches Slint globals (`*_adapter.rs`).
//! - [`devices`]: device threads that own the drivers, reconnect them and report events.
//! - [`service`]: the thread that carries out citizens' orders (store write, then print).
//! - [`store`]: SQLite: migrations, outbox, catalog cache, leases, tickets.
//! - [`sync`]: outbox upload, catalog pull, number leases, queue status; backoff.
//! - [`documents`]: receipt (and later PDF) layouts; bytes out, no I/O.
//! - [`demo`]: simulators standing in for the devices and the platform.
//! - [`clock`]: hall time (UTC+8), the service day.
//! - [`cli`]: the subcommands (`diag`, `doc`, `soak`), one module each.
//! - [`kiosk`]: starts the window and the threads; [`logging`]: tracing setup.
//! - [`preflight`]: the start-up checks of the config and the data folder's files, before
//!   anything is leased or created.
//!
//! The platform contract, client and simulator live in the `kiosk-platform` crate; the
//! device drivers in `drivers/*`. See `docs/architecture.md` for who may touch what.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod devices;
pub mod documents;
pub mod kiosk;
pub mod logging;
pub mod preflight;
pub mod service;
pub mod store;
pub mod sync;
pub mod ui;
