//! Every page the simulator serves to a citizen's phone, in a real browser: headless
//! Chromium (Debian `chromium`) at a phone's size (390×844) loads each page from the
//! simulator on loopback, and the test checks the text it rendered and that its
//! screenshot shows something.
//!
//! The tickets and bookings are made through the real client and API, as a kiosk makes
//! them. Adding a page is one row of [`pages`]: a name, a URL maker (which may make what it
//! shows through [`Made::client`], called once per row) and the texts expected.
//!
//! `PHONE_SCREENS=docs/screens` also writes the screenshots of the rows that name one
//! (`scripts/phone-screenshots` does that).
//!
//! Chromium is required: when it is missing the test fails and says to run `scripts/test`
//! (which installs it). It never passes without having looked.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use kiosk_platform::api::appointment::{
    appointment_url, AppointmentBookTx, AppointmentCancelTx, SlotList,
};
use kiosk_platform::api::certificate::{
    CertificateRequest, IssuedCertificate, KIND_SOCIAL_INSURANCE, VERIFY_FAILED_EN,
    VERIFY_FAILED_ZH, VERIFY_GENUINE_EN, VERIFY_GENUINE_ZH,
};
use kiosk_platform::api::{
    self, holder_hash, LeaseRequest, QueueTicketTx, Transaction, TransactionBatch, TxStatus,
};
use kiosk_platform::sim::cases::SAMPLE_HOLDER_ID_NUMBERS;
use kiosk_platform::sim::{SimConfig, SimServer, DEMO_KIOSK_ID, DEMO_KIOSK_KEY};
use kiosk_platform::PlatformClient;

/// Generous: the tests must not depend on machine speed.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A phone's viewport, CSS pixels (an iPhone 12–15's, a common Android's too).
const PHONE: (u32, u32) = (390, 844);

/// The hall's name, on every page.
const HALL_ZH: &str = "示范市政务服务中心";
const HALL_EN: &str = "Demo City Government Service Center";

/// 张伟's booking that the simulator seeds for today, at the quarter hour just begun.
const SEEDED_TODAY: &str = "5eed0000-0000-4000-8000-000000000001";

/// The citizen's mobile number left with the ticket and the booking: never on a page.
const PHONE_NUMBER: &str = "13812345678";

/// What the test made through the API, for the rows' URL makers; a row may also make its
/// own through `client` (it is called once).
struct Made {
    /// The kiosk's client to the simulator.
    client: PlatformClient,
    /// The simulator's public base URL (what the kiosk prints in its QR codes).
    base: String,
    /// A ticket still waiting, with one ticket ahead of it.
    waiting_ticket: String,
    /// A ticket that has been called.
    called_ticket: String,
    /// A ticket of an earlier day, never called.
    old_ticket: String,
    /// A booking made offline, not uploaded yet.
    pending_booking: String,
}

/// The QR of a case's acceptance receipt, as the kiosk prints it (the hall's key).
fn receipt_url(m: &Made, case: &str) -> String {
    let base = kiosk_platform::api::certificate::verify_page(&m.base);
    let day = kiosk_platform::api::hall_service_day(Utc::now());
    kiosk_platform::codes::verification_url(&base, case, day, kiosk_platform::sim::DEMO_VERIFY_KEY)
}

/// One page to load.
struct PageRow {
    /// Its name in failure messages.
    name: &'static str,
    /// Its URL.
    url: fn(&Made) -> String,
    /// Texts the rendered page must show, in this order (so Chinese before English).
    expect: &'static [&'static str],
    /// Texts it must not show.
    absent: &'static [&'static str],
    /// The file name of its screenshot in docs/screens, when it has one there.
    shot: Option<&'static str>,
}

/// Every page a citizen's phone opens.
fn pages() -> Vec<PageRow> {
    vec![
        PageRow {
            name: "follow: waiting",
            url: |m| api::follow_url(&m.base, &m.waiting_ticket),
            expect: &[
                HALL_ZH,
                HALL_EN,
                "等候中",
                "Waiting",
                "B003",
                "社保医保",
                "Social & Medical Insurance",
                "前面还有 1 人等候",
                "1 person ahead of you",
                "下一步",
                "What to do next",
                "轮到您时将收到短信",
                "an SMS tells you when it is your turn",
                "本页每 30 秒自动刷新",
                "refreshes every 30 s",
            ],
            absent: &["已叫号"],
            shot: Some("phone-follow.png"),
        },
        PageRow {
            name: "follow: called",
            url: |m| api::follow_url(&m.base, &m.called_ticket),
            expect: &[
                HALL_ZH,
                "已叫号",
                "Your number has been called",
                "B001",
                "请立即前往社保医保窗口办理",
                "Go to the Social & Medical Insurance counters now",
            ],
            absent: &["等候中", "ahead of you"],
            shot: Some("phone-follow-called.png"),
        },
        PageRow {
            name: "follow: an earlier day's ticket",
            url: |m| api::follow_url(&m.base, &m.old_ticket),
            expect: &[
                HALL_ZH,
                "号票已过期",
                "This ticket has expired",
                "A001",
                "请在大厅自助终端重新取号",
                "Take a new ticket",
            ],
            absent: &["等候中", "已叫号"],
            shot: None,
        },
        PageRow {
            name: "follow: unknown ticket",
            url: |m| api::follow_url(&m.base, &uuid::Uuid::new_v4().to_string()),
            expect: &[
                HALL_ZH,
                "未找到该号票",
                "Ticket not found",
                "号票仅当日有效",
                "ask at the information desk",
            ],
            absent: &["等候中", "已叫号"],
            shot: None,
        },
        PageRow {
            name: "appointment: confirmed",
            url: |m| appointment_url(&m.base, &m.book()),
            expect: &[
                HALL_ZH,
                HALL_EN,
                "预约成功",
                "Confirmed",
                "社保卡补办",
                "Replace a social security card",
                "请携带",
                "Please bring",
                "居民身份证原件",
                "Your ID card",
                "请提前 10 分钟到达",
                "分钟内凭身份证或本码在自助机签到",
                "Please arrive 10 minutes early",
                "check in at a kiosk with your ID card or this code up to 30 minutes",
            ],
            absent: &[],
            shot: Some("phone-appointment.png"),
        },
        PageRow {
            name: "appointment: pending confirmation",
            url: |m| appointment_url(&m.base, &m.pending_booking),
            expect: &[
                HALL_ZH,
                "预约待确认",
                "Pending confirmation",
                "尚未收到该预约，确认后将以短信通知。",
                "an SMS will confirm it",
            ],
            absent: &["预约成功"],
            shot: Some("phone-appointment-pending.png"),
        },
        PageRow {
            name: "appointment: cancelled",
            url: |m| {
                let booking = m.book();
                m.cancel(&booking);
                appointment_url(&m.base, &booking)
            },
            expect: &[
                HALL_ZH,
                "预约已取消",
                "Cancelled",
                "社保卡补办",
                "Replace a social security card",
                "重新预约或取号",
                "book again or take a ticket",
            ],
            absent: &["预约成功", "签到，领取优先号"],
            shot: Some("phone-appointment-cancelled.png"),
        },
        PageRow {
            name: "appointment: checked in",
            // 张伟's seeded booking today, at the quarter hour just begun: check-in is open.
            url: |m| {
                let answer = m.client.check_in(SEEDED_TODAY).unwrap();
                assert!(answer.ticket.is_some(), "{answer:?}");
                appointment_url(&m.base, SEEDED_TODAY)
            },
            expect: &[
                HALL_ZH,
                "已签到",
                "Checked in",
                "B-Y001",
                "优先号",
                "Priority ticket",
                "叫到您的优先号时到窗口办理",
                "when your priority number is called",
            ],
            absent: &["预约成功", "预约已取消"],
            shot: Some("phone-appointment-checked-in.png"),
        },
        PageRow {
            name: "certificate check: genuine",
            url: |m| m.certificate().verify_url,
            expect: &[
                HALL_ZH,
                VERIFY_GENUINE_ZH,
                VERIFY_GENUINE_EN,
                "个人参保证明",
                "张*",
                "110101********0017",
                "核对纸质证明",
                "match this page",
            ],
            absent: &[VERIFY_FAILED_ZH, "张伟", "110101198503120017"],
            shot: Some("phone-verify-genuine.png"),
        },
        PageRow {
            name: "certificate check: forged",
            url: |m| {
                // One digit of the signature changed.
                let mut url = m.certificate().verify_url;
                let last = url.pop().unwrap();
                url.push(if last == '0' { '1' } else { '0' });
                url
            },
            expect: &[
                HALL_ZH,
                VERIFY_FAILED_ZH,
                VERIFY_FAILED_EN,
                "请勿采信这份证明",
                "Do not rely on this certificate",
            ],
            absent: &[VERIFY_GENUINE_ZH, "个人参保证明"],
            shot: Some("phone-verify-forged.png"),
        },
        PageRow {
            name: "a case to follow: the acceptance receipt's QR",
            url: |m| receipt_url(m, "JZ-20261120-000007"),
            expect: &[
                HALL_ZH,
                "审核中",
                "In review",
                "居住证签注",
                "Residence permit endorsement",
                "办件编号：JZ-20261120-000007",
                "办理进度",
                "✓ 受理 2026-11-20 14:30",
                "○ 审核",
                "办结后将以短信通知您",
            ],
            absent: &[VERIFY_FAILED_ZH, VERIFY_GENUINE_ZH],
            shot: Some("phone-case.png"),
        },
        PageRow {
            name: "a case to follow: ready for pickup",
            url: |m| receipt_url(m, "SB-20261124-000042"),
            expect: &[
                HALL_ZH,
                "待领取",
                "社会保险参保缴费证明",
                "✓ 待领取",
                "请携带身份证和受理回执领取：一楼 B 区 社保医保 B03 窗口",
            ],
            absent: &[VERIFY_FAILED_ZH],
            shot: Some("phone-case-ready.png"),
        },
        PageRow {
            name: "a case to follow: a receipt's link altered",
            url: |m| {
                let mut url = receipt_url(m, "JZ-20261120-000007");
                let last = url.pop().unwrap();
                url.push(if last == '0' { '1' } else { '0' });
                url
            },
            expect: &[HALL_ZH, VERIFY_FAILED_ZH],
            absent: &["审核中", "居住证签注"],
            shot: None,
        },
        PageRow {
            name: "appointment: unknown",
            url: |m| format!("{}/appointment/not-a-booking", m.base),
            expect: &[
                HALL_ZH,
                "未找到该预约",
                "Appointment not found",
                "扫描预约单上的二维码",
            ],
            absent: &["预约成功", "预约待确认"],
            shot: None,
        },
        PageRow {
            name: "sample form",
            url: |m| format!("{}/m/forms/F0005", m.base),
            expect: &[
                HALL_ZH,
                "样表",
                "Sample form",
                "居住证变更申请表",
                "公安",
                "Police",
                "共3页",
                "需填写",
                "公民身份号码",
                "第1页 填写示例",
                "Page 1, Filled-in sample",
                "第3页 空白表",
                "下一步",
                "照示例填写空白表",
            ],
            absent: &["未找到此样表"],
            shot: Some("phone-sample-form.png"),
        },
        PageRow {
            name: "sample form: unknown",
            url: |m| format!("{}/m/forms/F9999", m.base),
            expect: &[HALL_ZH, "未找到此样表", "Form not found", "重新扫码"],
            absent: &["填写示例"],
            shot: None,
        },
    ]
}

#[test]
fn every_phone_page_in_headless_chromium() {
    let browser = Chromium::find();
    let dir = tempfile::tempdir().unwrap();
    let sim = SimServer::start(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        SimConfig::demo(dir.path().join("p.sqlite")),
    )
    .unwrap();
    let client = PlatformClient::new(
        &sim.base_url(),
        DEMO_KIOSK_ID,
        DEMO_KIOSK_KEY.as_bytes(),
        TIMEOUT,
    );
    let made = make(&client, &sim.public_base_url());
    let screens = std::env::var_os("PHONE_SCREENS").map(PathBuf::from);
    let secrets = [
        PHONE_NUMBER,
        SAMPLE_HOLDER_ID_NUMBERS[0],
        SAMPLE_HOLDER_ID_NUMBERS[1],
    ];

    let mut failures = Vec::new();
    for (i, row) in pages().iter().enumerate() {
        let url = (row.url)(&made);
        let text = visible_text(&browser.dump_dom(&url, dir.path()));
        let mut from = 0;
        for want in row.expect {
            match text[from..].find(want) {
                Some(at) => from += at + want.len(),
                None if text.contains(want) => failures.push(format!(
                    "{}: {want:?} is out of order (Chinese first, then English) in {text:?}",
                    row.name
                )),
                None => failures.push(format!("{}: {want:?} missing in {text:?}", row.name)),
            }
        }
        for not in row.absent.iter().chain(&secrets) {
            if text.contains(not) {
                failures.push(format!("{}: {not:?} shown in {text:?}", row.name));
            }
        }

        let png = match (&screens, row.shot) {
            (Some(screens), Some(name)) => screens.join(name),
            _ => dir.path().join(format!("page-{i}.png")),
        };
        browser.screenshot(&url, &png, dir.path());
        if let Err(e) = check_not_blank(&png) {
            failures.push(format!("{}: screenshot {}: {e}", row.name, png.display()));
        }
    }
    sim.stop();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Makes, through the client as a kiosk does, the tickets the pages show (in one go: their
/// order in the queue matters); bookings are made by the rows ([`Made::book`]).
fn make(client: &PlatformClient, base: &str) -> Made {
    let today = api::hall_service_day(Utc::now());
    let lease = client
        .lease(&LeaseRequest {
            area_code: "B".into(),
            service_day: today,
            size: 10,
        })
        .unwrap();
    let mut tickets = Vec::new();
    let mut txs = Vec::new();
    let yesterday = today.pred_opt().unwrap();
    let old_lease = client
        .lease(&LeaseRequest {
            area_code: "A".into(),
            service_day: yesterday,
            size: 10,
        })
        .unwrap();
    let old = QueueTicketTx {
        ticket_id: uuid::Uuid::new_v4().to_string(),
        area_code: "A".into(),
        number: old_lease.first,
        display_number: api::display_number("A", old_lease.first),
        service_day: yesterday,
        issued_at: Utc::now() - chrono::Duration::days(1),
        phone: None,
        lease_id: old_lease.lease_id.clone(),
    };
    txs.push(Transaction::queue_ticket("t0", Utc::now(), &old).unwrap());
    for number in 1..=3 {
        let ticket = QueueTicketTx {
            ticket_id: uuid::Uuid::new_v4().to_string(),
            area_code: "B".into(),
            number: lease.first + number - 1,
            display_number: api::display_number("B", lease.first + number - 1),
            service_day: today,
            issued_at: Utc::now(),
            phone: Some(PHONE_NUMBER.into()),
            lease_id: lease.lease_id.clone(),
        };
        tickets.push(ticket.ticket_id.clone());
        txs.push(Transaction::queue_ticket(format!("t{number}"), Utc::now(), &ticket).unwrap());
    }
    upload(client, txs);
    assert_eq!(client.call_next("B").unwrap().display_number, "B001");

    Made {
        client: client.clone(),
        base: base.to_owned(),
        old_ticket: old.ticket_id,
        called_ticket: tickets[0].clone(),
        waiting_ticket: tickets[2].clone(),
        pending_booking: uuid::Uuid::new_v4().to_string(),
    }
}

impl Made {
    /// Books, as the kiosk does, the first free slot of M02 that the sample citizen does
    /// not hold yet; the booking id.
    fn book(&self) -> String {
        let holder = holder_hash(SAMPLE_HOLDER_ID_NUMBERS[1]);
        let held: Vec<_> = self
            .client
            .appointments_of_holder(&holder)
            .unwrap()
            .into_iter()
            .map(|a| (a.date, a.start))
            .collect();
        let slots: SlotList = self.client.appointment_slots("M02", None).unwrap();
        let (date, start) = slots
            .days
            .iter()
            .flat_map(|d| {
                d.slots
                    .iter()
                    .filter(|s| s.remaining > 0)
                    .map(move |s| (d.date, s.start))
            })
            .find(|slot| !held.contains(slot))
            .expect("a free slot of M02");
        let booking = AppointmentBookTx {
            booking_id: uuid::Uuid::new_v4().to_string(),
            matter_code: "M02".into(),
            date,
            start,
            holder,
            phone: PHONE_NUMBER.into(),
            requested_at: Utc::now(),
        };
        let key = format!("book-{}", booking.booking_id);
        upload(
            &self.client,
            vec![Transaction::appointment_book(key, Utc::now(), &booking).unwrap()],
        );
        booking.booking_id
    }

    /// Issues 张伟's social-insurance proof, as the kiosk does before printing it.
    fn certificate(&self) -> IssuedCertificate {
        self.client
            .issue_certificate(&CertificateRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                kind: KIND_SOCIAL_INSURANCE.into(),
                holder: holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0]),
            })
            .unwrap()
    }

    /// Cancels the booking, as the kiosk does.
    fn cancel(&self, booking_id: &str) {
        let cancel = AppointmentCancelTx {
            booking_id: booking_id.to_owned(),
            holder: holder_hash(SAMPLE_HOLDER_ID_NUMBERS[1]),
            cancelled_at: Utc::now(),
        };
        let key = format!("cancel-{booking_id}");
        upload(
            &self.client,
            vec![Transaction::appointment_cancel(key, Utc::now(), &cancel).unwrap()],
        );
    }
}

fn upload(client: &PlatformClient, transactions: Vec<Transaction>) {
    let r = client.upload(&TransactionBatch { transactions }).unwrap();
    assert!(
        r.results.iter().all(|r| r.status == TxStatus::Accepted),
        "{r:?}"
    );
}

/// Debian's Chromium, run headless as a phone.
struct Chromium {
    program: PathBuf,
}

impl Chromium {
    /// `$CHROMIUM`, or `chromium` on the `PATH`; panics (fails the test) when neither is
    /// there: CI installs it, a silent pass would hide that nothing was looked at.
    fn find() -> Chromium {
        let program = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|dir| dir.join("chromium"))
                        .find(|p| p.is_file())
                })
            })
            .unwrap_or_else(|| {
                panic!(
                    "chromium not found (the phone pages are tested in a real browser): \
                     run scripts/test, which installs Debian's chromium"
                )
            });
        Chromium { program }
    }

    /// The DOM of `url` once loaded.
    fn dump_dom(&self, url: &str, scratch: &Path) -> String {
        let out = self.run(&["--dump-dom".to_owned(), url.to_owned()], scratch);
        String::from_utf8(out).expect("the DOM is UTF-8")
    }

    /// A screenshot of `url` at the phone's size into `png`.
    fn screenshot(&self, url: &str, png: &Path, scratch: &Path) {
        let _ = std::fs::remove_file(png);
        self.run(
            &[format!("--screenshot={}", png.display()), url.to_owned()],
            scratch,
        );
        assert!(png.is_file(), "chromium wrote no screenshot of {url}");
    }

    /// Runs one headless browser; its standard output.
    fn run(&self, args: &[String], scratch: &Path) -> Vec<u8> {
        // A fresh profile per run: two browsers never share (and lock) one, and nothing
        // of one page's visit is in the next.
        let profile = tempfile::tempdir_in(scratch).unwrap();
        let out = Command::new(&self.program)
            .args([
                // The new headless mode (the same renderer as the desktop browser).
                "--headless",
                // Tests and CI run as root in a container, where Chromium's sandbox
                // cannot start ("Running as root without --no-sandbox is not supported").
                "--no-sandbox",
                "--disable-gpu",
                // A container's /dev/shm is often 64 MB: Chromium then crashes on big
                // pages. (Debian's wrapper means to add this but its test of the size
                // fails on some mounts.)
                "--disable-dev-shm-usage",
                // The simulator is on loopback: a proxy from the environment must not
                // get in the way.
                "--no-proxy-server",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                &format!("--window-size={},{}", PHONE.0, PHONE.1),
                &format!("--user-data-dir={}", profile.path().display()),
            ])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e}; run scripts/test",
                    self.program.display()
                )
            });
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}\n{}",
            self.program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

/// The text a reader sees in `html`: the `<body>` without tags, entities decoded, blanks
/// collapsed.
fn visible_text(html: &str) -> String {
    let body = html.find("<body").map_or(html, |at| &html[at..]);
    let mut text = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The screenshot is a phone-sized PNG with something on it: more than a handful of
/// colours (text is anti-aliased), and ink (dark pixels) in it.
fn check_not_blank(png: &Path) -> Result<(), String> {
    let file = std::fs::File::open(png).map_err(|e| e.to_string())?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    if (info.width, info.height) != PHONE {
        return Err(format!(
            "{}×{}, not the phone's {}×{}",
            info.width, info.height, PHONE.0, PHONE.1
        ));
    }
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let mut colours = std::collections::HashSet::new();
    let mut dark = 0usize;
    for px in pixels.chunks_exact(channels) {
        let rgb = [px[0], px[1 % channels], px[2 % channels]];
        colours.insert(rgb);
        if rgb.iter().all(|&v| v < 96) {
            dark += 1;
        }
    }
    if colours.len() < 16 {
        return Err(format!("only {} colours: blank", colours.len()));
    }
    // A line of text at 20 px is a few thousand dark pixels.
    if dark < 2_000 {
        return Err(format!("only {dark} dark pixels: no text"));
    }
    Ok(())
}
