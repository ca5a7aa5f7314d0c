//! Out of service, set on the hall staff screen: the attract screen says so and cards are
//! ignored until staff put the kiosk back in service.

mod common;

use std::time::Duration;

use common::{Page, ReadSession};

#[test]
fn out_of_service_ignores_cards_until_back_in_service() {
    let rig = common::Rig::start();
    rig.wait_until_ready();

    rig.open_staff();
    rig.tap("暂停服务");
    rig.tap("退出");
    rig.find("暂停服务 / Out of service");
    rig.wait_for("the flag file", |r| {
        r.dir.path().join("data").join("out_of_service").exists()
    });

    let card = idcard::sim::sample_cards().into_iter().next().unwrap();
    rig.reader.place_card(card.clone());
    // The card is read by the reader thread; the screen stays out of service.
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        rig.pump();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(rig.page(), Page::Attract);
    rig.kiosk
        .ui()
        .with_controller(|c| assert!(c.citizen().is_none()));

    rig.reader.remove_card();
    rig.open_staff();
    rig.tap("恢复服务");
    rig.tap("退出");
    rig.wait_for("the flag file to go", |r| {
        !r.dir.path().join("data").join("out_of_service").exists()
    });
    std::thread::sleep(Duration::from_millis(600));
    rig.reader.place_card(card);
    rig.wait_for("the greeting", |r| r.page() == Page::Menu);
}
