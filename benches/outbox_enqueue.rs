//! Durable enqueue (sealed payload, one WAL transaction with synchronous=FULL, through
//! `Store::enqueue`) against a raw rusqlite insert of the same row at the same pragmas.
//! Run: `cargo bench --bench outbox_enqueue`; results in docs/benchmarks.md.

use criterion::{criterion_group, criterion_main, Criterion};
use kiosk::store::Store;
use rusqlite::{params, Connection};

const PAYLOAD: &str = r#"{"ticket_id":"7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f","area_code":"A","number":21,"display_number":"A021","service_day":"2025-03-04","issued_at":"2025-03-04T01:02:03Z","phone":"13812345678","lease_id":"0b8a3c1e-5f2d-4e6a-9c7b-1d2e3f4a5b6c"}"#;

fn enqueue(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("outbox_enqueue");
    group.sample_size(30);

    let mut store = Store::open(&dir.path().join("store.sqlite")).expect("store");
    group.bench_function("store_enqueue_sealed_full_sync", |b| {
        b.iter(|| {
            store
                .enqueue("queue_ticket", PAYLOAD, chrono::Utc::now())
                .expect("enqueue")
        })
    });

    let conn = Connection::open(dir.path().join("raw.sqlite")).expect("raw db");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full");
    conn.pragma_update(None, "secure_delete", "ON").expect("sd");
    conn.execute_batch(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE,
         kind TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, last_error TEXT,
         state TEXT NOT NULL DEFAULT 'pending', sent_at TEXT);
         CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);
         CREATE INDEX outbox_sent ON outbox (state, sent_at);",
    )
    .expect("schema");
    group.bench_function("raw_rusqlite_insert_full_sync", |b| {
        b.iter(|| {
            let now = chrono::Utc::now().to_rfc3339();
            conn.prepare_cached(
                "INSERT INTO outbox (idempotency_key, kind, payload, created_at, next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )
            .expect("prepare")
            .execute(params![
                uuid::Uuid::new_v4().to_string(),
                "queue_ticket",
                PAYLOAD,
                now
            ])
            .expect("insert")
        })
    });
    group.finish();
}

criterion_group!(benches, enqueue);
criterion_main!(benches);
