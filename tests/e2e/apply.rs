//! Applying for a matter (自助申报), end to end through the UI: the age rule, the card's sides
//! on the demo's glass (lid open, nothing laid), a mobile number that is not one, materials
//! scanned, retaken and deleted or brought to the window, the acceptance receipt with its
//! QR, the case in the progress query by card, by QR and by typed number, the scans purged;
//! offline, the receipt that promises an SMS and the upload once the platform is back; and a
//! kiosk killed with SIGKILL mid-upload that ends as exactly one case.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use kiosk::demo::glass::Glass;
use kiosk::services::apply::{ApplyFlow, Step};
use kiosk::services::ActiveFlow;
use kiosk_platform::sim::{DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::PlatformClient;

use crate::rig::{Page, ReadSession, Rig, PATIENCE};

const MOBILE: &str = "13800138000";

/// What the flow on screen is doing, as a word (the tests' view of the step).
fn step(rig: &Rig) -> String {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::Apply(f)) => step_name(f),
        _ => "none".to_owned(),
    })
}

fn step_name(f: &ApplyFlow) -> String {
    match f.step() {
        // The typed address's stage: address-district, address-street, …
        Step::Address { at, .. } => format!("address-{at:?}").to_lowercase(),
        other => step_word(other).to_owned(),
    }
}

fn step_word(step: &Step) -> &'static str {
    match step {
        Step::Loading => "loading",
        Step::Matters { .. } => "matters",
        Step::NotEligible { .. } => "not-eligible",
        Step::Instructions(_) => "instructions",
        Step::Card { .. } => "card",
        Step::Form(_) => "form",
        Step::Field { .. } => "field",
        Step::Material { .. } => "material",
        Step::Delivery { .. } => "delivery",
        Step::GazetteerLoading(_) => "address-loading",
        Step::Address { .. } => "address",
        Step::Check(_) => "check",
        Step::Submitting => "submitting",
        Step::Done { .. } => "done",
        Step::Problem(_) => "problem",
    }
}

fn case_number(rig: &Rig) -> Option<String> {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::Apply(f)) => kiosk::app::Flow::case_number(f),
        _ => None,
    })
}

fn pages(rig: &Rig) -> usize {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::Apply(f)) => match f.step() {
            Step::Material { draft, index, .. } => draft.materials[*index].pages.len(),
            _ => 0,
        },
        _ => 0,
    })
}

fn scanning(rig: &Rig) -> bool {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::Apply(f)) => matches!(
            f.step(),
            Step::Material {
                scanning: Some(_),
                ..
            }
        ),
        _ => false,
    })
}

fn scanned(rig: &Rig) -> bool {
    rig.find("扫描状态").accessible_value().unwrap() == "扫描完成，请核对图像。"
}

/// From the menu to the check page of 居住证签注 (JZ), with the glass's card and page, picked
/// up at the window; then submitted.
fn apply_for_a_residence_permit(rig: &Rig, failures: bool) {
    to_the_delivery(rig, failures);
    rig.tap("窗口领取");
    rig.tap("下一步");
    assert_eq!(step(rig), "check");
    // The check page masks the phone.
    assert_eq!(
        rig.find("手机号码").accessible_value().unwrap(),
        "138****8000"
    );
    rig.tap("提交申请");
}

/// From the menu to the delivery page of 居住证签注 (JZ), with the glass's card and page.
fn to_the_delivery(rig: &Rig, failures: bool) {
    rig.tap("自助申报");
    rig.wait_for("the matters", |r| step(r) == "matters");
    rig.tap("居住证签注");
    assert_eq!(step(rig), "instructions");
    rig.find("居住证原件");
    rig.tap("开始申报");
    assert_eq!(step(rig), "card");

    if failures {
        // The lid is up, then nothing on the glass: each said, and scanned again.
        *rig.glass().lock().unwrap() = Glass::LidOpen;
        rig.tap("扫描");
        rig.wait_for("the lid notice", |r| {
            r.find("扫描状态").accessible_value().unwrap() == "扫描仪盖板未盖好，请盖好后重新扫描。"
        });
        *rig.glass().lock().unwrap() = Glass::Empty;
        rig.tap("重新扫描");
        rig.wait_for("the nothing-laid notice", |r| {
            r.find("扫描状态").accessible_value().unwrap()
                == "玻璃板上未检测到材料，请放在左上角后重新扫描。"
        });
        *rig.glass().lock().unwrap() = Glass::Card;
        rig.tap("重新扫描");
    } else {
        *rig.glass().lock().unwrap() = Glass::Card;
        rig.tap("扫描");
    }
    rig.wait_for("the front", scanned);
    rig.find("扫描结果");
    rig.tap("下一步");
    assert_eq!(
        rig.find("身份证扫描步骤").accessible_value().unwrap(),
        "扫描身份证国徽面"
    );
    rig.tap("扫描");
    rig.wait_for("the back", scanned);
    rig.tap("下一步");

    // The form filled from the card: the name in full, the ID number masked.
    assert_eq!(step(rig), "form");
    assert_eq!(rig.find("姓名").accessible_value().unwrap(), "张伟");
    assert_eq!(
        rig.find("公民身份号码").accessible_value().unwrap(),
        "110101********0017"
    );
    assert_eq!(
        rig.find("住址").accessible_value().unwrap(),
        "北京市东城区景山前街4号"
    );
    rig.tap("信息无误，继续");

    // The mobile number: a wrong one is refused with the reason.
    assert_eq!(step(rig), "field");
    if failures {
        for d in ["2", "3", "4"] {
            rig.tap(d);
        }
        rig.tap("下一步");
        assert_eq!(
            rig.find("输入提示").accessible_value().unwrap(),
            "请输入以 1 开头的 11 位手机号码。"
        );
        for _ in 0..3 {
            rig.tap("删除");
        }
    }
    for d in MOBILE.chars() {
        rig.tap(&d.to_string());
    }
    assert_eq!(rig.find("输入内容").accessible_value().unwrap(), MOBILE);
    rig.tap("下一步");
    // A choice, then a short text.
    rig.tap("租赁");
    rig.tap("下一步");
    for k in ["3", "-", "2", "0", "1"] {
        rig.tap(k);
    }
    rig.tap("下一步");

    // The permit: two pages scanned, the first retaken, the second deleted.
    assert_eq!(step(rig), "material");
    assert_eq!(
        rig.find("申报材料").accessible_value().unwrap(),
        "居住证原件"
    );
    *rig.glass().lock().unwrap() = Glass::Page;
    rig.tap("扫描一页");
    rig.wait_for("page 1", |r| pages(r) == 1);
    rig.tap("扫描一页");
    rig.wait_for("page 2", |r| pages(r) == 2);
    rig.tap("重扫第 1 页");
    rig.wait_for("page 1 retaken", |r| pages(r) == 2 && !scanning(r));
    rig.tap("删除第 2 页");
    assert_eq!(pages(rig), 1);
    rig.tap("下一步");
    // The tenancy agreement: brought to the window.
    assert_eq!(
        rig.find("申报材料").accessible_value().unwrap(),
        "租房合同或房产证明"
    );
    rig.tap("到窗口补交");
    rig.tap("下一步");
    assert_eq!(step(rig), "delivery");
}

const TYPED: &str = "北京市朝阳区建国路88号2号楼301室";

#[test]
fn by_post_to_a_typed_address_the_platform_gets_it_whole_and_the_receipt_masks_it() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start();
        rig.wait_until_ready();
        rig.swipe_sample_card();
        to_the_delivery(&rig, false);

        // Another address: the district from the list.
        rig.tap("邮寄到其他地址");
        rig.wait_for("the districts", |r| step(r) == "address-district");
        rig.tap("朝阳区");
        assert_eq!(step(&rig), "address-street");
        // The street by its initials, the list narrowing as they are typed; a letter that
        // leads nowhere is refused with the reason and the line keeps what it had.
        rig.tap("J");
        rig.tap("G");
        rig.find("建国门外大街");
        rig.tap("X");
        let why = rig.find("地址输入提示").accessible_value().unwrap();
        assert!(why.contains('X'), "{why}");
        assert_eq!(rig.find("街道首字母").accessible_value().unwrap(), "JG");
        rig.tap("L");
        rig.tap("建国路");
        assert_eq!(step(&rig), "address-number");
        // No number: said so. Then the number on the keypad and its words.
        rig.tap("下一步");
        assert_eq!(
            rig.find("地址输入提示").accessible_value().unwrap(),
            "请输入门牌号，至少含一个数字。"
        );
        for k in ["8", "8", "号", "2", "号楼", "单元"] {
            rig.tap(k);
        }
        rig.tap("删除");
        for k in ["3", "0", "1", "室"] {
            rig.tap(k);
        }
        assert_eq!(
            rig.find("门牌号").accessible_value().unwrap(),
            "88号2号楼301室"
        );
        rig.tap("下一步");
        // The whole address to check (the matter's own mobile serves the courier).
        assert_eq!(step(&rig), "address-check");
        assert_eq!(rig.find("邮寄地址").accessible_value().unwrap(), TYPED);
        // Back works, and forward again.
        rig.tap("返回");
        assert_eq!(step(&rig), "address-number");
        rig.tap("下一步");
        rig.tap("地址无误，继续");
        assert_eq!(step(&rig), "check");
        // Masked where the whole is not needed.
        assert_eq!(
            rig.find("领取方式").accessible_value().unwrap(),
            "邮寄到 北京市朝阳区****"
        );
        rig.tap("提交申请");
        rig.wait_for("the case number", |r| step(r) == "done");
        let case = case_number(&rig).expect("a case number online");

        // The platform keeps the whole address with the case.
        let held = rig.holdings().applications;
        assert_eq!(held.posted, vec![(case.clone(), TYPED.to_owned())]);
        // The receipt shows the district only.
        assert!(rig.printer().wait_for_receipts(1, PATIENCE));
        let text = rig.printer().receipts()[0].text();
        assert!(text.contains("北京市朝阳区****"), "{text}");
        assert!(!text.contains("建国路") && !text.contains("301"), "{text}");
        rig.tap("结束办理");
        rig.kiosk.ui().with_router(|r| assert!(r.flow().is_none()));
    });
}

#[test]
fn with_no_gazetteer_and_the_platform_down_the_card_address_or_the_window_is_offered() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();
        rig.wait_for("the gazetteer cached at start", |r| {
            r.store().cached_gazetteer().unwrap().is_some()
        });
        rig.stop_platform();
        // A kiosk that never had it.
        rusqlite::Connection::open(rig.db_path())
            .unwrap()
            .execute("DELETE FROM gazetteer_cache", [])
            .unwrap();
        rig.swipe_sample_card();
        to_the_delivery(&rig, false);
        rig.tap("邮寄到其他地址");
        rig.wait_for("the notice", |r| step(r) == "delivery");
        assert_eq!(
            rig.find("领取方式提示").accessible_value().unwrap(),
            "本机暂无地址库，且暂时无法连接平台：请选择邮寄到身份证地址，或窗口领取。"
        );
        // The card's address still goes, masked on screen.
        rig.tap("邮寄到身份证地址");
        rig.tap("下一步");
        assert_eq!(
            rig.find("领取方式").accessible_value().unwrap(),
            "邮寄到身份证地址 北京市东城区****"
        );
        rig.tap("提交申请");
        rig.wait_for("the offline receipt", |r| step(r) == "done");
        rig.tap("结束办理");
    });
}

#[test]
fn an_application_becomes_one_case_that_the_progress_query_follows() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start();
        rig.wait_until_ready();
        rig.swipe_sample_card();

        // 张伟 is 41: the senior citizen's card says why not.
        rig.tap("自助申报");
        rig.wait_for("the matters", |r| step(r) == "matters");
        rig.tap("老人卡申办");
        assert_eq!(step(&rig), "not-eligible");
        let why = rig.find("不能申办的原因").accessible_value().unwrap();
        assert!(why.contains("60") && why.contains("41"), "{why}");
        rig.tap("返回");
        assert_eq!(rig.page(), Page::Menu);

        apply_for_a_residence_permit(&rig, true);
        rig.wait_for("the case number", |r| step(r) == "done");
        let case = case_number(&rig).expect("a case number online");
        assert!(case.starts_with("JZ-"), "{case}");
        assert_eq!(rig.find("办件编号").accessible_value().unwrap(), case);

        // The acceptance receipt: matter, case, materials, delivery, masked ID, the QR.
        assert!(rig.printer().wait_for_receipts(1, PATIENCE));
        let receipt = rig.printer().receipts().remove(0);
        let text = receipt.text();
        for want in [
            "受理回执",
            "居住证签注",
            case.as_str(),
            "110101********0017",
            "居住证原件：扫描 1 页",
            "租房合同或房产证明：窗口补交",
            "窗口领取",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert!(!text.contains("张伟") && !text.contains(MOBILE), "{text}");
        let qr = receipt.qr_payloads();
        assert_eq!(qr.len(), 1, "{qr:?}");
        // On a phone the QR opens the case to follow.
        let (status, page) = rig.get_page(&qr[0]);
        assert_eq!(status, 200, "{page}");
        for want in [case.as_str(), "居住证签注", "已受理", "✓ 受理"] {
            assert!(page.contains(want), "{want} in {page}");
        }
        assert!(!page.contains("张伟") && !page.contains("0017"), "{page}");

        // Acknowledged: nothing of the scans is kept.
        let counts = rig.store().application_counts().unwrap();
        assert_eq!(
            (counts.pending, counts.submitted, counts.sealed_parts),
            (0, 1, 0)
        );
        let held = rig.holdings().applications;
        assert_eq!(held.cases, vec![case.clone()]);
        assert_eq!(held.parts, 3, "front, back, one page");

        rig.tap("结束办理");
        rig.kiosk.ui().with_router(|r| assert!(r.flow().is_none()));

        // The progress query: by the receipt's QR on the attract screen …
        rig.code_scanner().scan(&qr[0]).unwrap();
        rig.wait_for("the case by QR", |r| {
            r.kiosk
                .ui()
                .with_controller(|c| matches!(c.case_outcome(), Some(Ok(v)) if v.len() == 1))
        });
        rig.find(&format!("办件 {case}"));
        rig.tap("结束办理");

        // … by card (taken off the reader and laid again: a card left on it is not read twice) …
        rig.reader().remove_card();
        for _ in 0..20 {
            rig.pump();
            std::thread::sleep(Duration::from_millis(100));
        }
        rig.swipe_sample_card();
        rig.tap("办件进度查询");
        rig.tap("我的办件");
        rig.wait_for("the holder's cases", |r| {
            r.kiosk
                .ui()
                .with_controller(|c| matches!(c.case_outcome(), Some(Ok(v)) if v.len() == 3))
        });
        rig.find(&format!("办件 {case}"));

        // … and by the typed number.
        rig.tap("返回");
        rig.tap("输入办件编号");
        rig.tap("JZ");
        for d in case[3..].chars().filter(char::is_ascii_digit) {
            rig.tap(&d.to_string());
        }
        assert_eq!(rig.find("办件编号").accessible_value().unwrap(), case);
        rig.tap("查询");
        rig.wait_for("the typed case", |r| {
            r.kiosk
                .ui()
                .with_controller(|c| matches!(c.case_outcome(), Some(Ok(v)) if v.len() == 1))
        });
        rig.find(&format!("办件 {case}"));
        rig.tap("结束办理");
    });
}

#[test]
fn offline_the_receipt_promises_an_sms_and_the_application_goes_once_the_platform_is_back() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();
        rig.swipe_sample_card();
        rig.stop_platform();
        apply_for_a_residence_permit(&rig, false);
        rig.wait_for("the offline receipt", |r| step(r) == "done");
        assert_eq!(case_number(&rig), None);
        assert_eq!(
            rig.find("申报状态").accessible_value().unwrap(),
            "已提交，受理编号将以短信通知"
        );
        assert!(rig.printer().wait_for_receipts(1, PATIENCE));
        let text = rig.printer().receipts()[0].text();
        assert!(text.contains("已提交，受理编号将以短信通知"), "{text}");
        // Sealed, scans and all, until the platform answers.
        let counts = rig.store().application_counts().unwrap();
        assert_eq!((counts.pending, counts.sealed_parts), (1, 3));
        rig.tap("结束办理");

        rig.start_platform();
        rig.wait_for("the upload", |r| {
            let c = r.store().application_counts().unwrap();
            c.submitted == 1 && c.sealed_parts == 0
        });
        let held = rig.holdings().applications;
        assert_eq!(held.cases.len(), 1, "{held:?}");
        let client = PlatformClient::new(
            &format!("http://{}", rig.platform_addr()),
            DEMO_KIOSK_ID,
            DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(30),
        );
        let sms = client.sim_sms(Some(MOBILE)).unwrap().messages;
        assert_eq!(sms.len(), 1, "{sms:?}");
        assert!(sms[0].text.contains(&held.cases[0]), "{}", sms[0].text);
    });
}

/// Runs this test binary's `kill_child` test in a child process, in `phase`.
fn child(phase: &str, data: &std::path::Path, platform: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "apply::kill_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("APPLY_CHILD_PHASE", phase)
        .env("APPLY_CHILD_DATA", data)
        .env("APPLY_CHILD_PLATFORM", platform)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Reads the child's output until a line holds `tag`; its rest.
fn read_until(out: &mut impl BufRead, tag: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "the child ended before saying {tag}");
        if let Some(at) = line.find(tag) {
            return line[at + tag.len()..].trim().to_owned();
        }
    }
}

#[test]
fn an_application_across_a_sigkill_mid_upload_ends_as_exactly_one_case() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // The platform outlives the kiosk: it is this process's.
    let sim = kiosk_platform::sim::SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        kiosk_platform::sim::SimConfig::demo(dir.path().join("platform.sqlite")),
    )
    .unwrap();
    let base = sim.base_url();

    let mut first = child("submit", &data, &base);
    let mut out = BufReader::new(first.stdout.take().unwrap());
    read_until(&mut out, "PART-ACKED");
    first.kill().unwrap(); // SIGKILL, between two parts
    first.wait().unwrap();
    let client = PlatformClient::new(
        &base,
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(30),
    );
    client
        .set_sim_faults(&kiosk_platform::sim::FaultConfig::default())
        .unwrap();
    let held = client.holdings().unwrap().applications;
    assert!(
        held.cases.is_empty(),
        "killed before the submission: {held:?}"
    );

    let mut second = child("restart", &data, &base);
    let mut out = BufReader::new(second.stdout.take().unwrap());
    let case = read_until(&mut out, "SUBMITTED");
    let status = second.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let held = client.holdings().unwrap().applications;
    assert_eq!(held.cases, vec![case.clone()], "exactly one case");
    // The kiosk died before any receipt came out: the number came by SMS.
    let sms = client.sim_sms(Some(MOBILE)).unwrap().messages;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert!(sms[0].text.contains(&case));
    sim.stop();
}

/// The kiosk side of the SIGKILL test, run as a child process by it (never on its own:
/// it needs the parent's platform and folder).
#[test]
#[ignore = "a child process of an_application_across_a_sigkill_mid_upload_ends_as_exactly_one_case"]
fn kill_child() {
    let phase = std::env::var("APPLY_CHILD_PHASE").expect("run by the SIGKILL test");
    let data = std::path::PathBuf::from(std::env::var("APPLY_CHILD_DATA").unwrap());
    let platform = std::env::var("APPLY_CHILD_PLATFORM").unwrap();
    crate::rig::on_ui_thread(move || {
        let data_dir = data.clone();
        let rig = Rig::start_configured(|config| {
            config.data_dir = data_dir;
            config.platform.base_url = platform.clone();
        });
        let store = || kiosk::store::Store::open(&data.join("kiosk.sqlite")).unwrap();
        let client = PlatformClient::new(
            &platform,
            DEMO_KIOSK_ID,
            DEMO_KIOSK_KEY.as_bytes(),
            Duration::from_secs(30),
        );
        match phase.as_str() {
            "submit" => {
                // The rig's own helpers read its temporary folder: this kiosk's is the parent's.
                let day = kiosk::clock::service_day();
                rig.wait_for("catalog and leased numbers", |r| {
                    r.kiosk.ui().with_controller(|c| !c.areas().is_empty())
                        && store().numbers_left("A", day).unwrap() > 0
                });
                rig.swipe_sample_card();
                // Every call now takes a while: the kill lands between two parts.
                client
                    .set_sim_faults(&kiosk_platform::sim::FaultConfig {
                        latency_ms: 1500,
                        ..Default::default()
                    })
                    .unwrap();
                apply_for_a_residence_permit(&rig, false);
                // Waits for a part to be acknowledged, says so, and for the SIGKILL.
                loop {
                    rig.pump();
                    let acked: i64 = rusqlite::Connection::open(data.join("kiosk.sqlite"))
                        .unwrap()
                        .query_row(
                            "SELECT COUNT(*) FROM application_parts WHERE acked = 1",
                            [],
                            |r| r.get(0),
                        )
                        .unwrap();
                    if acked >= 1 {
                        println!("PART-ACKED {acked}");
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            _ => {
                // The worker's first order sends what was left: the rest of the parts, then
                // the application, once.
                rig.wait_for("the upload resumed", |_| {
                    let c = store().application_counts().unwrap();
                    c.submitted == 1 && c.sealed_parts == 0 && c.pending == 0
                });
                let key: String = rusqlite::Connection::open(data.join("kiosk.sqlite"))
                    .unwrap()
                    .query_row("SELECT key FROM applications", [], |r| r.get(0))
                    .unwrap();
                let case = store().application_case(&key).unwrap().unwrap();
                println!("SUBMITTED {case}");
            }
        }
    });
}
