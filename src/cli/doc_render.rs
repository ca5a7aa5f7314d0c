//! Rendering of each document kind from sample data, shared by `kiosk doc render`, the tests
//! and the benches.

use crate::assets::RECEIPT_FONT;
use crate::documents::certificate::{self, CertificateKind};
use crate::documents::{
    apply_receipt, appointment_slip, certificate_slip, fine_receipt, form, id_copy, queue_ticket,
    samples,
};

/// The documents `kiosk doc render` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocKind {
    /// Queue ticket (receipt, PNG).
    QueueTicket,
    /// Appointment slip (receipt, PNG).
    AppointmentSlip,
    /// An application's acceptance receipt (receipt, PNG).
    AcceptanceReceipt,
    /// The slip printed with a certificate (receipt, PNG).
    CertificateSlip,
    /// A paid traffic fine's receipt (receipt, PNG).
    FineReceipt,
    /// Social-insurance contribution proof (A4 PDF).
    SocialInsuranceProof,
    /// No-housing-property proof (A4 PDF).
    NoHousingProof,
    /// Residence-permit form, blank (A4 PDF).
    FormBlank,
    /// Residence-permit form, pre-filled from the ID card (A4 PDF).
    FormFilled,
    /// ID-card copy page (A4 PDF).
    IdCopy,
}

impl DocKind {
    /// `png` for receipts, `pdf` for A4.
    pub fn extension(self) -> &'static str {
        match self {
            DocKind::QueueTicket
            | DocKind::AppointmentSlip
            | DocKind::AcceptanceReceipt
            | DocKind::CertificateSlip
            | DocKind::FineReceipt => "png",
            _ => "pdf",
        }
    }
}

/// The sample of `kind`: PNG bytes (receipts, through the virtual printer's parser and
/// renderer) or PDF bytes (A4).
pub fn render_sample(kind: DocKind) -> anyhow::Result<Vec<u8>> {
    Ok(match kind {
        DocKind::QueueTicket => receipt_png(&queue_ticket::render(&samples::ticket()))?,
        DocKind::AppointmentSlip => {
            receipt_png(&appointment_slip::render(&samples::appointment_slip(true)))?
        }
        DocKind::AcceptanceReceipt => receipt_png(&apply_receipt::render(
            &samples::acceptance_receipt(Some("LR-20261201-000101")),
        ))?,
        DocKind::CertificateSlip => {
            receipt_png(&certificate_slip::render(&samples::certificate_slip()))?
        }
        DocKind::FineReceipt => receipt_png(&fine_receipt::render(&samples::fine_receipt()))?,
        DocKind::SocialInsuranceProof => certificate::render(
            &samples::certificate(CertificateKind::SocialInsuranceContribution),
            RECEIPT_FONT,
        )?,
        DocKind::NoHousingProof => certificate::render(
            &samples::certificate(CertificateKind::NoHousingProperty),
            RECEIPT_FONT,
        )?,
        DocKind::FormBlank => form::render(
            &samples::form_template(),
            &form::FormFill::blank(),
            RECEIPT_FONT,
        )?,
        DocKind::FormFilled => form::render(
            &samples::form_template(),
            &samples::form_fill(),
            RECEIPT_FONT,
        )?,
        DocKind::IdCopy => id_copy::render(&samples::id_copy(), RECEIPT_FONT)?,
    })
}

/// ESC/POS bytes → PNG, the way the virtual printer does it (first receipt of the job).
pub fn receipt_png(job: &[u8]) -> anyhow::Result<Vec<u8>> {
    let font = printer::virtual_printer::FontData::from_bytes(RECEIPT_FONT)?;
    let receipt = printer::virtual_printer::parse_all(job)
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the job has no cut receipt"))?;
    let image = printer::virtual_printer::render(&receipt, &font);
    Ok(printer::virtual_printer::encode_png(&image))
}
