//! The cases the simulator knows from the start: a handful of realistic applications held
//! by the sample ID cards of the card-reader simulator (`drivers/idcard/src/sim.rs`,
//! `sample_cards()`), so the demo can show "my cases" after a card is read.

use chrono::{DateTime, TimeZone, Utc};

use crate::api::{holder_hash, CaseProgress, CaseStatus, CaseStep, NewCase};

/// ID numbers of the idcard simulator's sample cards, in its order (张伟, 刘洋, 陈静,
/// 赵秀英, 阿依古丽·买买提, 欧阳䶮然). Repeated here because this crate must not depend on
/// the driver: change both together.
pub const SAMPLE_HOLDER_ID_NUMBERS: [&str; 6] = [
    "110101198503120017",
    "31010419900707127X",
    "440305197202154561",
    "510107195510084228",
    "650102199311082366",
    "440106200104051235",
];

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    // Instants in UTC (the hall's clock reads 8 h later); constant, valid dates.
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn step(zh: &str, en: &str, when: Option<DateTime<Utc>>) -> CaseStep {
    CaseStep {
        name_zh: zh.to_owned(),
        name_en: en.to_owned(),
        at: when,
        done: when.is_some(),
    }
}

/// The usual four steps of a matter, the first `done` of them completed at `times`.
fn steps(times: &[DateTime<Utc>]) -> Vec<CaseStep> {
    let names = [
        ("受理", "Received"),
        ("审核", "Review"),
        ("办结", "Approved"),
        ("待领取", "Ready for pickup"),
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, (zh, en))| step(zh, en, times.get(i).copied()))
        .collect()
}

/// A case with the status labels filled in from `status`.
pub fn case(
    case_number: &str,
    matter: (&str, &str),
    status: CaseStatus,
    steps: Vec<CaseStep>,
) -> CaseProgress {
    let updated_at = steps
        .iter()
        .filter_map(|s| s.at)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    CaseProgress {
        case_number: case_number.to_owned(),
        matter_zh: matter.0.to_owned(),
        matter_en: matter.1.to_owned(),
        status,
        status_zh: status.label_zh().to_owned(),
        status_en: status.label_en().to_owned(),
        updated_at,
        steps,
        pickup_zh: None,
        pickup_en: None,
        reason_zh: None,
        reason_en: None,
    }
}

/// The seeded cases and their holders.
pub fn seed() -> Vec<NewCase> {
    let holder = |i: usize| holder_hash(SAMPLE_HOLDER_ID_NUMBERS[i]);

    let mut pension = case(
        "SB-20261124-000042",
        (
            "社会保险参保缴费证明",
            "Certificate of social insurance contributions",
        ),
        CaseStatus::ReadyForPickup,
        steps(&[
            at(2026, 11, 24, 1, 12),
            at(2026, 11, 24, 1, 40),
            at(2026, 11, 24, 2, 5),
            at(2026, 11, 24, 2, 6),
        ]),
    );
    pension.pickup_zh = Some("一楼 B 区 社保医保 B03 窗口，或本机打印".to_owned());
    pension.pickup_en = Some(
        "Ground floor, area B (Social & Medical Insurance), counter B03, or print it here"
            .to_owned(),
    );

    let permit = case(
        "JZ-20261120-000007",
        ("居住证签注", "Residence permit endorsement"),
        CaseStatus::InReview,
        steps(&[at(2026, 11, 20, 6, 30)]),
    );

    let mut title = case(
        "BDC-20261118-000315",
        (
            "不动产权证书补发",
            "Replacement of a lost real-estate title certificate",
        ),
        CaseStatus::Rejected,
        vec![
            step("受理", "Received", Some(at(2026, 11, 18, 3, 0))),
            step("审核", "Review", Some(at(2026, 11, 21, 7, 45))),
            step("不予办理", "Refused", Some(at(2026, 11, 21, 7, 45))),
        ],
    );
    title.reason_zh =
        Some("申请材料缺少权利人签字的遗失声明及登报证明，请补齐后重新申请（D 区咨询）".to_owned());
    title.reason_en = Some(
        "The loss declaration signed by the holder and the newspaper notice are missing; \
         please apply again with them (ask at area D)"
            .to_owned(),
    );

    let mut hukou = case(
        "HJ-20261122-000019",
        ("户口迁入", "Household registration: moving in"),
        CaseStatus::Approved,
        steps(&[
            at(2026, 11, 22, 2, 0),
            at(2026, 11, 23, 8, 10),
            at(2026, 11, 24, 1, 30),
        ]),
    );
    hukou.pickup_zh = Some("户口簿制作中，完成后短信通知到 C 区领取".to_owned());
    hukou.pickup_en = Some(
        "The household register is being made; an SMS will say when to collect it at area C"
            .to_owned(),
    );

    let transfer = case(
        "SB-20261123-000101",
        ("医保关系转移接续", "Transfer of medical insurance"),
        CaseStatus::Received,
        steps(&[at(2026, 11, 23, 5, 20)]),
    );

    vec![
        NewCase {
            holder: holder(0),
            case: pension,
        },
        NewCase {
            holder: holder(0),
            case: transfer,
        },
        NewCase {
            holder: holder(1),
            case: permit,
        },
        NewCase {
            holder: holder(2),
            case: title,
        },
        NewCase {
            holder: holder(3),
            case: hukou,
        },
    ]
}
