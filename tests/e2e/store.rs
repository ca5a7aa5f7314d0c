//! Personal data at rest: the raw SQLite files (database and WAL) hold no sample citizen's ID
//! number, name or phone, neither while pending nor after sending and purging.

use chrono::Utc;
use kiosk::store::{LeaseInfo, NewTicket, Store};

const ID_NUMBER: &str = "11010519491231002X";
const NAME: &str = "张三丰";
const PHONE: &str = "13812345678";

fn raw_bytes(db: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{}{suffix}", db.display())) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn assert_clean(db: &std::path::Path, when: &str) {
    let bytes = raw_bytes(db);
    assert!(!bytes.is_empty());
    for secret in [ID_NUMBER, NAME, PHONE] {
        assert!(
            !contains(&bytes, secret),
            "{when}: found personal data in the raw file"
        );
    }
}

#[test]
fn the_raw_database_holds_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.sqlite");
    let (mut store, alarm) = Store::open_at_start(&db).unwrap();
    assert!(alarm.is_none());
    let now = Utc::now();
    let day = kiosk::clock::service_day();
    store
        .add_lease(
            &LeaseInfo {
                lease_id: "lease-1".into(),
                area_code: "A".into(),
                service_day: day,
                first: 1,
                last: 20,
            },
            now,
        )
        .unwrap();
    let ticket = store
        .issue_ticket(
            &NewTicket {
                area_code: "A".into(),
                phone: Some(PHONE.into()),
                service_day: day,
            },
            now,
        )
        .unwrap();
    // A transaction kind that carries a name and an ID number (e.g. a certificate order).
    let cert = store
        .enqueue(
            "certificate_order",
            &serde_json::json!({"name": NAME, "id_number": ID_NUMBER, "phone": PHONE}).to_string(),
            now,
        )
        .unwrap();
    // The store gives the data back to the sync worker...
    let row = store.outbox_row(cert).unwrap().unwrap();
    assert!(row.payload.contains(ID_NUMBER) && row.payload.contains(NAME));
    assert!(store
        .outbox_row(ticket.outbox_id)
        .unwrap()
        .unwrap()
        .payload
        .contains(PHONE));
    // ...but neither the database nor its WAL shows it.
    assert_clean(&db, "pending");

    store.mark_sent(&[ticket.outbox_id, cert], now).unwrap();
    assert_clean(&db, "sent");
    let purged = store
        .purge_sent(now + chrono::Duration::days(8), chrono::Duration::days(7))
        .unwrap();
    assert_eq!(purged.outbox_rows, 2);
    assert_eq!(purged.tickets, 1);
    assert_clean(&db, "purged");
    drop(store);
    assert_clean(&db, "closed");

    // The key is outside the database, readable by its owner only.
    let key = dir.path().join("store.key");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn without_its_key_the_database_does_not_give_payloads_away() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.sqlite");
    let mut store = Store::open(&db).unwrap();
    let id = store
        .enqueue(
            "certificate_order",
            &format!("{{\"name\":\"{NAME}\"}}"),
            Utc::now(),
        )
        .unwrap();
    drop(store);
    // Another key (the file stolen without its key file).
    let other_key = dir.path().join("other.key");
    kiosk::store::use_key_file(&db, &other_key);
    let store = Store::open(&db).unwrap();
    assert!(store.outbox_row(id).is_err());
}
