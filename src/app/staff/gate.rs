//! The PIN gate both roles pass: a badge number, then that badge's PIN. The check itself
//! (argon2id, slow on purpose) runs on the staff worker, never on the UI thread: the gate
//! hands out a [`PinAttempt`] and takes back a [`PinVerdict`].
//!
//! After [`MAX_TRIES`] wrong PINs in a row the pad locks for [`LOCKOUT`] with a countdown.
//! The count and the lock are kept in the store by the worker, which applies [`after_wrong`]
//! and tells the gate; at start the gate is given what the store holds, so a restart does
//! not lift a lock.
//!
//! No Slint, no I/O; time is a `Duration` since start (the session clock).

use std::time::Duration;

/// Longest PIN the pad takes.
pub const PIN_MAX: usize = 8;
/// Longest badge number the pad takes.
pub const BADGE_MAX: usize = 8;
/// Wrong PINs in a row before the pad locks.
pub const MAX_TRIES: u32 = 5;
/// How long the pad stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(30 * 60);

/// Who signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Hall staff: restock, reset devices, out of service, the outbox.
    Staff,
    /// Technicians: the technician screen (device identity, self-tests, protocol logs).
    Technician,
}

impl Role {
    /// The audit log's and the configuration's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Technician => "technician",
        }
    }

    /// Reads the configuration's word.
    pub fn parse(word: &str) -> Option<Role> {
        match word {
            "staff" => Some(Role::Staff),
            "technician" => Some(Role::Technician),
            _ => None,
        }
    }
}

/// The gate's result: the role and the badge that signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Staff or technician.
    pub role: Role,
    /// The badge number typed.
    pub badge: String,
}

/// A typed PIN on its way to the check. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct TypedPin(String);

impl TypedPin {
    /// Wraps a PIN (tests and the worker).
    pub fn new(pin: &str) -> TypedPin {
        TypedPin(pin.to_owned())
    }
    /// The digits, for the check only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TypedPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TypedPin(<redacted>)")
    }
}

/// What the gate asks the worker to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinAttempt {
    /// The badge number typed.
    pub badge: String,
    /// The PIN typed.
    pub pin: TypedPin,
}

/// The worker's answer to a [`PinAttempt`], with the stored count after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinVerdict {
    /// Who signed in; `None` for a wrong badge or PIN (the pad does not say which).
    pub signed_in: Option<SignedIn>,
    /// Wrong PINs in a row now.
    pub wrong: u32,
    /// A lock set by this answer, for this long.
    pub locked_for: Option<Duration>,
}

/// The stored count after one more wrong PIN: `(wrong, lock)`. The fifth sets the lock and
/// starts the count again (after the lock, five more tries).
pub fn after_wrong(wrong_before: u32) -> (u32, Option<Duration>) {
    let wrong = wrong_before + 1;
    if wrong >= MAX_TRIES {
        (0, Some(LOCKOUT))
    } else {
        (wrong, None)
    }
}

/// Where the pad stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateStep {
    /// Typing the badge number.
    Badge,
    /// Typing the PIN of the badge typed.
    Pin,
    /// Waiting for the worker's check.
    Checking,
}

/// Why the PIN pad shows a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinMessage {
    /// Nothing to say.
    None,
    /// Wrong badge or PIN; tries left before the lock-out.
    Wrong(u32),
    /// Locked; whole seconds left.
    Locked(u32),
    /// No PIN is configured: the screen cannot be opened.
    NotConfigured,
}

/// The PIN pad's state. Lives on the UI thread inside the staff controller.
#[derive(Debug)]
pub struct PinGate {
    configured: bool,
    step: GateStep,
    badge: String,
    typed: String,
    wrong: u32,
    wrong_shown: bool,
    locked_until: Option<Duration>,
}

impl PinGate {
    /// A gate; `configured` is false when no PIN is configured. `wrong` and `locked_for` are
    /// what the store holds at start (`now` is the session clock then).
    pub fn new(configured: bool, wrong: u32, locked_for: Option<Duration>, now: Duration) -> Self {
        Self {
            configured,
            step: GateStep::Badge,
            badge: String::new(),
            typed: String::new(),
            wrong,
            wrong_shown: false,
            locked_until: locked_for.map(|d| now + d),
        }
    }

    /// Back to the badge, nothing typed (the pad opens or closes).
    pub fn clear(&mut self) {
        self.step = GateStep::Badge;
        self.badge.clear();
        self.typed.clear();
        self.wrong_shown = false;
    }

    /// The step.
    pub fn step(&self) -> GateStep {
        self.step
    }
    /// The badge number typed (shown as typed: a badge is not a secret).
    pub fn badge(&self) -> &str {
        &self.badge
    }
    /// PIN digits typed so far (the screen shows dots only).
    pub fn typed_len(&self) -> usize {
        self.typed.len()
    }

    /// The message at `now`.
    pub fn message(&self, now: Duration) -> PinMessage {
        if !self.configured {
            return PinMessage::NotConfigured;
        }
        if let Some(until) = self.locked_until {
            if now < until {
                let left = until - now;
                return PinMessage::Locked(left.as_millis().div_ceil(1000) as u32);
            }
        }
        if self.wrong_shown && self.wrong > 0 {
            return PinMessage::Wrong(MAX_TRIES - self.wrong);
        }
        PinMessage::None
    }

    /// True while the pad refuses input.
    pub fn locked(&self, now: Duration) -> bool {
        matches!(self.message(now), PinMessage::Locked(_))
    }

    /// A digit: to the badge or to the PIN.
    pub fn digit(&mut self, d: char, now: Duration) {
        if self.locked(now) || !d.is_ascii_digit() {
            return;
        }
        let (field, max) = match self.step {
            GateStep::Badge => (&mut self.badge, BADGE_MAX),
            GateStep::Pin => (&mut self.typed, PIN_MAX),
            GateStep::Checking => return,
        };
        if field.len() < max {
            field.push(d);
            self.wrong_shown = false;
        }
    }

    /// Backspace: the last PIN digit; on an empty PIN, back to the badge.
    pub fn backspace(&mut self) {
        match self.step {
            GateStep::Badge => {
                self.badge.pop();
            }
            GateStep::Pin if self.typed.is_empty() => self.step = GateStep::Badge,
            GateStep::Pin => {
                self.typed.pop();
            }
            GateStep::Checking => {}
        }
    }

    /// "OK": the badge moves on to the PIN; the PIN goes to the check (returned).
    pub fn submit(&mut self, now: Duration) -> Option<PinAttempt> {
        if !self.configured || self.locked(now) {
            return None;
        }
        match self.step {
            GateStep::Badge if !self.badge.is_empty() => {
                self.step = GateStep::Pin;
                None
            }
            GateStep::Pin if !self.typed.is_empty() => {
                self.step = GateStep::Checking;
                Some(PinAttempt {
                    badge: self.badge.clone(),
                    pin: TypedPin(std::mem::take(&mut self.typed)),
                })
            }
            _ => None,
        }
    }

    /// The worker's verdict. Returns who signed in, if anyone; a wrong PIN goes back to the
    /// badge with the message.
    pub fn verdict(&mut self, verdict: PinVerdict, now: Duration) -> Option<SignedIn> {
        if self.step != GateStep::Checking {
            // The pad was closed meanwhile: a late "right" must not open the screen.
            self.wrong = verdict.wrong;
            self.locked_until = verdict.locked_for.map(|d| now + d).or(self.locked_until);
            return None;
        }
        self.wrong = verdict.wrong;
        match verdict.signed_in {
            Some(who) => {
                self.locked_until = None;
                self.clear();
                Some(who)
            }
            None => {
                if let Some(d) = verdict.locked_for {
                    self.locked_until = Some(now + d);
                }
                self.clear();
                self.wrong_shown = true;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn wrong(w: u32) -> PinVerdict {
        let (wrong, locked_for) = after_wrong(w);
        PinVerdict {
            signed_in: None,
            wrong,
            locked_for,
        }
    }

    fn attempt(g: &mut PinGate, badge: &str, pin: &str, now: Duration) -> Option<PinAttempt> {
        for d in badge.chars() {
            g.digit(d, now);
        }
        g.submit(now);
        for d in pin.chars() {
            g.digit(d, now);
        }
        g.submit(now)
    }

    #[test]
    fn the_badge_comes_first_then_the_pin_goes_to_the_check() {
        let mut g = PinGate::new(true, 0, None, S(0));
        assert_eq!(g.submit(S(0)), None, "nothing typed");
        let a = attempt(&mut g, "1001", "2468", S(1)).unwrap();
        assert_eq!(a.badge, "1001");
        assert_eq!(a.pin.expose(), "2468");
        assert!(!format!("{a:?}").contains("2468"));
        assert_eq!(g.step(), GateStep::Checking);
        let who = SignedIn {
            role: Role::Technician,
            badge: "1001".into(),
        };
        let out = g.verdict(
            PinVerdict {
                signed_in: Some(who.clone()),
                wrong: 0,
                locked_for: None,
            },
            S(2),
        );
        assert_eq!(out, Some(who));
        assert_eq!(g.step(), GateStep::Badge);
    }

    #[test]
    fn five_wrong_lock_for_thirty_minutes_with_a_countdown() {
        let mut g = PinGate::new(true, 0, None, S(0));
        let mut stored = 0;
        for i in 0..5 {
            attempt(&mut g, "1001", "1111", S(i)).unwrap();
            let v = wrong(stored);
            stored = v.wrong;
            g.verdict(v, S(i));
            if i < 4 {
                assert_eq!(g.message(S(i)), PinMessage::Wrong(MAX_TRIES - 1 - i as u32));
            }
        }
        assert_eq!(g.message(S(4)), PinMessage::Locked(1800));
        assert_eq!(g.message(S(64)), PinMessage::Locked(1740));
        assert_eq!(attempt(&mut g, "1001", "2468", S(100)), None, "locked");
        assert_eq!(g.message(S(4 + 1800)), PinMessage::None);
        assert!(attempt(&mut g, "1001", "2468", S(4 + 1800)).is_some());
    }

    #[test]
    fn a_lock_from_the_store_holds_after_a_restart() {
        let g = PinGate::new(true, 0, Some(S(600)), S(5));
        assert_eq!(g.message(S(5)), PinMessage::Locked(600));
        assert!(!g.locked(S(605)));
        let none = PinGate::new(false, 0, None, S(0));
        assert_eq!(none.message(S(0)), PinMessage::NotConfigured);
    }

    #[test]
    fn backspace_on_an_empty_pin_goes_back_to_the_badge() {
        let mut g = PinGate::new(true, 0, None, S(0));
        for d in "12".chars() {
            g.digit(d, S(0));
        }
        g.submit(S(0));
        assert_eq!(g.step(), GateStep::Pin);
        g.digit('9', S(0));
        g.backspace();
        g.backspace();
        assert_eq!(g.step(), GateStep::Badge);
        assert_eq!(g.badge(), "12");
    }
}
