//! Traffic fines: the sample citizens' fines (some paid, some overdue, one citizen with
//! none) and the payment orders kiosks create for them.
//!
//! A fine is paid exactly once: an order is bound to its kiosk's idempotency key (the
//! same request again returns the same order), a new order for a fine supersedes the
//! fine's older pending ones, and an order can only be paid while its fine is unpaid.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::ApiError;
use crate::api::traffic_fine::{
    late_fee_fen, Fine, FinePaid, FineQuery, HeldPayment, PaymentOrder, PaymentRequest,
    PaymentState, SimOutcome, SimSettle, VehicleType, ALREADY_PAID, AMOUNT_CHANGED, KEY_CONFLICT,
    UNKNOWN_FINE, UNKNOWN_ORDER,
};

/// Migration 10: fines and payment orders.
pub(crate) const MIGRATION_16: &str = r#"
    CREATE TABLE traffic_fines (
        decision_number TEXT PRIMARY KEY,
        plate           TEXT NOT NULL,
        vehicle         TEXT NOT NULL,
        offence_zh      TEXT NOT NULL,
        offence_en      TEXT NOT NULL,
        place_zh        TEXT NOT NULL,
        place_en        TEXT NOT NULL,
        occurred_on     TEXT NOT NULL,
        due_on          TEXT NOT NULL,
        points          INTEGER NOT NULL,
        amount_fen      INTEGER NOT NULL,
        paid_serial     TEXT,
        paid_at         TEXT
    );
    CREATE INDEX traffic_fines_by_plate ON traffic_fines (plate, vehicle);
    CREATE TABLE fine_payments (
        order_id        TEXT PRIMARY KEY,
        kiosk_id        TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        decision_number TEXT NOT NULL,
        amount_fen      INTEGER NOT NULL,
        holder          TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        state           TEXT NOT NULL,
        serial          TEXT,
        paid_at         TEXT,
        UNIQUE (kiosk_id, idempotency_key)
    );
    CREATE INDEX fine_payments_by_fine ON fine_payments (decision_number, state);
"#;

/// How long an order waits for the citizen's phone.
pub(crate) const ORDER_TTL: Duration = Duration::seconds(180);

/// A seeded fine: decision number, plate, vehicle, offence, place, days before today it
/// happened, days from the offence to its due date, points, fen, paid days ago.
type Seed = (
    &'static str,
    &'static str,
    VehicleType,
    (&'static str, &'static str),
    (&'static str, &'static str),
    i64,
    i64,
    u8,
    i64,
    Option<i64>,
);

/// The sample citizens' fines. Plates by card: 张伟 京A12345 (two unpaid, one overdue),
/// 刘洋 沪AD12345 (new energy: one long overdue, capped; one paid), 陈静 粤B8K9M7 (paid
/// only), 赵秀英 no vehicle and no fine, 阿依古丽 新A3C521 (one unpaid), 欧阳 粤AF16688 (one
/// unpaid, new energy).
const SEEDS: &[Seed] = &[
    (
        "1101051234567001",
        "京A12345",
        VehicleType::SmallCar,
        ("机动车违反禁令标志指示", "Ignoring a prohibition sign"),
        (
            "朝阳区建国路与东三环路口",
            "Jianguo Rd at East 3rd Ring Rd, Chaoyang",
        ),
        5,
        15,
        3,
        20_000,
        None,
    ),
    (
        "1101051234567002",
        "京A12345",
        VehicleType::SmallCar,
        ("机动车违反规定停放", "Parking where it is not allowed"),
        ("东城区东直门南大街", "Dongzhimen South St, Dongcheng"),
        25,
        15,
        0,
        20_000,
        None,
    ),
    (
        "3101041234567101",
        "沪AD12345",
        VehicleType::SmallNewEnergy,
        (
            "驾驶机动车超过规定时速20%以上未达50%",
            "Speeding by 20 % to 50 %",
        ),
        ("延安高架路（江苏路段）", "Yan'an Elevated Rd at Jiangsu Rd"),
        60,
        15,
        6,
        20_000,
        None,
    ),
    (
        "3101041234567102",
        "沪AD12345",
        VehicleType::SmallNewEnergy,
        ("不按规定车道行驶", "Driving in the wrong lane"),
        (
            "中山北路与共和新路路口",
            "Zhongshan North Rd at Gonghe New Rd",
        ),
        40,
        15,
        2,
        10_000,
        Some(20),
    ),
    (
        "440305123456701",
        "粤B8K9M7",
        VehicleType::SmallCar,
        ("机动车违反禁止标线指示", "Crossing a no-crossing line"),
        ("深南大道与科苑路交叉口", "Shennan Blvd at Keyuan Rd"),
        30,
        15,
        3,
        20_000,
        Some(10),
    ),
    (
        "6501021234567301",
        "新A3C521",
        VehicleType::SmallCar,
        (
            "驾驶时拨打接听手持电话",
            "Using a hand-held phone while driving",
        ),
        ("友好北路与北京路路口", "Youhao North Rd at Beijing Rd"),
        3,
        15,
        3,
        5_000,
        None,
    ),
    (
        "4401061234567401",
        "粤AF16688",
        VehicleType::SmallNewEnergy,
        (
            "遇行人正在通过人行横道时未停车让行",
            "Not stopping for a pedestrian at a crossing",
        ),
        ("天河路与体育西路路口", "Tianhe Rd at Tiyu West Rd"),
        18,
        15,
        3,
        20_000,
        None,
    ),
];

/// Adds the sample fines (dates counted back from `now`) unless they are there already.
pub(crate) fn seed(conn: &mut Connection, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let today = crate::api::hall_service_day(now);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (n, plate, vehicle, offence, place, ago, due_in, points, fen, paid) in SEEDS {
        let occurred = today - Duration::days(*ago);
        let paid_at = paid.map(|d| (now - Duration::days(d)).to_rfc3339());
        tx.execute(
            "INSERT OR IGNORE INTO traffic_fines (decision_number, plate, vehicle, offence_zh,
                 offence_en, place_zh, place_en, occurred_on, due_on, points, amount_fen,
                 paid_serial, paid_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                n,
                plate,
                vehicle_code(*vehicle),
                offence.0,
                offence.1,
                place.0,
                place.1,
                occurred.to_string(),
                (occurred + Duration::days(*due_in)).to_string(),
                points,
                fen,
                paid.map(|_| format!("PAY{}", &n[n.len() - 8..])),
                paid_at,
            ],
        )?;
    }
    tx.commit()
}

fn vehicle_code(v: VehicleType) -> &'static str {
    match v {
        VehicleType::SmallCar => "02",
        VehicleType::LargeCar => "01",
        VehicleType::SmallNewEnergy => "52",
        VehicleType::LargeNewEnergy => "51",
    }
}

fn vehicle_of(code: &str) -> VehicleType {
    VehicleType::ALL
        .into_iter()
        .find(|v| vehicle_code(*v) == code)
        .unwrap_or(VehicleType::SmallCar)
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap_or(NaiveDate::MIN)
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

const FINE_COLUMNS: &str = "decision_number, plate, vehicle, offence_zh, offence_en, place_zh,
     place_en, occurred_on, due_on, points, amount_fen, paid_serial, paid_at";

fn fine_row(r: &Row<'_>, today: NaiveDate) -> rusqlite::Result<Fine> {
    let due_on = date(&r.get::<_, String>(8)?);
    let amount_fen: i64 = r.get(10)?;
    let serial: Option<String> = r.get(11)?;
    let paid_at: Option<String> = r.get(12)?;
    let paid = serial.map(|serial| FinePaid {
        serial,
        paid_at: instant(paid_at.as_deref().unwrap_or("")),
    });
    let late_fee_fen = if paid.is_some() {
        0
    } else {
        late_fee_fen(amount_fen, due_on, today)
    };
    Ok(Fine {
        decision_number: r.get(0)?,
        plate: r.get(1)?,
        vehicle: vehicle_of(&r.get::<_, String>(2)?),
        offence_zh: r.get(3)?,
        offence_en: r.get(4)?,
        place_zh: r.get(5)?,
        place_en: r.get(6)?,
        occurred_on: date(&r.get::<_, String>(7)?),
        due_on,
        points: r.get(9)?,
        amount_fen,
        late_fee_fen,
        total_fen: if paid.is_some() {
            0
        } else {
            amount_fen + late_fee_fen
        },
        paid,
    })
}

/// The fines a query finds, unpaid first, newest first within each.
pub(crate) fn query(
    conn: &Connection,
    q: &FineQuery,
    today: NaiveDate,
) -> rusqlite::Result<Vec<Fine>> {
    let order = "ORDER BY paid_serial IS NOT NULL, occurred_on DESC, decision_number";
    let mut fines = Vec::new();
    match q {
        FineQuery::Decision { decision_number } => {
            let mut stmt = conn.prepare(&format!(
                "SELECT {FINE_COLUMNS} FROM traffic_fines WHERE decision_number = ?1 {order}"
            ))?;
            for f in stmt.query_map([decision_number], |r| fine_row(r, today))? {
                fines.push(f?);
            }
        }
        FineQuery::Plate { plate, vehicle } => {
            let mut stmt = conn.prepare(&format!(
                "SELECT {FINE_COLUMNS} FROM traffic_fines WHERE plate = ?1 AND vehicle = ?2 {order}"
            ))?;
            for f in stmt.query_map(params![plate, vehicle_code(*vehicle)], |r| {
                fine_row(r, today)
            })? {
                fines.push(f?);
            }
        }
    }
    Ok(fines)
}

fn fine(conn: &Connection, n: &str, today: NaiveDate) -> rusqlite::Result<Option<Fine>> {
    conn.query_row(
        &format!("SELECT {FINE_COLUMNS} FROM traffic_fines WHERE decision_number = ?1"),
        [n],
        |r| fine_row(r, today),
    )
    .optional()
}

const ORDER_COLUMNS: &str = "order_id, idempotency_key, decision_number, amount_fen, created_at,
     expires_at, state, serial, paid_at";

fn order_row(r: &Row<'_>, base: &str) -> rusqlite::Result<PaymentOrder> {
    let order_id: String = r.get(0)?;
    Ok(PaymentOrder {
        qr_payload: format!("{base}/pay/{order_id}"),
        order_id,
        idempotency_key: r.get(1)?,
        decision_number: r.get(2)?,
        amount_fen: r.get(3)?,
        created_at: instant(&r.get::<_, String>(4)?),
        expires_at: instant(&r.get::<_, String>(5)?),
        state: PaymentState::parse(&r.get::<_, String>(6)?).unwrap_or(PaymentState::Failed),
        serial: r.get(7)?,
        paid_at: r.get::<_, Option<String>>(8)?.map(|t| instant(&t)),
    })
}

/// Marks pending orders past their expiry as expired (orders are reckoned when read).
fn expire_due(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE fine_payments SET state = 'expired' WHERE state = 'pending' AND expires_at < ?1",
        [now.to_rfc3339()],
    )?;
    Ok(())
}

fn order_where(
    conn: &Connection,
    clause: &str,
    args: &[&dyn rusqlite::ToSql],
    base: &str,
) -> rusqlite::Result<Option<PaymentOrder>> {
    conn.query_row(
        &format!("SELECT {ORDER_COLUMNS} FROM fine_payments WHERE {clause}"),
        args,
        |r| order_row(r, base),
    )
    .optional()
}

fn unknown_order() -> ApiError {
    ApiError::new(404, UNKNOWN_ORDER, "no such payment order")
}

/// Creates the order for `req`, or returns the one this kiosk created with its key.
pub(crate) fn create(
    conn: &mut Connection,
    kiosk: &str,
    req: &PaymentRequest,
    now: DateTime<Utc>,
    base: &str,
) -> Result<PaymentOrder, ApiError> {
    let today = crate::api::hall_service_day(now);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    expire_due(&tx, now)?;
    if let Some(existing) = order_where(
        &tx,
        "kiosk_id = ?1 AND idempotency_key = ?2",
        &[&kiosk, &req.idempotency_key],
        base,
    )? {
        if existing.decision_number != req.decision_number || existing.amount_fen != req.amount_fen
        {
            return Err(ApiError::new(
                409,
                KEY_CONFLICT,
                "idempotency_key was first used for another fine or amount",
            ));
        }
        return Ok(existing);
    }
    let Some(fine) = fine(&tx, &req.decision_number, today)? else {
        return Err(ApiError::new(
            404,
            UNKNOWN_FINE,
            "no fine with that decision number",
        ));
    };
    if fine.paid.is_some() {
        return Err(ApiError::new(
            409,
            ALREADY_PAID,
            "this fine is paid already",
        ));
    }
    if fine.total_fen != req.amount_fen {
        return Err(ApiError::new(
            409,
            AMOUNT_CHANGED,
            format!("the total today is {} fen", fine.total_fen),
        ));
    }
    // Only one order per fine can be paid: the newest.
    tx.execute(
        "UPDATE fine_payments SET state = 'cancelled'
         WHERE decision_number = ?1 AND state = 'pending'",
        [&req.decision_number],
    )?;
    let order_id = format!(
        "PO{}{}",
        today.format("%Y%m%d"),
        &uuid::Uuid::new_v4().simple().to_string()[..10].to_ascii_uppercase()
    );
    tx.execute(
        "INSERT INTO fine_payments (order_id, kiosk_id, idempotency_key, decision_number,
             amount_fen, holder, created_at, expires_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending')",
        params![
            order_id,
            kiosk,
            req.idempotency_key,
            req.decision_number,
            req.amount_fen,
            req.holder,
            now.to_rfc3339(),
            (now + ORDER_TTL).to_rfc3339(),
        ],
    )?;
    let order = order_where(&tx, "order_id = ?1", &[&order_id], base)?.ok_or_else(unknown_order)?;
    tx.commit()?;
    Ok(order)
}

/// An order of `kiosk` by its id, reckoned at `now`.
pub(crate) fn get(
    conn: &Connection,
    kiosk: &str,
    order_id: &str,
    now: DateTime<Utc>,
    base: &str,
) -> Result<PaymentOrder, ApiError> {
    expire_due(conn, now)?;
    order_where(
        conn,
        "order_id = ?1 AND kiosk_id = ?2",
        &[&order_id, &kiosk],
        base,
    )?
    .ok_or_else(unknown_order)
}

/// An order of `kiosk` by the idempotency key it was created with.
pub(crate) fn by_key(
    conn: &Connection,
    kiosk: &str,
    key: &str,
    now: DateTime<Utc>,
    base: &str,
) -> Result<PaymentOrder, ApiError> {
    expire_due(conn, now)?;
    order_where(
        conn,
        "idempotency_key = ?1 AND kiosk_id = ?2",
        &[&key, &kiosk],
        base,
    )?
    .ok_or_else(unknown_order)
}

/// Cancels a pending order; any other state is left as it is and returned.
pub(crate) fn cancel(
    conn: &mut Connection,
    kiosk: &str,
    order_id: &str,
    now: DateTime<Utc>,
    base: &str,
) -> Result<PaymentOrder, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    expire_due(&tx, now)?;
    tx.execute(
        "UPDATE fine_payments SET state = 'cancelled'
         WHERE order_id = ?1 AND kiosk_id = ?2 AND state = 'pending'",
        params![order_id, kiosk],
    )?;
    let order = order_where(
        &tx,
        "order_id = ?1 AND kiosk_id = ?2",
        &[&order_id, &kiosk],
        base,
    )?
    .ok_or_else(unknown_order)?;
    tx.commit()?;
    Ok(order)
}

/// The simulator's stand-in for the payment app: pays, fails or expires a pending order
/// (the newest when none is named). Paying settles the fine, once.
pub(crate) fn settle(
    conn: &mut Connection,
    s: &SimSettle,
    now: DateTime<Utc>,
    base: &str,
) -> Result<PaymentOrder, ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    expire_due(&tx, now)?;
    let order = match &s.order_id {
        Some(id) => order_where(&tx, "order_id = ?1", &[id], base)?,
        None => order_where(
            &tx,
            "state = 'pending' ORDER BY created_at DESC, rowid DESC LIMIT 1",
            &[],
            base,
        )?,
    }
    .ok_or_else(unknown_order)?;
    if !order.state.is_open() {
        return Err(ApiError::new(
            409,
            "order_closed",
            format!("the order is {}", order.state.as_str()),
        ));
    }
    match s.outcome {
        SimOutcome::Pay => {
            let paid: Option<String> = tx.query_row(
                "SELECT paid_serial FROM traffic_fines WHERE decision_number = ?1",
                [&order.decision_number],
                |r| r.get(0),
            )?;
            if paid.is_some() {
                return Err(ApiError::new(
                    409,
                    ALREADY_PAID,
                    "this fine is paid already",
                ));
            }
            let serial = format!(
                "{}{}",
                now.format("%Y%m%d%H%M%S"),
                &uuid::Uuid::new_v4().simple().to_string()[..6].to_ascii_uppercase()
            );
            tx.execute(
                "UPDATE fine_payments SET state = 'paid', serial = ?2, paid_at = ?3
                 WHERE order_id = ?1",
                params![order.order_id, serial, now.to_rfc3339()],
            )?;
            tx.execute(
                "UPDATE traffic_fines SET paid_serial = ?2, paid_at = ?3
                 WHERE decision_number = ?1",
                params![order.decision_number, serial, now.to_rfc3339()],
            )?;
        }
        SimOutcome::Fail => {
            tx.execute(
                "UPDATE fine_payments SET state = 'failed' WHERE order_id = ?1",
                [&order.order_id],
            )?;
        }
        SimOutcome::Expire => {
            tx.execute(
                "UPDATE fine_payments SET state = 'expired', expires_at = ?2 WHERE order_id = ?1",
                params![order.order_id, now.to_rfc3339()],
            )?;
        }
    }
    let settled =
        order_where(&tx, "order_id = ?1", &[&order.order_id], base)?.ok_or_else(unknown_order)?;
    tx.commit()?;
    Ok(settled)
}

/// Every payment order, oldest first (the operator's holdings).
pub(crate) fn held(conn: &Connection) -> rusqlite::Result<Vec<HeldPayment>> {
    let mut stmt = conn.prepare(
        "SELECT order_id, kiosk_id, decision_number, amount_fen, state FROM fine_payments
         ORDER BY created_at, rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(HeldPayment {
            order_id: r.get(0)?,
            kiosk_id: r.get(1)?,
            decision_number: r.get(2)?,
            amount_fen: r.get(3)?,
            state: PaymentState::parse(&r.get::<_, String>(4)?).unwrap_or(PaymentState::Failed),
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::traffic_fine::parse_plate;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrate(&mut conn).unwrap();
        seed(&mut conn, Utc::now()).unwrap();
        // Seeding again adds nothing.
        seed(&mut conn, Utc::now()).unwrap();
        conn
    }

    fn request(key: &str, n: &str, fen: i64) -> PaymentRequest {
        PaymentRequest {
            idempotency_key: key.into(),
            decision_number: n.into(),
            amount_fen: fen,
            holder: "h".repeat(64),
        }
    }

    #[test]
    fn seeds_are_valid_and_cover_paid_overdue_and_capped_fines() {
        let conn = db();
        let today = crate::api::hall_service_day(Utc::now());
        for s in SEEDS {
            assert!(parse_plate(s.1, s.2).is_ok(), "{}", s.1);
        }
        let q = |plate: &str, vehicle| {
            query(
                &conn,
                &FineQuery::Plate {
                    plate: plate.into(),
                    vehicle,
                },
                today,
            )
            .unwrap()
        };
        let zhang = q("京A12345", VehicleType::SmallCar);
        assert_eq!(zhang.len(), 2);
        assert!(zhang.iter().all(Fine::is_consistent));
        // 10 days overdue: 30 % of ¥200.
        assert_eq!(zhang[1].late_fee_fen, 6_000);
        assert_eq!(zhang[1].total_fen, 26_000);
        let liu = q("沪AD12345", VehicleType::SmallNewEnergy);
        assert_eq!(liu[0].late_fee_fen, 20_000, "capped at the fine");
        assert!(liu[1].paid.is_some());
        assert!(q("京A12345", VehicleType::LargeCar).is_empty());
    }

    #[test]
    fn a_fine_is_paid_exactly_once() {
        let mut conn = db();
        let now = Utc::now();
        let n = "1101051234567001";
        let first = create(
            &mut conn,
            "k1",
            &request("key-1", n, 20_000),
            now,
            "http://x",
        )
        .unwrap();
        assert_eq!(first.state, PaymentState::Pending);
        // The same key again: the same order.
        let again = create(
            &mut conn,
            "k1",
            &request("key-1", n, 20_000),
            now,
            "http://x",
        )
        .unwrap();
        assert_eq!(again.order_id, first.order_id);
        // The key for another amount: refused.
        let err = create(&mut conn, "k1", &request("key-1", n, 1), now, "x").unwrap_err();
        assert_eq!(err.code, KEY_CONFLICT);
        // A wrong total: refused.
        let err = create(&mut conn, "k1", &request("key-2", n, 19_999), now, "x").unwrap_err();
        assert_eq!(err.code, AMOUNT_CHANGED);
        // A second order supersedes the first.
        let second = create(&mut conn, "k2", &request("key-2", n, 20_000), now, "x").unwrap();
        assert_eq!(
            get(&conn, "k1", &first.order_id, now, "x").unwrap().state,
            PaymentState::Cancelled
        );
        let settle_it = |conn: &mut Connection, id: &str| {
            settle(
                conn,
                &SimSettle {
                    order_id: Some(id.into()),
                    outcome: SimOutcome::Pay,
                },
                now,
                "x",
            )
        };
        assert!(settle_it(&mut conn, &first.order_id).is_err());
        let paid = settle_it(&mut conn, &second.order_id).unwrap();
        assert_eq!(paid.state, PaymentState::Paid);
        assert!(paid.serial.is_some());
        // Paid: no new order, and a cancel leaves it paid.
        let err = create(&mut conn, "k1", &request("key-3", n, 20_000), now, "x").unwrap_err();
        assert_eq!(err.code, ALREADY_PAID);
        assert_eq!(
            cancel(&mut conn, "k2", &second.order_id, now, "x")
                .unwrap()
                .state,
            PaymentState::Paid
        );
        let held = held(&conn).unwrap();
        assert_eq!(
            held.iter()
                .filter(|p| p.state == PaymentState::Paid)
                .count(),
            1
        );
    }

    #[test]
    fn an_unpaid_order_expires() {
        let mut conn = db();
        let now = Utc::now();
        let o = create(
            &mut conn,
            "k1",
            &request("key-1", "6501021234567301", 5_000),
            now,
            "x",
        )
        .unwrap();
        let later = now + ORDER_TTL + Duration::seconds(1);
        assert_eq!(
            by_key(&conn, "k1", "key-1", later, "x").unwrap().state,
            PaymentState::Expired
        );
        assert_eq!(
            by_key(&conn, "k2", "key-1", later, "x").unwrap_err().code,
            UNKNOWN_ORDER
        );
        assert_eq!(o.amount_fen, 5_000);
    }
}
