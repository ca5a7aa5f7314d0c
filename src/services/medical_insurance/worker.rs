//! The medical-insurance worker: asks the platform for the card holder's account, then the
//! A4 printer whether it could print the statement now; on "print", lays the statement out
//! and prints it, asking the printer again first. The PDF lives in memory only (the demo's
//! folder printer aside, which stands in for paper).

use std::path::PathBuf;
use std::sync::Arc;

use kiosk_platform::api::medical_insurance::{MedicalAccount, SpendingKind};
use kiosk_platform::api::Catalog;
use kiosk_platform::client::{ClientError, PlatformClient};

use super::{
    Event, Holder, MonthRow, Order, Paid, PrintProblem, PrintState, Problem, SpendKind, SpendRow,
    Statement,
};
use crate::app::{EventSink, KioskEvent, Reply};
use crate::documents::medical_statement;
use crate::services::ServiceEvent;
use crate::store::Store;
use crate::worker::{Spawned, Worker};

/// Where the statement prints: the kiosk's A4 printer, the demo's folder, or nowhere.
pub trait A4Sink: Send {
    /// Whether a job could print now (paper, toner, online), read from the printer.
    fn check(&mut self) -> Result<(), PrintProblem>;
    /// Prints `pdf` as job `job_name`, waiting for the printer's verdict.
    fn print(&mut self, pdf: &[u8], job_name: &str) -> Result<(), PrintProblem>;
}

/// No A4 printer on this kiosk: the button says so.
pub struct NoA4;

impl A4Sink for NoA4 {
    fn check(&mut self) -> Result<(), PrintProblem> {
        Err(PrintProblem::NoPrinter)
    }
    fn print(&mut self, _: &[u8], _: &str) -> Result<(), PrintProblem> {
        Err(PrintProblem::NoPrinter)
    }
}

/// Demo only: statements land in a folder as PDF (the simulated A4 printer).
pub struct FolderA4(pub PathBuf);

impl A4Sink for FolderA4 {
    fn check(&mut self) -> Result<(), PrintProblem> {
        std::fs::create_dir_all(&self.0).map_err(|e| {
            tracing::error!(error = %e, "demo A4 printer folder");
            PrintProblem::Fault
        })
    }
    fn print(&mut self, pdf: &[u8], job_name: &str) -> Result<(), PrintProblem> {
        let name = format!(
            "{job_name}-{}.pdf",
            crate::clock::hall_now().format("%Y%m%d-%H%M%S%.3f")
        );
        self.check()?;
        std::fs::write(self.0.join(name), pdf).map_err(|e| {
            tracing::error!(error = %e, "demo A4 printer folder");
            PrintProblem::Fault
        })
    }
}

/// What the thread needs.
pub struct MedicalWorkerDeps {
    /// The platform.
    pub client: PlatformClient,
    /// The A4 printer for the statement.
    pub a4: Box<dyn A4Sink>,
    /// Font for the PDF (the CJK font the UI embeds).
    pub font: &'static [u8],
    /// Database file: the hall's name (top of the statement) is the cached catalog's.
    pub db_path: PathBuf,
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
}

/// The statement's job name at the printer (no personal data: printers log job names).
pub const JOB_NAME: &str = "medical-statement";

/// Starts the worker.
pub fn spawn(deps: MedicalWorkerDeps) -> std::io::Result<Spawned<Reply<Order>>> {
    let store = Store::open(&deps.db_path)
        .map_err(|e| tracing::error!(error = %e, "medical-insurance worker: no store"))
        .ok();
    Worker::spawn("medical-insurance", (deps, store), |(deps, store), order: Reply<Order>| {
        let sink = deps.sink.clone();
        let send = |event| {
            sink.send(KioskEvent::Service(Reply {
                token: order.token,
                event: ServiceEvent::MedicalInsurance(event),
            }))
        };
        match order.event {
            Order::Query(holder) => {
                let answer = query(&deps.client, &holder);
                let found = answer.is_ok();
                send(Event::Answered(answer));
                // The printer is asked only once there is something to print.
                if found {
                    send(Event::Printer(printer_state(deps.a4.as_mut())));
                }
            }
            Order::CheckPrinter => send(Event::Printer(printer_state(deps.a4.as_mut()))),
            Order::Print(statement) => {
                let hall = hall_name(store.as_ref());
                send(Event::Printed(print(deps, &hall, &statement)))
            }
        }
    })
}

fn printer_state(a4: &mut dyn A4Sink) -> PrintState {
    match a4.check() {
        Ok(()) => PrintState::Ready,
        Err(p) => PrintState::Unavailable(p),
    }
}

/// Asks the platform. Network trouble is "unreachable": the records are live data and are
/// not cached, so the citizen is told to try again rather than shown something stale.
pub fn query(client: &PlatformClient, holder: &Holder) -> Result<Arc<Statement>, Problem> {
    match client.medical_account(&holder.hash) {
        Ok(Some(account)) => Ok(Arc::new(statement(holder, &account))),
        Ok(None) => Err(Problem::NoRecord),
        Err(e) => {
            // The error's text names no holder (the client never puts one in it).
            match &e {
                ClientError::Http { status, code, .. } => tracing::warn!(
                    status,
                    code = code.as_deref().unwrap_or(""),
                    "medical-insurance query refused"
                ),
                other => tracing::warn!(error = %other, "medical-insurance query failed"),
            }
            Err(Problem::Unreachable)
        }
    }
}

/// The contract's account as the screen and the statement show it.
pub fn statement(holder: &Holder, a: &MedicalAccount) -> Statement {
    Statement {
        holder_name: holder.name.clone(),
        masked_id: holder.masked_id.clone(),
        as_of: a.as_of,
        balance_fen: a.balance_fen,
        months: a
            .months
            .iter()
            .map(|m| MonthRow {
                year: m.month.year,
                month: m.month.month,
                paid: m.contribution.as_ref().map(|c| Paid {
                    base_fen: c.base_fen,
                    employer_fen: c.employer_fen,
                    personal_fen: c.personal_fen,
                    credited_fen: c.credited_fen,
                }),
            })
            .collect(),
        spending: a
            .spending
            .iter()
            .map(|r| SpendRow {
                date: r.date,
                place_zh: r.place_zh.clone(),
                place_en: r.place_en.clone(),
                kind: match r.kind {
                    SpendingKind::Outpatient => SpendKind::Outpatient,
                    SpendingKind::Inpatient => SpendKind::Inpatient,
                    SpendingKind::Pharmacy => SpendKind::Pharmacy,
                },
                amount_fen: r.amount_fen,
                fund_fen: r.fund_fen,
                own_fen: r.own_fen,
            })
            .collect(),
    }
}

/// The hall's name from the cached catalog; a generic title when none was fetched yet.
fn hall_name(store: Option<&Store>) -> String {
    store
        .and_then(|s| s.cached_catalog().ok().flatten())
        .and_then(|(body, _)| serde_json::from_str::<Catalog>(&body).ok())
        .map(|c| c.hall.name_zh)
        .unwrap_or_else(|| "政务服务中心".to_owned())
}

fn print(deps: &mut MedicalWorkerDeps, hall: &str, s: &Statement) -> Result<(), PrintProblem> {
    // The state may have changed since the screen said "ready".
    deps.a4.check()?;
    let started = std::time::Instant::now();
    let pdf = medical_statement::render(
        s,
        hall,
        crate::clock::hall_now().naive_local(),
        deps.font,
    )
    .map_err(|e| {
        tracing::error!(error = %e, "statement layout failed");
        PrintProblem::Fault
    })?;
    tracing::info!(
        bytes = pdf.len(),
        ms = started.elapsed().as_millis() as u64,
        "statement laid out"
    );
    deps.a4.print(&pdf, JOB_NAME)
}

/// The kiosk's IPP printer, until the shared `A4Printer` (which reads the printer's state
/// before a job) lands on main: this one can only tell a fault once a job fails.
pub struct IppA4 {
    /// The printer.
    pub printer: printer::ipp::IppPrinter,
    /// How long a job may take before it counts as failed.
    pub job_timeout: std::time::Duration,
}

impl A4Sink for IppA4 {
    fn check(&mut self) -> Result<(), PrintProblem> {
        Ok(())
    }
    fn print(&mut self, pdf: &[u8], job_name: &str) -> Result<(), PrintProblem> {
        self.printer
            .print_pdf(pdf, job_name, self.job_timeout)
            .map(|_| ())
            .map_err(|e| {
                tracing::warn!(error = %e, "A4 printer");
                match &e {
                    printer::ipp::IppError::JobFailed { reasons, .. }
                        if reasons.contains("media-empty") || reasons.contains("media-needed") =>
                    {
                        PrintProblem::PaperOut
                    }
                    printer::ipp::IppError::Exchange(_) => PrintProblem::Offline,
                    _ => PrintProblem::Fault,
                }
            })
    }
}
