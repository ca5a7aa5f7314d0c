//! Silent calling (无声叫号) end to end: the phone left on the kiosk's keypad reaches the
//! platform with the ticket, the platform's SMS gateway writes to it when three people are
//! ahead and when the counter calls the number (`POST /v1/queue/call`), and the kiosk keeps
//! the number only until the platform has acknowledged the upload.

use std::time::Duration;

use kiosk::store::NewTicket;
use kiosk_platform::client::PlatformClient;

use crate::rig::{Page, Rig};

const PHONE: &str = "13912345678";

fn client(rig: &Rig) -> PlatformClient {
    PlatformClient::new(
        &format!("http://{}", rig.platform_addr()),
        kiosk_platform::sim::DEMO_KIOSK_ID,
        kiosk_platform::sim::DEMO_KIOSK_KEY.as_bytes(),
        Duration::from_secs(5),
    )
}

/// The ticket rows of the outbox that still hold a phone (decrypted, as the kiosk reads
/// them).
fn rows_with_the_phone(rig: &Rig) -> usize {
    let store = rig.store();
    let counts = store.outbox_counts().unwrap();
    let last = (counts.pending + counts.sent + counts.failed) as i64;
    (1..=last)
        .filter_map(|id| store.outbox_row(id).unwrap())
        .filter(|row| row.payload.contains(PHONE))
        .count()
}

/// Every file of the kiosk's database (WAL and shm too) holds no trace of the number.
fn no_phone_on_disk(rig: &Rig) {
    let db = rig.db_path();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            let found = bytes.windows(PHONE.len()).any(|w| w == PHONE.as_bytes());
            assert!(!found, "{path} holds the phone number in the clear");
        }
    }
}

#[test]
fn the_phone_left_with_a_ticket_gets_an_sms_at_three_ahead_and_at_the_call_then_is_forgotten() {
    crate::rig::on_ui_thread(|| {
        let mut rig = Rig::start();
        rig.wait_until_ready();
        // Four citizens before this one took tickets in area A at this kiosk.
        {
            let mut store = rig.store();
            for _ in 0..4 {
                store
                    .issue_ticket(
                        &NewTicket {
                            area_code: "A".into(),
                            phone: None,
                            service_day: kiosk::clock::service_day(),
                        },
                        chrono::Utc::now(),
                    )
                    .unwrap();
            }
        }
        rig.wait_for("the four tickets to reach the platform", |r| {
            r.store().outbox_counts().unwrap().sent == 4
        });

        // The platform is away while this citizen takes a ticket with a phone number.
        rig.stop_platform();
        rig.swipe_sample_card();
        rig.tap("取号");
        rig.tap("A  综合受理");
        for d in PHONE.chars() {
            rig.tap(&d.to_string());
        }
        rig.tap("打印号票");
        rig.wait_for("the ticket", |r| r.page() == Page::TicketDone);
        let number = rig.find("号码").accessible_value().unwrap().to_string();
        // Until it is sent, the kiosk keeps the number, sealed (never in the clear on disk).
        rig.wait_for("the ticket row", |r| {
            r.store().outbox_counts().unwrap().pending == 1
        });
        assert_eq!(rows_with_the_phone(&rig), 1, "kept until sent");
        no_phone_on_disk(&rig);

        rig.start_platform();
        rig.wait_for("the ticket to be sent", |r| {
            r.store().outbox_counts().unwrap().sent == 5
        });
        // Acknowledged: the kiosk holds the number no more.
        assert_eq!(rows_with_the_phone(&rig), 0, "the phone is gone once sent");
        no_phone_on_disk(&rig);

        // Four ahead at the upload: nothing yet. The counter clerk calls the first: three
        // ahead, the SMS; then the next three: no more until the call itself.
        let platform = client(&rig);
        let sms = |p: &PlatformClient| -> Vec<String> {
            p.sim_sms(Some(PHONE))
                .unwrap()
                .messages
                .into_iter()
                .map(|m| m.text)
                .collect()
        };
        assert!(sms(&platform).is_empty(), "four ahead: no SMS yet");
        platform.call_next("A").unwrap();
        let got = sms(&platform);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains(&number) && got[0].contains("前面还有 3 人"),
            "{got:?}"
        );
        for _ in 0..3 {
            platform.call_next("A").unwrap();
        }
        assert_eq!(sms(&platform).len(), 1, "told once");
        let called = platform.call_next("A").unwrap();
        assert_eq!(called.display_number, number);
        let got = sms(&platform);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[1].contains(&format!("请 {number} 号到综合受理窗口办理")),
            "{got:?}"
        );
    });
}
