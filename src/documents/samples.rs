//! Sample data for every document: `kiosk doc render KIND --sample`, the tests and the benches.
//! The people and numbers are made up (the ID number is the GB 11643 specimen form).

use chrono::{NaiveDate, NaiveTime};
use kiosk_platform::api::apply::Delivery;

use super::apply_receipt::{AcceptanceReceipt, ReceivedMaterial};
use super::appointment_slip::SlipPrint;
use super::certificate::{Certificate, CertificateKind};
use super::certificate_slip::CertificateSlip;
use super::fine_receipt::FineReceipt;
use super::form::{FormField, FormFill, FormTemplate};
use super::id_copy::IdCopy;
use super::pdf::RgbImage;
use super::queue_ticket::TicketPrint;
use super::verification::verification_url;

/// Key that signs the sample certificates' verification URLs. Samples only: a real kiosk
/// prints the URL the platform signed.
pub const SAMPLE_SIGNING_KEY: &[u8] = b"citizen-window-sample-key";
/// Verification page of the samples.
pub const SAMPLE_VERIFY_BASE: &str = "https://zwfw.example.gov.cn/verify";
/// The sample citizen's name.
pub const SAMPLE_NAME: &str = "张三丰";
/// The sample citizen's ID number, masked as printed.
pub const SAMPLE_MASKED_ID: &str = "110101********0015";
/// Case number of the sample certificates.
pub const SAMPLE_CASE: &str = "SB-20261124-000042";
/// The sample hall.
pub const SAMPLE_HALL: &str = "示范市政务服务中心";
/// The sample hall, English.
pub const SAMPLE_HALL_EN: &str = "Demo City Government Service Center";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).expect("valid date")
}

/// A queue ticket.
pub fn ticket() -> TicketPrint {
    TicketPrint {
        hall_name: SAMPLE_HALL.into(),
        hall_name_en: SAMPLE_HALL_EN.into(),
        area_name: "综合受理".into(),
        area_name_en: "General services".into(),
        location_zh: "一楼 1–6 号窗口".into(),
        location_en: "Floor 1, windows 1–6".into(),
        display_number: "A012".into(),
        people_ahead: 3,
        issued_at: day().and_hms_opt(9, 31, 0).expect("valid time"),
        masked_id: SAMPLE_MASKED_ID.into(),
        masked_phone: Some("138****8000".into()),
        follow_url: "https://zwfw.example.gov.cn/q/follow/7f3a9c".into(),
    }
}

/// An appointment slip, confirmed or waiting for the platform.
pub fn appointment_slip(confirmed: bool) -> SlipPrint {
    SlipPrint {
        hall_name: SAMPLE_HALL.into(),
        hall_name_en: SAMPLE_HALL_EN.into(),
        confirmed,
        matter_zh: "社保卡补办".into(),
        matter_en: "Replace a social security card".into(),
        date: NaiveDate::from_ymd_opt(2026, 12, 2).expect("valid date"),
        start: NaiveTime::from_hms_opt(9, 30, 0).expect("valid time"),
        end: NaiveTime::from_hms_opt(10, 0, 0).expect("valid time"),
        area: "B 社保医保".into(),
        area_en: "B Social & Medical Insurance".into(),
        bring_zh: vec!["居民身份证原件".into(), "一寸免冠照片".into()],
        bring_en: vec![
            "Resident ID card (original)".into(),
            "One-inch photo".into(),
        ],
        masked_id: SAMPLE_MASKED_ID.into(),
        masked_phone: "138****8000".into(),
        url: "http://127.0.0.1:1/appointment/b1".into(),
    }
}

/// An application's acceptance receipt; `case` `None` is the offline one.
pub fn acceptance_receipt(case: Option<&str>) -> AcceptanceReceipt {
    AcceptanceReceipt {
        hall_name: SAMPLE_HALL.into(),
        hall_name_en: SAMPLE_HALL_EN.into(),
        matter_zh: "老人卡申办".into(),
        matter_en: "Senior citizen's card".into(),
        case_number: case.map(str::to_owned),
        qr: case.map(str::to_owned),
        submitted_on: NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date"),
        masked_id: "510107********4228".into(),
        materials: vec![
            ReceivedMaterial {
                name_zh: "一寸免冠照片".into(),
                name_en: "One-inch photo".into(),
                pages: 0,
                at_window: true,
            },
            ReceivedMaterial {
                name_zh: "户口簿".into(),
                name_en: "Household register".into(),
                pages: 2,
                at_window: false,
            },
        ],
        delivery: Delivery::Window,
        post_to: None,
    }
}

/// The slip that goes with a printed certificate.
pub fn certificate_slip() -> CertificateSlip {
    CertificateSlip {
        hall_name: SAMPLE_HALL.into(),
        hall_name_en: SAMPLE_HALL_EN.into(),
        kind_zh: "个人参保证明".into(),
        kind_en: "Social insurance contribution proof".into(),
        case_number: "SB-20261124-000501".into(),
        issued_on: day(),
        masked_id: "110101********0017".into(),
    }
}

/// The receipt of a paid traffic fine (the decision number and plate in full: the receipt
/// masks them).
pub fn fine_receipt() -> FineReceipt {
    FineReceipt {
        hall_name: SAMPLE_HALL.into(),
        hall_name_en: SAMPLE_HALL_EN.into(),
        serial: "20261201101500A1B2C3".into(),
        order_id: "PO20261201ABCDEF1234".into(),
        decision_number: "1101051234567002".into(),
        plate: "京A12345".into(),
        offence_zh: "机动车违反规定停放".into(),
        offence_en: "Parking where it is not allowed".into(),
        occurred_on: NaiveDate::from_ymd_opt(2026, 11, 6).expect("valid date"),
        amount_fen: 20_000,
        late_fee_fen: 6_000,
        total_fen: 26_000,
        paid_at: day().and_hms_opt(2, 15, 0).expect("valid time").and_utc(),
        reprint: false,
    }
}

/// A certificate of any kind, with a signed verification URL.
pub fn certificate(kind: CertificateKind) -> Certificate {
    let (body, table, issuer) = match kind {
        CertificateKind::SocialInsuranceContribution => (
            vec![format!(
                "兹证明{SAMPLE_NAME}自2019年01月起在本市参加社会保险，截至2026年10月累计缴费94个月，\
                 目前参保状态正常。各险种缴费情况如下："
            )],
            vec![
                vec!["险种".into(), "起始年月".into(), "截至年月".into(), "缴费月数".into(), "状态".into()],
                vec!["企业职工基本养老保险".into(), "2019-01".into(), "2026-10".into(), "94".into(), "正常".into()],
                vec!["职工基本医疗保险".into(), "2019-01".into(), "2026-10".into(), "94".into(), "正常".into()],
                vec!["失业保险".into(), "2019-01".into(), "2026-10".into(), "94".into(), "正常".into()],
                vec!["工伤保险".into(), "2019-01".into(), "2026-10".into(), "94".into(), "正常".into()],
            ],
            "示范市社会保险事业管理中心",
        ),
        CertificateKind::NoHousingProperty => (
            vec![
                format!(
                    "经查询示范市不动产登记信息系统，截至2026年11月24日，{SAMPLE_NAME}在本市行政区域内\
                     无登记在册的住房。"
                ),
                "本证明仅反映查询时点的登记信息，自开具之日起30日内有效。".into(),
            ],
            Vec::new(),
            "示范市不动产登记中心",
        ),
        CertificateKind::HouseholdRegister => (
            vec![format!(
                "经查询户籍登记信息，{SAMPLE_NAME}，男，1990年03月07日出生，户籍登记地址：\
                 北京市东城区示范街道101号，户别：家庭户。户内成员如下："
            )],
            vec![
                vec!["姓名".into(), "与户主关系".into(), "性别".into(), "出生日期".into()],
                vec![SAMPLE_NAME.into(), "户主".into(), "男".into(), "1990年03月07日".into()],
                vec!["李秀兰".into(), "妻".into(), "女".into(), "1991年05月12日".into()],
                vec!["张小宝".into(), "子".into(), "男".into(), "2018年09月01日".into()],
            ],
            "示范市公安局户政管理处",
        ),
    };
    Certificate {
        kind,
        name: SAMPLE_NAME.into(),
        masked_id: SAMPLE_MASKED_ID.into(),
        body,
        table,
        issued_on: day(),
        hall_name: SAMPLE_HALL.into(),
        issuer: issuer.into(),
        case_number: SAMPLE_CASE.into(),
        verify_url: verification_url(SAMPLE_VERIFY_BASE, SAMPLE_CASE, day(), SAMPLE_SIGNING_KEY),
    }
}

/// A residence-permit application form.
pub fn form_template() -> FormTemplate {
    let f = |label: &str, key: &str, lines: u8| FormField {
        label: label.into(),
        key: key.into(),
        lines,
    };
    FormTemplate {
        title: "居住证申领登记表".into(),
        department: "示范市公安局人口管理支队".into(),
        fields: vec![
            f("姓名", "name", 1),
            f("性别", "sex", 1),
            f("民族", "nation", 1),
            f("出生日期", "birth", 1),
            f("公民身份号码", "id_number", 1),
            f("户籍地址", "address", 2),
            f("居住地址", "residence", 2),
            f("联系电话", "phone", 1),
            f("申领事由", "reason", 3),
        ],
        notes: vec![
            "1. 请用黑色签字笔填写，字迹清楚，不得涂改。".into(),
            "2. 申领居住证须在居住地居住半年以上，并符合有合法稳定就业、合法稳定住所、连续就读条件之一。".into(),
        ],
    }
}

/// The sample citizen's ID-card data, as the form is pre-filled from it.
pub fn form_fill() -> FormFill {
    FormFill::blank()
        .set("name", SAMPLE_NAME)
        .set("sex", "男")
        .set("nation", "汉")
        .set("birth", "1990年03月07日")
        .set("id_number", "11010119900307001X")
        .set("address", "北京市东城区示范街道101号")
}

/// A synthetic card side (856 × 540 px, 10 px per mm): a pale gradient with grey blocks
/// where a real scan has the photo and the text. `front` picks the layout.
pub fn card_image(front: bool) -> RgbImage {
    let (w, h) = (856u32, 540u32);
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let base = [225 - (y / 12) as u8, 235 - (x / 40) as u8, 245];
            let in_box = |x0, y0, x1, y1| x >= x0 && x < x1 && y >= y0 && y < y1;
            let block = if front {
                in_box(560, 60, 800, 360) // photo
                    || (in_box(60, 60, 480, 380) && (y / 30) % 2 == 0 && x < 160 + (y % 97) * 3)
                    || in_box(200, 440, 800, 480) // number line
            } else {
                in_box(50, 40, 190, 180) // emblem
                    || in_box(260, 70, 760, 120) // title
                    || in_box(200, 380, 780, 410)
                    || in_box(200, 440, 780, 470)
            };
            if block {
                rgb.extend_from_slice(&[150, 160, 175]);
            } else {
                rgb.extend_from_slice(&base);
            }
        }
    }
    RgbImage {
        width: w,
        height: h,
        rgb,
    }
}

/// An ID-card copy for a residence permit.
pub fn id_copy() -> IdCopy {
    IdCopy {
        front: card_image(true),
        back: card_image(false),
        purpose: "办理居住证".into(),
    }
}
