//! Remote commands: queued by an operator (the simulator's `POST /control/commands`),
//! handed to the kiosk in every heartbeat answer until the kiosk acknowledges them.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::ApiError;
use crate::api::commands::{
    BundleList, BundleReceipt, CommandAck, CommandKind, CommandList, QueueCommand, QueuedCommand,
    ReceivedBundle, RemoteCommand, ERROR_BUNDLE_EXISTS, ERROR_UNKNOWN_COMMAND,
};

/// Migration: the commands queued for kiosks and their acknowledgements.
/// Released: never edit it; a change is a new migration in `super::MIGRATIONS`.
pub(crate) const MIGRATION: &str = r#"
    CREATE TABLE remote_commands (
        id          TEXT PRIMARY KEY,
        kiosk_id    TEXT NOT NULL,
        command     TEXT NOT NULL,
        queued_at   TEXT NOT NULL,
        handed_out  INTEGER NOT NULL DEFAULT 0,
        ack         TEXT
    );
    CREATE INDEX remote_commands_open ON remote_commands (kiosk_id, ack);
    "#;

fn bad(what: &str) -> ApiError {
    ApiError::new(500, "internal", format!("stored {what} unreadable"))
}

/// Queues a command; returns it with its new id.
pub(crate) fn queue(
    conn: &Connection,
    req: &QueueCommand,
    now: DateTime<Utc>,
) -> Result<RemoteCommand, ApiError> {
    if req.kiosk_id.is_empty() {
        return Err(ApiError::new(400, "bad_request", "kiosk_id is empty"));
    }
    let command = RemoteCommand {
        id: format!("cmd-{}", uuid::Uuid::new_v4()),
        command: req.command.clone(),
    };
    let body = serde_json::to_string(&command.command).map_err(|_| bad("command"))?;
    conn.execute(
        "INSERT INTO remote_commands (id, kiosk_id, command, queued_at) VALUES (?1, ?2, ?3, ?4)",
        params![command.id, req.kiosk_id, body, now.to_rfc3339()],
    )?;
    Ok(command)
}

/// Records a kiosk's acknowledgements (the first one of an id counts; an ack of another
/// kiosk's command is ignored), then returns the commands still open for it, oldest first,
/// counting each as handed out once more.
pub(crate) fn exchange(
    conn: &mut Connection,
    kiosk_id: &str,
    acks: &[CommandAck],
) -> Result<Vec<RemoteCommand>, ApiError> {
    let tx = conn.transaction()?;
    for ack in acks {
        let body = serde_json::to_string(ack).map_err(|_| bad("ack"))?;
        tx.execute(
            "UPDATE remote_commands SET ack = ?3 WHERE id = ?1 AND kiosk_id = ?2 AND ack IS NULL",
            params![ack.id, kiosk_id, body],
        )?;
    }
    let open: Vec<(String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT id, command FROM remote_commands WHERE kiosk_id = ?1 AND ack IS NULL
             ORDER BY queued_at, rowid",
        )?;
        let rows = stmt.query_map([kiosk_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut out = Vec::new();
    for (id, body) in open {
        tx.execute(
            "UPDATE remote_commands SET handed_out = handed_out + 1 WHERE id = ?1",
            [&id],
        )?;
        let command: CommandKind = serde_json::from_str(&body).map_err(|_| bad("command"))?;
        out.push(RemoteCommand { id, command });
    }
    tx.commit()?;
    Ok(out)
}

/// Every command queued, oldest first, with its acknowledgement.
pub(crate) fn list(conn: &Connection) -> Result<CommandList, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT id, kiosk_id, command, queued_at, handed_out, ack FROM remote_commands
         ORDER BY queued_at, rowid",
    )?;
    type Row = (String, String, String, String, i64, Option<String>);
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut commands = Vec::new();
    for (id, kiosk_id, body, queued_at, handed_out, ack) in rows {
        commands.push(QueuedCommand {
            kiosk_id,
            command: RemoteCommand {
                id,
                command: serde_json::from_str(&body).map_err(|_| bad("command"))?,
            },
            queued_at: DateTime::parse_from_rfc3339(&queued_at)
                .map_err(|_| bad("time"))?
                .with_timezone(&Utc),
            handed_out: handed_out.max(0) as u64,
            ack: ack
                .map(|a| serde_json::from_str(&a).map_err(|_| bad("ack")))
                .transpose()?,
        });
    }
    Ok(CommandList { commands })
}

/// Migration: the diagnostic bundles kiosks uploaded in answer to `upload_bundle`.
/// Released: never edit it; a change is a new migration in `super::MIGRATIONS`.
pub(crate) const MIGRATION_BUNDLES: &str = r#"
    CREATE TABLE diagnostic_bundles (
        command_id  TEXT PRIMARY KEY REFERENCES remote_commands (id),
        kiosk_id    TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        bytes       BLOB NOT NULL,
        received_at TEXT NOT NULL
    );
    "#;

/// Keeps the bundle a kiosk sent for one of its `upload_bundle` commands. The same bytes
/// again (a retry after a lost answer) get the first receipt; other bytes are refused.
pub(crate) fn put_bundle(
    conn: &mut Connection,
    kiosk_id: &str,
    command_id: &str,
    bytes: &[u8],
    sha256: &str,
    now: DateTime<Utc>,
) -> Result<BundleReceipt, ApiError> {
    let tx = conn.transaction()?;
    let command: Option<String> = tx
        .query_row(
            "SELECT command FROM remote_commands WHERE id = ?1 AND kiosk_id = ?2",
            params![command_id, kiosk_id],
            |r| r.get(0),
        )
        .optional()?;
    let asked = command
        .map(|body| serde_json::from_str::<CommandKind>(&body).map_err(|_| bad("command")))
        .transpose()?;
    if asked != Some(CommandKind::UploadBundle) {
        return Err(ApiError::new(
            404,
            ERROR_UNKNOWN_COMMAND,
            "no upload_bundle command of this id for this kiosk",
        ));
    }
    let kept: Option<(String, i64, String)> = tx
        .query_row(
            "SELECT sha256, length(bytes), received_at FROM diagnostic_bundles
             WHERE command_id = ?1",
            [command_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let receipt = match kept {
        Some((kept_sha, len, at)) if kept_sha == sha256 => BundleReceipt {
            command_id: command_id.to_owned(),
            bytes: len.max(0) as u64,
            sha256: kept_sha,
            received_at: DateTime::parse_from_rfc3339(&at)
                .map_err(|_| bad("time"))?
                .with_timezone(&Utc),
        },
        Some(_) => {
            return Err(ApiError::new(
                409,
                ERROR_BUNDLE_EXISTS,
                "another bundle already answered this command",
            ))
        }
        None => {
            tx.execute(
                "INSERT INTO diagnostic_bundles (command_id, kiosk_id, sha256, bytes, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![command_id, kiosk_id, sha256, bytes, now.to_rfc3339()],
            )?;
            BundleReceipt {
                command_id: command_id.to_owned(),
                bytes: bytes.len() as u64,
                sha256: sha256.to_owned(),
                received_at: now,
            }
        }
    };
    tx.commit()?;
    Ok(receipt)
}

/// Every bundle received, oldest first (without their bytes).
pub(crate) fn bundles(conn: &Connection) -> Result<BundleList, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT kiosk_id, command_id, length(bytes), sha256, received_at
         FROM diagnostic_bundles ORDER BY received_at, rowid",
    )?;
    type Row = (String, String, i64, String, String);
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut bundles = Vec::new();
    for (kiosk_id, command_id, len, sha256, at) in rows {
        bundles.push(ReceivedBundle {
            kiosk_id,
            receipt: BundleReceipt {
                command_id,
                bytes: len.max(0) as u64,
                sha256,
                received_at: DateTime::parse_from_rfc3339(&at)
                    .map_err(|_| bad("time"))?
                    .with_timezone(&Utc),
            },
        });
    }
    Ok(BundleList { bundles })
}

/// One bundle's bytes, if it was received.
pub(crate) fn bundle_bytes(
    conn: &Connection,
    command_id: &str,
) -> Result<Option<Vec<u8>>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT bytes FROM diagnostic_bundles WHERE command_id = ?1",
            [command_id],
            |r| r.get(0),
        )
        .optional()?)
}
