//! A citizen books an appointment as they would at the hall: card over the SAM protocol on a
//! pty, the real UI found by accessible label, the platform's slots over real HTTP, the slip
//! in ESC/POS on the virtual printer, the booking in the platform's holdings exactly once.
//! And its main failures: a full slot cannot be chosen; with the platform gone at the moment
//! of booking the slip says "pending confirmation" and the outbox delivers it later, once,
//! and the citizen is told at the next identification.
//!
//! Check-in on the day: with the card (the seeded appointment of 张伟 today) for a priority
//! ticket the platform's queue calls first; with the slip's QR code at the attract screen
//! (another day: said so, an ordinary ticket in one touch; the platform away: said so too);
//! too early (阿依古丽's, two hours on). 赵秀英 is told once that her offline booking was
//! confirmed.

use std::time::Duration;

use crate::rig::{Page, Rig};
use chrono::NaiveTime;
use kiosk::app::Lang;
use kiosk::services::appointment::{adapter::day_label, Step};
use kiosk::services::ActiveFlow;
use kiosk_platform::api::appointment::{AppointmentBookTx, SlotList};
use kiosk_platform::api::{Transaction, TransactionBatch, TxStatus};
use kiosk_platform::client::PlatformClient;

/// The matter booked: M02 (社保卡补办) takes two citizens per slot.
const MATTER: &str = "M02";

fn client(rig: &Rig) -> PlatformClient {
    PlatformClient::new(
        &format!("http://{}", rig.platform_addr()),
        kiosk_platform::sim::DEMO_KIOSK_ID,
        kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(5),
    )
}

/// The appointment step on screen, by a short name.
fn step(rig: &Rig) -> &'static str {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::Appointment(f)) => match f.step() {
            Step::LoadingMatters => "loading-matters",
            Step::ChooseMatter => "matter",
            Step::LoadingSlots { .. } => "loading-slots",
            Step::ChooseDay { .. } => "day",
            Step::ChooseSlot { .. } => "slot",
            Step::Phone { .. } => "phone",
            Step::Booking { .. } => "booking",
            Step::Done { .. } => "done",
            Step::Problem(_) => "problem",
            Step::ConfirmCancel { .. } => "confirm-cancel",
            Step::Cancelling => "cancelling",
            Step::Cancelled { .. } => "cancelled",
            Step::CheckingIn => "checking-in",
            Step::CheckedIn { .. } => "checked-in",
            Step::CheckInRefused(_) => "check-in-refused",
            Step::IssuingTicket => "issuing-ticket",
            Step::TicketIssued { .. } => "ticket-issued",
        },
        _ => "elsewhere",
    })
}

fn nine() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 0, 0).unwrap()
}

/// Two other citizens take both places of the first day's 09:00 slot, through the same
/// upload the kiosks use.
fn fill_first_nine_oclock(rig: &Rig, slots: &SlotList) {
    let day = slots.days[0].date;
    let batch = TransactionBatch {
        transactions: ["220101199001010011", "330101199001010012"]
            .iter()
            .map(|id| {
                let b = AppointmentBookTx {
                    booking_id: uuid::Uuid::new_v4().to_string(),
                    matter_code: MATTER.into(),
                    date: day,
                    start: nine(),
                    holder: kiosk_platform::api::holder_hash(id),
                    phone: "13900139000".into(),
                    requested_at: chrono::Utc::now(),
                };
                Transaction::appointment_book(uuid::Uuid::new_v4().to_string(), b.requested_at, &b)
                    .unwrap()
            })
            .collect(),
    };
    let r = client(rig).upload(&batch).unwrap();
    assert!(
        r.results.iter().all(|r| r.status == TxStatus::Accepted),
        "{r:?}"
    );
}

/// Card and tile: leaves the citizen on the matter page once it lists `upcoming` (the
/// citizen's appointments as the platform holds them, one line each).
fn to_matters(rig: &Rig, upcoming: &[String]) {
    to_matters_with(rig, 0, upcoming);
}

/// [`to_matters`] with sample card `card`.
fn to_matters_with(rig: &Rig, card: usize, upcoming: &[String]) {
    rig.reader()
        .place_card(idcard::sim::sample_cards()[card].clone());
    rig.wait_for("the greeting", |r| r.page() == Page::Menu);
    // Right after a print the printer's status is unknown until its next poll, which the
    // health board reports as a fault for a moment: the tile says so until then.
    rig.wait_for("the tile usable", |r| {
        r.find("办事预约").accessible_enabled() == Some(true)
    });
    rig.tap("办事预约");
    rig.wait_for("the matters", |r| step(r) == "matter");
    rig.wait_for("the citizen's appointments", |r| {
        r.kiosk.ui().with_router(|x| match x.flow() {
            Some(ActiveFlow::Appointment(f)) => f.upcoming().len() == upcoming.len(),
            _ => false,
        })
    });
    for line in upcoming {
        rig.find(line);
    }
}

/// Kiosk id of the simulator's sample bookings.
const SEEDED: &str = "platform-seed";

/// The bookings the kiosk made (not the simulator's samples).
fn booked_here(rig: &Rig) -> Vec<kiosk_platform::api::appointment::HeldAppointment> {
    rig.holdings()
        .appointments
        .into_iter()
        .filter(|a| a.kiosk_id != SEEDED)
        .collect()
}

/// The matter page's lines of a sample citizen's upcoming appointments, as the platform
/// holds them.
fn upcoming_of(rig: &Rig, card: usize) -> Vec<String> {
    let card = &idcard::sim::sample_cards()[card];
    let holder = kiosk_platform::api::holder_hash(&card.id_number);
    let names = [
        ("M01", "居民身份证换领"),
        ("M02", "社保卡补办"),
        ("M03", "户口迁入"),
        ("M04", "不动产权证书查询"),
    ];
    client(rig)
        .appointments_of_holder(&holder)
        .unwrap()
        .iter()
        .map(|a| {
            let name = names.iter().find(|(c, _)| *c == a.matter_code).unwrap().1;
            format!(
                "{} {}-{} {name}",
                day_label(a.date, Lang::Zh),
                a.start.format("%H:%M"),
                a.end.format("%H:%M")
            )
        })
        .collect()
}

/// The line of the matter page for an appointment of M02.
fn upcoming_line(day: chrono::NaiveDate, time: &str) -> String {
    format!("{} {time} 社保卡补办", day_label(day, Lang::Zh))
}

/// Card, tile, matter, the first day: leaves the citizen on the slot page.
fn to_slots(rig: &Rig, slots: &SlotList, upcoming: &[String]) {
    to_matters(rig, upcoming);
    rig.tap("社保卡补办");
    rig.wait_for("the days", |r| step(r) == "day");
    rig.tap(&day_label(slots.days[0].date, Lang::Zh));
    assert_eq!(step(rig), "slot");
}

fn type_phone(rig: &Rig) {
    for d in "13800138000".chars() {
        rig.tap(&d.to_string());
    }
    rig.tap("预约这个时间");
}

/// One rig per test binary (Slint's testing platform is set once per process): the online
/// booking first, then the same citizen books another time with the platform gone.
#[test]
fn a_citizen_books_online_and_offline_and_the_platform_holds_each_once() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();
        books_a_slot_gets_the_slip_and_the_platform_holds_it_once(&rig);
        rig.reader().remove_card();
        // The reader's poll notices the card is gone before the next one is placed.
        std::thread::sleep(Duration::from_millis(1500));
        rig.pump();
        booked_while_the_platform_is_away_the_slip_says_pending_and_the_outbox_delivers_once(
            &mut rig,
        );
    });
}

fn books_a_slot_gets_the_slip_and_the_platform_holds_it_once(rig: &Rig) {
    let card = idcard::sim::sample_cards().into_iter().next().unwrap();
    let slots = client(rig).appointment_slots(MATTER, None).unwrap();
    assert_eq!(slots.days.len(), 14, "14 working days");
    fill_first_nine_oclock(rig, &slots);

    // 张伟 holds the simulator's two sample appointments (today's and next week's).
    let seeded = upcoming_of(rig, 0);
    assert_eq!(seeded.len(), 2, "{seeded:?}");
    to_slots(rig, &slots, &seeded);
    // The full slot is on screen but cannot be chosen.
    let full = rig.find("09:00-09:30");
    assert!(!full.accessible_enabled().unwrap_or(true));
    rig.tap("09:00-09:30");
    assert_eq!(step(rig), "slot");
    rig.tap("09:30-10:00");
    assert_eq!(step(rig), "phone");
    type_phone(rig);
    rig.wait_for("the slip", |r| step(r) == "done");
    rig.find("预约成功，请取走凭条。");

    // The slip: matter, date, time, area, what to bring, masked ID and phone, the QR.
    assert!(rig.printer().wait_for_receipts(1, crate::rig::PATIENCE));
    let receipts = rig.printer().receipts();
    assert_eq!(receipts.len(), 1);
    let text = receipts[0].text();
    for want in [
        "社保卡补办",
        &day_label(slots.days[0].date, Lang::Zh),
        "09:30-10:00",
        "B 社保医保",
        "居民身份证原件",
        "138****8000",
        "预约成功",
        &idcard::id_number::mask(&card.id_number),
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    assert!(!text.contains(&card.id_number), "full ID number printed");
    let qr = receipts[0].qr_payloads();
    assert_eq!(qr.len(), 1);
    assert!(qr[0].contains("/appointment/"), "{qr:?}");

    // The platform holds this booking once, beside the two that filled 09:00.
    let held = booked_here(rig);
    assert_eq!(held.len(), 3, "{held:?}");
    let mine: Vec<_> = held
        .iter()
        .filter(|a| a.start == NaiveTime::from_hms_opt(9, 30, 0).unwrap())
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].date, slots.days[0].date);
    assert!(qr[0].ends_with(&mine[0].booking_id));
    // The outbox row went out (once, by whichever of the two senders) and the sync worker's
    // later rounds do not book it again.
    rig.wait_for("the booking row sent", |r| {
        r.store().outbox_counts().unwrap().pending == 0
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(booked_here(rig).len(), 3);
    // The slot's places went down by one.
    let after = client(rig).appointment_slots(MATTER, None).unwrap();
    assert_eq!(after.days[0].slots[1].remaining, 1);

    // The QR opens the booking on a phone.
    let (status, page) = rig.get_page(&qr[0]);
    assert_eq!(status, 200);
    assert!(
        page.contains("预约成功") && page.contains("社保卡补办"),
        "{page}"
    );

    // Finish forgets the citizen.
    rig.tap("完成");
    assert_eq!(rig.page(), Page::Attract);
}

fn booked_while_the_platform_is_away_the_slip_says_pending_and_the_outbox_delivers_once(
    rig: &mut Rig,
) {
    let slots = client(rig).appointment_slots(MATTER, None).unwrap();
    // The first booking, confirmed, is listed at the next identification (between the
    // sample ones), and the menu has nothing to tell: its answer was on screen.
    let first = upcoming_line(slots.days[0].date, "09:30-10:00");
    let listed = upcoming_of(rig, 0);
    assert!(listed.contains(&first), "{listed:?}");
    to_slots(rig, &slots, &listed);
    assert!(rig
        .kiosk
        .ui()
        .with_router(|r| r.session().menu_notice().is_none()));
    rig.tap("10:00-10:30");
    assert_eq!(step(rig), "phone");

    // The platform goes away between choosing and confirming.
    rig.stop_platform();
    type_phone(rig);
    rig.wait_for("the slip", |r| step(r) == "done");
    rig.find("预约待确认，结果将以短信通知。请取走凭条。");
    assert!(rig.printer().wait_for_receipts(2, crate::rig::PATIENCE));
    let text = rig.printer().receipts()[1].text();
    assert!(
        text.contains("待确认") && text.contains("确认结果将以短信通知"),
        "{text}"
    );
    assert!(!text.contains("预约成功"), "{text}");
    let qr = rig.printer().receipts()[1].qr_payloads();
    assert_eq!(rig.store().outbox_counts().unwrap().pending, 1);

    // Back online: the sync worker uploads it, once.
    rig.start_platform();
    rig.wait_for("the booking uploaded", |r| {
        r.store().outbox_counts().unwrap().pending == 0
    });
    let held = booked_here(rig);
    assert_eq!(held.len(), 4, "{held:?}");
    let ten: Vec<_> = held
        .iter()
        .filter(|a| a.start == NaiveTime::from_hms_opt(10, 0, 0).unwrap())
        .collect();
    assert_eq!(ten.len(), 1, "{held:?}");
    assert!(qr[0].ends_with(&ten[0].booking_id));
    assert_eq!(rig.get_page(&qr[0]).0, 200);

    // The next time the citizen identifies, the platform's answer shows: both confirmed.
    rig.tap("完成");
    rig.reader().remove_card();
    std::thread::sleep(Duration::from_millis(1500));
    rig.pump();
    let second = upcoming_line(slots.days[0].date, "10:00-10:30");
    let listed = upcoming_of(rig, 0);
    assert!(listed.contains(&second), "{listed:?}");
    rig.reader()
        .place_card(idcard::sim::sample_cards().into_iter().next().unwrap());
    rig.wait_for("the greeting", |r| r.page() == Page::Menu);
    // The menu tells of the answer the citizen has not seen: the offline one, confirmed.
    rig.wait_for("the answer on the menu", |r| {
        r.kiosk
            .ui()
            .with_router(|x| x.session().menu_notice().is_some())
    });
    let notice = rig
        .kiosk
        .ui()
        .with_router(|r| r.session().menu_notice().cloned())
        .unwrap();
    assert!(
        notice.zh.contains("10:00 的预约已确认") && !notice.zh.contains("09:30"),
        "{notice:?}"
    );
    rig.find(&notice.zh);
    rig.tap("办事预约");
    rig.wait_for("the matters", |r| step(r) == "matter");
    rig.wait_for("the citizen's appointments", |r| {
        r.kiosk.ui().with_router(|x| match x.flow() {
            Some(ActiveFlow::Appointment(f)) => f.upcoming().len() == listed.len(),
            _ => false,
        })
    });

    // The citizen cancels the second one: a transaction like any other, its place is free.
    rig.tap(&format!("取消 {second}"));
    assert_eq!(step(rig), "confirm-cancel");
    rig.tap("确定取消");
    rig.wait_for("the cancellation", |r| step(r) == "cancelled");
    rig.find("预约已取消。");
    let held = booked_here(rig);
    assert_eq!(held.len(), 3, "{held:?}");
    assert!(held
        .iter()
        .all(|a| a.start != NaiveTime::from_hms_opt(10, 0, 0).unwrap()));
    // The cancelled booking's page says so.
    let (status, page) = rig.get_page(&qr[0]);
    assert_eq!(status, 200);
    assert!(page.contains("预约已取消"), "{page}");
    let after = client(rig).appointment_slots(MATTER, None).unwrap();
    assert_eq!(after.days[0].slots[2].remaining, 2);
    rig.tap("完成");
    assert_eq!(rig.page(), Page::Attract);
}

/// The slip's QR code of a booking, as the kiosk prints it.
fn slip_code(rig: &Rig, booking_id: &str) -> String {
    kiosk_platform::api::appointment::appointment_url(
        &format!("http://{}", rig.platform_addr()),
        booking_id,
    )
}

/// Leaves the session and takes the card away before the next one.
fn leave(rig: &Rig) {
    rig.tap("完成");
    assert_eq!(rig.page(), Page::Attract);
    rig.reader().remove_card();
    std::thread::sleep(Duration::from_millis(1500));
    rig.pump();
}

/// The sample citizens on the day: 张伟 checks in with his card for a priority ticket the
/// queue calls first; his next week's slip scanned at the attract screen is "not today" with
/// an ordinary ticket one touch away; 阿依古丽 is too early; 赵秀英 is told once that her
/// offline booking was confirmed; with the platform away a scanned slip says check-in needs
/// it and the ordinary ticket still prints from the kiosk's leased numbers.
#[test]
fn citizens_check_in_on_the_day_and_hear_of_offline_answers_once() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();
        let rig = &mut rig;

        // 张伟: today's appointment has 签到 beside it.
        let mine = upcoming_of(rig, 0);
        to_matters(rig, &mine);
        rig.tap(&format!("签到 {}", mine[0]));
        rig.wait_for("the priority ticket", |r| step(r) == "checked-in");
        rig.find("签到成功，请取走号票。");
        assert_eq!(
            rig.find("号码").accessible_value().unwrap_or_default(),
            "B-Y001"
        );
        assert!(rig.printer().wait_for_receipts(1, crate::rig::PATIENCE));
        let text = rig.printer().receipts()[0].text();
        for want in ["预约优先", "B-Y001", "社保卡补办", "社保医保"] {
            assert!(text.contains(want), "{want} missing from {text}");
        }
        let card = &idcard::sim::sample_cards()[0];
        assert!(text.contains(&idcard::id_number::mask(&card.id_number)));
        assert!(!text.contains(&card.id_number));
        let qr = rig.printer().receipts()[0].qr_payloads();
        assert!(qr[0].contains("/follow/"), "{qr:?}");
        // The platform's queue knows it: waiting in B, and called before any ordinary one.
        let held = rig.holdings().tickets;
        assert!(
            held.iter().any(|t| t.display_number == "B-Y001"),
            "{held:?}"
        );
        assert_eq!(client(rig).call_next("B").unwrap().display_number, "B-Y001");
        assert!(rig
            .kiosk
            .ui()
            .with_router(|r| r.session().citizen().is_none()));
        // The booking's page on a phone says so.
        let (status, page) = rig.get_page(&slip_code(rig, "5eed0000-0000-4000-8000-000000000001"));
        assert_eq!(status, 200);
        assert!(
            page.contains("已签到 · Checked in") && page.contains("B-Y001"),
            "{page}"
        );
        leave(rig);

        // His next week's slip scanned at the attract screen: not today; an ordinary ticket
        // for its area (C) in one touch.
        rig.code_scanner()
            .scan(&slip_code(rig, "5eed0000-0000-4000-8000-000000000002"))
            .unwrap();
        rig.wait_for("the answer", |r| step(r) == "check-in-refused");
        rig.find("该预约不是今天的。");
        rig.tap("取 C 户籍证照 普通号");
        rig.wait_for("the ordinary ticket", |r| step(r) == "ticket-issued");
        rig.find("请取走号票。");
        assert!(rig.printer().wait_for_receipts(2, crate::rig::PATIENCE));
        let text = rig.printer().receipts()[1].text();
        assert!(
            text.contains("排队号票") && !text.contains("身份证号"),
            "{text}"
        );
        assert!(text.contains("户籍证照"), "{text}");
        rig.tap("完成");
        assert_eq!(rig.page(), Page::Attract);

        // 阿依古丽: her appointment is two hours on (unless that is past midnight).
        let hall_now = chrono::Utc::now()
            .with_timezone(&kiosk::clock::hall_offset())
            .time();
        let hers = upcoming_of(rig, 4);
        assert_eq!(hers.len(), 1, "{hers:?}");
        // Her request that found its slot full while it waited in an outbox: told on the menu.
        rig.reader()
            .place_card(idcard::sim::sample_cards()[4].clone());
        rig.wait_for("the answer on the menu", |r| {
            r.kiosk
                .ui()
                .with_router(|x| x.session().menu_notice().is_some())
        });
        let refused = rig
            .kiosk
            .ui()
            .with_router(|r| r.session().menu_notice().cloned())
            .unwrap();
        assert!(
            refused.zh.contains("未能预约成功：该时段已约满") && refused.warn,
            "{refused:?}"
        );
        rig.tap("结束办理");
        rig.reader().remove_card();
        std::thread::sleep(Duration::from_millis(1500));
        rig.pump();
        if hall_now < NaiveTime::from_hms_opt(21, 45, 0).unwrap() {
            to_matters_with(rig, 4, &hers);
            rig.tap(&format!("签到 {}", hers[0]));
            rig.wait_for("the answer", |r| step(r) == "check-in-refused");
            let early = rig.kiosk.ui().with_router(|r| match r.flow() {
                Some(ActiveFlow::Appointment(f)) => match f.step() {
                    Step::CheckInRefused(x) => Some(x.refusal),
                    _ => None,
                },
                _ => None,
            });
            let Some(kiosk::services::appointment::CheckInRefusal::TooEarly(opens)) = early else {
                panic!("{early:?}");
            };
            rig.find(&format!(
                "现在签到还太早：{} 起可以签到。",
                opens.format("%H:%M")
            ));
            leave(rig);
        }

        // 赵秀英: told at identification that her offline booking was confirmed; once.
        rig.reader()
            .place_card(idcard::sim::sample_cards()[3].clone());
        rig.wait_for("the answer on the menu", |r| {
            r.kiosk
                .ui()
                .with_router(|x| x.session().menu_notice().is_some())
        });
        let notice = rig
            .kiosk
            .ui()
            .with_router(|r| r.session().menu_notice().cloned())
            .unwrap();
        assert!(notice.zh.contains("09:00 的预约已确认"), "{notice:?}");
        assert!(notice.zh.contains("户口迁入"), "{notice:?}");
        rig.find(&notice.zh);
        // In English too.
        rig.tap("中文 / English");
        rig.find(&notice.en);
        rig.tap("Finish and exit");
        assert_eq!(rig.page(), Page::Attract);
        rig.reader().remove_card();
        std::thread::sleep(Duration::from_millis(1500));
        rig.pump();
        rig.reader()
            .place_card(idcard::sim::sample_cards()[3].clone());
        rig.wait_for("the greeting", |r| r.page() == Page::Menu);
        // The worker answers in order: once the matters are listed, the notices were asked.
        rig.tap("办事预约");
        rig.wait_for("the matters", |r| step(r) == "matter");
        assert!(rig
            .kiosk
            .ui()
            .with_router(|r| r.session().menu_notice().is_none()));
        rig.tap("结束办理");
        assert_eq!(rig.page(), Page::Attract);
        rig.reader().remove_card();
        std::thread::sleep(Duration::from_millis(1500));
        rig.pump();

        // The platform away: a scanned slip says check-in needs it; the ordinary ticket
        // still prints from the leased numbers.
        rig.stop_platform();
        rig.code_scanner()
            .scan(&slip_code(rig, "5eed0000-0000-4000-8000-000000000001"))
            .unwrap();
        rig.wait_for("the answer", |r| step(r) == "check-in-refused");
        rig.find("签到需要联网，目前无法连接平台。");
        let before = rig.printer().receipts().len();
        rig.tap("取 A 综合受理 普通号");
        rig.wait_for("the ordinary ticket", |r| step(r) == "ticket-issued");
        assert!(rig
            .printer()
            .wait_for_receipts(before + 1, crate::rig::PATIENCE));
        rig.tap("完成");
        assert_eq!(rig.page(), Page::Attract);
        rig.start_platform();
    });
}
