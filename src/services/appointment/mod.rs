//! Booking an appointment (办事预约): choose the matter (from the catalog, with what to
//! bring), a day among the next working days and a slot with places left, leave a mobile
//! number for the SMS; the booking goes into the outbox and, when the platform answers at
//! once, is confirmed; the slip prints either way ("pending confirmation" offline).
//!
//! On the day the citizen checks in — "签到" beside today's appointment, or the slip's QR
//! code scanned at the attract screen or on the matter page — and gets a priority queue
//! ticket from the platform; too early, too late, cancelled or another day is said plainly,
//! with an ordinary ticket one touch away. When a card is read, the platform's answers to
//! bookings the citizen has not been told of (made while it was away) go on the menu.
//!
//! - [`flow`]: the steps; [`worker`]: the catalog's matters, the platform's slots, the
//!   booking and the slip, off the UI thread; [`adapter`]: the Slint glue
//!   (`ui/services/appointment/`).

use std::rc::Rc;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveTime};
use kiosk_platform::api::appointment::NoticeOutcome;

use crate::app::{Cx, MenuNotice, Reply, ScannedCode};

pub mod adapter;
pub mod flow;
pub mod worker;

pub use flow::{AppointmentFlow, Step};

/// Devices a booking needs (the slip). It also needs the platform for the slots.
pub const NEEDS: &[super::Device] = &[super::Device::Printer];

/// A matter as the citizen chooses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatterView {
    /// Catalog code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What to bring, Chinese.
    pub bring_zh: Vec<String>,
    /// What to bring, English.
    pub bring_en: Vec<String>,
    /// Area code where it is handled.
    pub area_code: String,
    /// The area's Chinese name (the code when the catalog has none).
    pub area_zh: String,
    /// The area's English name.
    pub area_en: String,
}

/// One slot of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotView {
    /// Hall-local start.
    pub start: NaiveTime,
    /// Hall-local end.
    pub end: NaiveTime,
    /// Places left; `0` is full (shown, not choosable).
    pub remaining: u32,
}

/// One open day and its slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayView {
    /// Hall-local date.
    pub date: NaiveDate,
    /// Its slots in time order.
    pub slots: Vec<SlotView>,
}

impl DayView {
    /// Whether any slot of the day has a place.
    pub fn has_room(&self) -> bool {
        self.slots.iter().any(|s| s.remaining > 0)
    }
}

/// What the citizen asked to book.
#[derive(Clone, PartialEq, Eq)]
pub struct BookOrder {
    /// The matter (shared: it travels from the catalog through every step to the slip).
    pub matter: Arc<MatterView>,
    /// The day.
    pub date: NaiveDate,
    /// The slot.
    pub slot: SlotView,
    /// Mobile number for the SMS (personal data).
    pub phone: String,
    /// For the slip.
    pub masked_id: String,
    /// The citizen's holder hash: the platform's "one citizen, one booking per time".
    pub holder: String,
}

impl std::fmt::Debug for BookOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookOrder")
            .field("matter", &self.matter.code)
            .field("date", &self.date)
            .field("slot", &self.slot.start)
            .finish_non_exhaustive()
    }
}

/// What the worker is asked to do.
#[derive(Clone, PartialEq, Eq)]
pub enum Order {
    /// The matters of the cached catalog.
    Matters,
    /// The citizen's confirmed upcoming appointments, from the platform.
    Upcoming {
        /// The citizen's holder hash.
        holder: String,
    },
    /// The open days and slots of a matter.
    Slots {
        /// Matter code.
        matter: String,
    },
    /// Book, then print the slip.
    Book(BookOrder),
    /// Cancel one of the citizen's appointments.
    Cancel {
        /// The booking.
        booking_id: String,
        /// The citizen's holder hash.
        holder: String,
    },
    /// Check in for a booking on the day; print the priority ticket.
    CheckIn {
        /// The booking (from the citizen's list, or the slip's QR code).
        booking_id: String,
        /// For the ticket; empty when the session has no card (a scanned slip).
        masked_id: String,
    },
    /// Issue and print an ordinary queue ticket (check-in was refused).
    OrdinaryTicket {
        /// The booked matter's area.
        area_code: String,
        /// For the ticket; empty when the session has no card.
        masked_id: String,
    },
    /// The platform's answers to the citizen's booking requests not yet told.
    Notices {
        /// The citizen's holder hash.
        holder: String,
    },
    /// The citizen was told of these answers (no event comes back).
    NoticesSeen {
        /// The citizen's holder hash.
        holder: String,
        /// The bookings.
        booking_ids: Vec<String>,
    },
}

impl std::fmt::Debug for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The holder hash ties a log line to a person: logs get the kind only.
        match self {
            Order::Matters => f.write_str("Matters"),
            Order::Upcoming { .. } => f.write_str("Upcoming(<redacted>)"),
            Order::Slots { matter } => f.debug_struct("Slots").field("matter", matter).finish(),
            Order::Book(b) => f.debug_tuple("Book").field(b).finish(),
            Order::Cancel { booking_id, .. } => f
                .debug_struct("Cancel")
                .field("booking_id", booking_id)
                .finish_non_exhaustive(),
            Order::CheckIn { booking_id, .. } => f
                .debug_struct("CheckIn")
                .field("booking_id", booking_id)
                .finish_non_exhaustive(),
            Order::OrdinaryTicket { area_code, .. } => f
                .debug_struct("OrdinaryTicket")
                .field("area_code", area_code)
                .finish_non_exhaustive(),
            Order::Notices { .. } => f.write_str("Notices(<redacted>)"),
            Order::NoticesSeen { booking_ids, .. } => f
                .debug_struct("NoticesSeen")
                .field("booking_ids", booking_ids)
                .finish_non_exhaustive(),
        }
    }
}

/// One of the citizen's confirmed upcoming appointments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpcomingView {
    /// Booking UUID (to cancel it).
    pub booking_id: String,
    /// Matter, Chinese (the code when the catalog has none).
    pub matter_zh: String,
    /// Matter, English.
    pub matter_en: String,
    /// Hall-local day.
    pub date: NaiveDate,
    /// Slot start.
    pub start: NaiveTime,
    /// Slot end.
    pub end: NaiveTime,
    /// It is today's (check-in is offered).
    pub today: bool,
    /// The citizen checked in already (a second check-in gives the same ticket again).
    pub checked_in: bool,
}

/// A service area as the screen names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaView {
    /// Area code, `B`.
    pub code: String,
    /// Chinese name (the code when the catalog has none).
    pub zh: String,
    /// English name.
    pub en: String,
}

/// The booked appointment a check-in is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedView {
    /// Matter, Chinese.
    pub matter_zh: String,
    /// Matter, English.
    pub matter_en: String,
    /// Hall-local day.
    pub date: NaiveDate,
    /// Slot start.
    pub start: NaiveTime,
    /// Slot end.
    pub end: NaiveTime,
}

/// A queue ticket the check-in gave (priority) or the citizen took instead (ordinary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketOut {
    /// `B-Y001` (priority) or `B012`.
    pub display_number: String,
    /// Where to wait.
    pub area: AreaView,
    /// Tickets called before it.
    pub people_ahead: u32,
    /// The appointment's priority ticket (`false`: an ordinary one).
    pub priority: bool,
    /// The booking, for a priority ticket.
    pub booked: Option<BookedView>,
    /// Why it did not print (the number stands: staff can call it).
    pub print_problem: Option<Problem>,
}

/// Why the check-in gave no priority ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInRefusal {
    /// Check-in opens at this hall time.
    TooEarly(NaiveTime),
    /// Check-in closed at this hall time.
    TooLate(NaiveTime),
    /// The booking was cancelled.
    Cancelled,
    /// The booking is for another day.
    NotToday,
    /// The platform holds no such booking (a slip of a booking still pending, or refused).
    Unknown,
    /// The platform cannot be reached (check-in needs it).
    Unreachable,
}

impl CheckInRefusal {
    /// Its name in the log.
    pub fn name(&self) -> &'static str {
        match self {
            CheckInRefusal::TooEarly(_) => "check_in_too_early",
            CheckInRefusal::TooLate(_) => "check_in_too_late",
            CheckInRefusal::Cancelled => "check_in_cancelled",
            CheckInRefusal::NotToday => "check_in_not_today",
            CheckInRefusal::Unknown => "check_in_unknown",
            CheckInRefusal::Unreachable => "check_in_unreachable",
        }
    }
}

/// A check-in that gave no priority ticket: why, and where an ordinary one would be for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRefused {
    /// Why.
    pub refusal: CheckInRefusal,
    /// The booking, when the platform said which.
    pub booked: Option<BookedView>,
    /// The area of the ordinary ticket offered (the booked matter's, or the hall's first).
    pub area: AreaView,
}

/// The platform's answer to one of the citizen's booking requests, not yet told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeView {
    /// Booking UUID.
    pub booking_id: String,
    /// Matter, Chinese.
    pub matter_zh: String,
    /// Matter, English.
    pub matter_en: String,
    /// Day asked for.
    pub date: NaiveDate,
    /// Slot start asked for.
    pub start: NaiveTime,
    /// The answer.
    pub outcome: NoticeOutcome,
}

/// The menu's words for the answers in `list`: one line each, in both languages.
pub fn menu_notice(list: &[NoticeView]) -> MenuNotice {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    for n in list {
        let when_zh = format!(
            "{}月{}日 {}",
            n.date.month(),
            n.date.day(),
            n.start.format("%H:%M")
        );
        let when_en = format!("{} at {}", n.date.format("%-d %b"), n.start.format("%H:%M"));
        let (why_zh, why_en) = match n.outcome {
            NoticeOutcome::Confirmed => {
                zh.push(format!(
                    "您 {when_zh} 的预约已确认（{}），请按时到场，当天可在本机签到。",
                    n.matter_zh
                ));
                en.push(format!(
                    "Your appointment on {when_en} is confirmed ({}). Please come on time and check in here on the day.",
                    n.matter_en
                ));
                continue;
            }
            NoticeOutcome::SlotTaken => ("该时段已约满", "that time was fully booked"),
            NoticeOutcome::AlreadyBooked => (
                "您在该时段已有其他预约",
                "you already had another appointment then",
            ),
            NoticeOutcome::NotBookable => {
                ("该时段已不可预约", "that time could no longer be booked")
            }
        };
        zh.push(format!(
            "您 {when_zh} 的预约（{}）未能预约成功：{why_zh}。请在“办事预约”中另选时间。",
            n.matter_zh
        ));
        en.push(format!(
            "Your appointment on {when_en} ({}) could not be booked: {why_en}. Please choose another time under \"Book an appointment\".",
            n.matter_en
        ));
    }
    MenuNotice {
        zh: zh.join("\n"),
        en: en.join("\n"),
        warn: list.iter().any(|n| n.outcome != NoticeOutcome::Confirmed),
    }
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipView {
    /// Booking UUID.
    pub booking_id: String,
    /// The matter (shared: it travels from the catalog through every step to the slip).
    pub matter: Arc<MatterView>,
    /// The day.
    pub date: NaiveDate,
    /// The slot.
    pub slot: SlotView,
    /// The platform confirmed it; `false`: queued in the outbox, an SMS follows.
    pub confirmed: bool,
    /// The booking's page on a phone (the slip's QR code).
    pub url: String,
}

/// Why the service cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The catalog lists no matter to book (or none was fetched yet).
    NoMatters,
    /// The platform cannot be reached for the slots.
    Unreachable,
    /// The platform offers no open day for the matter.
    NoDays,
    /// The slot filled up before the booking arrived: choose another.
    SlotTaken,
    /// The citizen already holds an appointment at that time.
    AlreadyBooked,
    /// The printer is out of paper (the booking stands).
    PaperOut,
    /// The printer is not working (the booking stands).
    PrinterFault,
    /// The local database failed (nothing booked).
    Store,
    /// No queue numbers are left for the area (the kiosk has been offline too long).
    NoNumbers,
}

impl Problem {
    /// Its name in the log.
    pub fn name(&self) -> &'static str {
        match self {
            Problem::NoMatters => "no_matters",
            Problem::Unreachable => "unreachable",
            Problem::NoDays => "no_days",
            Problem::SlotTaken => "slot_taken",
            Problem::AlreadyBooked => "already_booked",
            Problem::PaperOut => "paper_out",
            Problem::PrinterFault => "printer_fault",
            Problem::Store => "store",
            Problem::NoNumbers => "no_numbers",
        }
    }
}

/// A booking that did not end with a slip in hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookFailure {
    /// What went wrong.
    pub problem: Problem,
    /// The booking, when it stands although the slip did not print.
    pub booked: Option<SlipView>,
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The matters.
    Matters(Result<Vec<Arc<MatterView>>, Problem>),
    /// The citizen's upcoming appointments as the platform holds them (a booking made
    /// while it was away shows here once it is confirmed).
    Upcoming(Vec<UpcomingView>),
    /// The open days of the matter asked for.
    Slots(Result<Vec<DayView>, Problem>),
    /// The booking and its slip.
    Booked(Result<SlipView, BookFailure>),
    /// The cancellation: `Ok(true)` the platform confirmed it, `Ok(false)` it is queued.
    Cancelled(Result<bool, Problem>),
    /// The check-in: the priority ticket, or why not.
    CheckedIn(Result<TicketOut, CheckInRefused>),
    /// The ordinary ticket taken instead.
    OrdinaryTicket(Result<TicketOut, Problem>),
    /// The answers to tell the citizen of (empty: none, or the platform is away). The
    /// holder is the session's: this event carries nothing that names the citizen.
    Notices(Vec<NoticeView>),
}

/// Where orders go (the worker in the kiosk, a fake in tests). Must not block.
pub trait AppointmentPort {
    /// Starts `order.event` for session `order.token`.
    fn send(&self, order: Reply<Order>);
}

impl AppointmentPort for crate::worker::Orders<Reply<Order>> {
    fn send(&self, order: Reply<Order>) {
        crate::worker::Orders::send(self, order);
    }
}

/// The appointment service as the kiosk runs it: the worker's port.
pub struct Service {
    port: Rc<dyn AppointmentPort>,
}

impl Service {
    /// The service over `port`.
    pub fn new(port: Rc<dyn AppointmentPort>) -> Self {
        Self { port }
    }

    /// A new flow for the session: it asks for the matters at once.
    pub fn start(&self, cx: &mut Cx) -> AppointmentFlow {
        AppointmentFlow::new(self.port.clone(), cx)
    }

    /// On the attract screen: an appointment slip's QR code starts a session of its own
    /// that checks in at once (no card needed: the booking id is the proof).
    pub fn claim(&self, code: &ScannedCode, cx: &mut Cx) -> Option<AppointmentFlow> {
        let ScannedCode::Appointment(booking_id) = code else {
            return None;
        };
        Some(AppointmentFlow::checking_in(
            self.port.clone(),
            cx,
            booking_id.clone(),
        ))
    }

    /// A card started the session: ask the platform for answers the citizen was not told.
    pub fn on_identified(&self, cx: &mut Cx) {
        if let Some(holder) = cx.session.citizen().and_then(|c| c.case_holder.clone()) {
            self.port.send(Reply {
                token: cx.session.token(),
                event: Order::Notices { holder },
            });
        }
    }

    /// The answers arrived: they go on the menu for this session, and the platform hears
    /// they were told (once). Other events are the flow's.
    pub fn take_event(&self, cx: &mut Cx, event: Event) -> Option<Event> {
        let Event::Notices(list) = event else {
            return Some(event);
        };
        let holder = cx.session.citizen().and_then(|c| c.case_holder.clone());
        if let (false, Some(holder)) = (list.is_empty(), holder) {
            cx.session.set_menu_notice(menu_notice(&list));
            self.port.send(Reply {
                token: cx.session.token(),
                event: Order::NoticesSeen {
                    holder,
                    booking_ids: list.into_iter().map(|n| n.booking_id).collect(),
                },
            });
        }
        None
    }
}

/// Every prompt this service's steps and errors say (`Flow::prompt`; ids of
/// assets/voice/prompts.toml).
pub const PROMPTS: &[&str] = &[
    "wait-asking",
    "appointment-day",
    "appointment-slot",
    "appointment-phone",
    "appointment-phone-invalid",
    "appointment-booking",
    "appointment-confirm-cancel",
    "wait-sending",
    "appointment-cancelled",
    "appointment-cancel-queued",
    "appointment-booked",
    "appointment-pending",
    "appointment-no-matters",
    "unreachable",
    "appointment-no-days",
    "appointment-slot-taken",
    "appointment-already-booked",
    "appointment-paper-out",
    "appointment-printer-fault",
    "store-fault",
    "appointment-no-numbers",
    "appointment-checking-in",
    "appointment-checked-in",
    "appointment-checked-in-unprinted",
    "appointment-too-early",
    "appointment-too-late",
    "appointment-check-in-cancelled",
    "appointment-not-today",
    "appointment-check-in-unknown",
    "appointment-check-in-unreachable",
    "wait-printing",
    "appointment-ticket-issued",
    "appointment-ticket-unprinted",
    "appointment-ticket-fault",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(outcome: NoticeOutcome) -> NoticeView {
        NoticeView {
            booking_id: "b".into(),
            matter_zh: "社保卡补办".into(),
            matter_en: "Replace a social security card".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            outcome,
        }
    }

    #[test]
    fn the_menu_says_confirmed_or_why_not_and_what_to_do() {
        let ok = menu_notice(&[notice(NoticeOutcome::Confirmed)]);
        assert!(
            ok.zh.starts_with("您 12月3日 09:00 的预约已确认"),
            "{}",
            ok.zh
        );
        assert!(!ok.warn);
        let no = menu_notice(&[notice(NoticeOutcome::SlotTaken)]);
        assert!(no.zh.contains("未能预约成功：该时段已约满"), "{}", no.zh);
        assert!(no.zh.contains("另选时间"));
        assert!(no.en.contains("fully booked") && no.en.contains("3 Dec at 09:00"));
        assert!(no.warn);
        let both = menu_notice(&[
            notice(NoticeOutcome::Confirmed),
            notice(NoticeOutcome::AlreadyBooked),
        ]);
        assert_eq!(both.zh.lines().count(), 2);
    }
}
