//! The staff worker: carries out the staff's and technicians' orders off the UI thread (the
//! PIN check and the lock-out, outbox reads and retries with its own store connection, paper
//! restock and test slip, device resets, the out-of-service flag file, reprints) and the
//! platform's remote commands (each id once), writes every action to the audit log, and
//! answers each order with [`StaffReport`] events.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kiosk_platform::api::audit::AuditTx;
use kiosk_platform::api::commands::{CommandKind, RemoteCommand};

use super::pin::StaffAccess;
use crate::app::staff::{
    after_wrong, FailedRow, PinAttempt, PinVerdict, PrinterView, Role, SignedIn, StaffCommand,
    StaffNote, StaffReport, StaffService, AUDIT_SHOWN,
};
use crate::app::{EventSink, KioskEvent};
use crate::devices::health::DeviceId;
use crate::devices::printer_manager::{PrinterHandle, PrinterState};
use crate::devices::reset::DeviceResets;
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
    /// Who may sign in.
    pub access: StaffAccess,
    /// Every device's reset order.
    pub resets: Arc<DeviceResets>,
    /// The file `Kiosk::restart_when_idle` watches (`None`: not run by systemd, no restart).
    pub restart_flag: Option<PathBuf>,
    /// Makes and uploads a diagnostic bundle (the technician side fills it); `None`: this
    /// build cannot.
    pub bundle: Option<BundleHook>,
}

/// Makes a diagnostic bundle (no personal data) and uploads it for the command of this id;
/// `Ok` says what went, `Err` why not (both short, for the acknowledgement).
pub type BundleHook = Arc<dyn Fn(&str) -> Result<String, String> + Send + Sync>;

/// The lock-out at start as the gate takes it: wrong PINs in a row, and how long the lock
/// still holds (a restart does not lift it).
pub fn lockout_at_start(store: &Store, now: DateTime<Utc>) -> (u32, Option<std::time::Duration>) {
    match store.lockout() {
        Ok(l) => (
            l.wrong,
            l.locked_until
                .and_then(|until| (until - now).to_std().ok())
                .filter(|d| !d.is_zero()),
        ),
        Err(e) => {
            tracing::error!("reading the staff lock-out: {e}");
            (0, None)
        }
    }
}

/// The worker's own state: its store connection, what it was given, who signed in.
struct State {
    store: Store,
    deps: StaffServiceDeps,
    session: Option<SignedIn>,
}

impl StaffService for Orders<StaffCommand> {
    fn send(&self, command: StaffCommand) {
        Orders::send(self, command);
    }
}

/// Opens the staff worker's own store connection and starts it.
pub fn spawn(deps: StaffServiceDeps) -> anyhow::Result<Spawned<StaffCommand>> {
    let store = Store::open(&deps.db_path)?;
    let state = State {
        store,
        deps,
        session: None,
    };
    Ok(Worker::spawn(
        "staff",
        state,
        |state, command: StaffCommand| {
            for report in handle(state, command) {
                state.deps.sink.send(KioskEvent::Staff(report));
            }
        },
    )?)
}

/// Writes one audit row (and its outbox row); a failure is logged, never shown as the
/// action's failure (the action happened). The technician worker writes its rows with it.
pub fn audit(store: &mut Store, role: &str, badge: &str, action: &str, result: &str) {
    let cut = |t: &str| -> String {
        t.chars()
            .take(kiosk_platform::api::audit::AUDIT_TEXT_MAX)
            .collect()
    };
    let entry = AuditTx {
        role: role.to_owned(),
        badge: cut(badge),
        action: cut(action),
        result: cut(result),
        at: Utc::now(),
    };
    if let Err(e) = store.audit(&entry) {
        tracing::error!(action, "audit row not written: {e}");
    }
}

/// The audit log's result word for a note.
fn result_of(note: &StaffNote) -> String {
    match note {
        StaffNote::RestockRefused(why)
        | StaffNote::SlipFailed(why)
        | StaffNote::ReprintFailed(why)
        | StaffNote::Error(why)
        | StaffNote::ResetFailed(_, why) => format!("failed: {why}"),
        _ => "ok".to_owned(),
    }
}

/// Checks a PIN; keeps the count and the lock in the store.
fn check_pin(state: &mut State, attempt: PinAttempt) -> PinVerdict {
    let before = state.store.lockout().unwrap_or_default();
    // A wrong PIN is audited under the role the badge is listed with (staff for a badge
    // nobody holds).
    let badge_role =
        (state.deps.access.role_of(&attempt.badge)).map_or("staff", |r: Role| r.name());
    // The lock holds here too, not only on the pad: while it lasts no PIN is even checked.
    let now = Utc::now();
    if let Some(until) = before.locked_until.filter(|until| *until > now) {
        audit(
            &mut state.store,
            badge_role,
            &attempt.badge,
            "sign_in",
            "refused: locked",
        );
        state.session = None;
        return PinVerdict {
            signed_in: None,
            wrong: before.wrong,
            locked_for: (until - now).to_std().ok(),
        };
    }
    let signed_in = state
        .deps
        .access
        .check(&attempt.badge, attempt.pin.expose());
    let (wrong, locked_for) = match &signed_in {
        Some(_) => (0, None),
        None => after_wrong(before.wrong),
    };
    let stored = crate::store::Lockout {
        wrong,
        locked_until: locked_for
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d),
    };
    if let Err(e) = state.store.save_lockout(&stored) {
        tracing::error!("saving the staff lock-out: {e}");
    }
    let (role, result) = match &signed_in {
        Some(who) => (who.role.name(), "ok"),
        None if locked_for.is_some() => (badge_role, "refused: locked"),
        None => (badge_role, "refused"),
    };
    // A wrong PIN is audited under the badge typed.
    audit(&mut state.store, role, &attempt.badge, "sign_in", result);
    if locked_for.is_some() {
        tracing::warn!(
            "staff PIN pad locked after {} wrong PINs",
            crate::app::staff::MAX_TRIES
        );
    }
    state.session = signed_in.clone();
    PinVerdict {
        signed_in,
        wrong,
        locked_for,
    }
}

/// Carries out one remote command unless its id was seen before; records how it ended for
/// the next heartbeat's acknowledgement.
fn remote(state: &mut State, command: RemoteCommand, out: &mut Vec<StaffReport>) {
    let body = serde_json::to_string(&command.command).unwrap_or_default();
    match state.store.remember_command(&command.id, &body, Utc::now()) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            // Not remembered: not carried out either (it comes again with the next answer).
            tracing::error!(id = %command.id, "remote command not remembered: {e}");
            return;
        }
    }
    tracing::info!(id = %command.id, action = %command.command.action(), "remote command");
    let result = match &command.command {
        CommandKind::OutOfService | CommandKind::BackInService => {
            let out_of = command.command == CommandKind::OutOfService;
            match set_out_of_service(&state.deps.data_dir, out_of) {
                Ok(()) => {
                    out.push(StaffReport::ServiceState(out_of));
                    "ok".to_owned()
                }
                Err(e) => format!("failed: {OUT_OF_SERVICE_FILE}: {e}"),
            }
        }
        CommandKind::ResetDevice { device } => match device_by_name(device) {
            Some(id) => match state.deps.resets.reset(id) {
                Ok(()) => "ok".to_owned(),
                Err(why) => format!("failed: {why}"),
            },
            None => format!("failed: unknown device {device:?}"),
        },
        CommandKind::UploadBundle => match &state.deps.bundle {
            Some(hook) => match hook(&command.id) {
                Ok(_) => "ok".to_owned(),
                Err(why) => format!("failed: {why}"),
            },
            None => "failed: this kiosk cannot make a diagnostic bundle yet".to_owned(),
        },
        CommandKind::RestartWhenIdle => match &state.deps.restart_flag {
            Some(flag) => match std::fs::write(flag, "remote command\n") {
                Ok(()) => "scheduled".to_owned(),
                Err(e) => format!("failed: {}: {e}", flag.display()),
            },
            None => "failed: not run by systemd (no runtime folder)".to_owned(),
        },
    };
    audit(
        &mut state.store,
        "platform",
        &command.id,
        &command.command.action(),
        &result,
    );
    if let Err(e) = state.store.finish_command(&command.id, &result, Utc::now()) {
        tracing::error!(id = %command.id, "remote command's result not kept: {e}");
    }
}

/// A device by its heartbeat name.
pub fn device_by_name(name: &str) -> Option<DeviceId> {
    [
        DeviceId::IdCard,
        DeviceId::Printer,
        DeviceId::CodeScanner,
        DeviceId::DocScanner,
        DeviceId::A4Printer,
    ]
    .into_iter()
    .find(|d| d.name() == name)
}

/// Carries out one order; returns what the screen should learn.
fn handle(state: &mut State, command: StaffCommand) -> Vec<StaffReport> {
    let mut out = Vec::new();
    let action: Option<(String, StaffNote)> = match command {
        StaffCommand::CheckPin(attempt) => {
            let verdict = check_pin(state, attempt);
            let opened = verdict.signed_in.is_some();
            out.push(StaffReport::PinChecked(verdict));
            if !opened {
                return out;
            }
            None
        }
        StaffCommand::SignOut => {
            // A technician's session is handed over to the technician screen at sign-in,
            // whose worker writes the sign-out when that screen closes: not twice.
            if let Some(who) = state.session.take().filter(|w| w.role != Role::Technician) {
                audit(
                    &mut state.store,
                    who.role.name(),
                    &who.badge,
                    "sign_out",
                    "ok",
                );
            }
            return out;
        }
        StaffCommand::Remote(command) => {
            remote(state, command, &mut out);
            None
        }
        StaffCommand::Refresh => None,
        command => {
            let action = action_name(&command);
            Some((action, staff_action(state, command, &mut out)))
        }
    };
    if let Some((action, note)) = action {
        match &state.session {
            Some(who) => {
                let (role, badge) = (who.role.name(), who.badge.clone());
                audit(&mut state.store, role, &badge, &action, &result_of(&note));
            }
            None => tracing::warn!(action, "staff action with nobody signed in"),
        }
        out.push(StaffReport::Note(note));
    }
    read_screen(state, &mut out);
    out
}

/// The audit log's action code of a staff order.
fn action_name(command: &StaffCommand) -> String {
    match command {
        StaffCommand::Retry(id) => format!("retry:{id}"),
        StaffCommand::RetryAll => "retry_all".into(),
        StaffCommand::Restock => "restock".into(),
        StaffCommand::TestSlip => "test_slip".into(),
        StaffCommand::ResetDevice(d) => format!("reset:{d}"),
        StaffCommand::SetOutOfService(true) => "out_of_service".into(),
        StaffCommand::SetOutOfService(false) => "back_in_service".into(),
        StaffCommand::Reprint => "reprint".into(),
        StaffCommand::ReprintFineReceipt => "reprint_fine_receipt".into(),
        // "voice:60%/22:00-07:00": no personal data, and what staff chose.
        StaffCommand::SetVoice { volume, quiet } => {
            format!("voice:{volume}%/{}", quiet.as_deref().unwrap_or("-"))
        }
        other => format!("{other:?}").to_lowercase(),
    }
}

/// One staff action on the open screen; returns its outcome.
fn staff_action(state: &mut State, command: StaffCommand, out: &mut Vec<StaffReport>) -> StaffNote {
    let (store, deps) = (&state.store, &state.deps);
    match command {
        StaffCommand::Retry(id) => match store.retry_failed(id, Utc::now()) {
            Ok(done) => {
                tracing::info!(outbox_id = id, done, "staff retried a failed row");
                deps.kick.kick();
                StaffNote::Retried(usize::from(done))
            }
            Err(e) => StaffNote::Error(e.to_string()),
        },
        StaffCommand::RetryAll => match store.retry_all_failed(Utc::now()) {
            Ok(n) => {
                tracing::info!(rows = n, "staff retried every failed row");
                deps.kick.kick();
                StaffNote::Retried(n)
            }
            Err(e) => StaffNote::Error(e.to_string()),
        },
        StaffCommand::Restock => match deps.printer.restock_when_loaded() {
            Ok(()) => {
                tracing::info!("staff: paper restocked");
                out.push(StaffReport::Note(StaffNote::Restocked));
                test_slip(&deps.printer)
            }
            Err(why) => {
                tracing::warn!("staff restock refused: the printer reports {why}");
                StaffNote::RestockRefused(why)
            }
        },
        StaffCommand::TestSlip => test_slip(&deps.printer),
        StaffCommand::ResetDevice(device) => match deps.resets.reset(device) {
            Ok(()) => {
                tracing::info!(device = %device, "staff reset a device");
                StaffNote::DeviceReset(device)
            }
            Err(why) => StaffNote::ResetFailed(device, why),
        },
        StaffCommand::SetOutOfService(out_of) => match set_out_of_service(&deps.data_dir, out_of) {
            Ok(()) => {
                tracing::info!(out_of_service = out_of, "staff changed the service state");
                if out_of {
                    StaffNote::OutOfService
                } else {
                    StaffNote::InService
                }
            }
            Err(e) => StaffNote::Error(format!("{OUT_OF_SERVICE_FILE}: {e}")),
        },
        StaffCommand::Reprint => reprint(store, &deps.a4),
        StaffCommand::SetVoice { volume, quiet } => {
            let saved = crate::voice::SavedVoice { volume, quiet };
            match saved.save(&deps.data_dir) {
                Ok(()) => {
                    tracing::info!(volume, quiet = ?saved.quiet, "staff set the voice prompts");
                    StaffNote::VoiceSaved
                }
                Err(e) => StaffNote::Error(format!("{}: {e}", crate::voice::VOICE_FILE)),
            }
        }
        StaffCommand::ReprintFineReceipt => reprint_fine(store, &deps.printer),
        StaffCommand::CheckPin(_)
        | StaffCommand::SignOut
        | StaffCommand::Refresh
        | StaffCommand::Remote(_) => StaffNote::Error("not a staff action".into()),
    }
}

/// What the open screen shows: devices, printer, outbox, reprints, figures, audit log.
fn read_screen(state: &mut State, out: &mut Vec<StaffReport>) {
    let (store, deps) = (&state.store, &state.deps);
    let mut first = vec![
        StaffReport::Devices(deps.health.snapshot()),
        StaffReport::Resettable(deps.resets.devices()),
        StaffReport::Printer(printer_view(&deps.printer.state())),
    ];
    match outbox(store) {
        Ok(report) => first.push(report),
        Err(e) => out.push(StaffReport::Note(StaffNote::Error(e.to_string()))),
    }
    match store.reprints_waiting(Utc::now()) {
        Ok(n) => first.push(StaffReport::Reprints(n)),
        Err(e) => out.push(StaffReport::Note(StaffNote::Error(e.to_string()))),
    }
    match store.fine_notes() {
        Ok(n) => first.push(StaffReport::FinePayments(
            crate::app::staff::FinePaymentsView {
                late: n.late_unprinted,
                open: n.open,
                receipts: n.receipts,
            },
        )),
        Err(e) => out.push(StaffReport::Note(StaffNote::Error(e.to_string()))),
    }
    let day = crate::clock::service_day();
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::clock::hall_offset()).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now);
    match store.today_figures(midnight, day) {
        Ok(f) => first.push(StaffReport::Figures(f)),
        Err(e) => tracing::error!("today's figures: {e}"),
    }
    match store.recent_audit(AUDIT_SHOWN) {
        Ok(rows) => first.push(StaffReport::Audit(rows)),
        Err(e) => tracing::error!("audit log: {e}"),
    }
    // The screen's state first, then the notes of the action.
    first.append(out);
    *out = first;
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
