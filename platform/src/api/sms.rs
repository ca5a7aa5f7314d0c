//! The simulator's SMS gateway as a test reads it (`GET /control/sms?number=`): what the
//! platform sent to a phone number. Not a kiosk endpoint: the kiosk never reads messages.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::mask_phone;

/// One message the platform sent.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// The mobile number it went to.
    pub number: String,
    /// The text, Chinese first.
    pub text: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

impl fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsMessage")
            .field("number", &mask_phone(&self.number))
            .field("text", &self.text)
            .field("sent_at", &self.sent_at)
            .finish()
    }
}

/// `GET /control/sms?number=` response: the messages to that number, oldest first.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct SmsList {
    /// Oldest first.
    pub messages: Vec<SmsMessage>,
}
