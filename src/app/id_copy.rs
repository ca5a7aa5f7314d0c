//! Copying the ID card: pick what the copy is for, scan the front, scan the back, look at the
//! page, print. The scans live in the session only; nothing is kept after it.

use super::RgbaImage;

/// A side of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardSide {
    /// The side with the photo (人像面).
    Front,
    /// The side with the national emblem (国徽面).
    Back,
}

/// What the overlay says the copy is for: `仅供{purpose}使用`. The citizen picks one.
pub const COPY_PURPOSES: &[(&str, &str)] = &[
    ("办理社保业务", "Social insurance matters"),
    ("办理居住证", "Residence permit"),
    ("办理户籍业务", "Household registration"),
    ("办理不动产登记", "Real-estate registration"),
    ("办理银行业务", "Banking"),
    ("办理入学手续", "School enrolment"),
];

/// Why a side could not be scanned, as the citizen is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanProblem {
    /// Nothing card-shaped on the glass: lay the card as shown.
    NoCard,
    /// Something is on the glass but it is not a card (a sheet, two cards, a hand).
    NotACard,
    /// The scanner's lid is open.
    CoverOpen,
    /// The scanner is busy, missing or broken: staff have been told.
    ScannerFault,
}

/// Why the copy did not print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyPrintProblem {
    /// The A4 printer has no paper.
    PaperOut,
    /// The A4 printer is missing, jammed or refused the job.
    PrinterFault,
    /// No A4 printer is configured on this kiosk.
    NoPrinter,
}

/// What the copy service is asked to print.
#[derive(Clone, PartialEq, Eq)]
pub struct CopyOrder {
    /// Cropped front side.
    pub front: RgbaImage,
    /// Cropped back side.
    pub back: RgbaImage,
    /// The purpose for the overlay.
    pub purpose: String,
}

impl std::fmt::Debug for CopyOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyOrder")
            .field("front", &self.front)
            .field("back", &self.back)
            .finish_non_exhaustive()
    }
}

/// Scans and prints off the UI thread; answers come back through
/// [`SessionController::copy_scanned`](super::SessionController::copy_scanned) and
/// [`SessionController::copy_printed`](super::SessionController::copy_printed).
pub trait CopyService {
    /// Scans one side. Must not block.
    fn scan(&self, side: CardSide);
    /// Prints the page. Must not block.
    fn print(&self, order: CopyOrder);
}

/// A service that is not there: nothing is ever scanned.
pub struct NoCopyService;

impl CopyService for NoCopyService {
    fn scan(&self, _side: CardSide) {}
    fn print(&self, _order: CopyOrder) {}
}

/// Where one side stands on the scan page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SideState {
    /// Not scanned yet: the screen shows how to lay the card.
    Waiting,
    /// The scanner is running.
    Scanning,
    /// Scanned and cropped.
    Done(RgbaImage),
    /// The scan failed: what to do.
    Failed(ScanProblem),
}

/// Where printing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyPrintState {
    /// Not asked yet.
    NotYet,
    /// Sent to the printer.
    Printing,
    /// Printed: collect it.
    Printed,
    /// Failed.
    Failed(CopyPrintProblem),
}

/// The copy being made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyJob {
    /// Index into [`COPY_PURPOSES`].
    pub purpose: Option<usize>,
    /// The side on the scan page now.
    pub side: CardSide,
    /// Front.
    pub front: SideState,
    /// Back.
    pub back: SideState,
    /// Printing.
    pub print: CopyPrintState,
}

impl Default for CopyJob {
    fn default() -> Self {
        Self {
            purpose: None,
            side: CardSide::Front,
            front: SideState::Waiting,
            back: SideState::Waiting,
            print: CopyPrintState::NotYet,
        }
    }
}

impl CopyJob {
    /// The state of `side`.
    pub fn side_state(&self, side: CardSide) -> &SideState {
        match side {
            CardSide::Front => &self.front,
            CardSide::Back => &self.back,
        }
    }

    pub(super) fn side_state_mut(&mut self, side: CardSide) -> &mut SideState {
        match side {
            CardSide::Front => &mut self.front,
            CardSide::Back => &mut self.back,
        }
    }

    /// The overlay purpose in Chinese (what goes on paper).
    pub fn purpose_zh(&self) -> Option<&'static str> {
        self.purpose.and_then(|i| COPY_PURPOSES.get(i)).map(|p| p.0)
    }

    /// Both sides, once both are scanned.
    pub fn order(&self) -> Option<CopyOrder> {
        match (&self.front, &self.back, self.purpose_zh()) {
            (SideState::Done(f), SideState::Done(b), Some(p)) => Some(CopyOrder {
                front: f.clone(),
                back: b.clone(),
                purpose: p.to_owned(),
            }),
            _ => None,
        }
    }
}
