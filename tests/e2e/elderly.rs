//! Elderly mode (长辈模式) through the real UI: one touch on the attract screen makes the
//! theme's scale 1.5, the menu shows fewer tiles a page, the idle time and countdown are
//! the longer ones; the wipe ends it.

use std::time::Duration;

use i_slint_backend_testing::{ElementHandle, ElementRoot};
use slint::ComponentHandle;

use crate::rig::{Page, Rig};

fn seconds(n: u64) {
    for _ in 0..n {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    }
}

fn scale(rig: &Rig) -> f32 {
    rig.kiosk.window().global::<kiosk::ui::Theme>().get_scale()
}

/// The menu's service tiles on screen: the buttons that describe themselves (a tile's
/// subtitle or why it is unavailable; no other button has a description).
fn tiles(rig: &Rig) -> usize {
    rig.kiosk
        .window()
        .root_element()
        .query_descendants()
        .find_all()
        .iter()
        .filter(|e| {
            e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button)
                && e.accessible_description().is_some_and(|d| !d.is_empty())
        })
        .count()
}

#[test]
fn elderly_mode_scales_the_text_shows_fewer_tiles_waits_longer_and_ends_with_the_wipe() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start_configured(|c| {
            c.session.elderly_idle_secs = 180;
            c.session.elderly_countdown_secs = 30;
        });
        rig.wait_until_ready();
        assert_eq!(scale(&rig), 1.0);
        rig.tap("长辈模式");
        assert_eq!(scale(&rig), 1.5);
        rig.swipe_sample_card();
        assert_eq!(
            scale(&rig),
            1.5,
            "chosen on the attract screen, kept for the session"
        );
        // Three large tiles and a "more" page.
        let first_page = tiles(&rig);
        assert_eq!(first_page, 3);
        assert_eq!(rig.find("长辈模式").accessible_checked(), Some(true));
        rig.tap("更多服务");
        assert!(tiles(&rig) >= 1);
        rig.tap("上一页");
        assert_eq!(tiles(&rig), first_page);

        // The normal idle time (60 s) passes without a countdown; the elderly one (180 s)
        // shows a 30 s countdown.
        seconds(61);
        rig.pump();
        assert_eq!(countdowns(&rig), 0);
        seconds(119);
        rig.pump();
        assert_eq!(rig.find("倒计时").accessible_value().as_deref(), Some("30"));
        seconds(30);
        rig.pump();
        assert_eq!(rig.page(), Page::Attract);
        assert_eq!(scale(&rig), 1.0, "the wipe ends elderly mode");

        // The next citizen gets the normal menu and timing (the card leaves the reader
        // first, so it is read again).
        rig.reader().remove_card();
        std::thread::sleep(Duration::from_millis(600));
        rig.pump();
        rig.swipe_sample_card();
        assert!(tiles(&rig) > 3, "more tiles a page without elderly mode");
        seconds(60);
        rig.pump();
        assert_eq!(rig.find("倒计时").accessible_value().as_deref(), Some("10"));
    });
}

fn countdowns(rig: &Rig) -> usize {
    ElementHandle::find_by_accessible_label(rig.kiosk.window(), "倒计时").count()
}
