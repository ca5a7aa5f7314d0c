//! The idle timer: no touch for a while shows a countdown; at zero the session is wiped.
//!
//! Time is a `Duration` since start, given by the caller (Slint's clock in the app, which the
//! testing backend can mock), so no test waits for real seconds.

use std::time::Duration;

/// Where the timer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleState {
    /// Touched recently.
    Active,
    /// The countdown shows, with whole seconds left (rounded up).
    Countdown(u32),
    /// The countdown reached zero.
    Expired,
}

/// Idle timer of one session.
#[derive(Debug, Clone)]
pub struct IdleTimer {
    idle_after: Duration,
    countdown: Duration,
    last_touch: Duration,
}

impl IdleTimer {
    /// A timer that shows a `countdown` after `idle_after` without a touch.
    pub fn new(idle_after: Duration, countdown: Duration) -> Self {
        Self {
            idle_after,
            countdown,
            last_touch: Duration::ZERO,
        }
    }

    /// New limits (elderly mode); the time since the last touch counts against them.
    pub fn set_limits(&mut self, idle_after: Duration, countdown: Duration) {
        self.idle_after = idle_after;
        self.countdown = countdown;
    }

    /// The idle time and the countdown's length.
    pub fn limits(&self) -> (Duration, Duration) {
        (self.idle_after, self.countdown)
    }

    /// The citizen touched the screen at `now`.
    pub fn touch(&mut self, now: Duration) {
        self.last_touch = now;
    }

    /// How long until the session ends at `now` if nobody touches the screen: the idle
    /// time left and the countdown's length.
    pub fn left(&self, now: Duration) -> Duration {
        (self.idle_after + self.countdown).saturating_sub(now.saturating_sub(self.last_touch))
    }

    /// The state at `now`.
    pub fn state(&self, now: Duration) -> IdleState {
        let idle = now.saturating_sub(self.last_touch);
        if idle < self.idle_after {
            return IdleState::Active;
        }
        let into = idle - self.idle_after;
        if into >= self.countdown {
            return IdleState::Expired;
        }
        let left = self.countdown - into;
        IdleState::Countdown(left.as_millis().div_ceil(1000) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn the_time_left_runs_down_to_zero_and_a_touch_fills_it_again() {
        let mut t = IdleTimer::new(S(60), S(10));
        t.touch(S(100));
        assert_eq!(t.left(S(100)), S(70));
        assert_eq!(t.left(S(165)), S(5));
        assert_eq!(t.left(S(200)), Duration::ZERO);
        t.touch(S(200));
        assert_eq!(t.left(S(201)), S(69));
    }

    #[test]
    fn active_then_countdown_then_expired() {
        let mut t = IdleTimer::new(S(60), S(10));
        t.touch(S(100));
        assert_eq!(t.state(S(159)), IdleState::Active);
        assert_eq!(t.state(S(160)), IdleState::Countdown(10));
        assert_eq!(
            t.state(S(160) + Duration::from_millis(1)),
            IdleState::Countdown(10)
        );
        assert_eq!(t.state(S(169)), IdleState::Countdown(1));
        assert_eq!(t.state(S(170)), IdleState::Expired);
    }

    #[test]
    fn a_touch_during_the_countdown_cancels_it() {
        let mut t = IdleTimer::new(S(60), S(10));
        t.touch(S(0));
        assert_eq!(t.state(S(65)), IdleState::Countdown(5));
        t.touch(S(65));
        assert_eq!(t.state(S(70)), IdleState::Active);
    }
}
