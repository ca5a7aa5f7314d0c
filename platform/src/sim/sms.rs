//! The simulator's SMS gateway: it records each message by number instead of sending it,
//! so a test (or the demo) reads what a citizen's phone would have received. Kept in the
//! simulator's database, so a restart (an outage test) forgets nothing.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use crate::api::sms::SmsMessage;

/// The gateway's table. Released migrations are never edited.
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE sms_messages (
        id      INTEGER PRIMARY KEY,
        number  TEXT NOT NULL,
        text    TEXT NOT NULL,
        sent_at TEXT NOT NULL
    );
    CREATE INDEX sms_by_number ON sms_messages (number, id);
    "#;

/// "Sends" `text` to `number`.
pub(crate) fn record(
    conn: &Connection,
    number: &str,
    text: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO sms_messages (number, text, sent_at) VALUES (?1, ?2, ?3)")?
        .execute(params![number, text, now.to_rfc3339()])?;
    conn.prepare_cached(
        "DELETE FROM sms_messages WHERE id <= (SELECT MAX(id) FROM sms_messages) - ?1",
    )?
    .execute([KEEP])?;
    tracing::info!(
        number = %crate::api::mask_phone(number),
        "platform sim: SMS recorded"
    );
    Ok(())
}

/// Messages kept at most (the oldest go first), so a long demo does not grow without end.
const KEEP: i64 = 1000;

/// Every message to `number` (every message when `None`), oldest first.
pub(crate) fn messages(
    conn: &Connection,
    number: Option<&str>,
) -> rusqlite::Result<Vec<SmsMessage>> {
    let mut stmt = conn.prepare_cached(
        "SELECT number, text, sent_at FROM sms_messages
         WHERE ?1 IS NULL OR number = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([number], |r| {
        let sent: String = r.get(2)?;
        Ok(SmsMessage {
            number: r.get(0)?,
            text: r.get(1)?,
            sent_at: DateTime::parse_from_rfc3339(&sent)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        2,
                        rusqlite::types::Type::Text,
                        e.into(),
                    )
                })?,
        })
    })?;
    rows.collect()
}
