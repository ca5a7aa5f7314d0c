//! Citizen Window: the self-service kiosk of a government service hall.
//!
//! # Layout
//! - [`config`]: `kiosk.toml`, and the demo default when there is none.
//! - [`app`]: the shell: session, router, the `Flow` trait; the staff console's rules. No
//!   Slint, no I/O.
//! - [`rating_worker`]: the rating step's thread: each rating an outbox row of kind `rating`.
//! - [`services`]: one folder per citizen service (flow, worker, adapter) and the registry.
//! - [`worker`]: the one worker type every service thread runs on.
//! - [`events`]: the event bus from background threads to the UI thread.
//! - [`help`]: "call staff": the standing request staff see and the heartbeat carries.
//! - [`identity_worker`]: identifying without the card (SMS codes, e-ID codes) against the
//!   platform.
//! - [`ui`]: the shell's Slint glue (window, attract, menu, staff, demo panel).
//! - [`voice`]: the spoken prompts' player thread (a child process per prompt) and which
//!   prompt each screen speaks.
//! - [`diag`]: the technicians' diagnostics (device self-tests, protocol logs, the platform
//!   link, the diagnostic bundle, the technician console), shared by the screen and
//!   `kiosk diag`.
//! - [`devices`]: device threads that own the drivers, reconnect them and report events.
//! - [`service`]: the staff screen's worker (retry, restock, test slip, out of service).
//! - [`store`]: SQLite: migrations, outbox, catalog cache, leases, tickets.
//! - [`sync`]: outbox upload, catalog pull, number leases, queue status; backoff.
//! - [`documents`]: layouts: receipts (ESC/POS) and A4 (PDF); bytes out, no I/O.
//! - [`assets`]: fonts built into the binary (receipts, A4 pages).
//! - [`demo`]: simulators standing in for the devices and the platform; nothing in the
//!   product depends on it.
//! - [`clock`]: hall time (UTC+8), the service day.
//! - [`cli`]: the subcommands (`diag`, `doc`, `soak`, `config check`), one module each, and
//!   the exit codes.
//! - [`kiosk`]: starts the window and the threads; [`logging`]: tracing setup.
//! - [`pinyin`]: finding a Chinese name by pinyin initials (the sample forms' search, the
//!   apply service's streets).
//! - [`preflight`]: the start-up checks of the config and the data folder's files, before
//!   anything is leased or created.
//! - [`service_manager`]: systemd's notifications (ready, watchdog pings while every thread
//!   lives).
//! - [`memory`]: handing back the file pages an idle kiosk does not use.
//!
//! The platform contract, client and simulator live in the `kiosk-platform` crate; the
//! device drivers in `drivers/*`. See `docs/architecture.md` for who may touch what.

pub mod app;
pub mod assets;
pub mod cli;
pub mod clock;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod devices;
pub mod diag;
pub mod documents;
pub mod events;
pub mod help;
pub mod identity_worker;
pub mod kiosk;
pub mod logging;
pub mod memory;
pub mod pinyin;
pub mod preflight;
pub mod rating_worker;
pub mod service;
pub mod service_manager;
pub mod services;
pub mod start_record;
pub mod store;
pub mod sync;
pub mod ui;
pub mod voice;
pub mod worker;
