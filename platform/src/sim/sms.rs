//! The simulator's SMS gateway: it sends nothing, it records each message so a test (and
//! the demo's operator panel) can read what a citizen's phone would have received. Kept in
//! memory: a gateway's log is not the platform's data, and a restarted simulator starts
//! with an empty one.

use std::sync::Mutex;

use chrono::Utc;

use crate::api::identity::SmsMessage;

/// Messages kept at most (the oldest go first), so a long demo does not grow without end.
const KEEP: usize = 1000;

/// The recorded messages, oldest first.
#[derive(Default)]
pub(crate) struct SmsGateway {
    messages: Mutex<Vec<SmsMessage>>,
}

impl SmsGateway {
    /// "Sends" `text` to `number`.
    pub(crate) fn record(&self, number: &str, text: &str) {
        if let Ok(mut m) = self.messages.lock() {
            if m.len() >= KEEP {
                m.remove(0);
            }
            m.push(SmsMessage {
                number: number.to_owned(),
                text: text.to_owned(),
                at: Utc::now(),
            });
        }
    }

    /// The messages sent to `number` (every message when `None`), oldest first.
    pub(crate) fn messages(&self, number: Option<&str>) -> Vec<SmsMessage> {
        self.messages
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|s| number.is_none_or(|n| s.number == n))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_by_number_oldest_first() {
        let g = SmsGateway::default();
        g.record("13800138000", "one");
        g.record("13912345678", "other");
        g.record("13800138000", "two");
        let texts: Vec<String> = g
            .messages(Some("13800138000"))
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(texts, ["one", "two"]);
        assert_eq!(g.messages(None).len(), 3);
    }
}
