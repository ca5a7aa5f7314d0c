//! The medical-insurance worker: asks the platform for the card holder's account, then the
//! A4 printer whether it could print the statement now; on "print", lays the statement out
//! and prints it on the kiosk's shared [`A4Printer`], asking the printer again first. The PDF
//! lives in memory only (the demo's folder printer aside, which stands in for paper).

use std::path::PathBuf;
use std::sync::Arc;

use kiosk_platform::api::medical_insurance::{MedicalAccount, SpendingKind};
use kiosk_platform::client::{ClientError, PlatformClient};

use super::{
    Event, Holder, MonthRow, Order, Paid, PrintProblem, PrintState, Problem, SpendKind, SpendRow,
    Statement,
};
use crate::app::{EventSink, KioskEvent, Reply};
use crate::devices::a4_printer::{A4Printer, A4Problem};
use crate::documents::medical_statement;
use crate::services::ServiceEvent;
use crate::store::Store;
use crate::worker::{Spawned, Worker};

/// What the thread needs.
pub struct MedicalWorkerDeps {
    /// The platform.
    pub client: PlatformClient,
    /// The kiosk's A4 printer (shared with the other services that print A4).
    pub a4: A4Printer,
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
    Worker::spawn(
        "medical-insurance",
        (deps, store),
        |(deps, store), order: Reply<Order>| {
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
                        send(Event::Printer(printer_state(&deps.a4)));
                    }
                }
                Order::CheckPrinter => send(Event::Printer(printer_state(&deps.a4))),
                Order::Print(statement) => {
                    let hall = hall_name(store.as_ref());
                    send(Event::Printed(print(deps, &hall, &statement)))
                }
            }
        },
    )
}

fn printer_state(a4: &A4Printer) -> PrintState {
    match a4.check() {
        Ok(()) => PrintState::Ready,
        Err(p) => PrintState::Unavailable(print_problem(p)),
    }
}

/// What the citizen is told for the printer's problem.
pub fn print_problem(p: A4Problem) -> PrintProblem {
    match p {
        A4Problem::NoPrinter => PrintProblem::NoPrinter,
        A4Problem::PaperOut => PrintProblem::PaperOut,
        A4Problem::TonerOut => PrintProblem::TonerOut,
        A4Problem::Jam => PrintProblem::Jam,
        A4Problem::CoverOpen => PrintProblem::CoverOpen,
        A4Problem::Offline => PrintProblem::Offline,
        A4Problem::JobFailed => PrintProblem::Fault,
    }
}

/// Asks the platform. Network trouble is "unreachable": the records are live data and are
/// not cached, so the citizen is told to try again rather than shown something stale.
pub fn query(client: &PlatformClient, holder: &Holder) -> Result<Arc<Statement>, Problem> {
    match client.medical_account(&holder.hash) {
        Ok(Some(account)) => Ok(Arc::new(statement(holder, &account))),
        Ok(None) => Err(Problem::NoRecord),
        Err(e) => {
            // The class only: a transport error's text may quote the request's URL, which
            // carries the holder hash (the sync worker logs the link's trouble in full).
            match &e {
                ClientError::Http { status, code, .. } => tracing::warn!(
                    status,
                    code = code.as_deref().unwrap_or(""),
                    "medical-insurance query refused"
                ),
                ClientError::Network(_) | ClientError::Certificate(_) => {
                    tracing::warn!("medical-insurance query: platform unreachable")
                }
                ClientError::Decode(_) => {
                    tracing::warn!("medical-insurance query: answer breaks the contract")
                }
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
        .and_then(Store::catalog)
        .map(|c| c.hall.name_zh)
        .unwrap_or_else(|| "政务服务中心".to_owned())
}

fn print(deps: &mut MedicalWorkerDeps, hall: &str, s: &Statement) -> Result<(), PrintProblem> {
    // The state may have changed since the screen said "ready": nothing is laid out for a
    // printer that cannot print it.
    deps.a4.check().map_err(print_problem)?;
    let started = std::time::Instant::now();
    let pdf = medical_statement::render(s, hall, crate::clock::hall_now().naive_local(), deps.font)
        .map_err(|e| {
            tracing::error!(error = %e, "statement layout failed");
            PrintProblem::Fault
        })?;
    tracing::info!(
        bytes = pdf.len(),
        ms = started.elapsed().as_millis() as u64,
        "statement laid out"
    );
    // `print` asks the printer once more, then follows the job to its end.
    deps.a4.print(&pdf, JOB_NAME).map_err(print_problem)
}
