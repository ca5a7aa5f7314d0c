//! A citizen sees and prints their documents as they would at the hall: card over the SAM
//! protocol on a pty, the real UI found by accessible label, the documents from the platform
//! simulator over signed HTTP, the preview rasterised from the very PDF, the page printed on a
//! real IPP printer on loopback (ippeveprinter). And the main failures: no documents, the
//! platform answering errors, the platform gone, the A4 printer out of toner, no purpose
//! chosen.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::rig::{Page, Rig};
use kiosk::services::personal_documents::{Step, PURPOSES};
use kiosk::services::ActiveFlow;
use kiosk_platform::sim::cases::SAMPLE_HOLDER_ID_NUMBERS;

/// The tile's title (Chinese).
const TILE: &str = "个人证照";

/// The documents step on screen, by a short name.
fn step(rig: &Rig) -> &'static str {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::PersonalDocuments(f)) => match f.step() {
            Step::Loading => "loading",
            Step::List => "list",
            Step::Empty => "empty",
            Step::Preview {
                rendering: true, ..
            } => "rendering",
            Step::Preview { .. } => "preview",
            Step::Printing => "printing",
            Step::Done { .. } => "done",
            Step::Problem(_) => "problem",
        },
        _ => "elsewhere",
    })
}

/// The preview's picture size, when one shows.
fn preview_size(rig: &Rig) -> Option<(u32, u32)> {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::PersonalDocuments(f)) => match f.step() {
            Step::Preview { page: Some(p), .. } => Some((p.image.width, p.image.height)),
            _ => None,
        },
        _ => None,
    })
}

/// Places sample card `n` (0 张伟 … 5 欧阳䶮然) and opens the tile; leaves the citizen on
/// the list, the empty page or the problem page.
fn open_tile(rig: &Rig, n: usize) {
    rig.reader()
        .place_card(idcard::sim::sample_cards().into_iter().nth(n).unwrap());
    rig.wait_for("the greeting", |r| r.page() == Page::Menu);
    rig.wait_for("the tile usable", |r| {
        r.find(TILE).accessible_enabled() == Some(true)
    });
    rig.tap(TILE);
    assert_eq!(rig.page(), Page::Documents);
    rig.wait_for("the platform's answer", |r| step(r) != "loading");
}

/// Finish, card out, back on the attract screen.
fn leave(rig: &Rig, finish: &str) {
    rig.tap(finish);
    assert_eq!(rig.page(), Page::Attract);
    rig.reader().remove_card();
    std::thread::sleep(Duration::from_millis(600));
    rig.pump();
}

fn pdftotext(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/test installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn documents_listed_previewed_as_printed_and_printed_with_their_purpose() {
    crate::rig::on_ui_thread(|| {
        let a4 = crate::ipp::IppRig::start();
        let rig = Rig::start_configured(|config| {
            config.devices.a4_printer = Some(kiosk::config::A4PrinterConfig {
                uri: a4.uri.clone(),
                job_timeout_secs: 60,
            });
        });
        rig.wait_until_ready();

        // 张伟 has five documents, newest first, each with kind, issuer and date.
        open_tile(&rig, 0);
        assert_eq!(step(&rig), "list");
        rig.find("您的证照");
        for title in [
            "个人参保证明",
            "从业人员健康证明",
            "不动产权证书",
            "机动车驾驶证",
            "结婚证",
        ] {
            rig.find(title);
        }

        // The driving licence: its page shows as it will print, tall enough to read.
        rig.tap("机动车驾驶证");
        rig.wait_for("the preview", |r| step(r) == "preview");
        let (w, h) = preview_size(&rig).unwrap();
        assert!(h >= 900 && w > 600, "{w}x{h}");

        // Print with no purpose: refused, the citizen is asked to pick one, nothing printed.
        rig.tap("打印");
        rig.find("请先选择打印用途。");
        assert_eq!(step(&rig), "preview");
        assert!(a4.jobs().is_empty());

        // A purpose: the page is made again with its overlay, then it prints.
        rig.tap(PURPOSES[0].0);
        rig.wait_for("the page with its overlay", |r| step(r) == "preview");
        rig.tap("打印");
        rig.wait_for("printed", |r| step(r) == "done");
        rig.find("请从 A4 出纸口取走您的证照");
        rig.kiosk.ui().with_router(|r| {
            let Some(ActiveFlow::PersonalDocuments(f)) = r.flow() else {
                unreachable!()
            };
            assert!(!format!("{:?}", f.step()).contains("PagePreview"));
        });

        // What printed: the licence's data, the holder's number masked, the overlay.
        let jobs = a4.jobs();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        let text = pdftotext(&jobs[0]);
        for want in [
            "机动车驾驶证",
            "张伟",
            "110101********0017",
            "C1",
            "示范市公安局交通警察支队",
            "2036年03月02日",
            "仅供办理银行业务使用",
        ] {
            assert!(text.contains(want), "{want} missing from: {text}");
        }
        assert!(!text.contains(SAMPLE_HOLDER_ID_NUMBERS[0]), "{text}");
        leave(&rig, "完成");

        // The session is over: the pages hold no list, title or picture of a document.
        {
            use slint::{ComponentHandle, Model};
            let pages = rig.kiosk.window().global::<kiosk::ui::DocumentsAdapter>();
            assert_eq!(pages.get_documents().row_count(), 0);
            assert!(pages.get_document_title().is_empty());
            assert_eq!(pages.get_page().size().width, 0);
        }

        // The data folder holds no document, no picture of one.
        for f in files_under(&rig.dir.path().join("data")) {
            let name = f.to_string_lossy().to_string();
            assert!(!name.ends_with(".pdf") && !name.ends_with(".png"), "{name}");
        }

        // The A4 printer runs out of toner: read before the job, the citizen is told, staff
        // see it, nothing is sent.
        assert!(a4
            .web_form("supplies?supply1=0")
            .contains("Supplies updated"));
        open_tile(&rig, 0);
        rig.tap("结婚证");
        rig.wait_for("the preview", |r| step(r) == "preview");
        rig.tap(PURPOSES[1].0);
        rig.wait_for("the page with its overlay", |r| step(r) == "preview");
        rig.tap("打印");
        rig.wait_for("the refusal", |r| step(r) == "problem");
        rig.find("A4 打印机墨粉已用完");
        assert_eq!(a4.jobs().len(), 1, "no second job");
        leave(&rig, "结束办理");
    });
}

#[test]
fn no_documents_and_the_platform_gone_are_told_with_what_to_do() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();

        // 欧阳䶮然: the platform keeps nothing for her.
        open_tile(&rig, 5);
        assert_eq!(step(&rig), "empty");
        rig.find("平台暂无您的电子证照");
        leave(&rig, "结束办理");

        // 刘洋 sees his two; the platform answers errors while he looks at the list.
        open_tile(&rig, 1);
        assert_eq!(step(&rig), "list");
        rig.find("居住证");
        rig.find("学士学位证书");
        let control = kiosk_platform::PlatformClient::new(
            &format!("http://{}", rig.platform_addr()),
            kiosk_platform::sim::DEMO_KIOSK_ID,
            kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(5),
        );
        let broken = kiosk_platform::sim::FaultConfig {
            rate_503: 1.0,
            ..Default::default()
        };
        control.set_sim_faults(&broken).unwrap();
        rig.tap("居住证");
        rig.wait_for("the refusal", |r| step(r) == "problem");
        rig.find("证照服务暂时无法连接。");
        control.set_sim_faults(&Default::default()).unwrap();
        leave(&rig, "结束办理");

        // Then the platform goes altogether while he looks at the list again.
        open_tile(&rig, 1);
        assert_eq!(step(&rig), "list");
        rig.stop_platform();
        rig.tap("居住证");
        rig.wait_for("the refusal", |r| step(r) == "problem");
        rig.find("证照服务暂时无法连接。");
        leave(&rig, "结束办理");

        // Offline, the tile says why and cannot be used; the copy's tile still can.
        rig.reader()
            .place_card(idcard::sim::sample_cards().into_iter().nth(1).unwrap());
        rig.wait_for("the greeting", |r| r.page() == Page::Menu);
        rig.wait_for("the tile unavailable", |r| {
            r.find(TILE).accessible_enabled() == Some(false)
        });
        rig.tap(TILE);
        assert_eq!(rig.page(), Page::Menu);
        assert_eq!(rig.find("身份证复印").accessible_enabled(), Some(true));
    });
}

/// Every document the simulator keeps for the sample citizens prints as a readable page —
/// with its kind's template or, for a kind the kiosk has none for, the generic table — with
/// the holder's number masked, through the real client and the real layout.
#[test]
fn every_seeded_document_lays_out_with_its_data_and_no_full_id_number() {
    use kiosk::services::personal_documents::worker::masked;
    let dir = tempfile::tempdir().unwrap();
    let sim = kiosk_platform::sim::SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        kiosk_platform::sim::SimConfig::demo(dir.path().join("p.sqlite")),
    )
    .unwrap();
    let client = kiosk_platform::PlatformClient::new(
        &sim.base_url(),
        kiosk_platform::sim::DEMO_KIOSK_ID,
        kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(30),
    );
    let mut kinds = Vec::new();
    for (i, id_number) in SAMPLE_HOLDER_ID_NUMBERS.iter().enumerate() {
        let holder = kiosk_platform::api::holder_hash(id_number);
        let list = client.documents_of_holder(&holder).unwrap();
        match i {
            0 => assert_eq!(list.len(), 5),
            1 => assert_eq!(list.len(), 2),
            5 => assert!(list.is_empty()),
            _ => {}
        }
        for summary in list {
            let doc = client.document(&summary.id, &holder).unwrap().unwrap();
            // Someone else's holder hash does not open it.
            let other = kiosk_platform::api::holder_hash(SAMPLE_HOLDER_ID_NUMBERS[5]);
            assert!(client.document(&summary.id, &other).unwrap().is_none());
            let values: Vec<String> = doc.fields.iter().map(|f| f.value.clone()).collect();
            let page = masked(doc, "示范市政务服务中心");
            let pdf = kiosk::documents::personal_document::render(
                &page,
                Some("办理银行业务"),
                kiosk::assets::A4_FONT,
            )
            .unwrap();
            let path = dir.path().join(format!("{}.pdf", summary.id));
            std::fs::write(&path, &pdf).unwrap();
            let text = pdftotext(&path);
            assert!(text.contains(&summary.title_zh), "{text}");
            assert!(text.contains(&page.masked_id), "{text}");
            assert!(text.contains("仅供办理银行业务使用"), "{text}");
            assert!(!text.contains(id_number), "{}: {text}", summary.id);
            for v in values.iter().filter(|v| !v.contains(id_number)) {
                // Long values wrap: their first characters are on the page.
                let head: String = v.chars().take(8).collect();
                assert!(text.contains(&head), "{}: {head} missing", summary.id);
            }
            kinds.push(summary.kind);
        }
    }
    // The generic layout was used too (a kind with no template of its own).
    assert!(kinds
        .iter()
        .any(|k| kiosk::documents::personal_document::template(k).is_none()));
    sim.stop();
}
