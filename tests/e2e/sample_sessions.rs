//! The sample citizens at every service: the session driver that the PII tests share
//! (bundle_pii.rs, data_pii.rs), what it must never find, and in which forms.
//!
//! [`walk_every_service`] runs, with a check of the screen after every step:
//! - the journeys that reach the pages and papers holding personal data: a queue ticket
//!   with a phone for its SMS, a certificate printed, the medical-insurance account and its
//!   statement printed, a licence printed, the ID card copied, the citizen's own cases, an
//!   appointment's days, the traffic fines;
//! - then every sample card (陈静's is expired: it is refused, with a notice) on the first
//!   pages of every service on the menu.

#![allow(dead_code)]

use std::time::Duration;

use crate::rig::{Page, ReadSession, Rig};
use i_slint_backend_testing::{ElementHandle, ElementRoot};
use slint::{ComponentHandle, Model};

/// The phone number typed for the ticket's SMS.
pub const PHONE: &str = "13912345678";
/// 张伟's phone as the platform holds it (the SMS route of identification sends its code
/// there) and as he types it on the application form.
pub const PLATFORM_PHONE: &str = "13800138000";

/// A sample citizen's value of one kind.
#[derive(Debug, Clone)]
pub struct Personal {
    /// `name`, `address`, `ID number` or `phone`.
    pub what: &'static str,
    /// The full value.
    pub value: String,
}

/// Every sample citizen's full name, address and ID number, and the phone typed.
pub fn personal_values() -> Vec<Personal> {
    let mut values = Vec::new();
    for card in idcard::sim::sample_cards() {
        values.push(Personal {
            what: "name",
            value: card.name.clone(),
        });
        values.push(Personal {
            what: "address",
            value: card.address.clone(),
        });
        values.push(Personal {
            what: "ID number",
            value: card.id_number.clone(),
        });
    }
    for phone in [PHONE, PLATFORM_PHONE] {
        values.push(Personal {
            what: "phone",
            value: phone.into(),
        });
    }
    values
}

/// Every way a file could carry `value`: UTF-8, GB18030 (what the receipt printer is
/// sent), UTF-16LE (the card's text block), and the hex a protocol log would show.
pub fn forms(value: &str) -> Vec<(String, Vec<u8>)> {
    let hex = |bytes: &[u8]| {
        bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
            .into_bytes()
    };
    let utf8 = value.as_bytes().to_vec();
    let (gb, _, _) = encoding_rs::GB18030.encode(value);
    let utf16: Vec<u8> = value.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let mut out = vec![
        ("UTF-8".to_owned(), utf8.clone()),
        ("GB18030".to_owned(), gb.to_vec()),
        ("UTF-16LE".to_owned(), utf16.clone()),
        ("hex of UTF-16LE".to_owned(), hex(&utf16)),
        ("hex of GB18030".to_owned(), hex(&gb)),
    ];
    if !value.is_ascii() {
        out.push(("hex of UTF-8".to_owned(), hex(&utf8)));
    }
    out
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Every text on screen now: each element's accessible label and value (a `Text`'s label
/// is its text), in the window and every page shown in it.
pub fn screen_texts(rig: &Rig) -> Vec<String> {
    let mut out = Vec::new();
    for e in rig
        .kiosk
        .window()
        .root_element()
        .query_descendants()
        .find_all()
    {
        for t in [e.accessible_label(), e.accessible_value()]
            .into_iter()
            .flatten()
        {
            if !t.is_empty() {
                out.push(t.to_string());
            }
        }
    }
    out
}

/// What the walk found on the screens: how many screens it read, and every text seen.
#[derive(Default)]
pub struct Seen {
    /// Screens read.
    pub screens: usize,
    /// The texts of every screen read, each once.
    pub texts: std::collections::BTreeSet<String>,
}

/// Reads the screen: no full ID number, name or phone of a sample citizen on it (a lobby
/// screen shows 6+4, the family name and 3+4).
pub fn check_screen(rig: &Rig, seen: &mut Seen, at: &str) {
    check_screen_typing(rig, seen, at, None)
}

/// [`check_screen`] on a keypad page, where the value being typed (`typed`) shows in full
/// so the citizen can check it (the phone for an SMS; it is masked from the next page on).
pub fn check_screen_typing(rig: &Rig, seen: &mut Seen, at: &str, typed: Option<&str>) {
    check_screen_showing(rig, seen, at, typed.as_slice())
}

/// [`check_screen`] on a page that needs some values in full (`shown`: the number being
/// typed, the name on an application form the citizen checks before it is sent).
pub fn check_screen_showing(rig: &Rig, seen: &mut Seen, at: &str, shown: &[&str]) {
    let texts = screen_texts(rig);
    for p in personal_values()
        .iter()
        .filter(|p| p.what != "address" && !shown.contains(&p.value.as_str()))
    {
        for t in &texts {
            assert!(
                !t.contains(&p.value),
                "{at}: the screen shows a sample citizen's full {} ({}) in {t:?}",
                p.what,
                p.value
            );
        }
    }
    seen.screens += 1;
    seen.texts.extend(texts);
}

fn present(rig: &Rig, label: &str) -> bool {
    ElementHandle::find_by_accessible_label(rig.kiosk.window(), label)
        .next()
        .is_some()
}

/// Lets the workers answer: a few turns of the event loop with the mock clock moving.
pub(crate) fn settle(rig: &Rig) {
    for _ in 0..5 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(400));
        std::thread::sleep(Duration::from_millis(20));
        rig.pump();
    }
}

/// Waits for `label` on screen, taps it, lets the answer come, and reads the screen.
pub fn step(rig: &Rig, seen: &mut Seen, label: &str) {
    rig.wait_for(&format!("{label:?} on screen"), |r| present(r, label));
    check_screen(rig, seen, &format!("before {label:?}"));
    rig.tap(label);
    settle(rig);
    check_screen(rig, seen, &format!("after {label:?}"));
}

/// [`step`] on the pages that need some values in full ([`check_screen_showing`]).
pub fn step_showing(rig: &Rig, seen: &mut Seen, label: &str, shown: &[&str]) {
    rig.wait_for(&format!("{label:?} on screen"), |r| present(r, label));
    check_screen_showing(rig, seen, &format!("before {label:?}"), shown);
    rig.tap(label);
    settle(rig);
    check_screen_showing(rig, seen, &format!("after {label:?}"), shown);
}

/// Taps `label` until `done` shows (a button that waits on a device state is dimmed until
/// it comes), reading the screen each time.
pub fn step_until(rig: &Rig, seen: &mut Seen, label: &str, done: &str) {
    rig.wait_for(&format!("{done:?} after {label:?}"), |r| {
        if present(r, done) {
            return true;
        }
        if present(r, label) {
            r.tap(label);
        }
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(200));
        false
    });
    settle(rig);
    check_screen(rig, seen, &format!("{done:?}"));
}

/// Places `card` and waits for the menu.
pub fn arrive(rig: &Rig, seen: &mut Seen, card: &idcard::IdCard) {
    eprintln!("sessions: {}", card.masked_id());
    rig.reader().place_card(card.clone());
    rig.wait_for("the menu", |r| r.page() == Page::Menu);
    check_screen(rig, seen, "the menu");
}

/// Ends the session (结束办理, or 完成 where a flow's last page says so), and takes the card
/// back.
pub fn leave(rig: &Rig, seen: &mut Seen) {
    rig.wait_for("the session to end", |r| {
        if r.page() == Page::Attract {
            return true;
        }
        for label in ["结束办理", "完成"] {
            if present(r, label) {
                r.tap(label);
                break;
            }
        }
        false
    });
    check_screen(rig, seen, "the attract screen");
    rig.reader().remove_card();
    let polled = rig.reader().commands_received();
    rig.wait_for("the reader to see the card gone", |r| {
        r.reader().commands_received() >= polled + 2
    });
}

/// The menu's tiles a citizen can open now.
fn tiles(rig: &Rig) -> Vec<String> {
    rig.kiosk
        .window()
        .global::<kiosk::ui::MenuAdapter>()
        .get_entries()
        .iter()
        .filter(|e| e.unavailable == kiosk::ui::Unavailable::None)
        .map(|e| e.title.to_string())
        .collect()
}

/// The platform's client, for what the walk does as the platform's other side (a payment
/// settled, an SMS code read).
fn platform(rig: &Rig) -> kiosk_platform::client::PlatformClient {
    kiosk_platform::client::PlatformClient::new(
        &format!("http://{}", rig.platform_addr()),
        kiosk_platform::sim::DEMO_KIOSK_ID,
        kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(5),
    )
}

/// The rest of the papers and the journey without a card: an appointment booked to its
/// slip, a fine paid to its receipt, a form pre-filled from the card, identification by
/// typed number and SMS code, and an application submitted with its acceptance receipt.
fn walk_the_papers(rig: &Rig, s: &mut Seen, cards: &[idcard::IdCard]) {
    use kiosk::app::Lang;
    use kiosk::services::ActiveFlow;

    // An appointment on the last bookable day, its slip printed.
    let slots = platform(rig).appointment_slots("M02", None).unwrap();
    let day = slots.days.last().expect("bookable days").date;
    arrive(rig, s, &cards[0]);
    step(rig, s, "办事预约");
    step(rig, s, "社保卡补办");
    step(
        rig,
        s,
        &kiosk::services::appointment::adapter::day_label(day, Lang::Zh),
    );
    step(rig, s, "15:30-16:00");
    for d in PHONE.chars() {
        rig.tap(&d.to_string());
    }
    check_screen_typing(rig, s, "the appointment's phone typed", Some(PHONE));
    rig.tap("预约这个时间");
    rig.wait_for("the slip", |r| present(r, "预约成功，请取走凭条。"));
    check_screen(rig, s, "the appointment's slip");
    leave(rig, s);

    // 张伟's overdue fine, looked up by plate and paid (the payment settled as the bank
    // would), its receipt printed.
    arrive(rig, s, &cards[0]);
    step(rig, s, "交通罚款缴纳");
    step(rig, s, "按号牌号码查询");
    for k in ["京", "A", "1", "2", "3", "4", "5"] {
        rig.tap(k);
    }
    step(rig, s, "查询");
    step(rig, s, "缴纳第2笔罚款");
    let order = || {
        rig.kiosk.ui().with_router(|r| match r.flow() {
            Some(ActiveFlow::TrafficFine(f)) => match f.step() {
                kiosk::services::traffic_fine::Step::Paying { order, .. } => {
                    Some(order.order_id.clone())
                }
                _ => None,
            },
            _ => None,
        })
    };
    rig.wait_for("the payment order", |_| order().is_some());
    check_screen(rig, s, "the payment's QR code");
    platform(rig)
        .settle_sim_payment(
            order().as_deref(),
            kiosk_platform::api::traffic_fine::SimOutcome::Pay,
        )
        .unwrap();
    rig.wait_for("the receipt", |r| present(r, "缴款流水号"));
    settle(rig);
    check_screen(rig, s, "the fine paid");
    leave(rig, s);

    // A form pre-filled from the card and printed on A4 (the form carries the card's data
    // in full: it is handed in at the window; on screen nothing is in full).
    arrive(rig, s, &cards[0]);
    step(rig, s, "样表查询");
    for k in ["J", "汉字 居", "Z", "Z"] {
        rig.tap(k);
    }
    step(rig, s, "居住证变更申请表");
    step_until(rig, s, "按身份证信息预填并打印", "请从 A4 出纸口取走表格");
    leave(rig, s);

    // No card: the ID number typed, the SMS code read from the gateway, the menu.
    rig.wait_for("the attract screen", |r| r.page() == Page::Attract);
    step(rig, s, "没带身份证？可输入身份证号码，或出示电子身份证");
    let zhang = &cards[0].id_number;
    for c in zhang.chars() {
        rig.tap(&c.to_string());
    }
    check_screen_typing(rig, s, "the ID number typed", Some(zhang));
    step(rig, s, "发送验证码");
    rig.wait_for("the code page", |r| present(r, "确认验证码"));
    check_screen(rig, s, "the code page");
    let sms = platform(rig).sim_sms(Some(PLATFORM_PHONE)).unwrap();
    let text = &sms.messages.last().expect("an SMS was sent").text;
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    for c in code.chars() {
        rig.tap(&c.to_string());
    }
    rig.tap("确认验证码");
    rig.wait_for("the menu", |r| r.page() == Page::Menu);
    check_screen(rig, s, "the menu after the SMS code");
    rig.tap("结束办理");
    rig.wait_for("the attract screen", |r| r.page() == Page::Attract);

    // An application (居住证签注): the card's both sides and a page scanned, the form from
    // the card (the name in full on it: the citizen checks what is sent), picked up at the
    // window, submitted, its acceptance receipt printed.
    arrive(rig, s, &cards[0]);
    step(rig, s, "自助申报");
    step(rig, s, "居住证签注");
    step(rig, s, "开始申报");
    *rig.glass().lock().unwrap() = kiosk::demo::glass::Glass::Card;
    let scanned =
        |r: &Rig| r.find("扫描状态").accessible_value().unwrap() == "扫描完成，请核对图像。";
    rig.tap("扫描");
    rig.wait_for("the front", scanned);
    step(rig, s, "下一步");
    rig.tap("扫描");
    rig.wait_for("the back", scanned);
    rig.tap("下一步");
    settle(rig);
    check_screen_showing(rig, s, "the application's form", &[&cards[0].name]);
    rig.tap("信息无误，继续");
    for d in PLATFORM_PHONE.chars() {
        rig.tap(&d.to_string());
    }
    check_screen_typing(rig, s, "the application's phone", Some(PLATFORM_PHONE));
    rig.tap("下一步");
    settle(rig);
    check_screen(rig, s, "after the application's phone");
    step(rig, s, "租赁");
    step(rig, s, "下一步");
    for k in ["3", "-", "2", "0", "1"] {
        rig.tap(k);
    }
    step(rig, s, "下一步");
    *rig.glass().lock().unwrap() = kiosk::demo::glass::Glass::Page;
    rig.tap("扫描一页");
    rig.wait_for("the page scanned", |r| present(r, "删除第 1 页"));
    step(rig, s, "下一步");
    step(rig, s, "到窗口补交");
    // The delivery and check pages show the form as it is sent: the name in full.
    let name = [cards[0].name.as_str()];
    step_showing(rig, s, "下一步", &name);
    step_showing(rig, s, "窗口领取", &name);
    step_showing(rig, s, "下一步", &name);
    step_showing(rig, s, "提交申请", &name);
    rig.wait_for("the acceptance", |r| {
        r.kiosk.ui().with_router(|r| match r.flow() {
            Some(ActiveFlow::Apply(f)) => {
                matches!(f.step(), kiosk::services::apply::Step::Done { .. })
            }
            _ => false,
        })
    });
    settle(rig);
    check_screen(rig, s, "the application's acceptance");
    leave(rig, s);
}

/// The journeys to the pages and papers with personal data, then every card at every
/// service's first pages; returns what the screens showed.
pub fn walk_every_service(rig: &Rig) -> Seen {
    let cards = idcard::sim::sample_cards();
    let mut seen = Seen::default();
    let s = &mut seen;

    // A queue ticket with a phone for the SMS (the done page shows it 3+4).
    arrive(rig, s, &cards[0]);
    step(rig, s, "取号");
    step(rig, s, "A  综合受理");
    for d in PHONE.chars() {
        rig.tap(&d.to_string());
    }
    check_screen_typing(rig, s, "the phone typed", Some(PHONE));
    rig.tap("打印号票");
    rig.wait_for("the ticket", |r| r.page() == Page::TicketDone);
    check_screen(rig, s, "the ticket");
    leave(rig, s);

    // A certificate, previewed and printed (A4 and its slip).
    arrive(rig, s, &cards[0]);
    step(rig, s, "证明打印");
    step(rig, s, "个人参保证明");
    step_until(
        rig,
        s,
        "打印证明",
        "请从A4出纸口取走证明，并取走下方的回执。",
    );
    leave(rig, s);

    // The medical-insurance account (赵秀英's), its tabs, and the statement printed.
    arrive(rig, s, &cards[3]);
    step(rig, s, "医保查询");
    step(rig, s, "缴费明细");
    step(rig, s, "费用记录");
    step(rig, s, "返回");
    step_until(rig, s, "打印对账单（A4）", "请从 A4 出纸口取走对账单");
    leave(rig, s);

    // A licence from the personal documents, printed for a purpose.
    arrive(rig, s, &cards[0]);
    step(rig, s, "个人证照");
    step(rig, s, "机动车驾驶证");
    step(rig, s, "办理银行业务");
    step_until(rig, s, "打印", "请从 A4 出纸口取走您的证照");
    leave(rig, s);

    // The ID card copied: both sides scanned, previewed, printed.
    arrive(rig, s, &cards[0]);
    *rig.glass().lock().unwrap() = kiosk::demo::glass::Glass::Card;
    step(rig, s, "身份证复印");
    step(rig, s, "办理居住证");
    step(rig, s, "扫描");
    rig.wait_for("the front", |r| {
        r.kiosk.ui().with_controller(|c| {
            matches!(
                c.copy_job().front,
                kiosk::services::id_copy::SideState::Done(_)
            )
        })
    });
    step(rig, s, "下一步");
    step(rig, s, "扫描");
    rig.wait_for("the back", |r| {
        r.kiosk.ui().with_controller(|c| {
            matches!(
                c.copy_job().back,
                kiosk::services::id_copy::SideState::Done(_)
            )
        })
    });
    step(rig, s, "下一步");
    check_screen(rig, s, "the copy's preview");
    rig.tap("打印复印件");
    rig.wait_for("the copy printed", |r| {
        r.find("复印状态").accessible_value().unwrap() == "请从 A4 出纸口取走复印件"
    });
    check_screen(rig, s, "the copy printed");
    leave(rig, s);

    // The citizen's own cases; an appointment's days; the traffic fines.
    arrive(rig, s, &cards[0]);
    step(rig, s, "办件进度查询");
    step(rig, s, "我的办件");
    leave(rig, s);
    arrive(rig, s, &cards[0]);
    step(rig, s, "办事预约");
    step(rig, s, "社保卡补办");
    leave(rig, s);
    arrive(rig, s, &cards[1]);
    step(rig, s, "交通罚款缴纳");
    leave(rig, s);

    walk_the_papers(rig, s, &cards);

    // The expired card: refused with a notice on the attract screen.
    let refused = &cards[2];
    rig.reader().place_card(refused.clone());
    let polled = rig.reader().commands_received();
    rig.wait_for("the refused card to be read", |r| {
        r.reader().commands_received() >= polled + 6
    });
    assert_eq!(rig.page(), Page::Attract);
    check_screen(rig, s, "the refused card's notice");
    rig.reader().remove_card();
    let polled = rig.reader().commands_received();
    rig.wait_for("the reader to see the card gone", |r| {
        r.reader().commands_received() >= polled + 2
    });

    // Every other card at every service's first pages.
    for (i, card) in cards.iter().enumerate().filter(|(i, _)| *i != 2) {
        let mut n = 0;
        loop {
            arrive(rig, s, card);
            let titles = tiles(rig);
            step(rig, s, &titles[n % titles.len()]);
            leave(rig, s);
            n += 1;
            if n >= titles.len() {
                break;
            }
        }
        eprintln!("sessions: card {i}: {n} services");
    }
    seen
}

/// Every file under `dir`, depth first.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
