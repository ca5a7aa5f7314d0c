//! The menu is built from the service registry: every service the kiosk offers has a tile
//! found by its accessible label, and a service that cannot be used right now says why on its
//! tile (never a page that says "not available") while the others stay usable.

use std::time::Duration;

use crate::rig::{Page, Rig};
use i_slint_backend_testing::AccessibleRole;
use kiosk::services::ServiceId;
use slint::{ComponentHandle, Model};

/// Pumps with the mock clock moving, so the kiosk's 250 ms tick re-reads device faults; the
/// citizen keeps touching the screen meanwhile (the printer is polled every few real seconds,
/// longer than the idle timeout in mock time).
fn wait_ticking(rig: &Rig, what: &str, cond: impl Fn(&Rig) -> bool) {
    rig.wait_for(what, |r| {
        r.kiosk
            .window()
            .global::<kiosk::ui::AppAdapter>()
            .invoke_touched();
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(300));
        r.pump();
        cond(r)
    });
}

fn reason(rig: &Rig, tile: &str) -> String {
    rig.find(tile)
        .accessible_description()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn every_registered_service_has_a_labelled_tile_and_an_unavailable_one_says_why() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();
        rig.swipe_sample_card();

        let entries = rig
            .kiosk
            .window()
            .global::<kiosk::ui::MenuAdapter>()
            .get_entries();
        assert_eq!(
            entries.row_count(),
            ServiceId::ALL.len(),
            "the rig has every device, so every registered service is offered"
        );
        for e in entries.iter() {
            let tile = rig.find(&e.title);
            assert_eq!(
                tile.accessible_role(),
                Some(AccessibleRole::Button),
                "{}",
                e.title
            );
            assert_eq!(tile.accessible_enabled(), Some(true), "{}", e.title);
            assert_eq!(reason(&rig, &e.title), e.subtitle.to_string());
        }

        // The receipt printer runs out of paper: the ticket's tile says why and does nothing.
        rig.printer().set_paper_out(true);
        wait_ticking(&rig, "the ticket tile to say why", |r| {
            reason(r, "取号") == "暂停使用，请联系工作人员"
        });
        assert_eq!(rig.find("取号").accessible_enabled(), Some(false));
        rig.tap("取号");
        assert_eq!(rig.page(), Page::Menu);
        // The services that need no receipt printer stay usable.
        assert_eq!(rig.find("办件进度查询").accessible_enabled(), Some(true));
        assert_eq!(rig.find("身份证复印").accessible_enabled(), Some(true));

        // Paper back in: the tile works again by itself.
        rig.printer().set_paper_out(false);
        wait_ticking(&rig, "the ticket tile to come back", |r| {
            r.find("取号").accessible_enabled() == Some(true)
        });

        // The platform goes away: following a case needs it, so its tile says so.
        rig.stop_platform();
        wait_ticking(&rig, "the progress tile to say why", |r| {
            reason(r, "办件进度查询") == "平台暂时无法连接，暂不可用"
        });
        rig.tap("办件进度查询");
        assert_eq!(rig.page(), Page::Menu);
        // Tickets come from leased numbers: they work offline.
        assert_eq!(rig.find("取号").accessible_enabled(), Some(true));
    });
}

#[test]
fn a_full_disk_greys_every_tile_tells_the_platform_and_recovers_when_space_returns() {
    use kiosk::devices::storage::StorageLimits;
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start_configured(|c| c.sync.heartbeat_secs = 1);
        rig.wait_until_ready();
        rig.swipe_sample_card();
        let full_text = "本机暂停受理新业务，请联系工作人员";

        // The real disk's free space, read by statvfs, against a line above it: full.
        rig.kiosk
            .storage()
            .set_limits(StorageLimits::from_mb(u64::MAX >> 21, u64::MAX >> 21));
        let titles: Vec<String> = rig
            .kiosk
            .window()
            .global::<kiosk::ui::MenuAdapter>()
            .get_entries()
            .iter()
            .map(|e| e.title.to_string())
            .collect();
        wait_ticking(&rig, "every tile to say the kiosk takes nothing new", |r| {
            titles.iter().all(|t| reason(r, t) == full_text)
        });
        for t in &titles {
            assert_eq!(rig.find(t).accessible_enabled(), Some(false), "{t}");
        }
        rig.tap("取号");
        assert_eq!(rig.page(), Page::Menu, "a greyed tile starts nothing");

        // Staff and the platform hear of it.
        let board = rig
            .kiosk
            .health()
            .state(kiosk::devices::health::DeviceId::Storage);
        assert!(board.is_fault(), "{board}");
        let (addr, _) = rig.sims.platform_restart.as_ref().unwrap();
        let admin = kiosk_platform::client::PlatformClient::new(
            &format!("http://{addr}"),
            kiosk_platform::sim::DEMO_KIOSK_ID,
            kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(5),
        );
        let beat = |want: &str| {
            admin.heartbeats().unwrap().kiosks.iter().any(|k| {
                k.heartbeat
                    .devices
                    .iter()
                    .any(|d| d.device == "storage" && d.status == want)
            })
        };
        wait_ticking(&rig, "a heartbeat with the full disk", |_| beat("fault"));

        // Space returns: the tiles work again by themselves.
        rig.kiosk.storage().set_limits(StorageLimits::from_mb(0, 0));
        wait_ticking(&rig, "the tiles to come back", |r| {
            titles
                .iter()
                .all(|t| r.find(t).accessible_enabled() == Some(true))
        });
        rig.tap("取号");
        assert_ne!(rig.page(), Page::Menu);
        wait_ticking(&rig, "a heartbeat with the disk ok", |_| beat("ok"));
    });
}
