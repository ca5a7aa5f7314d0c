//! Medical insurance (医保查询): after the card is read, the holder's account from the
//! platform — the balance, a bar chart of each month's spending, the contributions of the
//! last twelve months and the spending records — on three tabs, and an A4 statement
//! (医保个人账户对账单) to take away.
//!
//! The A4 printer is needed for the statement only: when it is at fault the query still
//! works and the print button says why, so the tile is not greyed for it (`NEEDS` lists the
//! card reader alone). Online only: the records are the platform's and are not cached.
//!
//! - [`flow`]: the steps; [`worker`]: the platform, the statement's PDF and the A4 printer,
//!   off the UI thread; [`adapter`]: the Slint glue (`ui/services/medical_insurance/`).

use std::rc::Rc;
use std::sync::Arc;

use crate::app::{Cx, Reply};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use crate::documents::medical_statement::{
    whole_yuan, yuan, MonthRow, MonthSpend, Paid, SpendKind, SpendRow, Statement, Totals,
};
pub use flow::{MedicalInsuranceFlow, Step, Tab};

/// Devices the service needs to be offered at all: the card reader (the records are the
/// card holder's). The A4 printer is only for the statement and is asked before printing.
pub const NEEDS: &[super::Device] = &[super::Device::IdCard];

/// Who the records are asked for and printed for: the session's citizen.
#[derive(Clone, PartialEq, Eq)]
pub struct Holder {
    /// The holder hash the platform knows the account by (never the ID number).
    pub hash: String,
    /// Name, for the statement.
    pub name: String,
    /// ID number masked, for the statement.
    pub masked_id: String,
}

impl std::fmt::Debug for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Holder(<redacted>)")
    }
}

/// What the worker is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// The holder's account, then whether the A4 printer could print the statement now.
    Query(Holder),
    /// Ask the A4 printer again (the citizen came back to the overview).
    CheckPrinter,
    /// Lay out the statement and print it.
    Print(Arc<Statement>),
}

/// Why there is nothing to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The platform has no medical-insurance record for the holder.
    NoRecord,
    /// The platform cannot be reached, or answered wrongly.
    Unreachable,
    /// The session has no card holder (cannot happen from the menu; said plainly anyway).
    NoCard,
}

/// Why the statement cannot print, as the citizen is told (the technical detail goes to
/// the health board and the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintProblem {
    /// Out of paper.
    PaperOut,
    /// Out of toner.
    TonerOut,
    /// Paper jammed.
    Jam,
    /// A cover, door or tray is open.
    CoverOpen,
    /// The printer does not answer.
    Offline,
    /// The job failed or did not finish in time.
    Fault,
    /// This kiosk has no A4 printer.
    NoPrinter,
}

/// Whether the statement can be printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintState {
    /// The printer is being asked.
    Checking,
    /// It can print.
    Ready,
    /// It cannot: the button says why.
    Unavailable(PrintProblem),
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The account, or why there is none.
    Answered(Result<Arc<Statement>, Problem>),
    /// The A4 printer's state, asked after the answer (and before each print).
    Printer(PrintState),
    /// The statement printed, or why not.
    Printed(Result<(), PrintProblem>),
}

/// Where orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait MedicalPort {
    /// Starts `order.event` for session `order.token`.
    fn send(&self, order: Reply<Order>);
}

impl MedicalPort for crate::worker::Orders<Reply<Order>> {
    fn send(&self, order: Reply<Order>) {
        crate::worker::Orders::send(self, order);
    }
}

/// The medical-insurance service as the kiosk runs it: the worker's port.
pub struct Service {
    port: Rc<dyn MedicalPort>,
}

impl Service {
    /// The service over `port`.
    pub fn new(port: Rc<dyn MedicalPort>) -> Self {
        Self { port }
    }

    /// A new flow for the session: it asks for the card holder's account at once.
    pub fn start(&self, cx: &mut Cx) -> MedicalInsuranceFlow {
        MedicalInsuranceFlow::new(self.port.clone(), cx)
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "paper-out",
    "toner-out",
    "printer-fault",
    "medical-insurance-no-printer",
    "wait-printing",
    "take-printout",
    "medical-insurance-no-record",
    "unreachable",
    "needs-card",
];
