//! The shell: the session, the router and the flow trait every citizen service implements;
//! and the staff console's rules. No Slint, no I/O: dependencies come in as traits, time
//! comes in as a `Duration` since start, so every rule here is unit-tested with fakes.
//!
//! # Layout
//! - [`session`]: the citizen, language, idle timer, attract notice and session token.
//! - [`flow`]: the [`Flow`] trait (steps, back, idle, footer, answers, codes) and the
//!   [`Registry`] the router starts flows from (`crate::services` implements both).
//! - [`router`]: attract, menu or the active flow; it alone owns back, finish, tick and wipe.
//! - [`rating`]: the rating step after a session that used a service (好差评).
//! - [`citizen`], [`idle_timer`]: what the card gives, and the idle countdown.
//! - [`identify`], [`id_number`]: identifying without the card (typed number and SMS
//!   code, or an e-ID code), and the typed number's checks.
//! - [`masking`]: how names, ID numbers and phones are masked where the full value is not
//!   needed (every adapter and the technician's test card use it).
//! - [`staff`]: the hall staff screen's rules.
//! - [`take_card`]: "take your ID card" on the way out of a session that used it.

pub mod citizen;
pub mod flow;
pub mod id_number;
pub mod identify;
pub mod idle_timer;
pub mod masking;
pub mod rating;
pub mod reference;
pub mod router;
pub mod session;
pub mod staff;
pub mod take_card;

pub use citizen::Citizen;
pub use flow::{Chrome, Cx, Flow, IdlePolicy, Nav, Progress, Registry};
pub use idle_timer::{IdleState, IdleTimer};
pub use rating::{Level, Rated, Rating, RatingPort, RatingStep, Reason};
pub use router::{Router, Screen};
pub use session::{Lang, MenuNotice, Notice, Reply, ScannedCode, Session, SessionToken};
pub use take_card::{CardPlace, TakeCard};

// The event bus and the catalog's areas, where the device and sync threads have always
// found them.
pub use crate::events::{EventSink, KioskEvent, RecordingSink, RgbaImage};
pub use crate::services::queue_ticket::Area;
