//! What background threads report to the UI thread. Plain data: no Slint types, so the
//! threads that send them are tested without a window.

use super::id_copy::{CardSide, CopyPrintProblem, ScanProblem};
use super::progress::CaseOutcome;
use super::session_controller::{Area, Notice, ScannedCode, TicketOutcome};
use super::Citizen;

/// An RGBA picture (a printed receipt, for the demo panel).
#[derive(Clone, PartialEq, Eq)]
pub struct RgbaImage {
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub pixels: Vec<u8>,
}

impl std::fmt::Debug for RgbaImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbaImage({}x{})", self.width, self.height)
    }
}

/// An event for the UI thread.
#[derive(Debug, Clone)]
pub enum KioskEvent {
    /// A valid card was read.
    CardRead(Citizen),
    /// A card was presented but cannot start a session.
    CardRefused(Notice),
    /// The ticket service finished an order.
    TicketFinished(TicketOutcome),
    /// The catalog (from the platform or the cache).
    Catalog {
        /// Hall name in Chinese.
        hall_zh: String,
        /// Hall name in English.
        hall_en: String,
        /// Service areas.
        areas: Vec<Area>,
    },
    /// The code scanner read a code (already classified).
    CodeScanned(ScannedCode),
    /// The platform's answer to a progress query.
    CaseAnswer(CaseOutcome),
    /// The document scanner's answer for one side of the card.
    CopyScanned(CardSide, Result<RgbaImage, ScanProblem>),
    /// The A4 printer's answer for an ID-card copy.
    CopyPrinted(Result<(), CopyPrintProblem>),
    /// The platform link and the outbox after a sync round (the header's online dot, the
    /// staff screen's detail).
    SyncStatus(super::staff::SyncStatus),
    /// The staff service thread's answer.
    Staff(super::staff::StaffReport),
    /// Demo: the virtual printer cut a receipt.
    ReceiptPrinted(RgbaImage),
    /// Demo: a line for the operator panel, written by the demo rig from the health board's
    /// typed device states (no personal data); nothing parses it.
    OperatorStatus(String),
}

/// Where background threads send events. Implemented by the UI (through Slint's event loop)
/// and by fakes in tests.
pub trait EventSink: Send + Sync {
    /// Delivers an event; must not block.
    fn send(&self, event: KioskEvent);
}

/// Collects events, for tests.
#[derive(Default)]
pub struct RecordingSink(pub std::sync::Mutex<Vec<KioskEvent>>);

impl EventSink for RecordingSink {
    fn send(&self, event: KioskEvent) {
        if let Ok(mut v) = self.0.lock() {
            v.push(event);
        }
    }
}
