//! Queue tickets: taken at the kiosk, printed, and held by the platform exactly once, online or not.

mod take_ticket {
    //! A citizen takes a queue ticket: card over the SAM protocol on a pty, the real UI found by
    //! accessible label, ESC/POS to the virtual printer, the outbox synced to the platform.

    use std::time::Duration;

    use crate::rig::{Page, ReadSession};

    #[test]
    fn a_citizen_takes_a_ticket_and_the_platform_holds_exactly_one() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
            rig.wait_until_ready();

            // Chinese first: the attract screen asks for the card in Chinese.
            rig.find("请刷身份证");
            rig.swipe_sample_card();
            let card = idcard::sim::sample_cards().into_iter().next().unwrap();
            rig.kiosk.ui().with_controller(|c| {
                let citizen = c.citizen().expect("citizen greeted");
                assert_eq!(citizen.name, card.name);
                assert_eq!(citizen.masked_id, idcard::id_number::mask(&card.id_number));
            });

            // No vendor photo decoder in the rig: a neutral silhouette, never a failed read.
            rig.find("无照片");

            rig.tap("取号");
            assert_eq!(rig.page(), Page::AreaSelect);
            // Where am I: the footer says the step and the time the session has left.
            assert_eq!(
                rig.find("办理步骤").accessible_value().unwrap(),
                "第 1 步，共 3 步"
            );
            rig.tap("A  综合受理");
            assert_eq!(rig.page(), Page::Phone);
            assert_eq!(
                rig.find("办理步骤").accessible_value().unwrap(),
                "第 2 步，共 3 步"
            );
            let left = rig.find("本次办理剩余时间").accessible_value().unwrap();
            assert!(left.starts_with("无操作 "), "{left}");
            for d in "13800138000".chars() {
                rig.tap(&d.to_string());
            }
            rig.tap("打印号票");
            rig.wait_for("the ticket", |r| r.page() == Page::TicketDone);
            rig.find("请取走您的号票");
            let number = rig.find("号码").accessible_value().unwrap().to_string();
            assert!(number.starts_with('A') && number.len() == 4, "{number}");
            // Where to go, from the catalog, and for how long the number holds.
            assert_eq!(
                rig.find("办理地点").accessible_value().unwrap(),
                "请到 一楼 1–6 号窗口 等候叫号"
            );
            rig.find("本号仅限当日有效");

            // The virtual printer received one ticket with the number, the area and the QR.
            assert!(rig.printer().wait_for_receipts(1, crate::rig::PATIENCE));
            let receipts = rig.printer().receipts();
            assert_eq!(receipts.len(), 1);
            let text = receipts[0].text();
            assert!(text.contains(&number), "{text}");
            assert!(text.contains("综合受理"), "{text}");
            assert!(text.contains("138****8000"), "{text}");
            assert!(text.contains("请到 一楼 1–6 号窗口 等候叫号"), "{text}");
            assert!(text.contains("本号仅限当日有效"), "{text}");
            assert!(
                !text.contains(&card.id_number),
                "full ID number printed: {text}"
            );
            let qr = receipts[0].qr_payloads();
            assert_eq!(qr.len(), 1);
            assert!(qr[0].contains("/follow/"), "{qr:?}");

            // The outbox row is sent and the platform holds exactly one ticket, with that number.
            rig.wait_for("the outbox to drain", |r| {
                r.store().outbox_counts().unwrap().sent == 1
            });
            let held = rig.holdings();
            assert_eq!(held.tickets.len(), 1);
            assert_eq!(held.tickets[0].display_number, number);

            // The ticket page goes back to the attract screen by itself and forgets the citizen.
            for _ in 0..10 {
                i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(1));
            }
            rig.pump();
            assert_eq!(rig.page(), Page::Attract);
            rig.kiosk
                .ui()
                .with_controller(|c| assert!(c.citizen().is_none() && c.ticket().is_none()));
        });
    }
}

mod offline {
    //! The platform is down: the ticket still prints from the leased block, the outbox row stays
    //! pending; the platform comes back: the ticket arrives exactly once.

    use crate::rig::Page;

    #[test]
    fn with_the_platform_down_the_ticket_prints_and_syncs_once_later() {
        crate::rig::on_ui_thread(|| {
            let mut rig = crate::rig::Rig::start();
            rig.wait_until_ready();
            // The ticket is taken in area B: its block must be leased before the link goes.
            let day = kiosk::clock::service_day();
            rig.wait_for("area B's leased numbers", |r| {
                r.store().numbers_left("B", day).unwrap() > 0
            });
            rig.stop_platform();

            rig.swipe_sample_card();
            rig.tap("取号");
            rig.tap("B  社保医保");
            rig.tap("不需要短信，直接取号");
            rig.wait_for("the ticket", |r| r.page() == Page::TicketDone);
            let number = rig.find("号码").accessible_value().unwrap().to_string();
            assert!(number.starts_with('B'), "{number}");
            assert!(rig.printer().wait_for_receipts(1, crate::rig::PATIENCE));
            assert!(rig.printer().receipts()[0].text().contains(&number));

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
        });
    }
}
