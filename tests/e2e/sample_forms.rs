//! A citizen at the sample-form library (样表机) as at the hall: the card over the SAM
//! protocol on a pty, the real UI found by accessible label, the library and page images
//! from the platform simulator over real signed HTTP, the forms printed on a real IPP
//! printer on loopback (ippeveprinter) and read back. And its failures: a page never
//! fetched while the platform is down, the A4 printer at fault, keys that lead nowhere.

use std::time::Duration;

use crate::rig::{Page, Rig};
use kiosk::services::sample_forms::flow::{PageState, Step};
use kiosk::services::ActiveFlow;
use slint::ComponentHandle;

const ZHANG_WEI: usize = 0;

/// The step on screen, by a short name.
fn step(rig: &Rig) -> String {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::SampleForms(f)) => match f.step() {
            Step::Loading => "loading".into(),
            Step::Browse(b) => format!("browse {}", b.results.len()),
            Step::Viewing(v) => format!(
                "viewing p{} {}",
                v.page,
                match &v.image {
                    PageState::Loading => "loading".to_owned(),
                    PageState::Shown(_) => "shown".to_owned(),
                    PageState::Missing(p) => format!("{p:?}"),
                }
            ),
            Step::Printing(_) => "printing".into(),
            Step::Printed { .. } => "printed".into(),
            Step::NoLibrary => "no library".into(),
        },
        _ => "elsewhere".into(),
    })
}

fn viewer_print(rig: &Rig) -> String {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::SampleForms(f)) => match f.step() {
            Step::Viewing(v) => format!("{:?}", v.print),
            _ => String::new(),
        },
        _ => String::new(),
    })
}

fn adapter(rig: &Rig) -> kiosk::ui::SampleFormsAdapter<'_> {
    rig.kiosk.window().global::<kiosk::ui::SampleFormsAdapter>()
}

/// Places sample card `n` and opens the tile; waits for the list.
fn open(rig: &Rig, n: usize) -> idcard::IdCard {
    let card = idcard::sim::sample_cards().into_iter().nth(n).unwrap();
    rig.reader().place_card(card.clone());
    rig.wait_for("the greeting", |r| r.page() == Page::Menu);
    rig.tap("样表查询");
    assert_eq!(rig.page(), Page::SampleForms);
    rig.wait_for("the library", |r| step(r).starts_with("browse"));
    card
}

/// Types 居住证 the way a citizen does: J, pick 居 from the candidates, then Z Z.
fn type_juzhuzheng(rig: &Rig) {
    rig.tap("J");
    rig.tap("汉字 居");
    rig.tap("Z");
    rig.tap("Z");
    assert_eq!(adapter(rig).get_typed(), "居ZZ");
}

fn finish(rig: &Rig) {
    rig.tap("结束办理");
    assert_eq!(rig.page(), Page::Attract);
    rig.reader().remove_card();
    std::thread::sleep(Duration::from_millis(1500));
    rig.pump();
}

fn pdftotext(pdf: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/test installs it)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pdf_pages(pdf: &std::path::Path) -> usize {
    printpdf::lopdf::Document::load(pdf)
        .unwrap()
        .get_pages()
        .len()
}

#[test]
fn search_open_zoom_page_and_print_the_sample_then_the_form_prefilled_from_the_card() {
    crate::rig::on_ui_thread(|| {
        let a4 = crate::ipp::IppRig::start();
        let rig = Rig::start_configured(|config| {
            config.devices.a4_printer = Some(kiosk::config::A4PrinterConfig {
                uri: a4.uri.clone(),
                job_timeout_secs: 60,
            });
        });
        rig.wait_until_ready();
        open(&rig, ZHANG_WEI);
        let all = adapter(&rig).get_result_count();
        assert!(all >= 200, "{all} forms");

        // A department narrows the list; typing narrows it as each key is touched.
        rig.tap("公安");
        let police = adapter(&rig).get_result_count();
        assert!(police < all && police >= 12, "{police}");
        type_juzhuzheng(&rig);
        assert_eq!(
            rig.find("查找结果").accessible_value().unwrap(),
            "共 3 份样表"
        );

        // 居住证变更申请表 has three pages.
        rig.tap("居住证变更申请表");
        rig.wait_for("the first page", |r| step(r) == "viewing p1 shown");
        assert_eq!(
            rig.find("样表").accessible_value().unwrap(),
            "居住证变更申请表"
        );
        rig.find("第 1 页，共 3 页");
        rig.tap("放大");
        rig.tap("放大");
        assert_eq!(adapter(&rig).get_zoom(), 2.0);
        assert_eq!(rig.find("缩放").accessible_value().unwrap(), "200%");
        rig.tap("下一页");
        rig.wait_for("the second page", |r| step(r) == "viewing p2 shown");
        rig.tap("缩小");
        assert_eq!(adapter(&rig).get_zoom(), 1.5);
        // The take-home QR code is on screen.
        assert!(adapter(&rig).get_qr().size().width > 0);

        rig.wait_for("the printer's state", |r| viewer_print(r) == "Ready");
        rig.tap("打印填写示例");
        rig.wait_for("the sample printed", |r| step(r) == "printed");
        rig.find("请从 A4 出纸口取走表格");
        let jobs = a4.jobs();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        assert_eq!(pdf_pages(&jobs[0]), 3);
        finish(&rig);
        assert_eq!(adapter(&rig).get_page_image().size().width, 0);

        // Again, pre-filled from the card this time.
        let card = open(&rig, ZHANG_WEI);
        type_juzhuzheng(&rig);
        rig.tap("居住证变更申请表");
        rig.wait_for("the first page", |r| step(r) == "viewing p1 shown");
        rig.wait_for("the printer's state", |r| viewer_print(r) == "Ready");
        rig.tap("按身份证信息预填并打印");
        rig.wait_for("the form printed", |r| step(r) == "printed");
        let mut jobs = a4.jobs();
        jobs.sort();
        assert_eq!(jobs.len(), 2, "{jobs:?}");
        let text = pdftotext(&jobs[1]);
        for want in [
            "居住证变更申请表",
            "受理部门: 公安",
            card.name.as_str(),
            card.id_number.as_str(),
            "申请人签名",
        ] {
            assert!(text.contains(want), "{want} missing from the form:\n{text}");
        }
        finish(&rig);
    });
}

#[test]
fn offline_the_cached_library_and_pages_still_show_and_a_page_never_fetched_says_so() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();
        // The worker fetched the library at start, before anyone asked.
        rig.wait_for("the library cached", |r| {
            r.store().cached_form_library().unwrap().is_some()
        });
        open(&rig, ZHANG_WEI);
        type_juzhuzheng(&rig);
        rig.tap("居住证登记表");
        rig.wait_for("the page", |r| step(r) == "viewing p1 shown");
        finish(&rig);

        rig.stop_platform();
        open(&rig, ZHANG_WEI);
        type_juzhuzheng(&rig);
        rig.tap("居住证登记表");
        rig.wait_for("the cached page", |r| step(r) == "viewing p1 shown");
        rig.tap("空白表");
        rig.wait_for("the blank page's answer", |r| {
            step(r) == "viewing p1 NotCached"
        });
        assert_eq!(
            rig.find("页面状态").accessible_value().unwrap(),
            "本机尚未存有此页，暂时无法连接平台"
        );
        rig.wait_for("the printer's state", |r| viewer_print(r) == "Ready");
        rig.tap("打印空白表");
        rig.wait_for("the print's answer", |r| step(r).starts_with("viewing"));
        rig.wait_for("the problem said", |r| {
            r.find("打印机状态")
                .accessible_value()
                .is_some_and(|v| v.contains("本机未存有此表的全部页面"))
        });
        rig.tap("返回");
        assert!(step(&rig).starts_with("browse"));
        finish(&rig);
        rig.start_platform();
    });
}

#[test]
fn keys_that_lead_nowhere_are_refused_and_a_printer_fault_is_said_on_the_buttons() {
    crate::rig::on_ui_thread(|| {
        let a4 = crate::ipp::IppRig::start();
        let rig = Rig::start_configured(|config| {
            config.devices.a4_printer = Some(kiosk::config::A4PrinterConfig {
                uri: a4.uri.clone(),
                job_timeout_secs: 60,
            });
        });
        rig.wait_until_ready();
        assert!(a4
            .web_form("supplies?supply1=0")
            .contains("Supplies updated"));
        open(&rig, ZHANG_WEI);
        rig.tap("Q");
        rig.tap("Q");
        // No name has two syllables starting with Q in a row: the second is refused, the
        // line keeps the first, the list is what the first found.
        assert_eq!(adapter(&rig).get_typed(), "Q");
        let why = rig.find("按键未采用").accessible_value().unwrap();
        assert!(why.contains("“Q”"), "{why}");
        assert!(adapter(&rig).get_result_count() > 0);
        rig.tap("删除");
        assert_eq!(adapter(&rig).get_typed(), "");

        rig.tap("首字母 G");
        let first = adapter(&rig).get_results();
        let name = slint::Model::row_data(&first, 0).unwrap().name;
        rig.tap(&name);
        rig.wait_for("the page", |r| step(r) == "viewing p1 shown");
        rig.wait_for("the printer's state", |r| {
            viewer_print(r).contains("TonerOut")
        });
        let said = rig.find("打印机状态").accessible_value().unwrap();
        assert!(said.contains("墨粉"), "{said}");
        // A touch asks again: still out, still said, nothing sent.
        rig.tap("打印空白表");
        rig.wait_for("asked again", |r| viewer_print(r).contains("TonerOut"));
        assert!(a4.jobs().is_empty());
        finish(&rig);
    });
}
