//! Queue-ticket service: number leases, queue counts, calling, the
//! [`KIND_QUEUE_TICKET`] transaction and the follow page's view of a ticket.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::catalog::{area_exists, areas};
use super::{ApiError, Upload};
use crate::api::{
    AreaStatus, CallResult, HeldTicket, Lease, LeaseRequest, QueueStatus, QueueTicketTx,
    ServiceArea, KIND_QUEUE_TICKET, MAX_LEASE_SIZE,
};

/// Migration 5: queue counts kept up to date by uploads and calls, so the status every
/// kiosk polls is a lookup instead of a count over all of the day's tickets.
/// Released: never edit it; a change is a new migration in `super::MIGRATIONS`.
pub(crate) const MIGRATION_5: &str = r#"
    CREATE TABLE queue_counts (
        area_code   TEXT NOT NULL,
        service_day TEXT NOT NULL,
        waiting     INTEGER NOT NULL,
        last_called INTEGER,
        PRIMARY KEY (area_code, service_day)
    );
    INSERT INTO queue_counts (area_code, service_day, waiting, last_called)
        SELECT area_code, service_day,
               SUM(called_at IS NULL),
               MAX(CASE WHEN called_at IS NOT NULL THEN number END)
        FROM tickets GROUP BY area_code, service_day;
    "#;

/// The phone numbers left with tickets for silent calling (无声叫号): kept until the
/// ticket is called, then deleted. Released: never edit it.
pub(crate) const MIGRATION_SILENT_CALLING: &str = r#"
    CREATE TABLE ticket_phones (
        ticket_id        TEXT PRIMARY KEY,
        phone            TEXT NOT NULL,
        told_three_ahead INTEGER NOT NULL DEFAULT 0
    );
    "#;

/// Silent calling tells a citizen by SMS when this many people are ahead of them.
pub(crate) const SMS_WHEN_AHEAD: u32 = 3;

/// Allocates the next block of numbers of an area and day to `kiosk_id`.
pub(crate) fn lease(
    conn: &mut Connection,
    kiosk_id: &str,
    req: &LeaseRequest,
) -> Result<Lease, ApiError> {
    if req.size == 0 || req.size > MAX_LEASE_SIZE {
        return Err(ApiError::new(
            400,
            "bad_size",
            format!("size must be 1..={MAX_LEASE_SIZE}"),
        ));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if !area_exists(&tx, &req.area_code)? {
        return Err(unknown_area(&req.area_code));
    }
    let day = req.service_day.to_string();
    let next: u32 = tx
        .query_row(
            "SELECT next_number FROM lease_counters WHERE area_code = ?1 AND service_day = ?2",
            params![req.area_code, day],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(1);
    let last = next
        .checked_add(req.size - 1)
        .filter(|l| l.checked_add(1).is_some())
        .ok_or_else(|| ApiError::new(409, "numbers_exhausted", "no more numbers for that day"))?;
    tx.execute(
        "INSERT INTO lease_counters (area_code, service_day, next_number) VALUES (?1, ?2, ?3)
         ON CONFLICT (area_code, service_day) DO UPDATE SET next_number = excluded.next_number",
        params![req.area_code, day, last + 1],
    )?;
    let lease = Lease {
        lease_id: uuid::Uuid::new_v4().to_string(),
        area_code: req.area_code.clone(),
        service_day: req.service_day,
        first: next,
        last,
    };
    tx.execute(
        "INSERT INTO leases (lease_id, kiosk_id, area_code, service_day, first, last, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            lease.lease_id,
            kiosk_id,
            lease.area_code,
            day,
            lease.first,
            lease.last,
            Utc::now().to_rfc3339()
        ],
    )?;
    tx.commit()?;
    Ok(lease)
}

fn unknown_area(code: &str) -> ApiError {
    ApiError::new(404, "unknown_area", format!("unknown area {code:?}"))
}

/// Queue counts of every area for `day`.
pub(crate) fn queue_status(conn: &Connection, day: NaiveDate) -> Result<QueueStatus, ApiError> {
    let day_s = day.to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT waiting, last_called FROM queue_counts WHERE area_code = ?1 AND service_day = ?2",
    )?;
    let mut out = Vec::new();
    for area in areas(conn)? {
        let (waiting, last_called) = stmt
            .query_row(params![area.code, day_s], |r| {
                Ok((r.get::<_, u32>(0)?, r.get::<_, Option<u32>>(1)?))
            })
            .optional()?
            .unwrap_or((0, None));
        out.push(AreaStatus {
            code: area.code,
            waiting,
            last_called,
        });
    }
    Ok(QueueStatus {
        service_day: day,
        areas: out,
    })
}

/// Calls the next waiting ticket of an area on `day`: an appointment's priority ticket
/// first (in check-in order), then the lowest waiting number.
pub(crate) fn call_next(
    conn: &mut Connection,
    area_code: &str,
    day: NaiveDate,
) -> Result<CallResult, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if !area_exists(&tx, area_code)? {
        return Err(unknown_area(area_code));
    }
    let day_s = day.to_string();
    let next = tx
        .query_row(
            "SELECT ticket_id, number, display_number FROM tickets
             WHERE area_code = ?1 AND service_day = ?2 AND called_at IS NULL
             ORDER BY priority DESC, number LIMIT 1",
            params![area_code, day_s],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    let Some((ticket_id, number, display_number)) = next else {
        return Err(ApiError::new(
            404,
            "queue_empty",
            format!("nobody is waiting in area {area_code} on {day}"),
        ));
    };
    tx.execute(
        "UPDATE tickets SET called_at = ?2 WHERE ticket_id = ?1",
        params![ticket_id, Utc::now().to_rfc3339()],
    )?;
    tx.execute(
        "UPDATE queue_counts SET waiting = waiting - 1,
                last_called = max(coalesce(last_called, 0), ?3)
         WHERE area_code = ?1 AND service_day = ?2",
        params![area_code, day_s, number],
    )?;
    let phone: Option<String> = tx
        .query_row(
            "DELETE FROM ticket_phones WHERE ticket_id = ?1 RETURNING phone",
            [&ticket_id],
            |r| r.get(0),
        )
        .optional()?;
    let now = Utc::now();
    if let Some(phone) = phone {
        let (zh, en) = area_names(&tx, area_code)?;
        let text = format!(
            "【政务服务中心】请 {display_number} 号到{zh}窗口办理。\
             Number {display_number}: please go to the {en} counters now."
        );
        crate::sim::sms::record(&tx, &phone, &text, now)?;
    }
    tell_three_ahead(&tx, area_code, &day_s, now)?;
    tx.commit()?;
    Ok(CallResult {
        area_code: area_code.to_owned(),
        service_day: day,
        number,
        display_number,
    })
}

/// Stores a [`KIND_QUEUE_TICKET`] transaction (see [`super::StoreKind`]): the ticket, and
/// one more waiting in its area's queue count.
pub(crate) fn store(
    conn: &Connection,
    upload: &Upload<'_>,
    payload: &serde_json::Value,
) -> rusqlite::Result<Result<(), String>> {
    let ticket = match check_ticket(conn, upload.kiosk_id, payload)? {
        Ok(ticket) => ticket,
        Err(reason) => return Ok(Err(reason)),
    };
    conn.prepare_cached(
        "INSERT INTO tickets
           (ticket_id, kiosk_id, idempotency_key, area_code, service_day,
            number, display_number, issued_at, lease_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        ticket.ticket_id,
        upload.kiosk_id,
        upload.idempotency_key,
        ticket.area_code,
        ticket.service_day.to_string(),
        ticket.number,
        ticket.display_number,
        ticket.issued_at.to_rfc3339(),
        ticket.lease_id
    ])?;
    conn.prepare_cached(
        "INSERT INTO queue_counts (area_code, service_day, waiting)
         VALUES (?1, ?2, 1)
         ON CONFLICT (area_code, service_day) DO UPDATE
         SET waiting = waiting + 1",
    )?
    .execute(params![ticket.area_code, ticket.service_day.to_string()])?;
    if let Some(phone) = &ticket.phone {
        conn.prepare_cached("INSERT INTO ticket_phones (ticket_id, phone) VALUES (?1, ?2)")?
            .execute(params![ticket.ticket_id, phone])?;
        // An offline kiosk's late upload may land three ahead of someone, or be there itself.
        tell_three_ahead(
            conn,
            &ticket.area_code,
            &ticket.service_day.to_string(),
            Utc::now(),
        )?;
    }
    Ok(Ok(()))
}

/// The area's names (Chinese, English), its code when the catalog no longer has it.
fn area_names(conn: &Connection, code: &str) -> rusqlite::Result<(String, String)> {
    Ok(conn
        .prepare_cached("SELECT name_zh, name_en FROM areas WHERE code = ?1")?
        .query_row([code], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_else(|| (code.to_owned(), code.to_owned())))
}

/// Silent calling: the waiting ticket that now has [`SMS_WHEN_AHEAD`] people ahead of it
/// (in calling order: priority first, then number) gets its SMS, once, if it left a phone.
fn tell_three_ahead(
    conn: &Connection,
    area_code: &str,
    day: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let due: Option<(String, String, String)> = conn
        .prepare_cached(
            "SELECT t.ticket_id, t.display_number, p.phone FROM
               (SELECT ticket_id, display_number FROM tickets
                WHERE area_code = ?1 AND service_day = ?2 AND called_at IS NULL
                ORDER BY priority DESC, number LIMIT 1 OFFSET ?3) t
             JOIN ticket_phones p ON p.ticket_id = t.ticket_id
             WHERE p.told_three_ahead = 0",
        )?
        .query_row(params![area_code, day, SMS_WHEN_AHEAD], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((ticket_id, display, phone)) = due else {
        return Ok(());
    };
    let (zh, en) = area_names(conn, area_code)?;
    let text = format!(
        "【政务服务中心】您的 {display} 号（{zh}）前面还有 {SMS_WHEN_AHEAD} 人，请回到等候区留意叫号。\
         Number {display} ({en}): {SMS_WHEN_AHEAD} people ahead of you, please come back to the waiting area."
    );
    crate::sim::sms::record(conn, &phone, &text, now)?;
    conn.prepare_cached("UPDATE ticket_phones SET told_three_ahead = 1 WHERE ticket_id = ?1")?
        .execute([&ticket_id])?;
    Ok(())
}

/// Validates a queue ticket payload; `Ok(Err(reason))` means rejected.
fn check_ticket(
    conn: &Connection,
    kiosk_id: &str,
    payload: &serde_json::Value,
) -> rusqlite::Result<Result<QueueTicketTx, String>> {
    let ticket: QueueTicketTx = match super::payload(KIND_QUEUE_TICKET, payload) {
        Ok(t) => t,
        Err(reason) => return Ok(Err(reason)),
    };
    if uuid::Uuid::parse_str(&ticket.ticket_id).is_err() {
        return Ok(Err("ticket_id is not a UUID".to_owned()));
    }
    if !area_exists(conn, &ticket.area_code)? {
        return Ok(Err(format!("unknown area {:?}", ticket.area_code)));
    }
    if let Some(phone) = &ticket.phone {
        let mobile = phone.len() == 11
            && phone.starts_with('1')
            && phone.bytes().all(|b| b.is_ascii_digit());
        if !mobile {
            // Never echoed: the reason reaches the kiosk's staff screen.
            return Ok(Err(
                "phone is not an 11-digit mainland mobile number".to_owned()
            ));
        }
    }
    let day = ticket.service_day.to_string();
    let leased = conn
        .prepare_cached(
            "SELECT 1 FROM leases
             WHERE kiosk_id = ?1 AND area_code = ?2 AND service_day = ?3
               AND ?4 BETWEEN first AND last",
        )?
        .exists(params![kiosk_id, ticket.area_code, day, ticket.number])?;
    if !leased {
        return Ok(Err(format!(
            "number {} is outside every lease of this kiosk for area {} on {}",
            ticket.number, ticket.area_code, day
        )));
    }
    let id_taken = conn
        .prepare_cached("SELECT 1 FROM tickets WHERE ticket_id = ?1")?
        .exists([&ticket.ticket_id])?;
    if id_taken {
        return Ok(Err(
            "ticket_id already used by another transaction".to_owned()
        ));
    }
    let number_taken = conn
        .prepare_cached(
            "SELECT 1 FROM tickets WHERE area_code = ?1 AND service_day = ?2 AND number = ?3",
        )?
        .exists(params![ticket.area_code, day, ticket.number])?;
    if number_taken {
        return Ok(Err(format!(
            "number {} of area {} on {} is already held by another ticket",
            ticket.number, ticket.area_code, day
        )));
    }
    Ok(Ok(ticket))
}

/// Every ticket held, ordered by day, area, number (for [`super::holdings`]).
pub(crate) fn held_tickets(conn: &Connection) -> rusqlite::Result<Vec<HeldTicket>> {
    let mut stmt = conn.prepare(
        "SELECT kiosk_id, ticket_id, display_number, area_code, number, service_day,
                called_at IS NOT NULL
         FROM tickets ORDER BY service_day, area_code, number",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            HeldTicket {
                kiosk_id: r.get(0)?,
                ticket_id: r.get(1)?,
                display_number: r.get(2)?,
                area_code: r.get(3)?,
                number: r.get(4)?,
                service_day: NaiveDate::MIN,
                called: r.get(6)?,
            },
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut tickets = Vec::new();
    for row in rows {
        let (mut t, day) = row?;
        t.service_day = parse_day(&day)?;
        tickets.push(t);
    }
    Ok(tickets)
}

/// What the follow page of a ticket shows.
#[derive(Debug)]
pub(crate) struct FollowInfo {
    pub display_number: String,
    pub area: ServiceArea,
    pub service_day: NaiveDate,
    pub called: bool,
    /// Waiting tickets called before this one in the same area and day (priority ones
    /// first, then lower numbers).
    pub ahead: u32,
    pub issued_at: Option<DateTime<Utc>>,
}

/// The follow view of a ticket, `None` if unknown.
pub(crate) fn follow(conn: &Connection, ticket_id: &str) -> Result<Option<FollowInfo>, ApiError> {
    let row = conn
        .query_row(
            "SELECT t.display_number, t.area_code, t.service_day, t.number,
                    t.called_at IS NOT NULL, t.issued_at, t.priority
             FROM tickets t WHERE t.ticket_id = ?1",
            [ticket_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((display_number, area_code, day, number, called, issued_at, priority)) = row else {
        return Ok(None);
    };
    let ahead: u32 = if called {
        0
    } else {
        conn.query_row(
            // Priority tickets (appointments) are called first.
            "SELECT COUNT(*) FROM tickets
             WHERE area_code = ?1 AND service_day = ?2 AND called_at IS NULL
               AND (priority > ?4 OR (priority = ?4 AND number < ?3))",
            params![area_code, day, number, priority],
            |r| r.get(0),
        )?
    };
    let area = areas(conn)?
        .into_iter()
        .find(|a| a.code == area_code)
        .unwrap_or(ServiceArea {
            code: area_code,
            name_zh: String::new(),
            name_en: String::new(),
            description_zh: String::new(),
            description_en: String::new(),
            location_zh: String::new(),
            location_en: String::new(),
        });
    Ok(Some(FollowInfo {
        display_number,
        area,
        service_day: parse_day(&day)?,
        called,
        ahead,
        issued_at: DateTime::parse_from_rfc3339(&issued_at)
            .ok()
            .map(|d| d.with_timezone(&Utc)),
    }))
}

fn parse_day(s: &str) -> rusqlite::Result<NaiveDate> {
    s.parse::<NaiveDate>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}
