//! The shell's staff rules: the PIN gate both roles pass ([`gate`]) and the staff console's
//! controller ([`console`]). Both are plain logic (no Slint, no I/O); the staff worker
//! (`crate::service::staff_service`) does the checks, the store and the devices.
//!
//! The technician screen plugs in behind the same gate: a technician's sign-in puts the
//! controller in [`StaffMode::Technician`] with [`StaffController::signed_in`] giving the
//! badge.

pub mod console;
pub mod gate;

pub use console::*;
pub use gate::*;
