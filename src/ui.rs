//! The only code that touches Slint globals. `include_modules!` keeps the generated types in
//! this module; each `*_adapter.rs` maps domain state to one page's global and wires its
//! callbacks to the session controller.

#![allow(clippy::all, missing_docs)]
slint::include_modules!();

mod app_adapter;
mod operator_adapter;
mod session_adapter;

pub use app_adapter::{
    connect as connect_app, monotonic_clock, KioskUi, SessionClock, UiEvent, UiSink,
};
pub use operator_adapter::{connect as connect_operator, DemoControls};
