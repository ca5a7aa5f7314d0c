//! The real SANE path through the app, end to end.

mod common;

use common::ReadSession;

#[test]
fn the_sane_test_backend_scans_through_the_app() {
    let rig = common::Rig::start_configured(|config| {
        config.devices.doc_scanner = Some(kiosk::config::DocScannerDevice::Sane {
            device: "test".into(),
            mode: Some("gray".into()),
            resolution_dpi: 75,
            area_mm: Some([0.0, 0.0, 100.0, 70.0]),
            timeout_secs: 60,
            scanimage: None,
            extra_args: Vec::new(),
        });
    });
    rig.wait_until_ready();
    rig.swipe_sample_card();
    rig.tap("身份证复印");
    rig.tap("办理银行业务");
    rig.tap("扫描");
    rig.wait_for("the scan's answer", |r| {
        r.kiosk.ui().with_controller(|c| {
            matches!(
                c.copy_job().front,
                kiosk::services::id_copy::SideState::Failed(_)
            )
        })
    });
    rig.kiosk.ui().with_controller(|c| {
        assert_eq!(
            c.copy_job().front,
            kiosk::services::id_copy::SideState::Failed(
                kiosk::services::id_copy::ScanProblem::NoCard
            ),
            "scanimage must be installed (scripts/test installs sane-utils)"
        );
    });
}
