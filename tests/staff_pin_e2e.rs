//! The hall staff screen's PIN pad: wrong PINs refused, the lock-out, the right PIN opens it
//! (the real window on Slint's testing backend, the real threads behind it).

mod common;

use std::time::Duration;

use common::Page;
use kiosk::app::staff::StaffMode;

#[test]
fn wrong_pins_are_refused_and_lock_the_pad_the_right_pin_opens() {
    let rig = common::Rig::start();
    rig.wait_until_ready();

    rig.press_f3();
    assert_eq!(rig.staff_mode(), StaffMode::Pin);
    rig.find("工作人员登录");

    rig.type_staff_pin("1111");
    assert_eq!(rig.staff_mode(), StaffMode::Pin);
    assert_eq!(
        rig.find("密码提示").accessible_value().as_deref(),
        Some("密码错误，还可尝试 4 次。")
    );
    for _ in 0..4 {
        rig.type_staff_pin("1111");
    }
    let msg = rig.find("密码提示").accessible_value().unwrap().to_string();
    assert!(msg.starts_with("密码错误次数过多"), "{msg}");
    // Locked: even the right PIN is refused.
    rig.type_staff_pin(common::STAFF_PIN);
    assert_eq!(rig.staff_mode(), StaffMode::Pin);

    // A minute later the pad takes the right PIN.
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(61));
    rig.pump();
    rig.type_staff_pin(common::STAFF_PIN);
    assert_eq!(rig.staff_mode(), StaffMode::Open);
    rig.find("工作人员");
    rig.wait_for("the link state", |r| {
        r.find("连接状态").accessible_value().as_deref() == Some("在线")
    });

    rig.tap("退出");
    assert_eq!(rig.staff_mode(), StaffMode::Closed);
    assert_eq!(rig.page(), Page::Attract);
}
