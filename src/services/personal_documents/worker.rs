//! The personal-documents worker: the holder's list and one document from the platform,
//! the A4 page laid out with its overlay and rasterised for the preview, and the A4
//! printer (its state read before the job). All of it off the UI thread. The document is
//! masked as it arrives — the holder's full ID number goes no further than [`page`] — and
//! nothing is written anywhere (the demo's folder printer aside, which stands in for paper).

use std::path::PathBuf;
use std::sync::Arc;

use kiosk_platform::api::personal_documents::{Document, DocumentCategory, DocumentSummary};
use kiosk_platform::client::{ClientError, PlatformClient};

use super::{DocumentItem, Event, Order, PagePreview, PrintProblem, Problem, PURPOSES};
use crate::app::{EventSink, KioskEvent, Reply};
use crate::devices::a4_printer::{A4Printer, A4Problem};
use crate::documents::personal_document::{self, Field, PersonalDocument};
use crate::documents::preview;
use crate::services::ServiceEvent;
use crate::store::Store;
use crate::worker::{Spawned, Worker};

/// Height of the preview picture in pixels: the page fills the screen's height below the
/// header (the preview step has no footer), readable without zooming.
pub const PREVIEW_HEIGHT_PX: u32 = 940;

/// What the thread needs.
pub struct DocumentsWorkerDeps {
    /// The platform, which keeps the documents.
    pub client: PlatformClient,
    /// The A4 printer (shared with the other A4 services).
    pub a4: A4Printer,
    /// Font for the PDF.
    pub font: &'static [u8],
    /// Database file: the hall's name comes from the cached catalog.
    pub db_path: PathBuf,
    /// Where answers go.
    pub sink: Arc<dyn EventSink>,
}

/// Starts the worker.
pub fn spawn(deps: DocumentsWorkerDeps) -> std::io::Result<Spawned<Reply<Order>>> {
    let store = Store::open(&deps.db_path)
        .map_err(|e| tracing::error!(error = %e, "documents worker: no store"))
        .ok();
    Worker::spawn(
        "personal-documents",
        (deps, store),
        |(deps, store), order: Reply<Order>| {
            let event = match order.event {
                Order::List { holder } => Event::Listed(list(&deps.client, &holder)),
                Order::Preview {
                    holder,
                    id,
                    purpose,
                } => {
                    let hall = hall_name(store.as_ref());
                    let result = page(deps, &hall, &holder, &id, purpose);
                    Event::Previewed {
                        id,
                        purpose,
                        result,
                    }
                }
                Order::Print { pdf } => Event::Printed(print(&deps.a4, &pdf)),
            };
            deps.sink.send(KioskEvent::Service(Reply {
                token: order.token,
                event: ServiceEvent::PersonalDocuments(event),
            }));
        },
    )
}

fn hall_name(store: Option<&Store>) -> String {
    store
        .and_then(Store::catalog)
        .map(|c| c.hall.name_zh)
        .unwrap_or_default()
}

fn unreachable(e: &ClientError) -> Problem {
    match e {
        ClientError::Http { status, code, .. } => {
            tracing::warn!(
                status,
                code = code.as_deref().unwrap_or(""),
                "documents refused"
            )
        }
        other => tracing::warn!(error = %other, "documents unavailable"),
    }
    Problem::Unreachable
}

/// The holder's list. Documents are the platform's: without it the citizen is told to
/// try later, never shown a copy kept here.
pub fn list(client: &PlatformClient, holder: &str) -> Result<Vec<DocumentItem>, Problem> {
    client
        .documents_of_holder(holder)
        .map(|docs| docs.into_iter().map(item).collect())
        .map_err(|e| unreachable(&e))
}

fn item(d: DocumentSummary) -> DocumentItem {
    DocumentItem {
        id: d.id,
        certificate: d.category == DocumentCategory::Certificate,
        kind: d.kind,
        title_zh: d.title_zh,
        title_en: d.title_en,
        issuer_zh: d.issuer_zh,
        issuer_en: d.issuer_en,
        issued_on: d.issued_on,
        valid_until: d.valid_until,
    }
}

/// An ID number masked for screen and paper: the first 6 and last 4 characters kept
/// (`110101********0017`). Anything too short to keep both is masked whole.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() < 14 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// The document as it may be printed: the holder's ID number masked wherever it appears
/// (its own line, the number of a licence whose number it is, any field that repeats it).
pub fn masked(d: Document, hall_name: &str) -> PersonalDocument {
    let full = d.holder_id_number.trim().to_ascii_uppercase();
    let masked_id = mask_id(&full);
    let scrub = |s: String| -> String {
        // Compared upper-cased: a final check character may come as `x` or `X`.
        if full.len() >= 14 && s.to_ascii_uppercase().contains(&full) {
            s.to_ascii_uppercase().replace(&full, &masked_id)
        } else {
            s
        }
    };
    PersonalDocument {
        kind: d.summary.kind,
        certificate: d.summary.category == DocumentCategory::Certificate,
        title: d.summary.title_zh,
        issuer: d.summary.issuer_zh,
        number: scrub(d.number),
        issued_on: d.summary.issued_on,
        valid_from: d.valid_from,
        valid_until: d.summary.valid_until,
        holder_name: d.holder_name,
        masked_id: masked_id.clone(),
        fields: d
            .fields
            .into_iter()
            .map(|f| Field {
                key: f.key,
                label: f.label_zh,
                value: scrub(f.value),
            })
            .collect(),
        body: d.body_zh.into_iter().map(scrub).collect(),
        table: d
            .table
            .into_iter()
            .map(|row| row.into_iter().map(scrub).collect())
            .collect(),
        hall_name: hall_name.to_owned(),
        printed_on: kiosk_platform::api::hall_service_day(chrono::Utc::now()),
    }
}

/// Fetches the document, lays it out with the purpose's overlay and rasterises that very
/// PDF: the picture on screen is the page that prints.
pub fn page(
    deps: &DocumentsWorkerDeps,
    hall_name: &str,
    holder: &str,
    id: &str,
    purpose: Option<usize>,
) -> Result<PagePreview, Problem> {
    let doc = match deps.client.document(id, holder) {
        Ok(Some(doc)) => doc,
        Ok(None) => return Err(Problem::NotFound),
        Err(e) => return Err(unreachable(&e)),
    };
    let doc = masked(doc, hall_name);
    let overlay = purpose.and_then(|i| PURPOSES.get(i)).map(|p| p.0);
    let started = std::time::Instant::now();
    let pdf = personal_document::render(&doc, overlay, deps.font).map_err(|e| {
        tracing::error!(error = %e, kind = %doc.kind, "document layout failed");
        Problem::Layout
    })?;
    let laid_out = started.elapsed();
    let image = preview::rasterise(&pdf, PREVIEW_HEIGHT_PX).map_err(|e| {
        tracing::error!(error = %e, "document preview failed");
        Problem::Layout
    })?;
    // The kind and the sizes only: what docs/benchmarks.md quotes, nothing of the holder.
    tracing::info!(
        kind = %doc.kind,
        pdf_bytes = pdf.len(),
        layout_ms = laid_out.as_millis() as u64,
        rasterise_ms = (started.elapsed() - laid_out).as_millis() as u64,
        "document page ready"
    );
    Ok(PagePreview {
        pdf: Arc::new(pdf),
        image,
    })
}

fn print_problem(p: A4Problem) -> Problem {
    Problem::Print(match p {
        A4Problem::NoPrinter => PrintProblem::NoPrinter,
        A4Problem::PaperOut => PrintProblem::PaperOut,
        A4Problem::TonerOut => PrintProblem::TonerOut,
        _ => PrintProblem::PrinterFault,
    })
}

/// Reads the printer's state first (paper, toner, offline: the citizen and staff are told
/// before a job is sent), then prints.
pub fn print(a4: &A4Printer, pdf: &[u8]) -> Result<(), Problem> {
    a4.check().map_err(print_problem)?;
    a4.print(pdf, "personal-document").map_err(print_problem)?;
    tracing::info!(bytes = pdf.len(), "personal document printed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_platform::api::personal_documents::DocumentField;

    #[test]
    fn the_holder_number_is_masked_wherever_it_appears() {
        assert_eq!(mask_id("110101198503120017"), "110101********0017");
        assert_eq!(mask_id("123"), "****");
        let id = "31010419900707127x";
        let d = Document {
            summary: DocumentSummary {
                id: "DL-1".into(),
                category: DocumentCategory::Licence,
                kind: "driving_licence".into(),
                title_zh: "机动车驾驶证".into(),
                title_en: "Driving licence".into(),
                issuer_zh: "交警".into(),
                issuer_en: "Police".into(),
                issued_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                valid_until: None,
            },
            number: id.into(),
            valid_from: None,
            holder_name: "刘洋".into(),
            holder_id_number: id.into(),
            fields: vec![DocumentField {
                key: "note".into(),
                label_zh: "备注".into(),
                label_en: "Note".into(),
                value: format!("证号{id}"),
            }],
            body_zh: vec![],
            table: vec![],
        };
        let m = masked(d, "示范市政务服务中心");
        assert_eq!(m.masked_id, "310104********127X");
        assert_eq!(m.number, "310104********127X");
        assert_eq!(m.fields[0].value, "证号310104********127X");
    }
}
