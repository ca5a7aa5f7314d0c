//! Medical insurance service (医保查询): a card holder's medical-insurance account
//! (`GET /v1/medical-insurance?holder=…`, by [`holder_hash`](super::holder_hash), never the
//! ID number): the contributions of the last [`MONTHS`] months, the spending records of
//! that year and the personal account's balance.
//!
//! Money is integer fen (分) everywhere, never a float: ¥1,234.56 is `123456`.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How many months of contributions the account shows, the current month last.
pub const MONTHS: usize = 12;

/// Error `code` of a 404 for a holder the medical-insurance system has no record of.
pub const UNKNOWN_HOLDER: &str = "unknown_holder";

/// A calendar month, `2026-01` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year, e.g. 2026.
    pub year: i32,
    /// 1..=12.
    pub month: u32,
}

impl Month {
    /// The month of `date`.
    pub fn of(date: NaiveDate) -> Month {
        use chrono::Datelike;
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The month `n` months before this one.
    pub fn back(self, n: u32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 - n as i32;
        Month {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// The first day of the month (`None` only for an out-of-range month).
    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    /// The [`MONTHS`] months ending with this one, oldest first.
    pub fn last_year_to(self) -> Vec<Month> {
        (0..MONTHS as u32).rev().map(|n| self.back(n)).collect()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("month must be YYYY-MM, not {s:?}");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if y.len() != 4 || m.len() != 2 || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What was paid in for one month.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// The contribution base (缴费基数), fen.
    pub base_fen: i64,
    /// The employer's part (单位缴纳), fen.
    pub employer_fen: i64,
    /// The citizen's own part (个人缴纳), fen.
    pub personal_fen: i64,
    /// What went into the personal account (划入个人账户), fen.
    pub credited_fen: i64,
}

/// One month of [`MedicalAccount::months`]: its contribution, or `null` when nothing was
/// paid that month (a gap between jobs, say).
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct ContributionMonth {
    /// The month.
    pub month: Month,
    /// What was paid, `None`: no contribution that month.
    pub contribution: Option<Contribution>,
}

/// Where money was spent.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SpendingKind {
    /// A visit to a clinic or a hospital's outpatient department (门诊).
    Outpatient,
    /// A hospital stay (住院).
    Inpatient,
    /// A designated pharmacy (药店).
    Pharmacy,
}

/// One settlement of medical costs.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct SpendingRecord {
    /// The hall-local day of the settlement.
    pub date: NaiveDate,
    /// The hospital or pharmacy, Chinese (its registered name).
    pub place_zh: String,
    /// The same in English.
    pub place_en: String,
    /// Outpatient, inpatient or pharmacy.
    pub kind: SpendingKind,
    /// The whole bill, fen; always `fund_fen + own_fen`.
    pub amount_fen: i64,
    /// Paid by the pooled fund (统筹基金支付), fen.
    pub fund_fen: i64,
    /// Paid by the citizen, from the personal account or in cash (个人支付), fen.
    pub own_fen: i64,
}

/// `GET /v1/medical-insurance?holder=…` response. Personal (amounts of a person's money):
/// its `Debug` says how many rows, never what they hold.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct MedicalAccount {
    /// The hall-local day the figures are from.
    pub as_of: NaiveDate,
    /// The personal account's balance (个人账户余额), fen.
    pub balance_fen: i64,
    /// Exactly [`MONTHS`] months, oldest first, ending with the month of `as_of`.
    pub months: Vec<ContributionMonth>,
    /// The settlements within those months, newest first.
    pub spending: Vec<SpendingRecord>,
}

impl fmt::Debug for MedicalAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MedicalAccount")
            .field("as_of", &self.as_of)
            .field("months", &self.months.len())
            .field("spending", &self.spending.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Contribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Contribution(<redacted>)")
    }
}

impl fmt::Debug for ContributionMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContributionMonth({}, <redacted>)", self.month)
    }
}

impl fmt::Debug for SpendingRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SpendingRecord({}, {:?}, <redacted>)",
            self.date, self.kind
        )
    }
}

impl MedicalAccount {
    /// Whether the answer keeps the contract's promises: twelve consecutive months ending
    /// with `as_of`'s, no negative amounts, each bill the sum of its parts, every record
    /// within the months shown. The kiosk refuses an answer that does not (a broken
    /// platform), rather than show a citizen wrong money.
    pub fn is_consistent(&self) -> bool {
        let expected = Month::of(self.as_of).last_year_to();
        let months_ok = self.months.len() == MONTHS
            && self
                .months
                .iter()
                .zip(&expected)
                .all(|(m, e)| m.month == *e)
            && self.months.iter().all(|m| {
                m.contribution.as_ref().is_none_or(|c| {
                    c.base_fen >= 0
                        && c.employer_fen >= 0
                        && c.personal_fen >= 0
                        && c.credited_fen >= 0
                })
            });
        let first = expected[0];
        let spending_ok = self.spending.iter().all(|r| {
            r.fund_fen >= 0
                && r.own_fen >= 0
                && r.fund_fen.checked_add(r.own_fen) == Some(r.amount_fen)
                && Month::of(r.date) >= first
                && r.date <= self.as_of
        });
        months_ok && spending_ok && self.balance_fen >= 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_over_the_new_year() {
        let m = Month {
            year: 2026,
            month: 3,
        };
        assert_eq!(
            m.back(3),
            Month {
                year: 2025,
                month: 12
            }
        );
        let year = m.last_year_to();
        assert_eq!(year.len(), MONTHS);
        assert_eq!(
            year[0],
            Month {
                year: 2025,
                month: 4
            }
        );
        assert_eq!(year[11], m);
        assert_eq!("2025-04".parse::<Month>(), Ok(year[0]));
        assert!("2025-13".parse::<Month>().is_err());
        assert!("2025-4".parse::<Month>().is_err());
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"2026-03\"");
    }

    #[test]
    fn debug_shows_no_money() {
        let a = MedicalAccount {
            as_of: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            balance_fen: 987_654,
            months: vec![ContributionMonth {
                month: Month {
                    year: 2026,
                    month: 3,
                },
                contribution: Some(Contribution {
                    base_fen: 800_000,
                    employer_fen: 76_000,
                    personal_fen: 16_000,
                    credited_fen: 16_000,
                }),
            }],
            spending: vec![SpendingRecord {
                date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                place_zh: "示范市第一人民医院".into(),
                place_en: "Demo City No. 1 People's Hospital".into(),
                kind: SpendingKind::Outpatient,
                amount_fen: 34_567,
                fund_fen: 20_000,
                own_fen: 14_567,
            }],
        };
        let s = format!("{a:?} {:?} {:?}", a.months, a.spending);
        for secret in ["987654", "9876", "800000", "34567", "14567", "人民医院"] {
            assert!(!s.contains(secret), "{secret} in {s}");
        }
        assert!(!a.is_consistent(), "one month is not twelve");
    }
}
