//! Appointment service: the matters of the catalog, the open days and their slots, and the
//! [`KIND_APPOINTMENT_BOOK`] transaction (one booking per key; one citizen per slot time;
//! never more bookings than places).

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{ApiError, Upload};
use crate::api::appointment::{
    priority_number, AppointmentBookTx, AppointmentCancelTx, AppointmentNotice, AppointmentNotices,
    BookingState, BookingSummary, CheckInAnswer, CheckInOutcome, CheckInWindow, HeldAppointment,
    HolderAppointment, HolderAppointments, NoticeOutcome, PriorityTicket, Slot, SlotDay, SlotList,
    KIND_APPOINTMENT_BOOK, KIND_APPOINTMENT_CANCEL, REASON_ALREADY_BOOKED, REASON_NOT_BOOKABLE,
    REASON_SLOT_TAKEN, WORKING_DAYS,
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

/// Migration 8: a booking keeps its state (confirmed, cancelled, checked in) instead of
/// going on cancellation, so the citizen's page can say "cancelled" and the check-in knows;
/// "one citizen, one appointment per time" then holds among the bookings not cancelled. The
/// answer to each booking request is kept per holder until a kiosk told the citizen
/// (`appointment_outcomes`, the refusals too). Tickets get a priority mark: a check-in's
/// ticket is called before the area's ordinary ones. Released with this build: never edit
/// it once shipped.
pub(crate) const MIGRATION_8: &str = r#"
    CREATE TABLE appointments_v7 (
        booking_id      TEXT PRIMARY KEY,
        kiosk_id        TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        matter_code     TEXT NOT NULL,
        day             TEXT NOT NULL,
        start           TEXT NOT NULL,
        holder          TEXT NOT NULL,
        booked_at       TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT 'confirmed'
                        CHECK (state IN ('confirmed', 'cancelled', 'checked_in')),
        cancelled_at    TEXT,
        checked_in_at   TEXT,
        ticket_id       TEXT,
        -- Sample data of the simulator, renewed when the hall's day changes.
        seeded          INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO appointments_v7
        (booking_id, kiosk_id, idempotency_key, matter_code, day, start, holder, booked_at)
        SELECT booking_id, kiosk_id, idempotency_key, matter_code, day, start, holder, booked_at
        FROM appointments;
    DROP TABLE appointments;
    ALTER TABLE appointments_v7 RENAME TO appointments;
    CREATE UNIQUE INDEX appointments_one_per_time ON appointments (holder, day, start)
        WHERE state != 'cancelled';
    CREATE INDEX appointments_by_slot ON appointments (matter_code, day, start);
    CREATE INDEX appointments_by_holder ON appointments (holder, day);

    CREATE TABLE appointment_outcomes (
        booking_id  TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        matter_code TEXT NOT NULL,
        day         TEXT NOT NULL,
        start       TEXT NOT NULL,
        outcome     TEXT NOT NULL
                    CHECK (outcome IN ('confirmed', 'slot_taken', 'already_booked', 'not_bookable')),
        decided_at  TEXT NOT NULL,
        seen_at     TEXT
    );
    CREATE INDEX appointment_outcomes_unseen ON appointment_outcomes (holder)
        WHERE seen_at IS NULL;

    ALTER TABLE tickets ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
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
        "SELECT COUNT(*) FROM appointments
         WHERE matter_code = ?1 AND day = ?2 AND start = ?3 AND state != 'cancelled'",
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
/// when the slot has a place and the citizen holds nothing else at that time. Either way the
/// answer is kept for the holder ([`notices`]): a booking that travelled through a kiosk's
/// outbox reaches the citizen at their next identification. That record is the one write a
/// refusal makes; it is keyed by the booking, so a second send of the row changes nothing
/// but a refusal that later succeeds (a place freed meanwhile).
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
    let id_taken = conn
        .prepare_cached("SELECT 1 FROM appointments WHERE booking_id = ?1")?
        .exists([&b.booking_id])?;
    if id_taken {
        return Ok(Err(
            "booking_id already used by another transaction".to_owned()
        ));
    }
    let answer = decide(conn, &b)?;
    let outcome = match &answer {
        Ok(()) => NoticeOutcome::Confirmed,
        Err((outcome, _)) => *outcome,
    };
    if matches!(outcome, NoticeOutcome::Confirmed) {
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
            b.date.to_string(),
            start_text(b.start),
            b.holder.to_ascii_lowercase(),
            Utc::now().to_rfc3339()
        ])?;
    }
    if capacity(conn, &b.matter_code)?.is_some() {
        record_outcome(conn, &b, outcome, Utc::now())?;
    }
    Ok(answer.map_err(|(_, reason)| reason))
}

/// Whether booking `b` can be had: the slot open, a place left, the holder free then.
fn decide(
    conn: &Connection,
    b: &AppointmentBookTx,
) -> rusqlite::Result<Result<(), (NoticeOutcome, String)>> {
    let Some(capacity) = capacity(conn, &b.matter_code)? else {
        return Ok(Err((
            NoticeOutcome::NotBookable,
            format!("unknown matter {:?}", b.matter_code),
        )));
    };
    let today = crate::api::hall_service_day(Utc::now());
    // A booking made offline may arrive a day late: any open day from today to the end
    // of the window is still bookable.
    let open_day = b.date >= today
        && window(conn, today)?
            .last()
            .is_some_and(|last| b.date <= *last)
        && is_open(conn, b.date)?;
    if !open_day || !slot_starts().any(|s| s == b.start) {
        return Ok(Err((
            NoticeOutcome::NotBookable,
            format!(
                "{REASON_NOT_BOOKABLE}: {} {} is not an open slot",
                b.date,
                start_text(b.start)
            ),
        )));
    }
    let (day, start) = (b.date.to_string(), start_text(b.start));
    let holder = b.holder.to_ascii_lowercase();
    let holds = conn
        .prepare_cached(
            "SELECT 1 FROM appointments
             WHERE holder = ?1 AND day = ?2 AND start = ?3 AND state != 'cancelled'",
        )?
        .exists(params![holder, day, start])?;
    if holds {
        return Ok(Err((
            NoticeOutcome::AlreadyBooked,
            format!(
                "{REASON_ALREADY_BOOKED}: this citizen already has an appointment on {day} at {start}"
            ),
        )));
    }
    let booked: u32 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM appointments
             WHERE matter_code = ?1 AND day = ?2 AND start = ?3 AND state != 'cancelled'",
        )?
        .query_row(params![b.matter_code, day, start], |r| r.get(0))?;
    if booked >= capacity {
        return Ok(Err((
            NoticeOutcome::SlotTaken,
            format!(
                "{REASON_SLOT_TAKEN}: the {start} slot of {} on {day} is full",
                b.matter_code
            ),
        )));
    }
    Ok(Ok(()))
}

fn outcome_text(o: NoticeOutcome) -> &'static str {
    match o {
        NoticeOutcome::Confirmed => "confirmed",
        NoticeOutcome::SlotTaken => "slot_taken",
        NoticeOutcome::AlreadyBooked => "already_booked",
        NoticeOutcome::NotBookable => "not_bookable",
    }
}

fn parse_outcome(s: &str) -> rusqlite::Result<NoticeOutcome> {
    Ok(match s {
        "confirmed" => NoticeOutcome::Confirmed,
        "slot_taken" => NoticeOutcome::SlotTaken,
        "already_booked" => NoticeOutcome::AlreadyBooked,
        "not_bookable" => NoticeOutcome::NotBookable,
        other => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                format!("unknown outcome {other:?}").into(),
            ))
        }
    })
}

/// Keeps the answer to booking `b` for its holder, unseen (a later answer to the same
/// booking replaces an earlier refusal; a confirmation already seen stays seen).
fn record_outcome(
    conn: &Connection,
    b: &AppointmentBookTx,
    outcome: NoticeOutcome,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO appointment_outcomes
           (booking_id, holder, matter_code, day, start, outcome, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (booking_id) DO UPDATE SET
           outcome = excluded.outcome, decided_at = excluded.decided_at,
           seen_at = CASE WHEN outcome = excluded.outcome THEN seen_at END",
    )?
    .execute(params![
        b.booking_id,
        b.holder.to_ascii_lowercase(),
        b.matter_code,
        b.date.to_string(),
        start_text(b.start),
        outcome_text(outcome),
        now.to_rfc3339()
    ])?;
    Ok(())
}

/// The holder's answers to booking requests that no kiosk has shown yet, oldest first.
pub(crate) fn notices(conn: &Connection, holder: &str) -> Result<AppointmentNotices, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT booking_id, matter_code, day, start, outcome FROM appointment_outcomes
         WHERE holder = ?1 AND seen_at IS NULL ORDER BY decided_at, booking_id",
    )?;
    let rows = stmt.query_map([holder.to_ascii_lowercase()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut notices = Vec::new();
    for row in rows {
        let (booking_id, matter_code, day, start, outcome) = row?;
        notices.push(AppointmentNotice {
            booking_id,
            matter_code,
            date: parse_day(&day)?,
            start: parse_start(&start)?,
            outcome: parse_outcome(&outcome)?,
        });
    }
    Ok(AppointmentNotices { notices })
}

/// Marks the holder's notices of `booking_ids` seen; returns how many were unseen.
pub(crate) fn notices_seen(
    conn: &Connection,
    holder: &str,
    booking_ids: &[String],
    now: DateTime<Utc>,
) -> Result<u32, ApiError> {
    let mut stmt = conn.prepare_cached(
        "UPDATE appointment_outcomes SET seen_at = ?3
         WHERE holder = ?1 AND booking_id = ?2 AND seen_at IS NULL",
    )?;
    let mut marked = 0;
    for id in booking_ids {
        marked += stmt.execute(params![holder.to_ascii_lowercase(), id, now.to_rfc3339()])? as u32;
    }
    Ok(marked)
}

/// Stores a [`KIND_APPOINTMENT_CANCEL`] transaction (see [`super::StoreKind`]): the holder's
/// booking is cancelled and its place is free again. Refused when the platform holds no
/// confirmed booking of that holder with that id (never booked, cancelled already, or
/// checked in).
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
        .prepare_cached(
            "UPDATE appointments SET state = 'cancelled', cancelled_at = ?3
             WHERE booking_id = ?1 AND holder = ?2 AND state = 'confirmed'",
        )?
        .execute(params![
            c.booking_id,
            c.holder.to_ascii_lowercase(),
            c.cancelled_at.to_rfc3339()
        ])?;
    if gone == 0 {
        return Ok(Err(
            "unknown_booking: this holder has no confirmed booking with that id".to_owned(),
        ));
    }
    Ok(Ok(()))
}

fn parse_state(s: &str) -> rusqlite::Result<BookingState> {
    Ok(match s {
        "confirmed" => BookingState::Confirmed,
        "cancelled" => BookingState::Cancelled,
        "checked_in" => BookingState::CheckedIn,
        other => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                format!("unknown state {other:?}").into(),
            ))
        }
    })
}

/// Hall-local time now.
fn hall_now(now: DateTime<Utc>) -> NaiveDateTime {
    let offset = chrono::FixedOffset::east_opt(crate::api::HALL_UTC_OFFSET_SECS)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset is valid"));
    now.with_timezone(&offset).naive_local()
}

/// Checks the citizen in for `booking_id` at `now`: on the day, within `window` of the
/// slot's start, the booking becomes `checked_in` and a priority ticket for the matter's
/// area joins the queue (the same ticket again on a second check-in); otherwise the
/// answer says why not. `None` when the platform holds no booking with that id.
pub(crate) fn check_in(
    conn: &mut Connection,
    kiosk_id: &str,
    booking_id: &str,
    now: DateTime<Utc>,
    window: CheckInWindow,
) -> Result<Option<CheckInAnswer>, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let row = tx
        .query_row(
            "SELECT a.matter_code, m.area_code, a.day, a.start, a.state, a.ticket_id
             FROM appointments a JOIN matters m ON m.code = a.matter_code
             WHERE a.booking_id = ?1",
            [booking_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((matter_code, area_code, day, start, state, ticket_id)) = row else {
        return Ok(None);
    };
    let (date, start) = (parse_day(&day)?, parse_start(&start)?);
    let state = parse_state(&state)?;
    let here = hall_now(now);
    let starts = date.and_time(start);
    let opens = starts - Duration::minutes(i64::from(window.before_min));
    let closes = starts + Duration::minutes(i64::from(window.after_min));
    let mut answer = CheckInAnswer {
        outcome: CheckInOutcome::CheckedIn,
        booking: BookingSummary {
            booking_id: booking_id.to_owned(),
            matter_code,
            area_code: area_code.clone(),
            date,
            start,
            end: start + Duration::minutes(SLOT_MINUTES),
            state,
        },
        ticket: None,
        opens_at: None,
        closes_at: None,
    };
    answer.outcome = match state {
        BookingState::Cancelled => CheckInOutcome::Cancelled,
        BookingState::CheckedIn => {
            // Checked in already (at this kiosk or another): the same ticket again.
            answer.ticket = match ticket_id {
                Some(id) => priority_ticket(&tx, &id)?,
                None => None,
            };
            CheckInOutcome::CheckedIn
        }
        BookingState::Confirmed if date != here.date() => CheckInOutcome::NotToday,
        BookingState::Confirmed if here < opens => {
            answer.opens_at = Some(opens.time());
            CheckInOutcome::TooEarly
        }
        BookingState::Confirmed if here > closes => {
            answer.closes_at = Some(closes.time());
            CheckInOutcome::TooLate
        }
        BookingState::Confirmed => {
            let ticket = issue_priority(&tx, kiosk_id, booking_id, &area_code, date, now)?;
            tx.execute(
                "UPDATE appointments SET state = 'checked_in', checked_in_at = ?2, ticket_id = ?3
                 WHERE booking_id = ?1",
                params![booking_id, now.to_rfc3339(), ticket.ticket_id],
            )?;
            answer.booking.state = BookingState::CheckedIn;
            answer.ticket = Some(ticket);
            CheckInOutcome::CheckedIn
        }
    };
    tx.commit()?;
    Ok(Some(answer))
}

/// A new priority ticket of `area` on `day`: its number comes from the area's day counter
/// that leases draw from (so it never collides with a kiosk's number), its printed number
/// from the area's own priority series; the queue counts it waiting.
fn issue_priority(
    conn: &Connection,
    kiosk_id: &str,
    booking_id: &str,
    area: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<PriorityTicket, ApiError> {
    let day_s = day.to_string();
    let number: u32 = conn
        .query_row(
            "SELECT next_number FROM lease_counters WHERE area_code = ?1 AND service_day = ?2",
            params![area, day_s],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(1);
    conn.execute(
        "INSERT INTO lease_counters (area_code, service_day, next_number) VALUES (?1, ?2, ?3)
         ON CONFLICT (area_code, service_day) DO UPDATE SET next_number = excluded.next_number",
        params![area, day_s, number + 1],
    )?;
    let series: u32 = conn.query_row(
        "SELECT COUNT(*) FROM tickets WHERE area_code = ?1 AND service_day = ?2 AND priority = 1",
        params![area, day_s],
        |r| r.get(0),
    )?;
    let ticket_id = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO tickets
           (ticket_id, kiosk_id, idempotency_key, area_code, service_day, number,
            display_number, issued_at, lease_id, priority)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)",
        params![
            ticket_id,
            kiosk_id,
            format!("check-in:{booking_id}"),
            area,
            day_s,
            number,
            priority_number(area, series + 1),
            now.to_rfc3339(),
            booking_id
        ],
    )?;
    conn.execute(
        "INSERT INTO queue_counts (area_code, service_day, waiting) VALUES (?1, ?2, 1)
         ON CONFLICT (area_code, service_day) DO UPDATE SET waiting = waiting + 1",
        params![area, day_s],
    )?;
    priority_ticket(conn, &ticket_id)?
        .ok_or_else(|| ApiError::new(500, "internal", "priority ticket not stored"))
}

/// A priority ticket by id, with the priority tickets of its area waiting before it.
fn priority_ticket(conn: &Connection, ticket_id: &str) -> rusqlite::Result<Option<PriorityTicket>> {
    let row = conn
        .query_row(
            "SELECT area_code, service_day, number, display_number FROM tickets
             WHERE ticket_id = ?1 AND priority = 1",
            [ticket_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((area_code, day, number, display_number)) = row else {
        return Ok(None);
    };
    let people_ahead: u32 = conn.query_row(
        "SELECT COUNT(*) FROM tickets WHERE area_code = ?1 AND service_day = ?2
           AND priority = 1 AND called_at IS NULL AND number < ?3",
        params![area_code, day, number],
        |r| r.get(0),
    )?;
    Ok(Some(PriorityTicket {
        ticket_id: ticket_id.to_owned(),
        area_code,
        display_number,
        service_day: parse_day(&day)?,
        people_ahead,
    }))
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

/// Every booking held (not cancelled), by date, start, matter (for [`super::holdings`]).
pub(crate) fn held_appointments(conn: &Connection) -> rusqlite::Result<Vec<HeldAppointment>> {
    let mut stmt = conn.prepare(
        "SELECT kiosk_id, booking_id, matter_code, day, start FROM appointments
         WHERE state != 'cancelled' ORDER BY day, start, matter_code, booking_id",
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

/// The holder's appointments from `today` on that are not cancelled, soonest first.
pub(crate) fn of_holder(
    conn: &Connection,
    holder: &str,
    today: NaiveDate,
) -> Result<HolderAppointments, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT booking_id, matter_code, day, start, state FROM appointments
         WHERE holder = ?1 AND day >= ?2 AND state != 'cancelled' ORDER BY day, start",
    )?;
    let rows = stmt.query_map(
        params![holder.to_ascii_lowercase(), today.to_string()],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        },
    )?;
    let mut appointments = Vec::new();
    for row in rows {
        let (booking_id, matter_code, day, start, state) = row?;
        let start = parse_start(&start)?;
        appointments.push(HolderAppointment {
            booking_id,
            matter_code,
            date: parse_day(&day)?,
            start,
            end: start + Duration::minutes(SLOT_MINUTES),
            state: parse_state(&state)?,
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
    /// Where it stands.
    pub state: BookingState,
    /// The priority ticket's number once checked in (`B-Y001`).
    pub ticket: Option<String>,
}

/// A booking by id, `None` if the platform holds none with it.
pub(crate) fn booking(
    conn: &Connection,
    booking_id: &str,
) -> Result<Option<BookingView>, ApiError> {
    let row = conn
        .query_row(
            "SELECT a.matter_code, a.day, a.start, a.state, t.display_number
             FROM appointments a LEFT JOIN tickets t ON t.ticket_id = a.ticket_id
             WHERE a.booking_id = ?1",
            [booking_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((matter_code, day, start, state, ticket)) = row else {
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
        state: parse_state(&state)?,
        ticket,
    }))
}

/// Kiosk id of the sample bookings.
const SEED_KIOSK: &str = "platform-seed";

/// The sample citizens' appointments in their different states, as the hall's day `now`
/// makes them (`crate::sim::cases::SAMPLE_HOLDER_ID_NUMBERS`): 张伟 one today, at the
/// quarter hour just begun (so the demo can check in at any hour), and one next week; 刘洋
/// a cancelled one and a past one he attended; 赵秀英 one confirmed from an offline booking,
/// not yet told; 阿依古丽·买买提 one today two hours on (check-in too early) and a request
/// refused while it waited in a kiosk's outbox (the slot filled), not yet told; 陈静 (whose
/// sample card is expired) and 欧阳䶮然 none. Renewed when the hall's day changes (fixed ids, so a restart on the same
/// day keeps them, checked in or cancelled as they were).
pub(crate) fn seed(conn: &mut Connection, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let here = hall_now(now);
    let today = here.date();
    let seeded_on: Option<String> = conn
        .query_row(
            "SELECT v FROM meta WHERE k = 'appointments_seeded_on'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if seeded_on.as_deref() == Some(today.to_string().as_str()) {
        return Ok(());
    }
    let days = window(conn, today)?;
    let day = |i: usize| days.get(i).copied().unwrap_or(today);
    let holder = |i: usize| crate::api::holder_hash(crate::sim::cases::SAMPLE_HOLDER_ID_NUMBERS[i]);
    // The quarter hour just begun: check-in (to 15 min after the start) is open now.
    let quarter = |t: NaiveTime| {
        let m = i64::from(t.hour()) * 60 + i64::from(t.minute());
        NaiveTime::MIN + Duration::minutes(m / 15 * 15)
    };
    let nearest = quarter(here.time());
    let later = quarter((here + Duration::hours(2)).time()).max(nearest);
    let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
    // The open day a week or so before today.
    let mut past = today - Duration::days(7);
    while !is_open(conn, past)? {
        past -= Duration::days(1);
    }
    // (id, holder, matter, day, start, state)
    let bookings = [
        (
            "5eed0000-0000-4000-8000-000000000001",
            0,
            "M02",
            today,
            nearest,
            "confirmed",
        ),
        (
            "5eed0000-0000-4000-8000-000000000002",
            0,
            "M01",
            day(4),
            hm(10, 0),
            "confirmed",
        ),
        (
            "5eed0000-0000-4000-8000-000000000003",
            1,
            "M04",
            day(2),
            hm(14, 0),
            "cancelled",
        ),
        (
            "5eed0000-0000-4000-8000-000000000004",
            1,
            "M01",
            past,
            hm(9, 30),
            "checked_in",
        ),
        (
            "5eed0000-0000-4000-8000-000000000006",
            3,
            "M03",
            day(1),
            hm(9, 0),
            "confirmed",
        ),
        (
            "5eed0000-0000-4000-8000-000000000007",
            4,
            "M04",
            today,
            later,
            "confirmed",
        ),
    ];
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "DELETE FROM appointment_outcomes WHERE booking_id IN
           (SELECT booking_id FROM appointments WHERE seeded = 1)
           OR booking_id LIKE '5eed0000-%'",
        [],
    )?;
    tx.execute("DELETE FROM appointments WHERE seeded = 1", [])?;
    for (id, who, matter, day, start, state) in bookings {
        tx.execute(
            "INSERT INTO appointments
               (booking_id, kiosk_id, idempotency_key, matter_code, day, start, holder,
                booked_at, state, seeded)
             VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, 1)",
            params![
                id,
                SEED_KIOSK,
                matter,
                day.to_string(),
                start_text(start),
                holder(who),
                now.to_rfc3339(),
                state
            ],
        )?;
    }
    // The answers 阿依古丽 and 赵秀英 have not been told of.
    let told = [
        (
            "5eed0000-0000-4000-8000-000000000005",
            4,
            "M02",
            day(3),
            hm(10, 30),
            NoticeOutcome::SlotTaken,
        ),
        (
            "5eed0000-0000-4000-8000-000000000006",
            3,
            "M03",
            day(1),
            hm(9, 0),
            NoticeOutcome::Confirmed,
        ),
    ];
    for (id, who, matter, day, start, outcome) in told {
        let b = AppointmentBookTx {
            booking_id: id.to_owned(),
            matter_code: matter.to_owned(),
            date: day,
            start,
            holder: holder(who),
            phone: String::new(),
            requested_at: now,
        };
        record_outcome(&tx, &b, outcome, now)?;
    }
    tx.execute(
        "INSERT INTO meta (k, v) VALUES ('appointments_seeded_on', ?1)
         ON CONFLICT (k) DO UPDATE SET v = excluded.v",
        [today.to_string()],
    )?;
    tx.commit()
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
        // The booking stays, cancelled (its page says so), and is no longer held or listed.
        assert_eq!(
            booking(&conn, &first.booking_id).unwrap().unwrap().state,
            BookingState::Cancelled
        );
        assert_eq!(holdings(&conn).unwrap().appointments.len(), 1);
        assert!(of_holder(&conn, &first.holder, today)
            .unwrap()
            .appointments
            .is_empty());
        // Its time is free for the same citizen again.
        let rebook = book("110101199003070015", day, nine);
        assert_eq!(send(&mut conn, "f", &rebook).0, TxStatus::Accepted);
        let list = slots(&conn, "M02", None, today).unwrap();
        assert_eq!(list.days[0].slots[0].remaining, 0);
    }

    /// One citizen cannot hold two appointments at the same time, even for two matters in
    /// two areas; the refusal is kept for the citizen like the confirmation.
    #[test]
    fn one_citizen_cannot_hold_two_matters_in_the_same_slot() {
        let (_dir, mut conn) = db();
        let today = crate::api::hall_service_day(chrono::Utc::now());
        let day = window(&conn, today).unwrap()[3];
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        let first = book("110101199003070015", day, ten);
        assert_eq!(send(&mut conn, "a", &first).0, TxStatus::Accepted);
        let mut other = book("110101199003070015", day, ten);
        other.matter_code = "M04".into();
        let (status, reason) = send(&mut conn, "b", &other);
        assert_eq!(status, TxStatus::Rejected);
        assert!(reason.starts_with(REASON_ALREADY_BOOKED), "{reason}");
        let n = notices(&conn, &first.holder).unwrap().notices;
        assert_eq!(n.len(), 2, "{n:?}");
        assert_eq!(n[0].outcome, NoticeOutcome::Confirmed);
        assert_eq!(n[1].outcome, NoticeOutcome::AlreadyBooked);
        assert_eq!(n[1].booking_id, other.booking_id);
        // Another half hour is fine.
        other.booking_id = uuid::Uuid::new_v4().to_string();
        other.start = NaiveTime::from_hms_opt(10, 30, 0).unwrap();
        assert_eq!(send(&mut conn, "c", &other).0, TxStatus::Accepted);
    }

    /// The answers wait for the holder until a kiosk says they were shown; a second send of
    /// the same row does not bring a seen answer back; a stranger cannot mark them.
    #[test]
    fn answers_wait_for_the_holder_until_marked_seen_once() {
        let (_dir, mut conn) = db();
        let today = crate::api::hall_service_day(chrono::Utc::now());
        let day = window(&conn, today).unwrap()[0];
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        // M02 takes two: the third citizen's request (queued offline) finds it full.
        for (key, id) in [("a", "220101199003070011"), ("b", "330101199003070012")] {
            assert_eq!(
                send(&mut conn, key, &book(id, day, nine)).0,
                TxStatus::Accepted
            );
        }
        let late = book("110101199003070015", day, nine);
        assert_eq!(send(&mut conn, "c", &late).0, TxStatus::Rejected);
        let mine = notices(&conn, &late.holder).unwrap().notices;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].outcome, NoticeOutcome::SlotTaken);
        assert_eq!((mine[0].date, mine[0].start), (day, nine));
        let now = chrono::Utc::now();
        let stranger = crate::api::holder_hash("220101199003070011");
        assert_eq!(
            notices_seen(
                &conn,
                &stranger,
                std::slice::from_ref(&late.booking_id),
                now
            )
            .unwrap(),
            0
        );
        assert_eq!(
            notices_seen(
                &conn,
                &late.holder,
                std::slice::from_ref(&late.booking_id),
                now
            )
            .unwrap(),
            1
        );
        assert_eq!(
            notices_seen(
                &conn,
                &late.holder,
                std::slice::from_ref(&late.booking_id),
                now
            )
            .unwrap(),
            0
        );
        assert!(notices(&conn, &late.holder).unwrap().notices.is_empty());
        // Sent again (staff retried the row): refused again, still seen.
        assert_eq!(send(&mut conn, "c", &late).0, TxStatus::Rejected);
        assert!(notices(&conn, &late.holder).unwrap().notices.is_empty());
    }

    fn insert_today(conn: &Connection, id: &str, day: NaiveDate, start: NaiveTime) {
        conn.execute(
            "INSERT INTO appointments
               (booking_id, kiosk_id, idempotency_key, matter_code, day, start, holder,
                booked_at)
             VALUES (?1, 'k', ?1, 'M02', ?2, ?3, ?4, '2026-12-01T00:00:00Z')",
            params![
                id,
                day.to_string(),
                start_text(start),
                crate::api::holder_hash(id)
            ],
        )
        .unwrap();
    }

    /// Hall time `h:m` on `day` as UTC (the hall is 8 h ahead).
    fn at(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
        let local = day.and_hms_opt(h, m, 0).unwrap();
        DateTime::from_naive_utc_and_offset(local - Duration::hours(8), Utc)
    }

    /// Check-in on the day from 30 minutes before to 15 after the start gives a priority
    /// ticket the queue calls first (the same one twice); otherwise the reason.
    #[test]
    fn check_in_within_the_window_gives_a_priority_ticket_called_first() {
        let (_dir, mut conn) = db();
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let w = CheckInWindow::default();
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        let id = "11111111-1111-4111-8111-111111111111";
        insert_today(&conn, id, day, ten);
        let ans = |conn: &mut Connection, h, m| {
            check_in(conn, "k", id, at(day, h, m), w).unwrap().unwrap()
        };
        let early = ans(&mut conn, 9, 29);
        assert_eq!(early.outcome, CheckInOutcome::TooEarly);
        assert_eq!(early.opens_at, NaiveTime::from_hms_opt(9, 30, 0));
        assert!(early.ticket.is_none());
        let late = ans(&mut conn, 10, 16);
        assert_eq!(late.outcome, CheckInOutcome::TooLate);
        assert_eq!(late.closes_at, NaiveTime::from_hms_opt(10, 15, 0));
        let other_day = check_in(&mut conn, "k", id, at(day + Duration::days(1), 10, 0), w)
            .unwrap()
            .unwrap();
        assert_eq!(other_day.outcome, CheckInOutcome::NotToday);
        // An ordinary ticket is waiting in area B already (number 1 of a kiosk's lease).
        conn.execute(
            "INSERT INTO tickets (ticket_id, kiosk_id, idempotency_key, area_code, service_day,
                                  number, display_number, issued_at, lease_id)
             VALUES ('t1', 'k', 't1', 'B', ?1, 1, 'B001', '2026-12-02T01:00:00Z', 'l')",
            [day.to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO lease_counters (area_code, service_day, next_number) VALUES ('B', ?1, 21)",
            [day.to_string()],
        )
        .unwrap();
        let ok = ans(&mut conn, 9, 45);
        assert_eq!(ok.outcome, CheckInOutcome::CheckedIn);
        assert_eq!(ok.booking.state, BookingState::CheckedIn);
        let ticket = ok.ticket.clone().unwrap();
        assert_eq!(ticket.display_number, "B-Y001");
        assert_eq!(ticket.area_code, "B");
        assert_eq!(ticket.people_ahead, 0);
        // Twice: the same ticket, no second one.
        let again = ans(&mut conn, 9, 50);
        assert_eq!(again.ticket.unwrap().ticket_id, ticket.ticket_id);
        assert_eq!(
            booking(&conn, id).unwrap().unwrap().ticket.as_deref(),
            Some("B-Y001")
        );
        // The queue knows it: counted waiting, called before B001, its follow page says 0 ahead.
        let status = super::super::queue_ticket::queue_status(&conn, day).unwrap();
        let b = status.areas.iter().find(|a| a.code == "B").unwrap();
        assert_eq!(
            b.waiting, 1,
            "the seeded B001 was inserted without its count"
        );
        let follow = super::super::queue_ticket::follow(&conn, &ticket.ticket_id)
            .unwrap()
            .unwrap();
        assert_eq!(follow.ahead, 0);
        let plain = super::super::queue_ticket::follow(&conn, "t1")
            .unwrap()
            .unwrap();
        assert_eq!(plain.ahead, 1);
        let called = super::super::queue_ticket::call_next(&mut conn, "B", day).unwrap();
        assert_eq!(called.display_number, "B-Y001");
        // A cancelled booking, and one the platform does not hold.
        let gone = "22222222-2222-4222-8222-222222222222";
        insert_today(&conn, gone, day, ten);
        conn.execute(
            "UPDATE appointments SET state = 'cancelled' WHERE booking_id = ?1",
            [gone],
        )
        .unwrap();
        let c = check_in(&mut conn, "k", gone, at(day, 9, 45), w)
            .unwrap()
            .unwrap();
        assert_eq!(c.outcome, CheckInOutcome::Cancelled);
        assert!(check_in(
            &mut conn,
            "k",
            "33333333-3333-4333-8333-333333333333",
            at(day, 9, 45),
            w
        )
        .unwrap()
        .is_none());
        // A wider window (the simulator's config) lets the early one in.
        let wide = CheckInWindow {
            before_min: 120,
            after_min: 15,
        };
        let third = "44444444-4444-4444-8444-444444444444";
        insert_today(&conn, third, day, ten);
        let ok = check_in(&mut conn, "k", third, at(day, 8, 30), wide)
            .unwrap()
            .unwrap();
        assert_eq!(ok.ticket.unwrap().display_number, "B-Y002");
    }

    /// The sample citizens hold appointments in their different states, once per day.
    #[test]
    fn the_sample_citizens_hold_appointments_in_every_state() {
        let (_dir, mut conn) = db();
        let now = chrono::Utc::now();
        seed(&mut conn, now).unwrap();
        seed(&mut conn, now).unwrap();
        let today = crate::api::hall_service_day(now);
        let holder =
            |i: usize| crate::api::holder_hash(crate::sim::cases::SAMPLE_HOLDER_ID_NUMBERS[i]);
        let zhang = of_holder(&conn, &holder(0), today).unwrap().appointments;
        assert_eq!(zhang.len(), 2, "{zhang:?}");
        assert_eq!(zhang[0].date, today);
        assert!(zhang[1].date > today + Duration::days(3));
        // 张伟 can check in now.
        let now_in = check_in(
            &mut conn,
            "k",
            &zhang[0].booking_id,
            now,
            CheckInWindow::default(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(now_in.outcome, CheckInOutcome::CheckedIn, "{now_in:?}");
        // 刘洋: nothing upcoming, a cancelled one and a past one.
        assert!(of_holder(&conn, &holder(1), today)
            .unwrap()
            .appointments
            .is_empty());
        let liu: Vec<(String, String)> = conn
            .prepare("SELECT state, day FROM appointments WHERE holder = ?1 ORDER BY day")
            .unwrap()
            .query_map([holder(1)], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(liu.len(), 2);
        assert!(
            liu[0].1 < today.to_string() && liu[1].0 == "cancelled",
            "{liu:?}"
        );
        // 阿依古丽 a refusal and 赵秀英 a confirmation, not yet told.
        let ayi = notices(&conn, &holder(4)).unwrap().notices;
        assert_eq!(ayi.len(), 1);
        assert_eq!(ayi[0].outcome, NoticeOutcome::SlotTaken);
        assert!(notices(&conn, &holder(2)).unwrap().notices.is_empty());
        let zhao = notices(&conn, &holder(3)).unwrap().notices;
        assert_eq!(zhao.len(), 1);
        assert_eq!(zhao[0].outcome, NoticeOutcome::Confirmed);
        assert_eq!(
            of_holder(&conn, &holder(3), today)
                .unwrap()
                .appointments
                .len(),
            1
        );
        // 欧阳䶮然: nothing at all.
        assert!(of_holder(&conn, &holder(5), today)
            .unwrap()
            .appointments
            .is_empty());
        assert!(notices(&conn, &holder(5)).unwrap().notices.is_empty());
        // A restart the same day keeps the check-in.
        seed(&mut conn, now).unwrap();
        assert_eq!(
            of_holder(&conn, &holder(0), today).unwrap().appointments[0].state,
            BookingState::CheckedIn
        );
    }
}
