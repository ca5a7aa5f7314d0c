//! The service thread: carries out citizens' orders against the store and the devices, off
//! the UI thread, and reports the outcome as an event.

pub mod staff_service;
pub mod ticket_service;

pub use staff_service::{ChannelStaffService, StaffServiceThread};
pub use ticket_service::{ChannelTicketService, TicketServiceThread};
