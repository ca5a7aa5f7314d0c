//! Controllers and domain: sessions, flows, the idle timer. No Slint, no I/O: dependencies
//! come in as traits, time comes in as a `Duration` since start, so every rule here is
//! unit-tested with fakes.

pub mod citizen;
pub mod events;
pub mod id_copy;
pub mod idle_timer;
pub mod progress;
pub mod session_controller;
pub mod staff;

pub use citizen::Citizen;
pub use events::{EventSink, KioskEvent, RecordingSink, RgbaImage};
pub use id_copy::{CardSide, CopyOrder, CopyPrintProblem, CopyService, ScanProblem};
pub use idle_timer::{IdleState, IdleTimer};
pub use progress::{CaseOutcome, CaseProblem, CaseQuery, CaseService, CaseView};
pub use session_controller::{
    Area, Notice, Page, PhoneError, ScannedCode, SessionController, TicketOrder, TicketOutcome,
    TicketProblem, TicketService, TicketView,
};
