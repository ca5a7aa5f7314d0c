//! Documents and receipts: layouts only (bytes out, no I/O).

pub mod queue_ticket;
