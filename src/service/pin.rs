//! Staff and technician PINs: who may sign in with which badge, and the check.
//!
//! A PIN is stored as an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`,
//! made by `kiosk staff hash-pin`): slow to check on purpose, so a stolen configuration does
//! not give up a six-digit PIN in a second. The check runs on the staff worker, never on the
//! UI thread. Entries of the older form `sha256$<salt>$<hex>` still verify, with a warning
//! (at start and in preflight) to rehash them.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use crate::app::staff::{Role, SignedIn};
use crate::config::StaffConfig;

/// One stored PIN.
#[derive(Clone)]
pub enum PinHash {
    /// An argon2id PHC string (checked when parsed).
    Argon2(String),
    /// The older salted SHA-256 (`sha256$<salt>$<hex>`): verifies, but should be rehashed.
    Sha256 {
        /// The salt.
        salt: String,
        /// sha256(salt + PIN).
        digest: [u8; 32],
    },
}

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PinHash::Argon2(_) => "PinHash::Argon2(<redacted>)",
            PinHash::Sha256 { .. } => "PinHash::Sha256(<redacted>)",
        })
    }
}

fn sha256_digest(salt: &str, pin: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(pin.as_bytes());
    h.finalize().into()
}

impl PinHash {
    /// Parses an argon2id PHC string or a legacy `sha256$<salt>$<64 hex digits>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.starts_with("$argon2") {
            let parsed = PasswordHash::new(text).map_err(|e| format!("argon2 hash: {e}"))?;
            if parsed.algorithm.as_str() != "argon2id" {
                return Err(format!(
                    "argon2 hash: {} is not argon2id (make one with `kiosk staff hash-pin`)",
                    parsed.algorithm
                ));
            }
            return Ok(PinHash::Argon2(text.to_owned()));
        }
        let mut parts = text.splitn(3, '$');
        let (Some("sha256"), Some(salt), Some(hex_digest)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err("expected an argon2id PHC string ($argon2id$…, from `kiosk staff hash-pin`) or sha256$<salt>$<hex digest>".into());
        };
        let bytes = hex::decode(hex_digest).map_err(|e| format!("digest: {e}"))?;
        let digest: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "digest: expected 64 hex digits".to_string())?;
        if salt.is_empty() {
            return Err("empty salt".into());
        }
        Ok(PinHash::Sha256 {
            salt: salt.to_owned(),
            digest,
        })
    }

    /// Whether this is the older SHA-256 form (to be rehashed).
    pub fn is_legacy(&self) -> bool {
        matches!(self, PinHash::Sha256 { .. })
    }

    /// Whether `pin` is the PIN. Slow for argon2id (tens of milliseconds): call it on a
    /// worker thread.
    pub fn verify(&self, pin: &str) -> bool {
        match self {
            PinHash::Argon2(phc) => PasswordHash::new(phc).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(pin.as_bytes(), &h)
                    .is_ok()
            }),
            PinHash::Sha256 { salt, digest } => {
                let d = sha256_digest(salt, pin);
                // Compare every byte, whatever the first difference.
                d.iter()
                    .zip(digest.iter())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
            }
        }
    }

    /// A new argon2id PHC string for `pin` under a random salt (`kiosk staff hash-pin`).
    pub fn hash(pin: &str) -> Result<String, String> {
        let bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(pin.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    }

    /// The legacy configuration line for `pin` under `salt` (tests of the old form).
    pub fn make_sha256(salt: &str, pin: &str) -> String {
        format!("sha256${salt}${}", hex::encode(sha256_digest(salt, pin)))
    }
}

/// One badge that may sign in.
#[derive(Debug, Clone)]
struct Entry {
    /// `None`: the legacy `[staff] pin_hash`, staff with any badge number.
    badge: Option<String>,
    role: Role,
    hash: PinHash,
}

/// Who may sign in: the configured badges with their role and PIN.
#[derive(Debug, Clone, Default)]
pub struct StaffAccess {
    entries: Vec<Entry>,
}

impl StaffAccess {
    /// Reads `[staff]`: `[[staff.badges]]` entries and the older single `pin_hash`.
    pub fn from_config(config: &StaffConfig) -> Result<StaffAccess, String> {
        let mut entries = Vec::new();
        for (i, b) in config.badges.iter().enumerate() {
            let at = format!("staff.badges[{i}]");
            if b.badge.is_empty() || !b.badge.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("{at}.badge: digits only, as typed on the pad"));
            }
            if b.badge.len() > crate::app::staff::BADGE_MAX {
                return Err(format!(
                    "{at}.badge: at most {} digits",
                    crate::app::staff::BADGE_MAX
                ));
            }
            let role = Role::parse(&b.role)
                .ok_or_else(|| format!("{at}.role: \"staff\" or \"technician\""))?;
            let hash = PinHash::parse(&b.pin_hash).map_err(|e| format!("{at}.pin_hash: {e}"))?;
            if entries
                .iter()
                .any(|e: &Entry| e.badge.as_deref() == Some(&b.badge))
            {
                return Err(format!("{at}.badge: {} is listed twice", b.badge));
            }
            entries.push(Entry {
                badge: Some(b.badge.clone()),
                role,
                hash,
            });
        }
        if let Some(text) = config.pin_hash.as_deref() {
            let hash = PinHash::parse(text).map_err(|e| format!("staff.pin_hash: {e}"))?;
            entries.push(Entry {
                badge: None,
                role: Role::Staff,
                hash,
            });
        }
        Ok(StaffAccess { entries })
    }

    /// No PIN configured: nobody can sign in.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What the operators should fix: sha256 entries to rehash, the badge-less old form.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.entries {
            let at = match &e.badge {
                Some(b) => format!("staff badge {b}"),
                None => "staff.pin_hash".to_owned(),
            };
            if e.hash.is_legacy() {
                out.push(format!(
                    "{at}: an old sha256 PIN hash; make an argon2id one with `kiosk staff hash-pin`"
                ));
            }
            if e.badge.is_none() {
                out.push(format!(
                    "{at}: takes any badge number; list badges under [[staff.badges]]"
                ));
            }
        }
        out
    }

    /// The role a badge is listed with (none for a badge not in the config; an entry
    /// without a badge, the old single PIN, is not a badge's).
    pub fn role_of(&self, badge: &str) -> Option<Role> {
        (self.entries.iter())
            .find(|e| e.badge.as_deref() == Some(badge))
            .map(|e| e.role)
    }

    /// Who signs in with `badge` and `pin`; `None` for an unknown badge or a wrong PIN (the
    /// pad does not say which). An exact badge entry comes before the badge-less old form.
    pub fn check(&self, badge: &str, pin: &str) -> Option<SignedIn> {
        let listed = self
            .entries
            .iter()
            .find(|e| e.badge.as_deref() == Some(badge));
        let entry = listed.or_else(|| self.entries.iter().find(|e| e.badge.is_none()));
        let Some(entry) = entry else {
            // Spend the same time on an unknown badge as on a known one.
            if let Some(any) = self.entries.first() {
                let _ = any.hash.verify(pin);
            }
            return None;
        };
        entry.hash.verify(pin).then(|| SignedIn {
            role: entry.role,
            badge: badge.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StaffBadge;

    #[test]
    fn an_argon2id_hash_accepts_its_pin_only() {
        let line = PinHash::hash("246810").unwrap();
        assert!(line.starts_with("$argon2id$"), "{line}");
        let h = PinHash::parse(&line).unwrap();
        assert!(h.verify("246810"));
        assert!(!h.verify("246811"));
        assert!(!h.is_legacy());
        assert!(!format!("{h:?}").contains("argon2id$"));
        assert!(PinHash::parse("$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA").is_err());
    }

    #[test]
    fn the_old_sha256_form_still_verifies() {
        let line = PinHash::make_sha256("salt", "246810");
        let h = PinHash::parse(&line).unwrap();
        assert!(h.verify("246810"));
        assert!(!h.verify(""));
        assert!(h.is_legacy());
        assert!(PinHash::parse("md5$x$00").is_err());
        assert!(PinHash::parse("sha256$salt$abcd").is_err());
    }

    #[test]
    fn each_badge_signs_in_with_its_own_pin_and_role() {
        let access = StaffAccess::from_config(&crate::demo::demo_staff_config()).unwrap();
        assert!(access.warnings().is_empty(), "{:?}", access.warnings());
        let staff = access.check("1001", "246810").unwrap();
        assert_eq!(staff.role, Role::Staff);
        let tech = access.check("9001", "135790").unwrap();
        assert_eq!((tech.role, tech.badge.as_str()), (Role::Technician, "9001"));
        assert_eq!(access.check("9001", "246810"), None, "another badge's PIN");
        assert_eq!(access.check("4242", "246810"), None, "unknown badge");
    }

    #[test]
    fn the_old_single_pin_takes_any_badge_with_warnings() {
        let config = StaffConfig {
            pin_hash: Some(PinHash::make_sha256("s", "2468")),
            badges: Vec::new(),
        };
        let access = StaffAccess::from_config(&config).unwrap();
        assert_eq!(access.check("77", "2468").unwrap().role, Role::Staff);
        assert_eq!(access.warnings().len(), 2);
        let bad = StaffConfig {
            pin_hash: None,
            badges: vec![StaffBadge {
                badge: "12a".into(),
                role: "staff".into(),
                pin_hash: PinHash::make_sha256("s", "1"),
            }],
        };
        assert!(StaffAccess::from_config(&bad).is_err());
        assert!(StaffAccess::from_config(&StaffConfig::default())
            .unwrap()
            .is_empty());
    }
}
