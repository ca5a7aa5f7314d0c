//! The sync worker thread. Each round: catalog (ETag), leases, outbox upload, queue status.
//! It sleeps between rounds and wakes early when a transaction is written.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use kiosk_platform::api::{
    Catalog, Heartbeat, LeaseRequest, Transaction, TransactionBatch, TxStatus,
};
use kiosk_platform::client::{CatalogFetch, ClientError, PlatformClient};

use super::backoff::Backoff;
use super::status::{LinkState, SyncStatus};
use crate::app::{Area, EventSink, KioskEvent};
use crate::config::SyncConfig;
use crate::devices::health::HealthBoard;
use crate::store::{LeaseInfo, OutboxRow, Store, StoreError};

/// Wakes the worker early (after a write). Cheap to clone.
#[derive(Clone)]
pub struct SyncKick(Sender<()>);

impl SyncKick {
    /// Asks for a sync round now.
    pub fn kick(&self) {
        let _ = self.0.send(());
    }
}

/// The running worker; stops on drop.
pub struct SyncWorker {
    stop: Arc<AtomicBool>,
    kick: SyncKick,
    thread: Option<JoinHandle<()>>,
    life: crate::worker::Life,
}

/// How often the catalog is re-checked (a 304 costs little).
const CATALOG_EVERY: Duration = Duration::from_secs(60);
/// How often sent rows past their retention are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

impl SyncWorker {
    /// Whether its thread still runs (the service manager's watchdog asks).
    pub fn life(&self) -> crate::worker::Life {
        self.life.clone()
    }
    /// Opens its own store connection and starts the worker.
    pub fn spawn(
        db_path: &Path,
        client: PlatformClient,
        config: SyncConfig,
        sink: Arc<dyn EventSink>,
        health: Arc<HealthBoard>,
    ) -> Result<Self, StoreError> {
        let store = Store::open(db_path)?;
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let mut state = State::new(store, client, config, sink, health);
        state.data_dir = db_path.parent().map(Path::to_path_buf);
        let flag = stop.clone();
        let (life, guard) = crate::worker::Life::start();
        let thread = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                let _life = guard;
                state.run(rx, flag)
            })
            .expect("spawn sync thread");
        Ok(Self {
            stop,
            kick: SyncKick(tx),
            thread: Some(thread),
            life,
        })
    }

    /// A handle that wakes the worker.
    pub fn kicker(&self) -> SyncKick {
        self.kick.clone()
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.kick.kick();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct State {
    store: Store,
    client: PlatformClient,
    config: SyncConfig,
    sink: Arc<dyn EventSink>,
    /// The kiosk's device-health board, read for the heartbeat.
    health: Arc<HealthBoard>,
    link: LinkState,
    /// Set while uploads fail (the kind of failure), cleared when the platform
    /// acknowledges an upload or nothing is left to send. While set the link is not shown
    /// online, even when the other calls of a round (catalog, heartbeat) go through between
    /// the rows' retries.
    upload_trouble: Option<LinkState>,
    catalog_etag: Option<String>,
    catalog_checked: Option<Instant>,
    catalog: Option<Catalog>,
    failures: u32,
    started: Instant,
    last_heartbeat: Option<Instant>,
    /// The kiosk's clock minus the platform's at the last heartbeat (or from a `clock_skew`
    /// refusal), ms.
    clock_skew_ms: Option<i64>,
    /// Whether the clock fault was last logged as on, so it is logged once per change.
    clock_fault_logged: bool,
    last_purge: Option<Instant>,
    last_contact: Option<chrono::DateTime<Utc>>,
    last_error: Option<(chrono::DateTime<Utc>, String)>,
    /// The data folder, whose `starts.json` says which versions failed to come up
    /// (`crate::start_record`); none in tests that run a bare state.
    data_dir: Option<std::path::PathBuf>,
}

/// The longest error text kept for the staff screen.
const ERROR_SHOWN: usize = 160;

/// The upload refusals of the contract (docs/platform-api.md, `POST /v1/transactions`):
/// status and JSON error code. Only these are final.
const FINAL_UPLOAD_REFUSALS: &[(u16, &str)] = &[
    (400, "bad_request"),
    (400, "bad_batch_size"),
    (409, "idempotency_conflict"),
    (413, "too_large"),
];

/// An upload answer that no retry can change: one of the contract's own JSON refusals
/// ([`FINAL_UPLOAD_REFUSALS`]). Any other 4xx — an HTML 404 or 403 from a proxy, a captive
/// portal's page, a JSON `not_found` from a wrong base path, 401 (a key or clock to fix,
/// after which the same rows go through), 408, 429 — is a link problem: retried with
/// backoff, and it recovers by itself when the cause goes away.
fn is_final_refusal(e: &ClientError) -> bool {
    matches!(e, ClientError::Http { status, code: Some(code), .. }
        if FINAL_UPLOAD_REFUSALS.iter().any(|(s, c)| s == status && c == code))
}

/// Which kind of trouble a failed call shows.
fn link_class(e: &ClientError) -> LinkState {
    match e {
        ClientError::Decode(_) => LinkState::PlatformMisbehaving,
        ClientError::Certificate(_) => LinkState::CertificateRefused,
        ClientError::Http {
            status: 401,
            code: Some(code),
            ..
        } if code == "clock_skew" => LinkState::ClockSkew,
        ClientError::Network(_) | ClientError::Http { .. } => LinkState::LinkProblem,
    }
}

/// The kiosk's clock minus the platform's (ms) from a `clock_skew` refusal, whose message
/// states both times (docs/platform-api.md: "timestamp T is more than 300 s from server
/// time N").
fn refused_skew_ms(e: &ClientError) -> Option<i64> {
    let ClientError::Http {
        status: 401,
        code: Some(code),
        message: Some(message),
        ..
    } = e
    else {
        return None;
    };
    if code != "clock_skew" {
        return None;
    }
    let number_after = |word: &str| -> Option<i64> {
        let rest = &message[message.find(word)? + word.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().ok()
    };
    let ts = number_after("timestamp")?;
    let server = number_after("server time")?;
    ts.checked_sub(server)?.checked_mul(1000)
}

fn retry_after(e: &ClientError) -> Option<Duration> {
    match e {
        ClientError::Http { retry_after, .. } => *retry_after,
        _ => None,
    }
}

/// Outcome of one round's talk with the platform.
#[derive(Debug)]
enum RoundError {
    Platform(ClientError),
    /// The platform answered an upload in the contract's form but broke it (an empty,
    /// short or invented result list).
    Misbehaving(String),
    Store(StoreError),
}

impl From<ClientError> for RoundError {
    fn from(e: ClientError) -> Self {
        Self::Platform(e)
    }
}
impl From<StoreError> for RoundError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl State {
    fn new(
        store: Store,
        client: PlatformClient,
        config: SyncConfig,
        sink: Arc<dyn EventSink>,
        health: Arc<HealthBoard>,
    ) -> Self {
        Self {
            store,
            client,
            config,
            sink,
            health,
            link: LinkState::Unknown,
            upload_trouble: None,
            catalog_etag: None,
            catalog_checked: None,
            catalog: None,
            failures: 0,
            started: Instant::now(),
            last_heartbeat: None,
            clock_skew_ms: None,
            clock_fault_logged: false,
            last_purge: None,
            last_contact: None,
            last_error: None,
            data_dir: None,
        }
    }

    fn backoff(&self) -> Backoff {
        // The config refuses unusable values at load; `try_` keeps a bad value handed in
        // some other way from panicking the sync thread.
        let secs = |s: f64, default: f64| {
            Duration::try_from_secs_f64(s).unwrap_or(Duration::from_secs_f64(default))
        };
        Backoff {
            base: secs(self.config.backoff_base_secs, 1.0),
            cap: secs(self.config.backoff_cap_secs, 300.0),
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(self.config.interval_secs.max(1))
    }

    fn run(&mut self, kicks: Receiver<()>, stop: Arc<AtomicBool>) {
        self.load_cached_catalog();
        self.clamp_stored_waits();
        while !stop.load(Ordering::SeqCst) {
            // Set when the platform asked for a pause (`Retry-After`): a kick (a new ticket)
            // does not cut it short, so a busy platform gets the quiet it asked for.
            let (wait, not_before) = self.round_and_report();
            let mut wait = wait;
            loop {
                match kicks.recv_timeout(wait) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {
                        // Several kicks in a burst need one round only.
                        while kicks.try_recv().is_ok() {}
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                let left = not_before.map_or(Duration::ZERO, |t| {
                    t.saturating_duration_since(Instant::now())
                });
                if left.is_zero() || stop.load(Ordering::SeqCst) {
                    break;
                }
                wait = left;
            }
        }
    }

    /// One round, its bookkeeping and the status report: how long to wait before the next
    /// round, and the earliest a kick may start it (after a `Retry-After`).
    fn round_and_report(&mut self) -> (Duration, Option<Instant>) {
        let mut rng = rand::rng();
        let mut not_before = None;
        let wait = match self.round() {
            Ok(()) => {
                self.failures = 0;
                match self.upload_trouble {
                    None => {
                        self.last_contact = Some(Utc::now());
                        self.set_link(LinkState::Online);
                    }
                    // The rest of the round went through, but rows wait on a failed upload.
                    Some(kind) => self.set_link(kind),
                }
                self.interval()
            }
            Err(RoundError::Platform(e)) => {
                tracing::warn!("sync round failed: {e}");
                self.note_error(e.to_string());
                if let Some(ms) = refused_skew_ms(&e) {
                    self.clock_skew_ms = Some(ms);
                    // The first round that goes through measures it anew (heartbeat), so a
                    // fixed clock stops showing as off at once.
                    self.last_heartbeat = None;
                }
                self.set_link(link_class(&e));
                let retry_after = retry_after(&e);
                let d = self.backoff().delay(self.failures, retry_after, &mut rng);
                self.failures = self.failures.saturating_add(1);
                if retry_after.is_some() {
                    not_before = Instant::now().checked_add(d);
                }
                d
            }
            Err(RoundError::Misbehaving(why)) => {
                tracing::error!("sync round failed: {why}");
                self.note_error(why);
                self.set_link(LinkState::PlatformMisbehaving);
                let d = self.backoff().delay(self.failures, None, &mut rng);
                self.failures = self.failures.saturating_add(1);
                d
            }
            Err(RoundError::Store(e)) => {
                tracing::error!("sync: local database error: {e}");
                self.note_error(format!("local database: {e}"));
                self.interval()
            }
        };
        self.note_clock();
        self.send_status();
        (wait, not_before)
    }

    /// Logs the clock fault when it starts and when it ends, not every round.
    fn note_clock(&mut self) {
        let status = SyncStatus {
            link: self.link,
            clock_skew_ms: self.clock_skew_ms,
            ..SyncStatus::default()
        };
        let fault = status.clock_fault();
        if fault == self.clock_fault_logged {
            return;
        }
        self.clock_fault_logged = fault;
        if fault {
            tracing::warn!(
                skew_ms = self.clock_skew_ms,
                limit_secs = kiosk_platform::sign::MAX_CLOCK_SKEW_SECS,
                refused = self.link == LinkState::ClockSkew,
                "the kiosk's clock is off the platform's: check time sync (chrony or systemd-timesyncd)"
            );
        } else {
            tracing::info!(
                skew_ms = self.clock_skew_ms,
                "the kiosk's clock agrees with the platform's again"
            );
        }
    }

    fn set_link(&mut self, link: LinkState) {
        if self.link != link {
            self.link = link;
            tracing::info!(?link, "platform link");
        }
    }

    /// A next attempt stored further away than any answer can now ask for (written by an
    /// older build that trusted `Retry-After` without bound) is brought forward, so no row
    /// waits forever and none holds back the rows after it.
    fn clamp_stored_waits(&mut self) {
        let longest = chrono::Duration::from_std(self.backoff().longest_delay())
            .unwrap_or(chrono::Duration::hours(1));
        let latest = Utc::now()
            .checked_add_signed(longest)
            .unwrap_or_else(Utc::now);
        match self.store.clamp_next_attempts(latest) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(rows = n, "outbox rows waited too long; brought forward"),
            Err(e) => tracing::error!("cannot check the outbox's next attempts: {e}"),
        }
    }

    /// Keeps a short error for the staff screen (client errors carry status, code and
    /// message, never a payload).
    fn note_error(&mut self, text: String) {
        let short: String = text.chars().take(ERROR_SHOWN).collect();
        self.last_error = Some((Utc::now(), short));
    }

    /// After every round: the link, the outbox and the numbers left, for the header's dot and
    /// the staff screen.
    fn send_status(&self) {
        self.sink.send(KioskEvent::SyncStatus(self.status()));
    }

    /// The status as staff see it.
    fn status(&self) -> SyncStatus {
        let clock_skew_ms = self.clock_skew_ms;
        let counts = self.store.outbox_counts().unwrap_or_default();
        let today = crate::clock::service_day();
        let numbers_left = self
            .catalog
            .iter()
            .flat_map(|c| &c.areas)
            .map(|a| {
                let left = self.store.numbers_left(&a.code, today).unwrap_or(0);
                (a.code.clone(), left)
            })
            .collect();
        SyncStatus {
            online: self.link == LinkState::Online,
            link: self.link,
            last_contact: self.last_contact,
            last_error: self.last_error.clone(),
            pending: counts.pending,
            sent: counts.sent,
            failed: counts.failed,
            numbers_left,
            damaged_db: self.store.damaged_database().unwrap_or_default(),
            clock_skew_ms,
        }
    }

    fn load_cached_catalog(&mut self) {
        match self.store.cached_catalog() {
            Ok(Some((body, etag))) => match serde_json::from_str::<Catalog>(&body) {
                Ok(c) => {
                    self.catalog_etag = etag;
                    self.publish_catalog(c);
                }
                Err(e) => tracing::warn!("cached catalog unreadable, refetching: {e}"),
            },
            Ok(None) => {}
            Err(e) => tracing::error!("cannot read cached catalog: {e}"),
        }
    }

    fn publish_catalog(&mut self, c: Catalog) {
        let waiting = self.waiting_counts();
        self.sink.send(catalog_event(&c, &waiting));
        self.catalog = Some(c);
    }

    fn waiting_counts(&self) -> Vec<(String, u32)> {
        self.store
            .queue_waiting(crate::clock::service_day())
            .unwrap_or_default()
    }

    fn round(&mut self) -> Result<(), RoundError> {
        // The citizens' records first: after an outage, a round cut short by a busy
        // platform should still have delivered what matters most.
        self.upload()?;
        let now = Utc::now();
        let due_catalog = self
            .catalog_checked
            .is_none_or(|t| t.elapsed() >= CATALOG_EVERY)
            || self.catalog.is_none();
        if due_catalog {
            match self.client.catalog(self.catalog_etag.as_deref())? {
                CatalogFetch::Modified { catalog, etag } => {
                    self.store.save_catalog(
                        &serde_json::to_string(&catalog).map_err(StoreError::from)?,
                        etag.as_deref(),
                        now,
                    )?;
                    self.catalog_etag = etag;
                    self.publish_catalog(catalog);
                }
                CatalogFetch::NotModified => {}
            }
            self.catalog_checked = Some(Instant::now());
        }

        self.renew_leases()?;
        self.heartbeat()?;
        self.purge();

        let status = self.client.queue_status()?;
        for a in &status.areas {
            self.store.save_queue_status(
                &a.code,
                status.service_day,
                a.waiting,
                a.last_called,
                now,
            )?;
        }
        if !status.areas.is_empty() {
            if let Some(c) = &self.catalog {
                let waiting: Vec<(String, u32)> = status
                    .areas
                    .iter()
                    .map(|a| (a.code.clone(), a.waiting))
                    .collect();
                self.sink.send(catalog_event(c, &waiting));
            }
        }
        Ok(())
    }

    /// Every `heartbeat_secs`: device health, outbox depth, version, uptime.
    fn heartbeat(&mut self) -> Result<(), RoundError> {
        let every = Duration::from_secs(self.config.heartbeat_secs.max(1));
        if self.last_heartbeat.is_some_and(|t| t.elapsed() < every) {
            return Ok(());
        }
        let (pending, failed) = self.store.outbox_depth()?;
        let mut devices = self.health.heartbeat(self.store.device_health()?);
        if let Some(d) = self.store.damaged_database()? {
            // The platform's operators see it for as long as the kiosk remembers it, not
            // only until the next store event.
            devices.retain(|h| h.device != "store");
            devices.push(kiosk_platform::api::DeviceHealth {
                device: "store".to_owned(),
                status: "fault".to_owned(),
                detail: Some(format!(
                    "damaged database moved aside; {} rows recovered, {} unreadable",
                    d.recovered, d.unreadable
                )),
            });
        }
        let (failed_starts, failed_versions) = match &self.data_dir {
            Some(dir) => crate::start_record::for_heartbeat(dir),
            None => (0, Vec::new()),
        };
        // Remote commands carried out since the last answered heartbeat (staff worker).
        let acks = self.store.unacked_commands()?;
        let sent_at = Utc::now();
        let ack = self.client.heartbeat(&Heartbeat {
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            uptime_secs: self.started.elapsed().as_secs(),
            outbox_pending: pending,
            outbox_failed: failed,
            devices,
            clock_skew_ms: self.clock_skew_ms,
            failed_starts,
            failed_versions: failed_versions.clone(),
            acks: acks.clone(),
            help_requested_at: self.health.help().since(),
        })?;
        if let Some(dir) = &self.data_dir {
            crate::start_record::reported(dir, &failed_versions);
        }
        let acked: Vec<String> = acks.into_iter().map(|a| a.id).collect();
        self.store.mark_acked(&acked)?;
        if !ack.commands.is_empty() {
            // Carried out by the staff worker (each id once, audited); the UI thread passes
            // them on, as it does every staff order.
            self.sink.send(crate::app::KioskEvent::Staff(
                crate::app::staff::StaffReport::Remote(ack.commands.clone()),
            ));
        }
        // Past half the signed-request limit it is a fault (SyncStatus::clock_fault), logged
        // once when it starts (note_clock).
        self.clock_skew_ms = Some(clock_skew_ms(sent_at, Utc::now(), ack.server_time));
        self.last_heartbeat = Some(Instant::now());
        Ok(())
    }

    /// Hourly: sent rows past their retention go, with their pages overwritten.
    fn purge(&mut self) {
        if self.last_purge.is_some_and(|t| t.elapsed() < PURGE_EVERY) {
            return;
        }
        self.last_purge = Some(Instant::now());
        let retention = chrono::Duration::days(i64::from(self.config.retention_days));
        if let Err(e) = self.store.purge_sent(Utc::now(), retention) {
            tracing::error!("purging sent outbox rows failed: {e}");
        }
    }

    fn renew_leases(&mut self) -> Result<(), RoundError> {
        let Some(catalog) = &self.catalog else {
            return Ok(());
        };
        let today = crate::clock::service_day();
        let codes: Vec<String> = catalog.areas.iter().map(|a| a.code.clone()).collect();
        for code in codes {
            if self.store.numbers_left(&code, today)? >= self.config.lease_low_water {
                continue;
            }
            let lease = self.client.lease(&LeaseRequest {
                area_code: code.clone(),
                service_day: today,
                size: self.config.lease_size,
            })?;
            tracing::info!(area = %code, first = lease.first, last = lease.last, "queue numbers leased");
            self.store.add_lease(
                &LeaseInfo {
                    lease_id: lease.lease_id,
                    area_code: lease.area_code,
                    service_day: lease.service_day,
                    first: lease.first,
                    last: lease.last,
                },
                Utc::now(),
            )?;
        }
        Ok(())
    }

    /// Sends due outbox rows in batches until none is due.
    fn upload(&mut self) -> Result<(), RoundError> {
        // After a whole batch was refused without naming a row: how many rows to send one
        // at a time, so each gets its own answer.
        let mut singles = 0usize;
        loop {
            let now = Utc::now();
            let limit = if singles > 0 {
                singles -= 1;
                1
            } else {
                self.config.batch_size
            };
            let rows = self.store.due_outbox(now, limit)?;
            if rows.is_empty() {
                if self.upload_trouble.is_some() && self.store.outbox_counts()?.pending == 0 {
                    self.upload_trouble = None;
                }
                return Ok(());
            }
            let batch = TransactionBatch {
                transactions: rows
                    .iter()
                    .map(|r| {
                        Ok(Transaction {
                            idempotency_key: r.idempotency_key.clone(),
                            kind: r.kind.clone(),
                            created_at: r.created_at,
                            payload: serde_json::from_str(&r.payload)?,
                        })
                    })
                    .collect::<Result<Vec<_>, serde_json::Error>>()
                    .map_err(StoreError::from)?,
            };
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let result = match self.client.upload(&batch) {
                Ok(r) => r,
                Err(e) if is_final_refusal(&e) => {
                    // E.g. 400 bad_request or 409 idempotency_conflict: sending the same rows
                    // again gets the same answer. Only the guilty rows fail (staff see them
                    // and retry after a fix); the rest of the batch goes again at once.
                    let reason = e.to_string();
                    let named: Vec<i64> = match &e {
                        ClientError::Http {
                            message: Some(m), ..
                        } => rows
                            .iter()
                            .filter(|r| !r.idempotency_key.is_empty())
                            .filter(|r| m.contains(&r.idempotency_key))
                            .map(|r| r.id)
                            .collect(),
                        _ => Vec::new(),
                    };
                    if rows.len() > 1 && named.is_empty() {
                        // The answer does not say which row: send them one at a time, so
                        // each gets its own answer.
                        tracing::warn!(rows = rows.len(), %reason, "batch refused; sending its rows one by one");
                        singles = rows.len();
                        continue;
                    }
                    let guilty = if named.is_empty() { ids } else { named };
                    tracing::error!(rows = guilty.len(), %reason, "refused by the platform");
                    self.store.mark_all_failed(&guilty, &reason)?;
                    continue;
                }
                Err(e) => {
                    self.retry_later(&rows, &e.to_string(), retry_after(&e))?;
                    self.upload_trouble = Some(link_class(&e));
                    return Err(e.into());
                }
            };
            let mut sent = Vec::new();
            let mut answered = 0usize;
            let mut invented = false;
            for (row, res) in rows.iter().zip(result.results.iter()) {
                if res.idempotency_key != row.idempotency_key {
                    invented = true;
                    break;
                }
                answered += 1;
                match res.status {
                    TxStatus::Accepted | TxStatus::Duplicate => sent.push(row.id),
                    TxStatus::Rejected => {
                        let reason = res.reason.clone().unwrap_or_else(|| "rejected".into());
                        tracing::error!(outbox_id = row.id, kind = %row.kind, %reason, "transaction refused by the platform");
                        self.store.mark_failed(row.id, &reason)?;
                    }
                }
            }
            self.store.mark_sent(&sent, Utc::now())?;
            tracing::info!(sent = sent.len(), "outbox batch acknowledged");
            let extra = result.results.len() > rows.len();
            if answered < rows.len() || extra {
                // Not the contract's one result per transaction, in order. What was
                // acknowledged by its own key is sent; the rest stays pending, with the
                // attempt counted, the reason kept and a backoff, like any failed upload.
                let why = if result.results.is_empty() {
                    format!(
                        "platform misbehaving: empty result list for {} transactions",
                        rows.len()
                    )
                } else if invented {
                    format!(
                        "platform misbehaving: answered for a transaction it was not sent \
                         ({answered} of {} answered in order)",
                        rows.len()
                    )
                } else if extra {
                    format!(
                        "platform misbehaving: {} results for {} transactions",
                        result.results.len(),
                        rows.len()
                    )
                } else {
                    format!(
                        "platform misbehaving: answered for {answered} of {} transactions",
                        rows.len()
                    )
                };
                self.retry_later(&rows[answered..], &why, None)?;
                self.upload_trouble = Some(LinkState::PlatformMisbehaving);
                return Err(RoundError::Misbehaving(why));
            }
            self.upload_trouble = None;
        }
    }

    /// Counts a failed attempt for `rows`, keeps why, and sets their next attempt after the
    /// backoff (a `Retry-After` capped: see [`Backoff::delay`]).
    fn retry_later(
        &mut self,
        rows: &[OutboxRow],
        why: &str,
        retry_after: Option<Duration>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let attempt = rows.first().map(|r| r.attempts).unwrap_or(0);
        let delay = self.backoff().delay(attempt, retry_after, &mut rand::rng());
        let now = Utc::now();
        let next = chrono::Duration::from_std(delay)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(now);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        self.store.mark_retry(&ids, why, next)
    }
}

fn catalog_event(c: &Catalog, waiting: &[(String, u32)]) -> KioskEvent {
    KioskEvent::Catalog {
        hall_zh: c.hall.name_zh.clone(),
        hall_en: c.hall.name_en.clone(),
        desk: (c.hall.desk_zh.clone(), c.hall.desk_en.clone()),
        areas: c
            .areas
            .iter()
            .map(|a| Area {
                code: a.code.clone(),
                name_zh: a.name_zh.clone(),
                name_en: a.name_en.clone(),
                description_zh: a.description_zh.clone(),
                description_en: a.description_en.clone(),
                location_zh: a.location_zh.clone(),
                location_en: a.location_en.clone(),
                waiting: waiting.iter().find(|(c, _)| c == &a.code).map(|(_, w)| *w),
            })
            .collect(),
        notices: c
            .notices
            .iter()
            .map(|n| (n.text_zh.clone(), n.text_en.clone()))
            .collect(),
    }
}

/// The kiosk's clock minus the platform's, in ms: the platform stamped `server` somewhere
/// between `sent` and `received` (kiosk clock); the middle of the exchange is the best guess.
pub fn clock_skew_ms(
    sent: chrono::DateTime<Utc>,
    received: chrono::DateTime<Utc>,
    server: chrono::DateTime<Utc>,
) -> i64 {
    let middle = sent + (received - sent) / 2;
    (middle - server).num_milliseconds()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn clock_skew_is_taken_at_the_middle_of_the_exchange() {
        let t = |ms: i64| chrono::DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(ms);
        // Sent at 1000, answered at 1400 (kiosk clock); the platform stamped 900.
        assert_eq!(clock_skew_ms(t(1000), t(1400), t(900)), 300);
        assert_eq!(clock_skew_ms(t(1000), t(1000), t(61_000)), -60_000);
    }

    #[test]
    fn only_the_contracts_json_refusals_fail_rows() {
        let http = |status, code: Option<&str>| ClientError::Http {
            status,
            code: code.map(str::to_owned),
            message: None,
            retry_after: None,
        };
        assert!(is_final_refusal(&http(400, Some("bad_request"))));
        assert!(is_final_refusal(&http(400, Some("bad_batch_size"))));
        assert!(is_final_refusal(&http(409, Some("idempotency_conflict"))));
        // An HTML page (no JSON code) from a proxy or a wrong path is a link problem.
        assert!(!is_final_refusal(&http(400, None)));
        assert!(!is_final_refusal(&http(404, None)));
        assert!(!is_final_refusal(&http(403, None)));
        assert!(!is_final_refusal(&http(404, Some("not_found"))));
        assert!(!is_final_refusal(&http(403, Some("bad_request"))));
        assert!(!is_final_refusal(&http(401, Some("bad_signature"))));
        assert!(!is_final_refusal(&http(408, Some("timeout"))));
        assert!(!is_final_refusal(&http(429, Some("too_many_requests"))));
        assert!(!is_final_refusal(&http(503, Some("unavailable"))));
        assert!(!is_final_refusal(&ClientError::Network("reset".into())));
        assert_eq!(
            link_class(&http(404, None)),
            LinkState::LinkProblem,
            "a proxy's 404 is the link's"
        );
        assert_eq!(
            link_class(&ClientError::Decode("x".into())),
            LinkState::PlatformMisbehaving
        );
    }

    #[test]
    fn a_certificate_and_a_clock_refusal_are_link_states_of_their_own() {
        let refusal = |code: &str, message: &str| ClientError::Http {
            status: 401,
            code: Some(code.to_owned()),
            message: Some(message.to_owned()),
            retry_after: None,
        };
        let skewed = refusal(
            "clock_skew",
            "timestamp 1700000000 is more than 300 s from server time 1700000420",
        );
        assert_eq!(link_class(&skewed), LinkState::ClockSkew);
        assert_eq!(refused_skew_ms(&skewed), Some(-420_000));
        let behind = refusal(
            "clock_skew",
            "timestamp 1700000600 is more than 300 s from server time 1700000000",
        );
        assert_eq!(refused_skew_ms(&behind), Some(600_000));
        assert_eq!(refused_skew_ms(&refusal("clock_skew", "garbled")), None);
        let signature = refusal("bad_signature", "timestamp 1 server time 2");
        assert_eq!(link_class(&signature), LinkState::LinkProblem);
        assert_eq!(refused_skew_ms(&signature), None);
        assert_eq!(
            link_class(&ClientError::Certificate("not the expected one".into())),
            LinkState::CertificateRefused
        );
    }
}
