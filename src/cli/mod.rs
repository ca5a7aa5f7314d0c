//! Subcommands of `kiosk` other than running the kiosk: each lives in its own module so the
//! technicians' and operators' tools grow without touching `main.rs`.

pub mod config_cmd;
pub mod diag;
pub mod doc;
pub mod exit;
#[cfg(feature = "demo")]
pub mod platform_sim;
#[cfg(feature = "demo")]
pub mod soak;
#[cfg(feature = "demo")]
pub mod soak_fleet;
pub mod staff;
