//! The diagnostic bundle holds no personal data: every service is run with the sample
//! citizens first ([`crate::sample_sessions::walk_every_service`]: the journeys to every
//! page and paper with personal data, then each card at each service), with the kiosk's
//! logs written to its data folder as on a real kiosk; then the bundle is exported from the
//! technician screen and asked for by the platform (a remote command, uploaded to the
//! simulator), every entry of both is decompressed, and none may hold a sample citizen's ID number, name, address or phone, in
//! UTF-8, GB18030 (what the receipt printer is sent), UTF-16LE (the card's text block) or as
//! the hex a protocol log would show of those bytes.
//!
//! It runs in a process of its own (this binary again, with only it in it): the kiosk's
//! logging is process-wide, and other tests' kiosks must not write into this one's log.

use crate::rig::Rig;
use crate::sample_sessions::{contains, forms, PHONE};
use kiosk::diag::console::{Job, TechPage};

#[test]
fn the_bundle_holds_no_personal_data_of_the_sample_citizens() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "bundle_pii::bundle_in_this_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert!(stderr.contains("bundle: "), "{stderr}");
}

#[test]
#[ignore = "run by the_bundle_holds_no_personal_data_of_the_sample_citizens in a process of its own"]
fn bundle_in_this_process() {
    crate::rig::on_ui_thread(|| {
        // Heartbeats every second: the platform's bundle request below comes on one.
        let rig = Rig::start_configured(|c| c.sync.heartbeat_secs = 1);
        let data = rig.dir.path().join("data");
        let _log = kiosk::logging::init(&data);
        rig.wait_until_ready();
        // Every service with the sample citizens, as the data-folder test runs them.
        crate::sample_sessions::walk_every_service(&rig);
        let cards = idcard::sim::sample_cards();
        rig.wait_for("the outbox to drain", |r| {
            r.store().outbox_counts().unwrap().pending == 0
        });

        // The technician exports the bundle to a file on the kiosk.
        rig.kiosk.technician().open();
        rig.wait_for("the device rows", |r| {
            r.kiosk.technician().with_console(|c| !c.rows().is_empty())
        });
        rig.tap("诊断包");
        assert_eq!(
            rig.kiosk.technician().with_console(|c| c.page()),
            TechPage::Bundle
        );
        rig.tap("保存到本机");
        rig.wait_for("the bundle", |r| {
            r.kiosk
                .technician()
                .with_console(|c| matches!(c.bundle(), Job::Done(_)))
        });
        let path = rig.kiosk.technician().with_console(|c| match c.bundle() {
            Job::Done(Ok(p)) => p.clone(),
            other => panic!("{other:?}"),
        });
        let state = rig
            .find("诊断包状态")
            .accessible_value()
            .unwrap()
            .to_string();
        assert!(state.starts_with("已写入 "), "{state}");
        let zip = std::fs::read(&path).unwrap();
        let entries = kiosk::diag::zip::read_entries(&zip).unwrap();
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        eprintln!("bundle: {} bytes, {names:?}", zip.len());

        // It is a real bundle: logs, the reader's frames, the printer's jobs, the outbox.
        let entry = |name: &str| {
            let e = entries
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("no {name} in {names:?}"));
            String::from_utf8_lossy(&e.1).into_owned()
        };
        assert!(
            names.iter().any(|n| n.starts_with("logs/kiosk")),
            "{names:?}"
        );
        let reader = entry("devices/idcard.txt");
        assert!(reader.contains("AA AA AA 96 69"), "{reader}");
        assert!(
            reader.contains("bytes masked]"),
            "a card's read was masked: {reader}"
        );
        assert!(entry("devices/printer.txt").contains("bytes masked]"));
        assert!(entry("outbox.txt").contains("queue_ticket"));
        assert!(entry("link.txt").contains("HTTP  ok"));

        // The platform asks for one too (a remote command in a heartbeat's answer).
        let client = kiosk_platform::client::PlatformClient::new(
            &format!("http://{}", rig.platform_addr()),
            kiosk_platform::sim::DEMO_KIOSK_ID,
            kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
            std::time::Duration::from_secs(5),
        );
        let asked = client
            .queue_sim_command(&kiosk_platform::api::commands::QueueCommand {
                kiosk_id: kiosk_platform::sim::DEMO_KIOSK_ID.into(),
                command: kiosk_platform::api::commands::CommandKind::UploadBundle,
            })
            .unwrap();
        rig.wait_for("the uploaded bundle", |_| {
            !client.sim_bundles().unwrap().bundles.is_empty()
        });
        let uploaded = client.sim_bundle(&asked.id).unwrap();
        let uploaded_entries = kiosk::diag::zip::read_entries(&uploaded).unwrap();
        let uploaded_link = uploaded_entries
            .iter()
            .find(|(n, _)| n == "link.txt")
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            .unwrap();
        // Made inside the running kiosk: it has the sync thread's last status.
        assert!(
            uploaded_link.contains("outbox: 0 pending"),
            "{uploaded_link}"
        );

        // And none of it is personal.
        let mut values: Vec<(String, String)> = Vec::new();
        for card in &cards {
            values.push(("name".into(), card.name.clone()));
            values.push(("address".into(), card.address.clone()));
            values.push(("ID number".into(), card.id_number.clone()));
        }
        values.push(("phone".into(), PHONE.into()));
        let mut checked = 0;
        for (which, zip, entries) in [
            ("exported", &zip, &entries),
            ("uploaded", &uploaded, &uploaded_entries),
        ] {
            for (name, data) in entries {
                for (what, value) in &values {
                    for (form, bytes) in forms(value) {
                        assert!(
                            !contains(data, &bytes),
                            "the {which} bundle's {name} holds a sample citizen's {what} ({value}) as {form}"
                        );
                        checked += 1;
                    }
                }
            }
            // The archive's own bytes too (an entry stored unencrypted and uncompressed).
            for (_, value) in &values {
                for (form, bytes) in forms(value) {
                    assert!(
                        !contains(zip, &bytes),
                        "the {which} zip holds {value} as {form}"
                    );
                }
            }
        }
        eprintln!("bundle: {checked} checks over {} entries", entries.len());
    });
}
