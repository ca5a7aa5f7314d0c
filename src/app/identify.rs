//! Identifying without the card: the ID number typed on the keypad and confirmed with a
//! code the platform sends by SMS to the phone it has on file, or the electronic ID's QR
//! code shown to the scanner. The steps are an enum whose variants carry their data; the
//! full number lives only in the typing step and is gone (hashed and masked) once
//! confirmed. The platform decides (codes, tries, locks); this only says what it said.

use chrono::NaiveDate;

use super::citizen::{Citizen, IdentifiedBy};
use super::flow::{Chrome, Cx, IdlePolicy, Nav};
use super::id_number::{self, IdProblem, ID_LEN};
use super::session::Reply;

/// What the identity worker is asked to do.
#[derive(Clone, PartialEq, Eq)]
pub enum IdentityOrder {
    /// Send a code to the phone on file for this holder hash.
    SendCode {
        /// Holder hash of the typed number.
        holder: String,
    },
    /// Check the code the citizen typed.
    CheckCode {
        /// Holder hash of the typed number.
        holder: String,
        /// Six digits.
        code: String,
    },
    /// Verify an electronic-ID code.
    CheckEid {
        /// The code's token.
        token: String,
    },
}

impl std::fmt::Debug for IdentityOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IdentityOrder::SendCode { .. } => "SendCode(<redacted>)",
            IdentityOrder::CheckCode { .. } => "CheckCode(<redacted>)",
            IdentityOrder::CheckEid { .. } => "CheckEid(<redacted>)",
        })
    }
}

/// Why an electronic-ID code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EidRefusal {
    /// Its three minutes are over.
    Expired,
    /// It was used already.
    Used,
    /// The platform does not know it.
    Invalid,
}

/// What the identity worker answers.
#[derive(Clone, PartialEq, Eq)]
pub enum IdentityEvent {
    /// A code is on its way to this (masked) phone.
    CodeSent {
        /// `138****8000`.
        masked_phone: String,
    },
    /// The platform has no phone on file for the number.
    NoPhone,
    /// The typed route is closed for this number.
    Locked {
        /// Seconds until it opens.
        seconds_left: i64,
    },
    /// The code was right.
    CodeVerified {
        /// The name on file.
        name: String,
    },
    /// The code was wrong.
    WrongCode {
        /// Tries left before the route closes.
        tries_left: u32,
    },
    /// The code's five minutes are over.
    CodeExpired,
    /// No code waits (used, replaced): ask for a new one.
    NoCode,
    /// The e-ID code is good.
    EidVerified {
        /// Holder hash.
        holder: String,
        /// Name.
        name: String,
        /// ID number, first 6 and last 4.
        masked_id: String,
    },
    /// The e-ID code was refused.
    EidRefused(EidRefusal),
    /// The platform could not be asked (network, or it failed).
    Unreachable,
}

impl std::fmt::Debug for IdentityEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentityEvent::CodeSent { .. } => f.write_str("CodeSent(<redacted>)"),
            IdentityEvent::CodeVerified { .. } => f.write_str("CodeVerified(<redacted>)"),
            IdentityEvent::EidVerified { .. } => f.write_str("EidVerified(<redacted>)"),
            IdentityEvent::NoPhone => f.write_str("NoPhone"),
            IdentityEvent::Locked { seconds_left } => write!(f, "Locked({seconds_left} s)"),
            IdentityEvent::WrongCode { tries_left } => write!(f, "WrongCode({tries_left})"),
            IdentityEvent::CodeExpired => f.write_str("CodeExpired"),
            IdentityEvent::NoCode => f.write_str("NoCode"),
            IdentityEvent::EidRefused(r) => write!(f, "EidRefused({r:?})"),
            IdentityEvent::Unreachable => f.write_str("Unreachable"),
        }
    }
}

/// Where the identity worker's orders go.
pub trait IdentityPort {
    /// Starts `order.event` for session `order.token`.
    fn send(&self, order: Reply<IdentityOrder>);
}

impl IdentityPort for crate::worker::Orders<Reply<IdentityOrder>> {
    fn send(&self, order: Reply<IdentityOrder>) {
        crate::worker::Orders::send(self, order);
    }
}

/// What is wrong with the code step, for its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// Wrong code; this many tries left.
    Wrong(u32),
    /// The code ran out: ask for a new one.
    Expired,
    /// No code waits any more: ask for a new one.
    NoCode,
    /// The platform could not be asked: try again.
    Unreachable,
}

/// Why identifying stopped, for the page's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifyProblem {
    /// No phone on file for the number: use the card or the service desk.
    NoPhone,
    /// The typed route is closed for the number: about this many minutes left.
    Locked {
        /// Minutes, rounded up.
        minutes: i64,
    },
    /// The e-ID code was refused.
    Eid(EidRefusal),
    /// The platform could not be asked.
    Unreachable,
}

/// The typed number once confirmed: what the session may keep of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// Holder hash (what the platform is asked with).
    holder: String,
    /// First 6 and last 4.
    pub masked_id: String,
}

impl std::fmt::Debug for Confirmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Confirmed(<redacted>)")
    }
}

/// The steps of identifying without the card.
#[derive(Clone, PartialEq, Eq)]
pub enum IdentifyStep {
    /// Typing the ID number; `problem` is what the typed part already gets wrong.
    TypingId {
        /// The characters typed (never logged, never stored).
        typed: String,
        /// What is wrong so far.
        problem: Option<IdProblem>,
    },
    /// Waiting for the platform to send the code.
    SendingCode(Confirmed),
    /// Typing the code from the SMS.
    TypingCode {
        /// The number confirmed.
        id: Confirmed,
        /// Where the code went (masked).
        masked_phone: String,
        /// Digits typed.
        code: String,
        /// What went wrong with the last code, if anything.
        problem: Option<CodeProblem>,
    },
    /// Waiting for the code's check.
    CheckingCode {
        /// The number confirmed.
        id: Confirmed,
        /// Where the code went (masked).
        masked_phone: String,
    },
    /// Waiting for the platform to verify an e-ID code.
    CheckingEid,
    /// Identifying stopped: the page says why and offers to start over.
    Stopped(IdentifyProblem),
}

impl std::fmt::Debug for IdentifyStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentifyStep::TypingId { typed, problem } => {
                write!(f, "TypingId({} chars, {problem:?})", typed.len())
            }
            IdentifyStep::SendingCode(_) => f.write_str("SendingCode"),
            IdentifyStep::TypingCode { code, problem, .. } => {
                write!(f, "TypingCode({} digits, {problem:?})", code.len())
            }
            IdentifyStep::CheckingCode { .. } => f.write_str("CheckingCode"),
            IdentifyStep::CheckingEid => f.write_str("CheckingEid"),
            IdentifyStep::Stopped(p) => write!(f, "Stopped({p:?})"),
        }
    }
}

/// What an answer did.
#[derive(Debug)]
pub enum Outcome {
    /// The step was not waiting for it.
    Ignored,
    /// The page changed.
    Changed,
    /// The platform confirmed who it is: the session goes on with this citizen.
    Identified(Citizen),
}

/// Identifying without the card, on screen in place of the attract page.
pub struct IdentifyFlow {
    step: IdentifyStep,
    /// The hall's date, which bounds a typed birth date; `None` on the e-ID route, which
    /// has no keypad (a refused code leads back to the attract screen).
    today: Option<NaiveDate>,
}

impl std::fmt::Debug for IdentifyFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentifyFlow")
            .field("step", &self.step)
            .finish()
    }
}

/// Digits of the SMS code.
pub const CODE_LEN: usize = kiosk_platform::api::identity::SMS_CODE_LEN;

impl IdentifyFlow {
    /// The keypad, empty; `today` (the hall's date) bounds the birth date.
    pub fn typing(today: NaiveDate) -> Self {
        Self {
            step: IdentifyStep::TypingId {
                typed: String::new(),
                problem: None,
            },
            today: Some(today),
        }
    }

    /// An e-ID code was scanned: asks the platform.
    pub fn checking_eid(port: &dyn IdentityPort, cx: &mut Cx, token: String) -> Self {
        port.send(Reply {
            token: cx.session.token(),
            event: IdentityOrder::CheckEid { token },
        });
        Self {
            step: IdentifyStep::CheckingEid,
            today: None,
        }
    }

    /// The step on screen.
    pub fn step(&self) -> &IdentifyStep {
        &self.step
    }

    /// The footer: back and finish while the citizen types; nothing while waiting.
    pub fn chrome(&self) -> Chrome {
        match self.step {
            IdentifyStep::SendingCode(_)
            | IdentifyStep::CheckingCode { .. }
            | IdentifyStep::CheckingEid => Chrome::NONE,
            _ => Chrome::FULL,
        }
    }

    /// The error on screen, by name, if the step shows one that is not the citizen's typing
    /// (a mistyped digit or a wrong code is said in place and gets no reference): what the
    /// shell logs with the error's reference code.
    pub fn problem(&self) -> Option<&'static str> {
        match &self.step {
            IdentifyStep::Stopped(p) => Some(match p {
                IdentifyProblem::NoPhone => "no phone",
                IdentifyProblem::Locked { .. } => "locked",
                IdentifyProblem::Eid(EidRefusal::Expired) => "e-ID expired",
                IdentifyProblem::Eid(EidRefusal::Used) => "e-ID used",
                IdentifyProblem::Eid(EidRefusal::Invalid) => "e-ID invalid",
                IdentifyProblem::Unreachable => "unreachable",
            }),
            IdentifyStep::TypingCode {
                problem: Some(p), ..
            } => match p {
                CodeProblem::Wrong(_) => None,
                CodeProblem::Expired => Some("code expired"),
                CodeProblem::NoCode => Some("no code"),
                CodeProblem::Unreachable => Some("unreachable"),
            },
            _ => None,
        }
    }

    /// No countdown while the platform is asked.
    pub fn idle(&self) -> IdlePolicy {
        match self.step {
            IdentifyStep::SendingCode(_)
            | IdentifyStep::CheckingCode { .. }
            | IdentifyStep::CheckingEid => IdlePolicy::Paused,
            _ => IdlePolicy::Normal,
        }
    }

    /// "Back": from the code to a fresh keypad; from the keypad out (the attract screen).
    pub fn back(&mut self) -> Nav {
        match self.step {
            IdentifyStep::TypingCode { .. }
            | IdentifyStep::Stopped(IdentifyProblem::Unreachable)
                if self.today.is_some() =>
            {
                self.step = IdentifyStep::TypingId {
                    typed: String::new(),
                    problem: None,
                };
                Nav::Stay
            }
            _ => Nav::Menu,
        }
    }

    /// A key of the keypad (`0`–`9`, `X`). Returns whether the page changed.
    pub fn key(&mut self, c: char) -> bool {
        let today = self.today.unwrap_or_default();
        match &mut self.step {
            IdentifyStep::TypingId { typed, problem } => {
                // A problem holds the keypad until it is deleted: the message stays true.
                if problem.is_some() || !id_number::may_type(typed, c) {
                    return false;
                }
                typed.push(c);
                *problem = id_number::check_prefix(typed, today).err();
                true
            }
            IdentifyStep::TypingCode { code, problem, .. } => {
                if !c.is_ascii_digit() || code.len() >= CODE_LEN {
                    return false;
                }
                code.push(c);
                if matches!(
                    problem,
                    Some(CodeProblem::Wrong(_) | CodeProblem::Unreachable)
                ) {
                    *problem = None;
                }
                true
            }
            _ => false,
        }
    }

    /// The delete key.
    pub fn delete(&mut self) -> bool {
        let today = self.today.unwrap_or_default();
        match &mut self.step {
            IdentifyStep::TypingId { typed, problem } => {
                if typed.pop().is_none() {
                    return false;
                }
                *problem = id_number::check_prefix(typed, today).err();
                true
            }
            IdentifyStep::TypingCode { code, .. } => code.pop().is_some(),
            _ => false,
        }
    }

    /// "Confirm": sends the number (as its holder hash) for a code, or the code for its
    /// check. Refused while the number or code is incomplete or wrong.
    pub fn confirm(&mut self, port: &dyn IdentityPort, cx: &mut Cx) -> bool {
        let token = cx.session.token();
        match &mut self.step {
            IdentifyStep::TypingId { typed, problem } => {
                if typed.len() != ID_LEN || problem.is_some() {
                    return false;
                }
                let id = Confirmed {
                    holder: kiosk_platform::api::holder_hash(typed),
                    masked_id: kiosk_platform::api::identity::mask_id_number(typed),
                };
                // The number itself ends here.
                typed.clear();
                port.send(Reply {
                    token,
                    event: IdentityOrder::SendCode {
                        holder: id.holder.clone(),
                    },
                });
                self.step = IdentifyStep::SendingCode(id);
                true
            }
            IdentifyStep::TypingCode {
                id,
                masked_phone,
                code,
                problem,
            } => {
                if code.len() != CODE_LEN
                    || matches!(problem, Some(CodeProblem::Expired | CodeProblem::NoCode))
                {
                    return false;
                }
                port.send(Reply {
                    token,
                    event: IdentityOrder::CheckCode {
                        holder: id.holder.clone(),
                        code: std::mem::take(code),
                    },
                });
                self.step = IdentifyStep::CheckingCode {
                    id: id.clone(),
                    masked_phone: std::mem::take(masked_phone),
                };
                true
            }
            _ => false,
        }
    }

    /// "Send a new code" on the code step.
    pub fn resend(&mut self, port: &dyn IdentityPort, cx: &mut Cx) -> bool {
        let IdentifyStep::TypingCode { id, .. } = &self.step else {
            return false;
        };
        let id = id.clone();
        port.send(Reply {
            token: cx.session.token(),
            event: IdentityOrder::SendCode {
                holder: id.holder.clone(),
            },
        });
        self.step = IdentifyStep::SendingCode(id);
        true
    }

    /// Whether "start over" is offered (the typed route; the e-ID route goes back out).
    pub fn can_start_over(&self) -> bool {
        matches!(self.step, IdentifyStep::Stopped(_)) && self.today.is_some()
    }

    /// "Start over" after identifying stopped.
    pub fn start_over(&mut self) -> bool {
        if !matches!(self.step, IdentifyStep::Stopped(_)) || self.today.is_none() {
            return false;
        }
        self.step = IdentifyStep::TypingId {
            typed: String::new(),
            problem: None,
        };
        true
    }

    /// The worker's answer for this session.
    pub fn on_event(&mut self, event: IdentityEvent) -> Outcome {
        let step = std::mem::replace(&mut self.step, IdentifyStep::CheckingEid);
        let (step, outcome) = answer(step, event);
        self.step = step;
        outcome
    }
}

fn locked(seconds_left: i64) -> IdentifyStep {
    IdentifyStep::Stopped(IdentifyProblem::Locked {
        minutes: minutes_left(seconds_left),
    })
}

/// The step after `event` on `step`, and what it did.
fn answer(step: IdentifyStep, event: IdentityEvent) -> (IdentifyStep, Outcome) {
    use IdentifyStep as S;
    use IdentityEvent as E;
    match (step, event) {
        (S::SendingCode(id), E::CodeSent { masked_phone }) => (
            S::TypingCode {
                id,
                masked_phone,
                code: String::new(),
                problem: None,
            },
            Outcome::Changed,
        ),
        (S::SendingCode(_), E::NoPhone) => (S::Stopped(IdentifyProblem::NoPhone), Outcome::Changed),
        (S::SendingCode(_) | S::CheckingCode { .. }, E::Locked { seconds_left }) => {
            (locked(seconds_left), Outcome::Changed)
        }
        (S::SendingCode(_), E::Unreachable) => {
            (S::Stopped(IdentifyProblem::Unreachable), Outcome::Changed)
        }
        (S::CheckingCode { id, .. }, E::CodeVerified { name }) => (
            S::CheckingCode {
                id: id.clone(),
                masked_phone: String::new(),
            },
            Outcome::Identified(Citizen {
                name,
                masked_id: id.masked_id,
                photo: None,
                case_holder: Some(id.holder),
                by: IdentifiedBy::Typed,
                // A typed number brings no card text: nothing to pre-fill a form with.
                card: None,
            }),
        ),
        (S::CheckingCode { .. }, E::WrongCode { tries_left: 0 }) => (
            locked(kiosk_platform::api::identity::LOCK_SECS),
            Outcome::Changed,
        ),
        (
            S::CheckingCode { id, masked_phone },
            e @ (E::WrongCode { .. } | E::CodeExpired | E::NoCode | E::Unreachable),
        ) => {
            let problem = match e {
                E::WrongCode { tries_left } => CodeProblem::Wrong(tries_left),
                E::CodeExpired => CodeProblem::Expired,
                E::NoCode => CodeProblem::NoCode,
                _ => CodeProblem::Unreachable,
            };
            (
                S::TypingCode {
                    id,
                    masked_phone,
                    code: String::new(),
                    problem: Some(problem),
                },
                Outcome::Changed,
            )
        }
        (
            S::CheckingEid,
            E::EidVerified {
                holder,
                name,
                masked_id,
            },
        ) => (
            S::CheckingEid,
            Outcome::Identified(Citizen {
                name,
                masked_id,
                photo: None,
                case_holder: Some(holder),
                by: IdentifiedBy::Eid,
                card: None,
            }),
        ),
        (S::CheckingEid, E::EidRefused(r)) => {
            (S::Stopped(IdentifyProblem::Eid(r)), Outcome::Changed)
        }
        (S::CheckingEid, E::Unreachable) => {
            (S::Stopped(IdentifyProblem::Unreachable), Outcome::Changed)
        }
        (step, _) => (step, Outcome::Ignored),
    }
}

/// The time left of a lock as the page shows it: minutes, rounded up.
pub fn minutes_left(seconds: i64) -> i64 {
    (seconds.max(1) + 59) / 60
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::session::Session;
    use std::cell::RefCell;
    use std::time::Duration;

    #[derive(Default)]
    struct FakePort(RefCell<Vec<IdentityOrder>>);
    impl IdentityPort for FakePort {
        fn send(&self, order: Reply<IdentityOrder>) {
            self.0.borrow_mut().push(order.event);
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn type_all(flow: &mut IdentifyFlow, s: &str) {
        for c in s.chars() {
            flow.key(c);
        }
    }

    #[test]
    fn the_typed_route_end_to_end_keeps_only_the_hash_and_the_mask() {
        let port = FakePort::default();
        let mut s = Session::new(Duration::from_secs(60), Duration::from_secs(10));
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = IdentifyFlow::typing(today());
        type_all(&mut flow, "11010119850312001");
        assert!(
            !flow.confirm(&port, &mut cx),
            "17 characters are not a number"
        );
        type_all(&mut flow, "8");
        assert_eq!(
            flow.step(),
            &IdentifyStep::TypingId {
                typed: "110101198503120018".into(),
                problem: Some(IdProblem::CheckDigit)
            }
        );
        assert!(!flow.key('1'), "the keypad holds while a problem shows");
        assert!(!flow.confirm(&port, &mut cx));
        flow.delete();
        type_all(&mut flow, "7");
        assert!(flow.confirm(&port, &mut cx));
        let holder = kiosk_platform::api::holder_hash("110101198503120017");
        assert_eq!(
            port.0.borrow().last(),
            Some(&IdentityOrder::SendCode {
                holder: holder.clone()
            })
        );
        assert!(!format!("{:?}", flow).contains("0017"));
        assert_eq!(flow.idle(), IdlePolicy::Paused);
        flow.on_event(IdentityEvent::CodeSent {
            masked_phone: "138****8000".into(),
        });
        type_all(&mut flow, "1234567");
        assert!(flow.confirm(&port, &mut cx));
        assert_eq!(
            port.0.borrow().last(),
            Some(&IdentityOrder::CheckCode {
                holder: holder.clone(),
                code: "123456".into()
            })
        );
        flow.on_event(IdentityEvent::WrongCode { tries_left: 4 });
        assert!(matches!(
            flow.step(),
            IdentifyStep::TypingCode {
                problem: Some(CodeProblem::Wrong(4)),
                ..
            }
        ));
        type_all(&mut flow, "654321");
        flow.confirm(&port, &mut cx);
        match flow.on_event(IdentityEvent::CodeVerified {
            name: "张伟".into(),
        }) {
            Outcome::Identified(c) => {
                assert_eq!(c.masked_id, "110101********0017");
                assert_eq!(c.case_holder.as_deref(), Some(holder.as_str()));
                assert_eq!(c.by, IdentifiedBy::Typed);
                assert!(c.photo.is_none());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_last_wrong_code_and_a_lock_stop_with_the_time_left() {
        let port = FakePort::default();
        let mut s = Session::new(Duration::from_secs(60), Duration::from_secs(10));
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = IdentifyFlow::typing(today());
        type_all(&mut flow, "110101198503120017");
        flow.confirm(&port, &mut cx);
        flow.on_event(IdentityEvent::Locked { seconds_left: 601 });
        assert_eq!(
            flow.step(),
            &IdentifyStep::Stopped(IdentifyProblem::Locked { minutes: 11 })
        );
        assert_eq!(flow.back(), Nav::Menu, "nothing to do here but leave");
        assert_eq!(flow.problem(), Some("locked"), "an error with a reference");
        assert!(flow.start_over());
        assert_eq!(flow.problem(), None);
        type_all(&mut flow, "110101198503120017");
        flow.confirm(&port, &mut cx);
        flow.on_event(IdentityEvent::CodeSent {
            masked_phone: "138****8000".into(),
        });
        type_all(&mut flow, "000000");
        flow.confirm(&port, &mut cx);
        flow.on_event(IdentityEvent::WrongCode { tries_left: 1 });
        assert_eq!(
            flow.problem(),
            None,
            "a wrong code is said in place, no error"
        );
        type_all(&mut flow, "000000");
        flow.confirm(&port, &mut cx);
        flow.on_event(IdentityEvent::WrongCode { tries_left: 0 });
        assert_eq!(
            flow.step(),
            &IdentifyStep::Stopped(IdentifyProblem::Locked { minutes: 15 })
        );
    }

    #[test]
    fn an_eid_code_identifies_or_says_why_not_and_stray_answers_are_ignored() {
        let port = FakePort::default();
        let mut s = Session::new(Duration::from_secs(60), Duration::from_secs(10));
        let mut cx = Cx {
            session: &mut s,
            now: Duration::ZERO,
        };
        let mut flow = IdentifyFlow::checking_eid(&port, &mut cx, "tok".into());
        assert!(matches!(
            flow.on_event(IdentityEvent::CodeSent {
                masked_phone: "x".into()
            }),
            Outcome::Ignored
        ));
        assert!(matches!(
            flow.on_event(IdentityEvent::EidRefused(EidRefusal::Used)),
            Outcome::Changed
        ));
        assert_eq!(
            flow.step(),
            &IdentifyStep::Stopped(IdentifyProblem::Eid(EidRefusal::Used))
        );
        let mut flow = IdentifyFlow::checking_eid(&port, &mut cx, "tok".into());
        match flow.on_event(IdentityEvent::EidVerified {
            holder: "h".into(),
            name: "刘洋".into(),
            masked_id: "310104********127X".into(),
        }) {
            Outcome::Identified(c) => assert_eq!(c.by, IdentifiedBy::Eid),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn minutes_round_up() {
        assert_eq!(minutes_left(900), 15);
        assert_eq!(minutes_left(61), 2);
        assert_eq!(minutes_left(0), 1);
    }
}
