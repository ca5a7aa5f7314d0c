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
    tracing::info!(
        number = %crate::api::mask_phone(number),
        "platform sim: SMS recorded"
    );
    Ok(())
}

/// Every message to `number`, oldest first.
pub(crate) fn messages(conn: &Connection, number: &str) -> rusqlite::Result<Vec<SmsMessage>> {
    let mut stmt = conn.prepare_cached(
        "SELECT number, text, sent_at FROM sms_messages WHERE number = ?1 ORDER BY id",
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
