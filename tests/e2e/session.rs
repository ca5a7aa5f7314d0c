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

#[test]
fn main_menu_in_the_footer_leaves_the_service_and_keeps_the_session() {
    crate::rig::on_ui_thread(|| {
        let rig = crate::rig::Rig::start();
        rig.wait_until_ready();
        rig.swipe_sample_card();
        // The menu has no "main menu" of its own, and its time left runs.
        assert_eq!(ElementCount::of(&rig, "主菜单"), 0);
        rig.find("本次办理剩余时间");
        rig.tap("取号");
        rig.tap("A  综合受理");
        assert_eq!(rig.page(), Page::Phone);
        rig.tap("主菜单");
        assert_eq!(rig.page(), Page::Menu);
        rig.kiosk
            .ui()
            .with_controller(|c| assert!(c.citizen().is_some(), "the session goes on"));
    });
}

#[test]
fn the_attract_screen_shows_the_halls_notices_dims_at_night_and_wakes_on_a_touch_or_a_card() {
    crate::rig::on_ui_thread(|| {
        // A night that lasts the whole day, so the test does not depend on the hour.
        let rig = crate::rig::Rig::start_configured(|c| {
            c.display.night_hours = Some("00:00-00:00".into());
            c.display.night_brightness = 0.25;
        });
        rig.wait_until_ready();
        // The platform simulator's notices, one at a time.
        let shown = rig.find("大厅公告").accessible_value().unwrap().to_string();
        assert!(
            ["大厅办公时间", "不动产登记窗口", "办理社保医保事项"]
                .iter()
                .any(|n| shown.starts_with(n)),
            "{shown}"
        );
        let app = || rig.kiosk.window().global::<kiosk::ui::AppAdapter>();
        use slint::ComponentHandle;
        seconds(61);
        rig.pump();
        assert!(app().get_dimmed(), "a minute without a touch at night");
        assert_eq!(app().get_brightness(), 0.25);
        rig.tap("触摸屏幕即可唤醒");
        assert!(!app().get_dimmed(), "a touch wakes it");
        seconds(30);
        rig.pump();
        assert!(!app().get_dimmed(), "bright for a minute after the touch");
        seconds(31);
        rig.pump();
        assert!(app().get_dimmed());
        // A card wakes it too: the menu is never dimmed.
        rig.swipe_sample_card();
        assert_eq!(rig.page(), Page::Menu);
        assert!(!app().get_dimmed());
    });
}
