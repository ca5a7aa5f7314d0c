//! The hall staff screen: the PIN pad, out of service, the failed outbox rows.

mod pin {
    //! The hall staff screen's PIN pad: wrong PINs refused, the lock-out, the right PIN opens it
    //! (the real window on Slint's testing backend, the real threads behind it).

    use std::time::Duration;

    use crate::rig::Page;
    use kiosk::app::staff::StaffMode;

    #[test]
    fn wrong_pins_are_refused_and_lock_the_pad_the_right_pin_opens() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
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
            rig.type_staff_pin(crate::rig::STAFF_PIN);
            assert_eq!(rig.staff_mode(), StaffMode::Pin);

            // A minute later the pad takes the right PIN.
            i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(61));
            rig.pump();
            rig.type_staff_pin(crate::rig::STAFF_PIN);
            assert_eq!(rig.staff_mode(), StaffMode::Open);
            rig.find("工作人员");
            rig.wait_for("the link state", |r| {
                r.find("连接状态").accessible_value().as_deref() == Some("在线")
            });

            rig.tap("退出");
            assert_eq!(rig.staff_mode(), StaffMode::Closed);
            assert_eq!(rig.page(), Page::Attract);
        });
    }
}

mod out_of_service {
    //! Out of service, set on the hall staff screen: the attract screen says so and cards are
    //! ignored until staff put the kiosk back in service.

    use std::time::Duration;

    use crate::rig::{Page, ReadSession};

    #[test]
    fn out_of_service_ignores_cards_until_back_in_service() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
            rig.wait_until_ready();

            rig.open_staff();
            rig.tap("暂停服务");
            rig.tap("退出");
            rig.find("暂停服务 / Out of service");
            rig.wait_for("the flag file", |r| {
                r.dir.path().join("data").join("out_of_service").exists()
            });

            let card = idcard::sim::sample_cards().into_iter().next().unwrap();
            rig.reader().place_card(card.clone());
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

            rig.reader().remove_card();
            rig.open_staff();
            rig.tap("恢复服务");
            rig.tap("退出");
            rig.wait_for("the flag file to go", |r| {
                !r.dir.path().join("data").join("out_of_service").exists()
            });
            std::thread::sleep(Duration::from_millis(600));
            rig.reader().place_card(card);
            rig.wait_for("the greeting", |r| r.page() == Page::Menu);
        });
    }
}

mod outbox {
    //! The hall staff screen with the platform down (shown offline) and a failed outbox row:
    //! listed with the platform's reason, retried from the screen until the platform holds it.

    use std::time::Duration;

    use crate::rig::Page;

    #[test]
    fn a_failed_row_is_listed_with_its_reason_and_retried_until_sent() {
        crate::rig::on_ui_thread(|| {
            let mut rig = crate::rig::Rig::start();
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
        });
    }
}
