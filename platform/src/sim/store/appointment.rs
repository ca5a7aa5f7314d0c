//! Appointment service: the matters of the catalog, the open days and their slots, and the
//! [`KIND_APPOINTMENT_BOOK`] transaction (one booking per key; one citizen per slot time;
//! never more bookings than places).

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use rusqlite::{params, Connection, OptionalExtension};

use super::{ApiError, Upload};
use crate::api::appointment::{
    AppointmentBookTx, AppointmentCancelTx, HeldAppointment, HolderAppointment, HolderAppointments,
    Slot, SlotDay, SlotList, KIND_APPOINTMENT_BOOK, KIND_APPOINTMENT_CANCEL, REASON_ALREADY_BOOKED,
    REASON_NOT_BOOKABLE, REASON_SLOT_TAKEN, WORKING_DAYS,
};
use crate::api::Matter;

/// Migration 6: the matters a citizen can book (with what to bring and how many citizens
/// one slot takes), the days the hall is closed besides weekends, and the bookings.
/// Released: never edit it; a change is a new migration in `super::MIGRATIONS`.
pub(crate) const MIGRATION_6: &str = r#"
    CREATE TABLE matters (
        code          TEXT PRIMARY KEY,
        position      INTEGER NOT NULL,
        area_code     TEXT NOT NULL,
        name_zh       TEXT NOT NULL,
        name_en       TEXT NOT NULL,
        -- JSON arrays of strings.
        bring_zh      TEXT NOT NULL,
        bring_en      TEXT NOT NULL,
        slot_capacity INTEGER NOT NULL CHECK (slot_capacity > 0)
    );
    CREATE TABLE closed_days (
        day    TEXT PRIMARY KEY,
        reason TEXT NOT NULL
    );
    CREATE TABLE appointments (
        booking_id      TEXT PRIMARY KEY,
        kiosk_id        TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        matter_code     TEXT NOT NULL,
        day             TEXT NOT NULL,
        start           TEXT NOT NULL,
        holder          TEXT NOT NULL,
        booked_at       TEXT NOT NULL,
        -- One citizen, one appointment at a time.
        UNIQUE (holder, day, start)
    );
    CREATE INDEX appointments_by_slot ON appointments (matter_code, day, start);

    INSERT INTO matters (code, position, area_code, name_zh, name_en, bring_zh, bring_en,
                         slot_capacity) VALUES
        ('M01', 1, 'C', '居民身份证换领', 'Renew a resident ID card',
         '["原居民身份证","户口簿"]', '["Your current ID card","Household register"]', 3),
        ('M02', 2, 'B', '社保卡补办', 'Replace a social security card',
         '["居民身份证原件","近期一寸白底照片"]',
         '["Your ID card","A recent 1-inch photo on white"]', 2),
        ('M03', 3, 'C', '户口迁入', 'Move a household registration in',
         '["居民身份证","户口簿","准予迁入证明"]',
         '["Your ID card","Household register","Permit to move in"]', 2),
        ('M04', 4, 'D', '不动产权证书查询', 'Property certificate enquiry',
         '["居民身份证","不动产权证书或购房合同"]',
         '["Your ID card","Property certificate or purchase contract"]', 4);
    INSERT INTO closed_days (day, reason) VALUES
        ('2027-01-01', '元旦 New Year''s Day'),
        ('2027-02-05', '春节 Spring Festival'),
        ('2027-02-08', '春节 Spring Festival'),
        ('2027-02-09', '春节 Spring Festival'),
        ('2027-02-10', '春节 Spring Festival'),
        ('2027-02-11', '春节 Spring Festival'),
        ('2027-04-05', '清明节 Qingming'),
        ('2027-05-03', '劳动节 Labour Day'),
        ('2027-05-04', '劳动节 Labour Day'),
        ('2027-05-05', '劳动节 Labour Day');
    "#;

/// The slots of every open day (hall time): mornings and afternoons, half an hour each.
const SLOT_STARTS: [(u32, u32); 10] = [
    (9, 0),
    (9, 30),
    (10, 0),
    (10, 30),
    (11, 0),
    (14, 0),
    (14, 30),
    (15, 0),
    (15, 30),
    (16, 0),
];

/// Length of a slot.
const SLOT_MINUTES: i64 = 30;

fn slot_starts() -> impl Iterator<Item = NaiveTime> {
    SLOT_STARTS
        .iter()
        .filter_map(|(h, m)| NaiveTime::from_hms_opt(*h, *m, 0))
}

fn start_text(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// The matters in catalog order.
pub(crate) fn matters(conn: &Connection) -> rusqlite::Result<Vec<Matter>> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, area_code, name_zh, name_en, bring_zh, bring_en
         FROM matters ORDER BY position, code",
    )?;
    let rows = stmt.query_map([], |r| {
        let list = |i: usize| -> rusqlite::Result<Vec<String>> {
            let text: String = r.get(i)?;
            serde_json::from_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
            })
        };
        Ok(Matter {
            code: r.get(0)?,
            area_code: r.get(1)?,
            name_zh: r.get(2)?,
            name_en: r.get(3)?,
            bring_zh: list(4)?,
            bring_en: list(5)?,
        })
    })?;
    rows.collect()
}

fn capacity(conn: &Connection, matter: &str) -> rusqlite::Result<Option<u32>> {
    conn.prepare_cached("SELECT slot_capacity FROM matters WHERE code = ?1")?
        .query_row([matter], |r| r.get(0))
        .optional()
}

/// Whether the hall is open on `day` (not a weekend, not a closed day).
fn is_open(conn: &Connection, day: NaiveDate) -> rusqlite::Result<bool> {
    if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        return Ok(false);
    }
    Ok(!conn
        .prepare_cached("SELECT 1 FROM closed_days WHERE day = ?1")?
        .exists([day.to_string()])?)
}

/// The [`WORKING_DAYS`] working days after `today`: no weekend, no closed day.
fn window(conn: &Connection, today: NaiveDate) -> rusqlite::Result<Vec<NaiveDate>> {
    let mut days = Vec::with_capacity(WORKING_DAYS);
    let mut day = today;
    // A year is far more than 14 working days can need, even after a long holiday.
    for _ in 0..366 {
        if days.len() == WORKING_DAYS {
            break;
        }
        day += Duration::days(1);
        if is_open(conn, day)? {
            days.push(day);
        }
    }
    Ok(days)
}

/// The open days of the window from `from` on, with each slot's places left.
pub(crate) fn slots(
    conn: &Connection,
    matter: &str,
    from: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<SlotList, ApiError> {
    let Some(capacity) = capacity(conn, matter)? else {
        return Err(ApiError::new(
            404,
            "unknown_matter",
            format!("unknown matter {matter:?}"),
        ));
    };
    let mut taken = conn.prepare_cached(
        "SELECT COUNT(*) FROM appointments WHERE matter_code = ?1 AND day = ?2 AND start = ?3",
    )?;
    let mut days = Vec::new();
    for day in window(conn, today)? {
        if from.is_some_and(|f| day < f) {
            continue;
        }
        let mut slots = Vec::with_capacity(SLOT_STARTS.len());
        for start in slot_starts() {
            let booked: u32 = taken
                .query_row(params![matter, day.to_string(), start_text(start)], |r| {
                    r.get(0)
                })?;
            slots.push(Slot {
                start,
                end: start + Duration::minutes(SLOT_MINUTES),
                capacity,
                remaining: capacity.saturating_sub(booked),
            });
        }
        days.push(SlotDay { date: day, slots });
    }
    Ok(SlotList {
        matter_code: matter.to_owned(),
        days,
    })
}

/// Stores a [`KIND_APPOINTMENT_BOOK`] transaction (see [`super::StoreKind`]): the booking,
/// when the slot has a place and the citizen holds nothing else at that time.
pub(crate) fn store(
    conn: &Connection,
    upload: &Upload<'_>,
    payload: &serde_json::Value,
) -> rusqlite::Result<Result<(), String>> {
    let b: AppointmentBookTx = match super::payload(KIND_APPOINTMENT_BOOK, payload) {
        Ok(b) => b,
        Err(reason) => return Ok(Err(reason)),
    };
    if uuid::Uuid::parse_str(&b.booking_id).is_err() {
        return Ok(Err("booking_id is not a UUID".to_owned()));
    }
    if !crate::api::is_holder_hash(&b.holder) {
        return Ok(Err("holder is not a holder hash".to_owned()));
    }
    let Some(capacity) = capacity(conn, &b.matter_code)? else {
        return Ok(Err(format!("unknown matter {:?}", b.matter_code)));
    };
    let today = crate::api::hall_service_day(chrono::Utc::now());
    // A booking made offline may arrive a day late: any open day from today to the end
    // of the window is still bookable.
    let open_day = b.date >= today
        && window(conn, today)?
            .last()
            .is_some_and(|last| b.date <= *last)
        && is_open(conn, b.date)?;
    if !open_day || !slot_starts().any(|s| s == b.start) {
        return Ok(Err(format!(
            "{REASON_NOT_BOOKABLE}: {} {} is not an open slot",
            b.date,
            start_text(b.start)
        )));
    }
    let (day, start) = (b.date.to_string(), start_text(b.start));
    let holder = b.holder.to_ascii_lowercase();
    let id_taken = conn
        .prepare_cached("SELECT 1 FROM appointments WHERE booking_id = ?1")?
        .exists([&b.booking_id])?;
    if id_taken {
        return Ok(Err(
            "booking_id already used by another transaction".to_owned()
        ));
    }
    let holds = conn
        .prepare_cached("SELECT 1 FROM appointments WHERE holder = ?1 AND day = ?2 AND start = ?3")?
        .exists(params![holder, day, start])?;
    if holds {
        return Ok(Err(format!(
            "{REASON_ALREADY_BOOKED}: this citizen already has an appointment on {day} at {start}"
        )));
    }
    let booked: u32 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM appointments WHERE matter_code = ?1 AND day = ?2 AND start = ?3",
        )?
        .query_row(params![b.matter_code, day, start], |r| r.get(0))?;
    if booked >= capacity {
        return Ok(Err(format!(
            "{REASON_SLOT_TAKEN}: the {start} slot of {} on {day} is full",
            b.matter_code
        )));
    }
    conn.prepare_cached(
        "INSERT INTO appointments
           (booking_id, kiosk_id, idempotency_key, matter_code, day, start, holder, booked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        b.booking_id,
        upload.kiosk_id,
        upload.idempotency_key,
        b.matter_code,
        day,
        start,
        holder,
        chrono::Utc::now().to_rfc3339()
    ])?;
    Ok(Ok(()))
}

/// Stores a [`KIND_APPOINTMENT_CANCEL`] transaction (see [`super::StoreKind`]): the holder's
/// booking goes and its place is free again. Refused when the platform holds no booking of
/// that holder with that id (never booked, or cancelled already).
pub(crate) fn store_cancel(
    conn: &Connection,
    _upload: &Upload<'_>,
    payload: &serde_json::Value,
) -> rusqlite::Result<Result<(), String>> {
    let c: AppointmentCancelTx = match super::payload(KIND_APPOINTMENT_CANCEL, payload) {
        Ok(c) => c,
        Err(reason) => return Ok(Err(reason)),
    };
    let gone = conn
        .prepare_cached("DELETE FROM appointments WHERE booking_id = ?1 AND holder = ?2")?
        .execute(params![c.booking_id, c.holder.to_ascii_lowercase()])?;
    if gone == 0 {
        return Ok(Err(
            "unknown_booking: this holder has no booking with that id".to_owned(),
        ));
    }
    Ok(Ok(()))
}

fn parse_day(s: &str) -> rusqlite::Result<NaiveDate> {
    s.parse::<NaiveDate>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn parse_start(s: &str) -> rusqlite::Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Every booking held, by date, start, matter (for [`super::holdings`]).
pub(crate) fn held_appointments(conn: &Connection) -> rusqlite::Result<Vec<HeldAppointment>> {
    let mut stmt = conn.prepare(
        "SELECT kiosk_id, booking_id, matter_code, day, start FROM appointments
         ORDER BY day, start, matter_code, booking_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (kiosk_id, booking_id, matter_code, day, start) = row?;
        out.push(HeldAppointment {
            kiosk_id,
            booking_id,
            matter_code,
            date: parse_day(&day)?,
            start: parse_start(&start)?,
        });
    }
    Ok(out)
}

/// The holder's appointments from `today` on, soonest first.
pub(crate) fn of_holder(
    conn: &Connection,
    holder: &str,
    today: NaiveDate,
) -> Result<HolderAppointments, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT booking_id, matter_code, day, start FROM appointments
         WHERE holder = ?1 AND day >= ?2 ORDER BY day, start",
    )?;
    let rows = stmt.query_map(
        params![holder.to_ascii_lowercase(), today.to_string()],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        },
    )?;
    let mut appointments = Vec::new();
    for row in rows {
        let (booking_id, matter_code, day, start) = row?;
        let start = parse_start(&start)?;
        appointments.push(HolderAppointment {
            booking_id,
            matter_code,
            date: parse_day(&day)?,
            start,
            end: start + Duration::minutes(SLOT_MINUTES),
        });
    }
    Ok(HolderAppointments { appointments })
}

/// What the citizen's appointment page shows.
#[derive(Debug)]
pub(crate) struct BookingView {
    pub matter: Matter,
    pub date: NaiveDate,
    pub start: NaiveTime,
    /// `(name_zh, name_en)` of the matter's area.
    pub area: (String, String),
}

/// A booking by id, `None` if the platform holds none with it.
pub(crate) fn booking(
    conn: &Connection,
    booking_id: &str,
) -> Result<Option<BookingView>, ApiError> {
    let row = conn
        .query_row(
            "SELECT matter_code, day, start FROM appointments WHERE booking_id = ?1",
            [booking_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    let Some((matter_code, day, start)) = row else {
        return Ok(None);
    };
    let Some(matter) = matters(conn)?.into_iter().find(|m| m.code == matter_code) else {
        return Ok(None);
    };
    let area = conn
        .query_row(
            "SELECT name_zh, name_en FROM areas WHERE code = ?1",
            [&matter.area_code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or_else(|| (matter.area_code.clone(), matter.area_code.clone()));
    Ok(Some(BookingView {
        date: parse_day(&day)?,
        start: parse_start(&start)?,
        matter,
        area,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Transaction, TransactionBatch, TxStatus};
    use crate::sim::store::{holdings, migrate, open, upload, upsert_kiosks};

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open(&dir.path().join("platform.sqlite")).unwrap();
        migrate(&mut conn).unwrap();
        upsert_kiosks(&mut conn, &[("k".to_owned(), b"key".to_vec())]).unwrap();
        (dir, conn)
    }

    fn book(holder: &str, day: NaiveDate, start: NaiveTime) -> AppointmentBookTx {
        AppointmentBookTx {
            booking_id: uuid::Uuid::new_v4().to_string(),
            matter_code: "M02".into(),
            date: day,
            start,
            holder: crate::api::holder_hash(holder),
            phone: "13800138000".into(),
            requested_at: chrono::Utc::now(),
        }
    }

    fn send(conn: &mut Connection, key: &str, b: &AppointmentBookTx) -> (TxStatus, String) {
        let batch = TransactionBatch {
            transactions: vec![Transaction::appointment_book(key, b.requested_at, b).unwrap()],
        };
        let r = upload(conn, "k", &batch).unwrap().results.remove(0);
        (r.status, r.reason.unwrap_or_default())
    }

    /// Fourteen open days after a Monday: weekends and closed days are absent, and the
    /// window reaches past them.
    #[test]
    fn the_window_is_fourteen_working_days_without_weekends_or_closed_days() {
        let (_dir, conn) = db();
        // Monday 2026-12-28: New Year's Day 2027 (a Friday) is closed.
        let monday = NaiveDate::from_ymd_opt(2026, 12, 28).unwrap();
        let list = slots(&conn, "M01", None, monday).unwrap();
        let days: Vec<NaiveDate> = list.days.iter().map(|d| d.date).collect();
        assert_eq!(days.len(), WORKING_DAYS);
        assert!(days
            .iter()
            .all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
        assert!(!days.contains(&NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
        assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 12, 29).unwrap());
        assert_eq!(
            *days.last().unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 18).unwrap()
        );
        assert!(list.days[0].slots.iter().all(|s| s.remaining == 3));
        assert!(matches!(
            slots(&conn, "NOPE", None, monday),
            Err(ApiError { status: 404, .. })
        ));
    }

    /// The same request twice is one booking; a full slot and a second booking of the same
    /// citizen at the same time are refused with their reasons.
    #[test]
    fn bookings_fill_a_slot_once_each_and_one_citizen_holds_one_per_time() {
        let (_dir, mut conn) = db();
        let today = crate::api::hall_service_day(chrono::Utc::now());
        let day = window(&conn, today).unwrap()[0];
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let first = book("110101199003070015", day, nine);
        assert_eq!(send(&mut conn, "a", &first).0, TxStatus::Accepted);
        assert_eq!(send(&mut conn, "a", &first).0, TxStatus::Duplicate);
        let again = book("110101199003070015", day, nine);
        let (status, reason) = send(&mut conn, "b", &again);
        assert_eq!(status, TxStatus::Rejected);
        assert!(reason.starts_with(REASON_ALREADY_BOOKED), "{reason}");
        // M02 takes two per slot.
        assert_eq!(
            send(&mut conn, "c", &book("220101199003070011", day, nine)).0,
            TxStatus::Accepted
        );
        let (status, reason) = send(&mut conn, "d", &book("330101199003070012", day, nine));
        assert_eq!(status, TxStatus::Rejected);
        assert!(reason.starts_with(REASON_SLOT_TAKEN), "{reason}");
        let list = slots(&conn, "M02", None, today).unwrap();
        assert_eq!(list.days[0].slots[0].remaining, 0);
        assert_eq!(list.days[0].slots[1].remaining, 2);
        let mut odd = book("330101199003070012", day, nine);
        odd.start = NaiveTime::from_hms_opt(12, 15, 0).unwrap();
        let (status, reason) = send(&mut conn, "e", &odd);
        assert_eq!(status, TxStatus::Rejected);
        assert!(reason.starts_with(REASON_NOT_BOOKABLE), "{reason}");
        let held = holdings(&conn).unwrap();
        assert_eq!(held.appointments.len(), 2);
        let mine = of_holder(&conn, &first.holder, today).unwrap().appointments;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].booking_id, first.booking_id);
        assert!(of_holder(&conn, &"0".repeat(64), today)
            .unwrap()
            .appointments
            .is_empty());
        assert!(booking(&conn, &first.booking_id).unwrap().is_some());
        // Cancelled by its holder (once: a second time there is nothing to cancel), the
        // place is free again; nobody else can cancel it.
        let cancel = |holder: &str| AppointmentCancelTx {
            booking_id: first.booking_id.clone(),
            holder: holder.to_owned(),
            cancelled_at: chrono::Utc::now(),
        };
        let send_cancel = |conn: &mut Connection, key: &str, c: &AppointmentCancelTx| {
            let batch = TransactionBatch {
                transactions: vec![Transaction::appointment_cancel(key, c.cancelled_at, c).unwrap()],
            };
            upload(conn, "k", &batch).unwrap().results.remove(0).status
        };
        let stranger = cancel(&crate::api::holder_hash("330101199003070012"));
        assert_eq!(send_cancel(&mut conn, "x1", &stranger), TxStatus::Rejected);
        let mine = cancel(&first.holder);
        assert_eq!(send_cancel(&mut conn, "x2", &mine), TxStatus::Accepted);
        assert_eq!(send_cancel(&mut conn, "x3", &mine), TxStatus::Rejected);
        assert!(booking(&conn, &first.booking_id).unwrap().is_none());
        let list = slots(&conn, "M02", None, today).unwrap();
        assert_eq!(list.days[0].slots[0].remaining, 1);
    }
}
