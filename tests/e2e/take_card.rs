//! "Take your ID card" (请取回您的身份证) through the real UI and the real reader thread: the
//! simulated reader speaks the SAM protocol on a pty, and the page goes when its find-card
//! answers say the card is gone (the demo panel's "remove card" is the same call).

use std::time::Duration;

use slint::ComponentHandle;

use crate::rig::{Page, ReadSession, Rig};

fn rig(rating: bool) -> Rig {
    Rig::start_configured(|c| {
        c.session.take_card = true;
        c.session.take_card_secs = 30;
        c.session.rating = rating;
    })
}

fn seconds(n: u64) {
    for _ in 0..n {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    }
}

#[test]
fn finish_asks_for_the_card_until_the_reader_no_longer_sees_it_then_the_rating() {
    crate::rig::on_ui_thread(|| {
        let rig = rig(true);
        rig.wait_until_ready();
        rig.swipe_sample_card();
        rig.tap("取号");
        rig.tap("A  综合受理");
        rig.tap("不需要短信，直接取号");
        rig.wait_for("the ticket", |r| r.page() == Page::TicketDone);
        rig.tap("完成");
        assert_eq!(rig.page(), Page::TakeCard);
        assert_eq!(
            rig.find("取回身份证").accessible_value().as_deref(),
            Some("请取回您的身份证")
        );
        // Nothing of the citizen is held while it shows.
        rig.kiosk
            .ui()
            .with_controller(|c| assert!(c.citizen().is_none() && c.ticket().is_none()));
        let menu = rig.kiosk.window().global::<kiosk::ui::MenuAdapter>();
        assert!(menu.get_citizen_name().is_empty());
        // No "done" button: the reader tells.
        assert_eq!(
            i_slint_backend_testing::ElementHandle::find_by_accessible_label(
                rig.kiosk.window(),
                "我已取回身份证"
            )
            .count(),
            0
        );
        // Still on the reader a while later (the real reader thread polls it).
        std::thread::sleep(Duration::from_millis(600));
        rig.pump();
        assert_eq!(rig.page(), Page::TakeCard);
        rig.reader().remove_card();
        rig.wait_for("the reader to see the card gone", |r| {
            r.page() == Page::Rating
        });
        rig.find("请对本次服务进行评价");
    });
}

#[test]
fn the_idle_wipe_asks_for_the_card_and_a_citizen_who_walked_away_gets_the_attract_screen() {
    crate::rig::on_ui_thread(|| {
        let rig = rig(false);
        rig.wait_until_ready();
        rig.swipe_sample_card();
        seconds(70);
        rig.pump();
        assert_eq!(rig.page(), Page::TakeCard);
        rig.kiosk
            .ui()
            .with_controller(|c| assert!(c.citizen().is_none()));
        seconds(29);
        rig.pump();
        assert_eq!(rig.page(), Page::TakeCard);
        seconds(1);
        rig.pump();
        assert_eq!(rig.page(), Page::Attract, "walked away: the attract screen");
        // The card left behind ends no session when it is finally taken.
        rig.reader().remove_card();
        std::thread::sleep(Duration::from_millis(600));
        rig.pump();
        assert_eq!(rig.page(), Page::Attract);
        // The next citizen's card starts a session as ever.
        rig.swipe_sample_card();
    });
}
