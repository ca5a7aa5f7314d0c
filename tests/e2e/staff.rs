//! The hall staff screen: the PIN gate of both roles and its lock-out, out of service, the
//! devices (reset, restock), remote commands, the failed outbox rows.

/// Stops `rig`'s kiosk and simulators and starts them again on the same data folder: what a
/// restart of the kiosk keeps is what its data folder holds. The new rig's `dir` is the old
/// folder (its store, its flag files); the folder the new rig was given (its A4 output) is
/// returned, to be kept while the rig runs.
fn restart(rig: crate::rig::Rig) -> (crate::rig::Rig, tempfile::TempDir) {
    let crate::rig::Rig { kiosk, sims, dir } = rig;
    drop(kiosk);
    drop(sims);
    let data = dir.path().join("data");
    let mut rig = crate::rig::Rig::start_configured(move |c| c.data_dir = data);
    let mut old = dir;
    std::mem::swap(&mut rig.dir, &mut old);
    (rig, old)
}

mod pin {
    //! The PIN gate both roles pass: a badge and its PIN (checked with argon2id on the staff
    //! worker), wrong PINs refused, five lock the pad for 30 minutes with a countdown, and the
    //! lock holds across a restart (the real window on Slint's testing backend, mock time).

    use std::time::Duration;

    use crate::rig::{Page, STAFF_BADGE, STAFF_PIN, TECH_BADGE, TECH_PIN};
    use kiosk::app::staff::StaffMode;

    fn message(rig: &crate::rig::Rig) -> String {
        rig.find("密码提示")
            .accessible_value()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn each_role_signs_in_with_its_own_badge_and_pin_and_is_audited() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
            rig.wait_until_ready();

            // The technician's PIN under the staff badge is wrong.
            rig.press_f3();
            rig.sign_in(STAFF_BADGE, TECH_PIN);
            assert_eq!(rig.staff_mode(), StaffMode::Pin);
            assert_eq!(message(&rig), "密码错误，还可尝试 4 次。");

            // The technician's badge and PIN open the technician screen; the staff screen
            // stays shut (the gate hands over and signs its side out).
            rig.sign_in(TECH_BADGE, TECH_PIN);
            rig.wait_for("the technician screen", |r| r.kiosk.technician().is_open());
            assert_eq!(rig.staff_mode(), StaffMode::Closed);
            assert!(rig.find("技术维护").accessible_role().is_some());
            rig.kiosk.technician().update(|c| c.close());
            assert!(!rig.kiosk.technician().is_open());

            rig.press_f3();
            rig.sign_in(STAFF_BADGE, STAFF_PIN);
            assert_eq!(rig.staff_mode(), StaffMode::Open);
            assert_eq!(
                rig.find("登录身份").accessible_value().as_deref(),
                Some("工作人员，工号 1001")
            );
            rig.tap("退出");
            assert_eq!(rig.page(), Page::Attract);

            // Every sign-in and sign-out is in the audit log (and its outbox), no PIN in it.
            // (The technician's own actions on the screen are audited too: the sign-ins and
            // sign-outs are read out of the log in their order.)
            rig.wait_for("the last sign-out's audit row", |r| {
                r.store()
                    .recent_audit(50)
                    .unwrap()
                    .iter()
                    .any(|a| a.role == "staff" && a.action == "sign_out")
            });
            let rows = rig.store().recent_audit(50).unwrap();
            let seen_all = rows.len();
            let seen: Vec<(String, String, String, String)> = rows
                .iter()
                .rev()
                .filter(|a| a.action == "sign_in" || a.action == "sign_out")
                .map(|a| {
                    (
                        a.role.clone(),
                        a.badge.clone(),
                        a.action.clone(),
                        a.result.clone(),
                    )
                })
                .collect();
            let row = |r: &str, b: &str, a: &str, x: &str| (r.into(), b.into(), a.into(), x.into());
            assert_eq!(
                seen,
                vec![
                    row("staff", STAFF_BADGE, "sign_in", "refused"),
                    row("technician", TECH_BADGE, "sign_in", "ok"),
                    row("technician", TECH_BADGE, "sign_out", "ok"),
                    row("staff", STAFF_BADGE, "sign_in", "ok"),
                    row("staff", STAFF_BADGE, "sign_out", "ok"),
                ]
            );
            let db = std::fs::read(rig.db_path()).unwrap();
            assert!(!db.windows(6).any(|w| w == STAFF_PIN.as_bytes()));
            // The audit rows reach the platform as transactions.
            let client = super::remote::sim_client(&rig);
            rig.wait_for("the audit rows on the platform", |_| {
                client
                    .sim_audit(kiosk_platform::sim::DEMO_KIOSK_ID)
                    .is_ok_and(|rows| rows.len() == seen_all)
            });
        });
    }

    #[test]
    fn the_worker_keeps_the_stored_lock_and_audits_a_wrong_pin_under_the_badges_role() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
            rig.wait_until_ready();
            // A technician's wrong PIN is a technician's refused sign-in in the log.
            rig.press_f3();
            rig.sign_in(TECH_BADGE, "1111");
            assert_eq!(message(&rig), "密码错误，还可尝试 4 次。");
            rig.tap("取消");
            // A lock the pad does not know of (set by the kiosk before the pad last read it,
            // a store restored from a locked kiosk): the worker itself refuses, even the right
            // PIN, and the pad then shows the lock.
            rig.store()
                .save_lockout(&kiosk::store::Lockout {
                    wrong: 5,
                    locked_until: Some(chrono::Utc::now() + chrono::Duration::minutes(10)),
                })
                .unwrap();
            rig.press_f3();
            rig.sign_in(STAFF_BADGE, STAFF_PIN);
            assert_eq!(rig.staff_mode(), StaffMode::Pin);
            let msg = message(&rig);
            assert!(msg.starts_with("密码错误次数过多，已锁定 "), "{msg}");
            rig.tap("取消");
            rig.wait_for("both refusals in the audit log", |r| {
                r.store().recent_audit(50).unwrap().len() >= 2
            });
            let rows: Vec<(String, String, String)> = (rig.store().recent_audit(50).unwrap())
                .iter()
                .rev()
                .filter(|a| a.action == "sign_in")
                .map(|a| (a.role.clone(), a.badge.clone(), a.result.clone()))
                .collect();
            assert_eq!(
                rows,
                vec![
                    ("technician".into(), TECH_BADGE.into(), "refused".into()),
                    ("staff".into(), STAFF_BADGE.into(), "refused: locked".into()),
                ]
            );
            // The stored lock is the worker's to keep: not lifted by the refused sign-in.
            assert_eq!(rig.store().lockout().unwrap().wrong, 5);
        });
    }

    #[test]
    fn five_wrong_pins_lock_the_pad_for_thirty_minutes_even_across_a_restart() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
            rig.wait_until_ready();

            rig.press_f3();
            rig.find("工作人员登录");
            for left in (1..5).rev() {
                rig.type_staff_pin("1111");
                assert_eq!(message(&rig), format!("密码错误，还可尝试 {left} 次。"));
            }
            rig.type_staff_pin("1111");
            let msg = message(&rig);
            assert!(msg.starts_with("密码错误次数过多，已锁定 30:00"), "{msg}");
            // Locked: even the right PIN is refused, and the countdown runs.
            rig.type_staff_pin(STAFF_PIN);
            assert_eq!(rig.staff_mode(), StaffMode::Pin);
            i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(60));
            rig.pump();
            assert!(message(&rig).contains("29:0"), "{}", message(&rig));
            rig.tap("取消");

            // A restart does not lift the lock.
            let (rig, _a4) = super::restart(rig);
            rig.wait_until_ready();
            rig.press_f3();
            // Locked for what is left of the half hour (wall clock across the restart).
            let msg = message(&rig);
            assert!(
                msg.starts_with("密码错误次数过多，已锁定 30:00")
                    || msg.starts_with("密码错误次数过多，已锁定 29:"),
                "{msg}"
            );
            rig.type_staff_pin(STAFF_PIN);
            assert_eq!(rig.staff_mode(), StaffMode::Pin);

            // Half an hour later the pad takes the right PIN. (The pad counts on the mock
            // clock; the stored lock, which the worker also keeps, on the wall clock: it is
            // moved on by the same half hour.)
            rig.tap("取消");
            i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(30 * 60));
            let stored = rig.store().lockout().unwrap();
            rig.store()
                .save_lockout(&kiosk::store::Lockout {
                    locked_until: stored
                        .locked_until
                        .map(|t| t - chrono::Duration::minutes(30)),
                    ..stored
                })
                .unwrap();
            rig.pump();
            rig.press_f3();
            assert_eq!(message(&rig), "");
            rig.type_staff_pin(STAFF_PIN);
            assert_eq!(rig.staff_mode(), StaffMode::Open);
            rig.wait_for("the link state", |r| {
                r.find("连接状态").accessible_value().as_deref() == Some("在线")
            });
            assert_eq!(
                rig.store().lockout().unwrap(),
                kiosk::store::Lockout::default()
            );
            rig.tap("退出");
            assert_eq!(rig.page(), Page::Attract);
        });
    }
}

mod out_of_service {
    //! Out of service, set on the hall staff screen: the attract screen says so, cards are
    //! ignored, a restart keeps it, until staff put the kiosk back in service.

    use std::time::Duration;

    use crate::rig::{Page, ReadSession};

    #[test]
    fn out_of_service_ignores_cards_survives_a_restart_until_back_in_service() {
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

            let (rig, _a4) = super::restart(rig);
            rig.wait_until_ready();
            rig.find("暂停服务 / Out of service");
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

mod devices {
    //! Devices on the staff screen in plain words, a reset that reopens a reader the
    //! simulator unplugged and replugged, and a restock that takes only when the printer
    //! itself reports paper.

    use kiosk::devices::health::{DeviceId, DeviceState};

    /// Lets the staff screen re-read the devices (its refresh runs on the session clock)
    /// while a staff member stays at it (a touch: the screen's idle timeout does not run).
    fn refresh(rig: &crate::rig::Rig) {
        rig.kiosk.staff().update(|c, now| c.touch(now));
        i_slint_backend_testing::mock_elapsed_time(kiosk::app::staff::REFRESH_EVERY);
    }

    /// What the staff screen says of `device` ("" while it is not listed).
    fn words(rig: &crate::rig::Rig, device: &str) -> String {
        i_slint_backend_testing::ElementHandle::find_by_accessible_label(rig.kiosk.window(), device)
            .next()
            .and_then(|e| e.accessible_value())
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn reset_reopens_a_replugged_reader() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
            rig.wait_until_ready();
            rig.open_staff();
            rig.wait_for("the reader ready", |r| words(r, "身份证阅读器") == "正常");

            rig.reader().unplug();
            rig.wait_for("the reader out of order", |r| {
                refresh(r);
                words(r, "身份证阅读器") == "故障停用"
            });
            // Let its reconnect delay grow past what the test waits below.
            rig.wait_for("a few failed reopens", |r| {
                r.kiosk.health().snapshot().iter().any(|(d, s)| {
                    *d == DeviceId::IdCard
                        && s.reason()
                            .is_some_and(|r| r.as_str().contains("cannot open"))
                })
            });
            std::thread::sleep(std::time::Duration::from_secs(3));
            rig.reader().replug();
            rig.tap("重置 身份证阅读器");
            rig.wait_for("the note", |r| {
                r.find("最近操作").accessible_value().as_deref()
                    == Some("身份证阅读器已关闭并重新打开。")
            });
            rig.wait_for("the reader back", |r| {
                r.kiosk
                    .health()
                    .snapshot()
                    .contains(&(DeviceId::IdCard, DeviceState::Ok))
            });
            rig.wait_for("the screen to say so", |r| {
                refresh(r);
                words(r, "身份证阅读器") == "正常"
            });
            let audit = rig.store().recent_audit(50).unwrap();
            assert!(audit
                .iter()
                .any(|a| a.action == "reset:idcard" && a.result == "ok" && a.badge == "1001"));
        });
    }

    #[test]
    fn restock_clears_paper_out_only_when_the_printer_agrees() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
            rig.wait_until_ready();
            rig.printer().set_paper_out(true);
            rig.open_staff();
            rig.wait_for("the printer out of order", |r| {
                refresh(r);
                words(r, "凭条打印机") == "故障停用"
            });
            // Staff press "paper restocked" before loading it: the printer disagrees.
            rig.tap("已换纸");
            rig.wait_for("the refusal", |r| {
                r.find("最近操作")
                    .accessible_value()
                    .is_some_and(|v| v.starts_with("打印机仍然报告缺纸"))
            });
            let before = rig.printer().receipts().len();
            assert!(rig.kiosk.printer().state().paper.used_mm >= 0.0);

            rig.printer().set_paper_out(false);
            rig.tap("已换纸");
            rig.wait_for("the test slip", |r| {
                r.find("最近操作").accessible_value().as_deref() == Some("测试页已打印。")
            });
            // The virtual printer parses what it was sent on its own thread.
            rig.wait_for("the test slip on paper", |r| {
                r.printer().receipts().len() == before + 1
            });
            let audit = rig.store().recent_audit(50).unwrap();
            let restocks: Vec<&str> = audit
                .iter()
                .filter(|a| a.action == "restock")
                .map(|a| a.result.as_str())
                .collect();
            assert_eq!(restocks.len(), 2);
            assert_eq!(restocks[0], "ok");
            assert!(restocks[1].starts_with("failed: "), "{restocks:?}");
        });
    }
}

mod remote {
    //! Remote management: a command queued on the platform rides on the heartbeat's answer,
    //! is carried out once however often it comes, is audited, and acknowledged.

    use std::time::Duration;

    use kiosk_platform::api::commands::{CommandKind, QueueCommand};
    use kiosk_platform::client::PlatformClient;

    /// The rig's platform simulator, as its operators reach it.
    pub(super) fn sim_client(rig: &crate::rig::Rig) -> PlatformClient {
        PlatformClient::new(
            &format!("http://{}", rig.platform_addr()),
            kiosk_platform::sim::DEMO_KIOSK_ID,
            kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(5),
        )
    }

    /// Waits until the platform has had two more heartbeats from the kiosk.
    fn two_more_heartbeats(rig: &crate::rig::Rig, client: &PlatformClient) {
        let beats = |r: &crate::rig::Rig| {
            r.holdings();
            client.heartbeats().unwrap().kiosks[0].count
        };
        let now = beats(rig);
        rig.wait_for("two more heartbeats", |r| beats(r) >= now + 2);
    }

    #[test]
    fn a_remote_command_is_carried_out_once_audited_and_acknowledged() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start_configured(|c| c.sync.heartbeat_secs = 1);
            rig.wait_until_ready();
            let client = sim_client(&rig);
            let queued = client
                .queue_sim_command(&QueueCommand {
                    kiosk_id: kiosk_platform::sim::DEMO_KIOSK_ID.into(),
                    command: CommandKind::OutOfService,
                })
                .unwrap();
            rig.wait_for("out of service", |r| {
                r.kiosk.staff().with_controller(|c| c.out_of_service())
            });
            rig.find("暂停服务 / Out of service");
            assert!(rig.dir.path().join("data").join("out_of_service").exists());
            rig.wait_for("the acknowledgement", |_| {
                client.sim_commands().unwrap().commands[0].ack.is_some()
            });
            let list = client.sim_commands().unwrap();
            let ack = list.commands[0].ack.as_ref().unwrap();
            assert_eq!(
                (ack.id.as_str(), ack.result.as_str()),
                (queued.id.as_str(), "ok")
            );

            // Staff put it back; the platform's command (already done) is not done again.
            rig.open_staff();
            rig.tap("恢复服务");
            rig.tap("退出");
            two_more_heartbeats(&rig, &client);
            assert!(!rig.kiosk.staff().with_controller(|c| c.out_of_service()));
            let audit = rig.store().recent_audit(50).unwrap();
            let remote: Vec<_> = audit.iter().filter(|a| a.role == "platform").collect();
            assert_eq!(remote.len(), 1, "{audit:?}");
            assert_eq!(
                (
                    remote[0].badge.as_str(),
                    remote[0].action.as_str(),
                    remote[0].result.as_str()
                ),
                (queued.id.as_str(), "out_of_service", "ok")
            );
        });
    }

    #[test]
    fn the_platform_asks_for_a_diagnostic_bundle_and_gets_one_once() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start_configured(|c| c.sync.heartbeat_secs = 1);
            rig.wait_until_ready();
            let client = sim_client(&rig);
            let queued = client
                .queue_sim_command(&QueueCommand {
                    kiosk_id: kiosk_platform::sim::DEMO_KIOSK_ID.into(),
                    command: CommandKind::UploadBundle,
                })
                .unwrap();
            rig.wait_for("the acknowledgement", |_| {
                client.sim_commands().unwrap().commands[0].ack.is_some()
            });
            let list = client.sim_commands().unwrap();
            let ack = list.commands[0].ack.as_ref().unwrap();
            assert_eq!(
                (ack.id.as_str(), ack.result.as_str()),
                (queued.id.as_str(), "ok")
            );

            // One bundle, for that command: a real zip with the kiosk's own sections.
            let bundles = client.sim_bundles().unwrap().bundles;
            assert_eq!(bundles.len(), 1, "{bundles:?}");
            assert_eq!(bundles[0].receipt.command_id, queued.id);
            let zip = client.sim_bundle(&queued.id).unwrap();
            assert_eq!(zip.len() as u64, bundles[0].receipt.bytes);
            let entries = kiosk::diag::zip::read_entries(&zip).unwrap();
            let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
            for name in [
                "README.txt",
                "config.toml",
                "link.txt",
                "outbox.txt",
                "devices/idcard.txt",
            ] {
                assert!(names.contains(&name), "{name} missing from {names:?}");
            }

            // Repeated heartbeats do not make another, and the audit log has it once.
            two_more_heartbeats(&rig, &client);
            assert_eq!(client.sim_bundles().unwrap().bundles.len(), 1);
            let audit = rig.store().recent_audit(50).unwrap();
            let remote: Vec<_> = audit.iter().filter(|a| a.role == "platform").collect();
            assert_eq!(remote.len(), 1, "{audit:?}");
            assert_eq!(
                (
                    remote[0].badge.as_str(),
                    remote[0].action.as_str(),
                    remote[0].result.as_str()
                ),
                (queued.id.as_str(), "upload_bundle", "ok")
            );
        });
    }

    #[test]
    fn a_bundle_the_platform_cannot_take_is_acknowledged_as_failed() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start_configured(|c| c.sync.heartbeat_secs = 1);
            rig.wait_until_ready();
            let client = sim_client(&rig);
            // Another kiosk's command id: the platform refuses the bundle (404), the kiosk
            // says so in its ack instead of retrying for ever.
            let elsewhere = client
                .queue_sim_command(&QueueCommand {
                    kiosk_id: "kiosk-elsewhere".into(),
                    command: CommandKind::UploadBundle,
                })
                .unwrap();
            // Handed to the kiosk as the sync thread hands a heartbeat's commands on.
            use kiosk::events::EventSink;
            kiosk::ui::UiSink::from_window(rig.kiosk.window()).send(
                kiosk::events::KioskEvent::Staff(kiosk::app::staff::StaffReport::Remote(vec![
                    kiosk_platform::api::commands::RemoteCommand {
                        id: elsewhere.id.clone(),
                        command: CommandKind::UploadBundle,
                    },
                ])),
            );
            rig.wait_for("the failed audit row", |r| {
                r.store()
                    .recent_audit(50)
                    .unwrap()
                    .iter()
                    .any(|a| a.role == "platform" && a.result.starts_with("failed: "))
            });
            let audit = rig.store().recent_audit(50).unwrap();
            let row = audit.iter().find(|a| a.role == "platform").unwrap();
            assert_eq!(row.result, "failed: upload refused (404 unknown_command)");
            assert!(client.sim_bundles().unwrap().bundles.is_empty());
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
            // (Staff's own audit rows go out too: the ticket is the one the platform holds.)
            rig.wait_for("the row to be sent", |r| r.holdings().tickets.len() == 1);
            rig.wait_for("the list to empty", |r| {
                i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(4));
                r.kiosk.staff().with_controller(|c| c.failed().is_empty())
            });
            rig.find("没有失败的业务。");
            assert_eq!(rig.holdings().tickets.len(), 1);
        });
    }
}

mod voice {
    //! The voice prompts' volume and quiet hours, set on the staff screen: the player takes
    //! them at once, the audit log has them, and a restart keeps them (the config's are only
    //! the default).

    fn volume(rig: &crate::rig::Rig) -> Option<String> {
        rig.find("语音音量")
            .accessible_value()
            .map(|v| v.to_string())
    }

    #[test]
    fn staff_set_the_volume_and_quiet_hours_and_a_restart_keeps_them() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start();
            rig.wait_until_ready();
            rig.open_staff();
            // The config's default: 80 %, never quiet.
            assert_eq!(volume(&rig).as_deref(), Some("音量：80%"));
            rig.tap("调小音量");
            rig.tap("调小音量");
            rig.tap("夜间静音（22:00-07:00）");
            assert_eq!(volume(&rig).as_deref(), Some("音量：60%"));
            let status = rig.kiosk.ui().voice_status().unwrap();
            assert_eq!(status.volume, 60);
            assert_eq!(
                status.quiet.map(|q| q.to_string()).as_deref(),
                Some("22:00-07:00")
            );
            rig.wait_for("the kept settings and their audit row", |r| {
                r.store()
                    .recent_audit(50)
                    .unwrap()
                    .iter()
                    .any(|a| a.action == "voice:60%/22:00-07:00" && a.result == "ok")
            });
            let kept = kiosk::voice::SavedVoice::load(&rig.dir.path().join("data")).unwrap();
            assert_eq!(kept.volume, 60);
            assert_eq!(kept.quiet.as_deref(), Some("22:00-07:00"));
            rig.tap("退出");

            let (rig, _a4) = super::restart(rig);
            rig.wait_until_ready();
            let status = rig.kiosk.ui().voice_status().unwrap();
            assert_eq!(status.volume, 60);
            assert_eq!(
                status.quiet.map(|q| q.to_string()).as_deref(),
                Some("22:00-07:00")
            );
            rig.open_staff();
            assert_eq!(volume(&rig).as_deref(), Some("音量：60%"));
            // Off again: prompts at all hours.
            rig.tap("静音时段 22:00-07:00：改为全天播报");
            assert_eq!(rig.kiosk.ui().voice_status().unwrap().quiet, None);
            rig.wait_for("the quiet hours off, kept", |r| {
                kiosk::voice::SavedVoice::load(&r.dir.path().join("data"))
                    .is_some_and(|s| s.quiet.is_none() && s.volume == 60)
            });
        });
    }
}
