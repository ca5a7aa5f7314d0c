//! Identification without the card: a typed ID number confirmed by a code the platform
//! sends by SMS to the phone it has on file for that person (`POST /v1/identity/sms`,
//! `POST /v1/identity/sms/verify`), and the electronic ID's QR code from the citizen's
//! phone (`POST /v1/identity/eid/verify`). The kiosk sends the holder hash, never the ID
//! number; the platform enforces the code's life, single use and the lock after too many
//! wrong codes, and answers each outcome as a value the kiosk can word for the citizen.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How long an SMS code is good for.
pub const SMS_CODE_SECS: i64 = 5 * 60;
/// Wrong SMS codes in a row that close the typed route for the holder.
pub const MAX_WRONG_CODES: u32 = 5;
/// How long the typed route stays closed after [`MAX_WRONG_CODES`].
pub const LOCK_SECS: i64 = 15 * 60;
/// How long an electronic-ID code is good for.
pub const EID_CODE_SECS: i64 = 3 * 60;
/// Digits of an SMS code.
pub const SMS_CODE_LEN: usize = 6;

/// `POST /v1/identity/sms` body: send a code to the phone on file for this holder.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct SmsCodeRequest {
    /// The holder hash of the typed ID number (`api::holder_hash`).
    pub holder: String,
}

impl fmt::Debug for SmsCodeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmsCodeRequest { holder: <redacted> }")
    }
}

/// The answer to [`SmsCodeRequest`].
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SmsCodeSent {
    /// A code is on its way; any earlier code of the holder no longer works.
    Sent {
        /// The phone on file, masked (`138****8000`): the kiosk shows this, never more.
        masked_phone: String,
        /// Seconds the code is good for.
        expires_in_s: i64,
    },
    /// The platform has no phone number for this ID number (or does not know it).
    NoPhone,
    /// Too many wrong codes: the typed route is closed for this holder for a while.
    Locked {
        /// Seconds until it opens again.
        seconds_left: i64,
    },
}

impl fmt::Debug for SmsCodeSent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmsCodeSent::Sent { expires_in_s, .. } => write!(f, "Sent({expires_in_s} s)"),
            SmsCodeSent::NoPhone => f.write_str("NoPhone"),
            SmsCodeSent::Locked { seconds_left } => write!(f, "Locked({seconds_left} s)"),
        }
    }
}

/// `POST /v1/identity/sms/verify` body.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct SmsCodeCheck {
    /// The holder hash the code was sent for.
    pub holder: String,
    /// The code the citizen typed (6 digits).
    pub code: String,
}

impl fmt::Debug for SmsCodeCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmsCodeCheck { holder: <redacted>, code: <redacted> }")
    }
}

/// The answer to [`SmsCodeCheck`].
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SmsCodeChecked {
    /// The code was right: the person is identified. The code is used up.
    Verified {
        /// The name on file.
        name: String,
    },
    /// Not the code that was sent.
    Wrong {
        /// Tries left before the route closes (0: it closed with this one).
        tries_left: u32,
    },
    /// The code's five minutes are over: send a new one.
    Expired,
    /// No code is waiting for this holder (never sent, already used, or replaced).
    NoCode,
    /// The typed route is closed for this holder.
    Locked {
        /// Seconds until it opens again.
        seconds_left: i64,
    },
}

impl fmt::Debug for SmsCodeChecked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmsCodeChecked::Verified { .. } => f.write_str("Verified(<redacted>)"),
            SmsCodeChecked::Wrong { tries_left } => write!(f, "Wrong({tries_left} left)"),
            SmsCodeChecked::Expired => f.write_str("Expired"),
            SmsCodeChecked::NoCode => f.write_str("NoCode"),
            SmsCodeChecked::Locked { seconds_left } => write!(f, "Locked({seconds_left} s)"),
        }
    }
}

/// `POST /v1/identity/eid/verify` body: the electronic ID's code as scanned.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct EidCheck {
    /// The code's token ([`crate::codes::parse_eid_code`]).
    pub token: String,
}

impl fmt::Debug for EidCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EidCheck { token: <redacted> }")
    }
}

/// The answer to [`EidCheck`].
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EidChecked {
    /// A good code: who it names. The code is used up.
    Verified {
        /// Holder hash of the person (what the kiosk's services ask the platform with).
        holder: String,
        /// Name.
        name: String,
        /// ID number masked: first 6 and last 4 shown.
        masked_id: String,
    },
    /// Its three minutes are over: refresh the code in the app.
    Expired,
    /// It was used once already.
    Used,
    /// Not a code the e-ID service issued.
    Invalid,
}

impl fmt::Debug for EidChecked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EidChecked::Verified { .. } => f.write_str("Verified(<redacted>)"),
            EidChecked::Expired => f.write_str("Expired"),
            EidChecked::Used => f.write_str("Used"),
            EidChecked::Invalid => f.write_str("Invalid"),
        }
    }
}

/// Simulator only: `POST /control/eid/issue?citizen=N` answer, the QR payload the e-ID
/// app of sample citizen `N` would show now.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct EidIssued {
    /// What the QR code holds ([`crate::codes::EID_PREFIX`] + token).
    pub payload: String,
}

/// Whether `code` has the shape of an SMS code (six ASCII digits); the client sends no
/// other.
pub fn is_sms_code(code: &str) -> bool {
    code.len() == SMS_CODE_LEN && code.bytes().all(|b| b.is_ascii_digit())
}

/// Masks an ID number: first 6 and last 4 shown (`110101********0017`).
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_tagged_and_debug_hides_people() {
        let v = SmsCodeChecked::Verified {
            name: "张伟".into(),
        };
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"{"outcome":"verified","name":"张伟"}"#);
        assert!(!format!("{v:?}").contains("张伟"));
        let s = SmsCodeSent::Sent {
            masked_phone: "138****8000".into(),
            expires_in_s: 300,
        };
        assert!(!format!("{s:?}").contains("8000"));
        assert_eq!(
            serde_json::from_str::<EidChecked>(r#"{"outcome":"used"}"#).unwrap(),
            EidChecked::Used
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id_number("110101198503120017"), "110101********0017");
        assert_eq!(mask_id_number("123"), "***");
        assert!(is_sms_code("012345") && !is_sms_code("01234a") && !is_sms_code("1234567"));
    }
}
