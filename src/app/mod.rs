//! Controllers and domain: sessions, flows, the idle timer. No Slint, no I/O: dependencies
//! come in as traits, time comes in as a `Duration` since start, so every rule here is
//! unit-tested with fakes.

pub mod citizen;
pub mod events;
pub mod idle_timer;
pub mod session_controller;
pub mod staff;

pub use citizen::Citizen;
pub use events::{EventSink, KioskEvent, RecordingSink, RgbaImage};
pub use idle_timer::{IdleState, IdleTimer};
pub use session_controller::{
    Area, Notice, Page, PhoneError, SessionController, TicketOrder, TicketOutcome, TicketProblem,
    TicketService, TicketView,
};
