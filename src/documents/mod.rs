//! Documents and receipts: layouts only (bytes out, no I/O).
//!
//! - [`queue_ticket`]: the queue ticket as ESC/POS bytes (80 mm receipt printer).
//! - [`appointment_slip`]: the appointment slip, likewise.
//! - [`certificate`]: A4 certificates (social-insurance contribution proof, no-housing-property
//!   proof, household-register proof) with a signed verification QR code ([`verification`]).
//! - [`certificate_slip`]: the receipt slip with a printed certificate's case number (ESC/POS).
//! - [`fine_receipt`]: the receipt of a paid traffic fine (ESC/POS), serial and amount large.
//! - [`form`]: A4 forms, blank or pre-filled from the ID card.
//! - [`sample_form`]: a sample form's page images (blank or filled-in sample), one per A4 page.
//! - [`medical_statement`]: the medical-insurance statement (医保个人账户对账单), one A4 page
//!   with the monthly spending as a vector bar chart.
//! - [`id_copy`]: the ID-card copy page, both sides at true size with a "仅供…使用" overlay.
//! - [`personal_document`]: a citizen's electronic licence or earlier certificate, from its
//!   data, per-kind template or generic table, with a tiled "仅供…使用" overlay.
//! - [`pdf`]: the A4 drawing layer over printpdf (embedded CJK font subset).
//! - [`preview`]: the PDF that prints, rasterised for the screen (the one module here that
//!   does I/O: it runs poppler's `pdftoppm`; call it off the UI thread).
//! - [`samples`]: sample data for `kiosk doc render`, the tests and the benches.

pub mod apply_receipt;
pub mod appointment_slip;
pub mod certificate;
pub mod certificate_slip;
pub mod fine_receipt;
pub mod form;
pub mod id_copy;
pub mod medical_statement;
pub mod pdf;
pub mod personal_document;
pub mod preview;
pub mod queue_ticket;
pub mod sample_form;
pub mod samples;
pub mod verification;

/// Why a document could not be laid out. None of these carries personal data.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The font could not be parsed or embedded.
    #[error("font: {0}")]
    Font(String),
    /// printpdf could not write the document.
    #[error("PDF: {0}")]
    Pdf(String),
    /// The QR payload does not fit a QR code.
    #[error("QR code: {0}")]
    Qr(String),
    /// An input image is not usable.
    #[error("image: {0}")]
    Image(String),
}
