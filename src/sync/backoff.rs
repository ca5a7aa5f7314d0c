//! Exponential backoff with full jitter: after `attempt` failures wait a uniformly random
//! time in `[0, min(cap, base * 2^attempt)]`, so a fleet of kiosks coming back online does
//! not knock on the platform in step.

use std::time::Duration;

use rand::Rng;

/// Backoff parameters.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First ceiling.
    pub base: Duration,
    /// Largest ceiling.
    pub cap: Duration,
}

impl Backoff {
    /// `cap` as given, or one second when it is not a usable duration (the config refuses
    /// such values at load; this keeps the sync thread alive whatever it is handed).
    fn safe_cap(&self) -> f64 {
        let cap = self.cap.as_secs_f64();
        if cap.is_finite() && cap > 0.0 {
            cap
        } else {
            1.0
        }
    }

    /// The ceiling after `attempt` failures (0-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2f64.powi(attempt.min(30) as i32);
        let cap = self.safe_cap();
        let secs = (self.base.as_secs_f64() * factor).min(cap);
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs_f64(cap))
    }

    /// A random delay under the ceiling; when the platform sent `Retry-After`, that long
    /// (but never more than the cap) plus the random delay. (Not the larger of the two: a
    /// platform shedding a storm sends every kiosk the same `Retry-After`, and kiosks that
    /// all waited exactly that long would come back in step and be shed again.)
    ///
    /// So no answer can park the outbox for longer than twice the cap: a `Retry-After` of
    /// a year, an HTTP date far in the future or `u64::MAX` seconds is a broken or hostile
    /// server, and one row's wait holds back the rows after it (they go in order).
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let ceiling = self.ceiling(attempt).as_secs_f64();
        let jittered =
            Duration::try_from_secs_f64(rng.random_range(0.0..=ceiling)).unwrap_or(Duration::ZERO);
        match retry_after {
            Some(ra) => ra.min(self.longest_pause()).saturating_add(jittered),
            None => jittered,
        }
    }

    /// The longest `Retry-After` honoured: the cap.
    pub fn longest_pause(&self) -> Duration {
        Duration::from_secs_f64(self.safe_cap())
    }

    /// The longest [`Backoff::delay`] can be: a capped `Retry-After` plus the largest
    /// jitter. A stored next attempt further away than this is clamped at start.
    pub fn longest_delay(&self) -> Duration {
        self.longest_pause().saturating_add(self.ceiling(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(10),
        };
        assert_eq!(b.ceiling(0), Duration::from_secs(1));
        assert_eq!(b.ceiling(3), Duration::from_secs(8));
        assert_eq!(b.ceiling(4), Duration::from_secs(10));
        assert_eq!(b.ceiling(1000), Duration::from_secs(10));
    }

    #[test]
    fn delays_stay_under_the_ceiling_and_honour_retry_after() {
        let b = Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(10),
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 0..20 {
            let d = b.delay(attempt, None, &mut rng);
            assert!(d <= b.ceiling(attempt));
        }
        let d = b.delay(0, Some(Duration::from_secs(5)), &mut rng);
        assert!(d >= Duration::from_secs(5));
        assert!(d <= Duration::from_secs(6));
        // Past the cap, Retry-After counts as the cap.
        let d = b.delay(0, Some(Duration::from_secs(30)), &mut rng);
        assert!(d >= Duration::from_secs(10));
        assert!(d <= Duration::from_secs(11));
        // The same Retry-After to many kiosks: they come back spread out, not in step.
        let spread: std::collections::HashSet<u128> = (0..50)
            .map(|_| {
                b.delay(3, Some(Duration::from_secs(2)), &mut rng)
                    .as_millis()
            })
            .collect();
        assert!(spread.len() > 40, "{spread:?}");
    }

    #[test]
    fn retry_after_is_capped_and_never_overflows() {
        let b = Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for ra in [
            Duration::from_secs(365 * 24 * 3600),
            Duration::from_secs(u64::MAX),
            Duration::MAX,
        ] {
            for attempt in [0, 5, u32::MAX] {
                let d = b.delay(attempt, Some(ra), &mut rng);
                assert!(d >= Duration::from_secs(300), "{d:?}");
                assert!(d <= b.longest_delay(), "{d:?}");
                assert!(d <= Duration::from_secs(600), "{d:?}");
            }
        }
        // What the worker does with it must not overflow either.
        let d = b.delay(0, Some(Duration::MAX), &mut rng);
        assert!(std::time::Instant::now().checked_add(d).is_some());
        assert!(chrono::Duration::from_std(d).is_ok());
    }

    #[test]
    fn unusable_parameters_do_not_panic() {
        let b = Backoff {
            base: Duration::from_secs(u64::MAX),
            cap: Duration::ZERO,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let d = b.delay(40, Some(Duration::MAX), &mut rng);
        assert!(d <= Duration::from_secs(2), "{d:?}");
    }
}
