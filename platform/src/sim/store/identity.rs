//! Identification without the card: the people the simulator knows (the sample cards'
//! holders, with the phone on file for each), the SMS codes it sent and the wrong tries
//! that close the typed route, and the electronic-ID codes it issued. Every rule takes the
//! time as an argument, so the tests walk a code's life without waiting.

use chrono::{DateTime, Utc};
use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::ApiError;
use crate::api::holder_hash;
use crate::api::identity::{
    mask_id_number, EidChecked, SmsCodeChecked, SmsCodeSent, EID_CODE_SECS, LOCK_SECS,
    MAX_WRONG_CODES, SMS_CODE_SECS,
};
use crate::codes::EID_PREFIX;
use crate::sim::cases::SAMPLE_HOLDER_ID_NUMBERS;

/// Migration 10: SMS codes (one waiting per holder), wrong tries and locks, e-ID codes.
/// Released: never edit it; a change is a new migration in `super::MIGRATIONS`.
pub(crate) const MIGRATION_13: &str = r#"
    CREATE TABLE identity_sms_codes (
        holder    TEXT PRIMARY KEY,
        code      TEXT NOT NULL,
        issued_at INTEGER NOT NULL
    );
    CREATE TABLE identity_tries (
        holder       TEXT PRIMARY KEY,
        wrong        INTEGER NOT NULL,
        locked_until INTEGER
    );
    CREATE TABLE identity_eid_codes (
        token     TEXT PRIMARY KEY,
        holder    TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        used_at   INTEGER
    );
    "#;

/// The sample cards' holders as the platform's population register knows them: name and
/// the mobile number on file (赵秀英 has none, so the typed route can say so).
const PEOPLE: [(&str, Option<&str>); 6] = [
    ("张伟", Some("13800138000")),
    ("刘洋", Some("13912345678")),
    ("陈静", Some("13700137000")),
    ("赵秀英", None),
    ("阿依古丽·买买提", Some("15099110000")),
    ("欧阳䶮然", Some("18600186000")),
];

/// A person the simulator knows.
pub(crate) struct Person {
    /// Full ID number (the simulator is the platform: it may know it).
    pub id_number: &'static str,
    /// Name.
    pub name: &'static str,
    /// Mobile number on file.
    pub phone: Option<&'static str>,
}

/// The person with this holder hash.
pub(crate) fn person(holder: &str) -> Option<Person> {
    let holder = holder.to_ascii_lowercase();
    SAMPLE_HOLDER_ID_NUMBERS
        .iter()
        .zip(PEOPLE)
        .find(|(id, _)| holder_hash(id) == holder)
        .map(|(id, (name, phone))| Person {
            id_number: id,
            name,
            phone,
        })
}

/// Sample citizen `index` (the card simulator's order).
pub(crate) fn sample(index: usize) -> Option<Person> {
    let id = SAMPLE_HOLDER_ID_NUMBERS.get(index)?;
    person(&holder_hash(id))
}

/// The text of the SMS that carries `code`.
pub(crate) fn sms_text(code: &str) -> String {
    format!(
        "【示范市政务服务中心】您的身份核验码为{code}，{} 分钟内有效，仅限本人使用。如非本人操作，请忽略。",
        SMS_CODE_SECS / 60
    )
}

/// Seconds the typed route stays closed for `holder`, if it is closed at `now`; a lock
/// that has run out is lifted (and the wrong tries forgotten).
fn locked_for(conn: &Connection, holder: &str, now: i64) -> rusqlite::Result<Option<i64>> {
    let until: Option<Option<i64>> = conn
        .query_row(
            "SELECT locked_until FROM identity_tries WHERE holder = ?1",
            [holder],
            |r| r.get(0),
        )
        .optional()?;
    match until.flatten() {
        Some(until) if until > now => Ok(Some(until - now)),
        Some(_) => {
            conn.execute("DELETE FROM identity_tries WHERE holder = ?1", [holder])?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// An SMS to send: the number on file and the code.
pub(crate) type OutgoingSms = (&'static str, String);

/// Sends a code to the phone on file for `holder`: returns the answer and, when a code
/// is to go out, the number and the code (the caller hands them to the SMS gateway). A
/// new code replaces any code still waiting; the wrong tries are kept, so asking for a
/// new code does not reopen a route about to close.
pub(crate) fn send_code(
    conn: &mut Connection,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<(SmsCodeSent, Option<OutgoingSms>), ApiError> {
    let holder = holder.to_ascii_lowercase();
    let now = now.timestamp();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(seconds_left) = locked_for(&tx, &holder, now)? {
        tx.commit()?;
        return Ok((SmsCodeSent::Locked { seconds_left }, None));
    }
    let Some(phone) = person(&holder).and_then(|p| p.phone) else {
        tx.commit()?;
        return Ok((SmsCodeSent::NoPhone, None));
    };
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    tx.execute(
        "INSERT INTO identity_sms_codes (holder, code, issued_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (holder) DO UPDATE SET code = excluded.code, issued_at = excluded.issued_at",
        params![holder, code, now],
    )?;
    tx.commit()?;
    Ok((
        SmsCodeSent::Sent {
            masked_phone: crate::api::mask_phone(phone),
            expires_in_s: SMS_CODE_SECS,
        },
        Some((phone, code)),
    ))
}

/// Checks a typed code: right once (then used up), wrong counts toward the lock, expired
/// after [`SMS_CODE_SECS`].
pub(crate) fn check_code(
    conn: &mut Connection,
    holder: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<SmsCodeChecked, ApiError> {
    let holder = holder.to_ascii_lowercase();
    let now = now.timestamp();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let answer = (|| -> Result<SmsCodeChecked, ApiError> {
        if let Some(seconds_left) = locked_for(&tx, &holder, now)? {
            return Ok(SmsCodeChecked::Locked { seconds_left });
        }
        let waiting: Option<(String, i64)> = tx
            .query_row(
                "SELECT code, issued_at FROM identity_sms_codes WHERE holder = ?1",
                [&holder],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((sent, issued_at)) = waiting else {
            return Ok(SmsCodeChecked::NoCode);
        };
        if now - issued_at >= SMS_CODE_SECS {
            return Ok(SmsCodeChecked::Expired);
        }
        if sent == code {
            tx.execute(
                "DELETE FROM identity_sms_codes WHERE holder = ?1",
                [&holder],
            )?;
            tx.execute("DELETE FROM identity_tries WHERE holder = ?1", [&holder])?;
            let name = person(&holder).map_or("", |p| p.name).to_owned();
            return Ok(SmsCodeChecked::Verified { name });
        }
        let wrong: u32 = tx.query_row(
            "INSERT INTO identity_tries (holder, wrong) VALUES (?1, 1)
             ON CONFLICT (holder) DO UPDATE SET wrong = wrong + 1
             RETURNING wrong",
            [&holder],
            |r| r.get(0),
        )?;
        if wrong >= MAX_WRONG_CODES {
            tx.execute(
                "UPDATE identity_tries SET locked_until = ?2 WHERE holder = ?1",
                params![holder, now + LOCK_SECS],
            )?;
            // The code goes too: after the lock a new one must be asked for.
            tx.execute(
                "DELETE FROM identity_sms_codes WHERE holder = ?1",
                [&holder],
            )?;
        }
        Ok(SmsCodeChecked::Wrong {
            tries_left: MAX_WRONG_CODES.saturating_sub(wrong),
        })
    })()?;
    tx.commit()?;
    Ok(answer)
}

/// A new electronic-ID code for sample citizen `index` (what their e-ID app would show):
/// the QR payload.
pub(crate) fn issue_eid(
    conn: &Connection,
    index: usize,
    now: DateTime<Utc>,
) -> Result<Option<String>, ApiError> {
    let Some(p) = sample(index) else {
        return Ok(None);
    };
    let token = uuid::Uuid::new_v4().simple().to_string();
    conn.execute(
        "INSERT INTO identity_eid_codes (token, holder, issued_at) VALUES (?1, ?2, ?3)",
        params![token, holder_hash(p.id_number), now.timestamp()],
    )?;
    Ok(Some(format!("{EID_PREFIX}{token}")))
}

/// Checks an electronic-ID code: good once within [`EID_CODE_SECS`].
pub(crate) fn check_eid(
    conn: &mut Connection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<EidChecked, ApiError> {
    let now = now.timestamp();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let row: Option<(String, i64, Option<i64>)> = tx
        .query_row(
            "SELECT holder, issued_at, used_at FROM identity_eid_codes WHERE token = ?1",
            [token],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let answer = match row {
        None => EidChecked::Invalid,
        Some((_, _, Some(_))) => EidChecked::Used,
        Some((_, issued_at, None)) if now - issued_at >= EID_CODE_SECS => EidChecked::Expired,
        Some((holder, _, None)) => match person(&holder) {
            None => EidChecked::Invalid,
            Some(p) => {
                tx.execute(
                    "UPDATE identity_eid_codes SET used_at = ?2 WHERE token = ?1",
                    params![token, now],
                )?;
                EidChecked::Verified {
                    holder,
                    name: p.name.to_owned(),
                    masked_id: mask_id_number(p.id_number),
                }
            }
        },
    };
    tx.commit()?;
    Ok(answer)
}

/// Simulator only: every code and lock `secs` older, so a test sees a code expire or a
/// lock run out without waiting.
pub(crate) fn age(conn: &Connection, secs: i64) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE identity_sms_codes SET issued_at = issued_at - ?1",
        [secs],
    )?;
    conn.execute(
        "UPDATE identity_eid_codes SET issued_at = issued_at - ?1",
        [secs],
    )?;
    conn.execute(
        "UPDATE identity_tries SET locked_until = locked_until - ?1
         WHERE locked_until IS NOT NULL",
        [secs],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::sim::store::migrate(&mut conn).unwrap();
        conn
    }
    fn zhang() -> String {
        holder_hash(SAMPLE_HOLDER_ID_NUMBERS[0])
    }
    fn sent(conn: &mut Connection, holder: &str, now: DateTime<Utc>) -> String {
        match send_code(conn, holder, now).unwrap() {
            (SmsCodeSent::Sent { masked_phone, .. }, Some((phone, code))) => {
                assert_eq!(masked_phone, "138****8000");
                assert_eq!(phone, "13800138000");
                code
            }
            other => panic!("not sent: {:?}", other.0),
        }
    }
    fn wrong(code: &str) -> String {
        format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
    }

    #[test]
    fn a_code_works_once_and_not_after_five_minutes() {
        let mut conn = db();
        let t0 = Utc::now();
        let code = sent(&mut conn, &zhang(), t0);
        assert_eq!(
            check_code(&mut conn, &zhang(), &code, t0 + Duration::seconds(299)).unwrap(),
            SmsCodeChecked::Verified {
                name: "张伟".into()
            }
        );
        assert_eq!(
            check_code(&mut conn, &zhang(), &code, t0).unwrap(),
            SmsCodeChecked::NoCode,
            "single use"
        );
        let code = sent(&mut conn, &zhang(), t0);
        assert_eq!(
            check_code(&mut conn, &zhang(), &code, t0 + Duration::seconds(300)).unwrap(),
            SmsCodeChecked::Expired
        );
        // A new code replaces the old one.
        let old = sent(&mut conn, &zhang(), t0);
        let new = sent(&mut conn, &zhang(), t0);
        if old != new {
            assert!(matches!(
                check_code(&mut conn, &zhang(), &old, t0).unwrap(),
                SmsCodeChecked::Wrong { tries_left: 4 }
            ));
        }
    }

    #[test]
    fn five_wrong_codes_close_the_route_for_fifteen_minutes() {
        let mut conn = db();
        let t0 = Utc::now();
        let code = sent(&mut conn, &zhang(), t0);
        for left in (0..5).rev() {
            assert_eq!(
                check_code(&mut conn, &zhang(), &wrong(&code), t0).unwrap(),
                SmsCodeChecked::Wrong { tries_left: left }
            );
        }
        let later = t0 + Duration::seconds(60);
        assert_eq!(
            check_code(&mut conn, &zhang(), &code, later).unwrap(),
            SmsCodeChecked::Locked {
                seconds_left: LOCK_SECS - 60
            },
            "even the right code is refused while locked"
        );
        assert!(matches!(
            send_code(&mut conn, &zhang(), later).unwrap(),
            (SmsCodeSent::Locked { .. }, None)
        ));
        // Another person is not affected.
        let liu = holder_hash(SAMPLE_HOLDER_ID_NUMBERS[1]);
        assert!(send_code(&mut conn, &liu, later).unwrap().1.is_some());
        // After the lock, a new code works and the count starts again.
        let open = t0 + Duration::seconds(LOCK_SECS);
        let code = sent(&mut conn, &zhang(), open);
        assert_eq!(
            check_code(&mut conn, &zhang(), &wrong(&code), open).unwrap(),
            SmsCodeChecked::Wrong { tries_left: 4 }
        );
        assert!(matches!(
            check_code(&mut conn, &zhang(), &code, open).unwrap(),
            SmsCodeChecked::Verified { .. }
        ));
    }

    #[test]
    fn no_phone_on_file_and_unknown_people_get_no_code() {
        let mut conn = db();
        let zhao = holder_hash(SAMPLE_HOLDER_ID_NUMBERS[3]);
        let unknown = holder_hash("110101199001011237");
        for h in [zhao, unknown] {
            assert!(matches!(
                send_code(&mut conn, &h, Utc::now()).unwrap(),
                (SmsCodeSent::NoPhone, None)
            ));
        }
    }

    #[test]
    fn an_eid_code_is_good_once_for_three_minutes() {
        let mut conn = db();
        let t0 = Utc::now();
        let payload = issue_eid(&conn, 1, t0).unwrap().unwrap();
        let token = crate::codes::parse_eid_code(&payload).expect("the kiosk can read it");
        match check_eid(&mut conn, &token, t0 + Duration::seconds(179)).unwrap() {
            EidChecked::Verified {
                holder,
                name,
                masked_id,
            } => {
                assert_eq!(holder, holder_hash(SAMPLE_HOLDER_ID_NUMBERS[1]));
                assert_eq!(name, "刘洋");
                assert_eq!(masked_id, "310104********127X");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(check_eid(&mut conn, &token, t0).unwrap(), EidChecked::Used);
        let payload = issue_eid(&conn, 0, t0).unwrap().unwrap();
        let token = crate::codes::parse_eid_code(&payload).unwrap();
        assert_eq!(
            check_eid(&mut conn, &token, t0 + Duration::seconds(180)).unwrap(),
            EidChecked::Expired
        );
        assert_eq!(
            check_eid(&mut conn, "0123456789abcdef0123", t0).unwrap(),
            EidChecked::Invalid
        );
        assert_eq!(issue_eid(&conn, 6, t0).unwrap(), None);
    }
}
