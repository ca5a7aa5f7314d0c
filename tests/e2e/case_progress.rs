//! Following an application, end to end: the code scanner on a pty, receipt signatures
//! checked with the hall's key, the platform simulator answering over HTTP, the UI found by
//! accessible label. One rig (Slint's testing backend is one per process), scenarios in turn.

use crate::rig::{Page, ReadSession};
use kiosk::documents::samples::{SAMPLE_CASE, SAMPLE_SIGNING_KEY, SAMPLE_VERIFY_BASE};
use kiosk::documents::verification::verification_url;

fn receipt_url(case: &str, key: &[u8]) -> String {
    verification_url(SAMPLE_VERIFY_BASE, case, kiosk::clock::service_day(), key)
}

#[test]
fn following_an_application() {
    crate::rig::on_ui_thread(|| {
        let mut rig = crate::rig::Rig::start();
        rig.wait_until_ready();
        receipt_on_the_attract_screen(&rig);
        forged_and_foreign_codes(&rig);
        by_card_and_by_typed_number(&rig);
        platform_down(&mut rig);
    });
}
fn receipt_on_the_attract_screen(rig: &crate::rig::Rig) {
    rig.find("查询办件进度，请扫描回执上的二维码");

    rig.code_scanner()
        .scan(&receipt_url(SAMPLE_CASE, SAMPLE_SIGNING_KEY))
        .unwrap();
    rig.wait_for("the case", |r| {
        r.kiosk
            .ui()
            .with_controller(|c| matches!(c.case_outcome(), Some(Ok(_))))
    });
    assert_eq!(rig.page(), Page::ProgressResult);
    let case = rig.find(&format!("办件 {SAMPLE_CASE}"));
    assert_eq!(case.accessible_value().unwrap(), "待领取");
    rig.kiosk.ui().with_controller(|c| {
        assert!(c.citizen().is_none(), "no card was needed");
    });

    // Finish: nothing of the case stays on screen.
    rig.tap("结束办理");
    assert_eq!(rig.page(), Page::Attract);
    rig.kiosk
        .ui()
        .with_controller(|c| assert!(c.case_outcome().is_none()));
}

fn forged_and_foreign_codes(rig: &crate::rig::Rig) {
    // Same page, same case number, signed with another key: refused.
    rig.code_scanner()
        .scan(&receipt_url(SAMPLE_CASE, b"someone-elses-key"))
        .unwrap();
    rig.wait_for("the forged-code notice", |r| {
        r.kiosk
            .ui()
            .with_controller(|c| c.notice() == kiosk::app::Notice::CodeForged)
    });
    rig.find("该二维码无效：已被修改或并非本中心出具。");
    assert_eq!(rig.page(), Page::Attract);

    // Altered after signing: the case number changed by one digit.
    let altered = receipt_url(SAMPLE_CASE, SAMPLE_SIGNING_KEY).replace("000042", "000043");
    rig.code_scanner().scan(&altered).unwrap();
    rig.wait_for("the second forged-code notice", |r| {
        r.kiosk
            .ui()
            .with_controller(|c| c.notice() == kiosk::app::Notice::CodeForged)
    });
    assert_eq!(rig.page(), Page::Attract);

    rig.code_scanner()
        .scan("https://shop.example.com/item?id=8848")
        .unwrap();
    rig.wait_for("the foreign-code notice", |r| {
        r.kiosk
            .ui()
            .with_controller(|c| c.notice() == kiosk::app::Notice::CodeForeign)
    });
    rig.find("本机无法识别该二维码，请扫描本中心回执上的二维码。");

    // Bytes that are no code at all (a smudged print): scan again.
    rig.code_scanner().send_garbage().unwrap();
    rig.wait_for("the unreadable-code notice", |r| {
        r.kiosk
            .ui()
            .with_controller(|c| c.notice() == kiosk::app::Notice::CodeUnreadable)
    });
    rig.find("未能识别该二维码，请将其平放在扫码窗口下保持不动，再扫一次。");
}

fn by_card_and_by_typed_number(rig: &crate::rig::Rig) {
    rig.swipe_sample_card();
    rig.tap("办件进度查询");
    assert_eq!(rig.page(), Page::Progress);

    // The sample card's holder has two cases at the platform.
    rig.tap("我的办件");
    rig.wait_for("the holder's cases", |r| {
        r.kiosk
            .ui()
            .with_controller(|c| matches!(c.case_outcome(), Some(Ok(v)) if v.len() == 2))
    });
    rig.find(&format!("办件 {SAMPLE_CASE}"));

    rig.tap("返回");
    rig.tap("输入办件编号");
    assert_eq!(rig.page(), Page::CaseEntry);
    rig.tap("JZ");
    for d in "20261120000007".chars() {
        rig.tap(&d.to_string());
    }
    assert_eq!(
        rig.find("办件编号").accessible_value().unwrap(),
        "JZ-20261120-000007"
    );
    rig.tap("查询");
    rig.wait_for("the typed case", |r| {
        r.kiosk
            .ui()
            .with_controller(|c| matches!(c.case_outcome(), Some(Ok(v)) if v.len() == 1))
    });
    rig.find("办件 JZ-20261120-000007");

    // A number the platform does not know.
    rig.tap("返回");
    ask_for_an_unknown_case(rig);
    rig.wait_for("not found", |r| {
        r.kiosk.ui().with_controller(|c| {
            c.case_outcome() == Some(&Err(kiosk::services::case_progress::CaseProblem::NotFound))
        })
    });
    rig.find("未找到该编号的办件");
}

/// On the service's first page: types a case number the platform does not know and asks.
pub fn ask_for_an_unknown_case(rig: &crate::rig::Rig) {
    rig.tap("输入办件编号");
    rig.tap("GS");
    for d in "20261101999999".chars() {
        rig.tap(&d.to_string());
    }
    rig.tap("查询");
}

fn platform_down(rig: &mut crate::rig::Rig) {
    rig.stop_platform();
    rig.code_scanner()
        .scan(&receipt_url(SAMPLE_CASE, SAMPLE_SIGNING_KEY))
        .unwrap();
    rig.wait_for("unreachable", |r| {
        r.kiosk.ui().with_controller(|c| {
            c.case_outcome()
                == Some(&Err(
                    kiosk::services::case_progress::CaseProblem::Unreachable,
                ))
        })
    });
    rig.find("暂时无法连接政务服务平台");
}
