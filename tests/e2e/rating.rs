//! Rating (好差评) at the end of a session, through the real UI: after a queue ticket the
//! citizen rates it and the platform counts it once, online or after an outage; skipping is
//! one touch. The rig turns the rating step off for every other test; these turn it on.

use std::time::Duration;

use kiosk_platform::api::rating::{RatingCounts, RatingLevel, RatingReason};

use crate::rig::{Page, ReadSession, Rig};

fn rig() -> Rig {
    Rig::start_configured(|c| c.session.rating = true)
}

fn ratings(rig: &Rig) -> RatingCounts {
    kiosk_platform::client::PlatformClient::new(
        &format!("http://{}", rig.platform_addr()),
        kiosk_platform::sim::DEMO_KIOSK_ID,
        kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(5),
    )
    .ratings()
    .unwrap()
}

/// A citizen takes a ticket (no SMS) and touches "finish" on the ticket page.
fn ticket_then_finish(rig: &Rig) {
    rig.swipe_sample_card();
    rig.tap("取号");
    rig.tap("A  综合受理");
    rig.tap("不需要短信，直接取号");
    rig.wait_for("the ticket", |r| r.page() == Page::TicketDone);
    rig.tap("完成");
}

/// The citizen takes the card away (the reader reports the next card as new).
fn take_card_away(rig: &Rig) {
    rig.reader().remove_card();
    std::thread::sleep(Duration::from_millis(1500));
    rig.pump();
}

/// The citizen is gone from the session the rating step follows.
fn nobody_held(rig: &Rig) {
    use slint::ComponentHandle;
    rig.kiosk
        .ui()
        .with_controller(|c| assert!(c.citizen().is_none() && c.ticket().is_none()));
    // Nor does the window: the menu's greeting went with the session.
    let menu = rig.kiosk.window().global::<kiosk::ui::MenuAdapter>();
    assert!(menu.get_citizen_name().is_empty() && menu.get_masked_id().is_empty());
    assert!(!menu.get_has_photo());
}

#[test]
fn after_a_ticket_the_citizen_rates_it_with_reasons_and_the_platform_counts_it() {
    crate::rig::on_ui_thread(|| {
        let rig = rig();
        rig.wait_until_ready();
        ticket_then_finish(&rig);
        assert_eq!(rig.page(), Page::Rating);
        nobody_held(&rig);
        rig.find("请对本次服务进行评价");
        rig.find("评价事项：取号");
        // A lower level asks why: two reasons picked, one picked and unpicked.
        rig.tap("不满意");
        rig.find("您的评价：不满意");
        rig.tap("等候时间长");
        rig.tap("设备故障");
        rig.tap("设备故障");
        rig.tap("事项未办成");
        rig.tap("提交评价");
        rig.find("感谢您的评价");

        rig.wait_for("the ticket and the rating to be sent", |r| {
            r.store().outbox_counts().unwrap().sent == 2
        });
        let counts = ratings(&rig);
        let q = counts
            .of("queue_ticket")
            .expect("the ticket's service is rated");
        assert_eq!(q.total, 1);
        assert_eq!(q.at(RatingLevel::Unsatisfied), 1);
        assert_eq!(q.reasons.get(&RatingReason::LongWait), Some(&1));
        assert_eq!(q.reasons.get(&RatingReason::NotDone), Some(&1));
        assert_eq!(q.reasons.get(&RatingReason::DeviceFault), None);

        // "Thank you" gives way to the attract screen by itself.
        for _ in 0..4 {
            i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
        }
        rig.pump();
        assert_eq!(rig.page(), Page::Attract);
    });
}

#[test]
fn a_rating_given_offline_is_sent_once_when_the_platform_is_back() {
    crate::rig::on_ui_thread(|| {
        let mut rig = rig();
        rig.wait_until_ready();
        rig.stop_platform();
        ticket_then_finish(&rig);
        rig.tap("非常满意");
        rig.find("感谢您的评价");
        rig.wait_for("the rating row", |r| {
            r.store().outbox_counts().unwrap().pending == 2
        });
        let store = rig.store();
        // Read by id: the ticket's row may be waiting out its backoff (the platform is away).
        let row = (1..=2)
            .filter_map(|id| store.outbox_row(id).unwrap())
            .find(|r| r.kind == "rating")
            .expect("a rating row");
        assert!(row.payload.contains("very_satisfied"), "{}", row.payload);

        rig.start_platform();
        rig.wait_for("both rows to be sent", |r| {
            r.store().outbox_counts().unwrap().sent == 2
        });
        // Another round or two: nothing goes twice.
        std::thread::sleep(Duration::from_millis(2500));
        rig.pump();
        let counts = ratings(&rig);
        let q = counts.of("queue_ticket").unwrap();
        assert_eq!(
            (q.total, q.at(RatingLevel::VerySatisfied)),
            (1, 1),
            "exactly once"
        );
        assert_eq!(rig.store().outbox_counts().unwrap().sent, 2);
    });
}

#[test]
fn skipping_is_one_touch_and_the_next_citizen_is_not_kept_waiting() {
    crate::rig::on_ui_thread(|| {
        let rig = rig();
        rig.wait_until_ready();
        ticket_then_finish(&rig);
        assert_eq!(rig.page(), Page::Rating);
        rig.tap("跳过");
        assert_eq!(rig.page(), Page::Attract, "one touch");
        nobody_held(&rig);

        // No rating row: only the ticket goes to the platform.
        rig.wait_for("the ticket to be sent", |r| {
            r.store().outbox_counts().unwrap().sent == 1
        });
        assert!(ratings(&rig).services.is_empty());

        // A rating step left alone: the next card starts the next session at once.
        take_card_away(&rig);
        ticket_then_finish(&rig);
        assert_eq!(rig.page(), Page::Rating);
        take_card_away(&rig);
        assert_eq!(
            rig.page(),
            Page::Rating,
            "taking the card away does not skip"
        );
        rig.swipe_sample_card();
        assert_eq!(rig.page(), Page::Menu);
    });
}
