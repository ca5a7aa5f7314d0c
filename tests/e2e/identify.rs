//! Identifying without the card, end to end: the keypad on the identifying page found by
//! accessible label, the platform simulator sending the SMS code to its SMS gateway (read
//! back through `/control/sms`), the lock after five wrong codes, and electronic-ID codes
//! issued by the simulator and held under the code scanner on its pty.

use std::time::Duration;

use crate::rig::{Page, ReadSession, Rig};
use kiosk::app::citizen::IdentifiedBy;
use kiosk::app::id_number::IdProblem;
use kiosk::app::identify::{CodeProblem, EidRefusal, IdentifyProblem, IdentifyStep};
use kiosk::services::{ServiceId, Unavailable};
use kiosk_platform::client::PlatformClient;
use slint::ComponentHandle;

/// 张伟's card number and the phone the simulator has on file for him.
const ZHANG: &str = "110101198503120017";
const ZHANG_PHONE: &str = "13800138000";
/// 刘洋 (ends in X).
const LIU: &str = "31010419900707127X";
const LIU_PHONE: &str = "13912345678";
/// The medical-insurance tile's title (a card-only service).
const MEDICAL_TILE: &str = "医保查询";

#[test]
fn identifying_without_the_card() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start();
        rig.wait_until_ready();
        a_wrong_check_digit_is_caught_while_typing(&rig);
        the_sms_route_identifies_without_a_photo(&rig);
        five_wrong_codes_close_the_route(&rig);
        an_eid_code_identifies_once_and_a_card_only_service_says_why(&rig);
    });
}

fn control(rig: &Rig) -> PlatformClient {
    PlatformClient::new(
        &format!("http://{}", rig.platform_addr()),
        kiosk_platform::sim::DEMO_KIOSK_ID,
        kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(5),
    )
}

fn step(rig: &Rig) -> Option<IdentifyStep> {
    rig.kiosk
        .ui()
        .with_controller(|c| c.identify_step().cloned())
}

fn open_keypad(rig: &Rig) {
    assert_eq!(rig.page(), Page::Attract);
    rig.tap("没带身份证？可输入身份证号码，或出示电子身份证");
    assert_eq!(rig.page(), Page::Identify);
    rig.find("输入身份证号码");
}

fn type_keys(rig: &Rig, keys: &str) {
    for c in keys.chars() {
        rig.tap(&c.to_string());
    }
}

/// The six digits of the last SMS the gateway recorded for `phone`.
fn last_code(rig: &Rig, phone: &str) -> String {
    let log = control(rig).sim_sms(Some(phone)).unwrap();
    let text = &log.messages.last().expect("an SMS was sent").text;
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(code.len(), 6, "{text}");
    code
}

fn wait_for_code_page(rig: &Rig) {
    rig.wait_for("the code page", |r| {
        matches!(step(r), Some(IdentifyStep::TypingCode { .. }))
    });
}

fn a_wrong_check_digit_is_caught_while_typing(rig: &Rig) {
    open_keypad(rig);
    type_keys(rig, "110101198503120018");
    assert_eq!(
        step(rig),
        Some(IdentifyStep::TypingId {
            typed: "110101198503120018".into(),
            problem: Some(IdProblem::CheckDigit)
        })
    );
    rig.find("校验位不符，可能有数字输错，请核对号码。");
    // Shown grouped 6-8-4 while typing.
    rig.find("110101 19850312 0018");
    // The button is refused, and more keys are held until the mistake is deleted.
    rig.tap("发送验证码");
    assert!(matches!(step(rig), Some(IdentifyStep::TypingId { .. })));
    type_keys(rig, "1");
    rig.tap("删除");
    type_keys(rig, "7");
    assert_eq!(
        step(rig),
        Some(IdentifyStep::TypingId {
            typed: ZHANG.into(),
            problem: None
        })
    );
    // A birth date that does not exist is named as soon as its digits are in.
    for _ in 0..ZHANG.len() {
        rig.tap("删除");
    }
    type_keys(rig, "11010119850230");
    rig.find("出生日期（第7至14位）不是有效日期。");
    // Back leaves to the attract screen, and the page forgets what was typed.
    rig.tap("返回");
    assert_eq!(rig.page(), Page::Attract);
    let window = rig.kiosk.window();
    assert_eq!(
        window.global::<kiosk::ui::IdentifyAdapter>().get_typed(),
        ""
    );
}

fn the_sms_route_identifies_without_a_photo(rig: &Rig) {
    open_keypad(rig);
    type_keys(rig, ZHANG);
    rig.tap("发送验证码");
    wait_for_code_page(rig);
    rig.find("验证码已发送至 138****8000");
    rig.find("身份证号：110101********0017");
    // One wrong code first: the tries left are told.
    let code = last_code(rig, ZHANG_PHONE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    type_keys(rig, wrong);
    rig.tap("确认验证码");
    rig.wait_for("the wrong-code message", |r| {
        matches!(
            step(r),
            Some(IdentifyStep::TypingCode {
                problem: Some(CodeProblem::Wrong(4)),
                ..
            })
        )
    });
    rig.find("验证码错误，还可尝试 4 次。");
    type_keys(rig, &code);
    rig.tap("确认验证码");
    rig.wait_for("the menu", |r| r.page() == Page::Menu);
    rig.kiosk.ui().with_controller(|c| {
        let citizen = c.citizen().expect("identified");
        assert_eq!(citizen.name, "张伟");
        assert_eq!(citizen.masked_id, "110101********0017");
        assert_eq!(citizen.by, IdentifiedBy::Typed);
        assert!(citizen.photo.is_none(), "no card, no photo");
    });
    rig.find("已通过身份证号码和短信验证码核验身份");
    // The code was single use: the platform has none waiting any more.
    let check = control(rig).check_sms_code(&kiosk_platform::api::holder_hash(ZHANG), &code);
    assert_eq!(
        check.unwrap(),
        kiosk_platform::api::identity::SmsCodeChecked::NoCode
    );
    // A service that takes a typed identity works.
    rig.kiosk
        .ui()
        .update(|r, now| r.choose(ServiceId::QueueTicket, now));
    assert_eq!(rig.page(), Page::AreaSelect);
    rig.tap("结束办理");
    assert_eq!(rig.page(), Page::Attract);
}

fn five_wrong_codes_close_the_route(rig: &Rig) {
    open_keypad(rig);
    // X is the last key of this number.
    type_keys(rig, LIU);
    rig.tap("发送验证码");
    wait_for_code_page(rig);
    let code = last_code(rig, LIU_PHONE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..5).rev() {
        type_keys(rig, wrong);
        rig.tap("确认验证码");
        rig.wait_for("a wrong-code answer", |r| {
            matches!(
                step(r),
                Some(IdentifyStep::TypingCode {
                    problem: Some(CodeProblem::Wrong(l)),
                    ..
                }) if l == left
            )
        });
    }
    type_keys(rig, wrong);
    rig.tap("确认验证码");
    rig.wait_for("the lock", |r| {
        step(r)
            == Some(IdentifyStep::Stopped(IdentifyProblem::Locked {
                minutes: 15,
            }))
    });
    // An error page like every other: what happened, what to do, and its reference.
    rig.find("验证码错误次数过多，该号码已暂停输入核验。");
    rig.find("请 15 分钟后再试，或刷身份证。");
    let reference = rig
        .kiosk
        .window()
        .global::<kiosk::ui::AppAdapter>()
        .get_problem_reference();
    assert!(
        reference.starts_with("ID-") && reference.len() == 7,
        "{reference}"
    );
    // The platform keeps the route closed: even a new request is refused, with the time.
    rig.tap("重新输入身份证号码");
    type_keys(rig, LIU);
    rig.tap("发送验证码");
    rig.wait_for("the lock again", |r| {
        matches!(
            step(r),
            Some(IdentifyStep::Stopped(IdentifyProblem::Locked { .. }))
        )
    });
    assert_eq!(
        control(rig)
            .sim_sms(Some(LIU_PHONE))
            .unwrap()
            .messages
            .len(),
        1,
        "no code goes out while locked"
    );
    // Once the lock has run out (the simulator's clock moved on), a code goes out again.
    control(rig).sim_age_identity(15 * 60).unwrap();
    rig.tap("重新输入身份证号码");
    type_keys(rig, LIU);
    rig.tap("发送验证码");
    wait_for_code_page(rig);
    // A code typed after its five minutes is refused as expired; a new one can be asked for.
    let code = last_code(rig, LIU_PHONE);
    control(rig).sim_age_identity(5 * 60).unwrap();
    type_keys(rig, &code);
    rig.tap("确认验证码");
    rig.wait_for("the expired-code message", |r| {
        matches!(
            step(r),
            Some(IdentifyStep::TypingCode {
                problem: Some(CodeProblem::Expired),
                ..
            })
        )
    });
    rig.find("验证码已过期（5分钟内有效），请重新发送。");
    rig.tap("重新发送验证码");
    wait_for_code_page(rig);
    assert_eq!(
        control(rig)
            .sim_sms(Some(LIU_PHONE))
            .unwrap()
            .messages
            .len(),
        3,
        "the first code, the one after the lock, and the new one"
    );
    rig.tap("结束办理");
    assert_eq!(rig.page(), Page::Attract);
}

fn an_eid_code_identifies_once_and_a_card_only_service_says_why(rig: &Rig) {
    let payload = control(rig).sim_issue_eid(1).unwrap();
    rig.code_scanner().scan(&payload).unwrap();
    rig.wait_for("the menu after the e-ID", |r| r.page() == Page::Menu);
    rig.kiosk.ui().with_controller(|c| {
        let citizen = c.citizen().expect("identified");
        assert_eq!(citizen.name, "刘洋");
        assert_eq!(citizen.masked_id, "310104********127X");
        assert_eq!(citizen.by, IdentifiedBy::Eid);
        assert!(citizen.photo.is_none());
    });
    rig.find("已通过电子身份证核验身份");
    // Card-only services say why, and refuse to start.
    let tiles = rig
        .kiosk
        .ui()
        .with_router(|r| r.registry().tiles_for(Some(IdentifiedBy::Eid)));
    for id in [
        ServiceId::Certificate,
        ServiceId::IdCopy,
        ServiceId::MedicalInsurance,
    ] {
        if let Some(t) = tiles.iter().find(|t| t.id == id) {
            assert_eq!(t.unavailable, Some(Unavailable::NeedsCard), "{id:?}");
        }
    }
    assert!(tiles
        .iter()
        .any(|t| t.unavailable == Some(Unavailable::NeedsCard)));
    let reason = rig
        .find(MEDICAL_TILE)
        .accessible_description()
        .unwrap_or_default()
        .to_string();
    assert_eq!(reason, "此业务需刷身份证", "the menu says why");
    rig.kiosk
        .ui()
        .update(|r, now| r.choose(ServiceId::MedicalInsurance, now));
    assert_eq!(rig.page(), Page::Menu, "refused: the card is needed");
    rig.tap("结束办理");
    assert_eq!(rig.page(), Page::Attract);

    // The same code again: used once already.
    rig.code_scanner().scan(&payload).unwrap();
    rig.wait_for("the used-code message", |r| {
        step(r)
            == Some(IdentifyStep::Stopped(IdentifyProblem::Eid(
                EidRefusal::Used,
            )))
    });
    rig.find("该电子身份证二维码已使用过。");
    rig.find("请在应用中刷新后重新出示，或刷身份证。");
    assert!(rig.kiosk.ui().with_controller(|c| c.citizen().is_none()));
    rig.tap("返回");
    assert_eq!(rig.page(), Page::Attract);

    // An expired one: its three minutes are over.
    let payload = control(rig).sim_issue_eid(0).unwrap();
    control(rig).sim_age_identity(3 * 60).unwrap();
    rig.code_scanner().scan(&payload).unwrap();
    rig.wait_for("the expired-code message", |r| {
        step(r)
            == Some(IdentifyStep::Stopped(IdentifyProblem::Eid(
                EidRefusal::Expired,
            )))
    });
    rig.find("电子身份证二维码已过期。");
    rig.tap("结束办理");
    assert_eq!(rig.page(), Page::Attract);
}
