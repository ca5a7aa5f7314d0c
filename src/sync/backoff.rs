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
    /// The ceiling after `attempt` failures (0-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2f64.powi(attempt.min(30) as i32);
        Duration::from_secs_f64((self.base.as_secs_f64() * factor).min(self.cap.as_secs_f64()))
    }

    /// A random delay under the ceiling; when the platform sent `Retry-After`, that long
    /// plus the random delay. (Not the larger of the two: a platform shedding a storm
    /// sends every kiosk the same `Retry-After`, and kiosks that all waited exactly that
    /// long would come back in step and be shed again.)
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let ceiling = self.ceiling(attempt).as_secs_f64();
        let jittered = Duration::from_secs_f64(rng.random_range(0.0..=ceiling));
        match retry_after {
            Some(ra) => ra + jittered,
            None => jittered,
        }
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
        let d = b.delay(0, Some(Duration::from_secs(30)), &mut rng);
        assert!(d >= Duration::from_secs(30));
        assert!(d <= Duration::from_secs(31));
        // The same Retry-After to many kiosks: they come back spread out, not in step.
        let spread: std::collections::HashSet<u128> = (0..50)
            .map(|_| {
                b.delay(3, Some(Duration::from_secs(2)), &mut rng)
                    .as_millis()
            })
            .collect();
        assert!(spread.len() > 40, "{spread:?}");
    }
}
