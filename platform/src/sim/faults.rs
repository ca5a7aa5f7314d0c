//! Faults the simulator can inject, and the load it has seen.
//!
//! Faults come from [`SimConfig::faults`](super::SimConfig) at start (the
//! `KIOSK_SIM_FAULTS` environment variable for `kiosk platform-sim`, e.g.
//! `error_rate=0.3,latency_ms=20,retry_after_secs=1`) and can be changed while running
//! through `POST /control/faults` (see `docs/platform-api.md`, "Simulator control").

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// What goes wrong, and how often. The default is a healthy platform.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Delay added before every `/v1/` answer, milliseconds.
    pub latency_ms: u64,
    /// Share of `/v1/` requests (0.0..=1.0) that fail. A failing request fails in one of five
    /// ways, equally likely: 500; 503 with `Retry-After`; 429 with `Retry-After`; the
    /// connection dropped before the request is processed; the request processed (and
    /// stored) but the connection dropped before the answer — the case that tests
    /// exactly-once.
    pub error_rate: f64,
    /// `Retry-After` seconds sent with injected 429 and 503 answers.
    pub retry_after_secs: u64,
    /// Down: every `/v1/` connection is dropped unanswered, as if the platform were off.
    pub down: bool,
    /// Share of `/v1/` requests whose connection is dropped, half of them before the
    /// request is processed and half after (stored, answer lost). Drawn after
    /// `error_rate`, from the requests it spared.
    pub drop_rate: f64,
    /// Share of `/v1/` requests answered 429 with `Retry-After` (drawn likewise).
    pub rate_429: f64,
    /// Share of `/v1/` requests answered 503 with `Retry-After` (drawn likewise).
    pub rate_503: f64,
    /// The simulator's clock runs this many seconds ahead of the machine's (negative:
    /// behind), as a platform whose clock disagrees with the kiosk's: the signed-request
    /// window and the heartbeat's `server_time` use it. Not a rate: never drawn.
    pub clock_offset_secs: i64,
}

impl FaultConfig {
    /// Parses `key=value` pairs separated by commas (`error_rate=0.3,down=false`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut f = FaultConfig {
            retry_after_secs: 1,
            ..Default::default()
        };
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| format!("fault {pair:?}: expected key=value"))?;
            fn num<T: std::str::FromStr>(k: &str, v: &str) -> Result<T, String> {
                v.trim()
                    .parse()
                    .map_err(|_| format!("fault {k}: bad value {v:?}"))
            }
            match k.trim() {
                "latency_ms" => f.latency_ms = num(k, v)?,
                "error_rate" => f.error_rate = num(k, v)?,
                "retry_after_secs" => f.retry_after_secs = num(k, v)?,
                "down" => f.down = num(k, v)?,
                "drop_rate" => f.drop_rate = num(k, v)?,
                "rate_429" => f.rate_429 = num(k, v)?,
                "rate_503" => f.rate_503 = num(k, v)?,
                "clock_offset_secs" => f.clock_offset_secs = num(k, v)?,
                other => return Err(format!("unknown fault {other:?}")),
            }
        }
        f.check()?;
        Ok(f)
    }

    /// Refuses rates outside 0..=1.
    pub fn check(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("drop_rate", self.drop_rate),
            ("rate_429", self.rate_429),
            ("rate_503", self.rate_503),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be within 0..=1"));
            }
        }
        Ok(())
    }
}

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Fault {
    Status500,
    Status503,
    Status429,
    DropBefore,
    DropAfter,
}

impl FaultConfig {
    /// Draws the fault (if any) for one request.
    pub(crate) fn draw(&self, rng: &mut impl Rng) -> Option<Fault> {
        if self.down {
            return Some(Fault::DropBefore);
        }
        let mut hit = |rate: f64| rate > 0.0 && rng.random_bool(rate.min(1.0));
        if hit(self.error_rate) {
            return Some(match rng.random_range(0..5) {
                0 => Fault::Status500,
                1 => Fault::Status503,
                2 => Fault::Status429,
                3 => Fault::DropBefore,
                _ => Fault::DropAfter,
            });
        }
        if hit(self.drop_rate) {
            return Some(if rng.random_bool(0.5) {
                Fault::DropBefore
            } else {
                Fault::DropAfter
            });
        }
        if hit(self.rate_429) {
            return Some(Fault::Status429);
        }
        if hit(self.rate_503) {
            return Some(Fault::Status503);
        }
        None
    }
}

/// Load and fault counters, for `GET /control/stats`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct SimStats {
    /// `/v1/` requests received since start.
    pub requests: u64,
    /// The most `/v1/` requests answered in any one second since start (or the last reset).
    pub peak_requests_per_sec: u64,
    /// The most requests being handled at the same moment.
    pub peak_in_flight: u64,
    /// Faults injected so far.
    pub faults_injected: u64,
    /// Requests refused because their nonce was seen before.
    pub replays_refused: u64,
    /// Upload requests refused because a key came back with a different body.
    pub idempotency_conflicts: u64,
    /// Requests answered `503` with `Retry-After` by admission control (queue full, or
    /// waited too long), not counted in `requests`.
    pub shed_503: u64,
    /// The most connections ever waiting for a worker at once.
    pub peak_queue: u64,
}

/// Shared, lock-light counters.
pub(crate) struct Meter {
    started: Instant,
    pub requests: AtomicU64,
    pub faults: AtomicU64,
    pub replays: AtomicU64,
    pub conflicts: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    second: Mutex<(u64, u64, u64)>, // (second index, count in it, peak)
    /// Admission control's counters (kept by the HTTP layer).
    pub queue: std::sync::Arc<super::http::QueueStats>,
}

impl Meter {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            replays: AtomicU64::new(0),
            conflicts: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            peak_in_flight: AtomicU64::new(0),
            second: Mutex::new((0, 0, 0)),
            queue: Default::default(),
        }
    }

    /// Counts a request in; the guard counts it out.
    pub fn enter(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        let sec = self.started.elapsed().as_secs();
        if let Ok(mut s) = self.second.lock() {
            if s.0 != sec {
                s.0 = sec;
                s.1 = 0;
            }
            s.1 += 1;
            s.2 = s.2.max(s.1);
        }
        InFlight(self)
    }

    pub fn snapshot(&self) -> SimStats {
        SimStats {
            requests: self.requests.load(Ordering::Relaxed),
            peak_requests_per_sec: self.second.lock().map(|s| s.2).unwrap_or(0),
            peak_in_flight: self.peak_in_flight.load(Ordering::Relaxed),
            faults_injected: self.faults.load(Ordering::Relaxed),
            replays_refused: self.replays.load(Ordering::Relaxed),
            idempotency_conflicts: self.conflicts.load(Ordering::Relaxed),
            shed_503: self.queue.shed.load(Ordering::Relaxed),
            peak_queue: self.queue.peak_queue.load(Ordering::Relaxed),
        }
    }
}

pub(crate) struct InFlight<'a>(&'a Meter);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parses_flags_and_refuses_nonsense() {
        let f = FaultConfig::parse("error_rate=0.3, latency_ms=20,retry_after_secs=2").unwrap();
        assert_eq!(f.error_rate, 0.3);
        assert_eq!(f.latency_ms, 20);
        assert_eq!(f.retry_after_secs, 2);
        assert!(!f.down);
        assert!(FaultConfig::parse("error_rate=2").is_err());
        assert!(FaultConfig::parse("bogus=1").is_err());
        assert!(FaultConfig::parse("down").is_err());
        assert!(FaultConfig::parse("drop_rate=1.5").is_err());
        let f = FaultConfig::parse("drop_rate=0.1,rate_429=0.2,rate_503=0.05").unwrap();
        assert_eq!((f.drop_rate, f.rate_429, f.rate_503), (0.1, 0.2, 0.05));
    }

    #[test]
    fn specific_rates_draw_only_their_kind() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let only = |f: FaultConfig, rng: &mut rand::rngs::StdRng| {
            (0..2_000)
                .filter_map(|_| f.draw(rng))
                .collect::<std::collections::HashSet<_>>()
        };
        let drops = only(
            FaultConfig {
                drop_rate: 0.5,
                ..Default::default()
            },
            &mut rng,
        );
        assert_eq!(
            drops,
            [Fault::DropBefore, Fault::DropAfter].into_iter().collect()
        );
        let throttled = only(
            FaultConfig {
                rate_429: 1.0,
                ..Default::default()
            },
            &mut rng,
        );
        assert_eq!(throttled, [Fault::Status429].into_iter().collect());
        let busy = only(
            FaultConfig {
                rate_503: 0.3,
                ..Default::default()
            },
            &mut rng,
        );
        assert_eq!(busy, [Fault::Status503].into_iter().collect());
    }

    #[test]
    fn draws_every_kind_at_about_the_rate() {
        let f = FaultConfig::parse("error_rate=0.3").unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let draws: Vec<_> = (0..10_000).map(|_| f.draw(&mut rng)).collect();
        let failed = draws.iter().filter(|d| d.is_some()).count();
        assert!((2_700..3_300).contains(&failed), "{failed}");
        for kind in [
            Fault::Status500,
            Fault::Status503,
            Fault::Status429,
            Fault::DropBefore,
            Fault::DropAfter,
        ] {
            assert!(draws.contains(&Some(kind)), "{kind:?}");
        }
        let down = FaultConfig {
            down: true,
            ..Default::default()
        };
        assert_eq!(down.draw(&mut rng), Some(Fault::DropBefore));
    }
}
