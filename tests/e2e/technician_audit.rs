//! The technician through the PIN gate: the reader's test-card read on screen (masked, with
//! its time), and every action in the audit log under the technician's role and badge, as
//! staff actions are.

use crate::rig::{Page, Rig, TECH_BADGE, TECH_PIN};
use kiosk::devices::health::DeviceId;
use kiosk::diag::console::Job;

#[test]
fn a_test_card_reads_masked_on_screen_and_the_technicians_actions_are_audited() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start();
        rig.wait_until_ready();
        rig.press_f3();
        rig.sign_in(TECH_BADGE, TECH_PIN);
        rig.wait_for("the technician screen", |r| r.kiosk.technician().is_open());
        rig.wait_for("the device rows", |r| {
            r.kiosk.technician().with_console(|c| !c.rows().is_empty())
        });

        // The reader's self-test asks for the test card; the card placed is read, shown
        // masked with how long the read took, and starts no session.
        rig.tap("自检");
        rig.wait_for("the reader's self-test", |r| {
            r.kiosk
                .technician()
                .with_console(|c| matches!(c.test_of(DeviceId::IdCard), Job::Done(_)))
        });
        let card = idcard::sim::sample_cards().remove(5); // 欧阳䶮然
        rig.reader().place_card(card.clone());
        rig.wait_for("the test card's line", |r| {
            r.kiosk
                .technician()
                .with_console(|c| match c.test_of(DeviceId::IdCard) {
                    Job::Done((report, _)) => report.checks.iter().any(|c| {
                        c.name == "test card"
                            && !c.outcome.failed()
                            && c.outcome.parts().1.starts_with("欧阳")
                    }),
                    _ => false,
                })
        });
        assert_eq!(rig.page(), Page::Attract, "a test card starts no session");
        let shown = rig
            .find("test card")
            .accessible_value()
            .unwrap()
            .to_string();
        let masked = format!("欧阳**, {}, ", card.masked_id());
        assert!(shown.starts_with(&masked), "{shown}");
        assert!(
            shown.ends_with(" ms") || shown.ends_with(" s"),
            "the read's time: {shown}"
        );
        assert!(!shown.contains(&card.name) && !shown.contains(&card.id_number));
        rig.reader().remove_card();

        // A check of the link, then out: each a row of the audit log, under the badge.
        rig.tap("平台连接");
        rig.wait_for("the link check", |r| {
            r.kiosk
                .technician()
                .with_console(|c| matches!(c.link(), Job::Done(_)))
        });
        rig.tap("退出");
        let wanted = [
            "sign_in",
            "self_test idcard",
            "test_card_read",
            "check_link",
            "sign_out",
        ];
        rig.wait_for("the technician's audit rows", |r| {
            let rows = r.store().recent_audit(50).unwrap();
            wanted
                .iter()
                .all(|a| rows.iter().any(|row| row.action == *a))
        });
        let rows = rig.store().recent_audit(50).unwrap();
        for a in wanted {
            let row = rows.iter().find(|row| row.action == a).unwrap();
            assert_eq!(
                (row.role.as_str(), row.badge.as_str()),
                ("technician", TECH_BADGE),
                "{a}: {row:?}"
            );
            assert!(!row.result.contains(&card.name), "{row:?}");
        }
        // Synced to the platform like any transaction: each row has its outbox row.
        rig.wait_for("the audit rows sent", |r| {
            r.store().outbox_counts().unwrap().pending == 0
        });
    });
}
