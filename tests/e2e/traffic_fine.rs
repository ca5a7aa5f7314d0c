//! A citizen pays a traffic fine as at the hall: the card over the SAM protocol on a pty,
//! the real UI found by accessible label (the plate keypad, the decision-number keypad),
//! the fines and the payment order from the platform simulator over real signed HTTP, the
//! citizen's phone played by the simulator's `/control/payments`, the receipt parsed back
//! from the virtual ESC/POS printer. And what must never happen twice: a fine paid already,
//! an order that expired or was cancelled, and a kiosk killed with SIGKILL while the QR code
//! shows, paid meanwhile, started again: the payment is found, recorded once, printed for
//! nobody, and reprinted by staff.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::rig::{Page, ReadSession, Rig, PATIENCE};
use kiosk::services::traffic_fine::flow::ListNotice;
use kiosk::services::traffic_fine::{Ended, Step};
use kiosk::services::ActiveFlow;
use kiosk_platform::api::traffic_fine::{PaymentRequest, PaymentState, SimOutcome, ALREADY_PAID};
use kiosk_platform::{ClientError, PlatformClient};

/// 张伟's car and its overdue fine (¥200 and ¥60 late fee, 10 days past due).
const ZHANG_WEI: usize = 0;
const OVERDUE: &str = "1101051234567002";
const RECENT: &str = "1101051234567001";

/// The traffic-fine step on screen, by a short name.
fn step(rig: &Rig) -> String {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::TrafficFine(f)) => match f.step() {
            Step::Choose => "choose".into(),
            Step::Typing { .. } => "typing".into(),
            Step::Searching => "searching".into(),
            Step::List { fines, notice } => format!("list {} {notice:?}", fines.len()),
            Step::Ordering { .. } => "ordering".into(),
            Step::Paying { .. } => "paying".into(),
            Step::Cancelling { .. } => "cancelling".into(),
            Step::Paid { printed, .. } => format!("paid {printed}"),
            Step::Problem(p) => format!("problem {p:?}"),
        },
        _ => "elsewhere".into(),
    })
}

/// The order on screen.
fn order_id(rig: &Rig) -> Option<String> {
    rig.kiosk.ui().with_router(|r| match r.flow() {
        Some(ActiveFlow::TrafficFine(f)) => match f.step() {
            Step::Paying { order, .. } => Some(order.order_id.clone()),
            _ => None,
        },
        _ => None,
    })
}

fn client(base: &str) -> PlatformClient {
    PlatformClient::new(
        base,
        kiosk_platform::sim::DEMO_KIOSK_ID,
        kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(10),
    )
}

fn rig_client(rig: &Rig) -> PlatformClient {
    client(&format!("http://{}", rig.platform_addr()))
}

/// Places sample card `n` and opens the tile.
fn open(rig: &Rig, n: usize) {
    let card = idcard::sim::sample_cards().into_iter().nth(n).unwrap();
    rig.reader().place_card(card);
    rig.wait_for("the greeting", |r| r.page() == Page::Menu);
    rig.tap("交通罚款缴纳");
    assert_eq!(rig.page(), Page::TrafficFine);
    assert_eq!(step(rig), "choose");
}

/// Types 张伟's plate on the plate keypad (a wrong first key is refused on the way).
fn look_up_plate(rig: &Rig) {
    rig.tap("按号牌号码查询");
    // The keypad starts with the provinces: a letter is not among them yet.
    assert!(
        i_slint_backend_testing::ElementHandle::find_by_accessible_label(rig.kiosk.window(), "A")
            .next()
            .is_none(),
        "letters before the province"
    );
    for k in ["京", "A", "1", "2", "3", "4"] {
        rig.tap(k);
    }
    // Seven characters for a small car: "search" on six says why.
    rig.tap("查询");
    let why = rig.find("输入提示").accessible_value().unwrap();
    assert!(why.contains("7位"), "{why}");
    rig.tap("5");
    assert_eq!(rig.find("已输入").accessible_value().unwrap(), "京A12345");
    rig.tap("查询");
    rig.wait_for("the fines", |r| step(r).starts_with("list"));
}

fn look_up_decision(rig: &Rig, n: &str) {
    rig.tap("按决定书编号查询");
    for d in n.chars() {
        rig.tap(&d.to_string());
    }
    rig.tap("查询");
    rig.wait_for("the fine", |r| step(r).starts_with("list"));
}

fn finish(rig: &Rig) {
    rig.tap("结束办理");
    assert_eq!(rig.page(), Page::Attract);
    rig.reader().remove_card();
    std::thread::sleep(Duration::from_millis(1500));
    rig.pump();
}

fn paid_orders(holdings: &kiosk_platform::api::Holdings, n: &str) -> usize {
    holdings
        .fine_payments
        .iter()
        .filter(|p| p.decision_number == n && p.state == PaymentState::Paid)
        .count()
}

#[test]
fn a_fine_is_paid_by_qr_once_and_its_receipt_prints() {
    crate::rig::on_ui_thread(|| {
        let rig = Rig::start();
        rig.wait_until_ready();
        open(&rig, ZHANG_WEI);
        look_up_plate(&rig);
        assert_eq!(step(&rig), "list 2 None");
        // The overdue fine is the second (unpaid, newest first): ¥200 + ¥60.
        rig.tap("缴纳第2笔罚款");
        rig.wait_for("the QR code", |r| step(r) == "paying");
        assert_eq!(rig.find("应缴金额").accessible_value().unwrap(), "¥260.00");
        let left = rig.find("剩余时间").accessible_value().unwrap();
        assert!(left.contains("2:5") || left.contains("3:00"), "{left}");
        // The countdown runs on the page's own timer.
        for _ in 0..3 {
            i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1000));
        }
        let later = rig.find("剩余时间").accessible_value().unwrap();
        assert_ne!(left, later, "the countdown does not move");

        let order = order_id(&rig).unwrap();
        let paid = rig_client(&rig)
            .settle_sim_payment(Some(&order), SimOutcome::Pay)
            .unwrap();
        rig.wait_for("paid", |r| step(r) == "paid true");
        let serial = paid.serial.unwrap();
        assert_eq!(rig.find("缴款流水号").accessible_value().unwrap(), serial);
        assert_eq!(rig.find("实缴金额").accessible_value().unwrap(), "¥260.00");

        assert!(rig.printer().wait_for_receipts(1, PATIENCE));
        let text = rig.printer().receipts()[0].text();
        for want in [
            "交通违法罚款缴款凭证",
            serial.as_str(),
            "¥260.00",
            "¥60.00",
            "1101********7002",
            "京A***45",
        ] {
            assert!(text.contains(want), "{want} missing:\n{text}");
        }
        assert!(
            !text.contains(OVERDUE) && !text.contains("京A12345"),
            "{text}"
        );
        assert_eq!(paid_orders(&rig.holdings(), OVERDUE), 1);
        finish(&rig);

        // The same fine again, by its decision number: paid, no pay button, and the
        // platform refuses a second payment.
        open(&rig, ZHANG_WEI);
        look_up_decision(&rig, OVERDUE);
        rig.find("已缴款");
        assert!(
            i_slint_backend_testing::ElementHandle::find_by_accessible_label(
                rig.kiosk.window(),
                "缴纳第1笔罚款"
            )
            .next()
            .is_none(),
            "a paid fine offers no payment"
        );
        let again = rig_client(&rig).create_fine_payment(&PaymentRequest {
            idempotency_key: "another-kiosk-key".into(),
            decision_number: OVERDUE.into(),
            amount_fen: 26_000,
            holder: kiosk_platform::api::holder_hash(
                kiosk_platform::sim::cases::SAMPLE_HOLDER_ID_NUMBERS[0],
            ),
        });
        assert!(
            matches!(&again, Err(ClientError::Http { status: 409, code: Some(c), .. }) if c == ALREADY_PAID),
            "{again:?}"
        );
        finish(&rig);
        assert_eq!(paid_orders(&rig.holdings(), OVERDUE), 1);
        assert_eq!(rig.printer().receipts().len(), 1, "printed once");
        // The citizen's data left the screen with the session.
        use slint::ComponentHandle;
        let a = rig.kiosk.window().global::<kiosk::ui::TrafficFineAdapter>();
        assert_eq!(slint::Model::row_count(&a.get_fines()), 0);
        assert_eq!(a.get_typed(), "");
    });
}

#[test]
fn an_expired_a_refused_and_a_cancelled_order_pay_nothing_and_offline_the_tile_says_why() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();
        open(&rig, ZHANG_WEI);
        look_up_decision(&rig, RECENT);
        let platform = rig_client(&rig);

        for (outcome, ended, says) in [
            (SimOutcome::Expire, Ended::Expired, "超时"),
            (SimOutcome::Fail, Ended::Failed, "拒绝"),
        ] {
            rig.tap("缴纳第1笔罚款");
            rig.wait_for("the QR code", |r| step(r) == "paying");
            platform
                .settle_sim_payment(order_id(&rig).as_deref(), outcome)
                .unwrap();
            rig.wait_for("the order's end", |r| {
                step(r) == format!("list 1 {:?}", Some(ListNotice::Ended(ended)))
            });
            let notice = rig.find("缴款提示").accessible_value().unwrap();
            assert!(notice.contains(says), "{notice}");
        }

        // Cancel: one touch, and the platform is told.
        rig.tap("缴纳第1笔罚款");
        rig.wait_for("the QR code", |r| step(r) == "paying");
        let order = order_id(&rig).unwrap();
        rig.tap("取消缴款");
        rig.wait_for("cancelled", |r| {
            step(r) == format!("list 1 {:?}", Some(ListNotice::Ended(Ended::Cancelled)))
        });
        assert_eq!(
            platform.fine_payment(&order).unwrap().state,
            PaymentState::Cancelled
        );
        // A phone that pays the cancelled order is refused; nothing printed.
        assert!(platform
            .settle_sim_payment(Some(&order), SimOutcome::Pay)
            .is_err());
        let states: Vec<PaymentState> = rig
            .holdings()
            .fine_payments
            .iter()
            .map(|p| p.state)
            .collect();
        assert_eq!(
            states,
            [
                PaymentState::Expired,
                PaymentState::Failed,
                PaymentState::Cancelled
            ]
        );
        assert!(rig.printer().receipts().is_empty());
        // Nothing is left open in the kiosk's store.
        assert_eq!(rig.store().fine_notes().unwrap().open, 0);
        finish(&rig);

        // Offline, the tile says why and does not start: payments are online only.
        rig.stop_platform();
        rig.reader()
            .place_card(idcard::sim::sample_cards().into_iter().next().unwrap());
        rig.wait_for("the greeting", |r| r.page() == Page::Menu);
        rig.wait_for("the tile to say why", |r| {
            use slint::ComponentHandle;
            r.kiosk
                .window()
                .global::<kiosk::ui::AppAdapter>()
                .invoke_touched();
            i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(300));
            r.pump();
            r.find("交通罚款缴纳")
                .accessible_description()
                .unwrap_or_default()
                == "平台暂时无法连接，暂不可用"
        });
        rig.tap("交通罚款缴纳");
        assert_eq!(rig.page(), Page::Menu);
    });
}

/// Runs this test binary's `kill_child` test in a child process, in `phase`.
fn child(phase: &str, data: &std::path::Path, platform: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "traffic_fine::kill_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FINE_CHILD_PHASE", phase)
        .env("FINE_CHILD_DATA", data)
        .env("FINE_CHILD_PLATFORM", platform)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Reads the child's output until a line starts with `tag`; its rest.
fn read_until(out: &mut impl BufRead, tag: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).unwrap();
        assert!(n > 0, "the child ended before saying {tag}");
        // libtest writes "test … ... " before the body runs, on the same line.
        if let Some(at) = line.find(tag) {
            return line[at + tag.len()..].trim().to_owned();
        }
    }
}

#[test]
fn a_payment_across_a_sigkill_is_recorded_once_and_reprinted_by_staff() {
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

    // The kiosk shows the QR code, and is killed.
    let mut first = child("pay", &data, &base);
    let mut out = BufReader::new(first.stdout.take().unwrap());
    let order = read_until(&mut out, "ORDER-ISSUED");
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();

    // The phone pays while no kiosk runs.
    let platform = client(&base);
    let paid = platform
        .settle_sim_payment(Some(&order), SimOutcome::Pay)
        .unwrap();
    let serial = paid.serial.unwrap();

    // Started again: the open order is found and asked about first; staff reprint.
    let mut second = child("restart", &data, &base);
    let mut out = BufReader::new(second.stdout.take().unwrap());
    assert_eq!(read_until(&mut out, "REPRINTED"), serial);
    let status = second.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let holdings = platform.holdings().unwrap();
    assert_eq!(paid_orders(&holdings, OVERDUE), 1);
    assert_eq!(
        holdings.fine_payments.len(),
        1,
        "{:?}",
        holdings.fine_payments
    );
    sim.stop();
}

/// The kiosk side of the SIGKILL test, run as a child process by it (never on its own:
/// it needs the parent's platform and folder).
#[test]
#[ignore = "a child process of a_payment_across_a_sigkill_is_recorded_once_and_reprinted_by_staff"]
fn kill_child() {
    let phase = std::env::var("FINE_CHILD_PHASE").expect("run by the SIGKILL test");
    let data = std::path::PathBuf::from(std::env::var("FINE_CHILD_DATA").unwrap());
    let platform = std::env::var("FINE_CHILD_PLATFORM").unwrap();
    crate::rig::on_ui_thread(move || {
        let data_dir = data.clone();
        let rig = Rig::start_configured(|config| {
            config.data_dir = data_dir;
            config.platform.base_url = platform.clone();
        });
        // The rig's own helpers read its temporary folder: this kiosk's is the parent's.
        let store = || kiosk::store::Store::open(&data.join("kiosk.sqlite")).unwrap();
        match phase.as_str() {
            "pay" => {
                let day = kiosk::clock::service_day();
                rig.wait_for("catalog and leased numbers", |r| {
                    r.kiosk.ui().with_controller(|c| !c.areas().is_empty())
                        && store().numbers_left("A", day).unwrap() > 0
                });
                open(&rig, ZHANG_WEI);
                look_up_decision(&rig, OVERDUE);
                rig.tap("缴纳第1笔罚款");
                rig.wait_for("the QR code", |r| step(r) == "paying");
                println!("ORDER-ISSUED {}", order_id(&rig).unwrap());
                // Waits for the SIGKILL.
                loop {
                    rig.pump();
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            _ => {
                // Before anyone touches the screen, the worker asked about the open order:
                // paid, recorded as late, printed for nobody.
                rig.wait_for("the open order settled", |_| {
                    store().fine_notes().unwrap().late_unprinted == 1
                });
                assert!(rig.printer().receipts().is_empty());
                assert_eq!(store().fine_notes().unwrap().open, 0);
                rig.open_staff();
                rig.wait_for("the staff line", |r| {
                    r.kiosk.staff().with_controller(|c| c.fines().late) == 1
                });
                rig.tap("补打罚款缴款凭证");
                assert!(rig.printer().wait_for_receipts(1, PATIENCE));
                let text = rig.printer().receipts()[0].text();
                assert!(text.contains("补打"), "{text}");
                let serial = store()
                    .fine_receipt_to_reprint()
                    .unwrap()
                    .unwrap()
                    .serial
                    .unwrap();
                assert!(text.contains(&serial), "{text}");
                rig.wait_for("the late line gone", |r| {
                    r.kiosk.staff().with_controller(|c| c.fines().late) == 0
                });
                println!("REPRINTED {serial}");
            }
        }
    });
}
