//! The certificate worker: the kinds from the cached catalog, the citizen's data from the
//! platform, the A4 layout and its preview (pdftoppm, a few hundred milliseconds: never on the
//! UI thread), then the A4 printer and the receipt slip. It keeps nothing between orders: the
//! PDF and its preview travel to the flow and back.

use std::path::PathBuf;
use std::sync::Arc;

use kiosk_platform::api::certificate::{CertificateOffer, CertificateRequest, ERROR_NO_RECORD};
use kiosk_platform::client::{ClientError, PlatformClient};

use super::{Event, KindView, Order, PrepareOrder, Prepared, PrintFailure, PrintedView, Problem};
use crate::app::{EventSink, KioskEvent, Reply};
use crate::devices::a4_printer::{A4Printer, A4Problem};
use crate::devices::printer_manager::PrinterHandle;
use crate::documents::certificate::{self, Certificate, CertificateKind};
use crate::documents::certificate_slip::{self, CertificateSlip};
use crate::services::ServiceEvent;
use crate::store::Store;
use crate::worker::{Spawned, Worker};

/// Height of the preview picture: the page fills the screen's height at about this size
/// (A4 at 1100 px is ~780 px wide, its 10.5 pt table text ~14 px: readable).
pub const PREVIEW_HEIGHT_PX: u32 = 1100;

/// How long a certificate that failed to print is kept for staff to reprint: the rest of
/// the hall's day. After that the store's maintenance deletes it, reprinted or not, and the
/// citizen asks again (the platform issues it again).
pub const REPRINT_KEEP: chrono::Duration = chrono::Duration::hours(8);

/// What the thread needs.
pub struct CertificateWorkerDeps {
    /// Database file (the cached catalog).
    pub db_path: PathBuf,
    /// The platform.
    pub client: PlatformClient,
    /// The A4 printer.
    pub a4: A4Printer,
    /// The receipt printer (the slip).
    pub printer: PrinterHandle,
    /// Font for the PDF.
    pub font: &'static [u8],
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
}

/// Opens the worker's own store connection and starts it.
pub fn spawn(deps: CertificateWorkerDeps) -> anyhow::Result<Spawned<Reply<Order>>> {
    let store = Store::open(&deps.db_path)?;
    Ok(Worker::spawn(
        "certificate",
        (store, deps),
        |(store, deps), order: Reply<Order>| {
            let event = match order.event {
                Order::Kinds => Event::Kinds(kinds(store)),
                Order::Prepare(p) => Event::Prepared(prepare(store, deps, &p).map(Arc::new)),
                Order::Print(doc) => Event::Printed(print(store, deps, &doc)),
            };
            deps.sink.send(KioskEvent::Service(Reply {
                token: order.token,
                event: ServiceEvent::Certificate(event),
            }));
        },
    )?)
}

/// The kinds the kiosk offers: those of the catalog it has a layout for, in the catalog's
/// order. A kind the catalog lists without a layout here, and a layout the catalog does not
/// list, are both left out.
pub fn offered_kinds(offers: &[CertificateOffer]) -> Vec<Arc<KindView>> {
    offers
        .iter()
        .filter_map(|o| {
            Some(Arc::new(KindView {
                kind: CertificateKind::from_code(&o.code)?,
                name_zh: o.name_zh.clone(),
                name_en: o.name_en.clone(),
                use_zh: o.use_zh.clone(),
                use_en: o.use_en.clone(),
            }))
        })
        .collect()
}

fn kinds(store: &Store) -> Result<Vec<Arc<KindView>>, Problem> {
    let catalog = store.catalog().ok_or(Problem::NoKinds)?;
    Ok(offered_kinds(&catalog.certificate_kinds))
}

/// What the citizen is told for an A4 printer problem (staff see it on the health board,
/// which [`A4Printer`] has already told).
fn a4_problem(p: A4Problem) -> Problem {
    match p {
        A4Problem::PaperOut => Problem::PaperOut,
        A4Problem::TonerOut => Problem::TonerOut,
        A4Problem::NoPrinter
        | A4Problem::Jam
        | A4Problem::CoverOpen
        | A4Problem::Offline
        | A4Problem::JobFailed => Problem::A4Fault,
    }
}

/// Asks the platform and lays the certificate out. The printer's state is read first: a
/// citizen is not given a case number for a page that cannot come out.
fn prepare(
    store: &Store,
    deps: &CertificateWorkerDeps,
    order: &PrepareOrder,
) -> Result<Prepared, Problem> {
    deps.a4.check().map_err(a4_problem)?;
    let request = CertificateRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        kind: order.kind.kind.code().to_owned(),
        holder: order.holder.clone(),
    };
    let issued = match deps.client.issue_certificate(&request) {
        Ok(c) => c,
        Err(ClientError::Http {
            status: 404, code, ..
        }) if code.as_deref() == Some(ERROR_NO_RECORD) => {
            tracing::info!(kind = order.kind.kind.code(), "no record for the citizen");
            return Err(Problem::NoRecord);
        }
        Err(e) => {
            tracing::warn!(error = %e, "certificate data unavailable");
            return Err(Problem::Unreachable);
        }
    };
    let hall_name = store.hall().name_zh;
    let doc = Certificate {
        kind: order.kind.kind,
        name: order.name.clone(),
        masked_id: order.masked_id.clone(),
        body: issued.body,
        table: issued.table,
        issued_on: issued.issued_on,
        hall_name,
        issuer: issued.issuer,
        case_number: issued.case_number.clone(),
        verify_url: issued.verify_url,
    };
    let pdf = certificate::render(&doc, deps.font).map_err(|e| {
        tracing::error!(error = %e, "certificate layout failed");
        Problem::Document
    })?;
    let started = std::time::Instant::now();
    let preview = crate::documents::preview::rasterise(&pdf, PREVIEW_HEIGHT_PX).map_err(|e| {
        tracing::error!(error = %e, "certificate preview failed");
        Problem::Document
    })?;
    tracing::info!(
        kind = order.kind.kind.code(),
        pdf_bytes = pdf.len(),
        preview_ms = started.elapsed().as_millis() as u64,
        "certificate ready to check"
    );
    Ok(Prepared {
        kind: order.kind.clone(),
        case_number: issued.case_number,
        issued_on: issued.issued_on,
        masked_id: order.masked_id.clone(),
        pdf,
        preview,
    })
}

/// Prints the certificate, then the slip. A slip that does not print leaves the certificate
/// printed (the case number is on it too): the citizen is told, staff see the printer.
fn print(
    store: &Store,
    deps: &CertificateWorkerDeps,
    doc: &Prepared,
) -> Result<PrintedView, PrintFailure> {
    let job = format!("certificate-{}", doc.case_number);
    if let Err(p) = deps.a4.print(&doc.pdf, &job) {
        tracing::warn!(problem = ?p, "certificate did not print");
        // Staff can fix the printer and print it at the service desk: keep it, sealed, for
        // as long as that makes sense (a kiosk without an A4 printer keeps nothing).
        let kept = p != A4Problem::NoPrinter && {
            let now = chrono::Utc::now();
            match store.keep_for_reprint(&job, &doc.pdf, now, now + REPRINT_KEEP) {
                Ok(_) => true,
                Err(e) => {
                    tracing::error!(error = %e, "cannot keep the certificate for a reprint");
                    false
                }
            }
        };
        return Err(PrintFailure {
            problem: a4_problem(p),
            case_number: doc.case_number.clone(),
            kept,
        });
    }
    let hall = store.hall();
    let slip = certificate_slip::render(&CertificateSlip {
        hall_name: hall.name_zh,
        hall_name_en: hall.name_en,
        kind_zh: doc.kind.name_zh.clone(),
        kind_en: doc.kind.name_en.clone(),
        case_number: doc.case_number.clone(),
        issued_on: doc.issued_on,
        masked_id: doc.masked_id.clone(),
    });
    let slip = match deps.printer.print(slip) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "certificate slip did not print");
            if let Err(err) =
                store.record_device_event("printer", "fault", &e.to_string(), chrono::Utc::now())
            {
                tracing::error!("cannot record the printer fault: {err}");
            }
            false
        }
    };
    tracing::info!(kind = doc.kind.kind.code(), slip, "certificate printed");
    Ok(PrintedView {
        kind: doc.kind.clone(),
        case_number: doc.case_number.clone(),
        slip,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(code: &str) -> CertificateOffer {
        CertificateOffer {
            code: code.into(),
            name_zh: format!("{code} zh"),
            name_en: format!("{code} en"),
            use_zh: String::new(),
            use_en: String::new(),
        }
    }

    #[test]
    fn only_kinds_both_listed_and_laid_out_are_offered() {
        // The catalog lists one kind the kiosk has no layout for, and leaves out one the
        // kiosk could print.
        let catalog = [
            offer("household_register"),
            offer("marriage_record"),
            offer("social_insurance"),
        ];
        let kinds: Vec<CertificateKind> = offered_kinds(&catalog).iter().map(|k| k.kind).collect();
        assert_eq!(
            kinds,
            [
                CertificateKind::HouseholdRegister,
                CertificateKind::SocialInsuranceContribution
            ],
            "catalog order, no marriage record, no no-housing proof"
        );
        assert_eq!(offered_kinds(&catalog)[0].name_zh, "household_register zh");
        assert!(offered_kinds(&[]).is_empty());
    }

    #[test]
    fn the_simulated_platform_signs_with_the_demo_halls_key() {
        // The demo kiosk's `[codes]` key must be the simulator's, or the kiosk would call
        // its own certificates forged.
        assert_eq!(
            kiosk_platform::sim::DEMO_VERIFY_KEY,
            crate::documents::samples::SAMPLE_SIGNING_KEY
        );
    }

    #[test]
    fn every_a4_problem_has_words_for_the_citizen() {
        assert_eq!(a4_problem(A4Problem::PaperOut), Problem::PaperOut);
        assert_eq!(a4_problem(A4Problem::TonerOut), Problem::TonerOut);
        assert_eq!(a4_problem(A4Problem::Offline), Problem::A4Fault);
    }
}
