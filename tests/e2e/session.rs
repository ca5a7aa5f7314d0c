//! No touch for the idle time: the countdown shows, and at zero the session is wiped.

use std::time::Duration;

use crate::rig::{Page, ReadSession};

fn seconds(n: u64) {
    for _ in 0..n {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    }
}

#[test]
fn the_idle_countdown_wipes_the_session() {
    crate::rig::on_ui_thread(|| {
        let rig = crate::rig::Rig::start();
        rig.wait_until_ready();
        rig.swipe_sample_card();
        rig.tap("取号");
        rig.tap("A  综合受理");
        rig.tap("1");
        assert_eq!(rig.page(), Page::Phone);

        // 59 s: nothing yet.
        seconds(59);
        rig.pump();
        assert!(ElementCount::of(&rig, "倒计时") == 0);
        // 60 s: the countdown shows 10.
        seconds(1);
        rig.pump();
        assert_eq!(rig.find("倒计时").accessible_value().as_deref(), Some("10"));
        // A touch ("continue") cancels it.
        rig.tap("继续办理");
        assert_eq!(ElementCount::of(&rig, "倒计时"), 0);
        assert_eq!(rig.page(), Page::Phone);

        // Left alone again: countdown, then the attract screen with nothing of the citizen left.
        seconds(65);
        rig.pump();
        assert_eq!(rig.find("倒计时").accessible_value().as_deref(), Some("5"));
        seconds(5);
        rig.pump();
        assert_eq!(rig.page(), Page::Attract);
        rig.kiosk.ui().with_controller(|c| {
            assert!(c.citizen().is_none());
            assert_eq!(c.phone(), "");
        });
        rig.find("请刷身份证");
        assert!(rig.printer().receipts().is_empty());
    });
}

struct ElementCount;
impl ElementCount {
    fn of(rig: &crate::rig::Rig, label: &str) -> usize {
        i_slint_backend_testing::ElementHandle::find_by_accessible_label(rig.kiosk.window(), label)
            .count()
    }
}
