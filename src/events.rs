//! The event bus: what background threads (devices, workers, sync, staff) report to the UI
//! thread. Plain data: no Slint types, so the threads that send them are tested without a
//! window.

use crate::app::{Citizen, Notice, Reply, ScannedCode};
use crate::services::queue_ticket::Area;
use crate::services::ServiceEvent;

/// An RGBA picture: a card photo, a scanned side of the card, a printed receipt.
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
    /// The reader no longer sees the card that was on it (read or refused).
    CardGone,
    /// A citizen service's worker answered an order of the session named in the reply.
    Service(Reply<ServiceEvent>),
    /// The identity worker answered (identifying without the card).
    Identity(Reply<crate::app::identify::IdentityEvent>),
    /// The catalog (from the platform or the cache).
    Catalog {
        /// Hall name in Chinese.
        hall_zh: String,
        /// Hall name in English.
        hall_en: String,
        /// Where the hall's service desk is, (Chinese, English); empty when the platform
        /// does not say.
        desk: (String, String),
        /// Service areas.
        areas: Vec<Area>,
        /// The hall's notices for the attract screen, (Chinese, English), in order.
        notices: Vec<(String, String)>,
    },
    /// The code scanner read a code (already classified).
    CodeScanned(ScannedCode),
    /// The platform link and the outbox after a sync round (the header's online dot, the
    /// staff screen's detail).
    SyncStatus(crate::app::staff::SyncStatus),
    /// The staff service thread's answer.
    Staff(crate::app::staff::StaffReport),
    /// The technician worker's answer (no personal data: masked lines, device states).
    Technician(crate::diag::console::TechEvent),
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
