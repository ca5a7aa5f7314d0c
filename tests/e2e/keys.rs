//! A public terminal has no way out through the keyboard: the chords that close, switch,
//! quit or un-fullscreen an app are swallowed at the window (the root FocusScope of
//! ui/app.slint), and a close request keeps the window shown (`crate::ui::guard_window`).
//! Driven with the testing backend's key events, the modifiers pressed first as a keyboard
//! sends them.

use crate::rig::{Page, Rig};
use slint::platform::{Key, WindowEvent};
use slint::ComponentHandle;

/// Presses `keys` in order, then releases them in reverse: one chord.
fn chord(rig: &Rig, keys: &[Key]) {
    let w = rig.kiosk.window().window();
    for k in keys {
        let text: slint::SharedString = (*k).into();
        w.dispatch_event(WindowEvent::KeyPressed { text });
    }
    for k in keys.iter().rev() {
        let text: slint::SharedString = (*k).into();
        w.dispatch_event(WindowEvent::KeyReleased { text });
    }
    rig.pump();
}

/// Each chord that leaves an app elsewhere, with a name for the failure message.
fn chords() -> Vec<(&'static str, Vec<Key>)> {
    vec![
        ("Alt+F4", vec![Key::Alt, Key::F4]),
        ("Alt+Tab", vec![Key::Alt, Key::Tab]),
        (
            "Ctrl+Alt+Backspace",
            vec![Key::Control, Key::Alt, Key::Backspace],
        ),
        ("Ctrl+Alt+Delete", vec![Key::Control, Key::Alt, Key::Delete]),
        ("Ctrl+Super", vec![Key::Control, Key::Meta]),
        ("Super", vec![Key::Meta]),
        ("F11", vec![Key::F11]),
        ("Escape", vec![Key::Escape]),
        ("Tab", vec![Key::Tab]),
        ("Shift+Tab", vec![Key::Shift, Key::Backtab]),
    ]
}

/// Presses every chord (with letters typed as text where the chord has one) on the page on
/// screen and checks that the kiosk is still shown, on the same page.
fn every_chord_keeps(rig: &Rig, page: Page) {
    let w = rig.kiosk.window().window();
    for (name, keys) in chords() {
        chord(rig, &keys);
        assert!(w.is_visible(), "{name} closed the window");
        assert_eq!(rig.page(), page, "{name} moved the kiosk off {page:?}");
    }
    // Ctrl+Q and Ctrl+W as a keyboard sends them: the letter comes as text.
    for letter in ["q", "w"] {
        w.dispatch_event(WindowEvent::KeyPressed {
            text: Key::Control.into(),
        });
        w.dispatch_event(WindowEvent::KeyPressed {
            text: letter.into(),
        });
        w.dispatch_event(WindowEvent::KeyReleased {
            text: letter.into(),
        });
        w.dispatch_event(WindowEvent::KeyReleased {
            text: Key::Control.into(),
        });
        rig.pump();
        assert!(w.is_visible(), "Ctrl+{letter} closed the window");
        assert_eq!(rig.page(), page, "Ctrl+{letter} moved the kiosk");
    }
    // A close request (what Alt+F4 becomes under a window manager).
    w.dispatch_event(WindowEvent::CloseRequested);
    rig.pump();
    assert!(w.is_visible(), "a close request closed the kiosk");
    assert_eq!(rig.page(), page, "a close request moved the kiosk");
}

#[test]
fn no_chord_and_no_close_request_leaves_the_kiosk() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start();
        rig.wait_until_ready();
        every_chord_keeps(&rig, Page::Attract);
        rig.swipe_sample_card();
        every_chord_keeps(&rig, Page::Menu);
        rig.tap("取号");
        assert_eq!(rig.page(), Page::AreaSelect);
        every_chord_keeps(&rig, Page::AreaSelect);
        // The key scope still holds the focus (Tab did not walk it away): F3 on the attract
        // screen still opens the staff PIN pad.
        rig.tap("结束办理");
        rig.wait_for("the attract screen", |r| r.page() == Page::Attract);
        rig.press_f3();
        assert_eq!(rig.staff_mode(), kiosk::app::staff::StaffMode::Pin);
    });
}

#[test]
fn the_cursor_is_hidden_for_citizens_and_shown_for_technicians() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start();
        rig.wait_until_ready();
        assert!(!kiosk::ui::cursor_shown(), "hidden on the attract screen");
        rig.kiosk.technician().open();
        rig.pump();
        assert!(kiosk::ui::cursor_shown(), "shown on the technician screen");
        rig.tap("退出");
        rig.pump();
        assert!(!kiosk::ui::cursor_shown(), "hidden again after it");
    });
}
