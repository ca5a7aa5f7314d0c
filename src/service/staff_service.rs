//! The staff service thread: carries out the hall staff's orders off the UI thread (outbox
//! reads and retries with its own store connection, paper restock and test slip, printer reset,
//! the out-of-service flag file) and answers each with a [`StaffReport`] event.
//!
//! Also the staff PIN check: `[staff] pin_hash = "sha256$<salt>$<hex of sha256(salt + PIN)>"`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::app::staff::{
    FailedRow, PinCheck, PrinterView, StaffCommand, StaffNote, StaffReport, StaffService,
};
use crate::app::{EventSink, KioskEvent};
use crate::devices::printer_manager::{PrinterHandle, PrinterState};
use crate::store::{Store, StoreError};
use crate::sync::SyncKick;
use crate::worker::{Orders, Spawned, Worker};

/// The file in the data folder whose presence means "out of service".
pub const OUT_OF_SERVICE_FILE: &str = "out_of_service";

/// Whether the kiosk was left out of service (read once at start).
pub fn out_of_service(data_dir: &Path) -> bool {
    data_dir.join(OUT_OF_SERVICE_FILE).exists()
}

/// Persists the out-of-service flag.
pub fn set_out_of_service(data_dir: &Path, out: bool) -> std::io::Result<()> {
    let path = data_dir.join(OUT_OF_SERVICE_FILE);
    if out {
        std::fs::write(&path, format!("since {}\n", Utc::now().to_rfc3339()))
    } else {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// A salted SHA-256 of the staff PIN, as written in the configuration.
#[derive(Clone)]
pub struct PinHash {
    salt: String,
    digest: [u8; 32],
}

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHash(<redacted>)")
    }
}

fn digest(salt: &str, pin: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(pin.as_bytes());
    h.finalize().into()
}

impl PinHash {
    /// Parses `sha256$<salt>$<64 hex digits>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.trim().splitn(3, '$');
        let (Some("sha256"), Some(salt), Some(hex_digest)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err("expected sha256$<salt>$<hex digest>".into());
        };
        let bytes = hex::decode(hex_digest).map_err(|e| format!("digest: {e}"))?;
        let digest: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "digest: expected 64 hex digits".to_string())?;
        if salt.is_empty() {
            return Err("empty salt".into());
        }
        Ok(Self {
            salt: salt.to_owned(),
            digest,
        })
    }

    /// The configuration line for `pin` under `salt`.
    pub fn make(salt: &str, pin: &str) -> String {
        format!("sha256${salt}${}", hex::encode(digest(salt, pin)))
    }
}

impl PinCheck for PinHash {
    fn check(&self, pin: &str) -> bool {
        let d = digest(&self.salt, pin);
        // Compare every byte, whatever the first difference.
        d.iter()
            .zip(self.digest.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// What the staff service needs.
pub struct StaffServiceDeps {
    /// The kiosk's database.
    pub db_path: PathBuf,
    /// The data folder (the out-of-service flag lives there).
    pub data_dir: PathBuf,
    /// The receipt printer's thread.
    pub printer: PrinterHandle,
    /// Where the answers go.
    pub sink: Arc<dyn EventSink>,
    /// Wakes the sync worker after a retry.
    pub kick: SyncKick,
    /// The kiosk's health board, read for the staff screen's device rows.
    pub health: Arc<crate::devices::health::HealthBoard>,
    /// The A4 printer: certificates kept after a failed print are reprinted on it.
    pub a4: crate::devices::a4_printer::A4Printer,
}

impl StaffService for Orders<StaffCommand> {
    fn send(&self, command: StaffCommand) {
        Orders::send(self, command);
    }
}

/// Opens the staff worker's own store connection and starts it.
pub fn spawn(deps: StaffServiceDeps) -> anyhow::Result<Spawned<StaffCommand>> {
    let store = Store::open(&deps.db_path)?;
    Ok(Worker::spawn(
        "staff",
        (store, deps),
        |(store, deps), command: StaffCommand| {
            for report in handle(store, deps, command) {
                deps.sink.send(KioskEvent::Staff(report));
            }
        },
    )?)
}

/// Carries out one order; returns what the screen should learn.
pub fn handle(store: &Store, deps: &StaffServiceDeps, command: StaffCommand) -> Vec<StaffReport> {
    let mut out = Vec::new();
    match command {
        StaffCommand::Refresh => {}
        StaffCommand::Retry(id) => {
            let note = match store.retry_failed(id, Utc::now()) {
                Ok(done) => {
                    tracing::info!(outbox_id = id, done, "staff retried a failed row");
                    deps.kick.kick();
                    StaffNote::Retried(usize::from(done))
                }
                Err(e) => StaffNote::Error(e.to_string()),
            };
            out.push(StaffReport::Note(note));
        }
        StaffCommand::RetryAll => {
            let note = match store.retry_all_failed(Utc::now()) {
                Ok(n) => {
                    tracing::info!(rows = n, "staff retried every failed row");
                    deps.kick.kick();
                    StaffNote::Retried(n)
                }
                Err(e) => StaffNote::Error(e.to_string()),
            };
            out.push(StaffReport::Note(note));
        }
        StaffCommand::Restock => {
            deps.printer.restock();
            tracing::info!("staff: paper restocked");
            out.push(StaffReport::Note(StaffNote::Restocked));
            out.push(StaffReport::Note(test_slip(&deps.printer)));
        }
        StaffCommand::TestSlip => out.push(StaffReport::Note(test_slip(&deps.printer))),
        StaffCommand::ResetPrinter => {
            deps.printer.reconnect();
            out.push(StaffReport::Note(StaffNote::PrinterReset));
        }
        StaffCommand::SetOutOfService(out_of) => {
            let note = match set_out_of_service(&deps.data_dir, out_of) {
                Ok(()) => {
                    tracing::info!(out_of_service = out_of, "staff changed the service state");
                    if out_of {
                        StaffNote::OutOfService
                    } else {
                        StaffNote::InService
                    }
                }
                Err(e) => StaffNote::Error(format!("{OUT_OF_SERVICE_FILE}: {e}")),
            };
            out.push(StaffReport::Note(note));
        }
        StaffCommand::Reprint => out.push(StaffReport::Note(reprint(store, &deps.a4))),
        StaffCommand::ReprintFineReceipt => {
            out.push(StaffReport::Note(reprint_fine(store, &deps.printer)))
        }
    }
    match store.fine_notes() {
        Ok(n) => out.insert(
            0,
            StaffReport::FinePayments(crate::app::staff::FinePaymentsView {
                late: n.late_unprinted,
                open: n.open,
                receipts: n.receipts,
            }),
        ),
        Err(e) => out.push(StaffReport::Note(StaffNote::Error(e.to_string()))),
    }
    match store.reprints_waiting(Utc::now()) {
        Ok(n) => out.insert(0, StaffReport::Reprints(n)),
        Err(e) => out.push(StaffReport::Note(StaffNote::Error(e.to_string()))),
    }
    match outbox(store) {
        Ok(report) => out.insert(0, report),
        Err(e) => out.push(StaffReport::Note(StaffNote::Error(e.to_string()))),
    }
    out.insert(0, StaffReport::Printer(printer_view(&deps.printer.state())));
    out.insert(0, StaffReport::Devices(deps.health.snapshot()));
    out
}

/// Prints the oldest kept certificate; forgets it once it is out. One that fails again stays
/// until it expires (the store's maintenance purges it then).
fn reprint(store: &Store, a4: &crate::devices::a4_printer::A4Printer) -> StaffNote {
    let kept = match store.next_reprint(Utc::now()) {
        Ok(Some(kept)) => kept,
        Ok(None) => return StaffNote::ReprintFailed("nothing to reprint".into()),
        Err(e) => return StaffNote::Error(e.to_string()),
    };
    match a4.print(&kept.pdf, &kept.job) {
        Ok(()) => {
            // The job name carries the case number: the log gets the row only.
            tracing::info!(reprint = kept.id, "staff reprinted a certificate");
            match store.drop_reprint(kept.id) {
                Ok(()) => StaffNote::Reprinted,
                Err(e) => StaffNote::Error(e.to_string()),
            }
        }
        Err(p) => StaffNote::ReprintFailed(format!("{p:?}")),
    }
}

/// Prints the traffic-fine receipt staff are asked for (a late one first), marked "reprint".
fn reprint_fine(
    store: &Store,
    printer: &crate::devices::printer_manager::PrinterHandle,
) -> StaffNote {
    let row = match store.fine_receipt_to_reprint() {
        Ok(Some(row)) => row,
        Ok(None) => return StaffNote::FineReceiptFailed("nothing to reprint".into()),
        Err(e) => return StaffNote::Error(e.to_string()),
    };
    if crate::services::traffic_fine::worker::print_receipt(store, printer, &row, true) {
        tracing::info!("staff reprinted a traffic-fine receipt");
        match store.fine_printed(&row.key) {
            Ok(()) => StaffNote::FineReceiptReprinted,
            Err(e) => StaffNote::Error(e.to_string()),
        }
    } else {
        StaffNote::FineReceiptFailed("the receipt printer did not print".into())
    }
}

fn outbox(store: &Store) -> Result<StaffReport, StoreError> {
    let counts = store.outbox_counts()?;
    let mut failed = Vec::new();
    for (id, kind, reason) in store.failed_outbox()? {
        // The row is read for its time and attempts only; its payload is not kept.
        let Some(row) = store.outbox_row(id)? else {
            continue;
        };
        failed.push(FailedRow {
            id,
            kind,
            created_at: row.created_at,
            attempts: row.attempts,
            reason: reason.unwrap_or_default(),
        });
    }
    Ok(StaffReport::Outbox {
        failed,
        pending: counts.pending,
        sent: counts.sent,
    })
}

/// The printer's state as staff see it.
pub fn printer_view(state: &PrinterState) -> PrinterView {
    let fault = match &state.status {
        None => "no answer".to_string(),
        Some(s) => s
            .blocking_error()
            .map(|e| e.to_string())
            .unwrap_or_default(),
    };
    PrinterView {
        ok: fault.is_empty(),
        fault,
        paper_percent: (state.paper.remaining_fraction() * 100.0)
            .round()
            .clamp(0.0, 100.0) as u8,
        job_held: state.job_held,
    }
}

fn test_slip(printer: &PrinterHandle) -> StaffNote {
    let now = crate::clock::hall_now();
    let bytes = printer::escpos::EscPosBuilder::new()
        .init()
        .align(printer::escpos::Align::Center)
        .bold(true)
        .line("测试页 TEST SLIP")
        .bold(false)
        .line(&now.format("%Y-%m-%d %H:%M").to_string())
        .line("打印机正常 Printer OK")
        .feed(3)
        .cut(true)
        .build();
    match printer.print(bytes) {
        Ok(()) => StaffNote::SlipPrinted,
        Err(e) => StaffNote::SlipFailed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_hash_accepts_the_pin_only() {
        let line = PinHash::make("salt", "246810");
        let h = PinHash::parse(&line).unwrap();
        assert!(h.check("246810"));
        assert!(!h.check("246811"));
        assert!(!h.check(""));
        assert!(PinHash::parse("md5$x$00").is_err());
        assert!(PinHash::parse("sha256$salt$abcd").is_err());
        assert!(!format!("{h:?}").contains("salt"));
    }

    #[test]
    fn the_demo_hash_is_the_documented_pin() {
        let h = PinHash::parse(crate::config::DEMO_STAFF_PIN_HASH).unwrap();
        assert!(h.check("246810"));
    }

    #[test]
    fn out_of_service_survives_as_a_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!out_of_service(dir.path()));
        set_out_of_service(dir.path(), true).unwrap();
        assert!(out_of_service(dir.path()));
        set_out_of_service(dir.path(), false).unwrap();
        set_out_of_service(dir.path(), false).unwrap();
        assert!(!out_of_service(dir.path()));
    }
}
