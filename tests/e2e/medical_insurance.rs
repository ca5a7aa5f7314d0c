//! A citizen looks up their medical insurance as they would at the hall: the card over the
//! SAM protocol on a pty, the real UI found by accessible label, the account from the
//! platform simulator over real signed HTTP, the statement printed on a real IPP printer on
//! loopback (ippeveprinter) and read back with `pdftotext`. And its failures: no record, the
//! platform gone, the A4 printer at fault (the query still works, the print button says why).

use std::time::Duration;

use crate::rig::{Page, Rig};
use kiosk::services::medical_insurance::{PrintProblem, PrintState, Problem, Step, Tab};
use kiosk::services::ActiveFlow;

/// The sample cards, in the simulator's order.
const ZHANG_WEI: usize = 0;
const ZHAO_XIUYING: usize = 3;
const OUYANG: usize = 5;

/// The medical-insurance step on screen, by a short name.
fn step(rig: &Rig) -> String {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::MedicalInsurance(f)) => match f.step() {
            Step::Asking => "asking".into(),
            Step::Showing { print, tab, .. } => format!("showing {tab:?} {print:?}"),
            Step::Printing { .. } => "printing".into(),
            Step::Printed { .. } => "printed".into(),
            Step::Problem(p) => format!("problem {p:?}"),
        },
        _ => "elsewhere".into(),
    })
}

fn print_state(rig: &Rig) -> Option<PrintState> {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::MedicalInsurance(f)) => match f.step() {
            Step::Showing { print, .. } => Some(*print),
            _ => None,
        },
        _ => None,
    })
}

/// Places sample card `n` and opens the tile.
fn open(rig: &Rig, n: usize) -> idcard::IdCard {
    let card = idcard::sim::sample_cards().into_iter().nth(n).unwrap();
    rig.reader().place_card(card.clone());
    rig.wait_for("the greeting", |r| r.page() == Page::Menu);
    rig.tap("医保查询");
    assert_eq!(rig.page(), Page::MedicalInsurance);
    card
}

/// Finish, then the card leaves the reader (its poll sees that before the next card).
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

#[test]
fn the_elderly_citizen_sees_her_year_and_prints_a_statement() {
    crate::rig::on_ui_thread(|| {
        let a4 = crate::ipp::IppRig::start();
        let rig = Rig::start_configured(|config| {
            config.devices.a4_printer = Some(kiosk::config::A4PrinterConfig {
                uri: a4.uri.clone(),
                job_timeout_secs: 60,
            });
        });
        rig.wait_until_ready();
        let card = open(&rig, ZHAO_XIUYING);
        rig.wait_for("the account", |r| step(r).starts_with("showing"));

        // The overview: the balance large, the chart with twelve months.
        let balance = rig.find("个人账户余额");
        assert_eq!(balance.accessible_value().unwrap(), "¥4,286.55");
        let this_month = kiosk::services::medical_insurance::adapter::month_label(
            chrono::Datelike::month(&kiosk::clock::service_day()),
            kiosk::app::Lang::Zh,
        );
        let bar = rig.find(&format!("{this_month}医疗费用"));
        assert!(bar.accessible_value().unwrap().starts_with('¥'));

        // The three parts are tabs.
        rig.tap("缴费明细");
        assert!(step(&rig).contains("Contributions"), "{}", step(&rig));
        let this = kiosk::clock::service_day().format("%Y-%m").to_string();
        assert_eq!(rig.find(&this).accessible_value().unwrap(), "¥154.00");
        rig.tap("费用记录");
        assert!(step(&rig).contains("Spending"));
        // Back goes to the overview first, then to the menu.
        rig.tap("返回");
        assert!(step(&rig).contains("Overview"));

        // The printer was asked as the account came: ready.
        rig.wait_for("the printer's state", |r| {
            print_state(r) == Some(PrintState::Ready)
        });
        rig.tap("打印对账单（A4）");
        rig.wait_for("the statement printed", |r| step(r) == "printed");
        rig.find("请从 A4 出纸口取走对账单");

        let jobs = a4.jobs();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        let text = pdftotext(&jobs[0]);
        let masked = idcard::id_number::mask(&card.id_number);
        for want in [
            "医保个人账户对账单",
            "赵秀英",
            masked.as_str(),
            "¥4,286.55",
            "住院",
            "药店",
            "按类别合计",
            "缴费明细",
            "每月医疗费用",
            "另有较早记录",
            "合计",
        ] {
            assert!(
                text.contains(want),
                "{want} missing from the statement:\n{text}"
            );
        }
        assert!(!text.contains(&card.id_number), "full ID number printed");

        // Finish: the figures leave the screen with the session; nothing stays in the data
        // folder.
        finish(&rig);
        use slint::ComponentHandle;
        let a = rig
            .kiosk
            .window()
            .global::<kiosk::ui::MedicalInsuranceAdapter>();
        assert_eq!(a.get_balance(), "");
        assert_eq!(slint::Model::row_count(&a.get_records()), 0);
        for entry in walk(&rig.dir.path().join("data")) {
            assert!(!entry.to_string_lossy().ends_with(".pdf"), "{entry:?}");
        }
    });
}

#[test]
fn no_record_and_the_platform_gone_are_said_plainly() {
    crate::rig::on_ui_thread(|| {
        // One sync round at start (catalog, leases), then none: the menu keeps believing the
        // platform is there, so the query itself meets the outage (the tile greying offline
        // is the shell's rule, tested over every service).
        let mut rig = Rig::start_configured(|config| config.sync.interval_secs = 3600);
        rig.wait_until_ready();

        // 欧阳䶮然 has no medical-insurance record here.
        open(&rig, OUYANG);
        rig.wait_for("the answer", |r| step(r).starts_with("problem"));
        assert_eq!(step(&rig), format!("problem {:?}", Problem::NoRecord));
        rig.find("暂无您的医保记录");
        finish(&rig);

        // The platform goes away: the citizen is told it cannot be reached, and what to do.
        rig.stop_platform();
        open(&rig, ZHANG_WEI);
        rig.wait_for("the answer", |r| step(r).starts_with("problem"));
        assert_eq!(step(&rig), format!("problem {:?}", Problem::Unreachable));
        rig.find("医保查询服务暂时无法连接");
        rig.find("请稍后再试，或到 B 区（社保医保）窗口咨询。");
        rig.tap("返回");
        assert_eq!(rig.page(), Page::Menu);
        rig.start_platform();
    });
}

#[test]
fn with_the_a4_printer_at_fault_the_query_works_and_the_button_says_why() {
    crate::rig::on_ui_thread(|| {
        let a4 = crate::ipp::IppRig::start();
        let rig = Rig::start_configured(|config| {
            config.devices.a4_printer = Some(kiosk::config::A4PrinterConfig {
                uri: a4.uri.clone(),
                job_timeout_secs: 60,
            });
        });
        rig.wait_until_ready();
        // The toner runs out (ippeveprinter's supplies form).
        assert!(a4
            .web_form("supplies?supply1=0")
            .contains("Supplies updated"));

        // The tile is usable: the printer is only for the statement.
        let card = idcard::sim::sample_cards()
            .into_iter()
            .nth(ZHANG_WEI)
            .unwrap();
        rig.reader().place_card(card);
        rig.wait_for("the greeting", |r| r.page() == Page::Menu);
        rig.tap("医保查询");
        rig.wait_for("the account", |r| step(r).starts_with("showing"));
        assert_eq!(
            rig.find("个人账户余额").accessible_value().unwrap(),
            "¥3,286.40"
        );
        rig.wait_for("the printer's state", |r| {
            print_state(r) == Some(PrintState::Unavailable(PrintProblem::TonerOut))
        });
        let why = rig
            .find("打印对账单（A4）")
            .accessible_description()
            .unwrap();
        assert!(why.contains("A4 打印机墨粉不足"), "{why}");
        // The account is still there to read; the menu's tile stays usable.
        rig.tap("费用记录");
        assert!(step(&rig).contains(&format!("{:?}", Tab::Spending)));
        assert_eq!(
            rig.find("合计 4 笔").accessible_label().unwrap(),
            "合计 4 笔"
        );

        // A touch asks the printer again (staff may have changed the cartridge): still empty,
        // still said, and nothing was sent to it.
        rig.tap("打印对账单（A4）");
        rig.wait_for("the printer asked again", |r| {
            print_state(r) == Some(PrintState::Unavailable(PrintProblem::TonerOut))
        });
        assert!(a4.jobs().is_empty());
        rig.tap("结束办理");
        assert_eq!(rig.page(), Page::Attract);
    });
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
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
