//! The ID-card reader thread: polls the reader, turns a card into a session start.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::app::{Citizen, EventSink, KioskEvent, Notice};

/// How often the reader is asked whether a card is there.
const POLL: Duration = Duration::from_millis(200);

/// The running reader thread; stops on drop.
pub struct IdCardManager {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What a read card means for the session.
pub fn card_event(card: &idcard::IdCard, today: chrono::NaiveDate) -> KioskEvent {
    if card.is_expired(today) {
        return KioskEvent::CardRefused(Notice::CardExpired);
    }
    KioskEvent::CardRead(Citizen {
        name: card.name.clone(),
        masked_id: card.masked_id(),
    })
}

impl IdCardManager {
    /// Starts polling the reader on `path`.
    pub fn spawn(path: PathBuf, baud: u32, sink: Arc<dyn EventSink>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("idcard".into())
            .spawn(move || run(path, baud, sink, flag))
            .expect("spawn idcard thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for IdCardManager {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(path: PathBuf, baud: u32, sink: Arc<dyn EventSink>, stop: Arc<AtomicBool>) {
    let mut failures = 0u32;
    while !stop.load(Ordering::SeqCst) {
        let reader = match idcard::open_serial(&path, baud) {
            Ok(r) => r,
            Err(e) => {
                if failures == 0 {
                    tracing::error!(device = "idcard", port = %path.display(), "cannot open reader: {e}");
                }
                failures += 1;
                sleep_unless_stopped(super::reconnect_delay(failures), &stop);
                continue;
            }
        };
        if failures > 0 {
            tracing::info!(
                device = "idcard",
                "reader back after {failures} failed attempts"
            );
        }
        failures = 0;
        let mut poller = idcard::CardPoller::new(reader);
        // A card that cannot be read fails on every poll until it is taken away: tell the
        // citizen and the log once, not five times a second.
        let mut failing = false;
        while !stop.load(Ordering::SeqCst) {
            let result = poller.poll();
            let was_failing = std::mem::replace(&mut failing, result.is_err());
            match result {
                Ok(Some(card)) => {
                    tracing::info!(device = "idcard", "card read");
                    sink.send(card_event(&card, crate::clock::service_day()));
                }
                Ok(None) => {}
                Err(idcard::Error::Io(e)) => {
                    // Cable pulled or port gone: reopen with backoff.
                    tracing::error!(device = "idcard", "reader lost: {e}");
                    break;
                }
                Err(_) if was_failing => {}
                Err(e) => {
                    // A bad frame or a status from the reader: the citizen places the card
                    // again; technicians see the cause in the log.
                    tracing::warn!(device = "idcard", "read failed: {e}");
                    sink.send(KioskEvent::CardRefused(Notice::CardUnreadable));
                }
            }
            sleep_unless_stopped(POLL, &stop);
        }
    }
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(50);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::SeqCst) {
        let d = left.min(step);
        std::thread::sleep(d);
        left -= d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_card_starts_a_session_with_the_masked_number_only() {
        let card = idcard::sim::sample_cards().remove(0);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        match card_event(&card, today) {
            KioskEvent::CardRead(c) => {
                assert_eq!(c.name, card.name);
                assert_eq!(c.masked_id, idcard::id_number::mask(&card.id_number));
                assert_ne!(c.masked_id, card.id_number);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_expired_card_is_refused_with_its_own_notice() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let expired = idcard::sim::sample_cards()
            .into_iter()
            .find(|c| c.is_expired(today))
            .expect("an expired sample card");
        assert!(matches!(
            card_event(&expired, today),
            KioskEvent::CardRefused(Notice::CardExpired)
        ));
    }
}
