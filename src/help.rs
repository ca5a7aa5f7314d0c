//! "Call staff" (呼叫工作人员): a citizen asked for help at this kiosk. One request stands
//! until staff clear it on the staff screen; the staff screen shows it with its time and
//! the heartbeat carries it to the platform (`help_requested_at`). No personal data: only
//! when.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};

/// The standing request, shared by the UI thread (which sets it and shows it to staff) and
/// the sync thread (which reports it in the heartbeat).
#[derive(Debug, Clone, Default)]
pub struct HelpRequest(Arc<Mutex<Option<DateTime<FixedOffset>>>>);

impl HelpRequest {
    /// A citizen touched "call staff" at `at`. Returns true when this is a new request (a
    /// second touch keeps the first time: staff see how long someone has waited).
    pub fn request(&self, at: DateTime<FixedOffset>) -> bool {
        let mut since = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if since.is_some() {
            return false;
        }
        *since = Some(at);
        true
    }

    /// When the standing request was made.
    pub fn since(&self) -> Option<DateTime<FixedOffset>> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Staff came: the request is cleared. Returns whether there was one.
    pub fn clear(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_time_stands_until_staff_clear_it() {
        let h = HelpRequest::default();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        assert!(h.request(t("2026-12-01T10:00:00+08:00")));
        assert!(!h.request(t("2026-12-01T10:05:00+08:00")));
        let shared = h.clone();
        assert_eq!(shared.since(), Some(t("2026-12-01T10:00:00+08:00")));
        assert!(shared.clear());
        assert_eq!(h.since(), None);
        assert!(!h.clear());
    }
}
