//! The platform is down: the ticket still prints from the leased block, the outbox row stays
//! pending; the platform comes back: the ticket arrives exactly once.

mod common;

use common::Page;

#[test]
fn with_the_platform_down_the_ticket_prints_and_syncs_once_later() {
    let mut rig = common::Rig::start();
    rig.wait_until_ready();
    rig.stop_platform();

    rig.swipe_sample_card();
    rig.tap("取号");
    rig.tap("B  社保医保");
    rig.tap("不需要短信，直接取号");
    rig.wait_for("the ticket", |r| r.page() == Page::TicketDone);
    let number = rig.find("号码").accessible_value().unwrap().to_string();
    assert!(number.starts_with('B'), "{number}");
    assert!(rig.printer.wait_for_receipts(1, common::PATIENCE));
    assert!(rig.printer.receipts()[0].text().contains(&number));

    // Offline: the row waits, and the citizen screen says so.
    rig.wait_for("the offline indicator", |r| {
        r.find("平台连接")
            .accessible_value()
            .is_some_and(|v| v.starts_with("离线"))
    });
    let counts = rig.store().outbox_counts().unwrap();
    assert_eq!((counts.pending, counts.sent), (1, 0));

    rig.start_platform();
    rig.wait_for("the outbox to drain", |r| {
        r.store().outbox_counts().unwrap().sent == 1
    });
    rig.wait_for("the online indicator", |r| {
        r.find("平台连接").accessible_value().as_deref() == Some("在线")
    });
    let held = rig.holdings();
    assert_eq!(held.tickets.len(), 1, "exactly once");
    assert_eq!(held.tickets[0].display_number, number);
}
