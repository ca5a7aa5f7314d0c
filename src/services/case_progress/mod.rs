//! Following an application ("办件进度"): by the receipt's QR code, by the ID card, or by the
//! case number typed on a keypad. The question goes to the platform off the UI thread.
//!
//! - [`flow`]: the steps; [`worker`]: asks the platform; [`adapter`]: the Slint glue
//!   (`ui/services/case_progress/`).

use std::rc::Rc;

use crate::app::{Cx, Reply, ScannedCode};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use flow::{CaseProgressFlow, Step};

/// What to ask the platform.
#[derive(Clone, PartialEq, Eq)]
pub enum CaseQuery {
    /// One case by its number (`SB-20261124-000042`).
    Number(String),
    /// Every open case of the card holder, by the holder's opaque key (never the ID number).
    Holder(String),
}

impl std::fmt::Debug for CaseQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A case number ties a log line to a person: logs get the kind only.
        match self {
            CaseQuery::Number(_) => f.write_str("CaseQuery::Number(<redacted>)"),
            CaseQuery::Holder(_) => f.write_str("CaseQuery::Holder(<redacted>)"),
        }
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseState {
    /// Received, not yet looked at.
    Received,
    /// Being reviewed.
    InReview,
    /// Approved, being prepared.
    Approved,
    /// Ready: collect it.
    ReadyForPickup,
    /// Refused: see the reason.
    Rejected,
}

/// One step of a case's way through the departments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseStepView {
    /// Step name in Chinese.
    pub name_zh: String,
    /// Step name in English.
    pub name_en: String,
    /// When it was done, hall time `YYYY-MM-DD HH:MM`, or empty.
    pub at: String,
    /// Done yet.
    pub done: bool,
}

/// A case as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseView {
    /// Case number.
    pub case_number: String,
    /// The matter, Chinese.
    pub matter_zh: String,
    /// The matter, English.
    pub matter_en: String,
    /// State.
    pub state: CaseState,
    /// The platform's words for the state, Chinese (may carry a reason).
    pub status_zh: String,
    /// The same in English.
    pub status_en: String,
    /// Last change, hall time `YYYY-MM-DD HH:MM`.
    pub updated_at: String,
    /// The steps, in order.
    pub steps: Vec<CaseStepView>,
    /// Where to collect the result, Chinese (empty when not yet ready).
    pub pickup_zh: String,
    /// The same in English.
    pub pickup_en: String,
}

/// Why no case can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseProblem {
    /// The platform has no case with that number.
    NotFound,
    /// The card holder has no cases.
    NoneForHolder,
    /// The platform cannot be reached now (progress needs the network).
    Unreachable,
    /// The scanned code looks like the hall's receipt but its signature does not verify.
    ForgedCode,
    /// The scanned code is not one of the hall's.
    ForeignCode,
    /// The scanned code is a queue ticket, not a receipt.
    QueueTicketCode,
    /// The scanner could not read the code.
    UnreadableCode,
}

/// The case service's answer.
pub type CaseOutcome = Result<Vec<CaseView>, CaseProblem>;

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The platform's answer (or why there is none).
    Answered(CaseOutcome),
}

/// Where queries go (the worker in the kiosk, a fake in tests). Must not block.
pub trait CasePort {
    /// Asks the platform for session `query.token`.
    fn query(&self, query: Reply<CaseQuery>);
}

impl CasePort for crate::worker::Orders<Reply<CaseQuery>> {
    fn query(&self, query: Reply<CaseQuery>) {
        self.send(query);
    }
}

/// Following a case as the kiosk runs it.
pub struct Service {
    port: Rc<dyn CasePort>,
}

impl Service {
    /// The service over `port`.
    pub fn new(port: Rc<dyn CasePort>) -> Self {
        Self { port }
    }

    /// A new flow for the session, from the menu.
    pub fn start(&self, _cx: &mut Cx) -> CaseProgressFlow {
        CaseProgressFlow::new(self.port.clone())
    }

    /// On the attract screen: a receipt (or a bare case number) starts a session of its own
    /// and asks at once; other codes are not this service's.
    pub fn claim(&self, code: &ScannedCode, cx: &mut Cx) -> Option<CaseProgressFlow> {
        let ScannedCode::Case(number) = code else {
            return None;
        };
        let mut flow = CaseProgressFlow::new(self.port.clone());
        flow.ask(cx, CaseQuery::Number(number.clone()));
        Some(flow)
    }
}

/// Case-number prefixes the hall's platform issues, with the department they stand for: the
/// citizen picks the prefix printed on the receipt, then types the 14 digits.
pub const CASE_PREFIXES: &[(&str, &str, &str)] = &[
    ("SB", "社会保险", "Social insurance"),
    ("JZ", "居住证", "Residence permit"),
    ("HJ", "户籍", "Household registration"),
    ("BDC", "不动产", "Real estate"),
    ("GS", "工商登记", "Business registration"),
    ("YB", "医疗保障", "Medical insurance"),
];

/// Digits after the prefix: an 8-digit date and a 6-digit serial.
pub const CASE_DIGITS: usize = 14;

/// The case number being typed: a prefix and up to 14 digits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseEntry {
    prefix: String,
    digits: String,
}

impl CaseEntry {
    /// Chooses the prefix (one of [`CASE_PREFIXES`]).
    pub fn set_prefix(&mut self, prefix: &str) {
        if CASE_PREFIXES.iter().any(|(p, _, _)| *p == prefix) {
            self.prefix = prefix.to_owned();
        }
    }
    /// The chosen prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    /// A digit key.
    pub fn digit(&mut self, d: char) {
        if d.is_ascii_digit() && self.digits.len() < CASE_DIGITS {
            self.digits.push(d);
        }
    }
    /// Backspace.
    pub fn backspace(&mut self) {
        self.digits.pop();
    }
    /// As shown while typing: `SB-20261124-0000··` (a dot for each digit still to come:
    /// underscores run together into one line on screen).
    pub fn display(&self) -> String {
        let mut s = if self.prefix.is_empty() {
            "··".to_owned()
        } else {
            self.prefix.clone()
        };
        s.push('-');
        for i in 0..CASE_DIGITS {
            if i == 8 {
                s.push('-');
            }
            s.push(self.digits.chars().nth(i).unwrap_or('·'));
        }
        s
    }
    /// The full case number once complete and plausible (the date part is a real date).
    pub fn complete(&self) -> Option<String> {
        if self.prefix.is_empty() || self.digits.len() != CASE_DIGITS {
            return None;
        }
        chrono::NaiveDate::parse_from_str(&self.digits[..8], "%Y%m%d").ok()?;
        Some(format!(
            "{}-{}-{}",
            self.prefix,
            &self.digits[..8],
            &self.digits[8..]
        ))
    }
    /// Digits typed.
    pub fn digits_len(&self) -> usize {
        self.digits.len()
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "case-progress-entry",
    "wait-asking",
    "case-progress-found",
    "case-progress-not-found",
    "case-progress-none-for-holder",
    "unreachable",
    "case-progress-forged-code",
    "case-progress-foreign-code",
    "case-progress-queue-ticket-code",
    "case-progress-unreadable-code",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_a_case_number() {
        let mut e = CaseEntry::default();
        assert_eq!(e.display(), "··-········-······");
        e.set_prefix("XX");
        assert_eq!(e.prefix(), "", "unknown prefixes are not taken");
        e.set_prefix("SB");
        for d in "20261124000042".chars() {
            e.digit(d);
        }
        e.digit('9');
        assert_eq!(e.display(), "SB-20261124-000042");
        assert_eq!(e.complete().as_deref(), Some("SB-20261124-000042"));
        e.backspace();
        assert_eq!(e.complete(), None);
    }

    #[test]
    fn an_impossible_date_is_not_a_case_number() {
        let mut e = CaseEntry::default();
        e.set_prefix("JZ");
        for d in "20261332000001".chars() {
            e.digit(d);
        }
        assert_eq!(e.complete(), None);
    }

    #[test]
    fn queries_do_not_print_their_number() {
        let q = CaseQuery::Number("SB-20261124-000042".into());
        assert!(!format!("{q:?}").contains("000042"));
    }
}
