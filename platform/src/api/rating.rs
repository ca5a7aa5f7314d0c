//! Rating (好差评): the [`KIND_RATING`] transaction a kiosk uploads when a citizen rates the
//! service they just used, and the operator's counts (`GET /v1/admin/ratings`).
//!
//! A rating carries no personal data: the service, the case number where the service
//! opened or followed one, the level and the reasons picked from a fixed list. There is no
//! free text, so nothing a citizen types (a phone number, a name) can reach the platform.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `kind` of a [`super::Transaction`] whose payload is a [`RatingTx`].
pub const KIND_RATING: &str = "rating";

/// Longest service name and case number a rating may carry.
pub const MAX_RATING_FIELD: usize = 64;

/// The five levels of the national 好差评 scale, best first.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RatingLevel {
    /// 非常满意.
    VerySatisfied,
    /// 满意.
    Satisfied,
    /// 基本满意.
    Basic,
    /// 不满意.
    Unsatisfied,
    /// 非常不满意.
    VeryUnsatisfied,
}

impl RatingLevel {
    /// Every level, best first.
    pub const ALL: [RatingLevel; 5] = [
        RatingLevel::VerySatisfied,
        RatingLevel::Satisfied,
        RatingLevel::Basic,
        RatingLevel::Unsatisfied,
        RatingLevel::VeryUnsatisfied,
    ];

    /// The lower three may say why; the upper two carry no reasons.
    pub fn takes_reasons(self) -> bool {
        matches!(
            self,
            RatingLevel::Basic | RatingLevel::Unsatisfied | RatingLevel::VeryUnsatisfied
        )
    }
}

/// Why a citizen was not fully satisfied: the fixed list the kiosk offers.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RatingReason {
    /// 等候时间长.
    LongWait,
    /// 操作复杂.
    HardToUse,
    /// 指引不清楚.
    UnclearGuidance,
    /// 设备故障.
    DeviceFault,
    /// 信息有误.
    WrongInformation,
    /// 事项未办成.
    NotDone,
}

impl RatingReason {
    /// Every reason, in the kiosk's order.
    pub const ALL: [RatingReason; 6] = [
        RatingReason::LongWait,
        RatingReason::HardToUse,
        RatingReason::UnclearGuidance,
        RatingReason::DeviceFault,
        RatingReason::WrongInformation,
        RatingReason::NotDone,
    ];
}

/// Payload of a [`KIND_RATING`] transaction.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct RatingTx {
    /// UUID made by the kiosk; one rating is stored once whatever the transport does.
    pub rating_id: String,
    /// The service rated, as the kiosk names it (`queue_ticket`, `certificate`, …):
    /// lowercase letters, digits and `_`.
    pub service: String,
    /// The case the service opened or followed, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_number: Option<String>,
    /// How satisfied.
    pub level: RatingLevel,
    /// Why not fully (lower three levels only; each at most once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<RatingReason>,
    /// When the citizen rated.
    pub rated_at: DateTime<Utc>,
}

impl RatingTx {
    /// Why the platform refuses this rating, if it does.
    pub fn problem(&self) -> Option<String> {
        if uuid::Uuid::parse_str(&self.rating_id).is_err() {
            return Some("rating_id is not a UUID".to_owned());
        }
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= MAX_RATING_FIELD
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        if !name_ok(&self.service) {
            return Some(format!(
                "service must be 1..={MAX_RATING_FIELD} of a-z, 0-9, _"
            ));
        }
        if let Some(case) = &self.case_number {
            let ok = !case.is_empty()
                && case.len() <= MAX_RATING_FIELD
                && case.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return Some(format!(
                    "case_number must be 1..={MAX_RATING_FIELD} of A-Z, a-z, 0-9, -"
                ));
            }
        }
        if !self.level.takes_reasons() && !self.reasons.is_empty() {
            return Some("reasons are only for basic, unsatisfied, very_unsatisfied".to_owned());
        }
        let mut seen = self.reasons.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.reasons.len() {
            return Some("a reason is given twice".to_owned());
        }
        None
    }
}

/// `GET /v1/admin/ratings` response: counts per service, per level and per reason
/// (operator/test view).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct RatingCounts {
    /// One entry per service that was rated, ordered by service name.
    pub services: Vec<ServiceRatings>,
}

impl RatingCounts {
    /// The counts of `service`, if it was ever rated.
    pub fn of(&self, service: &str) -> Option<&ServiceRatings> {
        self.services.iter().find(|s| s.service == service)
    }
}

/// The ratings of one service.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceRatings {
    /// The service.
    pub service: String,
    /// Ratings stored in all.
    pub total: u64,
    /// How many at each level (levels never given are absent).
    pub levels: BTreeMap<RatingLevel, u64>,
    /// How often each reason was picked.
    #[serde(default)]
    pub reasons: BTreeMap<RatingReason, u64>,
    /// Ratings linked to a case.
    #[serde(default)]
    pub with_case: u64,
}

impl ServiceRatings {
    /// How many ratings at `level`.
    pub fn at(&self, level: RatingLevel) -> u64 {
        self.levels.get(&level).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(level: RatingLevel, reasons: Vec<RatingReason>) -> RatingTx {
        RatingTx {
            rating_id: uuid::Uuid::new_v4().to_string(),
            service: "queue_ticket".into(),
            case_number: None,
            level,
            reasons,
            rated_at: Utc::now(),
        }
    }

    #[test]
    fn the_json_names_are_the_contract_s() {
        let t = tx(RatingLevel::VeryUnsatisfied, vec![RatingReason::LongWait]);
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["level"], "very_unsatisfied");
        assert_eq!(v["reasons"][0], "long_wait");
        assert!(v.get("case_number").is_none(), "absent, not null");
        let upper = serde_json::to_value(tx(RatingLevel::Satisfied, vec![])).unwrap();
        assert!(upper.get("reasons").is_none());
    }

    #[test]
    fn reasons_only_below_satisfied_once_each_and_names_are_plain() {
        assert_eq!(
            tx(RatingLevel::Basic, vec![RatingReason::NotDone]).problem(),
            None
        );
        assert!(tx(RatingLevel::Satisfied, vec![RatingReason::NotDone])
            .problem()
            .is_some());
        assert!(tx(
            RatingLevel::Unsatisfied,
            vec![RatingReason::NotDone, RatingReason::NotDone]
        )
        .problem()
        .is_some());
        let mut t = tx(RatingLevel::Satisfied, vec![]);
        t.service = "Queue Ticket".into();
        assert!(t.problem().is_some());
        let mut t = tx(RatingLevel::Satisfied, vec![]);
        t.case_number = Some("ZM-2026-0001".into());
        assert_eq!(t.problem(), None);
        t.case_number = Some("<script>".into());
        assert!(t.problem().is_some());
    }
}
