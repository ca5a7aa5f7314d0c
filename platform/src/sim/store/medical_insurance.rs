//! Medical insurance service: the accounts of the sample card holders.
//!
//! The simulator holds no table for them: each sample holder has a fixed plan (employer,
//! contribution base, gaps, visits) and the account is laid out from it for the twelve
//! months ending today, so the demo and the tests always see a year of records, whatever
//! the date, and every restart sees the same ones. A holder without a plan has no record
//! (the platform's 404 `unknown_holder`).

use chrono::{Datelike, NaiveDate};

use crate::api::holder_hash;
use crate::api::medical_insurance::{
    Contribution, ContributionMonth, MedicalAccount, Month, SpendingKind, SpendingRecord, MONTHS,
};
use crate::sim::cases::SAMPLE_HOLDER_ID_NUMBERS;

/// A place where a sample holder is treated: Chinese and English name.
type Place = (&'static str, &'static str);

const HOSPITAL: Place = ("示范市第一人民医院", "Demo City No. 1 People's Hospital");
const TCM: Place = ("示范市中医院", "Demo City Hospital of Chinese Medicine");
const CLINIC: Place = (
    "解放路街道社区卫生服务中心",
    "Jiefang Road Community Health Centre",
);
const PHARMACY_A: Place = ("老百姓大药房（解放路店）", "LBX Pharmacy, Jiefang Road");
const PHARMACY_B: Place = ("益丰大药房（人民路店）", "Yifeng Pharmacy, Renmin Road");

/// One planned visit: months before the current one, day of the month, place, kind, the
/// whole bill in fen and the part the pooled fund pays in per cent.
struct Visit {
    months_back: u32,
    day: u32,
    place: Place,
    kind: SpendingKind,
    amount_fen: i64,
    fund_percent: i64,
}

/// How a sample holder's account is made.
struct Plan {
    /// Contribution base, fen (for a retiree: the pension the credit is reckoned from).
    base_fen: i64,
    /// Employer's and own rate in per mille of the base (a retiree pays none).
    employer_permille: i64,
    personal_permille: i64,
    /// Credited to the personal account per month, per mille of the base.
    credited_permille: i64,
    /// Months (counted back from the current one) with no contribution.
    gaps: &'static [u32],
    balance_fen: i64,
    visits: Vec<Visit>,
}

fn visit(months_back: u32, day: u32, place: Place, kind: SpendingKind, amount_fen: i64) -> Visit {
    let fund_percent = match kind {
        // A pharmacy is paid from the personal account: the citizen's money.
        SpendingKind::Pharmacy => 0,
        SpendingKind::Outpatient => 50,
        SpendingKind::Inpatient => 82,
    };
    Visit {
        months_back,
        day,
        place,
        kind,
        amount_fen,
        fund_percent,
    }
}

/// 赵秀英, retired: medicine twice a month, a clinic most months, a week in hospital.
fn elderly() -> Plan {
    use SpendingKind::*;
    const PILLS: [i64; 6] = [12_860, 9_540, 15_320, 8_970, 11_480, 13_650];
    let mut visits = Vec::new();
    for back in 0..MONTHS as u32 {
        let i = back as usize;
        let (a, b) = if back % 2 == 0 {
            (PHARMACY_A, PHARMACY_B)
        } else {
            (PHARMACY_B, PHARMACY_A)
        };
        visits.push(visit(back, 6, a, Pharmacy, PILLS[i % 6]));
        visits.push(visit(back, 21, b, Pharmacy, PILLS[(i + 3) % 6] + 1_250));
        if back % 3 != 1 {
            let place = if back % 2 == 0 { CLINIC } else { TCM };
            visits.push(visit(
                back,
                13,
                place,
                Outpatient,
                18_600 + 2_350 * (i as i64 % 4),
            ));
        }
    }
    // The hospital stay: admitted for a week, settled on discharge.
    visits.push(visit(5, 17, HOSPITAL, Inpatient, 1_864_230));
    visits.push(visit(5, 28, HOSPITAL, Outpatient, 26_400));
    Plan {
        base_fen: 385_000,
        employer_permille: 0,
        personal_permille: 0,
        credited_permille: 40,
        gaps: &[],
        balance_fen: 428_655,
        visits,
    }
}

/// 张伟, employed, changed jobs in the spring: a few visits.
fn employed() -> Plan {
    use SpendingKind::*;
    Plan {
        base_fen: 800_000,
        employer_permille: 80,
        personal_permille: 20,
        credited_permille: 20,
        gaps: &[7, 6],
        balance_fen: 328_640,
        visits: vec![
            visit(10, 9, HOSPITAL, Outpatient, 46_820),
            visit(8, 23, PHARMACY_A, Pharmacy, 6_850),
            visit(3, 4, TCM, Outpatient, 31_200),
            visit(1, 16, PHARMACY_B, Pharmacy, 4_290),
        ],
    }
}

fn plan(holder: &str) -> Option<Plan> {
    use SpendingKind::*;
    let index = SAMPLE_HOLDER_ID_NUMBERS
        .iter()
        .position(|id| holder_hash(id) == holder)?;
    Some(match index {
        0 => employed(),
        // 刘洋: young, well paid, healthy.
        1 => Plan {
            base_fen: 1_200_000,
            employer_permille: 80,
            personal_permille: 20,
            credited_permille: 20,
            gaps: &[],
            balance_fen: 1_152_300,
            visits: vec![visit(4, 11, PHARMACY_B, Pharmacy, 3_860)],
        },
        // 陈静.
        2 => Plan {
            base_fen: 650_000,
            employer_permille: 80,
            personal_permille: 20,
            credited_permille: 20,
            gaps: &[],
            balance_fen: 512_480,
            visits: vec![
                visit(9, 2, CLINIC, Outpatient, 15_400),
                visit(2, 19, PHARMACY_A, Pharmacy, 8_760),
            ],
        },
        3 => elderly(),
        // 阿依古丽·买买提: insured since the summer.
        4 => Plan {
            base_fen: 500_000,
            employer_permille: 80,
            personal_permille: 20,
            credited_permille: 20,
            gaps: &[11, 10, 9, 8, 7],
            balance_fen: 71_500,
            visits: vec![visit(2, 7, HOSPITAL, Outpatient, 22_150)],
        },
        // 欧阳䶮然 (and anyone else): not insured here.
        _ => return None,
    })
}

/// The account of `holder` (a holder hash) as of `today`, or `None` for a holder with no
/// record.
pub(crate) fn account(holder: &str, today: NaiveDate) -> Option<MedicalAccount> {
    let plan = plan(&holder.to_ascii_lowercase())?;
    let this = Month::of(today);
    let part = |permille: i64| plan.base_fen * permille / 1000;
    let months = this
        .last_year_to()
        .into_iter()
        .enumerate()
        .map(|(i, month)| {
            let back = (MONTHS - 1 - i) as u32;
            ContributionMonth {
                month,
                contribution: (!plan.gaps.contains(&back)).then(|| Contribution {
                    base_fen: plan.base_fen,
                    employer_fen: part(plan.employer_permille),
                    personal_fen: part(plan.personal_permille),
                    credited_fen: part(plan.credited_permille),
                }),
            }
        })
        .collect();
    let mut spending: Vec<SpendingRecord> = plan
        .visits
        .iter()
        .filter_map(|v| {
            let first = this.back(v.months_back).first_day()?;
            // A day past the month's end (the 31st in a short month) settles on its last day.
            let date = (0..4).find_map(|k| first.with_day(v.day.saturating_sub(k)))?;
            // This month's later visits have not happened yet.
            (date <= today).then(|| {
                let fund_fen = v.amount_fen * v.fund_percent / 100;
                SpendingRecord {
                    date,
                    place_zh: v.place.0.to_owned(),
                    place_en: v.place.1.to_owned(),
                    kind: v.kind,
                    amount_fen: v.amount_fen,
                    fund_fen,
                    own_fen: v.amount_fen - fund_fen,
                }
            })
        })
        .collect();
    spending.sort_by(|a, b| b.date.cmp(&a.date).then(a.place_zh.cmp(&b.place_zh)));
    Some(MedicalAccount {
        as_of: today,
        balance_fen: plan.balance_fen,
        months,
        spending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn sample_accounts_keep_the_contract() {
        for today in [day(2026, 12, 1), day(2027, 2, 28), day(2026, 3, 31)] {
            for (i, id) in SAMPLE_HOLDER_ID_NUMBERS.iter().enumerate() {
                let a = account(&holder_hash(id), today);
                if i == 5 {
                    assert!(a.is_none(), "欧阳䶮然 has no record");
                    continue;
                }
                let a = a.unwrap();
                assert!(a.is_consistent(), "holder {i} on {today}");
            }
        }
    }

    #[test]
    fn the_elderly_holder_has_a_year_of_pharmacy_visits_and_a_hospital_stay() {
        let today = day(2026, 12, 1);
        let a = account(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[3]), today).unwrap();
        let pharmacy = a
            .spending
            .iter()
            .filter(|r| r.kind == SpendingKind::Pharmacy)
            .count();
        assert!(pharmacy >= 20, "{pharmacy}");
        assert_eq!(
            a.spending
                .iter()
                .filter(|r| r.kind == SpendingKind::Inpatient)
                .count(),
            1
        );
        assert!(a.spending.windows(2).all(|w| w[0].date >= w[1].date));
        assert!(a.spending.iter().all(|r| r.date <= today));
        let zhang = account(&holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]), today).unwrap();
        assert_eq!(zhang.spending.len(), 4);
        assert_eq!(
            zhang
                .months
                .iter()
                .filter(|m| m.contribution.is_none())
                .count(),
            2,
            "the months between jobs show as unpaid"
        );
    }
}
