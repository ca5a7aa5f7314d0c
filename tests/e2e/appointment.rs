//! A citizen books an appointment as they would at the hall: card over the SAM protocol on a
//! pty, the real UI found by accessible label, the platform's slots over real HTTP, the slip
//! in ESC/POS on the virtual printer, the booking in the platform's holdings exactly once.
//! And its main failures: a full slot cannot be chosen; with the platform gone at the moment
//! of booking the slip says "pending confirmation" and the outbox delivers it later, once.

use std::io::{Read, Write};
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
    rig.swipe_sample_card();
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

/// `GET` on the simulator's public page, as a phone would: (status, body).
fn get_page(rig: &Rig, url: &str) -> (u16, String) {
    let path = url.split_once(&rig.platform_addr().to_string()).unwrap().1;
    let mut s = std::net::TcpStream::connect(rig.platform_addr()).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        rig.platform_addr()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    (status, text)
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

    to_slots(rig, &slots, &[]);
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
    let held = rig.holdings().appointments;
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
    assert_eq!(rig.holdings().appointments.len(), 3);
    // The slot's places went down by one.
    let after = client(rig).appointment_slots(MATTER, None).unwrap();
    assert_eq!(after.days[0].slots[1].remaining, 1);

    // The QR opens the booking on a phone.
    let (status, page) = get_page(rig, &qr[0]);
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
    // The first booking, confirmed, is listed at the next identification.
    let first = upcoming_line(slots.days[0].date, "09:30-10:00");
    to_slots(rig, &slots, std::slice::from_ref(&first));
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
    let held = rig.holdings().appointments;
    assert_eq!(held.len(), 4, "{held:?}");
    let ten: Vec<_> = held
        .iter()
        .filter(|a| a.start == NaiveTime::from_hms_opt(10, 0, 0).unwrap())
        .collect();
    assert_eq!(ten.len(), 1, "{held:?}");
    assert!(qr[0].ends_with(&ten[0].booking_id));
    assert_eq!(get_page(rig, &qr[0]).0, 200);

    // The next time the citizen identifies, the platform's answer shows: both confirmed.
    rig.tap("完成");
    rig.reader().remove_card();
    std::thread::sleep(Duration::from_millis(1500));
    rig.pump();
    let second = upcoming_line(slots.days[0].date, "10:00-10:30");
    to_matters(rig, &[first.clone(), second.clone()]);

    // The citizen cancels the second one: a transaction like any other, its place is free.
    rig.tap(&format!("取消 {second}"));
    assert_eq!(step(rig), "confirm-cancel");
    rig.tap("确定取消");
    rig.wait_for("the cancellation", |r| step(r) == "cancelled");
    rig.find("预约已取消。");
    let held = rig.holdings().appointments;
    assert_eq!(held.len(), 3, "{held:?}");
    assert!(held
        .iter()
        .all(|a| a.start != NaiveTime::from_hms_opt(10, 0, 0).unwrap()));
    let after = client(rig).appointment_slots(MATTER, None).unwrap();
    assert_eq!(after.days[0].slots[2].remaining, 2);
    rig.tap("完成");
    assert_eq!(rig.page(), Page::Attract);
}
