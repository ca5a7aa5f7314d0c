//! Copying the ID card through the app: the demo's glass with a real IPP printer, and SANE.

mod glass_to_ipp {
    //! Copying the ID card, end to end: the document scanner's image (the demo's simulated glass)
    //! cropped to the card, the scan pages, the A4 PDF with both sides and the overlay printed on a
    //! real IPP printer on loopback (ippeveprinter), and nothing of the card kept afterwards.

    use crate::rig::{Page, ReadSession};

    #[test]
    fn an_id_card_copy_end_to_end() {
        crate::rig::on_ui_thread(|| {
            let a4 = crate::ipp::IppRig::start();
            let rig = crate::rig::Rig::start_configured(|config| {
                config.devices.a4_printer = Some(kiosk::config::A4PrinterConfig {
                    uri: a4.uri.clone(),
                    job_timeout_secs: 60,
                });
            });
            rig.wait_until_ready();
            rig.swipe_sample_card();
            rig.tap("身份证复印");
            assert_eq!(rig.page(), Page::CopyPurpose);
            rig.tap("办理居住证");
            assert_eq!(rig.page(), Page::CopyScan);

            // The lid is up: the citizen is told to close it.
            *rig.glass().lock().unwrap() = kiosk::demo::glass::Glass::LidOpen;
            rig.tap("扫描");
            rig.wait_for("the lid notice", |r| {
                r.find("扫描状态").accessible_value().unwrap()
                    == "扫描仪盖板未盖好，请盖好后重新扫描。"
            });

            // Nothing on the glass: lay the card.
            *rig.glass().lock().unwrap() = kiosk::demo::glass::Glass::Empty;
            rig.tap("重新扫描");
            rig.wait_for("the no-card notice", |r| {
                r.find("扫描状态").accessible_value().unwrap()
                    == "未检测到身份证，请按图示放在左上角后重新扫描。"
            });

            *rig.glass().lock().unwrap() = kiosk::demo::glass::Glass::Card;
            rig.tap("重新扫描");
            rig.wait_for("the front", |r| {
                r.kiosk.ui().with_controller(|c| {
                    matches!(
                        c.copy_job().front,
                        kiosk::services::id_copy::SideState::Done(_)
                    )
                })
            });
            // The crop is the card at 300 dpi: 85.6 × 54 mm is about 1011 × 638 px.
            rig.kiosk.ui().with_controller(|c| {
                let kiosk::services::id_copy::SideState::Done(img) = &c.copy_job().front else {
                    unreachable!()
                };
                assert!(
                    (990..=1030).contains(&img.width) && (620..=655).contains(&img.height),
                    "{}x{}",
                    img.width,
                    img.height
                );
            });
            rig.find("扫描结果");
            rig.tap("下一步");
            assert_eq!(
                rig.find("复印步骤").accessible_value().unwrap(),
                "第 2 步（共 2 步）：扫描国徽面"
            );
            rig.tap("扫描");
            rig.wait_for("the back", |r| {
                r.kiosk.ui().with_controller(|c| {
                    matches!(
                        c.copy_job().back,
                        kiosk::services::id_copy::SideState::Done(_)
                    )
                })
            });
            rig.tap("下一步");
            assert_eq!(rig.page(), Page::CopyPreview);
            rig.tap("打印复印件");
            rig.wait_for("the copy printed", |r| {
                r.find("复印状态").accessible_value().unwrap() == "请从 A4 出纸口取走复印件"
            });
            rig.kiosk.ui().with_controller(|c| {
                assert_eq!(
                    c.copy_job().front,
                    kiosk::services::id_copy::SideState::Waiting,
                    "the scans are gone once the copy is out"
                );
            });

            // The printer got one job: an A4 page with both sides and the purpose the citizen picked.
            let a4 = a4.jobs();
            assert_eq!(a4.len(), 1, "{a4:?}");
            let text = std::process::Command::new("pdftotext")
                .arg(&a4[0])
                .arg("-")
                .output()
                .expect("pdftotext (poppler-utils; scripts/test installs it)");
            let text = String::from_utf8_lossy(&text.stdout);
            assert!(text.contains("仅供办理居住证使用"), "{text}");
            let images = std::process::Command::new("pdfimages")
                .arg("-list")
                .arg(&a4[0])
                .output()
                .expect("pdfimages");
            let list = String::from_utf8_lossy(&images.stdout);
            assert_eq!(
                list.lines()
                    .skip(2)
                    .filter(|l| !l.trim().is_empty())
                    .count(),
                2,
                "front and back: {list}"
            );

            // Nothing of the card is kept by the kiosk: no image in the data folder or database.
            for entry in walk(&rig.dir.path().join("data")) {
                let name = entry.to_string_lossy().to_string();
                assert!(
                    !name.ends_with(".png") && !name.ends_with(".pdf") && !name.ends_with(".pnm"),
                    "{name}"
                );
            }
        });
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    out.extend(walk(&p));
                } else {
                    out.push(p);
                }
            }
        }
        out
    }
}

mod sane {
    //! The real SANE path through the app, end to end.

    use crate::rig::ReadSession;

    #[test]
    fn the_sane_test_backend_scans_through_the_app() {
        crate::rig::on_ui_thread(|| {
            let rig = crate::rig::Rig::start_configured(|config| {
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
        });
    }
}
