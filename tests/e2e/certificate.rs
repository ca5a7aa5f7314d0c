//! A citizen prints a certificate as they would at the hall: the card over the SAM protocol on
//! a pty, the real UI found by accessible label, the platform's data over real HTTP, the A4
//! PDF on a real IPP printer on loopback (ippeveprinter), the slip in ESC/POS on the virtual
//! receipt printer; the printed PDF read back with pdftotext, its QR decoded with zbarimg and
//! opened on the simulator's verification page. And the failures: no record for the citizen,
//! the A4 printer out of paper (its state read over IPP before anything is prepared), the
//! platform gone mid-flow and then on the tile.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::rig::{Page, ReadSession, Rig};
use kiosk::services::certificate::Step;
use kiosk::services::ActiveFlow;
use kiosk_platform::api::certificate::{VERIFY_FAILED_ZH, VERIFY_GENUINE_ZH};
use slint::ComponentHandle;

/// The certificate step on screen, by a short name.
fn step(rig: &Rig) -> &'static str {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::Certificate(f)) => match f.step() {
            Step::LoadingKinds => "loading",
            Step::ChooseKind => "kind",
            Step::Preparing { .. } => "preparing",
            Step::Preview { .. } => "preview",
            Step::Printing { .. } => "printing",
            Step::Done { .. } => "done",
            Step::Problem { .. } => "problem",
        },
        _ => "elsewhere",
    })
}

fn place(rig: &Rig, card: usize) {
    rig.reader()
        .place_card(idcard::sim::sample_cards()[card].clone());
    rig.wait_for("the greeting", |r| r.page() == Page::Menu);
}

/// Ends the session with `button` ("完成" on a page, "结束办理" in the footer).
fn leave_by(rig: &Rig, button: &str) {
    rig.tap(button);
    assert_eq!(rig.page(), Page::Attract);
    rig.reader().remove_card();
    // The reader notices the card gone on its next poll.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    rig.pump();
}

fn leave(rig: &Rig) {
    leave_by(rig, "完成");
}

/// The card, the tile, the kinds.
fn to_kinds(rig: &Rig, card: usize) {
    place(rig, card);
    rig.wait_for("the tile usable", |r| {
        r.find("证明打印").accessible_enabled() == Some(true)
    });
    rig.tap("证明打印");
    rig.wait_for("the kinds", |r| step(r) == "kind");
}

fn tool(name: &str) -> &str {
    assert!(
        Command::new("which")
            .arg(name)
            .output()
            .is_ok_and(|o| o.status.success()),
        "{name} is not installed: run scripts/test (it installs poppler-utils and zbar-tools)"
    );
    name
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every QR code on page 1 of `pdf`, rendered at 200 dpi.
fn qr_codes(pdf: &Path, scratch: &Path) -> Vec<String> {
    let prefix = scratch.join("page");
    run(Command::new(tool("pdftoppm"))
        .args(["-png", "-r", "200", "-singlefile"])
        .arg(pdf)
        .arg(&prefix));
    run(Command::new(tool("zbarimg"))
        .args(["-q", "--raw"])
        .arg(prefix.with_extension("png")))
    .lines()
    .map(str::to_owned)
    .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
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

#[test]
fn printing_a_certificate() {
    crate::rig::on_ui_thread(|| {
        let a4 = crate::ipp::IppRig::start();
        let mut rig = Rig::start_configured(|config| {
            config.devices.a4_printer = Some(kiosk::config::A4PrinterConfig {
                uri: a4.uri.clone(),
                job_timeout_secs: 60,
            });
        });
        rig.wait_until_ready();
        printed_previewed_and_verified(&rig, &a4);
        no_record_for_the_citizen(&rig);
        platform_gone_mid_flow_then_on_the_tile(&mut rig);
        failed_mid_print_then_reprinted_by_staff(&rig, &a4);
        a4_out_of_paper_is_refused_before_anything_is_issued(&rig, &a4);
    });
}

fn printed_previewed_and_verified(rig: &Rig, a4: &crate::ipp::IppRig) {
    to_kinds(rig, 0);
    // The catalog's kinds that have a layout: the marriage record (no layout) is not offered.
    for kind in ["个人参保证明", "无住房证明", "户籍证明"] {
        rig.find(kind);
    }
    rig.kiosk.ui().with_router(|r| {
        let Some(ActiveFlow::Certificate(f)) = r.flow() else {
            unreachable!()
        };
        assert_eq!(f.kinds().len(), 3);
    });
    rig.tap("个人参保证明");
    rig.wait_for("the preview", |r| step(r) == "preview");
    // The preview is the PDF that prints, rasterised tall enough to read.
    let (case, pdf_bytes) = rig.kiosk.ui().with_router(|r| {
        let Some(ActiveFlow::Certificate(f)) = r.flow() else {
            unreachable!()
        };
        let Step::Preview { doc } = f.step() else {
            unreachable!()
        };
        assert!(doc.preview.height >= 900, "{}", doc.preview.height);
        (doc.case_number.clone(), doc.pdf.len())
    });
    assert!(case.starts_with("SB-"), "{case}");
    assert!(pdf_bytes < 60 * 1024, "{pdf_bytes} bytes");
    rig.find("证明预览");
    assert_eq!(
        rig.find("办件编号").accessible_value().unwrap().to_string(),
        case
    );
    rig.tap("打印证明");
    rig.wait_for("the certificate printed", |r| step(r) == "done");
    rig.find("请从A4出纸口取走证明，并取走下方的回执。");
    rig.kiosk.ui().with_controller(|c| {
        assert!(c.citizen().is_none(), "forgotten once on paper");
    });

    // One A4 job: the data, the name and the masked ID; never the full number.
    let jobs = a4.jobs();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let text = run(Command::new(tool("pdftotext")).arg(&jobs[0]).arg("-"));
    for want in [
        "社会保险参保缴费证明",
        "张伟",
        "110101********0017",
        "累计缴费",
        "参保单位",
        case.as_str(),
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert!(!text.contains("110101198503120017"), "{text}");

    // Its QR code opens the simulator's verification page: genuine.
    let scratch = tempfile::tempdir().unwrap();
    let codes = qr_codes(&jobs[0], scratch.path());
    assert_eq!(codes.len(), 1, "{codes:?}");
    let (status, page) = rig.get_page(&codes[0]);
    assert_eq!(status, 200, "{page}");
    for want in [
        VERIFY_GENUINE_ZH,
        "个人参保证明",
        "张*",
        "110101********0017",
        &case,
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    assert!(!page.contains("张伟") && !page.contains("110101198503120017"));
    // A changed case number (or signature) does not verify.
    let altered = codes[0].replace(&case[3..], "20261124-999999");
    let (status, page) = rig.get_page(&altered);
    assert_eq!(status, 404);
    assert!(page.contains(VERIFY_FAILED_ZH) && !page.contains(VERIFY_GENUINE_ZH));

    // The slip: kind and case number, masked ID, no name.
    assert!(rig.printer().wait_for_receipts(1, crate::rig::PATIENCE));
    let slip = rig.printer().receipts()[0].text();
    assert!(
        slip.contains("个人参保证明")
            && slip.contains(&case)
            && slip.contains("110101********0017"),
        "{slip}"
    );
    assert!(!slip.contains("张伟"), "{slip}");

    // Nothing of the certificate stays in the data folder (the virtual receipt printer's
    // paper, `printer/`, aside: it stands for the slip in the citizen's hand).
    let data = rig.dir.path().join("data");
    for f in walk(&data) {
        let name = f.to_string_lossy().to_string();
        if f.starts_with(data.join("printer")) {
            continue;
        }
        assert!(
            !name.ends_with(".pdf") && !name.ends_with(".png") && !name.ends_with(".ppm"),
            "{name}"
        );
    }
    leave(rig);
}

fn no_record_for_the_citizen(rig: &Rig) {
    // 欧阳䶮然: the platform holds nothing for them.
    to_kinds(rig, 5);
    rig.tap("个人参保证明");
    rig.wait_for("the refusal", |r| step(r) == "problem");
    rig.find("平台没有您的个人参保证明记录。");
    rig.find("没有可证明的记录。请到相关部门窗口咨询（社保到B区，户籍到C区，不动产到D区）。");
    // Another kind can be tried: same answer, and nothing was printed.
    rig.tap("选择其他证明");
    assert_eq!(step(rig), "kind");
    rig.tap("户籍证明");
    rig.wait_for("the refusal", |r| step(r) == "problem");
    rig.find("平台没有您的户籍证明记录。");
    assert_eq!(rig.printer().receipts().len(), 1, "no slip for a refusal");
    leave(rig);
}

fn platform_gone_mid_flow_then_on_the_tile(rig: &mut Rig) {
    to_kinds(rig, 0);
    // The platform goes away after the kinds were read.
    rig.stop_platform();
    rig.tap("无住房证明");
    rig.wait_for("the refusal", |r| step(r) == "problem");
    rig.find("暂时无法连接证明服务。");
    leave(rig);
    // Once the sync round noticed, the tile says why and does nothing.
    place(rig, 0);
    rig.wait_for("the tile to say why", |r| {
        r.kiosk
            .window()
            .global::<kiosk::ui::AppAdapter>()
            .invoke_touched();
        i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(300));
        r.pump();
        r.find("证明打印")
            .accessible_description()
            .unwrap_or_default()
            == "平台暂时无法连接，暂不可用"
    });
    rig.tap("证明打印");
    assert_eq!(rig.page(), Page::Menu);
    rig.start_platform();
    rig.wait_for("the tile back", |r| {
        r.kiosk
            .window()
            .global::<kiosk::ui::AppAdapter>()
            .invoke_touched();
        i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(300));
        r.pump();
        r.find("证明打印").accessible_enabled() == Some(true)
    });
    leave_by(rig, "结束办理");
}

fn failed_mid_print_then_reprinted_by_staff(rig: &Rig, a4: &crate::ipp::IppRig) {
    let before = a4.jobs().len();
    to_kinds(rig, 0);
    rig.tap("户籍证明");
    rig.wait_for("the preview", |r| step(r) == "preview");
    let case = rig.find("办件编号").accessible_value().unwrap().to_string();
    // The toner runs out while the citizen checks the page (ippeveprinter's supplies form:
    // supply0 is the waste tank, supply1 the black toner; both are sent every time).
    assert!(a4
        .web_form("supplies?supply0=25&supply1=0")
        .contains("Supplies updated"));
    rig.tap("打印证明");
    rig.wait_for("the refusal", |r| step(r) == "problem");
    rig.find("A4打印机墨粉用尽。");
    rig.find(&format!(
        "已通知工作人员，可到服务台为您补打。案件编号：{case}"
    ));
    assert_eq!(a4.jobs().len(), before);
    // Kept sealed: the database holds neither the name nor the PDF in the clear.
    let db = std::fs::read(rig.db_path()).unwrap_or_default();
    let wal = std::fs::read(rig.db_path().with_extension("sqlite-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(5).any(|w| w == b"%PDF-"));
        assert!(!bytes.windows(6).any(|w| w == "张伟".as_bytes()));
    }
    leave(rig);

    // New toner; staff see the certificate waiting and print it.
    assert!(a4
        .web_form("supplies?supply0=25&supply1=100")
        .contains("Supplies updated"));
    rig.open_staff();
    rig.wait_for("the staff report", |r| {
        r.kiosk.staff().with_controller(|c| c.reprints() == 1)
    });
    rig.find("1 张证明待补打");
    rig.tap("补打证明");
    rig.wait_for("the reprint", |r| {
        r.find("最近操作").accessible_value().unwrap_or_default() == "证明已补打。"
    });
    let jobs = a4.jobs();
    assert_eq!(jobs.len(), before + 1);
    // The spool lists jobs in no particular order: the reprint is the one with its case.
    assert!(
        jobs.iter().any(|j| {
            let text = run(Command::new(tool("pdftotext")).arg(j).arg("-"));
            text.contains("户籍证明") && text.contains(&case) && text.contains("张伟")
        }),
        "{jobs:?}"
    );
    rig.kiosk
        .staff()
        .with_controller(|c| assert_eq!(c.reprints(), 0));
    rig.tap("退出");
}

fn a4_out_of_paper_is_refused_before_anything_is_issued(rig: &Rig, a4: &crate::ipp::IppRig) {
    let before = a4.jobs().len();
    to_kinds(rig, 0);
    assert!(a4
        .web_form("media?size1=&type1=&level1=0")
        .contains("Media updated"));
    rig.tap("户籍证明");
    rig.wait_for("the refusal", |r| step(r) == "problem");
    rig.find("A4打印机缺纸。");
    rig.find("已通知工作人员。本次未打印，请稍后再试或到服务台咨询。");
    // Staff see it on the health board.
    let board = rig.kiosk.health().snapshot();
    let a4_state = board
        .iter()
        .find(|(d, _)| *d == kiosk::devices::health::DeviceId::A4Printer)
        .map(|(_, s)| s.clone());
    assert!(
        a4_state.as_ref().is_some_and(|s| s.is_fault()),
        "{a4_state:?}"
    );
    assert_eq!(a4.jobs().len(), before, "nothing more was printed");
    leave(rig);
}
