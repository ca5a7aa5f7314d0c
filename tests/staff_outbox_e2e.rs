//! The hall staff screen with the platform down (shown offline) and a failed outbox row:
//! listed with the platform's reason, retried from the screen until the platform holds it.

mod common;

use std::time::Duration;

use common::Page;

#[test]
fn a_failed_row_is_listed_with_its_reason_and_retried_until_sent() {
    let mut rig = common::Rig::start();
    rig.wait_until_ready();
    rig.stop_platform();

    // A ticket taken offline; then the platform refuses its row for good.
    rig.swipe_sample_card();
    rig.tap("取号");
    rig.tap("A  综合受理");
    rig.tap("不需要短信，直接取号");
    rig.wait_for("the ticket", |r| r.page() == Page::TicketDone);
    let id = {
        let store = rig.store();
        let counts = store.outbox_counts().unwrap();
        assert_eq!((counts.pending, counts.failed), (1, 0));
        let id = store
            .due_outbox(chrono::Utc::now() + chrono::Duration::days(1), 10)
            .unwrap()[0]
            .id;
        store
            .mark_failed(id, "400 bad_request: area A closed today")
            .unwrap();
        id
    };
    // Lets the ticket page's timer go back to the attract screen.
    for _ in 0..10 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
    }
    rig.wait_for("the attract screen", |r| r.page() == Page::Attract);

    rig.open_staff();
    // The platform is down: the staff screen says so.
    rig.wait_for("offline on the staff screen", |r| {
        r.find("连接状态").accessible_value().as_deref() == Some("离线")
    });
    let label = format!("失败业务 {id}");
    rig.wait_for("the failed row", |r| {
        r.kiosk.staff().with_controller(|c| c.failed().len() == 1)
    });
    let row = rig.find(&label);
    assert_eq!(
        row.accessible_value().as_deref(),
        Some("400 bad_request: area A closed today")
    );

    rig.start_platform();
    rig.tap(&format!("重试 #{id}"));
    rig.wait_for("the row to go back to the queue", |r| {
        r.store().outbox_counts().unwrap().failed == 0
    });
    rig.wait_for("the row to be sent", |r| {
        r.store().outbox_counts().unwrap().sent == 1
    });
    rig.wait_for("the list to empty", |r| {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(4));
        r.kiosk.staff().with_controller(|c| c.failed().is_empty())
    });
    rig.find("没有失败的业务。");
    assert_eq!(rig.holdings().tickets.len(), 1);
}
