//! Numbered migrations, tracked in `PRAGMA user_version`.
//!
//! Hand-written rather than a crate: it is a dozen lines, and it keeps the rusqlite version
//! free of a second crate's pin.

use rusqlite::Connection;

use super::StoreError;

/// Migration N is at index N-1. Never edit a shipped one; append.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_outbox_purge_index.sql"),
    include_str!("migrations/0003_damaged_databases.sql"),
    include_str!("migrations/0004_reprints.sql"),
    include_str!("migrations/0005_fine_payments.sql"),
    include_str!("migrations/0006_staff.sql"),
    include_str!("migrations/0007_sample_forms.sql"),
    include_str!("migrations/0008_applications.sql"),
    include_str!("migrations/0009_gazetteer_cache.sql"),
];

/// The schema version this build brings the database to.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Applies every migration above the database's `user_version`, each in its own transaction.
pub fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > LATEST {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known: LATEST,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        // IMMEDIATE, then look again: another connection opening the same file at the same
        // moment may have applied it already.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if now > index as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_to_an_empty_database_and_are_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST);
        // Every table the code relies on exists.
        for table in [
            "outbox",
            "catalog_cache",
            "number_leases",
            "queue_status_cache",
            "queue_tickets",
            "device_events",
            "damaged_databases",
            "reprints",
            "staff_lockout",
            "audit_log",
            "remote_commands",
            "form_library_cache",
            "form_page_cache",
            "applications",
            "application_parts",
        ] {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "table {table}");
        }
    }

    #[test]
    fn a_version_1_database_with_rows_is_brought_forward() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(MIGRATIONS[0]).unwrap();
        tx.pragma_update(None, "user_version", 1).unwrap();
        tx.commit().unwrap();
        conn.execute(
            "INSERT INTO outbox (idempotency_key, kind, payload, created_at, next_attempt_at)
             VALUES ('k', 'test', '{}', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        // Every migration file is numbered in order and starts with its own number.
        let files = [
            "0001_initial.sql",
            "0002_outbox_purge_index.sql",
            "0003_damaged_databases.sql",
            "0004_reprints.sql",
            "0005_fine_payments.sql",
            "0006_staff.sql",
            "0007_sample_forms.sql",
            "0008_applications.sql",
            "0009_gazetteer_cache.sql",
        ];
        assert_eq!(files.len(), MIGRATIONS.len());
        for (i, (name, sql)) in files.iter().zip(MIGRATIONS).enumerate() {
            assert!(name.starts_with(&format!("{:04}_", i + 1)));
            assert!(sql.starts_with(&format!("-- {:04}:", i + 1)), "{name}");
        }
    }

    #[test]
    fn a_newer_database_is_refused_not_downgraded() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        assert!(matches!(
            apply(&mut conn),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }
}
