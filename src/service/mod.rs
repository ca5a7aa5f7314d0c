//! The service thread: carries out citizens' orders against the store and the devices, off
//! the UI thread, and reports the outcome as an event.

pub mod case_service;
pub mod copy_service;
pub mod staff_service;
pub mod ticket_service;

pub use case_service::{CaseServiceThread, ChannelCaseService};
pub use copy_service::{ChannelCopyService, CopyServiceThread};
pub use staff_service::{ChannelStaffService, StaffServiceThread};
pub use ticket_service::{ChannelTicketService, TicketServiceThread};
